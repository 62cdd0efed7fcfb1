-- A fingerprint of the server secret (BEACON_SECRET_KEY or secret.key) that first started on this database, so that
-- a node started with another key refuses to start instead of writing what the others cannot decrypt. One row at
-- most. The fingerprint is an HMAC-SHA256 under the key of a fixed label: it identifies the key without revealing
-- anything about it. Additive: a node of the previous release ignores the table.
CREATE TABLE secret_key_fingerprint (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
