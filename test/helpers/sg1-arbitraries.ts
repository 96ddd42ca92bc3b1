import fc from 'fast-check';
import type { Frame, ReadingType, Values } from '../../src/domain/index.js';
import { READING_TYPES } from '../../src/domain/index.js';

/**
 * Valid SG1 frames for property tests: siaga's own parser (test/unit/sg1) and the Node-RED peer of
 * bench:peer (test/unit/bench-peer-flow) are held to the same frames.
 */

const KNOWN_FIELDS = new Set([
  'n',
  'pgv',
  'f',
  'cut',
  'label',
  'conf',
  'kv',
  'lat',
  'lon',
  'hdop',
  'p',
  'bat',
  'rssi',
  'temp',
]);
const num = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const flag = fc.constantFrom(0, 1);
/** Fields a frame of each type needs to pass validateFields. */
const TYPE_FIELDS: Record<ReadingType, fc.Arbitrary<Values>> = {
  hb: fc.record({ rssi: fc.integer({ min: -140, max: 0 }), temp: num(-40, 85) }, { requiredKeys: [] }),
  pir: fc.record({ n: fc.nat() }),
  seis: fc.record({ pgv: num(0, 1e6), f: num(0, 1000) }, { requiredKeys: ['pgv'] }),
  beam: fc.record({ cut: flag }),
  cam: fc.record({
    label: fc.constantFrom('elephant', 'human', 'animal', 'vehicle', 'unknown'),
    conf: num(0, 1),
  }),
  fence: fc.record({ kv: num(0, 99.99) }),
  gps: fc.record(
    { lat: num(-90, 90), lon: num(-180, 180), hdop: num(0, 50) },
    { requiredKeys: ['lat', 'lon'] },
  ),
  btn: fc.record({ p: flag }),
};
const text = fc
  .stringMatching(/^[!-~]{1,12}$/)
  .filter((s) => !/[$*,=]/.test(s) && !/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s));
const extra = fc.dictionary(
  fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/).filter((k) => !KNOWN_FIELDS.has(k)),
  fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), text),
  { maxKeys: 4 },
);
/** Frames that parseSg1 must accept, including odd numbers (-0, 1e-7, 1e+300) and text fields. */
export const validFrame: fc.Arbitrary<Frame> = fc
  .record({
    node: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/),
    seq: fc.integer({ min: 0, max: 4294967295 }),
    type: fc.constantFrom(...READING_TYPES),
    bat: fc.option(num(0, 99), { nil: undefined }),
    extra,
  })
  .chain(({ node, seq, type, bat, extra }) =>
    TYPE_FIELDS[type].map((fields): Frame => {
      const v: Values = { ...extra, ...fields };
      if (bat !== undefined) v.bat = bat;
      return { node, seq, type, v };
    }),
  );
