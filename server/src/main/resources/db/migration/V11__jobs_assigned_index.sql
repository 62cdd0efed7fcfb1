-- GET /api/queue and the /metrics gauges average the waits of an organization's assignments of the last hour: at a
-- thousand jobs a second, hundreds of thousands of jobs. This index holds every column that statement reads, so it
-- walks only that organization's last hour, in the index, and never reads a job row (payload, output). Additive: a
-- node of the previous release ignores it. On a large PostgreSQL database building it takes a while at the upgrade
-- (writes to jobs wait meanwhile).
CREATE INDEX jobs_assigned ON jobs (org_id, assigned_at, queued_at, kind, robot_id);
