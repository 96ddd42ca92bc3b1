import { join } from 'node:path';
import { Writable } from 'node:stream';
import { hashPassword } from '../../src/broker/password.js';
import type { Gateway } from '../../src/main.js';
import { must } from './must.js';

/** The village screen's users in tests: one of each kind a village has. */
export const WEB_USERS = {
  kantor: { password: 'kantor-pw-7f3a', role: 'operator' },
  tamu: { password: 'tamu-pw-1c9e', role: 'viewer' },
  teknisi: { password: 'teknisi-pw-55ab', role: 'admin' },
  'btn-pos1': { password: 'btn-pw-0d0d', role: 'node' },
} as const;

/** The `local_broker.users` YAML for WEB_USERS (scrypt hashes made now, as `siaga passwd` would). */
export async function webUsersYaml(): Promise<string> {
  const lines: string[] = [];
  for (const [name, u] of Object.entries(WEB_USERS)) {
    const extra = u.role === 'node' ? `, node: ${name}` : '';
    lines.push(
      `    - {username: ${name}, password_hash: "${await hashPassword(u.password)}", role: ${u.role}${extra}}`,
    );
  }
  return lines.join('\n');
}

export const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

export function webUrl(gw: Gateway): string {
  return must(gw.web.address(), 'the web address').url.replace(/\/$/, '');
}

/**
 * A browser-like client: keeps the cookies the server sets (as a browser does for one origin)
 * and sends the CSRF token it was given, unless told not to.
 */
export class WebClient {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly base: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = must(pair, 'cookie').indexOf('=');
      const name = must(pair, 'cookie').slice(0, eq);
      const value = must(pair, 'cookie').slice(eq + 1);
      if (/Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async json<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> {
    const res = await this.fetch(path);
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Fetches the session (and with it a CSRF token), as the page does on load. */
  async start(): Promise<this> {
    const { body } = await this.json<{ csrf: string }>('/api/session');
    this.csrf = body.csrf;
    return this;
  }

  async post(path: string, body?: unknown, opts: { csrf?: boolean } = {}) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.csrf !== false) headers['x-csrf-token'] = this.csrf;
    const res = await this.fetch(path, {
      method: 'POST',
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  }

  async login(user: keyof typeof WEB_USERS, password: string = WEB_USERS[user].password) {
    const r = await this.post('/api/login', { username: user, password });
    if (r.status === 200) this.csrf = String(r.body.csrf);
    return r;
  }
}

/**
 * The head of a `siaga run` config with the local broker and the village screen on given ports
 * (`users` is the indented YAML list of `local_broker.users`); the caller adds nodes and zones.
 */
export function webGatewayYaml(o: {
  id: string;
  site: string;
  dir: string;
  ports: { web: number; broker: number };
  users: string;
}): string {
  return `
gateway: {id: ${o.id}, site: {name: ${o.site}, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(o.dir, 'siaga.db')}}
control: {socket: ${join(o.dir, 'siaga.sock')}}
local_broker:
  enabled: true
  host: 127.0.0.1
  port: ${o.ports.broker}
  users:
${o.users}
web: {enabled: true, host: 127.0.0.1, port: ${o.ports.web}}
`;
}
