import type { Migration } from '../sql/migrate.js';

// Times are ISO-8601 UTC text with milliseconds (they sort as text); JSON is text. STRICT tables
// refuse a value of the wrong type instead of storing it silently. Keep this list in step with
// ../postgres/migrations.ts: same tables, same columns, same meaning.

export const SQLITE_BOOTSTRAP = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT;
`;

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE admins (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'auditor')),
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE enrollment_secrets (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  max_uses INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at TEXT
) STRICT;

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  system_uuid TEXT,
  serial TEXT,
  primary_mac TEXT,
  hostname TEXT NOT NULL,
  platform TEXT NOT NULL CHECK (platform IN ('win32', 'darwin', 'linux')),
  os_name TEXT,
  os_version TEXT,
  key_hash TEXT NOT NULL,
  enrolled_at TEXT NOT NULL,
  reenrolled_at TEXT,
  last_seen_at TEXT,
  software_count INTEGER NOT NULL DEFAULT 0,
  event_count INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX devices_system_uuid ON devices (system_uuid) WHERE system_uuid IS NOT NULL;
CREATE INDEX devices_serial_mac ON devices (serial, primary_mac) WHERE serial IS NOT NULL;

CREATE TABLE inventory_sections (
  device_id TEXT NOT NULL REFERENCES devices (id),
  section TEXT NOT NULL,
  hash TEXT NOT NULL,
  data TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (device_id, section)
) STRICT;

CREATE TABLE software_items (
  device_id TEXT NOT NULL REFERENCES devices (id),
  item_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT,
  publisher TEXT,
  install_date TEXT,
  source TEXT NOT NULL,
  scope TEXT NOT NULL,
  arch TEXT,
  install_path TEXT,
  msi_product_code TEXT,
  msi_upgrade_code TEXT,
  package_family_name TEXT,
  bundle_id TEXT,
  package_name TEXT,
  first_seen_at TEXT NOT NULL,
  PRIMARY KEY (device_id, item_id)
) STRICT, WITHOUT ROWID; -- one b-tree: rows of a device are stored together
-- No index by name here (PostgreSQL has one): SQLite's WAL logs whole pages, and a name index
-- makes every full inventory dirty about one index page per title (~300 pages, ~1.2 MB), which
-- cut full inventories from ~500/s to ~90/s on the build machines. Fleet-wide title queries scan
-- this table (by primary key order) until a later migration adds a catalog.

CREATE TABLE inventory_changes (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices (id),
  changed_at TEXT NOT NULL,
  kind TEXT NOT NULL,
  section TEXT NOT NULL,
  item_id TEXT,
  item_name TEXT,
  publisher TEXT,
  old_version TEXT,
  new_version TEXT,
  old_hash TEXT,
  new_hash TEXT,
  details TEXT
) STRICT;
CREATE INDEX inventory_changes_device ON inventory_changes (device_id, id);
CREATE INDEX inventory_changes_item ON inventory_changes (item_name, changed_at) WHERE item_name IS NOT NULL;

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices (id),
  type TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  os_user TEXT,
  payload TEXT NOT NULL
) STRICT;
CREATE INDEX events_device_time ON events (device_id, occurred_at, id);
CREATE INDEX events_type_time ON events (type, occurred_at, id);
CREATE INDEX events_time ON events (occurred_at, id);

CREATE TABLE policies (
  scope TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version > 0),
  document TEXT NOT NULL,
  signature TEXT NOT NULL,
  key_id TEXT NOT NULL,
  etag TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (scope, version)
) STRICT;

CREATE TABLE collector_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE approval_requests (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices (id),
  kind TEXT NOT NULL CHECK (kind IN ('media', 'software')),
  subject TEXT NOT NULL,
  reason TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  period_from TEXT,
  period_until TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  created_at TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT,
  decision_comment TEXT
) STRICT;
CREATE INDEX approval_requests_device ON approval_requests (device_id, created_at);
CREATE INDEX approval_requests_status ON approval_requests (status, created_at);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  details TEXT NOT NULL
) STRICT;
`,
  },
  {
    version: 2,
    name: 'software item hashes (per-item software changes)',
    sql: `
-- The hash of each software item as its agent sent it (SHA-256 of its canonical JSON): the
-- software section's hash is made of these, so a per-item change can be checked, and a full
-- list compared, without reading every row. NULL for rows stored before this migration: such a
-- device is asked once for its whole list, which fills them in.
ALTER TABLE software_items ADD COLUMN item_hash TEXT;
`,
  },
  {
    version: 3,
    name: 'room in device and section pages for in-place updates',
    // PostgreSQL's version sets a fill factor; SQLite has none (a B-tree page is rewritten in
    // place whatever its fill). Kept as a step so that both back ends count the same versions.
    sql: `-- nothing to do on SQLite`,
  },
];
