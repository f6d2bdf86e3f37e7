//! `Idempotency-Key` on POST routes (API-CONVENTIONS "Safety of retries",
//! SECURITY-TESTS H20 in small), over real HTTPS: a retried create runs
//! once and replays its first answer (marked `Idempotent-Replayed: true`),
//! another body under the same key is 422, keys are scoped to the caller,
//! parallel duplicates create exactly one resource, and a replayed one-time
//! secret (a new API key) is never at rest in the clear.

use faktura_testkit::{Session, TestServer};
use serde_json::{Value, json};

use crate::invitations::{join, server};
use crate::postgres::pg_base_url;
use crate::problem;

async fn memberships(session: &Session) -> Vec<Value> {
    let me: Value = session
        .get("/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    me["memberships"].as_array().unwrap().clone()
}

/// Status, the replay header, and the JSON body.
async fn answer(r: reqwest::RequestBuilder) -> (u16, Option<String>, Value) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let replayed = r
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, replayed, r.json().await.unwrap())
}

fn create_company(session: &Session, key: &str, name: &str) -> reqwest::RequestBuilder {
    session
        .post("/api/v1/companies")
        .header("idempotency-key", key)
        .json(&json!({ "name": name }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_runs_once_and_replays_its_answer() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    assert_eq!(memberships(&owner).await.len(), 1);

    let (status, replayed, first) = answer(create_company(&owner, "retry-1", "Zweite AG")).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(replayed, None);
    let (status, replayed, second) = answer(create_company(&owner, "retry-1", "Zweite AG")).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(first, second);
    assert_eq!(memberships(&owner).await.len(), 2, "one company, not two");

    // Same key, another body: refused, nothing created.
    let r = create_company(&owner, "retry-1", "Dritte AG")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.headers().get("idempotent-replayed").is_none());
    assert_eq!(problem(r).await["type"], "/problems/idempotency-key-reused");
    assert_eq!(memberships(&owner).await.len(), 2);

    // Another key is another request; no key is no idempotency.
    let (status, replayed, third) = answer(create_company(&owner, "retry-2", "Zweite AG")).await;
    assert_eq!((status, replayed), (201, None));
    assert_ne!(third["id"], first["id"]);
    for _ in 0..2 {
        let r = owner
            .post("/api/v1/companies")
            .json(&json!({"name": "Ohne Schlüssel"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        assert!(r.headers().get("idempotent-replayed").is_none());
    }
    assert_eq!(memberships(&owner).await.len(), 5);

    // A 4xx answer is kept and replayed too (the same invalid request).
    let bad = || {
        owner
            .post("/api/v1/companies")
            .header("idempotency-key", "retry-bad")
            .json(&json!({"name": "X", "unknown": 1}))
    };
    let (status, replayed, first_bad) = answer(bad()).await;
    assert_eq!((status, replayed), (422, None), "{first_bad}");
    let (status, replayed, second_bad) = answer(bad()).await;
    assert_eq!((status, replayed.as_deref()), (422, Some("true")));
    assert_eq!(first_bad["type"], second_bad["type"]);

    // Malformed keys are refused before anything runs.
    for key in [String::new(), "k".repeat(256), "tab\tkey".to_owned()] {
        let r = create_company(&owner, &key, "Nie AG").send().await.unwrap();
        assert_eq!(r.status(), 400, "key {key:?}");
        assert_eq!(problem(r).await["type"], "/problems/malformed-request");
    }
    let r = owner
        .post("/api/v1/companies")
        .header("idempotency-key", "a")
        .header("idempotency-key", "b")
        .json(&json!({"name": "Nie AG"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let longest = "k".repeat(255);
    let (status, _, _) = answer(create_company(&owner, &longest, "Lang AG")).await;
    assert_eq!(status, 201);
    assert_eq!(memberships(&owner).await.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_their_caller() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let (admin, _) = join(&server, &owner, "admin@example.com", "admin").await;

    let (status, replayed, mine) = answer(create_company(&owner, "shared", "Eigene AG")).await;
    assert_eq!((status, replayed), (201, None), "{mine}");
    // Another caller with the same key and another body: its own request.
    let (status, replayed, theirs) = answer(create_company(&admin, "shared", "Andere AG")).await;
    assert_eq!((status, replayed), (201, None), "{theirs}");
    assert_ne!(mine["id"], theirs["id"]);
    // …and with the same body: still its own request, not the owner's answer.
    let (status, replayed, again) = answer(create_company(&admin, "other", "Eigene AG")).await;
    assert_eq!((status, replayed), (201, None));
    let (status, replayed, same_body) =
        answer(create_company(&admin, "shared2", "Eigene AG")).await;
    assert_eq!((status, replayed), (201, None));
    assert_ne!(again["id"], same_body["id"]);
    let (status, replayed, owner_same) =
        answer(create_company(&owner, "shared2", "Eigene AG")).await;
    assert_eq!((status, replayed), (201, None));
    assert_ne!(owner_same["id"], same_body["id"]);
    assert_eq!(memberships(&owner).await.len(), 3);
    assert_eq!(memberships(&admin).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_duplicates_create_one_company() {
    race(&server().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_duplicates_create_one_company_on_postgres() {
    let Some(base) = pg_base_url("fifty_parallel_duplicates_create_one_company_on_postgres") else {
        return;
    };
    let server = TestServer::builder()
        .dev()
        .auth(|a| a.login_burst = 1000)
        .postgres(&base)
        .start()
        .await
        .unwrap();
    race(&server).await;
}

/// 50 parallel requests with one key: exactly one company (H20 in small).
async fn race(server: &TestServer) {
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let owner = owner.clone();
            tokio::spawn(async move {
                let r = create_company(&owner, "race", "Parallel AG")
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap();
                (status, body)
            })
        })
        .collect();
    let mut created = Vec::new();
    let mut in_flight = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => created.push(body["id"].as_str().unwrap().to_owned()),
            409 => {
                assert_eq!(body["type"], "/problems/idempotency-key-in-flight");
                in_flight += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    created.dedup();
    println!(
        "{}: 50 parallel duplicates: {} answered 201, {in_flight} answered 409",
        server.postgres.as_ref().map_or("sqlite", |_| "postgres"),
        50 - in_flight
    );
    assert_eq!(
        created.len(),
        1,
        "every 201 names the same company: {created:?}"
    );
    assert_eq!(
        memberships(&owner).await.len(),
        2,
        "exactly one company created"
    );
    // After the race, a retry gets the stored answer.
    let (status, replayed, body) = answer(create_company(&owner, "race", "Parallel AG")).await;
    assert_eq!((status, replayed.as_deref()), (201, Some("true")));
    assert_eq!(body["id"].as_str(), created.first().map(String::as_str));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_api_key_is_the_same_key_and_never_at_rest_in_clear() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let r = owner
        .put("/api/v1/company/tier")
        .json(&json!({ "tier": "business" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let create = || {
        owner
            .post("/api/v1/api-keys")
            .header("idempotency-key", "key-once")
            .json(&json!({"name": "erp", "scopes": ["company.read"]}))
    };
    let (status, replayed, first) = answer(create()).await;
    assert_eq!((status, replayed), (201, None), "{first}");
    let (status, replayed, second) = answer(create()).await;
    assert_eq!((status, replayed.as_deref()), (201, Some("true")));
    assert_eq!(first, second);
    let key = first["key"].as_str().unwrap();
    let id = first["id"].as_str().unwrap();
    assert!(key.len() > 20, "{first}");

    // One key exists, and the replayed key works.
    let list: Value = owner
        .get("/api/v1/api-keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let r = server
        .with_api_key(key)
        .request(reqwest::Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Control: the key's id is stored in the clear, so the search finds it.
    assert!(!server.files_holding(id.as_bytes()).is_empty());
    let secret = key.get(8..).unwrap();
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    for needle in [key.as_bytes(), secret.as_bytes(), hex.as_bytes()] {
        let hits = server.files_holding(needle);
        assert!(hits.is_empty(), "the key sits in the clear in {hits:?}");
    }
}
