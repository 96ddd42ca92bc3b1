import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutboxReadingRow } from '../../src/store/outbox.js';
import {
  readingJson,
  readingsBatchJson,
  readingsBatchOfBody,
  readingsBatchWithin,
  readingsBodyBudget,
} from '../../src/uplink/payloads.js';

const row = (oid: number, pad: string): OutboxReadingRow => ({
  oid,
  id: `01J${String(oid).padStart(23, '0')}`,
  node: 'cam-02',
  seq: oid,
  type: 'cam',
  ts: 1_763_892_000_000 + oid,
  via: 'mqtt',
  v: JSON.stringify({ label: pad }),
  radio: null,
  clock_ok: 1,
});

const bytes = (s: string) => Buffer.byteLength(s);

describe('readings batch limited by bytes', () => {
  it('takes the longest prefix within max_bytes (UTF-8), at least one row, and the JSON is that batch', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 400 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 200, max: 6000 }),
        (pads, maxBytes) => {
          const rows = pads.map((p, i) => row(i + 1, p));
          const { json, count } = readingsBatchWithin('gw-1', 'b-1', rows, maxBytes);
          expect(count).toBeGreaterThanOrEqual(1);
          expect(json).toBe(readingsBatchJson('gw-1', 'b-1', rows.slice(0, count)));
          if (count > 1) expect(bytes(json)).toBeLessThanOrEqual(maxBytes);
          if (count < rows.length)
            expect(bytes(readingsBatchJson('gw-1', 'b-1', rows.slice(0, count + 1)))).toBeGreaterThan(
              maxBytes,
            );
        },
      ),
    );
  });

  it('a single reading larger than max_bytes goes alone, not never', () => {
    const big = row(1, 'x'.repeat(3000));
    const { json, count } = readingsBatchWithin('gw-1', 'b-1', [big, row(2, 'small')], 1024);
    expect(count).toBe(1);
    expect(JSON.parse(json).readings.map((r: { seq: number }) => r.seq)).toEqual([1]);
  });

  it('counts bytes, not characters: multi-byte text fills a batch sooner', () => {
    const rows = [row(1, 'é'.repeat(300)), row(2, 'é'.repeat(300))];
    // ≈ 750 characters for both, but ≈ 1350 bytes
    expect(readingsBatchWithin('gw-1', 'b-1', rows, 1100).count).toBe(1);
  });
});

describe('a packed batch (readings joined as bytes)', () => {
  it('property: is byte for byte the batch built from the same readings, and fits max_bytes exactly when its body fits the budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { minLength: 1, maxLength: 30 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
        fc.integer({ min: 200, max: 8000 }),
        (pads, gw, maxBytes) => {
          const rows = pads.map((p, i) => row(i + 1, p));
          const batchId = '01JB'.padEnd(26, 'Z');
          const body = Buffer.from(rows.map(readingJson).join(','));
          const payload = readingsBatchOfBody(gw, batchId, body);
          expect(payload.toString('utf8')).toBe(readingsBatchJson(gw, batchId, rows));
          const budget = readingsBodyBudget(gw, batchId.length, maxBytes);
          expect(body.length <= budget).toBe(payload.length <= maxBytes);
        },
      ),
    );
  });
});
