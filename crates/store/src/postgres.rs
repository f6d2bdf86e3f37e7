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
    let pool = connect(url, 8).await?;
    migrate(&pool).await?;
    Ok(pool)
}

async fn connect(url: &str, max: u32) -> Result<PgPool> {
    let what = redact(url);
    let open_err = |e: sqlx::Error| Error::Open {
        what: what.clone(),
        reason: e.to_string(),
    };
    let opts: PgConnectOptions = url.parse().map_err(open_err)?;
    PgPoolOptions::new()
        .max_connections(max)
        .connect_with(opts)
        .await
        .map_err(open_err)
}

async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| Error::Migrate(e.to_string()))
}

/// The append-only tables: the application role may read and append, nothing more.
const APPEND_ONLY: [&str; 3] = ["audit_entry", "audit_checkpoint", "key_material"];

/// sqlx's own bookkeeping: the application role gets no privilege on it.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Opens with two roles: migrates as the admin (owner) role at `admin_url`, grants
/// the application role (the user of `app_url`) exactly what the store needs, and
/// returns a pool on `app_url`. The admin pool is closed before returning.
pub(crate) async fn open_split(app_url: &str, admin_url: &str) -> Result<PgPool> {
    let admin = connect(admin_url, 2).await?;
    let granted = async {
        migrate(&admin).await?;
        let app_role = {
            let probe = connect(app_url, 1).await?;
            let role: Result<(String,)> = sqlx::query_as("SELECT current_user::text")
                .fetch_one(&probe)
                .await
                .map_err(Error::from);
            probe.close().await;
            role?.0
        };
        grant_least_privilege(&admin, &app_role).await
    }
    .await;
    admin.close().await;
    let (app_role, schema) = granted?;
    let app = connect(app_url, 8).await?;
    let checked = async {
        let (seen,): (Option<String>,) = sqlx::query_as("SELECT current_schema()::text")
            .fetch_one(&app)
            .await?;
        if seen.as_deref() != Some(schema.as_str()) {
            return Err(Error::Invalid(format!(
                "the application role {app_role} resolves tables in schema {} but the migrations \
                 are in schema {schema}: give both connections the same search_path",
                seen.as_deref().unwrap_or("(none)")
            )));
        }
        Ok(())
    }
    .await;
    if let Err(e) = checked {
        app.close().await;
        return Err(e);
    }
    Ok(app)
}

/// A role, schema or table name that may be quoted into SQL: it must match
/// `[a-z_][a-z0-9_]{0,62}`. Anything else is refused, never escaped.
pub(crate) fn checked_ident<'a>(what: &str, name: &'a str) -> Result<&'a str> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && name.len() <= 63 {
        Ok(name)
    } else {
        Err(Error::Invalid(format!(
            "the {what} name {name:?} is not a plain lower-case identifier \
             ([a-z_][a-z0-9_]{{0,62}}): rename it"
        )))
    }
}

/// Grants `app_role` SELECT, INSERT on the append-only tables, SELECT, INSERT, UPDATE,
/// DELETE on every other table of the admin's schema (never the migrations table),
/// USAGE on its sequences and on the schema; revokes everything else it held there,
/// then checks the result, inherited privileges included. Returns the role and schema.
async fn grant_least_privilege(admin: &PgPool, app_role: &str) -> Result<(String, String)> {
    let role = checked_ident("application role", app_role)?;
    let mut tx = admin.begin().await?;
    let (admin_role, schema): (String, Option<String>) =
        sqlx::query_as("SELECT current_user::text, current_schema()::text")
            .fetch_one(&mut *tx)
            .await?;
    let schema = schema.ok_or_else(|| {
        Error::Invalid("the admin connection has no current schema: set its search_path".into())
    })?;
    let schema = checked_ident("schema", &schema)?.to_owned();
    if role == admin_role {
        return Err(Error::Invalid(format!(
            "the application and admin connections are both role {role}: the application \
             must connect as a separate role that owns nothing"
        )));
    }
    let (superuser, member_of_admin): (bool, bool) = sqlx::query_as(
        "SELECT r.rolsuper OR r.rolbypassrls, pg_has_role(r.oid, $2::text, 'MEMBER')
         FROM pg_roles r WHERE r.rolname = $1",
    )
    .bind(role)
    .bind(&admin_role)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::Invalid(format!("no database role {role}")))?;
    if superuser || member_of_admin {
        return Err(Error::Invalid(format!(
            "the application role {role} is a superuser, bypasses row security or is a member \
             of the admin role {admin_role}: use a plain login role"
        )));
    }
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname",
    )
    .bind(&schema)
    .fetch_all(&mut *tx)
    .await?;
    let sequences: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind = 'S' ORDER BY c.relname",
    )
    .bind(&schema)
    .fetch_all(&mut *tx)
    .await?;
    let mut ddl = vec![format!("GRANT USAGE ON SCHEMA \"{schema}\" TO \"{role}\"")];
    for (table,) in &tables {
        let table = checked_ident("table", table)?;
        let on = format!("\"{schema}\".\"{table}\"");
        ddl.push(format!("REVOKE ALL ON TABLE {on} FROM \"{role}\""));
        if table == MIGRATIONS_TABLE {
            continue;
        }
        let rights = if APPEND_ONLY.contains(&table) {
            "SELECT, INSERT"
        } else {
            "SELECT, INSERT, UPDATE, DELETE"
        };
        ddl.push(format!("GRANT {rights} ON TABLE {on} TO \"{role}\""));
    }
    for (seq,) in &sequences {
        let on = format!("\"{schema}\".\"{}\"", checked_ident("sequence", seq)?);
        ddl.push(format!("REVOKE ALL ON SEQUENCE {on} FROM \"{role}\""));
        ddl.push(format!("GRANT USAGE ON SEQUENCE {on} TO \"{role}\""));
    }
    for stmt in &ddl {
        sqlx::query(stmt).execute(&mut *tx).await?;
    }
    // Check what the role can do now, including through PUBLIC or memberships.
    let excess: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, p.priv FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN (VALUES ('TRUNCATE'), ('REFERENCES'), ('TRIGGER'), ('UPDATE'), ('DELETE'),
                            ('OWNER')) AS p(priv)
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
           AND CASE p.priv
                 WHEN 'OWNER' THEN pg_has_role($2::text, c.relowner, 'USAGE')
                 WHEN 'UPDATE' THEN c.relname::text = ANY($3) AND has_any_column_privilege($2::text, c.oid, 'UPDATE')
                 WHEN 'DELETE' THEN c.relname::text = ANY($3) AND has_table_privilege($2::text, c.oid, 'DELETE')
                 ELSE has_table_privilege($2::text, c.oid, p.priv)
               END
         ORDER BY 1, 2",
    )
    .bind(&schema)
    .bind(role)
    .bind(APPEND_ONLY.as_slice())
    .fetch_all(&mut *tx)
    .await?;
    if let Some((table, privilege)) = excess.first() {
        return Err(Error::Invalid(format!(
            "the application role {role} still holds {privilege} on {schema}.{table} (through \
             PUBLIC or a role membership): revoke it, the store grants only what it needs"
        )));
    }
    let (can_create,): (bool,) =
        sqlx::query_as("SELECT has_schema_privilege($1::text, $2::text, 'CREATE')")
            .bind(role)
            .bind(&schema)
            .fetch_one(&mut *tx)
            .await?;
    if can_create {
        return Err(Error::Invalid(format!(
            "the application role {role} may CREATE in schema {schema}: \
             REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC, {role}"
        )));
    }
    tx.commit().await?;
    Ok((role.to_owned(), schema))
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

/// The advisory lock key that serialises audit appends within one database
/// (the bytes of "faktaudi"); every appender, whichever role, takes it.
const AUDIT_APPEND_LOCK: i64 = 0x6661_6b74_6175_6469;

pub(crate) async fn append_audit(p: &PgPool, fields: EntryFields) -> Result<Entry> {
    // INVARIANT: the transaction-level advisory lock (held to commit) admits one
    // appender at a time, so no two appenders read the same head; readers are not
    // blocked. An advisory lock needs no table privilege, so the application role
    // can hold it with only SELECT and INSERT on audit_entry (LOCK TABLE in
    // EXCLUSIVE mode would need UPDATE, DELETE or TRUNCATE). Should an appender
    // ever bypass the lock, the primary key on seq still refuses a second entry at
    // the same position, so the chain cannot fork.
    let mut tx = p.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(AUDIT_APPEND_LOCK)
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

#[cfg(test)]
mod tests {
    use super::checked_ident;

    #[test]
    fn only_plain_lower_case_identifiers_are_accepted() {
        for ok in ["faktura_app", "_x", "a", "t_123_0_99", &"a".repeat(63)] {
            assert_eq!(checked_ident("role", ok).ok(), Some(ok));
        }
        for bad in [
            "",
            "1abc",
            "App",
            "faktura-app",
            "a\"; DROP TABLE audit_entry; --",
            "a b",
            "ä",
            &"a".repeat(64),
        ] {
            assert!(checked_ident("role", bad).is_err(), "{bad:?} accepted");
        }
    }
}
