/**
 * Schema migrations, applied in order by `PRAGMA user_version`; each runs in one transaction.
 * Never edit a released migration: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the whole base schema
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  -- Every accepted reading. v and radio are JSON text.
  CREATE TABLE readings (
    rid      INTEGER PRIMARY KEY,
    id       TEXT    NOT NULL,
    node     TEXT    NOT NULL,
    seq      INTEGER NOT NULL,
    type     TEXT    NOT NULL,
    ts       INTEGER NOT NULL,
    via      TEXT    NOT NULL,
    v        TEXT    NOT NULL,
    radio    TEXT,
    clock_ok INTEGER NOT NULL DEFAULT 1
  ) STRICT;
  CREATE INDEX readings_ts ON readings(ts);

  -- Events and alerts: the last thing ever dropped.
  CREATE TABLE events (
    eid    INTEGER PRIMARY KEY,
    id     TEXT    NOT NULL UNIQUE,
    ts     INTEGER NOT NULL,
    kind   TEXT    NOT NULL,
    fields TEXT    NOT NULL
  ) STRICT;
  CREATE INDEX events_ts ON events(ts);

  -- What the uplink still owes the centre: one row per event or reading, keyed by its rowid, so
  -- queuing costs one small b-tree and the queue is in the order things happened. A row is
  -- deleted only when its PUBACK arrived. Events are always sent before readings.
  CREATE TABLE outbox_events (eid INTEGER PRIMARY KEY) STRICT;
  CREATE TABLE outbox_readings (rid INTEGER PRIMARY KEY) STRICT;

  CREATE TABLE node_state (
    node      TEXT PRIMARY KEY,
    seq       INTEGER,
    lost      INTEGER NOT NULL DEFAULT 0,
    resets    INTEGER NOT NULL DEFAULT 0,
    dups      INTEGER NOT NULL DEFAULT 0,
    frames    INTEGER NOT NULL DEFAULT 0,
    last_seen INTEGER,
    bat       REAL,
    rssi      REAL,
    online    INTEGER,
    bat_low   INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  CREATE TABLE lora_state (
    dev_addr  TEXT PRIMARY KEY,
    fcnt      INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE gwmp_stats (
    gateway_eui TEXT PRIMARY KEY,
    rx_packets  INTEGER NOT NULL DEFAULT 0,
    tx_packets  INTEGER NOT NULL DEFAULT 0,
    last_stat   TEXT,
    last_seen   INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE nonces (
    nonce   TEXT PRIMARY KEY,
    key_id  TEXT NOT NULL,
    expires INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX nonces_expires ON nonces(expires);

  CREATE TABLE silences (
    zone   TEXT PRIMARY KEY,
    until  INTEGER NOT NULL,
    by     TEXT    NOT NULL,
    reason TEXT
  ) STRICT;

  -- One row per siren activation, for the hourly budget after a restart and the daily summary.
  CREATE TABLE siren_log (
    id     INTEGER PRIMARY KEY,
    siren  TEXT    NOT NULL,
    zone   TEXT,
    on_ts  INTEGER NOT NULL,
    off_ts INTEGER,
    cause  TEXT
  ) STRICT;
  CREATE INDEX siren_log_on ON siren_log(on_ts);

  -- Rejection and traffic counters by scope (serial, lora, broker…) and reason.
  CREATE TABLE counters (
    scope TEXT    NOT NULL,
    name  TEXT    NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (scope, name)
  ) STRICT;
  `,
  // 2: alerts for people (issue 14): incidents, the messages decided for them, the escalation's
  // state and the CAP documents sent, written in the group commit with the events that tell of them.
  `
  CREATE TABLE incidents (
    id     TEXT    PRIMARY KEY,
    zone   TEXT    NOT NULL,
    state  TEXT    NOT NULL,
    opened INTEGER NOT NULL,
    closed INTEGER,
    doc    TEXT    NOT NULL
  ) STRICT;
  CREATE INDEX incidents_state ON incidents(state, opened);

  -- One row per message decided for one contact; state queued → sent | failed (or superseded by a
  -- higher level before it was handed over). msg_id is the SMS daemon's id once handed over.
  CREATE TABLE alert_messages (
    id       TEXT    PRIMARY KEY,
    incident TEXT    NOT NULL,
    contact  TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    kind     TEXT    NOT NULL,
    level    TEXT    NOT NULL,
    state    TEXT    NOT NULL,
    decided  INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    step     INTEGER,
    round    INTEGER,
    text     TEXT    NOT NULL,
    msg_id   TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at  INTEGER NOT NULL,
    reason   TEXT
  ) STRICT;
  CREATE INDEX alert_messages_incident ON alert_messages(incident);
  CREATE INDEX alert_messages_state ON alert_messages(state);

  CREATE TABLE cap_messages (
    identifier TEXT    PRIMARY KEY,
    incident   TEXT    NOT NULL,
    msg_type   TEXT    NOT NULL,
    sender     TEXT    NOT NULL,
    sent       TEXT    NOT NULL,
    sent_at    INTEGER NOT NULL,
    level      TEXT    NOT NULL
  ) STRICT;
  CREATE INDEX cap_messages_incident ON cap_messages(incident, sent_at);

  -- The escalation engine's state as JSON, one row.
  CREATE TABLE alert_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  `,
  // 3: EarthRanger / Gundi: requests owed to a remote server, and the ids it gave (issue 14.5)
  `
  -- One row per incident change still owed to a remote server, in the order they happened.
  -- state 'queued' is retried at next_at; 'failed' was refused for good (400/404/422) and is kept,
  -- with the server's words, until the operator fixes the config (then it is queued again).
  CREATE TABLE remote_queue (
    qid        INTEGER PRIMARY KEY,
    target     TEXT    NOT NULL,
    incident   TEXT    NOT NULL,
    facts      TEXT    NOT NULL,
    created    INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,
    last_error TEXT,
    state      TEXT    NOT NULL DEFAULT 'queued'
  ) STRICT;
  CREATE INDEX remote_queue_incident ON remote_queue(target, incident, state, qid);

  -- The id a server gave an incident's event: later changes PATCH it. server = mode and URL,
  -- so a switch of server starts with a new event instead of patching someone else's.
  CREATE TABLE remote_ids (
    server    TEXT    NOT NULL,
    incident  TEXT    NOT NULL,
    remote_id TEXT    NOT NULL,
    created   INTEGER NOT NULL,
    PRIMARY KEY (server, incident)
  ) STRICT;
  `,
  // 4: LoRaWAN both ways (issue 17): OTAA sessions, every DevNonce a device has used (a replayed
  // JoinRequest must never open a session again), and each device's downlink counter.
  `
  CREATE TABLE lora_sessions (
    dev_eui    TEXT PRIMARY KEY,
    node       TEXT    NOT NULL,
    dev_addr   TEXT    NOT NULL UNIQUE,
    nwk_s_key  TEXT    NOT NULL,
    app_s_key  TEXT    NOT NULL,
    join_nonce INTEGER NOT NULL,
    joined_at  INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE lora_dev_nonces (
    dev_eui   TEXT    NOT NULL,
    dev_nonce INTEGER NOT NULL,
    ts        INTEGER NOT NULL,
    PRIMARY KEY (dev_eui, dev_nonce)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE lora_fcnt_down (
    dev_addr  TEXT PRIMARY KEY,
    fcnt_down INTEGER NOT NULL,
    last_ts   INTEGER NOT NULL
  ) STRICT;
  `,
  // 5: the readings backlog packed while the centre is unreachable (issue 16, P4): a full page of
  // queued readings, rowids lo..hi, as their wire JSON (raw deflate), so a drain after an outage
  // sends it instead of formatting every reading again. A cache: the drain uses a pack only while
  // every reading in it is still queued and the ids at both ends still match.
  `
  CREATE TABLE outbox_packs (
    lo       INTEGER PRIMARY KEY,
    hi       INTEGER NOT NULL,
    first_id TEXT    NOT NULL,
    last_id  TEXT    NOT NULL,
    body     BLOB    NOT NULL
  ) STRICT;
  `,
  // 6: a pack's readings are joined by ',' (a readings batch's array body, which the drain
  // publishes as it is) instead of by a control character. Packs are a cache: those of the old
  // form are dropped and the backlog is packed again while the centre is unreachable.
  `
  DELETE FROM outbox_packs;
  `,
  // 7: which rowids hold which times, instead of an index on readings(ts) (issue 16, P9). Every
  // commit rewrote 4 or 5 of that index's 1 KiB pages (its right edge splits and rebalances with
  // each ~50 entries): a third of the WAL a quiet night writes. A span is a run of consecutive
  // rowids, ~2,000 readings, with the earliest and latest ts among them; the readings after the
  // last span are read as they are (reading-spans.ts).
  `
  CREATE TABLE reading_spans (
    lo     INTEGER PRIMARY KEY,
    hi     INTEGER NOT NULL,
    ts_min INTEGER NOT NULL,
    ts_max INTEGER NOT NULL
  ) STRICT;
  INSERT INTO reading_spans (lo, hi, ts_min, ts_max)
    SELECT min(rid), max(rid), min(ts), max(ts) FROM readings GROUP BY rid / 2000;
  DROP INDEX readings_ts;
  `,
];
