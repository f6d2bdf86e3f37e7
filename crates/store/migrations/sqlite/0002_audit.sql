-- The audit trail. Entries and checkpoints are append-only: the triggers below
-- refuse every UPDATE and DELETE, whoever issues it. Sequence numbers start at 0
-- and have no gaps; each entry carries its predecessor's hash and its own.
CREATE TABLE audit_entry (
    seq         INTEGER PRIMARY KEY CHECK (seq >= 0),
    time_us     INTEGER NOT NULL,
    company     TEXT,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    request_id  TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    details     BLOB    NOT NULL,
    prev_hash   BLOB    NOT NULL,
    entry_hash  BLOB    NOT NULL
);

CREATE TRIGGER audit_entry_no_update
BEFORE UPDATE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit_entry is append-only: entries cannot be updated');
END;

CREATE TRIGGER audit_entry_no_delete
BEFORE DELETE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit_entry is append-only: entries cannot be deleted');
END;

-- Signed tree heads (C2SP checkpoint notes) over the first tree_size entries.
CREATE TABLE audit_checkpoint (
    tree_size   INTEGER PRIMARY KEY CHECK (tree_size >= 0),
    root        BLOB    NOT NULL,
    time_us     INTEGER NOT NULL,
    note        TEXT    NOT NULL
);

CREATE TRIGGER audit_checkpoint_no_update
BEFORE UPDATE ON audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoint is append-only: checkpoints cannot be updated');
END;

CREATE TRIGGER audit_checkpoint_no_delete
BEFORE DELETE ON audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoint is append-only: checkpoints cannot be deleted');
END;
