-- The audit trail. Entries and checkpoints are append-only: the triggers below
-- refuse every UPDATE, DELETE and TRUNCATE, whoever issues it. Sequence numbers
-- start at 0 and have no gaps; each entry carries its predecessor's hash and its own.
CREATE TABLE audit_entry (
    seq         BIGINT  PRIMARY KEY CHECK (seq >= 0),
    time_us     BIGINT  NOT NULL,
    company     TEXT,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    request_id  TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    details     BYTEA   NOT NULL,
    prev_hash   BYTEA   NOT NULL,
    entry_hash  BYTEA   NOT NULL
);

-- Signed tree heads (C2SP checkpoint notes) over the first tree_size entries.
CREATE TABLE audit_checkpoint (
    tree_size   BIGINT  PRIMARY KEY CHECK (tree_size >= 0),
    root        BYTEA   NOT NULL,
    time_us     BIGINT  NOT NULL,
    note        TEXT    NOT NULL
);

CREATE FUNCTION audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_entry_no_change
BEFORE UPDATE OR DELETE ON audit_entry
FOR EACH ROW EXECUTE FUNCTION audit_reject_change();

CREATE TRIGGER audit_entry_no_truncate
BEFORE TRUNCATE ON audit_entry
FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE TRIGGER audit_checkpoint_no_change
BEFORE UPDATE OR DELETE ON audit_checkpoint
FOR EACH ROW EXECUTE FUNCTION audit_reject_change();

CREATE TRIGGER audit_checkpoint_no_truncate
BEFORE TRUNCATE ON audit_checkpoint
FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
