import type { Parsed, ReadingType, Values } from '../domain/index.js';
import { ok, reject } from '../domain/index.js';

/** Labels a camera trap's on-board classifier may report (docs/wire.md §1). */
export const CAM_LABELS = ['elephant', 'human', 'animal', 'vehicle', 'unknown'] as const;

type Check = (v: Values) => string | undefined;

const num = (v: Values, k: string): number | undefined => {
  const x = v[k];
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
};

const required =
  (k: string, test: (x: number) => boolean, what: string): Check =>
  (v) => {
    if (!(k in v)) return `missing_field:${k}`;
    const x = num(v, k);
    return x === undefined || !test(x) ? `bad_value:${k} must be ${what}` : undefined;
  };

const optional = (k: string, test: (x: number) => boolean, what: string): Check => {
  // Made once: building the check per call was an allocation for nearly every reading (bat).
  const present = required(k, test, what);
  return (v) => (k in v ? present(v) : undefined);
};

const flag = (x: number) => x === 0 || x === 1;
const nonNegInt = (x: number) => Number.isInteger(x) && x >= 0;
const finite = (_x: number) => true;

/** Per-type field rules; a reading whose fields break them is refused with the field named. */
const RULES: Record<ReadingType, Check[]> = {
  hb: [],
  pir: [required('n', nonNegInt, 'an integer ≥ 0')],
  seis: [
    required('pgv', (x) => x >= 0, 'a number ≥ 0 (mm/s)'),
    optional('f', (x) => x >= 0, 'a number ≥ 0 (Hz)'),
  ],
  beam: [required('cut', flag, '0 or 1')],
  cam: [
    (v) => {
      const label = v.label;
      if (label === undefined) return 'missing_field:label';
      return typeof label === 'string' && (CAM_LABELS as readonly string[]).includes(label)
        ? undefined
        : `bad_value:label must be one of ${CAM_LABELS.join(', ')}`;
    },
    required('conf', (x) => x >= 0 && x <= 1, 'a number from 0 to 1'),
  ],
  fence: [required('kv', (x) => x >= 0 && x < 100, 'a voltage in kV from 0 to 100')],
  gps: [
    required('lat', (x) => x >= -90 && x <= 90, 'a latitude'),
    required('lon', (x) => x >= -180 && x <= 180, 'a longitude'),
    optional('hdop', (x) => x >= 0, 'a number ≥ 0'),
  ],
  // 1 pressed, 0 cancelled, 2 held (acknowledges the zone's open incident: README, Alerts for people)
  btn: [required('p', (x) => x === 0 || x === 1 || x === 2, '0, 1 or 2')],
};

/** Common optional fields any type may carry. */
const COMMON: Check[] = [
  optional('bat', (x) => x >= 0 && x < 100, 'a voltage from 0 to 100'),
  optional('rssi', (x) => x >= -200 && x <= 50, 'a dBm value'),
  optional('temp', finite, 'a number'),
];

/**
 * Checks a frame's fields against its type (docs/wire.md §1 table). Returns the values unchanged when
 * they are valid; else the reason `missing_field` or `bad_value`, with the field in `detail`.
 */
export function validateFields(type: ReadingType, v: Values): Parsed<Values> {
  const problem = fieldProblem(type, v);
  return problem === undefined ? ok(v) : problem;
}

/** {@link validateFields} without the wrapper for valid fields: undefined when they are (P1). */
export function fieldProblem(type: ReadingType, v: Values): Parsed<never> | undefined {
  // Two loops, not one over a spread of both lists: every serial line passes here (P1).
  const problem = firstProblem(RULES[type], v) ?? firstProblem(COMMON, v);
  if (problem === undefined) return undefined;
  const i = problem.indexOf(':');
  return reject(problem.slice(0, i), problem.slice(i + 1));
}

function firstProblem(checks: readonly Check[], v: Values): string | undefined {
  for (const check of checks) {
    const problem = check(v);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
