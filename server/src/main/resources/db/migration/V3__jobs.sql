-- Jobs: the queue of work dispatched to robots over their agent socket. Portable SQL as in V1.

CREATE TABLE jobs (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id),
    kind                 TEXT NOT NULL,
    payload              TEXT NOT NULL,
    -- The target: every column set must match (AND); capabilities is a JSON list, labels a JSON object.
    target_robot_id      TEXT,
    target_fleet_id      TEXT,
    target_site_id       TEXT,
    target_capabilities  TEXT NOT NULL DEFAULT '[]',
    target_labels        TEXT NOT NULL DEFAULT '{}',
    priority             INTEGER NOT NULL DEFAULT 0,
    timeout_s            INTEGER NOT NULL,
    max_attempts         INTEGER NOT NULL,
    attempts             INTEGER NOT NULL DEFAULT 0,
    status               TEXT NOT NULL,
    -- The robot and agent session holding the job while assigned or running; the robot that ran it last after.
    robot_id             TEXT,
    session_id           TEXT,
    idempotency_key      TEXT,
    output               TEXT,
    exit_code            INTEGER,
    error                TEXT,
    created_by           TEXT,
    created_at           BIGINT NOT NULL,
    -- When the job (re-)entered the queue: the start of the wait that assigned_at ends.
    queued_at            BIGINT NOT NULL,
    assigned_at          BIGINT,
    started_at           BIGINT,
    finished_at          BIGINT,
    cancel_requested_at  BIGINT,
    updated_at           BIGINT NOT NULL,
    CHECK (attempts >= 0 AND attempts <= max_attempts)
);
-- A retried submit with the same Idempotency-Key finds the first job; NULL keys never collide.
CREATE UNIQUE INDEX jobs_idempotency ON jobs (org_id, idempotency_key);
CREATE INDEX jobs_org ON jobs (org_id, id);
CREATE INDEX jobs_queue ON jobs (org_id, status, priority, created_at);
CREATE INDEX jobs_status ON jobs (status, assigned_at);
CREATE INDEX jobs_robot ON jobs (robot_id, id);

-- The job a robot is running (set with status 'busy'), cleared when it ends.
ALTER TABLE robots ADD COLUMN current_job_id TEXT;
