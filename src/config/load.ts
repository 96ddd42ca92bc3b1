import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../domain/index.js';
import { locate, parsePath } from './locate.js';
import { checkRefs } from './refs.js';
import { buildConfigSchema, type Config, type ConfigSchema } from './schema.js';
import { resolveSecretFiles } from './secrets.js';
import { allowedKeys, nearest } from './suggest.js';

export interface LoadedConfig {
  config: Config;
  file: string;
}

/** Reads, parses and validates a config file; throws ConfigError listing every problem. */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT' ? 'not found; pass -c <file> or set SIAGA_CONFIG' : `cannot be read (${code})`;
    throw new ConfigError([{ path: '', message: `${file}: ${hint}` }], file);
  }
  return { config: parseConfig(text, dirname(resolve(file)), file), file };
}

/**
 * Validates config text; `baseDir` resolves relative `*_file` paths and a relative storage path.
 * Every problem is reported in one go (schema, cross-references and secret files together), each
 * with its line and column, so a technician with a slow SSH link fixes the file in one round.
 */
export function parseConfig(text: string, baseDir: string, file?: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    // The tree after a syntax error is a guess; checking it would report problems that are not there.
    throw new ConfigError(
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { path: '', message: `YAML syntax: ${firstLine(e.message)}`, line, col };
      }),
      file,
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(
      [{ path: '', message: 'the file must be a YAML mapping (gateway:, nodes:, zones:, …)' }],
      file,
    );
  }
  const secretIssues = resolveSecretFiles(raw, baseDir);
  // Built for this check only: nothing keeps it once this returns (schema.ts, buildConfigSchema).
  const schema = buildConfigSchema();
  const parsed = schema.safeParse(raw, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'is required' : undefined),
  });
  const schemaIssues = parsed.success ? [] : zodIssues(parsed.error, raw, schema);
  const issues = [
    ...secretIssues.map((i) => ({ ...i, ...locate(doc, lines, parsePath(i.path)) })),
    ...schemaIssues.map(({ segments, key, ...i }) => ({ ...i, ...locate(doc, lines, segments, { key }) })),
    ...checkRefs(parsed.success ? parsed.data : raw).map((i) => ({
      ...i,
      ...locate(doc, lines, parsePath(i.path)),
    })),
  ];
  if (issues.length > 0 || !parsed.success) throw new ConfigError(inFileOrder(issues), file);
  const config = parsed.data;
  // Every file the config names is relative to the config file, wherever the gateway runs from
  // (systemd starts it in /var/lib/siaga), as the *_file secrets already are.
  config.storage.path = resolve(baseDir, config.storage.path);
  if (config.uplink) {
    for (const k of ['ca_file', 'cert_file', 'key_file'] as const) {
      const f = config.uplink[k];
      if (f !== undefined) config.uplink[k] = resolve(baseDir, f);
    }
  }
  const tls = config.local_broker.tls;
  if (tls)
    config.local_broker.tls = {
      cert_file: resolve(baseDir, tls.cert_file),
      key_file: resolve(baseDir, tls.key_file),
    };
  if (config.control.socket !== undefined) config.control.socket = resolve(baseDir, config.control.socket);
  config.alerts.sms.spool = resolve(baseDir, config.alerts.sms.spool);
  config.alerts.cap.dir = resolve(baseDir, config.alerts.cap.dir);
  return config;
}

interface SchemaIssue extends ConfigIssue {
  segments: PropertyKey[];
  /** Points at the key rather than its value (an unknown key). */
  key: boolean;
}

/** One issue per unknown key (with the nearest allowed key), the others as zod words them. */
function zodIssues(error: z.ZodError, raw: unknown, schema: ConfigSchema): SchemaIssue[] {
  return error.issues.flatMap((i): SchemaIssue[] => {
    if (i.code !== 'unrecognized_keys')
      return [{ path: formatPath(i.path), message: i.message, segments: [...i.path], key: false }];
    const allowed = allowedKeys(schema, i.path, raw);
    return i.keys.map((k) => {
      const guess = nearest(k, allowed);
      return {
        path: formatPath([...i.path, k]),
        message: guess
          ? `unknown key "${k}"; did you mean "${guess}"?`
          : `unknown key "${k}"${allowed.length > 0 ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
        segments: [...i.path, k],
        key: true,
      };
    });
  });
}

/** Top of the file first, as the technician scrolls; problems without a place keep their order. */
function inFileOrder(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, n) => ({ issue, n }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.col ?? 0) - (b.issue.col ?? 0) || a.n - b.n,
    )
    .map((x) => x.issue);
}

/** `['zones', 1, 'sirens', 0]` → `zones[1].sirens[0]` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
