import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../domain/index.js';
import { checkRefs } from './refs.js';
import { type Config, configSchema } from './schema.js';
import { resolveSecretFiles } from './secrets.js';

export const DEFAULT_CONFIG_PATH = '/etc/siaga/siaga.yaml';

/** `-c <file>`, else `$SIAGA_CONFIG`, else /etc/siaga/siaga.yaml (config-and-cli.md). */
export function configPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.SIAGA_CONFIG ?? DEFAULT_CONFIG_PATH);
}

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

/** Validates config text; `baseDir` resolves relative `*_file` paths and a relative storage path. */
export function parseConfig(text: string, baseDir: string, file?: string): Config {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: '',
        message: `YAML ${e.linePos?.[0] ? `line ${e.linePos[0].line}: ` : ''}${firstLine(e.message)}`,
      })),
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
  const parsed = configSchema.safeParse(raw, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'is required' : undefined),
  });
  if (!parsed.success) throw new ConfigError([...secretIssues, ...zodIssues(parsed.error)], file);
  const issues = [...secretIssues, ...checkRefs(parsed.data)];
  if (issues.length > 0) throw new ConfigError(issues, file);
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
  return config;
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
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
