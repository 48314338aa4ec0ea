import type { SqliteMigration } from '../../platform/sqlite.js';

/** Registry migrations, applied once each in order (names prefixed "registry-"). */
export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    name: 'registry-1',
    up: `
CREATE TABLE gates (
  site_group TEXT PRIMARY KEY,
  config TEXT NOT NULL
);
CREATE TABLE enrolment_tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  site_group TEXT NOT NULL,
  screen_name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  device_id TEXT,
  revoked_at INTEGER
);
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  site_group TEXT NOT NULL,
  screen_name TEXT NOT NULL,
  public_key TEXT NOT NULL UNIQUE,
  enrolled_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_seen INTEGER,
  online INTEGER NOT NULL DEFAULT 0,
  app_version TEXT
);
CREATE TABLE group_members (
  group_name TEXT NOT NULL,
  device_id TEXT NOT NULL REFERENCES devices(id),
  PRIMARY KEY (group_name, device_id)
);
CREATE TABLE stream_state (
  device_id TEXT NOT NULL,
  stream TEXT NOT NULL,
  acked_seq INTEGER NOT NULL,
  gap_records INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (device_id, stream)
);
CREATE TABLE health_raw (
  -- AUTOINCREMENT: ids never go back, so the rollup can remember "counted up to id N".
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  cpu_temp_c REAL, load1 REAL, mem_used_pct REAL, disk_used_pct REAL, clock_offset_ms REAL, under_voltage INTEGER,
  payload TEXT NOT NULL,
  UNIQUE (device_id, seq)
);
CREATE INDEX health_raw_age ON health_raw (at);
CREATE TABLE rollup_state (
  name TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
);
INSERT INTO rollup_state VALUES ('health', 0);
CREATE TABLE health_5m (
  device_id TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  cpu_temp_c REAL, load1 REAL, mem_used_pct REAL, disk_used_pct REAL, clock_offset_ms REAL, under_voltage INTEGER,
  PRIMARY KEY (device_id, bucket_start)
);
CREATE TABLE health_1h (
  device_id TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  cpu_temp_c REAL, load1 REAL, mem_used_pct REAL, disk_used_pct REAL, clock_offset_ms REAL, under_voltage INTEGER,
  PRIMARY KEY (device_id, bucket_start)
);
CREATE TABLE events (
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)
);
CREATE TABLE pop_records (
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER,
  item_id TEXT,
  hash TEXT,
  prev_hash TEXT,
  payload TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)
);
CREATE TABLE commands (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  name TEXT NOT NULL,
  args TEXT,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  message TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX commands_device ON commands (device_id, state);
CREATE TABLE screenshots (
  command_id TEXT PRIMARY KEY REFERENCES commands(id),
  png BLOB NOT NULL,
  taken_at INTEGER NOT NULL
);
`,
  },
  {
    name: 'registry-2',
    up: `
-- Records whose envelope was valid but whose payload failed its schema: kept verbatim (nothing a
-- device sends is lost) but out of the telemetry tables, so one bad record never blocks a stream.
CREATE TABLE quarantined_records (
  device_id TEXT NOT NULL,
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (device_id, stream, seq)
);
`,
  },
  {
    name: 'registry-reports-1',
    up: `
-- Connect/disconnect history of each device's link, for the reports' outages. An open session
-- (disconnected_at NULL) is closed at the device's last_seen when the server restarts.
CREATE TABLE device_sessions (
  device_id TEXT NOT NULL,
  connected_at INTEGER NOT NULL,
  disconnected_at INTEGER
);
CREATE INDEX device_sessions_device ON device_sessions (device_id, connected_at);
-- Reports read one device's proof of play by time.
CREATE INDEX pop_records_at ON pop_records (device_id, at);
`,
  },
  {
    name: 'registry-3',
    up: `
-- Active alerts with their acknowledgements (sync-server/alerts), one JSON record per alert key, so
-- a restart neither raises them again nor forgets who acknowledged them.
CREATE TABLE alerts_active (
  key TEXT PRIMARY KEY,
  record TEXT NOT NULL
);
-- TUF role metadata carries no publication time: when this server first saw each published version.
CREATE TABLE bundle_versions_seen (
  site_group TEXT NOT NULL,
  version TEXT NOT NULL,
  first_seen_at INTEGER NOT NULL,
  PRIMARY KEY (site_group, version)
);
-- The playback-error rule reads recent events of a few kinds across the fleet.
CREATE INDEX events_kind_at ON events (kind, at);
`,
  },
  {
    name: 'registry-alerts-history-1',
    up: `
-- What happened to alerts (raised, escalated, acknowledged, resolved), for the dashboard's recent
-- history; one JSON alert record per event, pruned by age.
CREATE TABLE alerts_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX alerts_history_at ON alerts_history (at);
`,
  },
  {
    name: 'registry-reports-2',
    up: `
-- Proof of play is verified once, when it is stored. verdict: 'ok' (a well-formed record carrying
-- the device key's signature of its hash), 'bad-signature' or 'malformed'. link_ok: whether its
-- prevHash is the stored hash of the record before it (1/0; NULL when that one was not stored).
-- Rows stored before this migration have a NULL verdict: the report verifies those itself and
-- writes the verdict back.
ALTER TABLE pop_records ADD COLUMN verdict TEXT;
ALTER TABLE pop_records ADD COLUMN link_ok INTEGER;
`,
  },
  {
    name: 'registry-clock-1',
    up: `
-- How far the device trusted its clock when it recorded a proof-of-play record (its clockStatus).
-- 'unverified' records are flagged, not re-dated: the times are signed, and receipt time says nothing
-- of when an item played (records wait in the outbox while the link is down). Their times are the
-- device's last-known-good floor advanced on the monotonic clock: a lower bound of the real time.
-- NULL: stored before this migration, or a record without the field.
ALTER TABLE pop_records ADD COLUMN clock_status TEXT;
CREATE INDEX pop_records_clock ON pop_records (device_id, clock_status) WHERE clock_status = 'unverified';
`,
  },
  {
    name: 'registry-reports-3',
    up: `
-- The names reports print (sync-server/registry/report-names-store.ts): each gate's display name and
-- province from a date on (renames, mergers; the site group slug never changes), and the titles of
-- published items and emergency messages per language ('' = the item's own title).
CREATE TABLE gate_names (
  site_group TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  gate_name TEXT NOT NULL,
  province_id TEXT NOT NULL,
  province_name TEXT NOT NULL,
  PRIMARY KEY (site_group, valid_from)
);
CREATE TABLE item_titles (
  site_group TEXT NOT NULL,
  item_id TEXT NOT NULL,
  language TEXT NOT NULL,
  title TEXT NOT NULL,
  PRIMARY KEY (site_group, item_id, language)
);
`,
  },
  {
    name: 'registry-rollups-1',
    up: `
-- Proof-of-play rollups kept at ingest, in the transaction that stores the records
-- (sync-server/registry/pop-rollups.ts): what a period report reads instead of every record.
-- day: the local day at the screen's gate, as days since 1970-01-01.
CREATE TABLE pop_rollup_plays (
  device_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  language TEXT NOT NULL,
  plays INTEGER NOT NULL,
  plays_screen_off INTEGER NOT NULL,
  on_air_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, day, item_id, language)
) WITHOUT ROWID;
-- Records failing a check of their own; reasons: 'edit', 'signature', 'device', 'site-group' joined by '+'.
CREATE TABLE pop_rollup_rejected (
  device_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  reasons TEXT NOT NULL,
  records INTEGER NOT NULL,
  PRIMARY KEY (device_id, day, reasons)
) WITHOUT ROWID;
-- Time covered by counted plays, merged where less than a minute apart.
CREATE TABLE pop_rollup_cover (
  device_id TEXT NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, from_ms)
) WITHOUT ROWID;
-- The chain's running state: each unbroken run of stored seqs (inclusive).
CREATE TABLE pop_rollup_runs (
  device_id TEXT NOT NULL,
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  PRIMARY KEY (device_id, from_seq)
) WITHOUT ROWID;
-- Gaps the screen declared in its chain (plays it could not keep) that pass their checks.
CREATE TABLE pop_rollup_declared (
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  records INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
`,
  },
  {
    name: 'registry-rollups-2',
    up: `
-- Proof-of-play rollups that hold everything a period report shows (sync-server/registry/pop-rollups.ts),
-- replacing those of registry-rollups-1. Each record is placed on the local day of its start at its
-- screen's gate (days since 1970-01-01).
DROP TABLE pop_rollup_plays;
DROP TABLE pop_rollup_rejected;
DROP TABLE pop_rollup_cover;
DROP TABLE pop_rollup_runs;
DROP TABLE pop_rollup_declared;
-- Records of every kind per day: what the chain column says was checked.
CREATE TABLE pop_day_records (
  device_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  records INTEGER NOT NULL,
  PRIMARY KEY (device_id, day)
) WITHOUT ROWID;
-- Counted plays; partial: cut short (PopEntry.partial); on_air_next_ms: time on air past the day's end.
CREATE TABLE pop_day_plays (
  device_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  language TEXT NOT NULL,
  partial INTEGER NOT NULL,
  plays INTEGER NOT NULL,
  plays_screen_off INTEGER NOT NULL,
  on_air_ms INTEGER NOT NULL,
  on_air_next_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, day, item_id, language, partial)
) WITHOUT ROWID;
-- Records failing a check of their own; reasons: 'edit', 'signature', 'device', 'site-group' joined by '+'.
CREATE TABLE pop_day_rejected (
  device_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  reasons TEXT NOT NULL,
  records INTEGER NOT NULL,
  PRIMARY KEY (device_id, day, reasons)
) WITHOUT ROWID;
-- The lowest 1000 rejected records per day by seq, as the report lists them.
CREATE TABLE pop_day_rejected_list (
  device_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  language TEXT NOT NULL,
  reasons TEXT NOT NULL,
  PRIMARY KEY (device_id, day, seq)
) WITHOUT ROWID;
-- Time covered by counted plays starting that day, merged where less than a minute apart.
CREATE TABLE pop_day_cover (
  device_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, day, from_ms)
) WITHOUT ROWID;
-- The chain's running state: each unbroken run of stored seqs (inclusive), with its ends' starts.
CREATE TABLE pop_chain_runs (
  device_id TEXT NOT NULL,
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  from_at INTEGER NOT NULL,
  to_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, from_seq)
) WITHOUT ROWID;
-- Broken links: the record at seq does not link to the stored record before it.
CREATE TABLE pop_chain_links (
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  day INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
CREATE INDEX pop_chain_links_day ON pop_chain_links (device_id, day);
-- Gaps the screen declared in its chain (plays it could not keep) that pass their checks.
CREATE TABLE pop_day_declared (
  device_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  records INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (device_id, day, seq)
) WITHOUT ROWID;
-- The rows stored before these rollups (rowid <= to_rowid) are added once by the backfill
-- (PopRollupStore.backfill), which moves done_rowid on in the transaction of each chunk.
CREATE TABLE pop_rollup_backfill (
  to_rowid INTEGER NOT NULL,
  done_rowid INTEGER NOT NULL
);
INSERT INTO pop_rollup_backfill SELECT coalesce(max(rowid), 0), 0 FROM pop_records;
`,
  },
  {
    name: 'registry-fleet-manage-1',
    up: `
-- A retired screen was taken out of service by ops (a mistyped enrolment, a screen removed from its
-- gate): its key is revoked with it, it leaves the fleet page and raises no alerts. NULL: in service.
ALTER TABLE devices ADD COLUMN retired_at INTEGER;
`,
  },
  {
    name: 'registry-releases-1',
    up: `
-- Staged rollouts of gatecast releases (sync-server/releases): the definition and the policy's state
-- as JSON (rollout-policy.ts), the status beside them for lookups.
CREATE TABLE release_rollouts (
  id TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  definition TEXT NOT NULL,
  state TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX release_rollouts_status ON release_rollouts (status);
-- Each screen is offered a version once (the key): the install-release command that offered it.
CREATE TABLE release_offers (
  device_id TEXT NOT NULL,
  version TEXT NOT NULL,
  rollout_id TEXT NOT NULL REFERENCES release_rollouts (id),
  stage INTEGER NOT NULL,
  offered_at INTEGER NOT NULL,
  command_id TEXT NOT NULL,
  PRIMARY KEY (device_id, version)
) WITHOUT ROWID;
`,
  },
  {
    name: 'registry-reaudit-1',
    up: `
-- Re-audits of the stored proof of play (reports/reaudit.ts): every record in the range, stored up
-- to row to_rowid when it started, verified again from its raw row (signature with the device key,
-- hash, seq, chain link) and compared with the verdict recorded at ingest. status: running, done,
-- cancelled, failed. from_ms/to_ms NULL: the whole registry. cursor: the device and seq reached
-- (JSON), so a stopped re-audit goes on where it was. counts: problems found by kind (JSON).
CREATE TABLE pop_reaudits (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  started_by TEXT NOT NULL,
  period TEXT,
  from_ms INTEGER,
  to_ms INTEGER,
  to_rowid INTEGER NOT NULL,
  total INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  cursor TEXT,
  counts TEXT NOT NULL,
  differ INTEGER NOT NULL DEFAULT 0,
  error TEXT
);
-- Records whose verdict now differs from the one recorded at ingest (e.g. a row edited since).
CREATE TABLE pop_reaudit_differ (
  reaudit_id INTEGER NOT NULL REFERENCES pop_reaudits (id),
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER,
  at_ingest TEXT NOT NULL,
  now TEXT NOT NULL,
  PRIMARY KEY (reaudit_id, device_id, seq)
) WITHOUT ROWID;
`,
  },
  {
    name: 'registry-templates-1',
    up: `
-- Ready-made emergency messages (sync-server/templates): never on air by themselves; an emergency
-- made from one goes through the emergency form and its two-signature approval. text: per language
-- {title?, body} (JSON). name_key: the name as compared (trimmed, NFC, lower case), unique.
CREATE TABLE emergency_templates (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  text TEXT NOT NULL,
  duration_minutes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);
`,
  },
  {
    name: 'registry-emergency-ends-1',
    up: `
-- The end secret of each emergency (docs/drafts.md §7): drawn when its draft is made; only its
-- SHA-256 is signed in the bundle. Revealed to the site group's screens when ended early.
CREATE TABLE emergency_ends (
  site_group TEXT NOT NULL,
  emergency_id TEXT NOT NULL,
  secret TEXT NOT NULL,
  commitment TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER,
  ended_by TEXT,
  PRIMARY KEY (site_group, emergency_id)
) WITHOUT ROWID;
-- The end-emergency command each screen was sent for an ended emergency (its answer is the command's).
CREATE TABLE emergency_end_commands (
  site_group TEXT NOT NULL,
  emergency_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  command_id TEXT NOT NULL,
  PRIMARY KEY (site_group, emergency_id, device_id)
) WITHOUT ROWID;
`,
  },
];
