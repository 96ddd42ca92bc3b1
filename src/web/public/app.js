// The village screen. Plain JavaScript on purpose: no build step, no framework, no network but
// the gateway's own. Data: /api/* (the same answers as the CLI), live changes from /api/stream.

import { drawMap, drawTimeline, h } from './draw.js';
import { TEXT } from './texts.js';

const $ = (id) => document.getElementById(id);
const LAYOUT = JSON.parse($('layout').textContent);
const LEVELS = ['NORMAL', 'WASPADA', 'SIAGA', 'AWAS'];
const ZONE_NAMES = Object.fromEntries(LAYOUT.zones.map((z) => [z.id, z.name]));
const NODE_CFG = Object.fromEntries(LAYOUT.nodes.map((n) => [n.id, n]));

let lang = localStorage.getItem('siaga.lang') === 'en' ? 'en' : 'id';
const t = (key, vars = {}) =>
  String(TEXT[lang][key] ?? TEXT.id[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? '') + '');

const state = {
  status: null,
  nodes: [],
  events: [],
  incidents: [],
  session: { user: null, role: null, can_act: false },
  csrf: document.querySelector('meta[name="csrf-token"]').content,
  conn: 'connecting',
  lastLevels: LAYOUT.last_levels || {},
};

// ---- time, in the site's zone (a phone may be set to anything) ----
const tz = LAYOUT.site.tz;
const clockFmt = () =>
  new Intl.DateTimeFormat(lang === 'id' ? 'id-ID' : 'en-GB', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
const dayFmt = () =>
  new Intl.DateTimeFormat(lang === 'id' ? 'id-ID' : 'en-GB', {
    timeZone: tz,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
const at = (ms) => (Date.now() - ms < 20 * 3600e3 ? clockFmt() : dayFmt()).format(new Date(ms));
function ago(ms) {
  const d = Math.max(0, Date.now() - ms) / 1000;
  if (d < 45) return t('now');
  const unit = lang === 'id' ? { m: 'mnt', h: 'jam', d: 'hari' } : { m: 'min', h: 'h', d: 'd' };
  const text =
    d < 3600
      ? `${Math.round(d / 60)} ${unit.m}`
      : d < 86400
        ? `${Math.round(d / 3600)} ${unit.h}`
        : `${Math.round(d / 86400)} ${unit.d}`;
  return t('ago', { d: text });
}
const isoDay = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date(ms));

// ---- the API ----
async function api(path, opts = {}) {
  const init = { credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (opts.method === 'POST') {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    init.headers['x-csrf-token'] = state.csrf;
    init.body = JSON.stringify(opts.body || {});
  }
  const res = await fetch(path, init);
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const err = new Error(body?.error || `HTTP ${res.status}`);
    err.status = res.status;
    err.code = body?.code;
    throw err;
  }
  return body;
}

const errorText = (e) => (e.code && TEXT[lang][e.code] ? t(e.code) : t('failed', { error: e.message }));

function notice(text, bad) {
  const n = $('notice');
  n.textContent = text;
  n.hidden = !text;
  n.dataset.kind = bad ? 'error' : 'info';
}

let refreshing = null;
/** Reloads everything; called on connect and (debounced) after live changes. */
/**
 * Reloads what the page shows: everything on connect and after an action; on live changes
 * (`light`) only status, nodes and incidents, the events having come over the stream.
 */
async function refresh(light = false) {
  try {
    const [session, status, nodes, events] = await Promise.all([
      light ? state.session : api('/api/session'),
      api('/api/status'),
      api('/api/nodes'),
      light ? null : api('/api/events?since=24h'),
    ]);
    state.session = session;
    if (session.csrf) state.csrf = session.csrf;
    state.status = status;
    state.nodes = nodes;
    if (events) {
      state.events = events;
      for (const e of events) if (e.kind === 'level') state.lastLevels[e.fields.zone] = e;
    }
    if (LAYOUT.alerts) state.incidents = (await api('/api/incidents')).incidents || [];
    // Only the "log in first" notice goes by itself; an action's result stays until the next action.
    if (state.authNotice) {
      state.authNotice = false;
      notice('');
    }
  } catch (e) {
    if (e.status === 401) {
      state.session = { user: null, can_act: false };
      state.authNotice = true;
      notice(t('login_needed'), true);
      showLogin(true);
    } else setConn('disconnected');
  }
  render();
}
function scheduleRefresh(ms = 400) {
  if (refreshing) return;
  refreshing = setTimeout(() => {
    refreshing = null;
    void refresh(true);
  }, ms);
}

// ---- live stream ----
let source = null;
let lastHeard = 0;
function setConn(c) {
  state.conn = c;
  const el = $('conn');
  el.dataset.state = c;
  el.textContent = c === 'disconnected' ? `${t('disconnected')} / disconnected` : t(c);
}
function connect() {
  if (source) source.close();
  setConn(state.conn === 'connected' ? 'connecting' : state.conn);
  source = new EventSource('/api/stream');
  lastHeard = Date.now();
  source.addEventListener('hello', () => {
    lastHeard = Date.now();
    setConn('connected');
    void refresh();
  });
  source.addEventListener('event', (m) => {
    lastHeard = Date.now();
    onEvent(JSON.parse(m.data));
  });
  source.addEventListener('reading', (m) => {
    lastHeard = Date.now();
    onReading(JSON.parse(m.data));
  });
  source.onmessage = () => {
    lastHeard = Date.now();
  };
  source.onerror = () => {
    setConn('disconnected');
    // A refused stream (a gateway restarting, a 401) is not retried by the browser itself.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
  };
}
// The stream pings every 10 s: 25 s of silence means the Wi-Fi or the gateway is gone.
setInterval(() => {
  if (state.conn === 'connected' && Date.now() - lastHeard > 25000) {
    setConn('disconnected');
    connect();
  }
}, 5000);

function onEvent(e) {
  state.events.push(e);
  if (state.events.length > 2000) state.events.splice(0, state.events.length - 2000);
  if ((e.kind === 'siren_on' || e.kind === 'siren_off') && state.status && state.status.sirens) {
    const sr = state.status.sirens.find((x) => x.id === e.fields.siren);
    if (sr) sr.on = e.kind === 'siren_on';
    renderZones();
  }
  if (e.kind === 'level') {
    state.lastLevels[e.fields.zone] = e;
    // Paint the card at once; the full status follows.
    const z = state.status?.zones.find((x) => x.zone === e.fields.zone);
    if (z) {
      z.level = e.fields.level;
      z.since = e.ts;
    }
    renderZones();
  }
  renderEvents();
  scheduleRefresh();
}
function onReading(r) {
  const n = state.nodes.find((x) => x.node === r.node);
  if (n) {
    n.last_seen = r.ts;
    if (r.radio && typeof r.radio.rssi === 'number') n.rssi = r.radio.rssi;
  }
  scheduleRefresh(3000);
}

// ---- rendering ----
function render() {
  renderChrome();
  renderIncidents();
  renderZones();
  renderMap();
  renderNodes();
  renderTimeline();
  renderEvents();
  renderUplink();
  renderLegend();
  $('gw').textContent = `${LAYOUT.gateway} · ${LAYOUT.site.name}`;
  $('updated').textContent = t('updated', {
    t: new Intl.DateTimeFormat(lang === 'id' ? 'id-ID' : 'en-GB', {
      timeZone: tz,
      timeStyle: 'medium',
    }).format(new Date()),
  });
}

function renderChrome() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('lang').textContent = lang === 'id' ? 'EN' : 'ID';
  setConn(state.conn);
  const who = state.session.user;
  $('login-open').hidden = Boolean(who);
  $('logout').hidden = !who;
  $('who').hidden = !who;
  if (who) {
    $('who').textContent =
      t('logged_in', { user: who, role: state.session.role }) +
      (state.session.can_act ? '' : ` · ${t('view_only')}`);
  }
  $('confirm-ok').textContent = t('confirm');
}

function zoneOf(id) {
  const st = state.status;
  return {
    z: st ? st.zones.find((x) => x.zone === id) : null,
    silence: st?.silences ? st.silences.find((x) => x.zone === id) : null,
  };
}

function renderZones() {
  const box = $('zones');
  box.replaceChildren();
  const act = state.session.can_act;
  for (const cfg of LAYOUT.zones) {
    const { z, silence } = zoneOf(cfg.id);
    const level = z ? z.level : 'NORMAL';
    const last = state.lastLevels[cfg.id];
    const reason = last && last.fields.level === level ? last.fields.reason : '';
    const sirens = (state.status?.sirens ? state.status.sirens : []).filter((x) => cfg.sirens.includes(x.id));
    const card = h(
      'article',
      {
        class: 'zone',
        'data-zone': cfg.id,
        'data-level': level,
        'data-silenced': silence ? 'true' : 'false',
      },
      h('h3', { text: cfg.name }),
      h('p', { class: 'level', text: level }),
      h('p', { class: 'meaning', text: t(level) }),
      h('p', { class: 'reason', text: reason || (level === 'NORMAL' ? '' : t('no_reason')) }),
      z ? h('p', { class: 'since', text: `${t('since')} ${at(z.since)} (${ago(z.since)})` }) : null,
      sirens.map((sr) =>
        h(
          'p',
          { class: 'siren', 'data-siren': sr.id, 'data-on': sr.on ? 'true' : 'false' },
          `${t('siren')} ${sr.id}: ${sr.fault ? `${t('siren_fault')} (${sr.fault})` : t(sr.on ? 'siren_on' : 'siren_off')}`,
        ),
      ),
      silence
        ? h(
            'p',
            {},
            h('span', {
              class: 'silence',
              text: t('silenced', { until: at(silence.until), by: silence.by }),
            }),
          )
        : null,
      act
        ? h(
            'div',
            { class: 'actions' },
            silence
              ? h('button', {
                  type: 'button',
                  'data-action': 'unsilence',
                  'data-zone': cfg.id,
                  text: t('unsilence'),
                })
              : h('button', {
                  type: 'button',
                  'data-action': 'silence',
                  'data-zone': cfg.id,
                  text: t('silence'),
                }),
            cfg.sirens.map((id) =>
              h('button', {
                type: 'button',
                'data-action': 'siren-test',
                'data-siren': id,
                text: t('siren_test', { id }),
              }),
            ),
          )
        : null,
    );
    box.append(card);
  }
}

function renderIncidents() {
  const sec = $('incidents');
  const list = $('incident-list');
  const shown = state.incidents.filter((i) => i.state !== 'closed');
  sec.hidden = !LAYOUT.alerts || shown.length === 0;
  list.replaceChildren(
    ...shown.map((i) =>
      h(
        'article',
        { class: 'incident', 'data-incident': i.id, 'data-state': i.state },
        h('h3', { text: `${i.code} · ${i.zone_name} · ${i.level}` }),
        h('p', { text: `${t(`incident_${i.state}`)} · ${t('opened', { t: at(Date.parse(i.opened)) })}` }),
        i.reason ? h('p', { text: i.reason }) : null,
        i.acks.length
          ? h('p', { text: i.acks.map((a) => t('by', { by: `${a.by} (${a.channel})` })).join(', ') })
          : null,
        state.session.can_act && i.state === 'open'
          ? h('button', {
              type: 'button',
              'data-action': 'ack',
              'data-incident': i.id,
              'data-code': i.code,
              text: t('ack'),
            })
          : null,
      ),
    ),
  );
}

function view() {
  const nodeStates = {};
  for (const r of state.nodes)
    nodeStates[r.node] = r.online === true ? 'online' : r.online === false ? 'offline' : 'unknown';
  return {
    layout: LAYOUT,
    levelOf: (id) => (zoneOf(id).z || { level: 'NORMAL' }).level,
    nodeStates,
    events: state.events,
    t,
    clock: (ms) => clockFmt().format(new Date(ms)),
  };
}
function renderMap() {
  $('map').replaceChildren(drawMap(view()));
}
function renderTimeline() {
  $('timeline').replaceChildren(drawTimeline(view()));
}

function renderNodes() {
  const rank = (r) => (r.online === false ? 0 : r.online === null ? 1 : 2);
  const rows = [...state.nodes].sort(
    (a, b) => rank(a) - rank(b) || a.zone.localeCompare(b.zone) || a.node.localeCompare(b.node),
  );
  $('node-rows').replaceChildren(
    ...rows.map((r) => {
      const st = r.online === true ? 'online' : r.online === false ? 'offline' : 'unknown';
      return h(
        'tr',
        {
          'data-node': r.node,
          'data-state': st === 'unknown' ? 'offline' : st,
          'data-heard': st !== 'unknown' ? 'true' : 'false',
        },
        h(
          'td',
          {},
          h('span', { class: 'dot' }),
          r.node,
          h('span', {
            class: 'sub',
            text: `${r.name || r.type} · ${st === 'offline' ? t('offline') : st === 'unknown' ? t('unknown') : t('online')}`,
          }),
        ),
        h(
          'td',
          { class: r.bat_low ? 'low' : '' },
          r.bat === null ? '—' : `${r.bat}${r.bat_low ? ` ⚠ ${t('low')}` : ''}`,
        ),
        h('td', { text: r.last_seen === null ? t('never') : ago(r.last_seen) }),
        h('td', { text: r.rssi === null ? '—' : `${r.rssi} dBm` }),
        h('td', { text: String(r.lost) }),
      );
    }),
  );
}

function describe(e) {
  const f = e.fields || {};
  const zone = ZONE_NAMES[f.zone] || f.zone;
  switch (e.kind) {
    case 'level':
      return t('ev_level', { zone, prev: f.prev, level: f.level }) + (f.reason ? ` · ${f.reason}` : '');
    case 'siren_silenced':
      return f.until && !f.cleared && !f.expired
        ? t('ev_silence_set', { zone, by: f.by, until: at(f.until) }) + (f.reason ? ` · ${f.reason}` : '')
        : t('ev_silence_end', { zone }) + (f.by ? ` · ${t('by', { by: f.by })}` : '');
    case 'siren_test':
      return (
        t('ev_siren_test', { siren: f.siren, ok: t(f.ok ? 'ok' : 'bad') }) +
        (f.by ? ` · ${t('by', { by: f.by })}` : '')
      );
    case 'incident':
      return t('ev_incident', { code: f.code, zone, state: f.state || f.level || '' });
    case 'ack':
      return t('ev_ack', { code: f.code || f.incident, by: f.by });
    default: {
      const key = `ev_${e.kind}`;
      if (TEXT.id[key])
        return t(key, { ...f, node: NODE_CFG[f.node] ? f.node : f.node, error: f.error || f.fault || '' });
      return `${e.kind} ${Object.entries(f)
        .slice(0, 4)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
        .join(' ')}`;
    }
  }
}

function renderEvents() {
  const list = [...state.events].reverse().slice(0, 60);
  $('events').replaceChildren(
    ...(list.length
      ? list.map((e) =>
          h(
            'li',
            { 'data-kind': e.kind },
            h('time', { datetime: new Date(e.ts).toISOString(), text: at(e.ts) }),
            describe(e),
          ),
        )
      : [h('li', { text: t('no_events') })]),
  );
}

function renderUplink() {
  const u = state.status ? state.status.uplink : undefined;
  const box = $('uplink');
  if (!state.status) return;
  if (!u) {
    box.textContent = t('uplink_none');
    box.dataset.state = 'none';
    return;
  }
  box.dataset.state = u.connected ? 'connected' : 'disconnected';
  box.textContent = [
    u.connected ? t('uplink_up') : t('uplink_down', { error: u.lastError ? ` (${u.lastError})` : '' }),
    t('backlog', { events: u.backlog.events, readings: u.backlog.readings }),
    u.lastPubackTs
      ? t('delivered', { at: at(u.lastPubackTs), ago: ago(u.lastPubackTs) })
      : t('delivered_never'),
  ].join(' ');
}

function renderLegend() {
  $('legend').replaceChildren(
    ...LEVELS.map((l) =>
      h('li', { class: `lv-${l}`, 'data-legend-level': l }, h('strong', { text: l }), ` · ${t(l)}`),
    ),
  );
}

// ---- actions ----
function ask(title, body, run) {
  const dlg = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-body').replaceChildren(...body);
  $('confirm-error').textContent = '';
  const form = $('confirm-form');
  const onClose = async () => {
    dlg.removeEventListener('close', onClose);
    if (dlg.returnValue !== 'ok') return;
    try {
      const msg = await run(form);
      notice(msg || t('done'));
    } catch (e) {
      notice(e.message === 'reason_needed' ? t('reason_needed') : errorText(e), true);
    }
    void refresh();
  };
  dlg.addEventListener('close', onClose);
  dlg.returnValue = '';
  dlg.showModal();
}

document.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-action]');
  if (!b) return;
  const a = b.dataset.action;
  if (a === 'lang') {
    lang = lang === 'id' ? 'en' : 'id';
    localStorage.setItem('siaga.lang', lang);
    render();
  } else if (a === 'logout') {
    api('/api/logout', { method: 'POST' }).then(
      (r) => {
        state.csrf = r.csrf;
        state.session = { user: null, can_act: false };
        void refresh();
      },
      (e) => notice(errorText(e), true),
    );
  } else if (a === 'silence') {
    const zone = b.dataset.zone;
    const options = [15, 30, 60, 120, 240].filter((m) => m <= LAYOUT.max_silence_min);
    ask(
      t('silence_title', { zone: ZONE_NAMES[zone] || zone }),
      [
        h(
          'label',
          {},
          t('minutes'),
          h(
            'select',
            { name: 'minutes' },
            options.map((m) => h('option', { value: m, selected: m === 30, text: String(m) })),
          ),
        ),
        h('label', {}, t('reason'), h('input', { name: 'reason', maxlength: 200, required: true })),
      ],
      async (form) => {
        const reason = form.elements.reason.value.trim();
        if (!reason) throw new Error('reason_needed');
        await api(`/api/zones/${encodeURIComponent(zone)}/silence`, {
          method: 'POST',
          body: { minutes: Number(form.elements.minutes.value), reason },
        });
      },
    );
  } else if (a === 'unsilence') {
    const zone = b.dataset.zone;
    ask(t('unsilence_title', { zone: ZONE_NAMES[zone] || zone }), [], async () => {
      await api(`/api/zones/${encodeURIComponent(zone)}/unsilence`, { method: 'POST' });
    });
  } else if (a === 'siren-test') {
    const id = b.dataset.siren;
    ask(t('test_title', { id }), [], async () => {
      const r = await api(`/api/sirens/${encodeURIComponent(id)}/test`, { method: 'POST' });
      const fault = (r.steps || []).find((x) => !x.ok);
      return r.ok ? t('test_ok', { id }) : t('test_bad', { id, fault: fault ? fault.fault : '?' });
    });
  } else if (a === 'ack') {
    const id = b.dataset.incident;
    ask(t('ack_title', { code: b.dataset.code || id }), [], async () => {
      await api(`/api/incidents/${encodeURIComponent(id)}/ack`, { method: 'POST' });
    });
  }
});

function showLogin(show) {
  $('login').hidden = !show;
  if (show) $('login').elements.username.focus();
}
$('login-open').addEventListener('click', () => showLogin(true));
$('login-cancel').addEventListener('click', () => showLogin(false));
$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  $('login-error').textContent = '';
  try {
    const r = await api('/api/login', {
      method: 'POST',
      body: { username: f.elements.username.value, password: f.elements.password.value },
    });
    state.csrf = r.csrf;
    state.session = r;
    f.reset();
    showLogin(false);
    notice('');
    void refresh();
  } catch (e) {
    $('login-error').textContent = e.code === 'bad_credentials' ? t('bad_login') : errorText(e);
  }
});

$('export').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = ev.target;
  // "To" is the last day wanted, inclusive: the API's `to` is exclusive.
  const [y, m, d] = f.elements.to.value.split('-').map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
  const q = new URLSearchParams({
    from: f.elements.from.value,
    to: next,
    summary: f.elements.summary.checked ? 'true' : 'false',
  });
  window.location.href = `/api/export.csv?${q}`;
});
$('export').elements.from.value = isoDay(Date.now() - 7 * 86400e3);
$('export').elements.to.value = isoDay(Date.now());

// Relative times ("5 min ago") age while nobody touches the phone.
setInterval(() => {
  if (state.status) {
    renderZones();
    renderNodes();
  }
}, 30000);

render();
connect();
