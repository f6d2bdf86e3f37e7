//! The only crate with SQL: SQLite and PostgreSQL storage.
//!
//! [`Store`] opens either backend, applies the embedded migrations
//! (`migrations/{sqlite,postgres}/`) and offers typed operations: append-only key
//! material (with the instance key layout in [`keyring`]), and the audit trail
//! (entries, checkpoints) with appends serialised so that concurrent writers
//! cannot fork the chain. Every query is parameterised.
//!
//! It deliberately does not encrypt or decrypt: key material arrives wrapped and
//! audit details arrive sealed; nor does it decide policy.
//!
//! # Security
//! SQLite runs in WAL mode with `synchronous=FULL`, so a committed transaction
//! survives power loss. The audit and key-material tables are append-only at the
//! database level (triggers), so a bug or an ordinary connection cannot rewrite them.
//! Connection URLs are never logged or put in errors with their password.
//! On PostgreSQL, [`Store::open_postgres_least_privilege`] runs the server as a
//! role that owns nothing: it may append to the audit and key tables but not
//! update, delete, truncate, alter them or drop their triggers.

mod audit;
mod error;
pub mod idempotency;
mod key_material;
pub mod keyring;
pub mod platform;
mod postgres;
mod sqlite;

use std::path::Path;

pub use audit::StoredCheckpoint;
pub use error::{Error, Result};
pub use key_material::{KeyKind, KeyMaterial, MAX_WRAPPED_LEN, NewKeyMaterial};

/// A connection pool to one of the supported databases.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Store {
    /// Opens (creating if missing) the SQLite database at `path` and migrates it.
    ///
    /// # Errors
    /// [`Error::Open`] or [`Error::Migrate`].
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        Ok(Self {
            backend: Backend::Sqlite(sqlite::open(path).await?),
        })
    }

    /// Connects to PostgreSQL at `url` and migrates the database.
    ///
    /// # Errors
    /// [`Error::Open`] or [`Error::Migrate`].
    pub async fn open_postgres(url: &str) -> Result<Self> {
        Ok(Self {
            backend: Backend::Postgres(postgres::open(url).await?),
        })
    }

    /// Connects to PostgreSQL with two roles (least privilege): migrates as the
    /// admin role at `admin_url` (the owner of the tables), grants the application
    /// role (the user `app_url` logs in as) exactly what the store needs, and
    /// returns a store whose pool uses `app_url` only.
    ///
    /// The application role gets SELECT and INSERT on `audit_entry`,
    /// `audit_checkpoint` and `key_material`; SELECT, INSERT, UPDATE and DELETE on
    /// the other tables of the schema; USAGE on its sequences and on the schema;
    /// nothing on the migrations table, and no TRUNCATE, REFERENCES or TRIGGER.
    /// Whatever else it held on these tables is revoked. It therefore cannot
    /// rewrite the append-only tables nor drop or alter their triggers, even if
    /// the server is taken over. Both URLs must resolve the same schema.
    ///
    /// # Errors
    /// [`Error::Open`] or [`Error::Migrate`]; [`Error::Invalid`] when the
    /// application role is the admin role, a superuser, a member of the admin
    /// role, not a plain lower-case identifier, still holds an excess privilege
    /// (through PUBLIC or a membership) or may create objects in the schema, or
    /// when the two connections resolve different schemas.
    pub async fn open_postgres_least_privilege(app_url: &str, admin_url: &str) -> Result<Self> {
        Ok(Self {
            backend: Backend::Postgres(postgres::open_split(app_url, admin_url).await?),
        })
    }

    /// Which backend this store uses, `sqlite` or `postgres`.
    #[must_use]
    pub const fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes every pooled connection (SQLite checkpoints its WAL on the last close).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(p) => p.close().await,
            Backend::Postgres(p) => p.close().await,
        }
    }

    /// Appends a key-material record; the `(kind, company, purpose, version)` must be new.
    ///
    /// # Errors
    /// [`Error::Conflict`] when that version exists already, [`Error::Invalid`] for bad input.
    pub async fn append_key_material(&self, new: &NewKeyMaterial) -> Result<KeyMaterial> {
        new.check()?;
        match &self.backend {
            Backend::Sqlite(p) => sqlite::append_key_material(p, new).await,
            Backend::Postgres(p) => postgres::append_key_material(p, new).await,
        }
    }

    /// Appends several key-material records in one transaction: either every
    /// record is stored or none is (a key hierarchy is never left half-written).
    ///
    /// # Errors
    /// [`Error::Conflict`] when any `(kind, company, purpose, version)` exists
    /// already (or repeats within `new`), [`Error::Invalid`] for bad input; in
    /// every error case nothing was stored.
    pub async fn append_key_materials(&self, new: &[NewKeyMaterial]) -> Result<Vec<KeyMaterial>> {
        for n in new {
            n.check()?;
        }
        match &self.backend {
            Backend::Sqlite(p) => sqlite::append_key_materials(p, new).await,
            Backend::Postgres(p) => postgres::append_key_materials(p, new).await,
        }
    }

    /// Every version of one key, oldest first.
    ///
    /// # Errors
    /// [`Error::Database`] or [`Error::Corrupt`].
    pub async fn key_material_versions(
        &self,
        kind: &KeyKind,
        company_id: Option<&str>,
        purpose: &str,
    ) -> Result<Vec<KeyMaterial>> {
        match &self.backend {
            Backend::Sqlite(p) => sqlite::key_material_versions(p, kind, company_id, purpose).await,
            Backend::Postgres(p) => {
                postgres::key_material_versions(p, kind, company_id, purpose).await
            }
        }
    }

    /// The newest version of one key, if any.
    ///
    /// # Errors
    /// [`Error::Database`] or [`Error::Corrupt`].
    pub async fn key_material_latest(
        &self,
        kind: &KeyKind,
        company_id: Option<&str>,
        purpose: &str,
    ) -> Result<Option<KeyMaterial>> {
        Ok(self
            .key_material_versions(kind, company_id, purpose)
            .await?
            .pop())
    }

    /// Every key-material record of a kind (all companies and purposes), by id.
    ///
    /// # Errors
    /// [`Error::Database`] or [`Error::Corrupt`].
    pub async fn key_material_of_kind(&self, kind: &KeyKind) -> Result<Vec<KeyMaterial>> {
        match &self.backend {
            Backend::Sqlite(p) => sqlite::key_material_of_kind(p, kind).await,
            Backend::Postgres(p) => postgres::key_material_of_kind(p, kind).await,
        }
    }
}
