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
  // LoRaWAN both ways (issue 17): OTAA sessions, every DevNonce a device has used (a replayed
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
];
