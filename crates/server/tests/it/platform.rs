//! The platform's first steps over real HTTPS: setup, sign-in, the person,
//! companies and the company header.

use faktura_testkit::{TEST_PASSWORD, TestServer};
use serde_json::{Value, json};

use crate::problem;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_sign_in_companies_and_sign_out() {
    let server = TestServer::builder().dev().start().await.unwrap();
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();

    // Setup works once.
    let again = server
        .client
        .post(server.url("/api/v1/setup"))
        .json(
            &json!({"setup_token": server.setup_token().unwrap(), "email": "x@example.com",
            "password": TEST_PASSWORD, "company_name": "X"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    let me: Value = owner
        .get("/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "owner@example.com");
    assert_eq!(me["memberships"][0]["role"], "owner");
    assert_eq!(me["memberships"][0]["company_name"], "Muster GmbH");

    let company: Value = owner
        .get("/api/v1/company")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(company["name"], "Muster GmbH");
    assert_eq!(company["tier"], "free");

    // A second company: now the header is required.
    let created = owner
        .post("/api/v1/companies")
        .json(&json!({"name": "Zweite AG"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let second: Value = created.json().await.unwrap();
    let mut unnamed = owner.clone();
    unnamed.company = None;
    let response = unnamed.get("/api/v1/company").send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        problem(response).await["type"],
        "/problems/company-required"
    );
    let named = owner.clone().acting_for(second["id"].as_str().unwrap());
    let c: Value = named
        .get("/api/v1/company")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["name"], "Zweite AG");

    // Renaming needs CSRF: without the token it is refused.
    let no_csrf = server
        .client
        .patch(server.url("/api/v1/company"))
        .header("cookie", &owner.cookie)
        .header("faktura-company", owner.company.as_deref().unwrap())
        .json(&json!({"name": "Evil"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    assert_eq!(problem(no_csrf).await["type"], "/problems/csrf");
    let renamed = owner
        .patch("/api/v1/company")
        .json(&json!({"name": "Muster & Söhne GmbH"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);

    // Wrong password and unknown address: one answer.
    for email in ["owner@example.com", "nobody@example.com"] {
        let r = server
            .client
            .post(server.url("/api/v1/sessions"))
            .json(&json!({"email": email, "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(problem(r).await["type"], "/problems/bad-credentials");
    }

    // Sign out: the cookie no longer works.
    assert_eq!(
        owner
            .delete("/api/v1/sessions/current")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let after = owner.get("/api/v1/me").send().await.unwrap();
    assert_eq!(after.status(), 401);
}
