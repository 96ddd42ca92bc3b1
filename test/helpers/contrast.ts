/** The three 0–255 channels of `#rgb`, `#rrggbb` or a computed `rgb(r, g, b)`. */
function channels(colour: string): [number, number, number] {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
    return [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
  }
  const rgb = colour.match(/\d+(\.\d+)?/g);
  if (!rgb || rgb.length < 3) throw new Error(`not a colour: "${colour}"`);
  return rgb.slice(0, 3).map(Number) as [number, number, number];
}

/** WCAG 2 contrast ratio of two colours (1…21); text needs ≥ 4.5. */
export function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = channels(c).map((x) => {
      const v = x / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}
