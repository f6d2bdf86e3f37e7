//! Idempotency records of POST requests (API-CONVENTIONS "Safety of retries").
//!
//! A record is keyed by its [`IdemScope`]: the company acted for (empty for
//! none), the caller's actor id and the SHA-256 of the client's
//! `Idempotency-Key`. [`Store::idempotency_begin`] inserts an in-flight
//! placeholder, and the primary key decides between concurrent duplicates;
//! [`Store::idempotency_complete`] fills in the answer (its body arrives
//! sealed by the server), [`Store::idempotency_abandon`] removes a placeholder
//! whose answer is not kept. Records older than the caller's cut-off are
//! ignored and purged on the way. Every statement is written once in SQL both
//! backends accept.

use crate::{Backend, Result, Store};

/// Runs `$body` with `$p` bound to the open pool, whichever backend it is.
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($p) => $body,
            Backend::Postgres($p) => $body,
        }
    };
}

/// Who a record belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemScope {
    /// The company acted for, or the empty string for none.
    pub company_id: String,
    /// The caller's actor id (`log_…` or `key_…`).
    pub actor: String,
    /// SHA-256 of the client's `Idempotency-Key` (the key itself is not stored).
    pub key_hash: Vec<u8>,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdemRecord {
    /// SHA-256 of the first request's method, path and body.
    pub request_hash: Vec<u8>,
    /// The answer's status; `None` while the first request is in flight.
    pub status: Option<i64>,
    /// The answer's `Content-Type`.
    pub content_type: Option<String>,
    /// The answer's `Location`.
    pub location: Option<String>,
    /// The answer's body, sealed by the server.
    pub body_sealed: Option<Vec<u8>>,
    /// When the first request arrived, µs since the epoch.
    pub created_us: i64,
}

/// The answer to [`Store::idempotency_begin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdemBegin {
    /// No live record existed: an in-flight placeholder is now stored, and
    /// this request is the one to run.
    Started,
    /// A live record exists (in flight or completed).
    Existing(IdemRecord),
    /// Another request held the key but its placeholder vanished meanwhile
    /// (it failed and was abandoned); the client may retry.
    Vanished,
}

/// The answer to complete a record with.
#[derive(Debug, Clone, Copy)]
pub struct IdemAnswer<'a> {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<&'a str>,
    /// `Location`, if any.
    pub location: Option<&'a str>,
    /// The body, sealed.
    pub body_sealed: &'a [u8],
}

impl Store {
    /// Purges records created before `cutoff_us` and in-flight placeholders
    /// created before `stale_us` (left by a process that stopped mid-request),
    /// then stores an in-flight placeholder for `scope` unless a live record
    /// holds it.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    pub async fn idempotency_begin(
        &self,
        scope: &IdemScope,
        request_hash: &[u8],
        now_us: i64,
        cutoff_us: i64,
        stale_us: i64,
    ) -> Result<IdemBegin> {
        with_pool!(self, |p| {
            sqlx::query(
                "DELETE FROM idempotency_record \
                 WHERE created_us < $1 OR (status IS NULL AND created_us < $2)",
            )
            .bind(cutoff_us)
            .bind(stale_us)
            .execute(p)
            .await?;
            let inserted = sqlx::query(
                "INSERT INTO idempotency_record (company_id, actor, key_hash, request_hash, created_us) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&scope.company_id)
            .bind(&scope.actor)
            .bind(&scope.key_hash)
            .bind(request_hash)
            .bind(now_us)
            .execute(p)
            .await?
            .rows_affected();
            if inserted == 1 {
                return Ok(IdemBegin::Started);
            }
            let row: Option<IdemRecord> = sqlx::query_as(
                "SELECT request_hash, status, content_type, location, body_sealed, created_us \
                 FROM idempotency_record WHERE company_id = $1 AND actor = $2 AND key_hash = $3",
            )
            .bind(&scope.company_id)
            .bind(&scope.actor)
            .bind(&scope.key_hash)
            .fetch_optional(p)
            .await?;
            Ok(row.map_or(IdemBegin::Vanished, IdemBegin::Existing))
        })
    }

    /// Stores the answer of the in-flight request holding `scope`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when no in-flight placeholder holds it;
    /// [`crate::Error::Database`].
    pub async fn idempotency_complete(
        &self,
        scope: &IdemScope,
        answer: IdemAnswer<'_>,
    ) -> Result<()> {
        let n = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE idempotency_record SET status = $4, content_type = $5, location = $6, body_sealed = $7 \
                 WHERE company_id = $1 AND actor = $2 AND key_hash = $3 AND status IS NULL",
            )
            .bind(&scope.company_id)
            .bind(&scope.actor)
            .bind(&scope.key_hash)
            .bind(i64::from(answer.status))
            .bind(answer.content_type)
            .bind(answer.location)
            .bind(answer.body_sealed)
            .execute(p)
            .await?
            .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(crate::Error::NotFound(
                "idempotency placeholder (expired or already completed)".to_owned(),
            ))
        }
    }

    /// Removes the in-flight placeholder holding `scope` (its answer is not
    /// kept, so a retry runs again). A completed record is left alone.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    pub async fn idempotency_abandon(&self, scope: &IdemScope) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "DELETE FROM idempotency_record \
                 WHERE company_id = $1 AND actor = $2 AND key_hash = $3 AND status IS NULL",
            )
            .bind(&scope.company_id)
            .bind(&scope.actor)
            .bind(&scope.key_hash)
            .execute(p)
            .await?;
        });
        Ok(())
    }
}
