import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { buildConfigSchema } from '../../src/config/schema.js';
import { EVENT_KINDS } from '../../src/domain/index.js';

const configSchema = buildConfigSchema();

const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLE = readFileSync(join(ROOT, 'config/siaga.example.yaml'), 'utf8');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/**
 * Every key path of the schema: `a.b`, `a[].b` for arrays of objects; the options of a union
 * (the siren drivers) all count, wrappers (optional, default, refine…) are looked through.
 */
function schemaPaths(schema: z.ZodType, prefix = ''): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'object': {
      const out: string[] = [];
      for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        const path = prefix ? `${prefix}.${key}` : key;
        out.push(path, ...schemaPaths(value, path));
      }
      return out;
    }
    case 'array':
      return schemaPaths(def.element as z.ZodType, `${prefix}[]`);
    case 'union':
      return [...new Set((def.options as z.ZodType[]).flatMap((o) => schemaPaths(o, prefix)))];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return schemaPaths(def.innerType as z.ZodType, prefix);
    case 'pipe':
      return schemaPaths(def.in as z.ZodType, prefix);
    default:
      return []; // a leaf: string, number, enum, tuple of values…
  }
}

/** Key paths present in a parsed YAML value, in the same notation. */
function valuePaths(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => valuePaths(x, `${prefix}[]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return [path, ...valuePaths(x, path)];
  });
}

/**
 * The example with its commented-out keys switched on (`# cert_file: …`, `# - {id: s-gpio, …}`):
 * a key shown in a comment is documented. A comment line is uncommented only when the file still
 * parses with it, so prose comments stay prose.
 */
function exampleWithCommentedKeys(text: string): unknown {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)#\s?(\s*(?:- )?[A-Za-z_{][^#]*?:.*)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const uncommented = `${m[1]}${m[2]}`;
    const candidate = [...lines];
    candidate[i] = uncommented;
    try {
      parse(candidate.join('\n'), { uniqueKeys: true });
      lines[i] = uncommented;
    } catch {
      // prose, or a fragment that does not fit here
    }
  }
  return parse(lines.join('\n'));
}

describe('config/siaga.example.yaml documents every key of the schema', () => {
  it('lists every key (commented-out counts), each missing one named by its path', () => {
    const documented = new Set(valuePaths(exampleWithCommentedKeys(EXAMPLE)));
    const missing = schemaPaths(configSchema).filter((p) => !documented.has(p));
    expect(missing, `keys missing from config/siaga.example.yaml:\n${missing.join('\n')}`).toEqual([]);
  });

  it('the walk sees nested, array, union and wrapped keys (so an empty list above means something)', () => {
    const paths = schemaPaths(configSchema);
    for (const p of [
      'gateway.site.tz',
      'storage.group_commit.routine_delay_ms',
      'nodes[].expect_every_s',
      'sirens[].active_low', // only the gpio driver has it
      'sirens[].fport', // only the lora driver has it
      'uplink.backoff.max_ms', // inside an optional object
      'detection.thresholds.awas', // inside a refined object
    ]) {
      expect(paths).toContain(p);
    }
  });

  it('every key the example sets exists in the schema (no stale documentation)', () => {
    const known = new Set(schemaPaths(configSchema));
    const stale = valuePaths(parse(EXAMPLE)).filter((p) => !known.has(p));
    expect(stale, `keys in config/siaga.example.yaml the schema does not know:\n${stale.join('\n')}`).toEqual(
      [],
    );
  });

  it('says what a crash can lose: routine readings up to routine_delay_ms, evidence and events up to max_delay_ms', () => {
    const line = (key: string) => EXAMPLE.split('\n').find((l) => new RegExp(`^\\s*${key}:`).test(l)) ?? '';
    expect(line('routine_delay_ms')).toMatch(/crash|power cut/i);
    expect(line('max_delay_ms')).not.toMatch(/crash loses at most this/);
  });
});

/** The kinds named in the first column of the README's "Event kinds" table. */
function readmeEventKinds(text: string): string[] {
  const start = text.indexOf('### Event kinds');
  expect(start, 'README.md has a "### Event kinds" section').toBeGreaterThanOrEqual(0);
  const kinds: string[] = [];
  let inTable = false;
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (line.startsWith('|')) {
      inTable = true;
      const m = /^\|\s*`([a-z_]+)`\s*\|/.exec(line);
      if (m?.[1]) kinds.push(m[1]);
    } else if (inTable) break;
  }
  return kinds;
}

describe("README's list of event kinds is the code's", () => {
  it('every kind listed in the README exists in the code', () => {
    const listed = readmeEventKinds(README);
    const unknown = listed.filter((k) => !(EVENT_KINDS as readonly string[]).includes(k));
    expect(unknown, `README lists event kinds the code does not have: ${unknown.join(', ')}`).toEqual([]);
  });

  it('every kind in the code is listed in the README, once', () => {
    const listed = readmeEventKinds(README);
    const unlisted = EVENT_KINDS.filter((k) => !listed.includes(k));
    expect(unlisted, `event kinds missing from README.md "### Event kinds": ${unlisted.join(', ')}`).toEqual(
      [],
    );
    expect(listed.length).toBe(new Set(listed).size);
  });
});
