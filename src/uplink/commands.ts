import type { Logger } from 'pino';
import type { CommandsConfig } from '../config/schema.js';
import { type Clock, CommandError, type EventSink } from '../domain/index.js';
import type { NonceStore } from '../store/nonces.js';
import { errorMessage } from '../util/errors.js';
import { CommandBudget, REFUSAL_WINDOW_MS, RefusalLimiter } from './command-limits.js';
import { COMMAND_NAMES, type CommandName } from './command-names.js';
import type { CommandResponse } from './payloads.js';

/** Siren control as the siren controller offers it; `by` is the key id that signed the command. */
export interface SirenServices {
  test(siren: string): unknown | Promise<unknown>;
  off(siren: string): unknown | Promise<unknown>;
  silence(zone: string, minutes: number, by: string): unknown | Promise<unknown>;
  unsilence(zone: string, by: string): unknown | Promise<unknown>;
}

/** What signed commands may do: the same service functions the CLI calls. */
export interface CommandServices {
  status(): unknown | Promise<unknown>;
  nodes(): unknown | Promise<unknown>;
  /** Re-queues stored readings with from <= ts <= to (epoch ms); returns how many. */
  resend(from: number, to: number): number | Promise<number>;
  /** The running config, secrets already redacted by the caller. */
  configGet(): unknown | Promise<unknown>;
  /** Undefined until the gateway has sirens wired: siren commands are then refused. */
  siren?: SirenServices;
  /** Present when alerts are enabled; `alerts.ack` is refused otherwise. */
  alerts?: { ack(codeOrId: string, by: string, channel: 'command'): Promise<unknown> };
}

export interface CommandHandlerDeps {
  commands: CommandsConfig;
  nonces: NonceStore;
  clock: Clock;
  events: EventSink;
  services: CommandServices;
  log: Logger;
  /** Payloads above this are refused unread (docs/quality.md: MQTT payload 16 KiB). */
  maxPayloadBytes?: number;
}

/** Machine-readable refusal reasons (recorded in the `cmd` event). */
export type CommandRefusal =
  | 'too_large'
  | 'malformed'
  | 'unknown_key'
  | 'bad_sig'
  | 'stale'
  | 'replay'
  | 'unknown_cmd'
  | 'invalid_args'
  | 'unavailable'
  | 'failed'
  | 'rate_limited';

/**
 * Refusals only a key holder can cause (the command was signed, fresh and new): always answered
 * and recorded. Every other refusal may be a stranger's junk and goes through the refusal limiter.
 */
const AUTHENTIC_REFUSALS: ReadonlySet<string> = new Set([
  'rate_limited',
  'unknown_cmd',
  'invalid_args',
  'unavailable',
  'failed',
]);

export const SIRENS_UNAVAILABLE = 'sirens are not available on this gateway yet';

/**
 * The schemas (zod) and the signature check (node:crypto) are loaded with the first command
 * received, not with the gateway: their code would otherwise stay in V8's heap for the gateway's
 * life on every gateway the centre never commands (bench/README.md, "Memory round 10" and
 * "round 11").
 */
type Checks = typeof import('./command-schemas.js') & Pick<typeof import('./hmac.js'), 'verifyCommand'>;
let checks: Promise<Checks> | undefined;
const loadChecks = (): Promise<Checks> => {
  checks ??= Promise.all([import('./command-schemas.js'), import('./hmac.js')]).then(([schemas, hmac]) => ({
    ...schemas,
    verifyCommand: hmac.verifyCommand,
  }));
  return checks;
};

function isCommandName(s: string): s is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(s);
}

/**
 * Verifies and runs signed commands from `.../cmd/req` (docs/wire.md §3). Checks, in order: size,
 * shape, key id, signature (constant time), timestamp skew, nonce (persisted), command name,
 * arguments. Every command, accepted or refused, becomes a `cmd` event with
 * `{cmd_id, cmd, key_id, ok, reason?}` (`cmd_id` because `id` is the event's own id on the wire);
 * never the signature nor a secret.
 *
 * Verification comes before any rate limit, so a flood of junk cannot crowd out a signed command:
 * authentic commands have their own budget (`command-limits.ts`), and refusals beyond a few per
 * minute are neither answered nor recorded one by one but summed up in one `cmd_rejected` event.
 */
export class CommandHandler {
  private readonly secrets: Map<string, string>;
  private readonly maxBytes: number;
  private readonly budget = new CommandBudget();
  private readonly refusals = new RefusalLimiter();
  private summaryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: CommandHandlerDeps) {
    this.secrets = new Map();
    for (const k of deps.commands.keys) if (k.secret) this.secrets.set(k.id, k.secret);
    this.maxBytes = deps.maxPayloadBytes ?? 16_384;
  }

  /**
   * Handles one `cmd/req` payload; the answer goes to `cmd/res`. Undefined: a refusal beyond the
   * refusal limit, left unanswered (it is counted in the next `cmd_rejected`). Never throws.
   */
  async handle(payload: Uint8Array | string): Promise<CommandResponse | undefined> {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    let id = '';
    let cmd = '';
    let keyId = '';
    try {
      if (size > this.maxBytes)
        throw new CommandError('too_large', `command larger than ${this.maxBytes} bytes`);
      const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw new CommandError('malformed', 'command is not JSON');
      }
      id = peekString(raw, 'id');
      cmd = peekString(raw, 'cmd');
      keyId = peekString(raw, 'key_id');
      const { envelope, argSchemas, zodSummary, verifyCommand } = await loadChecks();
      const env = envelope.safeParse(raw);
      if (!env.success) throw new CommandError('malformed', `malformed command: ${zodSummary(env.error)}`);
      const c = env.data;
      const args = c.args ?? {};

      const secret = this.secrets.get(c.key_id);
      if (secret === undefined) throw new CommandError('unknown_key', 'unknown key_id');
      if (!verifyCommand(secret, { id: c.id, ts: c.ts, nonce: c.nonce, cmd: c.cmd, args: c.args }, c.sig)) {
        throw new CommandError('bad_sig', 'bad signature');
      }
      const now = this.deps.clock.now();
      const skewS = this.deps.commands.max_skew_s;
      if (Math.abs(now - c.ts) > skewS * 1000) {
        throw new CommandError('stale', `timestamp is more than ${skewS} s away from the gateway clock`);
      }
      // Remember before running anything, so even a refused-later command cannot be replayed.
      this.deps.nonces.prune(now);
      if (!this.deps.nonces.remember(c.nonce, c.key_id, now + 2 * skewS * 1000)) {
        throw new CommandError('replay', 'nonce already used');
      }
      if (!this.budget.take(now))
        throw new CommandError('rate_limited', 'too many commands; send again in a few seconds');
      if (!isCommandName(c.cmd))
        throw new CommandError('unknown_cmd', `unknown command "${c.cmd.slice(0, 64)}"`);
      const parsed = argSchemas[c.cmd].safeParse(args);
      if (!parsed.success)
        throw new CommandError('invalid_args', `invalid args: ${zodSummary(parsed.error)}`);

      const result = await this.run(c.cmd, parsed.data as Record<string, unknown>, c.key_id);
      this.record(c.id, c.cmd, c.key_id, true);
      return { id: c.id, ok: true, result: result ?? null };
    } catch (e) {
      const err = e instanceof CommandError ? e : new CommandError('failed', errorMessage(e));
      if (!AUTHENTIC_REFUSALS.has(err.reason) && !this.refusals.admit(err.reason, this.deps.clock.now())) {
        this.armSummary();
        return undefined;
      }
      this.record(id, cmd, keyId, false, err.reason);
      this.deps.log.warn({ cmd_id: id, cmd, key_id: keyId, reason: err.reason }, 'command refused');
      return { id, ok: false, error: err.message };
    }
  }

  /** Raises `cmd_rejected` with the refusals not reported one by one, once per refusal window. */
  reportRefusals(): void {
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    this.summaryTimer = undefined;
    const summary = this.refusals.takeSummary();
    if (!summary) return;
    this.deps.log.warn(summary, 'commands refused without answer (too many refusals)');
    try {
      this.deps.events.emit('cmd_rejected', { ...summary });
    } catch (e) {
      this.deps.log.error({ err: e }, 'cannot record cmd_rejected event');
    }
  }

  /** Stops the pending summary timer; what was counted is reported now. */
  close(): void {
    this.reportRefusals();
  }

  private armSummary(): void {
    if (this.summaryTimer) return;
    this.summaryTimer = setTimeout(() => this.reportRefusals(), REFUSAL_WINDOW_MS);
    this.summaryTimer.unref();
  }

  private async run(cmd: CommandName, a: Record<string, unknown>, by: string): Promise<unknown> {
    const s = this.deps.services;
    switch (cmd) {
      case 'status':
        return s.status();
      case 'nodes':
        return s.nodes();
      case 'config.get':
        return s.configGet();
      case 'readings.resend':
        return { queued: await s.resend(a.from as number, a.to as number) };
      case 'siren.test':
      case 'siren.off':
      case 'siren.silence':
      case 'siren.unsilence': {
        if (!s.siren) throw new CommandError('unavailable', SIRENS_UNAVAILABLE);
        if (cmd === 'siren.test') return s.siren.test(a.siren as string);
        if (cmd === 'siren.off') return s.siren.off(a.siren as string);
        if (cmd === 'siren.silence') return s.siren.silence(a.zone as string, a.minutes as number, by);
        return s.siren.unsilence(a.zone as string, by);
      }
      case 'alerts.ack': {
        if (!s.alerts) throw new CommandError('unavailable', 'alerts are not enabled on this gateway');
        const who = typeof a.by === 'string' ? `${a.by} (cmd:${by})` : `cmd:${by}`;
        return s.alerts.ack(a.code as string, who, 'command');
      }
    }
  }

  private record(cmdId: string, cmd: string, keyId: string, ok: boolean, reason?: string): void {
    const fields: Record<string, unknown> = {
      cmd_id: cmdId,
      cmd: cmd.slice(0, 64),
      key_id: keyId.slice(0, 64),
      ok,
    };
    if (reason !== undefined) fields.reason = reason;
    try {
      this.deps.events.emit('cmd', fields);
    } catch (e) {
      this.deps.log.error({ err: e }, 'cannot record cmd event');
    }
  }
}

function peekString(raw: unknown, key: string): string {
  if (typeof raw !== 'object' || raw === null) return '';
  const v = (raw as Record<string, unknown>)[key];
  return typeof v === 'string' ? v.slice(0, 128) : '';
}
