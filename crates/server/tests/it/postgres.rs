//! The server on PostgreSQL: the platform flow, restarts that read the keys
//! back, and concurrent first starts that must not initialise twice.
//!
//! Runs when `FAKTURA_TEST_PG_URL` is set (`eval "$(bash .ci/start-postgres.sh)"`),
//! skips with a notice otherwise, and fails if `FAKTURA_REQUIRE_PG=1` but no
//! URL is given.

use std::path::Path;

use faktura_audit::CheckpointVerifier;
use faktura_crypto::ShareParams;
use faktura_server::instance::{self, PostgresTarget};
use faktura_store::Store;
use faktura_testkit::{TEST_PASSWORD, TestServer};
use serde_json::{Value, json};

/// The PostgreSQL server to test against, or `None` after a SKIPPED notice.
pub(crate) fn pg_base_url(test: &str) -> Option<String> {
    match std::env::var("FAKTURA_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("FAKTURA_REQUIRE_PG").as_deref() != Ok("1"),
                "FAKTURA_REQUIRE_PG=1 but FAKTURA_TEST_PG_URL is unset: run `eval \"$(bash .ci/start-postgres.sh)\"`"
            );
            eprintln!(
                "SKIPPED: {test} on PostgreSQL (FAKTURA_TEST_PG_URL unset; `eval \"$(bash .ci/start-postgres.sh)\"` to run it)"
            );
            None
        }
    }
}

/// A fresh schema on `base`; returns the URL selecting it.
async fn fresh_schema(base: &str, tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("srv_{tag}_{}_{nanos}", std::process::id());
    PostgresTarget::new(base.to_owned(), None)
        .create_schema(&schema)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options[search_path]={schema}")
}

async fn audit_len(store: &Store) -> u64 {
    store.audit_len().await.unwrap()
}

fn verifier(data_dir: &Path) -> CheckpointVerifier {
    let text = std::fs::read_to_string(data_dir.join("audit-checkpoint.pub")).unwrap();
    CheckpointVerifier::parse(text.trim()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_flow_on_postgres() {
    let Some(base) = pg_base_url("platform_flow_on_postgres") else {
        return;
    };
    let server = TestServer::builder()
        .dev()
        .postgres(&base)
        .start()
        .await
        .unwrap();
    let pg = server.postgres.clone().unwrap();
    let instance_dir = server.data.path().join("instance");
    // The data is in PostgreSQL: no SQLite file was made.
    assert!(!instance_dir.join(instance::DATABASE_FILE).exists());
    let store = Store::open_postgres(&pg.url).await.unwrap();
    assert_eq!(store.backend_name(), "postgres");
    let at_start = audit_len(&store).await;
    assert!(at_start >= 1, "the automatic dev unseal is audited");

    let owner = server
        .setup_owner("owner@pg.example", "PG Muster GmbH")
        .await
        .unwrap();
    let after_setup = audit_len(&store).await;
    assert!(after_setup > at_start, "{after_setup} > {at_start}");

    let created = owner
        .post("/api/v1/companies")
        .json(&json!({"name": "PG Zweite AG"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let second: Value = created.json().await.unwrap();
    let second_id = second["id"].as_str().unwrap().to_owned();
    let after_create = audit_len(&store).await;
    assert!(after_create > after_setup);

    let named = owner.clone().acting_for(&second_id);
    let renamed = named
        .patch("/api/v1/company")
        .json(&json!({"name": "PG Zweite & Söhne AG"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let c: Value = named
        .get("/api/v1/company")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["name"], "PG Zweite & Söhne AG");
    let after_rename = audit_len(&store).await;
    assert!(after_rename > after_create);

    let me: Value = owner
        .get("/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "owner@pg.example");
    assert_eq!(me["memberships"].as_array().unwrap().len(), 2);

    let failed = server
        .client
        .post(server.url("/api/v1/sessions"))
        .json(&json!({"email": "owner@pg.example", "password": "wrong password!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    let after_failure = audit_len(&store).await;
    assert!(after_failure > after_rename, "a failed sign-in is audited");
    server
        .sign_in("owner@pg.example", TEST_PASSWORD)
        .await
        .unwrap();

    assert_eq!(
        owner
            .delete("/api/v1/sessions/current")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(owner.get("/api/v1/me").send().await.unwrap().status(), 401);
    let at_end = audit_len(&store).await;
    assert!(at_end > after_failure);
    let report = store
        .verify_audit(&verifier(&instance_dir), &[])
        .await
        .unwrap();
    assert_eq!(report.entries, at_end);
    eprintln!(
        "postgres platform flow: audit trail {at_start} -> {after_setup} -> {after_create} -> {after_rename} -> {after_failure} -> {at_end} entries, chain verified"
    );
    store.close().await;
}

/// A second start reads the keys the first one stored, and a start with
/// another data directory finds the database initialised (no setup token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_reads_the_keys_from_postgres() {
    let Some(base) = pg_base_url("a_restart_reads_the_keys_from_postgres") else {
        return;
    };
    let url = fresh_schema(&base, "restart").await;
    let target = PostgresTarget::new(url, None);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let shares = dir.path().join("shares");
    let params = ShareParams::new(3, 2).unwrap();
    let (first, made) = instance::open_or_init(&data, Some(&shares), params, false, Some(&target))
        .await
        .unwrap();
    assert!(made.setup_token.is_some());
    assert_eq!(made.share_files.len(), 3);
    assert!(data.join("audit-checkpoint.pub").exists());
    assert!(!data.join(instance::DATABASE_FILE).exists());
    first.store.close().await;

    let params = ShareParams::new(3, 2).unwrap();
    let (again, none) = instance::open_or_init(&data, None, params, false, Some(&target))
        .await
        .unwrap();
    assert!(none.setup_token.is_none() && none.share_files.is_empty());
    assert_eq!(
        again.share_set.to_bytes(),
        first.share_set.to_bytes(),
        "the same keys"
    );
    assert_eq!(again.keks.len(), 1);
    again.store.close().await;

    // An empty database without a share directory (not dev) is refused by key.
    let other = fresh_schema(&base, "noshare").await;
    let err = instance::open_or_init(
        &dir.path().join("d2"),
        None,
        ShareParams::new(3, 2).unwrap(),
        false,
        Some(&PostgresTarget::new(other, None)),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("share_dir") || err.contains("--share-dir"),
        "{err}"
    );
}

/// Several instances starting at once on one empty database: exactly one
/// initialises it; the others remove the files they prepared and use its keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_starts_initialise_once() {
    let Some(base) = pg_base_url("concurrent_first_starts_initialise_once") else {
        return;
    };
    for round in 0..3 {
        let url = fresh_schema(&base, &format!("race{round}")).await;
        let dir = tempfile::tempdir().unwrap();
        let mut tasks = Vec::new();
        for i in 0..4 {
            let target = PostgresTarget::new(url.clone(), None);
            let data = dir.path().join(format!("data{i}"));
            let shares = dir.path().join(format!("shares{i}"));
            tasks.push(tokio::spawn(async move {
                let params = ShareParams::new(3, 2).unwrap();
                let out =
                    instance::open_or_init(&data, Some(&shares), params, false, Some(&target))
                        .await
                        .unwrap();
                (data, shares, out)
            }));
        }
        let mut winners = 0;
        let mut sets = Vec::new();
        for task in tasks {
            let (data, shares, (instance, first)) = task.await.unwrap();
            sets.push(instance.share_set.to_bytes());
            let left: Vec<_> = std::fs::read_dir(&data)
                .map(|d| d.map(|e| e.unwrap().file_name()).collect())
                .unwrap_or_default();
            assert!(
                !left.iter().any(|n| n.to_string_lossy().ends_with(".new")),
                "temporary files left: {left:?}"
            );
            let share_files = std::fs::read_dir(&shares).map(Iterator::count).unwrap_or(0);
            if first.setup_token.is_some() {
                winners += 1;
                assert_eq!(first.share_files.len(), 3);
                assert_eq!(share_files, 3);
                assert!(data.join("audit-checkpoint.pub").exists());
            } else {
                assert!(first.share_files.is_empty());
                assert_eq!(share_files, 0, "a loser removed its share files");
            }
            instance.store.close().await;
        }
        assert_eq!(winners, 1, "round {round}: exactly one first start");
        assert!(sets.windows(2).all(|w| w[0] == w[1]), "one share set");
        let store = Store::open_postgres(&url).await.unwrap();
        let sets = store
            .key_material_of_kind(&faktura_store::KeyKind::new("share-set").unwrap())
            .await
            .unwrap();
        assert_eq!(sets.len(), 1);
        store.close().await;
    }
}
