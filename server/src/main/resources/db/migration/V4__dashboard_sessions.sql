-- Dashboard sign-in sessions. The cookie holds a random token; only its SHA-256 is stored, so a copy of
-- the database cannot be used to sign in. Each session acts in one organization at a time (the switcher
-- changes it) and carries its own CSRF token, which every form and state-changing request must echo.
CREATE TABLE user_sessions (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users (id),
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    csrf_token    TEXT NOT NULL,
    ip            TEXT,
    user_agent    TEXT,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
