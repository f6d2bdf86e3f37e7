-- Idempotency keys of POST requests (API-CONVENTIONS "Safety of retries"): one row per
-- (company or '' for none, actor, SHA-256 of the client's key), inserted as an in-flight
-- placeholder (status NULL) before the handler runs, so the unique key decides between
-- concurrent duplicates; then completed with the answer. The answer's body is sealed by the
-- server (it may hold a one-time secret); the client's key is stored only as its hash.
-- Rows older than 24 hours are ignored and purged.
CREATE TABLE idempotency_record (
    company_id      TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    key_hash        BLOB    NOT NULL,
    request_hash    BLOB    NOT NULL,
    status          INTEGER,
    content_type    TEXT,
    location        TEXT,
    body_sealed     BLOB,
    created_us      INTEGER NOT NULL,
    PRIMARY KEY (company_id, actor, key_hash)
);
CREATE INDEX idempotency_record_created ON idempotency_record (created_us);
