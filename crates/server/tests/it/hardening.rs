//! Hardening odds and ends over real HTTPS: `/metrics` only for the
//! configured sources (M05; any other source gets the 404 of an unknown
//! path), and a fresh instance's audit trail opening with `instance.create`
//! (on SQLite, and on PostgreSQL when `FAKTURA_TEST_PG_URL` is set).

use std::path::Path;

use faktura_audit::CheckpointVerifier;
use faktura_store::Store;
use faktura_testkit::{TestCa, TestServer};
use serde_json::{Value, json};

/// A dev server on loopback whose `[metrics] allow` is `allow`.
async fn start_with_metrics_allow(
    allow: Vec<std::net::IpAddr>,
) -> (faktura_server::Running, reqwest::Client, tempfile::TempDir) {
    let ca = TestCa::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = faktura_server::Config::load(
        None,
        faktura_server::Overrides {
            data_dir: Some(data.path().join("instance")),
            listen: Some("127.0.0.1:0".into()),
            dev: true,
            ..Default::default()
        },
    )
    .unwrap();
    config.metrics.allow = allow;
    let identity = faktura_server::ServerIdentity::from_pem(
        ca.server_cert_pem.as_bytes(),
        ca.server_key_pem.as_bytes(),
    )
    .unwrap();
    let running = faktura_server::start(
        config,
        faktura_server::StartOptions {
            identity: Some(identity),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let client = faktura_server::client::https_client(Some(ca.ca_pem.as_bytes())).unwrap();
    (running, client, data)
}

/// Status, content type and problem body without the request id.
async fn answer(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut body: Value = response.json().await.unwrap_or(Value::Null);
    if let Some(map) = body.as_object_mut() {
        map.remove("instance");
    }
    (status, content_type, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answer_loopback_by_default_and_nobody_else() {
    // Default: the testkit's client on 127.0.0.1 is allowed.
    let server = TestServer::builder().dev().start().await.unwrap();
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("faktura_"), "{body}");

    // A configuration that allows only another address: loopback now gets
    // exactly the answer of a path that does not exist.
    let (running, client, _data) =
        start_with_metrics_allow(vec!["192.0.2.7".parse().unwrap()]).await;
    let base = format!("https://127.0.0.1:{}", running.addr.port());
    let metrics = answer(client.get(format!("{base}/metrics")).send().await.unwrap()).await;
    let unknown = answer(client.get(format!("{base}/metricz")).send().await.unwrap()).await;
    assert_eq!(metrics.0, 404, "{metrics:?}");
    assert_eq!(metrics, unknown);
    assert_eq!(metrics.1, "application/problem+json");
    running.stopped().await;

    // An empty list turns the endpoint off.
    let (running, client, _data) = start_with_metrics_allow(Vec::new()).await;
    let base = format!("https://127.0.0.1:{}", running.addr.port());
    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    running.stopped().await;
}

/// Checks that the trail starts with `instance.create` for `backend` and verifies.
async fn check_trail(store: &Store, data_dir: &Path, backend: &str) {
    let entries = store.audit_entries(0, 2).await.unwrap();
    let first = &entries[0].fields;
    assert_eq!(first.action, "instance.create");
    assert_eq!(first.actor, "first-start");
    assert_eq!(first.company, None);
    let details: Value = serde_json::from_slice(&first.details).unwrap();
    assert_eq!(
        details,
        json!({"shares": 1, "threshold": 1, "backend": backend}),
        "a dev instance has one share"
    );
    // Then the automatic unseal of --dev.
    assert_eq!(entries[1].fields.action, "unseal.complete");
    let key = std::fs::read_to_string(data_dir.join("audit-checkpoint.pub")).unwrap();
    let key = CheckpointVerifier::parse(key.trim()).unwrap();
    let report = store.verify_audit(&key, &[]).await.unwrap();
    assert!(report.entries >= 2, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_instance_trail_starts_with_instance_create() {
    let server = TestServer::builder().dev().start().await.unwrap();
    let data_dir = server.data.path().join("instance");
    let store = Store::open_sqlite(&data_dir.join("faktura.db"))
        .await
        .unwrap();
    check_trail(&store, &data_dir, "sqlite").await;
    store.close().await;

    // A share-holding (non-dev) instance records its N and K.
    let server = TestServer::builder().shares(4, 2).start().await.unwrap();
    let data_dir = server.data.path().join("instance");
    let store = Store::open_sqlite(&data_dir.join("faktura.db"))
        .await
        .unwrap();
    let entries = store.audit_entries(0, 1).await.unwrap();
    let details: Value = serde_json::from_slice(&entries[0].fields.details).unwrap();
    assert_eq!(
        details,
        json!({"shares": 4, "threshold": 2, "backend": "sqlite"})
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_instance_trail_starts_with_instance_create_on_postgres() {
    let Some(base) = super::postgres::pg_base_url(
        "a_fresh_instance_trail_starts_with_instance_create_on_postgres",
    ) else {
        return;
    };
    let server = TestServer::builder()
        .dev()
        .postgres(&base)
        .start()
        .await
        .unwrap();
    let pg = server.postgres.clone().unwrap();
    let store = Store::open_postgres(&pg.url).await.unwrap();
    check_trail(&store, &server.data.path().join("instance"), "postgres").await;
    store.close().await;
}
