-- Beacon's first schema. Portable SQL that runs unchanged on SQLite and PostgreSQL:
-- ids are opaque TEXT, timestamps are BIGINT milliseconds since the epoch (UTC),
-- lists of strings and label maps are JSON text. Migrations are only ever appended.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id  TEXT NOT NULL REFERENCES users (id),
    org_id   TEXT NOT NULL REFERENCES organizations (id),
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);

CREATE TABLE sites (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE fleets (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    site_id     TEXT NOT NULL REFERENCES sites (id),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

CREATE TABLE api_key_usage (
    api_key_id  TEXT NOT NULL REFERENCES api_keys (id),
    day         TEXT NOT NULL,
    requests    BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, day)
);

CREATE TABLE enrollment_keys (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    site_id         TEXT NOT NULL REFERENCES sites (id),
    fleet_id        TEXT NOT NULL REFERENCES fleets (id),
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    key_prefix      TEXT NOT NULL,
    key_ciphertext  TEXT NOT NULL,
    max_uses        INTEGER NOT NULL,
    uses            INTEGER NOT NULL DEFAULT 0,
    allowed_cidrs   TEXT,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    CHECK (uses >= 0 AND uses <= max_uses)
);
CREATE INDEX enrollment_keys_org ON enrollment_keys (org_id, id);

CREATE TABLE robots (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id),
    site_id            TEXT NOT NULL REFERENCES sites (id),
    fleet_id           TEXT NOT NULL REFERENCES fleets (id),
    name               TEXT NOT NULL,
    enrollment_key_id  TEXT REFERENCES enrollment_keys (id),
    enrolled_at        BIGINT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'offline',
    last_seen_at       BIGINT,
    ip                 TEXT,
    hostname           TEXT,
    os                 TEXT,
    arch               TEXT,
    agent_version      TEXT,
    capabilities       TEXT NOT NULL DEFAULT '[]',
    labels             TEXT NOT NULL DEFAULT '{}',
    paused_at          BIGINT,
    removed_at         BIGINT
);
-- A name identifies a robot within its organization among robots not removed.
CREATE UNIQUE INDEX robots_live_name ON robots (org_id, name) WHERE removed_at IS NULL;
CREATE INDEX robots_org ON robots (org_id, id);
CREATE INDEX robots_enrollment_key ON robots (enrollment_key_id);

CREATE TABLE robot_tokens (
    id          TEXT PRIMARY KEY,
    robot_id    TEXT NOT NULL REFERENCES robots (id),
    token_hash  TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX robot_tokens_robot ON robot_tokens (robot_id);

CREATE TABLE audit_events (
    id           TEXT PRIMARY KEY,
    org_id       TEXT,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    target_type  TEXT,
    target_id    TEXT,
    ip           TEXT,
    detail       TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, id);
