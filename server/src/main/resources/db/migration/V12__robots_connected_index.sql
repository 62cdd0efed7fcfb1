-- A job submitted on a node where no robot can take it is handed, in the statement that stores it, to an idle robot of
-- another node; that statement looks for the robot among the organization's robots. Without this index it walked all
-- of them through robots_org, offline ones included (thousands in a large fleet, on every such submit). Only connected
-- robots can take a job, and a robot's session changes when it connects or disconnects, not with every job, so its
-- status flips between online and busy stay heap-only (HOT) updates on PostgreSQL. Additive: a node of the previous
-- release ignores it.
CREATE INDEX robots_connected ON robots (org_id) WHERE session_id IS NOT NULL AND removed_at IS NULL;
