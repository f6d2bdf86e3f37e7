//! The frame every response shares: HSTS, request ids, problem+json,
//! the dev header; and the meta routes.

use faktura_testkit::TestServer;
use serde_json::Value;

use crate::problem;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_instance_is_unsealed_and_says_so_on_every_response() {
    let server = TestServer::builder().dev().start().await.unwrap();
    assert!(server.share_files.is_empty());
    assert!(!server.running.sealed);
    for path in ["/healthz", "/readyz", "/nope", "/metrics"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        let h = response.headers();
        assert_eq!(h["x-faktura-dev-instance"], "true", "{path}");
        assert_eq!(
            h["strict-transport-security"],
            "max-age=63072000; includeSubDomains"
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(h.get("server").is_none() && h.get("x-powered-by").is_none());
        let id = h["x-request-id"].to_str().unwrap().to_owned();
        assert!(id.starts_with("req_") && id.len() == 28, "{id}");
    }
    let dev_share = server
        .data
        .path()
        .join("instance")
        .join(faktura_server::instance::DEV_SHARE_FILE);
    assert!(dev_share.is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_headers_request_ids_and_meta_routes() {
    let server = TestServer::builder().shares(2, 2).start().await.unwrap();
    for i in 0..2 {
        server
            .client
            .post(server.url("/api/v1/sys/unseal"))
            .json(&serde_json::json!({ "share": server.share_text(i).unwrap() }))
            .send()
            .await
            .unwrap();
    }
    // A well-formed client request id is echoed, in the header and in the problem.
    let response = server
        .client
        .get(server.url("/api/v1/nothing-here"))
        .header("x-request-id", "client-id-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-request-id"], "client-id-42");
    assert!(response.headers().get("x-faktura-dev-instance").is_none());
    assert!(response.headers().contains_key("strict-transport-security"));
    let body = problem(response).await;
    assert_eq!(body["instance"], "client-id-42");
    // A malformed one is replaced.
    let response = server
        .client
        .get(server.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "bad id with spaces");
    // Wrong method.
    let response = server
        .client
        .delete(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(
        problem(response).await["type"],
        "/problems/method-not-allowed"
    );
    // Malformed JSON.
    let response = server
        .client
        .post(server.url("/api/v1/sys/unseal"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        problem(response).await["type"],
        "/problems/malformed-request"
    );
    // Too large.
    let response = server
        .client
        .post(server.url("/api/v1/sys/unseal"))
        .header("content-type", "application/json")
        .body(vec![b' '; 64 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(
        problem(response).await["type"],
        "/problems/payload-too-large"
    );

    // Metrics: Prometheus text with counters that moved, and no business data.
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("# TYPE faktura_http_requests_total counter"));
    assert!(text.contains("faktura_sealed 0"));
    let four_xx: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("faktura_http_requests_total{class=\"4xx\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(four_xx >= 4, "{text}");

    // security.txt (RFC 9116): Contact and Expires are required.
    let text = server
        .client
        .get(server.url("/.well-known/security.txt"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("Contact: mailto:security@faktura.example\n"),
        "{text}"
    );
    let expires = text
        .lines()
        .find_map(|l| l.strip_prefix("Expires: "))
        .unwrap();
    let when = time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
        .unwrap();
    assert!(when > time::OffsetDateTime::now_utc());

    // OpenAPI 3.1, generated from the code, naming every route.
    let doc: Value = server
        .client
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/.well-known/security.txt",
        "/api/v1/openapi.json",
        "/api/v1/sys/seal-status",
        "/api/v1/sys/unseal",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    // Every route of the policy table is documented: the matrix test checks both ways.
    assert!(doc["paths"].as_object().unwrap().len() > 7);
}
