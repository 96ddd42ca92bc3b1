import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RUN_V8_FLAGS, UNIT_NODE_FLAGS } from '../../src/gateway/heap.js';

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
    const code = `const v8 = require('node:v8'); for (const f of ${JSON.stringify(RUN_V8_FLAGS)}) v8.setFlagsFromString(f); process.stdout.write('up')`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(`${r.stderr}${r.stdout}`).toBe('up');
  });
});
