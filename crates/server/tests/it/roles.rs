//! Custom roles over real HTTPS: built-ins first, the plan's feature, a
//! custom role grants exactly its permissions, nobody defines more than they
//! hold, and a held role cannot be deleted.

use faktura_testkit::{Session, TEST_PASSWORD};
use reqwest::Method;
use serde_json::{Value, json};

use crate::invitations::{join, problem_sans_instance, server};
use crate::problem;

async fn create_role(session: &Session, name: &str, permissions: &[&str]) -> reqwest::Response {
    session
        .post("/api/v1/roles")
        .json(&json!({"name": name, "permissions": permissions}))
        .send()
        .await
        .unwrap()
}

async fn business(owner: &Session) {
    let r = owner
        .put("/api/v1/company/tier")
        .json(&json!({"tier": "business"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_roles_come_first_and_custom_roles_need_the_plan() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let list: Value = owner
        .get("/api/v1/roles")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["owner", "admin", "accountant", "clerk", "viewer", "auditor"]
    );
    assert_eq!(list["data"][0]["builtin"], true);
    assert_eq!(list["data"][0]["permissions"].as_array().unwrap().len(), 14);
    let viewer: Value = owner
        .get("/api/v1/roles/viewer")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        viewer["permissions"],
        json!([
            "company.read",
            "member.read",
            "invoice.read",
            "customer.read"
        ])
    );

    // The free plan has no custom roles, and says which plan has.
    let r = create_role(&owner, "Prüfer", &["company.read"]).await;
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert_eq!(p["type"], "/problems/feature-unavailable");
    assert!(p["detail"].as_str().unwrap().contains("business"));

    business(&owner).await;
    let r = create_role(&owner, "Prüfer", &["company.read", "audit.read"]).await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    assert!(first["id"].as_str().unwrap().starts_with("rol_"));
    assert_eq!(first["name"], "Prüfer");
    assert_eq!(first["builtin"], false);
    assert_eq!(first["permissions"], json!(["company.read", "audit.read"]));
    let second: Value = create_role(&owner, "Mahnwesen", &["invoice.read"])
        .await
        .json()
        .await
        .unwrap();

    // Pages run over custom roles; built-ins only on the first.
    let page: Value = owner
        .get("/api/v1/roles?limit=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 7);
    assert_eq!(page["data"][6]["id"], first["id"]);
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next: Value = owner
        .get(&format!("/api/v1/roles?limit=1&starting_after={cursor}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["data"].as_array().unwrap().len(), 1);
    assert_eq!(next["data"][0]["id"], second["id"]);
    assert_eq!(next["has_more"], false);

    // Unknown permissions, empty sets and unknown fields are 422.
    for body in [
        json!({"name": "X", "permissions": ["invoice.destroy"]}),
        json!({"name": "X", "permissions": []}),
        json!({"name": "X", "permissions": ["invoice.read"], "builtin": true}),
        json!({"name": "", "permissions": ["invoice.read"]}),
    ] {
        let r = owner
            .post("/api/v1/roles")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
    }
    // Built-in roles cannot be changed or deleted.
    let r = owner
        .patch("/api/v1/roles/viewer")
        .json(&json!({"name": "Gast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = owner.delete("/api/v1/roles/owner").send().await.unwrap();
    assert_eq!(r.status(), 409);
}

/// Routes of this slice that reach past the authorisation layer, with the
/// permission each needs: a 403 means the role lacks it, anything else that
/// the role has it.
fn probes(member: &str) -> Vec<(Method, String, Option<Value>, &'static str)> {
    vec![
        (Method::GET, "/api/v1/company".into(), None, "company.read"),
        (
            Method::PATCH,
            "/api/v1/company".into(),
            Some(json!({})),
            "settings.manage",
        ),
        (
            Method::PUT,
            "/api/v1/company/tier".into(),
            Some(json!({"tier": "business"})),
            "billing.manage",
        ),
        (Method::GET, "/api/v1/members".into(), None, "member.read"),
        (Method::GET, "/api/v1/roles".into(), None, "member.read"),
        (
            Method::GET,
            "/api/v1/invitations".into(),
            None,
            "member.read",
        ),
        (
            Method::PATCH,
            format!("/api/v1/members/{member}"),
            Some(json!({"role": "nonesuch"})),
            "member.manage",
        ),
        (Method::GET, "/api/v1/audit".into(), None, "audit.read"),
        (
            Method::GET,
            "/api/v1/access-review".into(),
            None,
            "access.review",
        ),
    ]
}

async fn granted(session: &Session, member: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (method, path, body, permission) in probes(member) {
        let mut r = session.request(method.clone(), &path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        assert_ne!(status, 401, "{method} {path}");
        if status == 403 {
            let p = problem(r).await;
            assert!(p["detail"].as_str().unwrap().contains(permission), "{p}");
        } else {
            out.push(permission);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_role_grants_exactly_its_permissions() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    business(&owner).await;
    let role: Value = create_role(
        &owner,
        "Leser",
        &["company.read", "member.read", "audit.read"],
    )
    .await
    .json()
    .await
    .unwrap();
    let role_id = role["id"].as_str().unwrap().to_owned();
    let (reader, reader_id) = join(&server, &owner, "reader@example.com", &role_id).await;
    let members: Value = owner
        .get(&format!("/api/v1/members/{reader_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(members["role"], role_id.as_str());
    assert_eq!(
        granted(&reader, &reader_id).await,
        [
            "company.read",
            "member.read",
            "member.read",
            "member.read",
            "audit.read"
        ]
    );

    // Widening the role ends the holders' sessions; signed in again they have the new permission.
    let r = owner
        .patch(&format!("/api/v1/roles/{role_id}"))
        .json(&json!({"permissions": ["company.read", "member.read", "settings.manage"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        reader.get("/api/v1/company").send().await.unwrap().status(),
        401
    );
    let reader = server
        .sign_in("reader@example.com", TEST_PASSWORD)
        .await
        .unwrap()
        .acting_for(owner.company.as_deref().unwrap());
    assert_eq!(
        granted(&reader, &reader_id).await,
        [
            "company.read",
            "settings.manage",
            "member.read",
            "member.read",
            "member.read"
        ]
    );
    // Renaming alone ends no session.
    let r = owner
        .patch(&format!("/api/v1/roles/{role_id}"))
        .json(&json!({"name": "Leser und Pfleger"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["name"],
        "Leser und Pfleger"
    );
    assert_eq!(
        reader.get("/api/v1/company").send().await.unwrap().status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_defines_more_than_they_hold_and_held_roles_stay() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    business(&owner).await;
    let (admin, _) = join(&server, &owner, "admin@example.com", "admin").await;

    // An admin lacks billing.manage: cannot put it into a role, nor touch a role that has it.
    let r = create_role(&admin, "Kasse", &["company.read", "billing.manage"]).await;
    assert_eq!(r.status(), 403);
    assert!(
        problem(r).await["detail"]
            .as_str()
            .unwrap()
            .contains("billing.manage")
    );
    let billing: Value = create_role(&owner, "Kasse", &["billing.manage"])
        .await
        .json()
        .await
        .unwrap();
    let billing_id = billing["id"].as_str().unwrap();
    let r = admin
        .patch(&format!("/api/v1/roles/{billing_id}"))
        .json(&json!({"permissions": ["company.read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = admin
        .post("/api/v1/invitations")
        .json(&json!({"email": "kasse@example.com", "role": billing_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let mine = create_role(&admin, "Lesen", &["invoice.read"]).await;
    assert_eq!(mine.status(), 201);

    // A held role cannot be deleted; once nobody holds it, it can.
    let role: Value = create_role(&owner, "Buchhaltung", &["company.read", "invoice.read"])
        .await
        .json()
        .await
        .unwrap();
    let role_id = role["id"].as_str().unwrap().to_owned();
    let (_, holder) = join(&server, &owner, "holder@example.com", &role_id).await;
    let r = owner
        .delete(&format!("/api/v1/roles/{role_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(
        problem(r).await["detail"]
            .as_str()
            .unwrap()
            .contains("held by 1")
    );
    let r = owner
        .patch(&format!("/api/v1/members/{holder}"))
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = owner
        .delete(&format!("/api/v1/roles/{role_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = owner
        .get(&format!("/api/v1/roles/{role_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Another company's role is unknown here, like a made-up id.
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
    business(&in_second).await;
    let foreign: Value = create_role(&in_second, "Fremd", &["company.read"])
        .await
        .json()
        .await
        .unwrap();
    let foreign_id = foreign["id"].as_str().unwrap();
    let theirs = owner
        .get(&format!("/api/v1/roles/{foreign_id}"))
        .send()
        .await
        .unwrap();
    let made_up = owner
        .get("/api/v1/roles/rol_aaaaaaaaaaaaaaaaaaaaaaaaaa")
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);
    assert_eq!(
        problem_sans_instance(theirs).await,
        problem_sans_instance(made_up).await
    );
    let r = owner
        .patch(&format!("/api/v1/members/{holder}"))
        .json(&json!({"role": foreign_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}
