//! Idempotency records on every backend: the primary key decides between
//! duplicates, answers complete only an in-flight placeholder, and expired
//! records are purged.

use faktura_store::Error;
use faktura_store::idempotency::{IdemAnswer, IdemBegin, IdemScope};

use crate::harness::backends;

fn scope(company: &str, actor: &str, key: u8) -> IdemScope {
    IdemScope {
        company_id: company.into(),
        actor: actor.into(),
        key_hash: vec![key; 32],
    }
}

#[tokio::test]
async fn placeholder_answer_replay_scope_and_expiry() {
    for db in backends("idempotency records").await {
        let s = &db.store;
        let name = db.name;
        let a = scope("com_a", "log_a", 1);
        let hash = vec![7_u8; 32];

        assert_eq!(
            s.idempotency_begin(&a, &hash, 1_000, 0, 0).await.unwrap(),
            IdemBegin::Started,
            "{name}"
        );
        // A duplicate sees the in-flight placeholder.
        let IdemBegin::Existing(r) = s
            .idempotency_begin(&a, &[9; 32], 1_001, 0, 0)
            .await
            .unwrap()
        else {
            panic!("{name}: duplicate not seen");
        };
        assert_eq!(
            (r.request_hash, r.status, r.created_us),
            (hash.clone(), None, 1_000)
        );

        // Other company, other actor, other key: independent.
        for other in [
            scope("com_b", "log_a", 1),
            scope("com_a", "log_b", 1),
            scope("", "log_a", 1),
            scope("com_a", "log_a", 2),
        ] {
            assert_eq!(
                s.idempotency_begin(&other, &hash, 1_000, 0, 0)
                    .await
                    .unwrap(),
                IdemBegin::Started,
                "{name}: {other:?}"
            );
        }

        let answer = IdemAnswer {
            status: 201,
            content_type: Some("application/json"),
            location: Some("/api/v1/x/1"),
            body_sealed: b"sealed",
        };
        s.idempotency_complete(&a, answer).await.unwrap();
        // Only an in-flight placeholder completes.
        assert!(
            matches!(
                s.idempotency_complete(&a, answer).await,
                Err(Error::NotFound(_))
            ),
            "{name}"
        );
        assert!(matches!(
            s.idempotency_complete(&scope("com_z", "log_a", 1), answer)
                .await,
            Err(Error::NotFound(_))
        ));
        // Abandoning leaves a completed record alone.
        s.idempotency_abandon(&a).await.unwrap();
        let IdemBegin::Existing(r) = s.idempotency_begin(&a, &hash, 2_000, 0, 0).await.unwrap()
        else {
            panic!("{name}: completed record lost");
        };
        assert_eq!(r.status, Some(201));
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(r.location.as_deref(), Some("/api/v1/x/1"));
        assert_eq!(r.body_sealed.as_deref(), Some(&b"sealed"[..]));

        // An abandoned placeholder frees the key.
        let b = scope("com_a", "log_a", 2);
        s.idempotency_abandon(&b).await.unwrap();
        assert_eq!(
            s.idempotency_begin(&b, &hash, 3_000, 0, 0).await.unwrap(),
            IdemBegin::Started,
            "{name}"
        );

        // Expired records are purged: the key starts afresh.
        assert_eq!(
            s.idempotency_begin(&a, &[8; 32], 10_000, 5_000, 0)
                .await
                .unwrap(),
            IdemBegin::Started,
            "{name}"
        );
        let IdemBegin::Existing(r) = s
            .idempotency_begin(&a, &hash, 10_001, 5_000, 0)
            .await
            .unwrap()
        else {
            panic!("{name}: new placeholder not seen");
        };
        assert_eq!((r.request_hash, r.status), (vec![8; 32], None));
        // A placeholder left in flight past the stale cut-off frees its key;
        // a completed record of the same age stays.
        let c = scope("com_c", "log_c", 3);
        let d = scope("com_c", "log_c", 4);
        assert_eq!(
            s.idempotency_begin(&c, &hash, 6_000, 5_000, 0)
                .await
                .unwrap(),
            IdemBegin::Started
        );
        assert_eq!(
            s.idempotency_begin(&d, &hash, 6_000, 5_000, 0)
                .await
                .unwrap(),
            IdemBegin::Started
        );
        s.idempotency_complete(&d, answer).await.unwrap();
        assert_eq!(
            s.idempotency_begin(&c, &[5; 32], 7_000, 5_000, 6_500)
                .await
                .unwrap(),
            IdemBegin::Started,
            "{name}"
        );
        let IdemBegin::Existing(r) = s
            .idempotency_begin(&d, &[5; 32], 7_000, 5_000, 6_500)
            .await
            .unwrap()
        else {
            panic!("{name}: completed record purged as stale");
        };
        assert_eq!(r.status, Some(201));
        // b (created at 3 000) went with the purge too.
        assert_eq!(
            s.idempotency_begin(&b, &hash, 10_002, 5_000, 0)
                .await
                .unwrap(),
            IdemBegin::Started,
            "{name}"
        );
    }
}
