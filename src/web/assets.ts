import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

/**
 * The page's files, shipped in the package and read once at start: the village may have no
 * internet, so nothing comes from a CDN, and there is no front-end build step.
 */
export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export const ASSET_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'draw.js': 'text/javascript; charset=utf-8',
  'texts.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

export function defaultPublicDir(): string {
  return join(packageRoot(), 'src', 'web', 'public');
}

export function loadAssets(dir = defaultPublicDir()): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(ASSET_FILES)) {
    const body = readFileSync(join(dir, name));
    out.set(name, { body, type, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
  }
  return out;
}
