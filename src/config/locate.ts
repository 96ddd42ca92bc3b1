import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

export interface Position {
  line: number;
  col: number;
}

/** `zones[1].sirens[0]` → `['zones', 1, 'sirens', 0]` (the inverse of formatPath). */
export function parsePath(path: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (index !== undefined) out.push(Number(index));
    else if (key !== undefined) out.push(key);
  }
  return out;
}

/**
 * Where `path` is written in the file: its value, or with `key` the key itself (an unknown key).
 * A path that is not in the file (a missing key) points at the deepest part that is.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: readonly PropertyKey[],
  opts: { key?: boolean } = {},
): Position | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  let found = doc.contents ?? undefined;
  let foundKey: unknown;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      keyNode = undefined;
      node = node.items[seg];
      if (node === undefined) break;
    } else break;
    found = (node as Node | null) ?? (keyNode as Node);
    foundKey = keyNode;
  }
  const target = (opts.key ? foundKey : undefined) ?? found ?? foundKey;
  const offset = (target as Node | undefined)?.range?.[0];
  if (offset === undefined) return undefined;
  const pos = lines.linePos(offset);
  return { line: pos.line, col: pos.col };
}
