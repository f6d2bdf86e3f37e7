-- Key material is never deleted either: deleting the newest share-set row would
-- make an older (re-keyed) share set current again, and deleting a KEK row would
-- lose data. Retiring a version is a new row, never a removal.
CREATE FUNCTION key_material_reject_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'key_material is append-only: rows are never deleted'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER key_material_no_delete
BEFORE DELETE ON key_material
FOR EACH ROW EXECUTE FUNCTION key_material_reject_delete();

CREATE TRIGGER key_material_no_truncate
BEFORE TRUNCATE ON key_material
FOR EACH STATEMENT EXECUTE FUNCTION key_material_reject_delete();
