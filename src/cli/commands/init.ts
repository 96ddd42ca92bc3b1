import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { type Command, Option } from 'commander';
import { Document, isScalar } from 'yaml';
import { loadConfig } from '../../config/load.js';
import { DEFAULT_CONFIG_PATH } from '../../config/path.js';
import { READING_TYPES, UsageError } from '../../domain/index.js';
import type { MessageId, Vars } from '../../i18n/index.js';
import {
  COMMAND_KEY_FILE,
  COMMAND_KEY_ID,
  defaultGatewayId,
  type FIELD_SCHEMAS,
  type InitAnswers,
  initConfig,
  problemWith,
  UPLINK_PASSWORD_FILE,
} from '../init-answers.js';
import { action, out, t } from '../io.js';
import { readHidden } from './passwd.js';

interface InitOpts {
  name?: string;
  code?: string;
  lat?: string;
  lon?: string;
  id?: string;
  centre?: string;
  username?: string;
  passwordFile?: string;
  serial?: string[];
  serialDir: string;
  zone?: string;
  node?: string;
  nodeType?: string;
  output: string;
  force?: boolean;
  nonInteractive?: boolean;
}

/**
 * Answers typed (or piped) one per line. Lines are queued as they come, so answers written to
 * stdin all at once by a script are not lost between two questions.
 */
class Answers {
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private rl: Interface | undefined;

  constructor(private readonly input: NodeJS.ReadStream) {
    this.open();
  }

  private open(): void {
    this.rl = createInterface({ input: this.input, terminal: false });
    this.rl.on('line', (line) => this.push(line.replace(/\r$/, '')));
    this.rl.on('close', () => {
      if (this.rl === undefined) return; // closed on purpose for a hidden answer
      this.ended = true;
      this.waiting?.(undefined);
    });
  }

  private push(line: string): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(line);
    } else this.queue.push(line);
  }

  async line(prompt: string): Promise<string> {
    process.stderr.write(prompt);
    const next =
      this.queue.shift() ??
      (this.ended ? undefined : await new Promise<string | undefined>((r) => (this.waiting = r)));
    if (next === undefined) {
      process.stderr.write('\n');
      throw new UsageError(t('init.stdin_ended'));
    }
    if (!this.input.isTTY) process.stderr.write('\n');
    return next.trim();
  }

  /** A password: without echo on a terminal, else the next line like any answer. */
  async hidden(prompt: string): Promise<string> {
    if (!this.input.isTTY) return this.line(prompt);
    const rl = this.rl;
    this.rl = undefined;
    rl?.close();
    const value = await readHidden(prompt, this.input, process.stderr);
    if (value === undefined) throw new UsageError(t('init.stdin_ended'));
    this.open();
    return value;
  }

  close(): void {
    const rl = this.rl;
    this.rl = undefined;
    rl?.close();
  }
}

/** Serial adapters by their stable names; a missing folder means none are plugged in. */
function serialPorts(dir: string): string[] {
  try {
    return readdirSync(dir)
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** uid/gid of the service user, when running as root and it exists, so it can read its secrets. */
function serviceUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('siaga:'));
    const f = line?.split(':');
    return f ? { uid: Number(f[2]), gid: Number(f[3]) } : undefined;
  } catch {
    return undefined;
  }
}

function readPasswordFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    const problem = `${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    throw new UsageError(t('init.bad_value', { flag: 'password-file', problem }));
  }
}

async function collect(o: InitOpts, ask: Answers | undefined): Promise<InitAnswers> {
  /** A flag's value, checked; else the question (re-asked until valid); else, scripted, an error. */
  const get = async (
    flag: string,
    given: string | undefined,
    question: MessageId,
    opts: {
      default?: string;
      check?: (v: string) => string | undefined;
      optional?: boolean;
      vars?: Vars;
    } = {},
  ): Promise<string> => {
    const check = opts.check ?? (() => undefined);
    if (given !== undefined) {
      const problem = check(given);
      if (problem) throw new UsageError(t('init.bad_value', { flag, problem }));
      return given;
    }
    if (!ask) {
      if (opts.default !== undefined || opts.optional) return opts.default ?? '';
      throw new UsageError(t('init.missing', { what: t(question, opts.vars), flag }));
    }
    for (;;) {
      const answer =
        (await ask.line(`${t(question, opts.vars)}${opts.default ? ` [${opts.default}]` : ''}: `)) ||
        opts.default ||
        '';
      const problem = answer === '' && opts.optional ? undefined : check(answer);
      if (!problem) return answer;
      process.stderr.write(`${t('init.invalid_answer', { what: t(question, opts.vars), problem })}\n`);
    }
  };
  const field = (name: keyof typeof FIELD_SCHEMAS) => (v: string) => problemWith(name, v);
  const number = (name: 'lat' | 'lon') => (v: string) =>
    v.trim() === '' || !Number.isFinite(Number(v)) ? t('init.not_number') : problemWith(name, Number(v));

  const name = await get('name', o.name, 'init.ask.name', { check: field('name') });
  const code = await get('code', o.code, 'init.ask.code', { check: field('code') });
  const lat = Number(await get('lat', o.lat, 'init.ask.lat', { check: number('lat') }));
  const lon = Number(await get('lon', o.lon, 'init.ask.lon', { check: number('lon') }));
  const id = await get('id', o.id, 'init.ask.id', { default: defaultGatewayId(name), check: field('id') });
  const centre = await get('centre', o.centre, 'init.ask.centre', { optional: true, check: field('centre') });
  let username = '';
  let password = '';
  if (centre) {
    username = await get('username', o.username, 'init.ask.username', { default: id });
    if (o.passwordFile !== undefined) password = readPasswordFile(o.passwordFile);
    else if (ask) password = await ask.hidden(`${t('init.ask.password')}: `);
  }
  let serial = o.serial ?? [];
  if (o.serial === undefined) {
    const found = serialPorts(o.serialDir);
    if (found.length === 0) process.stderr.write(`${t('init.no_serial', { dir: o.serialDir })}\n`);
    serial = [];
    for (const port of found) {
      const yes = ask
        ? await get('serial', undefined, 'init.ask.serial', { default: 'y', vars: { port } })
        : 'y';
      if (/^(y|ya|yes|j)/i.test(yes)) serial.push(port);
    }
  }
  const zone = await get('zone', o.zone, 'init.ask.zone', { default: name });
  const node = await get('node', o.node, 'init.ask.node', { default: 'pir-01', check: field('node') });
  const nodeType = await get('node-type', o.nodeType, 'init.ask.node_type', {
    default: 'pir',
    check: field('nodeType'),
  });
  return { name, code, lat, lon, id, centre, username, password, serial, zone, node, nodeType };
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(t('init.cmd'))
    .option('--name <name>', t('init.opt.name'))
    .option('--code <code>', t('init.opt.code'))
    .option('--lat <degrees>', t('init.opt.lat'))
    .option('--lon <degrees>', t('init.opt.lon'))
    .option('--id <id>', t('init.opt.id'))
    .option('--centre <url>', t('init.opt.centre'))
    .option('--username <name>', t('init.opt.username'))
    .option('--password-file <file>', t('init.opt.password_file'))
    .option('--serial <port>', t('init.opt.serial'), (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option('--serial-dir <dir>', t('init.opt.serial_dir')).default('/dev/serial/by-id'))
    .option('--zone <name>', t('init.opt.zone'))
    .option('--node <id>', t('init.opt.node'))
    .addOption(new Option('--node-type <type>', t('init.opt.node_type')).choices(READING_TYPES))
    .option('-o, --output <file>', t('init.opt.output'), DEFAULT_CONFIG_PATH)
    .option('--force', t('init.opt.force'))
    .option('--non-interactive', t('init.opt.non_interactive'))
    .action(
      action(async (o: InitOpts) => {
        const file = resolve(o.output);
        const dir = dirname(file);
        // Checked before any question, so nobody answers ten of them to be refused at the end.
        const exists = [file, join(dir, UPLINK_PASSWORD_FILE), join(dir, COMMAND_KEY_FILE)].find(existsSync);
        if (exists && !o.force) throw new UsageError(t('init.exists', { file: exists }));
        const ask = o.nonInteractive ? undefined : new Answers(process.stdin);
        if (ask) process.stderr.write(`${t('init.intro')}\n`);
        let answers: InitAnswers;
        try {
          answers = await collect(o, ask);
        } finally {
          ask?.close();
        }

        mkdirSync(dir, { recursive: true });
        const owner = serviceUser();
        const secret = (name: string, value: string) => {
          const path = join(dir, name);
          writeFileSync(path, `${value}\n`, { mode: 0o600 });
          chmodSync(path, 0o600); // an existing file keeps its mode otherwise
          if (owner) chownSync(path, owner.uid, owner.gid);
          out(t('init.wrote_secret', { file: path }));
        };
        if (answers.centre && answers.password) secret(UPLINK_PASSWORD_FILE, answers.password);
        if (answers.centre) secret(COMMAND_KEY_FILE, randomBytes(32).toString('hex'));
        const header = `# siaga config written by \`siaga init\`; every key is explained in config/siaga.example.yaml\n`;
        const doc = new Document(initConfig(answers));
        // Quoted as in the example: unquoted, a code such as 18.07 would read as a number.
        const code = doc.getIn(['gateway', 'site', 'village_code'], true);
        if (isScalar(code)) code.type = 'QUOTE_DOUBLE';
        writeFileSync(file, header + doc.toString(), { mode: 0o640 });
        if (owner) chownSync(file, 0, owner.gid);
        // What was written must pass the same check as the gateway's; a failure here is a bug.
        loadConfig(file);
        out(t('init.wrote', { file }));
        if (answers.centre)
          out(t('init.command_key', { id: COMMAND_KEY_ID, file: join(dir, COMMAND_KEY_FILE) }));
        out(t('init.next', { file }));
      }),
    );
}
