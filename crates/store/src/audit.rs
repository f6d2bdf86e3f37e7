//! The audit trail's storage: serialised appends, paged reads, checkpoints, verification.

use faktura_audit::{
    Break, ChainVerifier, Checkpoint, CheckpointSigner, CheckpointVerifier, Entry, EntryFields,
    Hash, Location, Reason, Report,
};

use crate::{Backend, Error, Result, Store, postgres, sqlite};

/// Rows read per page when streaming the trail.
pub(crate) const PAGE: i64 = 10_000;

/// An audit entry row as read from either backend, before validation.
pub(crate) type EntryRow = (
    i64,
    i64,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
);

/// A stored checkpoint: its tree size and note text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Number of entries covered.
    pub tree_size: u64,
    /// The signed note.
    pub note: String,
}

/// The outcome of reading one stored row: an entry, or why it cannot be one.
pub(crate) fn entry_from_row(row: EntryRow) -> std::result::Result<Entry, Break> {
    let (
        seq,
        time_us,
        company,
        actor,
        action,
        target,
        outcome,
        request_id,
        source,
        details,
        prev,
        hash,
    ) = row;
    let at = Location::Entry(u64::try_from(seq).unwrap_or(0));
    let malformed = |why: String| Break {
        at,
        reason: Reason::Malformed(why),
    };
    let seq = u64::try_from(seq).map_err(|_| malformed(format!("negative sequence {seq}")))?;
    let outcome = outcome
        .parse()
        .map_err(|e: faktura_audit::Error| malformed(e.to_string()))?;
    let fields = EntryFields {
        time_us,
        company,
        actor,
        action,
        target,
        outcome,
        request_id,
        source,
        details,
    };
    fields
        .check_limits()
        .map_err(|e| malformed(e.to_string()))?;
    let to_hash = |v: Vec<u8>, what: &str| -> std::result::Result<Hash, Break> {
        let len = v.len();
        v.try_into()
            .map_err(|_| malformed(format!("{what} is {len} bytes, not 32")))
    };
    Ok(Entry {
        seq,
        fields,
        prev_hash: to_hash(prev, "predecessor hash")?,
        hash: to_hash(hash, "hash")?,
    })
}

pub(crate) fn seq_i64(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::Invalid(format!("sequence {seq} out of range")))
}

impl Store {
    /// Appends an entry at the head of the trail, atomically and serialised with every
    /// other appender (SQLite `BEGIN IMMEDIATE`, PostgreSQL an exclusive table lock).
    ///
    /// # Errors
    /// [`Error::Audit`] for a field over its limit, [`Error::Database`] otherwise.
    pub async fn append_audit(&self, fields: EntryFields) -> Result<Entry> {
        fields.check_limits()?;
        match &self.backend {
            Backend::Sqlite(p) => sqlite::append_audit(p, fields).await,
            Backend::Postgres(p) => postgres::append_audit(p, fields).await,
        }
    }

    /// Number of entries (the next sequence number, if the trail is intact).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn audit_len(&self) -> Result<u64> {
        let n = match &self.backend {
            Backend::Sqlite(p) => sqlite::audit_len(p).await?,
            Backend::Postgres(p) => postgres::audit_len(p).await?,
        };
        u64::try_from(n).map_err(|_| Error::Corrupt("negative entry count".into()))
    }

    /// Up to `limit` stored rows with `seq >= from`, in order, each decoded or refused.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub(crate) async fn audit_rows(
        &self,
        from: u64,
        limit: i64,
    ) -> Result<Vec<std::result::Result<Entry, Break>>> {
        let from = seq_i64(from)?;
        let rows = match &self.backend {
            Backend::Sqlite(p) => sqlite::audit_rows(p, from, limit).await?,
            Backend::Postgres(p) => postgres::audit_rows(p, from, limit).await?,
        };
        Ok(rows.into_iter().map(entry_from_row).collect())
    }

    /// Entries `from..to` (to exclusive), refusing rows that cannot be decoded.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming an unreadable row, [`Error::Database`].
    pub async fn audit_entries(&self, from: u64, to: u64) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        let mut next = from;
        while next < to {
            let want = i64::try_from(to - next).unwrap_or(PAGE).min(PAGE);
            let page = self.audit_rows(next, want).await?;
            if page.is_empty() {
                break;
            }
            for row in page {
                let e = row.map_err(|b| Error::Corrupt(b.to_string()))?;
                if e.seq >= to {
                    return Ok(out);
                }
                next = e.seq + 1;
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The stored hashes of entries `from..to`, in sequence order.
    ///
    /// # Errors
    /// As [`Store::audit_entries`].
    pub async fn audit_hashes(&self, from: u64, to: u64) -> Result<Vec<Hash>> {
        Ok(self
            .audit_entries(from, to)
            .await?
            .into_iter()
            .map(|e| e.hash)
            .collect())
    }

    /// Every stored checkpoint, by tree size.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn audit_checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        let rows = match &self.backend {
            Backend::Sqlite(p) => sqlite::audit_checkpoints(p).await?,
            Backend::Postgres(p) => postgres::audit_checkpoints(p).await?,
        };
        rows.into_iter()
            .map(|(size, note)| {
                Ok(StoredCheckpoint {
                    tree_size: u64::try_from(size)
                        .map_err(|_| Error::Corrupt(format!("checkpoint size {size}")))?,
                    note,
                })
            })
            .collect()
    }

    /// Verifies the whole stored trail against the stored checkpoints plus `extra_notes`
    /// (checkpoints kept outside the database, which also catch a cut tail whose
    /// checkpoints were removed with it).
    ///
    /// # Errors
    /// [`Error::Audit`] wrapping [`faktura_audit::Error::Broken`] with the first break;
    /// [`Error::Database`].
    pub async fn verify_audit(
        &self,
        key: &CheckpointVerifier,
        extra_notes: &[String],
    ) -> Result<Report> {
        let stored = self.audit_checkpoints().await?;
        let notes = stored
            .iter()
            .map(|c| c.note.as_str())
            .chain(extra_notes.iter().map(String::as_str));
        let mut v = ChainVerifier::new(key, notes)?;
        let broken = |b: Break| Error::Audit(faktura_audit::Error::Broken(b));
        loop {
            let page = self.audit_rows(v.next_seq(), PAGE).await?;
            if page.is_empty() {
                break;
            }
            for row in page {
                v.push(&row.map_err(broken)?).map_err(broken)?;
            }
        }
        v.finish().map_err(broken)
    }

    /// Verifies the trail, then signs and stores a checkpoint over all of it.
    ///
    /// Refuses to vouch for a trail that does not verify.
    ///
    /// # Errors
    /// As [`Store::verify_audit`]; [`Error::Audit`] if signing fails.
    pub async fn audit_checkpoint(
        &self,
        signer: &CheckpointSigner,
        time_us: i64,
    ) -> Result<StoredCheckpoint> {
        let report = self.verify_audit(&signer.verifier(), &[]).await?;
        let cp = Checkpoint {
            origin: signer.name().to_owned(),
            size: report.entries,
            root: report.root,
            time_us,
        };
        let note = cp.sign(signer)?;
        let size = seq_i64(cp.size)?;
        let inserted = match &self.backend {
            Backend::Sqlite(p) => {
                sqlite::insert_checkpoint(p, size, &cp.root, time_us, &note).await
            }
            Backend::Postgres(p) => {
                postgres::insert_checkpoint(p, size, &cp.root, time_us, &note).await
            }
        };
        match inserted {
            Ok(()) => Ok(StoredCheckpoint {
                tree_size: cp.size,
                note,
            }),
            // A checkpoint at this size exists already (verified above): keep and return it.
            Err(Error::Conflict(_)) => self
                .audit_checkpoints()
                .await?
                .into_iter()
                .find(|c| c.tree_size == cp.size)
                .ok_or_else(|| Error::Corrupt(format!("checkpoint of size {} vanished", cp.size))),
            Err(e) => Err(e),
        }
    }
}
