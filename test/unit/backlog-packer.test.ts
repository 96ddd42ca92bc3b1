import { describe, expect, it } from 'vitest';
import { BacklogPacker } from '../../src/uplink/backlog-packer.js';
import { capturingLogger } from '../helpers/log.js';

/** A stand-in for the SQLite packs (their own tests run on a real file: outbox-packs.test.ts). */
function fakePacks(results: (number | Error)[]) {
  const calls: [number, number][] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  return {
    calls,
    /** Packs from now on wait until `go()`. */
    hold: () => {
      gate = new Promise<void>((r) => {
        open = r;
      });
    },
    go: () => open(),
    packs: {
      async pack(n: number, maxPages: number): Promise<number> {
        calls.push([n, maxPages]);
        const r = results.shift() ?? 0;
        if (gate !== undefined) await gate;
        if (r instanceof Error) throw r;
        return r;
      },
    },
  };
}

/** A packer over `f` for batches of 200, the centre unreachable unless `connected` says otherwise. */
function packerOf(f: ReturnType<typeof fakePacks>, log = capturingLogger().log, connected = () => false) {
  return new BacklogPacker({ packs: f.packs, batchReadings: 200, connected, log });
}

describe('backlog packer', () => {
  it('packs whole batches of the uplink size only while the centre is unreachable, and counts the pages', async () => {
    let connected = true;
    const f = fakePacks([3, 2]);
    const { log } = capturingLogger();
    const p = new BacklogPacker({ packs: f.packs, batchReadings: 150, connected: () => connected, log });
    await p.look();
    expect(f.calls).toEqual([]);
    connected = false;
    await p.look();
    await p.look();
    expect(f.calls.map(([n]) => n)).toEqual([150, 150]);
    expect(p.packedPages).toBe(5);
  });

  it('one look at a time: a look while one runs waits for it instead of packing the same pages again', async () => {
    const f = fakePacks([1, 1]);
    f.hold();
    const p = packerOf(f);
    const first = p.look();
    const second = p.look();
    f.go();
    await Promise.all([first, second]);
    expect(f.calls).toHaveLength(1);
    expect(p.packedPages).toBe(1);
  });

  it('a disk that refuses the pack is logged once, not at every look, and its recovery is logged', async () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const f = fakePacks([full, full, 2]);
    const { log, lines } = capturingLogger();
    const p = packerOf(f, log);
    await p.look();
    await p.look();
    await p.look();
    const said = lines.map((l) => l.msg);
    expect(said.filter((m) => m === 'cannot pack the readings backlog')).toHaveLength(1);
    expect(said).toContain('backlog packing works again');
    expect(p.packedPages).toBe(2);
  });

  it('stop waits for the page being packed, so the database is not closed under it', async () => {
    const f = fakePacks([1]);
    f.hold();
    const p = packerOf(f);
    p.start();
    const looking = p.look();
    let stopped = false;
    const stopping = p.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    f.go();
    await Promise.all([looking, stopping]);
    expect(stopped).toBe(true);
    expect(p.packedPages).toBe(1);
  });
});
