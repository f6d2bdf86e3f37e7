-- Wrapped key material: KEK versions, data keys, root-key check values, share-set
-- descriptors, the audit signing key. Rows are never updated: rotation appends a
-- new version, so an older version stays readable until re-encryption completes.
CREATE TABLE key_material (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT    NOT NULL,
    version     BIGINT  NOT NULL CHECK (version >= 0),
    company_id  TEXT,
    purpose     TEXT    NOT NULL,
    wrapped     BYTEA   NOT NULL,
    created_us  BIGINT  NOT NULL
);

CREATE UNIQUE INDEX key_material_identity
    ON key_material (kind, COALESCE(company_id, ''), purpose, version);

CREATE FUNCTION key_material_reject_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'key_material is append-only: append a new version instead of updating'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER key_material_no_update
BEFORE UPDATE ON key_material
FOR EACH ROW EXECUTE FUNCTION key_material_reject_update();
