-- Presence: the session that currently speaks for a robot, and the history of its connections.

-- Set when a connection says hello, cleared when that same session ends; a close from an older
-- session (a stale socket after a reconnect) finds another id here and changes nothing.
ALTER TABLE robots ADD COLUMN session_id TEXT;

CREATE TABLE robot_connections (
    id               TEXT PRIMARY KEY,
    robot_id         TEXT NOT NULL REFERENCES robots (id),
    session_id       TEXT NOT NULL,
    ip               TEXT,
    agent_version    TEXT,
    connected_at     BIGINT NOT NULL,
    disconnected_at  BIGINT,
    reason           TEXT
);
CREATE INDEX robot_connections_robot ON robot_connections (robot_id, id);
