//! The authorisation matrix (SECURITY-MODEL §5, SECURITY-TESTS C08): every
//! route of the policy table × every kind of caller, checked against the
//! answer the table declares. Nothing here restates the policy: expected
//! answers are computed from `faktura_server::route_policies()` and the role
//! and tier tables, so the test checks that the server does what its one
//! declaration says, and that the declaration and the OpenAPI document list
//! the same operations.

use std::collections::{BTreeMap, BTreeSet};

use faktura_testkit::{KeyClient, Session, TEST_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

/// Who calls.
#[derive(Clone)]
enum Who {
    Anonymous,
    /// A member of company A with this role (built-in name or custom role id).
    Member(String, Session),
    /// The owner of company B, naming company A.
    Outsider(Session),
    /// An API key of company A with these scopes.
    Key(Vec<String>, KeyClient),
}

impl Who {
    fn label(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::Member(role, _) => format!("member:{role}"),
            Self::Outsider(_) => "other company's owner".into(),
            Self::Key(scopes, _) => format!("key:{}", scopes.join("+")),
        }
    }
}

/// The declared answer class.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Reaches the handler: anything but 401, 403 and a foreign 404.
    Allowed,
    Unauthenticated,
    /// 403 with this problem type slug.
    Forbidden(&'static str),
    NotFound,
}

fn expected(
    policy: &faktura_server::RoutePolicy,
    who: &Who,
    tier: &str,
    custom: &BTreeMap<String, Vec<String>>,
) -> Expect {
    match (policy.access, who) {
        ("public", _) => Expect::Allowed,
        (_, Who::Anonymous) => Expect::Unauthenticated,
        ("login", Who::Key(..)) => Expect::Forbidden("session-required"),
        ("login", _) => Expect::Allowed,
        ("company", Who::Outsider(_)) => Expect::NotFound,
        ("company", Who::Key(scopes, _)) => {
            if !policy.api_key {
                return Expect::Forbidden("session-required");
            }
            if !faktura_server::tier_has_feature(tier, "api_access").unwrap() {
                return Expect::Forbidden("feature-unavailable");
            }
            if let Some(f) = policy.feature
                && !faktura_server::tier_has_feature(tier, f).unwrap()
            {
                return Expect::Forbidden("feature-unavailable");
            }
            // Keys are created by the owner, so the scopes are the whole grant.
            if scopes.iter().any(|s| Some(s.as_str()) == policy.permission) {
                Expect::Allowed
            } else {
                Expect::Forbidden("forbidden")
            }
        }
        ("company", Who::Member(role, _)) => {
            if let Some(f) = policy.feature
                && !faktura_server::tier_has_feature(tier, f).unwrap()
            {
                return Expect::Forbidden("feature-unavailable");
            }
            let perms = faktura_server::builtin_role_permissions(role)
                .map(|p| p.into_iter().map(str::to_owned).collect::<Vec<_>>())
                .unwrap_or_else(|| custom[role].clone());
            if perms.iter().any(|p| Some(p.as_str()) == policy.permission) {
                Expect::Allowed
            } else {
                Expect::Forbidden("forbidden")
            }
        }
        (other, _) => panic!("unknown access {other}"),
    }
}

async fn send(
    who: &Who,
    method: Method,
    path: &str,
    server: &TestServer,
    company: &str,
) -> reqwest::Response {
    let builder = match who {
        Who::Anonymous => server.client.request(method.clone(), server.url(path)),
        Who::Member(_, s) => s.request(method.clone(), path),
        Who::Outsider(s) => s.clone().acting_for(company).request(method.clone(), path),
        Who::Key(_, k) => k.request(method.clone(), path),
    };
    let builder = if method == Method::GET {
        builder
    } else {
        builder.json(&json!({}))
    };
    builder.send().await.unwrap()
}

async fn check(response: reqwest::Response, expect: &Expect) -> Result<(), String> {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let kind = body["type"].as_str().unwrap_or_default().to_owned();
    let ok = match expect {
        Expect::Allowed => !matches!(status, 401 | 403) && kind != "/problems/company-required",
        Expect::Unauthenticated => status == 401,
        Expect::Forbidden(slug) => status == 403 && kind == format!("/problems/{slug}"),
        Expect::NotFound => status == 404,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expect:?}, got {status} {kind}"))
    }
}

/// Company A with one member per built-in role and a custom role, B with its
/// owner, and one API key of A per single scope.
struct World {
    server: TestServer,
    owner: Session,
    company: String,
    callers: Vec<Who>,
    custom: BTreeMap<String, Vec<String>>,
    /// Real ids of A by path parameter kind, and of B.
    own_ids: BTreeMap<&'static str, String>,
    foreign_member: String,
}

async fn invite(owner: &Session, server: &TestServer, email: &str, role: &str) -> Session {
    let r = owner
        .post("/api/v1/invitations")
        .json(&json!({"email": email, "role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "invite {role}");
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = server
        .client
        .post(server.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "accept {role}: {}", r.status());
    let company = owner.company.clone().unwrap();
    server
        .sign_in(email, TEST_PASSWORD)
        .await
        .unwrap()
        .acting_for(&company)
}

async fn world() -> World {
    let server = TestServer::builder()
        .dev()
        .auth(|a| {
            a.default_tier = "enterprise".into();
            a.api_key_burst = 10_000;
            a.login_burst = 1_000;
        })
        .start()
        .await
        .unwrap();
    let owner = server
        .setup_owner("owner@a.example", "A GmbH")
        .await
        .unwrap();
    let company = owner.company.clone().unwrap();
    let mut callers = vec![Who::Anonymous, Who::Member("owner".into(), owner.clone())];
    for role in ["admin", "accountant", "clerk", "viewer", "auditor"] {
        let s = invite(&owner, &server, &format!("{role}@a.example"), role).await;
        callers.push(Who::Member(role.into(), s));
    }
    let custom_perms = vec![
        "company.read".to_owned(),
        "invoice.read".to_owned(),
        "audit.read".to_owned(),
    ];
    let r = owner
        .post("/api/v1/roles")
        .json(&json!({"name": "Steuerberater", "permissions": custom_perms}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let role_id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = invite(&owner, &server, "custom@a.example", &role_id).await;
    callers.push(Who::Member(role_id.clone(), s));
    let mut custom = BTreeMap::new();
    custom.insert(role_id.clone(), custom_perms);

    // Company B, created by its own owner, who is no member of A.
    let b_owner = invite(&owner, &server, "b-owner@b.example", "viewer").await;
    let r = b_owner
        .post("/api/v1/companies")
        .json(&json!({"name": "B AG"}))
        .send()
        .await
        .unwrap();
    let b = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Leave A, so that this person is an outsider to it.
    let members: Value = owner
        .get("/api/v1/members?limit=100")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let membership = members["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["login_id"] == b_owner.login_id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        owner
            .delete(&format!("/api/v1/members/{membership}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let outsider = server
        .sign_in("b-owner@b.example", TEST_PASSWORD)
        .await
        .unwrap()
        .acting_for(&b);
    // Off-boarding ended every session of that person: use the new one for B.
    let b_members: Value = outsider
        .get("/api/v1/members")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let foreign_member = b_members["data"][0]["id"].as_str().unwrap().to_owned();
    callers.push(Who::Outsider(outsider));

    for scope in faktura_server::all_permissions() {
        let r = owner
            .post("/api/v1/api-keys")
            .json(&json!({"name": format!("only {scope}"), "scopes": [scope]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "key {scope}");
        let key = r.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned();
        callers.push(Who::Key(vec![scope.to_owned()], server.with_api_key(&key)));
    }
    let members: Value = owner
        .get("/api/v1/members")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: Value = owner
        .get("/api/v1/api-keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut own_ids = BTreeMap::new();
    own_ids.insert(
        "members",
        members["data"][1]["id"].as_str().unwrap().to_owned(),
    );
    own_ids.insert("roles", role_id);
    own_ids.insert(
        "api-keys",
        keys["data"][0]["id"].as_str().unwrap().to_owned(),
    );
    World {
        server,
        owner,
        company,
        callers,
        custom,
        own_ids,
        foreign_member,
    }
}

/// A well-formed id that exists nowhere, of the kind `resource` holds.
fn absent_id(resource: &str) -> String {
    let prefix = match resource {
        "members" => "mem_",
        "invitations" => "ivt_",
        "roles" => "rol_",
        "api-keys" => "key_",
        other => panic!("no id kind for {other}"),
    };
    format!("{prefix}{}", "a".repeat(26))
}

/// The concrete path for a template: real ids for reads, absent ones for
/// changes (so that the matrix changes nothing it needs, and an allowed
/// caller meets the handler's 404 rather than a business rule).
fn concrete(w: &World, method: &Method, template: &str) -> String {
    let Some((head, _)) = template.split_once("/{id}") else {
        return template.to_owned();
    };
    let resource = head.rsplit('/').next().unwrap();
    let id = if *method != Method::GET {
        absent_id(resource)
    } else {
        w.own_ids
            .get(resource)
            .cloned()
            .unwrap_or_else(|| absent_id(resource))
    };
    template.replace("{id}", &id)
}

async fn run(w: &World, tier: &str, callers: &[Who]) -> (usize, Vec<String>, BTreeSet<String>) {
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    let mut calls = 0;
    for policy in faktura_server::route_policies() {
        // Signing out and setup/unseal change the caller or the instance: they
        // have their own tests; here each still gets the anonymous row and its
        // own-caller row with a fresh session.
        let method = Method::from_bytes(policy.method.as_bytes()).unwrap();
        let path = concrete(w, &method, policy.path);
        for who in callers {
            let who = if policy.path == "/api/v1/sessions/current" {
                match who {
                    Who::Member(role, s) => {
                        let fresh = w
                            .server
                            .sign_in(&member_email(role, &w.custom), TEST_PASSWORD)
                            .await
                            .unwrap();
                        Who::Member(
                            role.clone(),
                            fresh.acting_for(s.company.as_deref().unwrap()),
                        )
                    }
                    Who::Outsider(_) => continue,
                    other => other.clone(),
                }
            } else {
                who.clone()
            };
            let expect = expected(&policy, &who, tier, &w.custom);
            let response = send(&who, method.clone(), &path, &w.server, &w.company).await;
            calls += 1;
            if let Err(e) = check(response, &expect).await {
                failures.push(format!(
                    "{tier} {} {path} as {}: {e}",
                    policy.method,
                    who.label()
                ));
            }
        }
        covered.insert(format!("{} {}", policy.method, policy.path));
    }
    (calls, failures, covered)
}

fn member_email(role: &str, custom: &BTreeMap<String, Vec<String>>) -> String {
    if custom.contains_key(role) {
        "custom@a.example".into()
    } else if role == "owner" {
        "owner@a.example".into()
    } else {
        format!("{role}@a.example")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_caller_as_the_policy_table_declares() {
    let w = world().await;

    // The table and the OpenAPI document list the same operations.
    let doc: Value = w
        .server
        .client
        .get(w.server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let declared: BTreeSet<String> = faktura_server::route_policies()
        .iter()
        .map(|p| format!("{} {}", p.method, p.path))
        .collect();
    assert_eq!(
        documented, declared,
        "OpenAPI operations and the policy table differ"
    );

    let mut total = 0;
    let mut failures = Vec::new();
    for tier in ["enterprise", "business", "free"] {
        let r = w
            .owner
            .put("/api/v1/company/tier")
            .json(&json!({"tier": tier}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "tier {tier}");
        let (calls, mut f, covered) = run(&w, tier, &w.callers).await;
        assert_eq!(covered, declared, "the matrix skipped routes");
        total += calls;
        failures.append(&mut f);
    }
    println!(
        "authorisation matrix: {} routes x {} callers x 3 tiers = {total} calls, {} mismatches",
        declared.len(),
        w.callers.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_id_is_answered_exactly_like_an_absent_one() {
    let w = world().await;
    let strip = |mut v: Value| {
        v["instance"] = Value::Null;
        v
    };
    for (path_of, id) in [
        ("/api/v1/members/", w.foreign_member.clone()),
        ("/api/v1/members/", absent_id("members")),
    ] {
        let r = w.owner.get(&format!("{path_of}{id}")).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
    let foreign = w
        .owner
        .get(&format!("/api/v1/members/{}", w.foreign_member))
        .send()
        .await
        .unwrap();
    let foreign_headers: BTreeSet<String> = foreign
        .headers()
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "x-request-id" | "date"))
        .map(|(k, v)| format!("{k}: {v:?}"))
        .collect();
    let foreign = strip(foreign.json().await.unwrap());
    let absent = w
        .owner
        .get(&format!("/api/v1/members/{}", absent_id("members")))
        .send()
        .await
        .unwrap();
    let absent_headers: BTreeSet<String> = absent
        .headers()
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "x-request-id" | "date"))
        .map(|(k, v)| format!("{k}: {v:?}"))
        .collect();
    assert_eq!(foreign_headers, absent_headers);
    assert_eq!(foreign, strip(absent.json().await.unwrap()));
}
