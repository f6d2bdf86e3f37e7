//! Sealed start, unsealing share by share, refused shares.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_instance_answers_only_health_and_unseal() {
    let server = TestServer::builder().start().await.unwrap();
    assert_eq!(server.share_files.len(), 5);
    assert!(server.running.first_start.setup_token.is_some());

    for path in [
        "/api/v1/companies",
        "/metrics",
        "/api/v1/openapi.json",
        "/.well-known/security.txt",
    ] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 503, "{path}");
        let body = problem(response).await;
        assert_eq!(body["type"], "/problems/sealed", "{path}");
        assert_eq!(body["status"], 503);
        assert!(body["detail"].as_str().unwrap().contains("unseal"));
    }
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let status: Value = server
        .client
        .get(server.url("/api/v1/sys/seal-status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        status,
        json!({"sealed": true, "progress": 0, "threshold": 3, "shares": 5})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_five_shares_unseal_and_bad_shares_are_refused() {
    let server = TestServer::builder().shares(5, 3).start().await.unwrap();
    let other = TestServer::builder().shares(5, 3).start().await.unwrap();

    // A share of another instance.
    let response = unseal(&server, &other.share_text(0).unwrap()).await;
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await["type"], "/problems/share-foreign");

    // Garbage and an edited share.
    let response = unseal(&server, "not a share").await;
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await["type"], "/problems/share-malformed");
    let edited = flip_data(&server.share_text(4).unwrap());
    let response = unseal(&server, &edited).await;
    assert_eq!(response.status(), 422);
    let kind = problem(response).await["type"].as_str().unwrap().to_owned();
    assert!(
        kind == "/problems/share-corrupt" || kind == "/problems/share-malformed",
        "{kind}"
    );

    // Unknown field and wrong content type.
    let response = server
        .client
        .post(server.url("/api/v1/sys/unseal"))
        .json(&json!({ "share": "x", "extra": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = server
        .client
        .post(server.url("/api/v1/sys/unseal"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);

    // K-1 shares leave it sealed; a duplicate does not count.
    for (i, want) in [(0, 1), (1, 2)] {
        let response = unseal(&server, &server.share_text(i).unwrap()).await;
        assert_eq!(response.status(), 200);
        let status: Value = response.json().await.unwrap();
        assert_eq!(status["sealed"], true);
        assert_eq!(status["progress"], want);
    }
    let response = unseal(&server, &server.share_text(1).unwrap()).await;
    assert_eq!(response.status(), 409);
    assert_eq!(problem(response).await["type"], "/problems/share-duplicate");
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503, "still sealed after K-1 shares");

    // The K-th share unseals.
    let response = unseal(&server, &server.share_text(3).unwrap()).await;
    assert_eq!(response.status(), 200);
    let status: Value = response.json().await.unwrap();
    assert_eq!(status["sealed"], false);
    let ready = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let response = server
        .client
        .get(server.url("/api/v1/no-such-route"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        404,
        "unsealed: unknown routes are 404, not sealed"
    );
    assert_eq!(problem(response).await["type"], "/problems/not-found");
    let response = unseal(&server, &server.share_text(2).unwrap()).await;
    assert_eq!(response.status(), 409);
    assert_eq!(
        problem(response).await["type"],
        "/problems/already-unsealed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_starts_sealed_again() {
    let server = TestServer::builder().shares(3, 2).start().await.unwrap();
    for i in 0..2 {
        assert_eq!(
            unseal(&server, &server.share_text(i).unwrap())
                .await
                .status(),
            200
        );
    }
    let client = faktura_server::client::SysClient::new(&server.base, server.client.clone());
    assert!(!client.seal_status().await.unwrap().sealed);
    // Same data directory, new process state: sealed, no new shares, no new token.
    let data_dir = server.data.path().join("instance");
    let shares = server.share_files.clone();
    let TestServer {
        running, data, ca, ..
    } = server;
    running.stopped().await;
    let mut config = faktura_server::Config::load(
        None,
        faktura_server::Overrides {
            data_dir: Some(data_dir),
            listen: Some("127.0.0.1:0".into()),
            dev: true,
            ..Default::default()
        },
    )
    .unwrap();
    config.dev = false;
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
    assert!(running.sealed);
    assert!(running.first_start.setup_token.is_none());
    let client = faktura_server::client::SysClient::new(
        &format!("https://127.0.0.1:{}", running.addr.port()),
        faktura_server::client::https_client(Some(ca.ca_pem.as_bytes())).unwrap(),
    );
    assert!(client.seal_status().await.unwrap().sealed);
    let text = std::fs::read_to_string(&shares[2]).unwrap();
    assert_eq!(client.unseal(&text).await.unwrap().progress, 1);
    let err = client.unseal(&text).await.unwrap_err().to_string();
    assert!(err.contains("share-duplicate"), "{err}");
    let text = std::fs::read_to_string(&shares[0]).unwrap();
    assert!(!client.unseal(&text).await.unwrap().sealed);
    drop(data);
}

/// Changes one character of the share's data line.
fn flip_data(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("data: ") {
            Some(data) => {
                let mut chars: Vec<char> = data.chars().collect();
                chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
                format!("data: {}", chars.into_iter().collect::<String>())
            }
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_certificate_path_initialises_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faktura.toml");
    std::fs::write(
        &file,
        "[tls]\ncert_file = \"/nonexistent/cert.pem\"\nkey_file = \"/nonexistent/key.pem\"\n",
    )
    .unwrap();
    let config = faktura_server::Config::load(
        Some(&file),
        faktura_server::Overrides {
            data_dir: Some(dir.path().join("instance")),
            share_dir: Some(dir.path().join("shares")),
            listen: Some("127.0.0.1:0".into()),
            dev: false,
        },
    )
    .unwrap();
    let err = faktura_server::start(config, faktura_server::StartOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
    assert!(!dir.path().join("instance").exists());
    assert!(!dir.path().join("shares").exists());
}
