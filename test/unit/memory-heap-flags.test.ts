import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RUN_V8_FLAGS, STEADY_V8_FLAGS, UNIT_ENV, UNIT_NODE_FLAGS } from '../../src/gateway/heap.js';

// A misspelt or dropped V8 flag is not an error: V8 prints "unrecognized flag" and runs on with
// its default, and the gateway would silently use ~10 MB more (P6). This Node must know each one.
describe('the gateway memory flags', () => {
  it('the systemd unit flags start node without a complaint', () => {
    const r = spawnSync(process.execPath, [...UNIT_NODE_FLAGS, '-e', 'process.stdout.write("up")'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('up');
  });

  it('the flags siaga run sets at run time are accepted by V8 then', () => {
    const code = `const v8 = require('node:v8'); for (const f of ${JSON.stringify([...RUN_V8_FLAGS, ...STEADY_V8_FLAGS])}) v8.setFlagsFromString(f); process.stdout.write('up')`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(`${r.stderr}${r.stdout}`).toBe('up');
  });

  // glibc ignores a MALLOC_* variable it does not know as silently as V8 a flag: 400 blocks of
  // 20 KiB (Buffer memory is malloc'd) must be mapped on their own, not carved from the main heap.
  it("glibc takes the unit's malloc settings: blocks of 16 KiB and more stay out of the main heap", () => {
    const code = `
      const fs = require('node:fs');
      const heap = () => {
        const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.endsWith('[heap]'));
        const [a, b] = (line ?? '0-0').split(' ')[0].split('-').map((x) => parseInt(x, 16));
        return b - a;
      };
      const before = heap();
      const keep = [];
      for (let i = 0; i < 400; i++) keep.push(Buffer.allocUnsafeSlow(20 * 1024).fill(1));
      process.stdout.write(String(Math.round((heap() - before) / 1024)));`;
    const r = spawnSync(process.execPath, ['-e', code], {
      encoding: 'utf8',
      env: { ...process.env, ...UNIT_ENV },
    });
    expect(r.stderr).toBe('');
    // Without the threshold the main heap grows by the 8,000 KiB allocated.
    expect(Number(r.stdout)).toBeLessThan(1024);
  });

  it('the GC after start frees what start-up left behind, with no complaint from V8', () => {
    const heap = new URL('../../dist/src/gateway/heap.js', import.meta.url).href;
    const code = `
      const { collectStartupGarbage } = await import(${JSON.stringify(heap)});
      let schema = { shape: Array.from({ length: 1e5 }, (_, i) => ({ key: 'k' + i })) };
      const ref = new WeakRef(schema);
      schema = undefined;
      await new Promise((r) => setTimeout(r, 0));
      collectStartupGarbage();
      process.stdout.write(ref.deref() === undefined ? 'freed' : 'kept');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(`${r.stderr}${r.stdout}`).toBe('freed');
  });
});
