//! The company audit API over real HTTPS: what was done through the API is
//! there with its actor and outcome (refusals too), filters and the cursor
//! work, another company's entries never appear, and only holders of
//! `audit.read` may read it.

use faktura_testkit::Session;
use serde_json::{Value, json};

use crate::invitations::{join, server};
use crate::problem;

async fn entries(session: &Session, query: &str) -> Value {
    let r = session
        .get(&format!("/api/v1/audit{query}"))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

fn data(page: &Value) -> &Vec<Value> {
    page["data"].as_array().unwrap()
}

/// Sends a write; returns its status and request id.
async fn write(r: reqwest::RequestBuilder) -> (u16, String) {
    let r = r.send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    (r.status().as_u16(), id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trail_shows_who_did_what_and_what_was_refused() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let (clerk, _) = join(&server, &owner, "clerk@example.com", "clerk").await;
    let (auditor, _) = join(&server, &owner, "auditor@example.com", "auditor").await;

    let (status, rename_id) = write(
        owner
            .patch("/api/v1/company")
            .json(&json!({"name": "Muster & Söhne GmbH"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, tier_id) = write(
        owner
            .put("/api/v1/company/tier")
            .json(&json!({"tier": "business"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, denied_id) = write(
        clerk
            .patch("/api/v1/company")
            .json(&json!({"name": "Mine"})),
    )
    .await;
    assert_eq!(status, 403);

    // A second company of the owner, with its own entries.
    let r = owner
        .post("/api/v1/companies")
        .json(&json!({"name": "Zweite AG"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let other: Value = r.json().await.unwrap();
    let owner_b = owner.clone().acting_for(other["id"].as_str().unwrap());
    let (status, foreign_id) = write(
        owner_b
            .patch("/api/v1/company")
            .json(&json!({"name": "Zweite"})),
    )
    .await;
    assert_eq!(status, 200);

    // The auditor reads the trail; the clerk may not.
    let all = entries(&auditor, "?limit=100").await;
    assert_eq!(all["has_more"], false);
    let rows = data(&all);
    let by_request =
        |id: &str| -> Vec<&Value> { rows.iter().filter(|e| e["request_id"] == id).collect() };
    let rename = by_request(&rename_id);
    assert_eq!(rename.len(), 1, "{all}");
    let rename = rename[0];
    assert_eq!(rename["action"], "company.update");
    assert_eq!(rename["actor"], owner.login_id.as_str());
    assert_eq!(rename["outcome"], "success");
    assert_eq!(rename["target"], owner.company.as_deref().unwrap());
    assert_eq!(rename["source"], "127.0.0.1");
    assert_eq!(rename["details"]["fields"], "name");
    assert_eq!(rename["details"]["status"], 200);
    assert!(rename.get("details_error").is_none(), "{rename}");
    assert!(rename["time"].as_str().unwrap().ends_with('Z'));
    let tier = by_request(&tier_id)[0];
    assert_eq!(tier["action"], "company.tier");
    assert_eq!(tier["details"]["from"], "free");
    assert_eq!(tier["details"]["to"], "business");
    let denied = by_request(&denied_id);
    assert_eq!(denied.len(), 1, "{all}");
    assert_eq!(denied[0]["action"], "company.update");
    assert_eq!(denied[0]["actor"], clerk.login_id.as_str());
    assert_eq!(denied[0]["outcome"], "denied");
    assert_eq!(denied[0]["details"]["status"], 403);
    // The invitations were audited in this company too.
    assert!(rows.iter().any(|e| e["action"] == "invitation.create"));
    // Never another company's entries, nor the creation of the other company.
    assert!(by_request(&foreign_id).is_empty(), "{all}");
    assert!(
        rows.iter().all(|e| e["action"] != "company.create"),
        "{all}"
    );
    let seqs: Vec<u64> = rows.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Reading the trail is not an entry of it.
    let again = entries(&auditor, "?limit=100").await;
    assert_eq!(data(&again).len(), rows.len());

    let r = clerk.get("/api/v1/audit").send().await.unwrap();
    assert_eq!(r.status(), 403);
    let p = problem(r).await;
    assert_eq!(p["type"], "/problems/forbidden");
    assert!(p["detail"].as_str().unwrap().contains("audit.read"), "{p}");

    // The other company sees its own entry and none of the first one's.
    let b = entries(&owner_b, "?limit=100").await;
    assert!(
        data(&b)
            .iter()
            .any(|e| e["request_id"] == foreign_id.as_str())
    );
    assert!(
        data(&b)
            .iter()
            .all(|e| e["request_id"] != rename_id.as_str() && e["request_id"] != denied_id.as_str()),
        "{b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_the_cursor_work() {
    let server = server().await;
    let owner = server
        .setup_owner("owner@example.com", "Muster GmbH")
        .await
        .unwrap();
    let (clerk, _) = join(&server, &owner, "clerk@example.com", "clerk").await;
    for i in 0..4 {
        let r = owner
            .patch("/api/v1/company")
            .json(&json!({ "name": format!("Muster {i}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = clerk
        .patch("/api/v1/company")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let all = entries(&owner, "?limit=100").await;
    let rows = data(&all).clone();
    assert!(rows.len() >= 6, "{all}");

    // action
    let updates = entries(&owner, "?action=company.update&limit=100").await;
    assert_eq!(data(&updates).len(), 5);
    assert!(
        data(&updates)
            .iter()
            .all(|e| e["action"] == "company.update")
    );
    // actor
    let by_clerk = entries(&owner, &format!("?actor={}", clerk.login_id)).await;
    let clerks: Vec<&Value> = rows
        .iter()
        .filter(|e| e["actor"] == clerk.login_id.as_str())
        .collect();
    // Accepting the invitation and the refused rename.
    assert_eq!(clerks.len(), 2, "{all}");
    assert_eq!(data(&by_clerk).iter().collect::<Vec<_>>(), clerks);
    let denied = entries(
        &owner,
        &format!("?actor={}&action=company.update", clerk.login_id),
    )
    .await;
    assert_eq!(data(&denied).len(), 1, "{denied}");
    assert_eq!(data(&denied)[0]["outcome"], "denied");
    // both
    let none = entries(
        &owner,
        &format!("?actor={}&action=invitation.create", clerk.login_id),
    )
    .await;
    assert!(data(&none).is_empty());

    // from / to, by the entries' own times.
    let times: Vec<&str> = rows.iter().map(|e| e["time"].as_str().unwrap()).collect();
    let first = times[0];
    let last = times[times.len() - 1];
    let from_first = entries(&owner, &format!("?limit=100&from={first}")).await;
    assert_eq!(data(&from_first).len(), rows.len());
    let before_first = entries(&owner, &format!("?limit=100&to={first}")).await;
    assert!(data(&before_first).is_empty(), "{before_first}");
    let before_last = entries(&owner, &format!("?limit=100&to={last}")).await;
    assert!(data(&before_last).len() < rows.len());
    let future = entries(&owner, "?from=2100-01-01T00:00:00Z").await;
    assert!(data(&future).is_empty());
    let offset = entries(&owner, "?limit=100&from=2000-01-01T01:00:00%2B01:00").await;
    assert_eq!(data(&offset).len(), rows.len());

    // Page by page, the same entries in the same order.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("?limit=2&starting_after={c}"),
            None => "?limit=2".to_owned(),
        };
        let page = entries(&owner, &q).await;
        pages += 1;
        assert!(data(&page).len() <= 2);
        walked.extend(data(&page).iter().cloned());
        if page["has_more"] == false {
            assert!(page["next_cursor"].is_null());
            break;
        }
        let next = page["next_cursor"].as_str().unwrap().to_owned();
        assert_eq!(
            next,
            data(&page).last().unwrap()["seq"]
                .as_u64()
                .unwrap()
                .to_string()
        );
        cursor = Some(next);
    }
    assert_eq!(pages, rows.len().div_ceil(2));
    assert_eq!(walked, rows);

    // Malformed parameters say what to fix.
    for q in [
        "?from=yesterday",
        "?to=2026-13-01T00:00:00Z",
        "?starting_after=abc",
        "?starting_after=-1",
        "?limit=many",
        "?colour=blue",
    ] {
        let r = owner
            .get(&format!("/api/v1/audit{q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{q}");
        assert_eq!(
            problem(r).await["type"],
            "/problems/malformed-request",
            "{q}"
        );
    }
}
