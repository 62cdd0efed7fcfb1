-- Server nodes. Every server process registers a row at start and renews its lease (last_heartbeat_at) every few
-- seconds; a node whose lease is older than the dead-after time is dead. A surviving node claims a dead node once
-- (reaped_at/reaped_by, set by one guarded UPDATE that only one survivor wins), marks its robots offline and
-- requeues the jobs they held. stopped_at is set by a clean shutdown. Additive only: nodes of the previous release
-- keep running beside this one during a rolling restart.
CREATE TABLE nodes (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    url                TEXT NOT NULL,
    started_at         BIGINT NOT NULL,
    last_heartbeat_at  BIGINT NOT NULL,
    stopped_at         BIGINT,
    reaped_at          BIGINT,
    reaped_by          TEXT
);
-- A name belongs to one node that has neither stopped nor been reaped: two nodes starting with the same name at
-- once cannot both register (the second one's INSERT fails here).
CREATE UNIQUE INDEX nodes_current_name ON nodes (name) WHERE stopped_at IS NULL AND reaped_at IS NULL;

-- Which node holds the robot's live session: set with session_id on connect, cleared with it on disconnect.
ALTER TABLE robots ADD COLUMN node_id TEXT;
CREATE INDEX robots_node ON robots (node_id);
-- Which node served each connection, so that a survivor can close the open rows of a dead node and settle the
-- jobs of those sessions.
ALTER TABLE robot_connections ADD COLUMN node_id TEXT;
CREATE INDEX robot_connections_open_node ON robot_connections (node_id) WHERE disconnected_at IS NULL;
