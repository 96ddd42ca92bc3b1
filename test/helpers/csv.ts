import { must } from './must.js';

/** RFC 4180, to prove what we export reads back: quoted fields may hold commas, CR/LF and doubled quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const next = () => text.charAt(i + 1);
  for (; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && next() === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && next() === '\n')) {
      if (c === '\r') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Header row → one object per data row; a row of another width than the header is a broken file. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('CSV without a header row');
  for (const r of rows) {
    if (r.length !== header.length)
      throw new Error(`CSV row of ${r.length} fields under ${header.length} columns`);
  }
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/** The one record matching `pred`, or a failure naming what was missing. */
export function findRecord(
  recs: Record<string, string>[],
  pred: (r: Record<string, string>) => boolean,
  what: string,
): Record<string, string> {
  return must(recs.find(pred), what);
}

/** A column of a record, which must be there. */
export function col(rec: Record<string, string> | undefined, name: string): string {
  return must(must(rec, 'a CSV record')[name], `column ${name}`);
}
