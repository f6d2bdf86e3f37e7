-- Wrapped key material: KEK versions, data keys, root-key check values, share-set
-- descriptors, the audit signing key. Rows are never updated: rotation appends a
-- new version, so an older version stays readable until re-encryption completes.
CREATE TABLE key_material (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 0),
    company_id  TEXT,
    purpose     TEXT    NOT NULL,
    wrapped     BLOB    NOT NULL,
    created_us  INTEGER NOT NULL
);

CREATE UNIQUE INDEX key_material_identity
    ON key_material (kind, COALESCE(company_id, ''), purpose, version);

CREATE TRIGGER key_material_no_update
BEFORE UPDATE ON key_material
BEGIN
    SELECT RAISE(ABORT, 'key_material is append-only: append a new version instead of updating');
END;
