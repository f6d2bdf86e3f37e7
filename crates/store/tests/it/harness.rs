//! Test databases: a fresh SQLite file per test, and a fresh PostgreSQL schema per test.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use faktura_store::Store;
use sqlx::Connection as _;

/// One backend under test, with a raw connection string for working around the application.
pub(crate) struct TestDb {
    pub(crate) store: Store,
    pub(crate) raw: Raw,
    pub(crate) name: &'static str,
}

pub(crate) enum Raw {
    Sqlite(PathBuf),
    Postgres { url: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(unique("faktura_store_test"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("faktura.db");
    let store = Store::open_sqlite(&path).await.unwrap();
    TestDb {
        store,
        raw: Raw::Sqlite(path),
        name: "sqlite",
    }
}

/// `None` (after a loud SKIPPED line) when no PostgreSQL is configured and none is required.
pub(crate) async fn postgres(test: &str) -> Option<TestDb> {
    let Ok(base) = std::env::var("FAKTURA_TEST_PG_URL") else {
        if std::env::var("FAKTURA_REQUIRE_PG").as_deref() == Ok("1") {
            panic!(
                "FAKTURA_REQUIRE_PG=1 but FAKTURA_TEST_PG_URL is unset: run `eval \"$(bash .ci/start-postgres.sh)\"`"
            );
        }
        eprintln!(
            "SKIPPED: {test} on PostgreSQL (FAKTURA_TEST_PG_URL unset; `eval \"$(bash .ci/start-postgres.sh)\"` to run it)"
        );
        return None;
    };
    let schema = unique("t");
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options[search_path]={schema}");
    let store = Store::open_postgres(&url).await.unwrap();
    Some(TestDb {
        store,
        raw: Raw::Postgres { url },
        name: "postgres",
    })
}

/// Every backend available for `test`: SQLite, plus PostgreSQL when configured.
pub(crate) async fn backends(test: &str) -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    if let Some(pg) = postgres(test).await {
        out.push(pg);
    }
    out
}

impl TestDb {
    /// Runs one statement on a fresh raw connection, outside the application.
    pub(crate) async fn raw_exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match &self.raw {
            Raw::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut c = sqlx::SqliteConnection::connect(&url).await?;
                let r = sqlx::raw_sql(sql).execute(&mut c).await?;
                c.close().await?;
                Ok(r.rows_affected())
            }
            Raw::Postgres { url } => {
                let mut c = sqlx::PgConnection::connect(url).await?;
                let r = sqlx::raw_sql(sql).execute(&mut c).await?;
                c.close().await?;
                Ok(r.rows_affected())
            }
        }
    }

    /// Drops the append-only triggers, as an attacker with database access would.
    pub(crate) async fn drop_guards(&self) {
        let sql = match self.raw {
            Raw::Sqlite(_) => {
                "DROP TRIGGER audit_entry_no_update; DROP TRIGGER audit_entry_no_delete;
                 DROP TRIGGER audit_checkpoint_no_update; DROP TRIGGER audit_checkpoint_no_delete;"
            }
            Raw::Postgres { .. } => {
                "DROP TRIGGER audit_entry_no_change ON audit_entry;
                 DROP TRIGGER audit_entry_no_truncate ON audit_entry;
                 DROP TRIGGER audit_checkpoint_no_change ON audit_checkpoint;
                 DROP TRIGGER audit_checkpoint_no_truncate ON audit_checkpoint;"
            }
        };
        self.raw_exec(sql).await.unwrap();
    }
}
