//! The export format: JSON lines that an auditor verifies without the database or the root key.
//!
//! Line 1 is a header, then every signed checkpoint note the range needs, then (for a
//! range that does not start at entry 0) `prefix` lines carrying the hashes of the
//! earlier entries, then the entries in order:
//!
//! ```text
//! {"type":"header","format":"faktura-audit-export/1","origin":"…","first_seq":0,"end_seq":3}
//! {"type":"checkpoint","note":"…"}
//! {"type":"prefix","hashes":["<hex>",…]}
//! {"type":"entry","seq":0,"time_us":…,"company":null,"actor":"…",…,"details":"<base64>","prev_hash":"<hex>","hash":"<hex>"}
//! ```
//!
//! Prefix hashes are not trusted on their own: they only count as far as a signed
//! checkpoint's root vouches for them.

use std::io::BufRead;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::checkpoint::CheckpointVerifier;
use crate::entry::{Entry, EntryFields};
use crate::verify::{ChainVerifier, Report};
use crate::{Error, Hash, Result};

/// The format name in the header line.
pub const FORMAT: &str = "faktura-audit-export/1";
/// Longest line accepted when reading an export, in bytes.
pub const MAX_LINE_LEN: usize = 1024 * 1024;
/// Most hashes on one prefix line.
pub const PREFIX_CHUNK: usize = 1024;

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    /// The first line.
    Header {
        /// Always [`FORMAT`].
        format: String,
        /// The log's origin (the checkpoint key's name).
        origin: String,
        /// Sequence number of the first exported entry.
        first_seq: u64,
        /// One past the last exported entry.
        end_seq: u64,
    },
    /// A signed checkpoint note.
    Checkpoint {
        /// The note text.
        note: String,
    },
    /// Hashes of entries before `first_seq`, in order.
    Prefix {
        /// Hex entry hashes.
        hashes: Vec<String>,
    },
    /// One entry.
    Entry(EntryRecord),
}

/// An entry as written in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRecord {
    /// Sequence number.
    pub seq: u64,
    /// Microseconds since the Unix epoch.
    pub time_us: i64,
    /// Company, if any.
    pub company: Option<String>,
    /// Actor.
    pub actor: String,
    /// Action.
    pub action: String,
    /// Target.
    pub target: String,
    /// Outcome spelling.
    pub outcome: String,
    /// Request id.
    pub request_id: String,
    /// Source address.
    pub source: String,
    /// Details as stored (sealed where sensitive), base64.
    pub details: String,
    /// Predecessor hash, hex.
    pub prev_hash: String,
    /// Entry hash, hex.
    pub hash: String,
}

impl From<&Entry> for EntryRecord {
    fn from(e: &Entry) -> Self {
        Self {
            seq: e.seq,
            time_us: e.fields.time_us,
            company: e.fields.company.clone(),
            actor: e.fields.actor.clone(),
            action: e.fields.action.clone(),
            target: e.fields.target.clone(),
            outcome: e.fields.outcome.as_str().to_owned(),
            request_id: e.fields.request_id.clone(),
            source: e.fields.source.clone(),
            details: B64.encode(&e.fields.details),
            prev_hash: to_hex(&e.prev_hash),
            hash: to_hex(&e.hash),
        }
    }
}

impl TryFrom<EntryRecord> for Entry {
    type Error = Error;
    fn try_from(r: EntryRecord) -> Result<Self> {
        let fields = EntryFields {
            time_us: r.time_us,
            company: r.company,
            actor: r.actor,
            action: r.action,
            target: r.target,
            outcome: r.outcome.parse()?,
            request_id: r.request_id,
            source: r.source,
            details: B64
                .decode(&r.details)
                .map_err(|_| Error::BadBase64 { what: "details" })?,
        };
        fields.check_limits()?;
        Ok(Self {
            seq: r.seq,
            fields,
            prev_hash: from_hex(&r.prev_hash, "prev_hash")?,
            hash: from_hex(&r.hash, "hash")?,
        })
    }
}

impl Record {
    /// The record as one JSON line, newline included.
    ///
    /// # Errors
    /// Never in practice; serialisation of these plain types cannot fail.
    pub fn to_line(&self) -> Result<String> {
        let mut s = serde_json::to_string(self).map_err(|e| Error::ExportFormat {
            line: 0,
            reason: e.to_string(),
        })?;
        s.push('\n');
        Ok(s)
    }
}

/// Standard base64, as used for hashes in proofs and checkpoints.
#[must_use]
pub fn to_base64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Hex encoding of a hash.
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a 64-character hex hash.
///
/// # Errors
/// [`Error::BadLength`] for anything but 64 hex digits.
pub fn from_hex(text: &str, what: &'static str) -> Result<Hash> {
    let bad = || Error::BadLength {
        what,
        expected: 32,
        got: text.len() / 2,
    };
    if text.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let s = std::str::from_utf8(pair).map_err(|_| bad())?;
        *o = u8::from_str_radix(s, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// Reads an export and verifies it with `key` alone; stops at the first break.
///
/// # Errors
/// [`Error::ExportFormat`] for an unreadable line, [`Error::Broken`] for the first break.
pub fn verify_export(reader: impl BufRead, key: &CheckpointVerifier) -> Result<Report> {
    verify_export_with_checkpoints(reader, key, &[])
}

/// Like [`verify_export`], also holding the export to signed checkpoint notes
/// the auditor kept apart from it (`extra`): an export cut back to an earlier
/// checkpoint, with its later checkpoints dropped, fails against them.
///
/// # Errors
/// As [`verify_export`]; a [`crate::verify::Reason::Truncated`] break when an
/// extra checkpoint covers more entries than the export holds.
pub fn verify_export_with_checkpoints(
    reader: impl BufRead,
    key: &CheckpointVerifier,
    extra: &[String],
) -> Result<Report> {
    let mut lines = BoundedLines { reader, line: 0 };
    let header = lines.next_record()?.ok_or(Error::ExportFormat {
        line: 1,
        reason: "the file is empty".into(),
    })?;
    let Record::Header {
        format,
        origin,
        first_seq,
        end_seq,
    } = header
    else {
        return Err(Error::ExportFormat {
            line: 1,
            reason: "the first line must be the header".into(),
        });
    };
    if format != FORMAT {
        return Err(Error::ExportFormat {
            line: 1,
            reason: format!("format `{format}` is not `{FORMAT}`"),
        });
    }
    if origin != key.name() {
        return Err(Error::ExportFormat {
            line: 1,
            reason: format!(
                "export of log `{origin}` but the public key is for `{}`",
                key.name()
            ),
        });
    }
    let mut notes = Vec::new();
    let mut pending = None;
    while let Some(rec) = lines.next_record()? {
        if let Record::Checkpoint { note } = rec {
            notes.push(note);
        } else {
            pending = Some(rec);
            break;
        }
    }
    let mut v = ChainVerifier::new(key, notes.iter().chain(extra).map(String::as_str))?;
    let mut seen_entry = false;
    while let Some(rec) = pending
        .take()
        .map_or_else(|| lines.next_record(), |r| Ok(Some(r)))?
    {
        match rec {
            Record::Prefix { hashes } if !seen_entry => {
                if hashes.len() > PREFIX_CHUNK {
                    return Err(lines.err("prefix line holds too many hashes"));
                }
                for h in hashes {
                    let h = from_hex(&h, "prefix hash").map_err(|e| lines.err(&e.to_string()))?;
                    v.push_prefix_hash(h).map_err(Error::Broken)?;
                }
            }
            Record::Entry(r) => {
                if !seen_entry && v.next_seq() != first_seq {
                    return Err(lines.err(&format!(
                        "the header says the range starts at entry {first_seq} but the prefix covers {} entries",
                        v.next_seq()
                    )));
                }
                seen_entry = true;
                let entry = Entry::try_from(r).map_err(|e| lines.err(&e.to_string()))?;
                v.push(&entry).map_err(Error::Broken)?;
            }
            _ => {
                return Err(lines.err(
                    "unexpected record here: the order is header, checkpoints, prefix, entries",
                ));
            }
        }
    }
    if v.next_seq() != end_seq {
        return Err(Error::Broken(crate::verify::Break {
            at: crate::verify::Location::Entry(v.next_seq()),
            reason: crate::verify::Reason::Truncated { size: end_seq },
        }));
    }
    v.finish().map_err(Error::Broken)
}

struct BoundedLines<R> {
    reader: R,
    line: usize,
}

impl<R: BufRead> BoundedLines<R> {
    fn err(&self, reason: &str) -> Error {
        Error::ExportFormat {
            line: self.line,
            reason: reason.to_owned(),
        }
    }

    fn next_record(&mut self) -> Result<Option<Record>> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let limit = u64::try_from(MAX_LINE_LEN + 1).unwrap_or(u64::MAX);
            let n = std::io::Read::take(&mut self.reader, limit)
                .read_until(b'\n', &mut buf)
                .map_err(|e| Error::ExportFormat {
                    line: self.line + 1,
                    reason: e.to_string(),
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if buf.len() > MAX_LINE_LEN {
                return Err(self.err("line longer than 1 MiB"));
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return serde_json::from_slice(&buf)
                .map(Some)
                .map_err(|e| self.err(&format!("not a valid record: {e}")));
        }
    }
}
