// `node --import ./intl-trace.mjs …`: appends one line to $SIAGA_INTL_TRACE for every call that
// reads ICU's locale data (an Intl formatter, a collator, localeCompare, toLocale*), with where it
// came from. The first of them pages in 3–8 MB that stay resident for the process's life, so a
// test can check that a running gateway makes none (test/integration/idle-icu.test.ts).
import { appendFileSync } from 'node:fs';

const file = process.env.SIAGA_INTL_TRACE;
const note = (what) => {
  const where = (new Error().stack ?? '')
    .split('\n')
    .slice(3, 6)
    .map((s) => s.trim());
  appendFileSync(file, `${what} ${where.join(' < ')}\n`);
};

for (const name of [
  'DateTimeFormat',
  'NumberFormat',
  'Collator',
  'PluralRules',
  'RelativeTimeFormat',
  'ListFormat',
  'Segmenter',
  'DisplayNames',
]) {
  const Real = Intl[name];
  Intl[name] = new Proxy(Real, {
    construct(T, args) {
      note(`Intl.${name}`);
      return new T(...args);
    },
    apply(T, self, args) {
      note(`Intl.${name}`);
      return T.apply(self, args);
    },
  });
}
const methods = [
  [String.prototype, 'localeCompare'],
  [String.prototype, 'toLocaleUpperCase'],
  [String.prototype, 'toLocaleLowerCase'],
  [Number.prototype, 'toLocaleString'],
  [Array.prototype, 'toLocaleString'],
  [Date.prototype, 'toLocaleString'],
  [Date.prototype, 'toLocaleDateString'],
  [Date.prototype, 'toLocaleTimeString'],
];
for (const [proto, m] of methods) {
  const real = proto[m];
  proto[m] = function (...args) {
    note(m);
    return real.apply(this, args);
  };
}
