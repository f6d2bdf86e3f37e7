//! Tests every backend must pass.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "the bodies of tests, called from the #[tokio::test] wrappers in main.rs"
)]

use faktura_crypto::stream::CHUNK_SIZE;
use faktura_crypto::{CompanyId, OsRng, Purpose};
use faktura_files::{Error, MAX_FILE_SIZE};
use sha2::{Digest, Sha256};

use crate::harness::{Fixture, keys_for, new_id, unique_company};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

pub(crate) async fn round_trip(f: Fixture) {
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    for content in [
        Vec::new(),
        b"x".to_vec(),
        pattern(CHUNK_SIZE),
        pattern(CHUNK_SIZE * 2 + 5),
    ] {
        let id = new_id();
        assert!(!f.store.exists(&company, &id).await.unwrap());
        let stored = f.store.put(&keys, &id, &content, &OsRng).await.unwrap();
        assert_eq!(stored.size, content.len() as u64);
        let raw = f.raw.read(&company, &id).await;
        assert_eq!(stored.sealed_size, raw.len() as u64, "{}", f.name);
        assert_eq!(stored.sealed_sha256, <[u8; 32]>::from(Sha256::digest(&raw)));
        assert!(
            raw.len() > content.len(),
            "sealed objects carry a header and tags"
        );
        assert!(f.store.exists(&company, &id).await.unwrap());
        let back = f.store.get(&keys, &id).await.unwrap();
        assert_eq!(back.expose_secret(), content.as_slice(), "{}", f.name);
    }
    // Delete: gone, reads say so, deleting again is fine.
    let id = new_id();
    f.store
        .put(&keys, &id, b"to be removed", &OsRng)
        .await
        .unwrap();
    f.store.delete(&company, &id).await.unwrap();
    assert!(!f.store.exists(&company, &id).await.unwrap());
    assert!(matches!(
        f.store.get(&keys, &id).await,
        Err(Error::NotFound { .. })
    ));
    f.store.delete(&company, &id).await.unwrap();
    // Another company's files are not visible under the same id.
    let other = unique_company();
    let id = new_id();
    f.store.put(&keys, &id, b"mine", &OsRng).await.unwrap();
    assert!(!f.store.exists(&other, &id).await.unwrap());
    let err = f
        .store
        .get(&keys_for(&other, Purpose::Files), &id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    // Keys of another purpose are refused before anything is stored.
    let id = new_id();
    let err = f
        .store
        .put(&keys_for(&company, Purpose::Records), &id, b"x", &OsRng)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::WrongPurpose { found: "records" }),
        "{err}"
    );
    assert!(!f.store.exists(&company, &id).await.unwrap());
}

pub(crate) async fn never_overwrites(f: Fixture) {
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    let id = new_id();
    f.store.put(&keys, &id, b"first", &OsRng).await.unwrap();
    let err = f
        .store
        .put(&keys, &id, b"second", &OsRng)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { .. }),
        "{}: {err}",
        f.name
    );
    assert!(err.to_string().contains("never overwritten"));
    assert_eq!(
        f.store.get(&keys, &id).await.unwrap().expose_secret(),
        b"first"
    );
}

pub(crate) async fn tampered_objects_do_not_open(f: Fixture) {
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    let id = new_id();
    let content = pattern(CHUNK_SIZE * 2 + 100);
    f.store.put(&keys, &id, &content, &OsRng).await.unwrap();
    let good = f.raw.read(&company, &id).await;
    let n = good.len();
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for pos in [0, 5, 10, 20, 40, n / 2, CHUNK_SIZE + 60, n - 17, n - 1] {
        let mut bad = good.clone();
        bad[pos] ^= 0x01;
        variants.push((format!("bit flipped at {pos}"), bad));
    }
    variants.push(("last byte cut".into(), good[..n - 1].to_vec()));
    variants.push(("last chunk cut".into(), good[..n - 116].to_vec()));
    variants.push(("byte appended".into(), [good.as_slice(), &[0]].concat()));
    variants.push(("empty".into(), Vec::new()));
    for (what, bad) in variants {
        f.raw.write(&company, id.as_str(), &bad).await;
        let err = f.store.get(&keys, &id).await.unwrap_err();
        assert!(
            matches!(err, Error::Unreadable { .. }),
            "{}: {what}: expected Unreadable, got {err}",
            f.name
        );
    }
    // The intact object opens again: the failures above came from the damage.
    f.raw.write(&company, id.as_str(), &good).await;
    assert_eq!(
        f.store.get(&keys, &id).await.unwrap().expose_secret(),
        content.as_slice()
    );
}

pub(crate) async fn moved_objects_do_not_open(f: Fixture) {
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    let id = new_id();
    f.store
        .put(&keys, &id, b"Rechnung 2026-001", &OsRng)
        .await
        .unwrap();
    let sealed = f.raw.read(&company, &id).await;

    // Copied to another id of the same company (same key): refused.
    let other_id = new_id();
    f.raw.write(&company, other_id.as_str(), &sealed).await;
    let err = f.store.get(&keys, &other_id).await.unwrap_err();
    assert!(matches!(err, Error::Unreadable { .. }), "{}: {err}", f.name);

    // Copied to the same id of another company: refused with the same error.
    let other = unique_company();
    let other_keys = keys_for(&other, Purpose::Files);
    f.raw.write(&other, id.as_str(), &sealed).await;
    let err2 = f.store.get(&other_keys, &id).await.unwrap_err();
    assert!(
        matches!(err2, Error::Unreadable { .. }),
        "{}: {err2}",
        f.name
    );
    // One generic message: only the ids differ.
    let generic =
        |e: &Error, c: &CompanyId, i: &str| e.to_string().replace(c.as_str(), "C").replace(i, "I");
    assert_eq!(
        generic(&err, &company, other_id.as_str()),
        generic(&err2, &other, id.as_str())
    );
    // The original still opens.
    assert_eq!(
        f.store.get(&keys, &id).await.unwrap().expose_secret(),
        b"Rechnung 2026-001"
    );
}

pub(crate) async fn no_plaintext_in_storage(f: Fixture) {
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    let marker = format!("FAKTURA-PLAINTEXT-MARKER-{}", new_id());
    let mut big = Vec::new();
    while big.len() < CHUNK_SIZE * 3 {
        big.extend_from_slice(marker.as_bytes());
        big.extend_from_slice(b" Rechnung an Musterfirma GmbH, IBAN DE02120300000000202051 ");
    }
    let mut ids = Vec::new();
    for content in [marker.clone().into_bytes(), big] {
        let id = new_id();
        f.store.put(&keys, &id, &content, &OsRng).await.unwrap();
        ids.push(id);
    }
    let (hits, searched) = f.raw.scan(marker.as_bytes()).await;
    assert!(
        searched >= 2,
        "{}: the scan must see the stored objects",
        f.name
    );
    assert_eq!(hits, 0, "{}: plaintext marker found in storage", f.name);
    assert_eq!(f.raw.scan(b"Musterfirma").await.0, 0);

    // Control: the same scan finds the marker when it is stored in the clear,
    // so the zero above is a finding and not a blind scan.
    f.raw.write(&company, "control", marker.as_bytes()).await;
    let (hits, _) = f.raw.scan(marker.as_bytes()).await;
    assert_eq!(
        hits,
        f.raw.views(),
        "{}: the scan must see the clear control in every view of the storage",
        f.name
    );
    f.raw.remove(&company, "control").await;
    for id in ids {
        assert!(
            f.store
                .get(&keys, &id)
                .await
                .unwrap()
                .expose_secret()
                .starts_with(marker.as_bytes())
        );
    }
}

pub(crate) async fn unsafe_company_ids_are_refused(f: Fixture) {
    // Valid for the key hierarchy (printable ASCII), but not as a path segment.
    for bad in ["..", ".", "a/b", "../etc", "a\\b", "x.y", "with space"] {
        let Ok(company) = CompanyId::new(bad) else {
            continue;
        };
        let keys = keys_for(&company, Purpose::Files);
        let id = new_id();
        let err = f.store.put(&keys, &id, b"x", &OsRng).await.unwrap_err();
        assert!(matches!(err, Error::UnsafeCompanyId { .. }), "{bad}: {err}");
        assert!(matches!(
            f.store.get(&keys, &id).await,
            Err(Error::UnsafeCompanyId { .. })
        ));
        assert!(matches!(
            f.store.exists(&company, &id).await,
            Err(Error::UnsafeCompanyId { .. })
        ));
        assert!(matches!(
            f.store.delete(&company, &id).await,
            Err(Error::UnsafeCompanyId { .. })
        ));
    }
    // File ids that try to be paths never parse.
    for bad in [
        "../../etc/passwd",
        "fil_../../../../etc/passwdxxxx",
        "fil_aaaaaaaaaaaaaaaaaaaaaaaaa/",
        "",
    ] {
        assert!(matches!(
            faktura_files::FileId::parse(bad),
            Err(Error::InvalidFileId(_))
        ));
    }
}

pub(crate) async fn size_cap(f: Fixture) {
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    let limit = usize::try_from(MAX_FILE_SIZE).unwrap();
    let mut content = pattern(limit + 1);
    let id = new_id();
    let err = f.store.put(&keys, &id, &content, &OsRng).await.unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { size, limit: l } if size == MAX_FILE_SIZE + 1 && l == MAX_FILE_SIZE),
        "{err}"
    );
    assert!(err.to_string().contains("67108864"), "{err}");
    assert!(!f.store.exists(&company, &id).await.unwrap());
    // Exactly at the limit is stored and read back.
    content.truncate(limit);
    f.store.put(&keys, &id, &content, &OsRng).await.unwrap();
    let back = f.store.get(&keys, &id).await.unwrap();
    assert!(back.expose_secret() == content.as_slice(), "{}", f.name);
    f.store.delete(&company, &id).await.unwrap();
}
