import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import {
  accessSync,
  constants,
  readdirSync,
  readFileSync,
  realpathSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { createConnection, createServer, isIPv6 } from 'node:net';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import Database from 'better-sqlite3';
import { call } from '../control/client.js';
import { EN, type Translate } from '../i18n/index.js';
import { errorMessage } from '../util/errors.js';
import type { BindResult, ConnectResult, DbCheck, FileInfo, GatewayProbe, Probes } from './types.js';

const ACCESS = {
  r: constants.R_OK,
  w: constants.W_OK,
  rw: constants.R_OK | constants.W_OK,
  x: constants.X_OK,
} as const;

/** `name:x:id:…` files (/etc/group, /etc/passwd) → id → name; read once, lazily. */
function idNames(file: string): () => Map<number, string> {
  let map: Map<number, string> | undefined;
  return () => {
    if (map) return map;
    map = new Map();
    try {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id !== undefined && /^\d+$/.test(id)) map.set(Number(id), name);
      }
    } catch {
      // no such file: numbers are shown instead of names
    }
    return map;
  };
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? errorMessage(e);
}

/** The real machine: fs, sockets, SQLite, timedatectl and the control socket. */
export function realProbes(tr: Translate = EN): Probes {
  const groups = idNames('/etc/group');
  const users = idNames('/etc/passwd');
  return {
    stat(path): FileInfo | undefined {
      try {
        const s = statSync(path);
        const kind = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isCharacterDevice() ? 'char' : 'other';
        return { kind, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
      } catch {
        return undefined;
      }
    },
    access(path, mode) {
      try {
        accessSync(path, ACCESS[mode]);
        return true;
      } catch {
        return false;
      }
    },
    listDir(dir) {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    realpath(path) {
      try {
        return realpathSync(path);
      } catch {
        return undefined;
      }
    },
    freeMb(dir) {
      try {
        const s = statfsSync(dir);
        return Math.round((s.bavail * s.bsize) / 1048576);
      } catch {
        return undefined;
      }
    },
    groupName: (gid) => groups().get(gid),
    userName: (uid) => users().get(uid),
    user() {
      const u = userInfo();
      return { name: u.username, uid: u.uid };
    },
    now: () => Date.now(),
    which(program) {
      const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
      for (const d of dirs) {
        if (!d) continue;
        const path = join(d, program);
        try {
          accessSync(path, constants.X_OK);
          if (statSync(path).isFile()) return path;
        } catch {
          // not here
        }
      }
      return undefined;
    },
    udpBind(host, port) {
      return new Promise<BindResult>((resolve) => {
        const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
        sock.once('error', (e: NodeJS.ErrnoException) => {
          sock.close();
          resolve(e.code === 'EADDRINUSE' ? { state: 'in_use' } : { state: 'error', code: errCode(e) });
        });
        sock.bind({ address: host, port, exclusive: true }, () => {
          sock.close();
          resolve({ state: 'free' });
        });
      });
    },
    tcpListen(host, port) {
      return new Promise<BindResult>((resolve) => {
        const server = createServer();
        server.once('error', (e: NodeJS.ErrnoException) => {
          resolve(e.code === 'EADDRINUSE' ? { state: 'in_use' } : { state: 'error', code: errCode(e) });
        });
        server.listen({ host, port, exclusive: true }, () => {
          server.close(() => resolve({ state: 'free' }));
        });
      });
    },
    tcpConnect(host, port, timeoutMs) {
      return new Promise<ConnectResult>((resolve) => {
        const sock = createConnection({ host, port });
        const timer = setTimeout(() => {
          sock.destroy();
          resolve({ ok: false, error: `no answer within ${timeoutMs / 1000} s` });
        }, timeoutMs);
        sock.once('connect', () => {
          clearTimeout(timer);
          sock.destroy();
          resolve({ ok: true });
        });
        sock.once('error', (e) => {
          clearTimeout(timer);
          resolve({ ok: false, error: errCode(e) });
        });
      });
    },
    dbCheck(path): DbCheck {
      let db: Database.Database | undefined;
      try {
        db = new Database(path, { readonly: true, fileMustExist: true });
        db.pragma('busy_timeout = 5000');
        const rows = db.pragma('quick_check') as { quick_check: string }[];
        const schemaVersion = db.pragma('user_version', { simple: true }) as number;
        return { quickCheck: rows.map((r) => r.quick_check), schemaVersion };
      } catch (e) {
        return { error: errorMessage(e) };
      } finally {
        db?.close();
      }
    },
    ntpSynchronized() {
      return new Promise((resolve) => {
        execFile(
          'timedatectl',
          ['show', '-p', 'NTPSynchronized', '--value'],
          { timeout: 3000 },
          (err, stdout) => {
            const v = String(stdout).trim();
            resolve(!err && (v === 'yes' || v === 'no') ? v : undefined);
          },
        );
      });
    },
    async gatewayStatus(socketPath): Promise<GatewayProbe> {
      try {
        const s = await call<{
          version?: string;
          uptime_s?: number;
          lora?: { address?: { port?: number } } | null;
          local_broker?: { address?: { port?: number } } | null;
        }>(socketPath, 'status', {}, 3000);
        const probe: GatewayProbe = { running: true };
        if (typeof s.version === 'string') probe.version = s.version;
        if (typeof s.uptime_s === 'number') probe.uptimeS = s.uptime_s;
        const lora = s.lora?.address?.port;
        if (typeof lora === 'number') probe.loraPort = lora;
        const broker = s.local_broker?.address?.port;
        if (typeof broker === 'number') probe.brokerPort = broker;
        return probe;
      } catch (e) {
        const msg = errorMessage(e);
        // The client's messages end in advice that doctor gives as its fix; keep only the finding.
        const why = msg.includes('may not use')
          ? tr('doctor.gateway.no_access', { socket: socketPath })
          : msg.includes('did not answer')
            ? tr('doctor.gateway.no_answer', { socket: socketPath })
            : tr('doctor.gateway.silent', { socket: socketPath });
        return { running: false, why };
      }
    },
  };
}
