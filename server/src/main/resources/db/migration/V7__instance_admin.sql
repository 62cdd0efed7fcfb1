-- Instance admins see what belongs to no organization: refused sign-ins of unknown users and claims with an
-- unknown or malformed enrollment key (audit_events.org_id IS NULL), through GET /api/instance/audit and the
-- dashboard's Instance audit page. Set with `beacon admin user create --instance-admin` or
-- `beacon admin user set-instance-admin`; null means an ordinary user. A timestamp rather than a boolean, like
-- revoked_at and paused_at, so the same SQL runs on SQLite and PostgreSQL and says since when.
ALTER TABLE users ADD COLUMN instance_admin_at BIGINT;
