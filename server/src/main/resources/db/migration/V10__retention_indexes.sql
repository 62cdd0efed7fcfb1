-- Retention: the pruner deletes history older than a cutoff in batches of a few hundred rows, each picked by its time
-- column. Without these indexes every batch would scan the whole table. Additive: a node of the previous release
-- ignores them. On a large PostgreSQL database building them takes a while at the upgrade (writes to these tables
-- wait meanwhile).
CREATE INDEX jobs_finished ON jobs (finished_at);
-- Outputs still to clear: once cleared (output set to NULL) a job leaves this index, so a batch never walks the jobs
-- whose output is gone already.
CREATE INDEX jobs_finished_output ON jobs (finished_at) WHERE output IS NOT NULL;
CREATE INDEX audit_events_created ON audit_events (created_at);
CREATE INDEX robot_connections_closed ON robot_connections (disconnected_at);
