import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createNotifier,
  type NotifyChild,
  type NotifySpawn,
  watchdogInterval,
} from '../../src/util/sd-notify.js';

class FakeChild extends EventEmitter implements NotifyChild {
  killed = false;
  kill(): boolean {
    this.killed = true;
    return true;
  }
}

function fakeSpawn(exitCode: number | 'never' = 0) {
  const calls: { command: string; args: string[]; env: NodeJS.ProcessEnv; child: FakeChild }[] = [];
  const spawn: NotifySpawn = (command, args, env) => {
    const child = new FakeChild();
    calls.push({ command, args, env, child });
    if (exitCode !== 'never') queueMicrotask(() => child.emit('exit', exitCode));
    return child;
  };
  return { spawn, calls, messages: () => calls.map((c) => c.args.slice(1).join(' ')) };
}

const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' };

describe('sd-notify', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is a no-op without NOTIFY_SOCKET', () => {
    const f = fakeSpawn();
    const n = createNotifier({ env: { WATCHDOG_USEC: '30000000' }, spawn: f.spawn, pid: 42 });
    expect(n.enabled).toBe(false);
    n.ready();
    n.startWatchdog();
    vi.advanceTimersByTime(60_000);
    n.stopping();
    n.stop();
    expect(f.calls).toHaveLength(0);
  });

  it('sends READY=1 and STOPPING=1 through systemd-notify --pid=<pid>, with the env', () => {
    const f = fakeSpawn();
    const n = createNotifier({ env, spawn: f.spawn, pid: 42 });
    n.ready();
    n.ready('3 serial ports open');
    n.stopping();
    expect(f.calls.map((c) => c.command)).toEqual(['systemd-notify', 'systemd-notify', 'systemd-notify']);
    expect(f.calls.map((c) => c.args)).toEqual([
      ['--pid=42', 'READY=1'],
      ['--pid=42', 'READY=1', 'STATUS=3 serial ports open'],
      ['--pid=42', 'STOPPING=1'],
    ]);
    expect(f.calls[0]?.env.NOTIFY_SOCKET).toBe('/run/systemd/notify');
  });

  it('sends WATCHDOG=1 every half WATCHDOG_USEC until stopped', async () => {
    const f = fakeSpawn();
    const n = createNotifier({ env, spawn: f.spawn, pid: 42 });
    expect(n.watchdogIntervalMs).toBe(15_000);
    n.startWatchdog();
    n.startWatchdog(); // twice does not double the timer
    await vi.advanceTimersByTimeAsync(14_999);
    expect(f.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(f.messages()).toEqual(['WATCHDOG=1', 'WATCHDOG=1']);
    n.stopping();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.messages()).toEqual(['WATCHDOG=1', 'WATCHDOG=1', 'STOPPING=1']);
    n.startWatchdog(); // not after stopping
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.calls).toHaveLength(3);
  });

  it('no keepalives without WATCHDOG_USEC, or when WATCHDOG_PID is another process', async () => {
    expect(watchdogInterval({}, 42)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: '0' }, 42)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '7' }, 42)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '42' }, 42)).toBe(5000);
    const f = fakeSpawn();
    const n = createNotifier({ env: { NOTIFY_SOCKET: '/run/x' }, spawn: f.spawn, pid: 42 });
    n.startWatchdog();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(f.calls).toHaveLength(0);
  });

  it('a hung sender is killed, reported, and does not pile up keepalives', async () => {
    const f = fakeSpawn('never');
    const errors: string[] = [];
    const n = createNotifier({
      env,
      spawn: f.spawn,
      pid: 42,
      sendTimeoutMs: 20_000,
      onError: (m) => errors.push(m),
    });
    n.startWatchdog();
    await vi.advanceTimersByTimeAsync(15_000);
    await vi.advanceTimersByTimeAsync(15_000); // first still running: skipped
    expect(f.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(f.calls[0]?.child.killed).toBe(true);
    expect(errors[0]).toMatch(/did not finish/);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(f.calls).toHaveLength(2);
    n.stop();
  });

  it('reports a missing systemd-notify and a non-zero exit', async () => {
    const errors: string[] = [];
    const missing: NotifySpawn = () => {
      const c = new FakeChild();
      queueMicrotask(() =>
        c.emit('error', Object.assign(new Error('spawn systemd-notify ENOENT'), { code: 'ENOENT' })),
      );
      return c;
    };
    createNotifier({ env, spawn: missing, onError: (m) => errors.push(m) }).ready();
    createNotifier({ env, spawn: fakeSpawn(1).spawn, onError: (m) => errors.push(m) }).ready();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/ENOENT/);
    expect(errors[1]).toMatch(/exited with 1/);
  });
});
