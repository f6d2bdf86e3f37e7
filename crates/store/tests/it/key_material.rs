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
