-- The reference consumer's tables (scripts/centre/consumer.mjs creates them when missing).

-- One row per gateway, from its retained status (village code, online or its Last Will).
CREATE TABLE IF NOT EXISTS gateways (
  gw           text PRIMARY KEY,
  village_code text,
  online       boolean NOT NULL,
  status       jsonb NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Every reading once: the id is the ULID the gateway gave it at ingest and keeps across resends,
-- so a batch delivered twice (a PUBACK lost in a broker restart) is dropped here.
CREATE TABLE IF NOT EXISTS readings (
  id          text PRIMARY KEY,
  gw          text NOT NULL,
  node        text NOT NULL,
  type        text NOT NULL,
  ts          bigint NOT NULL,
  v           jsonb NOT NULL,
  radio       jsonb,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS events (
  id          text PRIMARY KEY,
  gw          text NOT NULL,
  kind        text NOT NULL,
  ts          bigint NOT NULL,
  body        jsonb NOT NULL
);

-- Satu Data: one row per village code, day (WIB) and reading type, counted as readings arrive
-- (only those inserted, so duplicates never count twice).
CREATE TABLE IF NOT EXISTS satu_data_daily (
  village_code text NOT NULL,
  day          date NOT NULL,
  type         text NOT NULL,
  readings     bigint NOT NULL,
  elephant     bigint NOT NULL,
  PRIMARY KEY (village_code, day, type)
);
