// Building the page's pieces: elements from plain values (text is always text, never HTML) and
// the two drawings, map and timeline, as SVG from the config (no tile server, no canvas).

/** Builds an element; strings become text nodes, never HTML. */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) el.append(kid);
  return el;
}
const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {}))
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid);
  return el;
}

/** The level colours of style.css, for the drawings. */
const LEVEL_COLOUR = { NORMAL: '#1b6e30', WASPADA: '#f5c400', SIAGA: '#f08a24', AWAS: '#b71c1c' };

// Equirectangular metres around the village: fine for a few kilometres, and needs no tiles.
function project(site, lat, lon) {
  const k = Math.cos((site.lat * Math.PI) / 180);
  return { x: (lon - site.lon) * 111320 * k, y: (site.lat - lat) * 110574 };
}
/** The zones' circles, the gateway and every node, from the config's coordinates. */
export function drawMap(v) {
  const L = v.layout;
  const zones = L.zones.map((z, i) => {
    const c = z.center ? project(L.site, z.center[0], z.center[1]) : { x: (i + 1) * 3000, y: 0 };
    return { ...z, c };
  });
  const byZone = {};
  for (const n of L.nodes) {
    byZone[n.zone] = byZone[n.zone] || [];
    byZone[n.zone].push(n);
  }
  const dots = [];
  for (const z of zones) {
    const ns = byZone[z.id] || [];
    ns.forEach((n, i) => {
      const placed = n.lat !== null && n.lon !== null;
      const p = placed
        ? project(L.site, n.lat, n.lon)
        : {
            x: z.c.x + Math.cos((2 * Math.PI * i) / ns.length) * z.radius_m * 0.55,
            y: z.c.y + Math.sin((2 * Math.PI * i) / ns.length) * z.radius_m * 0.55,
          };
      dots.push({ n, p, placed });
    });
  }
  let minX = 0,
    maxX = 0,
    minY = 0,
    maxY = 0;
  const grow = (x, y, r) => {
    minX = Math.min(minX, x - r);
    maxX = Math.max(maxX, x + r);
    minY = Math.min(minY, y - r);
    maxY = Math.max(maxY, y + r);
  };
  for (const z of zones) grow(z.c.x, z.c.y, z.radius_m);
  for (const d of dots) grow(d.p.x, d.p.y, 100);
  // Room around the circles for the names written beside and above them.
  const pad = Math.max(maxX - minX, maxY - minY) * 0.22;
  const W = 600;
  const scale = W / (maxX - minX + 2 * pad);
  const H = Math.max(200, (maxY - minY + 2 * pad) * scale);
  const X = (x) => (x - minX + pad) * scale;
  const Y = (y) => (y - minY + pad) * scale;
  const { levelOf, t } = v;
  const colour = LEVEL_COLOUR;
  const nodeState = v.nodeStates;
  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${Math.round(H)}`, role: 'img', 'aria-label': `${t('map')}: ${L.site.name}` },
    zones.map((z) => {
      const lv = levelOf(z.id);
      return s(
        'g',
        { 'data-map-zone': z.id, 'data-level': lv },
        s('circle', {
          cx: X(z.c.x),
          cy: Y(z.c.y),
          r: z.radius_m * scale,
          fill: colour[lv],
          'fill-opacity': 0.18,
          stroke: colour[lv],
          'stroke-width': 3,
        }),
        s(
          'text',
          { x: X(z.c.x), y: Y(z.c.y) - z.radius_m * scale - 4, 'text-anchor': 'middle' },
          `${z.name} · ${lv}`,
        ),
      );
    }),
    s('rect', { x: X(0) - 6, y: Y(0) - 6, width: 12, height: 12, fill: '#102a43' }),
    s('text', { x: X(0) + 10, y: Y(0) + 26, 'font-weight': 700 }, `${L.site.name} (${t('gateway')})`),
    dots.map(({ n, p, placed }) => {
      const st = nodeState[n.id] || 'unknown';
      return s(
        'g',
        { 'data-map-node': n.id, 'data-state': st },
        s(
          'title',
          {},
          `${n.id}${n.name ? ` · ${n.name}` : ''} · ${t(st)}${placed ? '' : ` · ${t('approx')}`}`,
        ),
        s('circle', {
          cx: X(p.x),
          cy: Y(p.y),
          r: 8,
          fill: st === 'online' ? '#1b6e30' : st === 'offline' ? '#b71c1c' : '#8a9099',
          stroke: '#fff',
          'stroke-width': 2,
          'stroke-dasharray': placed ? null : '3 2',
        }),
        s('text', { x: X(p.x) + 11, y: Y(p.y) + 5 }, n.id),
      );
    }),
  );
  return svg;
}

/** The last 24 hours: one bar per zone, coloured by level. */
export function drawTimeline(v) {
  const L = v.layout;
  const now = Date.now();
  const from = now - 24 * 3600e3;
  const W = 600,
    rowH = 26,
    left = 0,
    top = 4;
  const colour = LEVEL_COLOUR;
  const X = (ms) => left + ((Math.max(ms, from) - from) / (now - from)) * (W - left);
  const rows = L.zones.map((z, i) => {
    const changes = v.events
      .filter((e) => e.kind === 'level' && e.fields.zone === z.id && e.ts >= from)
      .sort((a, b) => a.ts - b.ts);
    const current = v.levelOf(z.id);
    let level = changes.length ? changes[0].fields.prev || 'NORMAL' : current;
    let start = from;
    const y = top + i * (rowH + 30) + 26;
    const bars = [];
    for (const c of changes) {
      bars.push(
        s('rect', {
          x: X(start),
          y,
          width: Math.max(1, X(c.ts) - X(start)),
          height: rowH,
          fill: colour[level] || '#8a9099',
        }),
      );
      level = c.fields.level;
      start = c.ts;
    }
    bars.push(
      s('rect', {
        x: X(start),
        y,
        width: Math.max(1, X(now) - X(start)),
        height: rowH,
        fill: colour[level] || '#8a9099',
      }),
    );
    return s('g', { 'data-timeline-zone': z.id }, s('text', { x: 0, y: y - 3 }, z.name), bars);
  });
  const ticks = [];
  for (let k = 0; k <= 4; k++) {
    const ms = from + (k * (now - from)) / 4;
    ticks.push(
      s('text', { x: Math.min(X(ms), W - 60), y: top + L.zones.length * (rowH + 30) + 26 }, v.clock(ms)),
    );
  }
  const H = top + L.zones.length * (rowH + 30) + 34;
  return s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': v.t('last24') }, rows, ticks);
}
