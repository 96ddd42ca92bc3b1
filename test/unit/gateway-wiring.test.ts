import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { EngineOutput, LevelChange } from '../../src/detect/types.js';
import type { EventFields, EventKind, EventSink } from '../../src/domain/index.js';
import { applyEngineOutput } from '../../src/gateway/engine-output.js';
import { applyReload, type ReloadParts } from '../../src/gateway/reload.js';
import { SirenDrivers } from '../../src/gateway/siren-drivers.js';
import { silentLog, testConfig, tmpDir } from '../helpers/gateway.js';

/** Records the order in which parts were called, across sirens and events. */
function recorder() {
  const calls: string[] = [];
  const emitted: { kind: EventKind; fields: EventFields }[] = [];
  const events: EventSink = {
    emit(kind, fields = {}) {
      calls.push(`event:${kind}`);
      emitted.push({ kind, fields });
      return { id: 'x', ts: 0, kind, fields };
    },
  };
  const sirens = { onEngineOutput: (out: EngineOutput) => calls.push(`sirens:${out.changes.length}`) };
  return { calls, emitted, events, sirens };
}

const change = (over: Partial<LevelChange> = {}): LevelChange => ({
  zone: 'z-braja',
  level: 'AWAS',
  prev: 'SIAGA',
  score: 9,
  nodes: ['btn-pos1'],
  reason: 'tombol panik ditekan',
  ts: 0,
  allClear: false,
  manual: true,
  ...over,
});

describe('engine output acted on', () => {
  it('switches the sirens before any level event is written (the p99 path)', () => {
    const r = recorder();
    const c = change();
    applyEngineOutput({ changes: [c], retriggered: [], notices: [] }, r.sirens, r.events);
    expect(r.calls).toEqual(['sirens:1', 'event:level']);
    // Everything the centre needs to tell the villages; not the engine's own ts or the all-clear flag.
    const { ts: _ts, allClear: _allClear, ...sent } = c;
    expect(r.emitted[0]?.fields).toEqual(sent);
  });

  it('marks the all-clear, restarts siren timers on a retrigger, and turns notices into their events', () => {
    const r = recorder();
    const out: EngineOutput = {
      changes: [change({ level: 'NORMAL', prev: 'WASPADA', allClear: true, manual: false })],
      retriggered: [],
      notices: [{ kind: 'fence_low', zone: 'z-braja', node: 'fence-01', fields: { kv: 2.1 } }],
    };
    applyEngineOutput(out, r.sirens, r.events);
    expect(r.emitted.map((e) => e.kind)).toEqual(['level', 'fence_low']);
    expect(r.emitted[0]?.fields.all_clear).toBe(true);
    expect(r.emitted[1]?.fields).toEqual({ zone: 'z-braja', node: 'fence-01', kv: 2.1 });

    const quiet = recorder();
    applyEngineOutput({ changes: [], retriggered: [], notices: [] }, quiet.sirens, quiet.events);
    expect(quiet.calls).toEqual([]);
    applyEngineOutput({ changes: [], retriggered: ['z-braja'], notices: [] }, quiet.sirens, quiet.events);
    expect(quiet.calls).toEqual(['sirens:0']);
  });
});

describe('a SIGHUP reload applied part by part', () => {
  function parts(calls: string[]): ReloadParts & { adopted: Config[] } {
    const adopted: Config[] = [];
    const step = (name: string) => () => {
      calls.push(name);
    };
    const later = (name: string) => async () => {
      calls.push(name);
    };
    return {
      adopted,
      log: silentLog.child({}),
      adopt: (c) => {
        calls.push('adopt');
        adopted.push(c);
      },
      tracker: { reconfigure: step('tracker') },
      engine: {
        reconfigure: () => {
          calls.push('engine');
          return { changes: [change()], retriggered: [], notices: [] };
        },
      },
      onEngine: step('onEngine'),
      sirenDrivers: {
        reconfigure: () => {
          calls.push('drivers');
          return new Map();
        },
      },
      sirens: { reconfigure: step('sirens') },
      broker: { reconfigure: step('broker') },
      radio: { reconfigure: step('radio') },
      serial: { reconfigure: later('serial') },
      uplink: { reconfigure: later('uplink') },
      schedules: { reconfigure: later('schedules') },
    };
  }

  it('adopts the planned config first, then detection and sirens before the slower parts', async () => {
    const dir = tmpDir();
    const prev = testConfig('', dir);
    const wanted = testConfig('detection: {window_s: 300}', tmpDir());
    const calls: string[] = [];
    const p = parts(calls);
    const res = await applyReload(prev, wanted, p);
    expect(calls).toEqual([
      'adopt',
      'tracker',
      'engine',
      'onEngine',
      'drivers',
      'sirens',
      'broker',
      'radio',
      'serial',
      'uplink',
      'schedules',
    ]);
    // The database and socket are bound at start: the running ones stay, named as needing a restart.
    expect(res.restartNeeded).toEqual(['storage.path', 'control.socket']);
    expect(p.adopted[0]?.storage.path).toBe(prev.storage.path);
    expect(p.adopted[0]?.detection.window_s).toBe(300);
    expect(res.config).toBe(p.adopted[0]);
  });
});

describe('siren drivers across a reload', () => {
  const out = new Writable({ write: (_c, _e, cb) => cb() });
  const drivers = (c: Config) => new SirenDrivers({ log: silentLog, bus: undefined, out }, c);

  it('keeps the instance of an unchanged siren (it does not toggle) and builds changed and new ones', () => {
    const dir = tmpDir();
    const prev = testConfig('', dir);
    const d = drivers(prev);
    const s1 = d.drivers.get('s-1');
    expect(s1).toBeDefined();

    const next = testConfig('', dir);
    next.sirens.push({ id: 's-2', driver: 'print' });
    const after = d.reconfigure(prev, next);
    expect(after.get('s-1')).toBe(s1);
    expect(after.get('s-2')).toBeDefined();
    expect(d.drivers).toBe(after);

    const changed = {
      ...next,
      sirens: [{ id: 's-1', driver: 'command' as const, command: '/bin/true', args: [], timeout_ms: 1000 }],
    };
    const rebuilt = d.reconfigure(next, changed);
    expect(rebuilt.get('s-1')).not.toBe(s1);
    expect([...rebuilt.keys()]).toEqual(['s-1']);
  });
});
