//! Key material: append, read back, versions, no update in place.

use faktura_store::{Error, KeyKind, NewKeyMaterial};
use time::macros::datetime;

use crate::harness::backends;

fn record(kind: &str, version: u32, company: Option<&str>, wrapped: &[u8]) -> NewKeyMaterial {
    NewKeyMaterial {
        kind: KeyKind::new(kind).unwrap(),
        version,
        company_id: company.map(str::to_owned),
        purpose: "invoices".into(),
        wrapped: wrapped.to_vec(),
        created_at: datetime!(2026-11-24 12:00:00.123456 UTC),
    }
}

#[tokio::test]
async fn key_material_appends_versions_and_never_updates() {
    for db in backends("key_material_appends_versions_and_never_updates").await {
        let s = &db.store;
        let kek = KeyKind::new(KeyKind::KEK).unwrap();
        let v1 = s
            .append_key_material(&record("kek", 1, None, b"wrapped-1"))
            .await
            .unwrap();
        assert_eq!(v1.wrapped, b"wrapped-1");
        assert_eq!(v1.created_at, datetime!(2026-11-24 12:00:00.123456 UTC));
        s.append_key_material(&record("kek", 2, None, b"wrapped-2"))
            .await
            .unwrap();
        // Same identity again: refused, nothing overwritten.
        let dup = s
            .append_key_material(&record("kek", 2, None, b"other"))
            .await;
        assert!(
            matches!(dup, Err(Error::Conflict(_))),
            "{}: {dup:?}",
            db.name
        );
        // Company-scoped keys are separate from instance-wide ones.
        s.append_key_material(&record("kek", 1, Some("c1"), b"c1-1"))
            .await
            .unwrap();
        let all = s
            .key_material_versions(&kek, None, "invoices")
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|k| k.version).collect::<Vec<_>>(),
            [1, 2],
            "{}",
            db.name
        );
        let latest = s
            .key_material_latest(&kek, None, "invoices")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.wrapped, b"wrapped-2");
        let c1 = s
            .key_material_versions(&kek, Some("c1"), "invoices")
            .await
            .unwrap();
        assert_eq!(c1.len(), 1);
        assert_eq!(s.key_material_of_kind(&kek).await.unwrap().len(), 3);
        assert!(
            s.key_material_latest(&kek, Some("c2"), "invoices")
                .await
                .unwrap()
                .is_none()
        );
        // The database itself refuses an update in place.
        let upd = db
            .raw_exec("UPDATE key_material SET purpose = 'x' WHERE version = 1")
            .await;
        assert!(
            upd.is_err(),
            "{}: UPDATE of key_material succeeded",
            db.name
        );
        let msg = upd.unwrap_err().to_string();
        assert!(msg.contains("append-only"), "{}: {msg}", db.name);
        // ... and a delete (which could revive a re-keyed share set or lose a KEK).
        let mut refused = vec!["DELETE FROM key_material WHERE version = 2"];
        if db.name == "postgres" {
            refused.push("TRUNCATE key_material");
        }
        for sql in refused {
            let result = db.raw_exec(sql).await;
            assert!(result.is_err(), "{}: `{sql}` succeeded", db.name);
            let msg = result.unwrap_err().to_string();
            assert!(msg.contains("append-only"), "{}: {sql}: {msg}", db.name);
        }
        assert_eq!(s.key_material_of_kind(&kek).await.unwrap().len(), 3);
        db.store.close().await;
    }
}

#[test]
fn key_kinds_are_validated() {
    assert!(KeyKind::new("share-set").is_ok());
    for bad in [
        "",
        "KEK",
        "a b",
        "x".repeat(33).as_str(),
        "k'; DROP TABLE key_material; --",
    ] {
        assert!(KeyKind::new(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn several_key_rows_are_stored_all_or_none() {
    for db in backends("several_key_rows_are_stored_all_or_none").await {
        let s = &db.store;
        let kek = KeyKind::new(KeyKind::KEK).unwrap();
        let dek = KeyKind::new(KeyKind::DEK).unwrap();
        let stored = s
            .append_key_materials(&[
                record("kek", 1, None, b"k1"),
                record("dek", 1, Some("c1"), b"d1"),
            ])
            .await
            .unwrap();
        assert_eq!(stored.len(), 2, "{}", db.name);
        assert!(stored[0].id < stored[1].id, "{}", db.name);
        // The last row conflicts with a stored one: the whole batch is refused
        // and the rows before it (kek 2, dek c2) are not left behind.
        let batch = s
            .append_key_materials(&[
                record("kek", 2, None, b"k2"),
                record("dek", 1, Some("c2"), b"d2"),
                record("dek", 1, Some("c1"), b"again"),
            ])
            .await;
        assert!(
            matches!(batch, Err(Error::Conflict(_))),
            "{}: {batch:?}",
            db.name
        );
        assert_eq!(
            s.key_material_of_kind(&kek)
                .await
                .unwrap()
                .iter()
                .map(|k| k.version)
                .collect::<Vec<_>>(),
            [1],
            "{}",
            db.name
        );
        let deks = s.key_material_of_kind(&dek).await.unwrap();
        assert_eq!(deks.len(), 1, "{}", db.name);
        assert_eq!(deks[0].wrapped, b"d1", "{}", db.name);
        // A duplicate inside one batch is refused the same way.
        let dup = s
            .append_key_materials(&[record("kek", 3, None, b"a"), record("kek", 3, None, b"b")])
            .await;
        assert!(
            matches!(dup, Err(Error::Conflict(_))),
            "{}: {dup:?}",
            db.name
        );
        assert_eq!(s.key_material_of_kind(&kek).await.unwrap().len(), 1);
        // An invalid record anywhere stops the batch before it starts.
        let mut big = record("kek", 4, None, b"");
        big.wrapped = vec![0; faktura_store::MAX_WRAPPED_LEN + 1];
        let invalid = s
            .append_key_materials(&[record("kek", 5, None, b"ok"), big])
            .await;
        assert!(
            matches!(invalid, Err(Error::Invalid(_))),
            "{}: {invalid:?}",
            db.name
        );
        assert_eq!(s.key_material_of_kind(&kek).await.unwrap().len(), 1);
        // An empty batch stores nothing and succeeds.
        assert!(s.append_key_materials(&[]).await.unwrap().is_empty());
        s.close().await;
    }
}

#[tokio::test]
async fn the_instance_key_layout_round_trips() {
    use faktura_crypto::{
        CompanyId, Keyring, OsRng, Purpose, RootKey, ShareParams, split_root_key,
    };
    for db in backends("the_instance_key_layout_round_trips").await {
        let s = &db.store;
        let at = datetime!(2026-11-24 12:00:00 UTC);
        // An empty database is named as not initialised.
        let empty = s.read_keys().await;
        assert!(
            matches!(&empty, Err(Error::Corrupt(m)) if m.contains("faktura init")),
            "{}: {empty:?}",
            db.name
        );
        let root = RootKey::generate(&OsRng).unwrap();
        let params = ShareParams::new(3, 2).unwrap();
        let (_, record) = split_root_key(&root, params, &OsRng).unwrap();
        let (mut ring, kek1) = Keyring::create(root, &OsRng).unwrap();
        let stored_rows = s
            .store_initial_keys(&record, &kek1, vec![], at)
            .await
            .unwrap();
        assert_eq!(stored_rows, 2);
        let acme = CompanyId::new("acme").unwrap();
        let dek = ring
            .create_data_key(&acme, Purpose::Records, &OsRng)
            .unwrap();
        let kek2 = ring.rotate(&OsRng).unwrap();
        let rewrapped = ring.rewrap(&dek, &OsRng).unwrap();
        s.store_rotation(&kek1, &[], vec![], at).await.unwrap_err();
        s.store_rotation(&kek2, &[dek.clone(), rewrapped.clone()], vec![], at)
            .await
            .unwrap();
        let keys = s.read_keys().await.unwrap();
        assert_eq!(keys.share_set_version, 1);
        assert_eq!(keys.share_set.set_id(), record.set_id());
        assert_eq!(
            keys.keks
                .iter()
                .map(|k| k.version().get())
                .collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(keys.data_keys.len(), 2);
        assert!(keys.signing_key.is_none());
        // The newest wrapping of data key 1 is the one under KEK 2.
        let current = keys.current_data_keys();
        assert_eq!(current.len(), 1, "{}", db.name);
        assert_eq!(current[0].kek_version().get(), 2);
        assert_eq!(current[0].to_bytes(), rewrapped.to_bytes());
        // Re-key: version 2 becomes current; a stale re-key conflicts.
        let (_, record2) = ring.rekey(params, &OsRng).unwrap();
        s.store_share_set(&keys, &record2, at).await.unwrap();
        let stale = s.store_share_set(&keys, &record2, at).await;
        assert!(
            matches!(stale, Err(Error::Conflict(_))),
            "{}: {stale:?}",
            db.name
        );
        let keys = s.read_keys().await.unwrap();
        assert_eq!(keys.share_set_version, 2);
        assert_eq!(keys.share_set.set_id(), record2.set_id());
        s.close().await;
    }
}
