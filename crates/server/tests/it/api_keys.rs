//! API keys over real HTTPS (SECURITY-TESTS H11): created by a signed-in
//! person with scopes they hold, shown once, usable as a bearer key within
//! its scopes and company, never in the URL, never stored or shown again,
//! dead once revoked, off the plan, or when its creator leaves.

use faktura_testkit::Session;
use reqwest::Method;
use serde_json::{Value, json};

use crate::invitations::{join, server};
use crate::problem;

async fn set_tier(owner: &Session, tier: &str) {
    let r = owner
        .put("/api/v1/company/tier")
        .json(&json!({ "tier": tier }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Creates a key; returns the whole 201 body.
async fn create_key(session: &Session, name: &str, scopes: &[&str]) -> Value {
    let r = session
        .post("/api/v1/api-keys")
        .json(&json!({ "name": name, "scopes": scopes }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

async fn text(r: reqwest::RequestBuilder) -> (u16, String) {
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_shown_once_works_within_its_scopes_and_dies_when_revoked() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    set_tier(&owner, "business").await;

    let created = create_key(&owner, "Buchhaltung", &["company.read"]).await;
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("fk_live_") && key.len() == 8 + 43, "{key}");
    assert!(id.starts_with("key_"), "{id}");
    assert_eq!(created["name"], "Buchhaltung");
    assert_eq!(created["scopes"], json!(["company.read"]));
    let hint = created["hint"].as_str().unwrap();
    assert!(key.starts_with(hint) && hint.len() == 12, "{hint}");
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
    let hash_hex = faktura_crypto::ApiKey::parse(&key).unwrap().hash().to_hex();

    // It works as a bearer key, within its scopes.
    let program = server.with_api_key(&key);
    let r = program
        .request(Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let company: Value = r.json().await.unwrap();
    assert_eq!(company["name"], "Muster GmbH");
    let r = program
        .request(Method::GET, "/api/v1/members")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert_eq!(p["type"], "/problems/forbidden");
    assert!(p["detail"].as_str().unwrap().contains("member.read"), "{p}");

    // Never in the URL, not even alongside a good header.
    for request in [
        server
            .client
            .get(server.url(&format!("/api/v1/company?api_key={key}"))),
        program.request(Method::GET, &format!("/api/v1/company?x=1&api_key={key}")),
    ] {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(problem(r).await["type"], "/problems/malformed-request");
    }

    // A key does not create keys: that needs a signed-in person.
    let r = program
        .request(Method::POST, "/api/v1/api-keys")
        .json(&json!({"name": "child", "scopes": ["company.read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(problem(r).await["type"], "/problems/session-required");

    // Lists and reads show it without the key or its hash, and with its use.
    let (status, list) = text(owner.get("/api/v1/api-keys")).await;
    assert_eq!(status, 200);
    let (status, one) = text(owner.get(&format!("/api/v1/api-keys/{id}"))).await;
    assert_eq!(status, 200);
    let (status, review) = text(owner.get("/api/v1/access-review?format=csv")).await;
    assert_eq!(status, 200);
    let (status, audit) = text(owner.get("/api/v1/audit?limit=100")).await;
    assert_eq!(status, 200);
    for (what, body) in [
        ("list", &list),
        ("get", &one),
        ("review", &review),
        ("audit", &audit),
    ] {
        assert!(!body.contains(&key[8..]), "{what} shows the key: {body}");
        assert!(!body.contains(&hash_hex), "{what} shows the hash: {body}");
    }
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["has_more"], false);
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(list["data"][0], one);
    assert_eq!(one["id"], id.as_str());
    assert_eq!(one["name"], "Buchhaltung");
    assert_eq!(one["hint"], hint);
    assert_eq!(one["created_by"], owner.login_id.as_str());
    assert!(one["last_used_at"].is_string(), "{one}");
    assert!(one["revoked_at"].is_null(), "{one}");
    let mut fields: Vec<&String> = one.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "created_at",
            "created_by",
            "hint",
            "id",
            "last_used_at",
            "name",
            "revoked_at",
            "scopes"
        ]
    );

    // Neither the key nor its secret part is in any file of the instance.
    assert_eq!(
        server.files_holding(key.as_bytes()),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        server.files_holding(&key.as_bytes()[8..]),
        Vec::<std::path::PathBuf>::new()
    );
    // (The search does find what is there: the hint is stored in the clear.)
    assert!(!server.files_holding(hint.as_bytes()).is_empty());

    // Revoked: the next request is refused; revoking again changes nothing.
    let r = owner
        .delete(&format!("/api/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = program
        .request(Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(problem(r).await["type"], "/problems/unauthenticated");
    let r = owner
        .delete(&format!("/api/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let one: Value = owner
        .get(&format!("/api/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(one["revoked_at"].is_string(), "{one}");

    // Unknown and malformed ids answer alike.
    for path in [
        "/api/v1/api-keys/key_00000000000000000000000000",
        "/api/v1/api-keys/nonsense",
        "/api/v1/api-keys/%00",
    ] {
        let r = owner.get(path).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(problem(r).await["type"], "/problems/not-found");
        let r = owner.delete(path).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_are_checked_against_the_creator() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    set_tier(&owner, "business").await;
    let (admin, _) = join(&server, &owner, "admin@example.com", "admin").await;

    // An admin lacks billing.manage, so a key of theirs cannot have it.
    let r = admin
        .post("/api/v1/api-keys")
        .json(&json!({"name": "Billing bot", "scopes": ["company.read", "billing.manage"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert_eq!(p["type"], "/problems/forbidden");
    assert!(
        p["detail"].as_str().unwrap().contains("billing.manage"),
        "{p}"
    );

    // Unknown permissions, empty scopes, bad names and unknown fields: 422.
    for body in [
        json!({"name": "x", "scopes": ["invoice.delete_everything"]}),
        json!({"name": "x", "scopes": []}),
        json!({"name": "", "scopes": ["company.read"]}),
        json!({"name": "x\ny", "scopes": ["company.read"]}),
        json!({"name": "x", "scopes": ["company.read"], "key": "fk_live_mine"}),
    ] {
        let r = admin
            .post("/api/v1/api-keys")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
    }

    // The owner may give the same scopes; the admin may give what they hold.
    create_key(&owner, "Billing bot", &["company.read", "billing.manage"]).await;
    let created = create_key(&admin, "Members", &["member.read", "company.read"]).await;
    assert_eq!(created["scopes"], json!(["company.read", "member.read"]));
    let list: Value = admin
        .get("/api/v1/api-keys?limit=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["has_more"], true);
    let cursor = list["next_cursor"].as_str().unwrap();
    let next: Value = admin
        .get(&format!("/api/v1/api-keys?limit=1&starting_after={cursor}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["data"][0]["id"], created["id"]);
    assert_eq!(next["has_more"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_acts_only_for_its_company_and_plan() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();

    // Free plan: no keys.
    let r = owner
        .post("/api/v1/api-keys")
        .json(&json!({"name": "x", "scopes": ["company.read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert_eq!(p["type"], "/problems/feature-unavailable");
    assert!(p["detail"].as_str().unwrap().contains("business"), "{p}");

    set_tier(&owner, "business").await;
    let created = create_key(&owner, "Export", &["company.read", "member.read"]).await;
    let program = server.with_api_key(created["key"].as_str().unwrap());

    // Another company of the same owner: the key does not reach it.
    let r = owner
        .post("/api/v1/companies")
        .json(&json!({"name": "Zweite AG"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let other: Value = r.json().await.unwrap();
    let other_id = other["id"].as_str().unwrap();
    let r = program
        .request(Method::GET, "/api/v1/company")
        .header("faktura-company", other_id)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(problem(r).await["type"], "/problems/not-found");
    let r = program
        .request(Method::GET, "/api/v1/company")
        .header("faktura-company", owner.company.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Its id is not found from the other company either.
    let owner_b = owner.clone().acting_for(other_id);
    set_tier(&owner_b, "business").await;
    let r = owner_b
        .get(&format!(
            "/api/v1/api-keys/{}",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = owner_b
        .delete(&format!(
            "/api/v1/api-keys/{}",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Back on the free plan, the key is refused naming the plan that has it.
    set_tier(&owner, "free").await;
    let r = program
        .request(Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert_eq!(p["type"], "/problems/feature-unavailable");
    assert!(p["detail"].as_str().unwrap().contains("`business`"), "{p}");
    set_tier(&owner, "business").await;
    let r = program
        .request(Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_creator_kills_the_key() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    set_tier(&owner, "business").await;
    let (admin, admin_member) = join(&server, &owner, "admin@example.com", "admin").await;
    let created = create_key(&admin, "Sync", &["company.read"]).await;
    let program = server.with_api_key(created["key"].as_str().unwrap());
    let r = program
        .request(Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = owner
        .delete(&format!("/api/v1/members/{admin_member}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = program
        .request(Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let one: Value = owner
        .get(&format!(
            "/api/v1/api-keys/{}",
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(one["revoked_at"].is_string(), "{one}");
}
