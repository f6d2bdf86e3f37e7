//! Invitations over real HTTPS: inviting, accepting with a new or an
//! existing login, one answer for unknown, used and withdrawn tokens, the
//! plan's member limit, and no invitee address in the database file.

use faktura_testkit::{Session, TEST_PASSWORD, TestServer};
use serde_json::{Value, json};

use crate::problem;

/// A dev server whose sign-in throttle does not get in the way of a test
/// that signs in many times from one address.
pub(crate) async fn server() -> TestServer {
    TestServer::builder()
        .dev()
        .auth(|a| a.login_burst = 1000)
        .start()
        .await
        .unwrap()
}

/// Invites `email` as `role` with `admin`'s session; returns the token.
pub(crate) async fn invite(admin: &Session, email: &str, role: &str) -> String {
    let r = admin
        .post("/api/v1/invitations")
        .json(&json!({"email": email, "role": role}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Accepts an invitation.
pub(crate) async fn accept(server: &TestServer, token: &str, password: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Invites a new person as `role`, who accepts and signs in; returns their
/// session acting for `admin`'s company, and their member id.
pub(crate) async fn join(
    server: &TestServer,
    admin: &Session,
    email: &str,
    role: &str,
) -> (Session, String) {
    let token = invite(admin, email, role).await;
    let r = accept(server, &token, TEST_PASSWORD).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let session = server
        .sign_in(email, TEST_PASSWORD)
        .await
        .unwrap()
        .acting_for(admin.company.as_deref().unwrap());
    (session, body["member_id"].as_str().unwrap().to_owned())
}

/// A problem body without its request id, for comparing two answers.
pub(crate) async fn problem_sans_instance(r: reqwest::Response) -> Value {
    let mut p = problem(r).await;
    p.as_object_mut().unwrap().remove("instance");
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_person_accepts_signs_in_and_sees_the_company() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();

    let r = owner
        .post("/api/v1/invitations")
        .json(&json!({"email": " Clerk@Example.com ", "role": "clerk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("fk_inv_"), "{token}");
    // 256 bits in unpadded base64url are 43 characters.
    assert_eq!(token.len(), "fk_inv_".len() + 43);
    assert_eq!(created["email"], "clerk@example.com");
    assert_eq!(created["role"], "clerk");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ivt_"));

    // Listed, with the address but never the token.
    let list: Value = owner
        .get("/api/v1/invitations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert_eq!(list["data"][0]["email"], "clerk@example.com");
    assert_eq!(list["data"][0]["status"], "pending");
    assert_eq!(list["data"][0]["invited_by"], owner.login_id.as_str());
    assert!(!list.to_string().contains(&token));

    // A new login needs a password within the policy.
    let short = accept(&server, &token, "short").await;
    assert_eq!(short.status(), 422);

    let r = accept(&server, &token, TEST_PASSWORD).await;
    assert_eq!(r.status(), 201);
    let accepted: Value = r.json().await.unwrap();
    assert_eq!(accepted["login_created"], true);
    assert_eq!(accepted["role"], "clerk");
    let company_id = owner.company.clone().unwrap();
    assert_eq!(accepted["company_id"], company_id.as_str());

    // The new member signs in and sees the company, as a clerk.
    let clerk = server
        .sign_in("clerk@example.com", TEST_PASSWORD)
        .await
        .unwrap();
    let company: Value = clerk
        .get("/api/v1/company")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(company["name"], "Muster GmbH");
    let me: Value = clerk
        .get("/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["memberships"][0]["role"], "clerk");
    assert_eq!(me["memberships"][0]["company_id"], company_id.as_str());

    let list: Value = owner
        .get("/api/v1/invitations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"][0]["status"], "accepted");
    assert!(list["data"][0]["accepted_at"].is_string());

    // Used, withdrawn and unknown tokens: one answer.
    let withdrawn = invite(&owner, "later@example.com", "viewer").await;
    let list: Value = owner
        .get("/api/v1/invitations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let withdrawn_id = list["data"][1]["id"].as_str().unwrap().to_owned();
    let d = owner
        .delete(&format!("/api/v1/invitations/{withdrawn_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), 204);
    // An accepted invitation cannot be withdrawn; the member is removed instead.
    let d = owner
        .delete(&format!("/api/v1/invitations/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), 409);

    let unknown = accept(
        &server,
        "fk_inv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        TEST_PASSWORD,
    )
    .await;
    assert_eq!(unknown.status(), 404);
    let unknown = problem_sans_instance(unknown).await;
    for t in [token.as_str(), withdrawn.as_str()] {
        let r = accept(&server, t, TEST_PASSWORD).await;
        assert_eq!(r.status(), 404);
        assert_eq!(problem_sans_instance(r).await, unknown);
    }
    assert_eq!(unknown["type"], "/problems/not-found");
    assert!(
        unknown["detail"]
            .as_str()
            .unwrap()
            .contains("new invitation")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_login_proves_its_password_to_join_another_company() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let (_, _) = join(&server, &owner, "anna@example.com", "accountant").await;

    // A second company of the same owner invites the same person.
    let second: Value = owner
        .post("/api/v1/companies")
        .json(&json!({"name": "Zweite AG"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_owner = owner.clone().acting_for(second["id"].as_str().unwrap());
    let token = invite(&second_owner, "anna@example.com", "viewer").await;
    // A second, open invitation of the same person.
    let token2 = invite(&second_owner, "anna@example.com", "clerk").await;

    let wrong = accept(&server, &token, "not anna's password").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(problem(wrong).await["type"], "/problems/bad-credentials");

    let r = accept(&server, &token, TEST_PASSWORD).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["login_created"], false);

    // Already a member: the second invitation is refused, and inviting again too.
    let again = accept(&server, &token2, TEST_PASSWORD).await;
    assert_eq!(again.status(), 409);
    let r = second_owner
        .post("/api/v1/invitations")
        .json(&json!({"email": "anna@example.com", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    let anna = server
        .sign_in("anna@example.com", TEST_PASSWORD)
        .await
        .unwrap();
    let me: Value = anna
        .get("/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roles: Vec<&str> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["accountant", "viewer"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_free_plan_admits_three_members_and_no_orphan_login() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    join(&server, &owner, "two@example.com", "viewer").await;
    let token = invite(&owner, "four@example.com", "viewer").await;
    join(&server, &owner, "three@example.com", "viewer").await;

    let r = accept(&server, &token, TEST_PASSWORD).await;
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert_eq!(p["type"], "/problems/plan-limit-reached");
    assert!(
        p["detail"].as_str().unwrap().contains("free plan allows 3"),
        "{p}"
    );
    // No login was created for the refused person.
    assert!(
        server
            .sign_in("four@example.com", TEST_PASSWORD)
            .await
            .is_err()
    );

    // On a higher plan the same invitation works.
    let r = owner
        .put("/api/v1/company/tier")
        .json(&json!({"tier": "business"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(accept(&server, &token, TEST_PASSWORD).await.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_refuse_unknown_fields_roles_and_more_than_the_inviter_holds() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    for body in [
        json!({"email": "x@example.com", "role": "viewer", "admin": true}),
        json!({"email": "x@example.com", "role": "superuser"}),
        json!({"email": "x@example.com", "role": "rol_aaaaaaaaaaaaaaaaaaaaaaaaaa"}),
        json!({"email": "not an address", "role": "viewer"}),
    ] {
        let r = owner
            .post("/api/v1/invitations")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
    }
    let r = server
        .client
        .post(server.url("/api/v1/invitations/accept"))
        .json(&json!({"token": "fk_inv_x", "password": TEST_PASSWORD, "email": "x@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // An admin lacks billing.manage, so cannot invite an owner.
    let (admin, _) = join(&server, &owner, "admin@example.com", "admin").await;
    let r = admin
        .post("/api/v1/invitations")
        .json(&json!({"email": "boss@example.com", "role": "owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert!(
        p["detail"].as_str().unwrap().contains("billing.manage"),
        "{p}"
    );
    invite(&admin, "helper@example.com", "clerk").await;

    // A viewer cannot invite at all.
    let (viewer, _) = join(&server, &owner, "viewer@example.com", "viewer").await;
    let r = viewer
        .post("/api/v1/invitations")
        .json(&json!({"email": "y@example.com", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(problem(r).await["type"], "/problems/forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitee_addresses_and_role_names_never_reach_the_database_file_in_clear() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    owner
        .put("/api/v1/company/tier")
        .json(&json!({"tier": "business"}))
        .send()
        .await
        .unwrap();
    let r = owner
        .post("/api/v1/roles")
        .json(&json!({"name": "Rolle-zq8marker", "permissions": ["company.read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let role: Value = r.json().await.unwrap();
    let role_id = role["id"].as_str().unwrap();
    let pending = invite(&owner, "pending-zq8marker@example.com", role_id).await;
    let (_, member_id) = join(&server, &owner, "joined-zq8marker@example.com", "viewer").await;
    assert!(!pending.is_empty());

    // The files are the right ones: the ids written are there in clear.
    assert!(!server.files_holding(member_id.as_bytes()).is_empty());
    assert!(!server.files_holding(role_id.as_bytes()).is_empty());
    assert!(server.files_holding(b"zq8marker").is_empty());
    assert!(server.files_holding(pending.as_bytes()).is_empty());
}
