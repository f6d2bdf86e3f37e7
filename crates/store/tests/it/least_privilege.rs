//! C13 on PostgreSQL: the server's own database role (opened with
//! `Store::open_postgres_least_privilege`) can append to the audit trail and write
//! the platform tables, but cannot UPDATE, DELETE, TRUNCATE, ALTER the audit table
//! or DROP its triggers. Needs `FAKTURA_TEST_PG_URL` (owner) and
//! `FAKTURA_TEST_PG_APP_URL` (a separate login role), both printed by
//! `.ci/start-postgres.sh`; required when `FAKTURA_REQUIRE_PG=1`.

use faktura_audit::{CheckpointSigner, EntryFields, Outcome};
use faktura_store::platform::{Company, Login, Membership, NewCompany};
use faktura_store::{Error, KeyKind, NewKeyMaterial, Store};
use sqlx::Connection as _;
use time::macros::datetime;

const ORIGIN: &str = "test.faktura/least-privilege";

/// The attacks of C13, as the application role would run them after a takeover.
const ATTACKS: [&str; 5] = [
    "UPDATE audit_entry SET actor = 'someone-else'",
    "DELETE FROM audit_entry",
    "TRUNCATE audit_entry",
    "ALTER TABLE audit_entry ADD COLUMN forged TEXT",
    "DROP TRIGGER audit_entry_no_change ON audit_entry",
];

struct Urls {
    admin: String,
    app: String,
}

/// Owner and application URLs on one fresh schema, or `None` after a SKIPPED line.
async fn urls(test: &str) -> Option<Urls> {
    let (Ok(owner), Ok(app)) = (
        std::env::var("FAKTURA_TEST_PG_URL"),
        std::env::var("FAKTURA_TEST_PG_APP_URL"),
    ) else {
        assert!(
            std::env::var("FAKTURA_REQUIRE_PG").as_deref() != Ok("1"),
            "FAKTURA_REQUIRE_PG=1 but FAKTURA_TEST_PG_URL or FAKTURA_TEST_PG_APP_URL is unset: \
             run `eval \"$(bash .ci/start-postgres.sh)\"`"
        );
        eprintln!(
            "SKIPPED: {test} (FAKTURA_TEST_PG_URL and FAKTURA_TEST_PG_APP_URL unset; \
             `eval \"$(bash .ci/start-postgres.sh)\"` to run it)"
        );
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("lp_{}_{nanos}", std::process::id());
    let mut c = sqlx::PgConnection::connect(&owner).await.unwrap();
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let with_schema = |base: &str| {
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options[search_path]={schema}")
    };
    Some(Urls {
        admin: with_schema(&owner),
        app: with_schema(&app),
    })
}

/// Runs one statement on a fresh connection; the SQLSTATE and message on refusal.
async fn run(url: &str, sql: &str) -> Result<u64, (String, String)> {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let r = sqlx::raw_sql(sql).execute(&mut c).await;
    c.close().await.unwrap();
    match r {
        Ok(done) => Ok(done.rows_affected()),
        Err(sqlx::Error::Database(db)) => Err((
            db.code().map(|c| c.into_owned()).unwrap_or_default(),
            db.message().to_owned(),
        )),
        Err(other) => panic!("{sql}: not a database refusal: {other}"),
    }
}

fn fields(i: i64) -> EntryFields {
    EntryFields {
        time_us: 1_700_000_000_000_000 + i,
        company: Some("com_lp".into()),
        actor: "log_lp".into(),
        action: "company.update".into(),
        target: format!("target-{i}"),
        outcome: Outcome::Success,
        request_id: format!("req-{i}"),
        source: "198.51.100.9".into(),
        details: format!("sealed-{i}").into_bytes(),
    }
}

fn login() -> Login {
    Login {
        id: "log_lp".into(),
        email_index: vec![7; 32],
        email_sealed: vec![0xee, 7],
        password_phc: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        totp_sealed: None,
        totp_last_step: None,
        created_us: 1,
        last_login_us: None,
        disabled_us: None,
    }
}

fn key(kind: &str, version: u32, company: Option<&str>) -> NewKeyMaterial {
    NewKeyMaterial {
        kind: KeyKind::new(kind).unwrap(),
        version,
        company_id: company.map(str::to_owned),
        purpose: "audit".into(),
        wrapped: vec![0xab; 40],
        created_at: datetime!(2026-11-25 03:00:00 UTC),
    }
}

#[tokio::test]
async fn the_application_role_appends_but_cannot_rewrite_the_audit_table() {
    let Some(urls) = urls("C13 least privilege").await else {
        return;
    };
    let store = Store::open_postgres_least_privilege(&urls.app, &urls.admin)
        .await
        .unwrap();
    assert_eq!(store.backend_name(), "postgres");
    let (user,): (String,) = {
        let mut c = sqlx::PgConnection::connect(&urls.app).await.unwrap();
        let r = sqlx::query_as("SELECT current_user::text")
            .fetch_one(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        r
    };
    assert_ne!(user, "postgres", "the app URL must log in as its own role");

    // The application's normal work: platform writes (insert, update, delete),
    // key material (with its sequence), audit appends and checkpoints.
    store.create_login(&login()).await.unwrap();
    store
        .create_company(&NewCompany {
            company: Company {
                id: "com_lp".into(),
                name_sealed: vec![1, 2, 3],
                tier: "free".into(),
                created_us: 1,
            },
            owner: Membership {
                id: "mem_lp".into(),
                company_id: "com_lp".into(),
                login_id: "log_lp".into(),
                role: "owner".into(),
                created_us: 1,
            },
            keys: vec![key("data", 1, Some("com_lp"))],
        })
        .await
        .unwrap();
    store.set_company_name("com_lp", &[4, 5, 6]).await.unwrap();
    assert_eq!(
        store.company("com_lp").await.unwrap().unwrap().name_sealed,
        vec![4, 5, 6]
    );
    store
        .append_key_material(&key("kek", 1, None))
        .await
        .unwrap();
    let signer = CheckpointSigner::from_seed(ORIGIN, &[9; 32]).unwrap();
    for i in 0..10 {
        let e = store.append_audit(fields(i)).await.unwrap();
        assert_eq!(e.seq, u64::try_from(i).unwrap());
    }
    store.audit_checkpoint(&signer, 10).await.unwrap();
    // Concurrent appenders under the advisory lock: no fork, no gap.
    let mut tasks = Vec::new();
    for w in 0..4_i64 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                s.append_audit(fields(100 + w * 10 + i)).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.audit_len().await.unwrap(), 30);
    store.audit_checkpoint(&signer, 100).await.unwrap();

    // C13: the five attacks through the application role's own connection.
    let mut succeeded = 0;
    for sql in ATTACKS {
        match run(&urls.app, sql).await {
            Ok(n) => {
                succeeded += 1;
                eprintln!("C13 ATTACK SUCCEEDED ({n} rows): {sql}");
            }
            Err((code, msg)) => {
                eprintln!("refused: {sql}: {code} {msg}");
                assert_eq!(code, "42501", "{sql}: {msg}");
                // Refused for want of privilege, not merely by the append-only
                // trigger (which the owner could drop).
                assert!(
                    msg.contains("permission denied") || msg.contains("must be owner"),
                    "{sql}: refused by something other than the role's privileges: {msg}"
                );
            }
        }
    }
    eprintln!("C13: {succeeded}/{} attacks succeeded", ATTACKS.len());
    assert_eq!(succeeded, 0);
    // The other append-only tables and sqlx's bookkeeping are out of reach too.
    for sql in [
        "UPDATE audit_checkpoint SET note = ''",
        "DELETE FROM audit_checkpoint",
        "TRUNCATE audit_checkpoint",
        "UPDATE key_material SET wrapped = ''",
        "DELETE FROM key_material",
        "TRUNCATE key_material",
        "DROP TRIGGER key_material_no_update ON key_material",
        "SELECT * FROM _sqlx_migrations",
        "DELETE FROM _sqlx_migrations",
        "CREATE TABLE planted (x INT)",
        "CREATE FUNCTION planted() RETURNS INT LANGUAGE sql AS 'SELECT 1'",
    ] {
        let r = run(&urls.app, sql).await;
        assert!(
            matches!(&r, Err((code, _)) if code == "42501"),
            "{sql}: {r:?}"
        );
    }

    let report = store.verify_audit(&signer.verifier(), &[]).await.unwrap();
    eprintln!("verified after the attacks: {report:?}");
    assert_eq!(store.audit_len().await.unwrap(), 30);

    // Control: the owner's connection is not so limited (the same DROP TRIGGER
    // succeeds), so the refusals above come from the application role.
    run(&urls.admin, ATTACKS[4]).await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn reopening_keeps_the_grants_and_one_role_for_both_is_refused() {
    let Some(urls) = urls("least privilege: reopen and refusals").await else {
        return;
    };
    let first = Store::open_postgres_least_privilege(&urls.app, &urls.admin)
        .await
        .unwrap();
    first.append_audit(fields(0)).await.unwrap();
    first.close().await;
    // An extra privilege granted by hand is revoked by the next open.
    run(
        &urls.admin,
        &format!(
            "GRANT TRUNCATE, UPDATE ON audit_entry TO {}",
            app_user(&urls.app).await
        ),
    )
    .await
    .unwrap();
    let second = Store::open_postgres_least_privilege(&urls.app, &urls.admin)
        .await
        .unwrap();
    second.append_audit(fields(1)).await.unwrap();
    assert_eq!(second.audit_len().await.unwrap(), 2);
    let r = run(&urls.app, "TRUNCATE audit_entry").await;
    assert!(
        matches!(&r, Err((_, m)) if m.contains("permission denied")),
        "{r:?}"
    );
    second.close().await;

    // The owner as the application role: refused with a message saying what to do.
    match Store::open_postgres_least_privilege(&urls.admin, &urls.admin).await {
        Err(Error::Invalid(msg)) => assert!(msg.contains("separate role"), "{msg}"),
        other => panic!("one role for both accepted: {other:?}"),
    }
}

async fn app_user(url: &str) -> String {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let (u,): (String,) = sqlx::query_as("SELECT current_user::text")
        .fetch_one(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    u
}
