import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASSET_FILES, defaultPublicDir, loadAssets } from '../../src/web/assets.js';
import { escapeHtml, scriptJson } from '../../src/web/layout.js';
import { contrast } from '../helpers/contrast.js';

const css = readFileSync(`${defaultPublicDir()}/style.css`, 'utf8');
const variable = (name: string) => {
  const m = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})`).exec(css);
  if (!m?.[1]) throw new Error(`--${name} not in style.css`);
  return m[1];
};

describe('the village screen page', () => {
  it('is at most 100 KB uncompressed (HTML, CSS and JS together)', () => {
    const total = [...loadAssets().values()].reduce((n, a) => n + a.body.length, 0);
    expect(Object.keys(ASSET_FILES)).toEqual(['index.html', 'app.js', 'draw.js', 'texts.js', 'style.css']);
    expect(total).toBeLessThanOrEqual(100 * 1024);
  });

  it('loads nothing from outside the gateway (no CDN: the village may have no internet)', () => {
    for (const a of loadAssets().values()) expect(a.body.toString('utf8')).not.toMatch(/(src|href)="https?:/);
  });

  it('writes each level in a colour whose text contrast is at least 4.5:1', () => {
    for (const level of ['normal', 'waspada', 'siaga', 'awas']) {
      const bg = variable(level);
      const rule = new RegExp(
        `\\.zone\\[data-level="${level.toUpperCase()}"\\][^{]*\\{[^}]*color:\\s*(#[0-9a-fA-F]{3,6});`,
      );
      const fg = rule.exec(css)?.[1];
      expect(fg, level).toBeDefined();
      expect(contrast(bg, fg as string), level).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('embeds config text safely: no tag can close the layout script, no attribute can be broken out of', () => {
    const json = scriptJson({ name: '</script><script>alert(1)</script>' });
    expect(json).not.toContain('</');
    expect(JSON.parse(json)).toEqual({ name: '</script><script>alert(1)</script>' });
    expect(escapeHtml('"><img src=x>')).toBe('&quot;&gt;&lt;img src=x&gt;');
  });
});
