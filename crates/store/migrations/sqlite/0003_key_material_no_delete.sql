-- Key material is never deleted either: deleting the newest share-set row would
-- make an older (re-keyed) share set current again, and deleting a KEK row would
-- lose data. Retiring a version is a new row, never a removal.
CREATE TRIGGER key_material_no_delete
BEFORE DELETE ON key_material
BEGIN
    SELECT RAISE(ABORT, 'key_material is append-only: rows are never deleted');
END;
