//! The access review report over real HTTPS: every member and key of the
//! company and nothing of another, as JSON and as a CSV attachment whose
//! formula-looking cells are defused (SECURITY-TESTS M07); readable by an
//! auditor, not by a clerk; reading it leaves no audit entry.

use serde_json::{Value, json};

use crate::invitations::{join, server};
use crate::problem;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_lists_members_and_keys_as_json_and_csv() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let company = owner.company.clone().unwrap();
    let r = owner
        .put("/api/v1/company/tier")
        .json(&json!({"tier": "business"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (clerk, clerk_member) = join(&server, &owner, "=cmd@example.com", "clerk").await;
    let (auditor, _) = join(&server, &owner, "auditor@example.com", "auditor").await;
    let r = owner
        .post("/api/v1/api-keys")
        .json(&json!({"name": "=HYPERLINK(\"http://x\",\"y\")", "scopes": ["company.read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let key: Value = r.json().await.unwrap();
    let key_text = key["key"].as_str().unwrap();
    // A key in use, and one revoked.
    let r = server
        .with_api_key(key_text)
        .request(reqwest::Method::GET, "/api/v1/company")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = owner
        .post("/api/v1/api-keys")
        .json(&json!({"name": "old", "scopes": ["member.read"]}))
        .send()
        .await
        .unwrap();
    let old: Value = r.json().await.unwrap();
    let r = owner
        .delete(&format!("/api/v1/api-keys/{}", old["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Another company of the owner, with its own key: not in this report.
    let r = owner
        .post("/api/v1/companies")
        .json(&json!({"name": "Zweite AG"}))
        .send()
        .await
        .unwrap();
    let other: Value = r.json().await.unwrap();
    let owner_b = owner.clone().acting_for(other["id"].as_str().unwrap());

    let audit_before: Value = owner
        .get("/api/v1/audit?limit=100")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // JSON.
    let r = auditor.get("/api/v1/access-review").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let review: Value = r.json().await.unwrap();
    assert_eq!(review["company_id"], company.as_str());
    assert!(review["generated_at"].as_str().unwrap().ends_with('Z'));
    let members = review["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "{review}");
    let owner_row = members
        .iter()
        .find(|m| m["login_id"] == owner.login_id.as_str())
        .unwrap();
    assert_eq!(owner_row["email"], "owner@example.com");
    assert_eq!(owner_row["role"], "owner");
    assert_eq!(owner_row["permissions"].as_array().unwrap().len(), 14);
    assert!(owner_row["last_login_at"].is_string(), "{owner_row}");
    assert_eq!(owner_row["totp_enabled"], false);
    let clerk_row = members
        .iter()
        .find(|m| m["login_id"] == clerk.login_id.as_str())
        .unwrap();
    assert_eq!(clerk_row["membership_id"], clerk_member.as_str());
    assert_eq!(clerk_row["email"], "=cmd@example.com");
    assert_eq!(clerk_row["role"], "clerk");
    assert_eq!(
        clerk_row["permissions"],
        json!([
            "company.read",
            "invoice.read",
            "invoice.create",
            "customer.read",
            "customer.write"
        ])
    );
    let keys = review["api_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{review}");
    assert_eq!(keys[0]["id"], key["id"]);
    assert_eq!(keys[0]["name"], key["name"]);
    assert_eq!(keys[0]["scopes"], json!(["company.read"]));
    assert_eq!(keys[0]["created_by"], owner.login_id.as_str());
    assert!(keys[0]["last_used_at"].is_string());
    assert!(keys[0]["revoked_at"].is_null());
    assert_eq!(keys[1]["id"], old["id"]);
    assert!(keys[1]["revoked_at"].is_string());
    assert!(keys[1]["last_used_at"].is_null());

    // CSV, by parameter or by Accept.
    let by_param = auditor
        .get("/api/v1/access-review?format=csv")
        .send()
        .await
        .unwrap();
    let by_accept = auditor
        .get("/api/v1/access-review")
        .header("accept", "text/csv;q=0.9, */*;q=0.1")
        .send()
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for r in [by_param, by_accept] {
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()["content-disposition"].to_str().unwrap(),
            format!("attachment; filename=\"access-review-{company}.csv\"")
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        bodies.push(r.text().await.unwrap());
    }
    let csv = &bodies[0];
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.len(), 1 + 3 + 2 + 1, "{csv}");
    assert_eq!(
        lines[0],
        "kind,id,login_id,email,name,role,permissions,totp_enabled,created_by,created_at,last_used_at,revoked_at"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "member,{clerk_member},{},'=cmd@example.com,,clerk,company.read invoice.read invoice.create customer.read customer.write,false,,,",
            clerk.login_id
        ))),
        "{csv}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "api_key,{},{},,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",,company.read,,",
            key["id"].as_str().unwrap(),
            owner.login_id
        ))),
        "{csv}"
    );
    // No cell of the file starts a formula.
    for line in &lines {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell} in {csv}"
            );
        }
    }
    assert!(!csv.contains(key_text) && !csv.contains(&key_text[8..]));
    // The other company's data are absent (its owner is also ours; its id is not).
    assert!(!csv.contains(other["id"].as_str().unwrap()));

    // Reading the report is not audited.
    let audit_after: Value = owner
        .get("/api/v1/audit?limit=100")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit_after["data"], audit_before["data"]);

    // Only with access.review; an unknown format is a 400.
    let r = clerk.get("/api/v1/access-review").send().await.unwrap();
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert!(
        p["detail"].as_str().unwrap().contains("access.review"),
        "{p}"
    );
    let r = auditor
        .get("/api/v1/access-review?format=xlsx")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(problem(r).await["type"], "/problems/malformed-request");

    // The other company's report holds only its own owner and no keys.
    let b: Value = owner_b
        .get("/api/v1/access-review")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["members"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["api_keys"], json!([]));
}
