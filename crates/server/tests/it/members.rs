//! Members over real HTTPS: listing, role changes that end the member's
//! sessions, off-boarding, the last-owner guard, no escalation through
//! `member.manage`, and foreign ids answered like random ones.

use faktura_audit::Outcome;
use faktura_store::Store;
use faktura_testkit::{Session, TEST_PASSWORD};
use serde_json::{Value, json};

use crate::invitations::{join, problem_sans_instance, server};
use crate::problem;

async fn get_json(session: &Session, path: &str) -> Value {
    let r = session.get(path).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().await.unwrap()
}

async fn set_role(session: &Session, member: &str, role: &str) -> reqwest::Response {
    session
        .patch(&format!("/api/v1/members/{member}"))
        .json(&json!({ "role": role }))
        .send()
        .await
        .unwrap()
}

/// The owner's own member id in the company the session acts for.
async fn own_member_id(session: &Session) -> String {
    let me = get_json(session, "/api/v1/me").await;
    me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["company_id"].as_str() == session.company.as_deref())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_listed_and_a_role_change_ends_the_members_sessions() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let (anna, anna_id) = join(&server, &owner, "anna@example.com", "accountant").await;

    let list = get_json(&owner, "/api/v1/members").await;
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["email"], "owner@example.com");
    assert_eq!(data[0]["role"], "owner");
    assert_eq!(data[1]["id"], anna_id.as_str());
    assert_eq!(data[1]["email"], "anna@example.com");
    assert_eq!(data[1]["login_id"], anna.login_id.as_str());
    assert_eq!(data[1]["role"], "accountant");
    assert!(data[1]["last_login_at"].is_string());
    assert!(data[1]["created_at"].is_string());
    assert_eq!(list["has_more"], false);
    let page = get_json(&owner, "/api/v1/members?limit=1").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = get_json(
        &owner,
        &format!("/api/v1/members?limit=1&starting_after={cursor}"),
    )
    .await;
    assert_eq!(rest["data"][0]["id"], anna_id.as_str());
    assert_eq!(rest["has_more"], false);

    let one = get_json(&owner, &format!("/api/v1/members/{anna_id}")).await;
    assert_eq!(one["email"], "anna@example.com");
    // An accountant may read members too.
    get_json(&anna, "/api/v1/members").await;

    // Demotion: Anna's session ends at once; signed in again she is a viewer.
    let r = set_role(&owner, &anna_id, "viewer").await;
    assert_eq!(r.status(), 200);
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["role"], "viewer");
    assert_eq!(anna.get("/api/v1/me").send().await.unwrap().status(), 401);
    let anna = server
        .sign_in("anna@example.com", TEST_PASSWORD)
        .await
        .unwrap()
        .acting_for(owner.company.as_deref().unwrap());
    let me = get_json(&anna, "/api/v1/me").await;
    assert_eq!(me["memberships"][0]["role"], "viewer");
    // The owner's own session is untouched.
    get_json(&owner, "/api/v1/me").await;

    // A viewer reads members but manages nothing.
    get_json(&anna, "/api/v1/members").await;
    let own = own_member_id(&owner).await;
    for r in [
        set_role(&anna, &own, "viewer").await,
        anna.delete(&format!("/api/v1/members/{own}"))
            .send()
            .await
            .unwrap(),
        anna.post("/api/v1/invitations")
            .json(&json!({"email": "x@example.com", "role": "viewer"}))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), 403);
        let p = problem(r).await;
        assert_eq!(p["type"], "/problems/forbidden");
        assert!(p["detail"].as_str().unwrap().contains("member.manage"));
    }

    // Unknown roles and unknown fields are 422.
    for body in [
        json!({"role": "superuser"}),
        json!({"role": "rol_aaaaaaaaaaaaaaaaaaaaaaaaaa"}),
        json!({"role": "viewer", "email": "evil@example.com"}),
        json!({}),
    ] {
        let r = owner
            .patch(&format!("/api/v1/members/{anna_id}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_owner_stays_and_admins_cannot_touch_owners() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let own = own_member_id(&owner).await;
    for r in [
        set_role(&owner, &own, "admin").await,
        owner
            .delete(&format!("/api/v1/members/{own}"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), 409);
        let p = problem(r).await;
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("make another member owner first"),
            "{p}"
        );
    }

    // An admin lacks billing.manage: cannot make owners, demote or remove them.
    let (admin, admin_id) = join(&server, &owner, "admin@example.com", "admin").await;
    let (_, clerk_id) = join(&server, &owner, "clerk@example.com", "clerk").await;
    for r in [
        set_role(&admin, &clerk_id, "owner").await,
        set_role(&admin, &admin_id, "owner").await,
        set_role(&admin, &own, "viewer").await,
        admin
            .delete(&format!("/api/v1/members/{own}"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), 403);
        assert!(
            problem(r).await["detail"]
                .as_str()
                .unwrap()
                .contains("billing.manage")
        );
    }
    // Within their own permissions an admin manages members.
    assert_eq!(
        set_role(&admin, &clerk_id, "accountant").await.status(),
        200
    );

    // With a second owner the first may step down (which ends their own sessions).
    assert_eq!(set_role(&owner, &admin_id, "owner").await.status(), 200);
    let r = set_role(&owner, &own, "admin").await;
    assert_eq!(r.status(), 200);
    assert_eq!(owner.get("/api/v1/me").send().await.unwrap().status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_boarding_ends_the_members_sessions_at_once_and_is_audited() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let (anna, anna_id) = join(&server, &owner, "anna@example.com", "admin").await;
    let anna_again = server
        .sign_in("anna@example.com", TEST_PASSWORD)
        .await
        .unwrap()
        .acting_for(owner.company.as_deref().unwrap());
    get_json(&anna, "/api/v1/company").await;
    get_json(&anna_again, "/api/v1/company").await;

    let r = owner
        .delete(&format!("/api/v1/members/{anna_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"revoked_api_keys": [], "sessions_ended": true, "secrets_to_rotate": []})
    );
    for s in [&anna, &anna_again] {
        assert_eq!(s.get("/api/v1/company").send().await.unwrap().status(), 401);
    }
    // Anna can still sign in as a person, but the company is gone for her.
    let anna = server
        .sign_in("anna@example.com", TEST_PASSWORD)
        .await
        .unwrap()
        .acting_for(owner.company.as_deref().unwrap());
    assert_eq!(
        anna.get("/api/v1/company").send().await.unwrap().status(),
        404
    );
    let list = get_json(&owner, "/api/v1/members").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let gone = owner
        .get(&format!("/api/v1/members/{anna_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    // The trail has the removal, by the owner, of Anna's membership.
    let store = Store::open_sqlite(&server.data.path().join("instance").join("faktura.db"))
        .await
        .unwrap();
    let len = store.audit_len().await.unwrap();
    let entries = store.audit_entries(0, len).await.unwrap();
    store.close().await;
    let removal = entries
        .iter()
        .find(|e| e.fields.action == "member.remove")
        .unwrap();
    assert_eq!(removal.fields.target, anna_id);
    assert_eq!(removal.fields.actor, owner.login_id);
    assert_eq!(removal.fields.outcome, Outcome::Success);
    assert_eq!(removal.fields.company.as_deref(), owner.company.as_deref());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_companys_member_is_answered_like_a_random_id() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let second: Value = owner
        .post("/api/v1/companies")
        .json(&json!({"name": "Zweite AG"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let in_second = owner.clone().acting_for(second["id"].as_str().unwrap());
    let (_, foreign) = join(&server, &in_second, "bob@example.com", "clerk").await;

    let random = "mem_aaaaaaaaaaaaaaaaaaaaaaaaaa";
    let requests = |id: &str| {
        let path = format!("/api/v1/members/{id}");
        [
            owner.get(&path),
            owner.patch(&path).json(&json!({"role": "viewer"})),
            owner.delete(&path),
        ]
    };
    for (theirs, made_up) in requests(&foreign).into_iter().zip(requests(random)) {
        let theirs = theirs.send().await.unwrap();
        let made_up = made_up.send().await.unwrap();
        assert_eq!(theirs.status(), 404);
        assert_eq!(made_up.status(), 404);
        assert_eq!(
            problem_sans_instance(theirs).await,
            problem_sans_instance(made_up).await
        );
    }
    // Malformed ids too.
    let r = owner
        .get("/api/v1/members/..%2F..%2Fetc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // And Bob is still a clerk of the second company.
    let bob = get_json(&in_second, &format!("/api/v1/members/{foreign}")).await;
    assert_eq!(bob["role"], "clerk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_boarding_revokes_the_members_api_keys_at_once() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let r = owner
        .put("/api/v1/company/tier")
        .json(&json!({"tier": "business"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (anna, anna_id) = join(&server, &owner, "anna@example.com", "admin").await;
    let r = anna
        .post("/api/v1/api-keys")
        .json(&json!({"name": "Buchhaltungs-Export", "scopes": ["company.read", "member.read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let key_id = created["id"].as_str().unwrap().to_owned();
    let program = server.with_api_key(created["key"].as_str().unwrap());
    let r = program
        .request(reqwest::Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Demoted to clerk (no member.read), the key can no longer list members.
    assert_eq!(set_role(&owner, &anna_id, "clerk").await.status(), 200);
    let r = program
        .request(reqwest::Method::GET, "/api/v1/members")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let r = owner
        .delete(&format!("/api/v1/members/{anna_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["revoked_api_keys"], json!([key_id]));
    assert_eq!(body["sessions_ended"], true);
    let r = program
        .request(reqwest::Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(anna.get("/api/v1/me").send().await.unwrap().status(), 401);
}
