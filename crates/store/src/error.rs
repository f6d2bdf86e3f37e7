//! The one error type of the store; no sqlx type crosses the crate boundary.

/// Everything that can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database could not be opened or reached.
    #[error("cannot open the database {what}: {reason}")]
    Open {
        /// Which database (path or redacted URL).
        what: String,
        /// The driver's explanation.
        reason: String,
    },
    /// Applying the embedded migrations failed.
    #[error("database migration failed: {0}; restore a backup or fix the schema by hand")]
    Migrate(String),
    /// A row with the same identity exists already (e.g. a key version appended twice).
    #[error("{0} exists already: append a new version instead")]
    Conflict(String),
    /// The database refused a change to an append-only table.
    #[error("refused by the database: {0}")]
    AppendOnly(String),
    /// A stored value is out of the range the application accepts.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The caller passed a value the store cannot take.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// No such row (or not in the caller's company).
    #[error("no such {0}")]
    NotFound(String),
    /// A limit of the company's subscription tier would be exceeded.
    #[error("the subscription tier's limit on {0} is reached")]
    Limit(String),
    /// The change would leave the company without an owner.
    #[error("a company must keep at least one owner: make another member owner first")]
    LastOwner,
    /// The row is still referenced and cannot be removed.
    #[error("still in use: {0}")]
    InUse(String),
    /// An audit-crate check failed while appending or checkpointing.
    #[error(transparent)]
    Audit(#[from] faktura_audit::Error),
    /// Key material did not open, seal or draw (wrong keys, damaged record, no randomness).
    #[error("key material: {0}")]
    Crypto(#[from] faktura_crypto::Error),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            let msg = db.message().to_owned();
            if db.is_unique_violation() {
                return Self::Conflict(msg);
            }
            if msg.contains("append-only") {
                return Self::AppendOnly(msg);
            }
        }
        Self::Database(e.to_string())
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
