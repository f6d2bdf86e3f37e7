//! PostgreSQL queries. Every statement is parameterised.

use faktura_audit::{Entry, EntryFields};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::audit::{EntryRow, seq_i64};
use crate::key_material::{KeyKind, KeyMaterial, KeyRow, NewKeyMaterial, from_row};
use crate::sqlite::next_position;
use crate::{Error, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(crate) async fn open(url: &str) -> Result<PgPool> {
    let what = redact(url);
    let open_err = |e: sqlx::Error| Error::Open {
        what: what.clone(),
        reason: e.to_string(),
    };
    let opts: PgConnectOptions = url.parse().map_err(open_err)?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
        .map_err(open_err)?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| Error::Migrate(e.to_string()))?;
    Ok(pool)
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = url.get(scheme + 3..at).unwrap_or_default();
            let user = userinfo.split(':').next().unwrap_or_default();
            format!(
                "{}{user}:[redacted]{}",
                url.get(..scheme + 3).unwrap_or_default(),
                url.get(at..).unwrap_or_default()
            )
        }
        _ => url.to_owned(),
    }
}

pub(crate) async fn append_key_material(p: &PgPool, n: &NewKeyMaterial) -> Result<KeyMaterial> {
    let mut conn = p.acquire().await?;
    insert_key_material(&mut conn, n).await
}

/// Inserts every record in one transaction; an error rolls back all of them.
pub(crate) async fn append_key_materials(
    p: &PgPool,
    new: &[NewKeyMaterial],
) -> Result<Vec<KeyMaterial>> {
    let mut tx = p.begin().await?;
    let mut out = Vec::with_capacity(new.len());
    for n in new {
        out.push(insert_key_material(&mut tx, n).await?);
    }
    tx.commit().await?;
    Ok(out)
}

async fn insert_key_material(
    c: &mut sqlx::PgConnection,
    n: &NewKeyMaterial,
) -> Result<KeyMaterial> {
    let row: KeyRow = sqlx::query_as(
        "INSERT INTO key_material (kind, version, company_id, purpose, wrapped, created_us)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, kind, version, company_id, purpose, wrapped, created_us",
    )
    .bind(n.kind.as_str())
    .bind(i64::from(n.version))
    .bind(n.company_id.as_deref())
    .bind(&n.purpose)
    .bind(&n.wrapped)
    .bind(n.created_us()?)
    .fetch_one(&mut *c)
    .await?;
    from_row(row)
}

pub(crate) async fn key_material_versions(
    p: &PgPool,
    kind: &KeyKind,
    company_id: Option<&str>,
    purpose: &str,
) -> Result<Vec<KeyMaterial>> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT id, kind, version, company_id, purpose, wrapped, created_us FROM key_material
         WHERE kind = $1 AND company_id IS NOT DISTINCT FROM $2 AND purpose = $3 ORDER BY version, id",
    )
    .bind(kind.as_str())
    .bind(company_id)
    .bind(purpose)
    .fetch_all(p)
    .await?;
    rows.into_iter().map(from_row).collect()
}

pub(crate) async fn key_material_of_kind(p: &PgPool, kind: &KeyKind) -> Result<Vec<KeyMaterial>> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT id, kind, version, company_id, purpose, wrapped, created_us FROM key_material
         WHERE kind = $1 ORDER BY id",
    )
    .bind(kind.as_str())
    .fetch_all(p)
    .await?;
    rows.into_iter().map(from_row).collect()
}

pub(crate) async fn append_audit(p: &PgPool, fields: EntryFields) -> Result<Entry> {
    // INVARIANT: the EXCLUSIVE table lock (held to commit) admits one appender at a
    // time, so no two appenders read the same head; readers are not blocked.
    let mut tx = p.begin().await?;
    sqlx::query("LOCK TABLE audit_entry IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, entry_hash FROM audit_entry ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (seq, prev) = next_position(head)?;
    let entry = Entry::chain(seq, prev, fields)?;
    insert_entry(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(entry)
}

async fn insert_entry(tx: &mut sqlx::PgConnection, e: &Entry) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_entry (seq, time_us, company, actor, action, target, outcome,
             request_id, source, details, prev_hash, entry_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(seq_i64(e.seq)?)
    .bind(e.fields.time_us)
    .bind(e.fields.company.as_deref())
    .bind(&e.fields.actor)
    .bind(&e.fields.action)
    .bind(&e.fields.target)
    .bind(e.fields.outcome.as_str())
    .bind(&e.fields.request_id)
    .bind(&e.fields.source)
    .bind(&e.fields.details)
    .bind(e.prev_hash.as_slice())
    .bind(e.hash.as_slice())
    .execute(tx)
    .await?;
    Ok(())
}

pub(crate) async fn audit_len(p: &PgPool) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_entry")
        .fetch_one(p)
        .await?;
    Ok(n)
}

pub(crate) async fn audit_rows(p: &PgPool, from: i64, limit: i64) -> Result<Vec<EntryRow>> {
    Ok(sqlx::query_as(
        "SELECT seq, time_us, company, actor, action, target, outcome, request_id, source,
                details, prev_hash, entry_hash
         FROM audit_entry WHERE seq >= $1 ORDER BY seq LIMIT $2",
    )
    .bind(from)
    .bind(limit)
    .fetch_all(p)
    .await?)
}

pub(crate) async fn audit_checkpoints(p: &PgPool) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT tree_size, note FROM audit_checkpoint ORDER BY tree_size")
            .fetch_all(p)
            .await?,
    )
}

pub(crate) async fn insert_checkpoint(
    p: &PgPool,
    size: i64,
    root: &[u8],
    time_us: i64,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_checkpoint (tree_size, root, time_us, note) VALUES ($1, $2, $3, $4)",
    )
    .bind(size)
    .bind(root)
    .bind(time_us)
    .bind(note)
    .execute(p)
    .await?;
    Ok(())
}
