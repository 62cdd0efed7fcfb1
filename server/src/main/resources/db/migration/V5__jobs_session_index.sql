-- An agent session's held jobs are looked up whenever the session ends (a disconnect); without this index
-- every disconnect scanned the whole jobs table.
CREATE INDEX jobs_session ON jobs (session_id);
