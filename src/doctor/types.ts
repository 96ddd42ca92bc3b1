/** What `siaga doctor` reports per check: OK, WARN (works, but fix it) or FAIL (will not work). */
export type Level = 'OK' | 'WARN' | 'FAIL';

export interface CheckResult {
  /** Short name of what was checked, e.g. `serial[0]`, `lora udp`, `disk`. */
  name: string;
  level: Level;
  /** What was found, in one or two sentences. */
  detail: string;
  /** For WARN/FAIL: the exact command or config line that fixes it. */
  fix?: string;
}

export interface FileInfo {
  kind: 'file' | 'dir' | 'char' | 'other';
  /** Permission bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
}

export type BindResult = { state: 'free' } | { state: 'in_use' } | { state: 'error'; code: string };

export type ConnectResult = { ok: true } | { ok: false; error: string };

export type DbCheck = { quickCheck: string[]; schemaVersion: number } | { error: string };

/** What the running gateway told us over the control socket (only the parts doctor uses). */
export type GatewayProbe =
  | {
      running: true;
      version?: string;
      uptimeS?: number;
      /** UDP port the gateway's GWMP server is bound to, if it runs one. */
      loraPort?: number;
      /** TCP port of its local broker, if it runs one. */
      brokerPort?: number;
    }
  | { running: false; why: string };

/**
 * Everything doctor asks of the machine, injectable so each check is unit-tested with fakes.
 * File probes follow symlinks (a /dev/serial/by-id link is checked as the device it points to).
 */
export interface Probes {
  /** undefined when the path does not exist (or a parent is not a directory). */
  stat(path: string): FileInfo | undefined;
  access(path: string, mode: 'r' | 'w' | 'rw' | 'x'): boolean;
  /** Entry names of a directory; [] when it does not exist. */
  listDir(dir: string): string[];
  realpath(path: string): string | undefined;
  /** MB available to unprivileged users on the file system holding `dir`. */
  freeMb(dir: string): number | undefined;
  groupName(gid: number): string | undefined;
  userName(uid: number): string | undefined;
  /** The user doctor runs as. */
  user(): { name: string; uid: number };
  now(): number;
  /** Full path of a program found on PATH (and the sbin dirs), or undefined. */
  which(program: string): string | undefined;
  udpBind(host: string, port: number): Promise<BindResult>;
  tcpListen(host: string, port: number): Promise<BindResult>;
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<ConnectResult>;
  /** Opens the database read-only: `PRAGMA quick_check` and `user_version`. */
  dbCheck(path: string): DbCheck;
  /** `timedatectl show -p NTPSynchronized --value`: 'yes' | 'no', undefined when unavailable. */
  ntpSynchronized(): Promise<'yes' | 'no' | undefined>;
  gatewayStatus(socketPath: string): Promise<GatewayProbe>;
}

export function ok(name: string, detail: string): CheckResult {
  return { name, level: 'OK', detail };
}

export function warn(name: string, detail: string, fix: string): CheckResult {
  return { name, level: 'WARN', detail, fix };
}

export function fail(name: string, detail: string, fix: string): CheckResult {
  return { name, level: 'FAIL', detail, fix };
}

/** `crw-rw----` style rendering of a FileInfo, for details a technician compares with `ls -l`. */
export function modeString(info: FileInfo): string {
  const kind = info.kind === 'dir' ? 'd' : info.kind === 'char' ? 'c' : info.kind === 'file' ? '-' : '?';
  const bits = 'rwxrwxrwx';
  let s = kind;
  for (let i = 0; i < 9; i++) s += info.mode & (0o400 >> i) ? bits[i] : '-';
  return s;
}

/** `root:dialout` (names when known, numbers otherwise). */
export function owner(info: FileInfo, p: Probes): string {
  return `${p.userName(info.uid) ?? info.uid}:${p.groupName(info.gid) ?? info.gid}`;
}
