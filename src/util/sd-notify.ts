import { spawn as nodeSpawn } from 'node:child_process';
import { errorMessage } from './errors.js';

/**
 * systemd notifications (Type=notify, WatchdogSec) without a native module.
 *
 * node:dgram only speaks udp4/udp6 — it cannot send to the AF_UNIX datagram socket in
 * $NOTIFY_SOCKET — so each message is sent by spawning the `systemd-notify` binary with
 * `--pid=<our pid>`. The message then comes from a child process, so the unit needs
 * `NotifyAccess=all`; systemd-notify (systemd ≥ 246) waits until the manager has processed the
 * message, so the short-lived sender does not race its own exit.
 *
 * Keepalives come from a timer on the main event loop: a blocked loop stops them, and systemd
 * restarts the gateway after WatchdogSec.
 */

/** The little of a ChildProcess the notifier uses (so tests can pass a fake). */
export interface NotifyChild {
  once(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'exit', listener: (code: number | null) => void): unknown;
  kill(signal?: NodeJS.Signals): unknown;
}

/** Starts `command args…` with the given environment; default: child_process.spawn, stdio ignored. */
export type NotifySpawn = (command: string, args: string[], env: NodeJS.ProcessEnv) => NotifyChild;

export interface NotifierOptions {
  env: NodeJS.ProcessEnv;
  spawn?: NotifySpawn;
  /** Our pid (default process.pid); sent as `--pid=` and compared with $WATCHDOG_PID. */
  pid?: number;
  /** Program to run (default `systemd-notify` from PATH). */
  program?: string;
  /** Called when a notification could not be sent (missing binary, non-zero exit, timeout). */
  onError?: (message: string) => void;
  /** A sender still running after this long is killed (default 5000 ms). */
  sendTimeoutMs?: number;
}

export interface Notifier {
  /** True when $NOTIFY_SOCKET is set; otherwise every method is a no-op. */
  readonly enabled: boolean;
  /** Keepalive period in ms (half of $WATCHDOG_USEC), or undefined when systemd set no watchdog for us. */
  readonly watchdogIntervalMs: number | undefined;
  /** `READY=1` (plus an optional STATUS= line): call once the gateway is ready. */
  ready(status?: string): void;
  /** `STOPPING=1`: call when shutdown begins. Stops the watchdog keepalives. */
  stopping(): void;
  /** Starts `WATCHDOG=1` keepalives every `watchdogIntervalMs` (no-op without a watchdog). */
  startWatchdog(): void;
  /** Stops the keepalive timer (idempotent). */
  stop(): void;
}

const defaultSpawn: NotifySpawn = (command, args, env) =>
  nodeSpawn(command, args, { env, stdio: 'ignore', detached: false });

/** Keepalive interval from the environment: half of WATCHDOG_USEC, if that watchdog is ours. */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  // WATCHDOG_PID names the process the watchdog is meant for; a child that inherited it is not.
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid)
    return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const env = opts.env;
  const enabled = typeof env.NOTIFY_SOCKET === 'string' && env.NOTIFY_SOCKET !== '';
  const pid = opts.pid ?? process.pid;
  const spawn = opts.spawn ?? defaultSpawn;
  const program = opts.program ?? 'systemd-notify';
  const sendTimeoutMs = opts.sendTimeoutMs ?? 5000;
  const intervalMs = enabled ? watchdogInterval(env, pid) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // One keepalive sender at a time: if systemd-notify itself hangs, we do not pile up processes.
  let keepaliveInFlight = false;

  const report = (message: string) => opts.onError?.(message);

  const send = (assignments: string[], done?: () => void): void => {
    let child: NotifyChild;
    try {
      child = spawn(program, [`--pid=${pid}`, ...assignments], env);
    } catch (e) {
      report(`cannot run ${program}: ${errorMessage(e)}`);
      done?.();
      return;
    }
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(kill);
      done?.();
    };
    const kill = setTimeout(() => {
      report(`${program} ${assignments.join(' ')} did not finish within ${sendTimeoutMs} ms; killed`);
      child.kill('SIGKILL');
      finish();
    }, sendTimeoutMs);
    kill.unref();
    child.once('error', (err) => {
      report(`cannot run ${program} (${err.message}); install systemd or run without Type=notify`);
      finish();
    });
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) report(`${program} ${assignments.join(' ')} exited with ${code}`);
      finish();
    });
  };

  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  return {
    enabled,
    watchdogIntervalMs: intervalMs,
    ready(status) {
      if (!enabled) return;
      send(status ? ['READY=1', `STATUS=${status}`] : ['READY=1']);
    },
    stopping() {
      if (!enabled) return;
      stopped = true;
      stop();
      send(['STOPPING=1']);
    },
    startWatchdog() {
      if (!enabled || intervalMs === undefined || timer || stopped) return;
      timer = setInterval(() => {
        if (keepaliveInFlight) return;
        keepaliveInFlight = true;
        send(['WATCHDOG=1'], () => {
          keepaliveInFlight = false;
        });
      }, intervalMs);
      // The gateway's own handles keep the process alive; this timer must not hold up an exit.
      timer.unref();
    },
    stop,
  };
}
