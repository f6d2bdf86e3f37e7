//! The unseal endpoint's audit entries and its per-address rate limit, over
//! real TLS, read back from the instance's own database.

use faktura_audit::{Entry, Outcome};
use faktura_store::Store;
use faktura_testkit::TestServer;
use serde_json::{Value, json};

use crate::problem;

async fn unseal(server: &TestServer, share: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/v1/sys/unseal"))
        .json(&json!({ "share": share }))
        .send()
        .await
        .unwrap()
}

fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The unseal entries of the server's audit trail, oldest first.
async fn unseal_entries(server: &TestServer) -> Vec<Entry> {
    let store = Store::open_sqlite(&server.data.path().join("instance").join("faktura.db"))
        .await
        .unwrap();
    let len = store.audit_len().await.unwrap();
    let entries = store.audit_entries(0, len).await.unwrap();
    store.close().await;
    entries
        .into_iter()
        .filter(|e| e.fields.action.starts_with("unseal."))
        .collect()
}

fn details(entry: &Entry) -> Value {
    serde_json::from_slice(&entry.fields.details).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_unseal_request_is_audited_without_share_material() {
    let server = TestServer::builder().shares(5, 3).start().await.unwrap();
    let shares: Vec<String> = (0..3).map(|i| server.share_text(i).unwrap()).collect();
    let mut ids = Vec::new();

    let r = unseal(&server, "not a share").await;
    assert_eq!(r.status(), 422);
    ids.push(request_id(&r));
    for (share, want) in [(&shares[0], 200), (&shares[0], 409), (&shares[1], 200)] {
        let r = unseal(&server, share).await;
        assert_eq!(r.status(), want);
        ids.push(request_id(&r));
    }
    let r = unseal(&server, &shares[2]).await;
    assert_eq!(r.status(), 200);
    ids.push(request_id(&r));
    let r = unseal(&server, &shares[2]).await;
    assert_eq!(problem(r).await["type"], "/problems/already-unsealed");

    let entries = unseal_entries(&server).await;
    let seen: Vec<(&str, Outcome, Value)> = entries
        .iter()
        .map(|e| (e.fields.action.as_str(), e.fields.outcome, details(e)))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "unseal.share",
                Outcome::Failure,
                json!({"reason": "share-malformed"})
            ),
            (
                "unseal.share",
                Outcome::Success,
                json!({"progress": 1, "threshold": 3})
            ),
            (
                "unseal.share",
                Outcome::Failure,
                json!({"reason": "share-duplicate"})
            ),
            (
                "unseal.share",
                Outcome::Success,
                json!({"progress": 2, "threshold": 3})
            ),
            ("unseal.complete", Outcome::Success, json!({"threshold": 3})),
            (
                "unseal.share",
                Outcome::Failure,
                json!({"reason": "already-unsealed"})
            ),
        ]
    );
    for (entry, id) in entries.iter().zip(&ids) {
        assert_eq!(&entry.fields.request_id, id);
        assert_eq!(entry.fields.source, "127.0.0.1");
        assert_eq!(entry.fields.actor, "custodian");
    }
    // No share material anywhere in an entry (each share line is long and random).
    for entry in &entries {
        let all = format!("{:?}", entry.fields);
        for share in &shares {
            for line in share.lines().filter(|l| l.len() >= 16) {
                assert!(!all.contains(line), "share text in {all}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unseal_is_rate_limited_per_address_with_retry_after() {
    let server = TestServer::builder().shares(3, 2).start().await.unwrap();
    let mut answered = 0;
    let limited = loop {
        let r = unseal(&server, "guess").await;
        if r.status() != 422 {
            break r;
        }
        answered += 1;
        assert!(answered <= 100, "no rate limit after 100 requests");
    };
    assert_eq!(limited.status(), 429);
    assert_eq!(answered, 20, "the burst is 20 requests");
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry), "Retry-After {retry}");
    let body = problem(limited).await;
    assert_eq!(body["type"], "/problems/rate-limited");
    assert_eq!(body["status"], 429);
    // Even a real share waits: the limit is checked before the body is read.
    let r = unseal(&server, &server.share_text(0).unwrap()).await;
    assert_eq!(r.status(), 429);
    // Refused-by-limit requests are not audited (a flood must not fill the trail).
    assert_eq!(unseal_entries(&server).await.len(), 20);
    // After Retry-After seconds the address may try again.
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    let r = unseal(&server, &server.share_text(0).unwrap()).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dev_instance_records_its_automatic_unseal() {
    let server = TestServer::builder().dev().start().await.unwrap();
    let entries = unseal_entries(&server).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry.fields.action, "unseal.complete");
    assert_eq!(entry.fields.actor, "dev-share");
    assert_eq!(details(entry), json!({"threshold": 1}));
}
