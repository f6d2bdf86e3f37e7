//! Streaming verification of the trail: chain links, entry hashes and signed checkpoints.
//!
//! The verifier takes entries in order and stops at the first break, naming the entry.
//! A plain hash chain cannot see a chain recomputed from some point on, nor a cut-off
//! tail; the signed checkpoints can, because only the holder of the signing key can
//! make one: a recomputed chain no longer reproduces a checkpoint's Merkle root, and a
//! checkpoint larger than the trail shows that entries are missing at its end.

use std::collections::BTreeMap;
use std::fmt;

use crate::checkpoint::{Checkpoint, CheckpointVerifier};
use crate::entry::{Entry, GENESIS_PREV};
use crate::merkle::{TreeBuilder, leaf_hash};
use crate::{Error, Hash, Result};

/// Where a break was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The entry with this sequence number (the first one that cannot be trusted).
    Entry(u64),
    /// The checkpoint over this many entries.
    Checkpoint(u64),
}

/// Why the trail is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The entry's content does not hash to its stored hash.
    ContentAltered,
    /// The entry's predecessor hash does not match the hash of the entry before it.
    LinkBroken,
    /// Sequence numbers jump: the entry named is missing and `found` came next.
    Missing {
        /// The sequence number found in its place.
        found: u64,
    },
    /// An entry appears again or out of order.
    OutOfOrder {
        /// The sequence number found.
        found: u64,
    },
    /// A signed checkpoint's root does not match the entries up to its size.
    CheckpointMismatch {
        /// The checkpoint's tree size.
        size: u64,
    },
    /// A signed checkpoint covers more entries than the trail holds.
    Truncated {
        /// The checkpoint's tree size.
        size: u64,
    },
    /// A checkpoint's signature or format is bad.
    BadCheckpoint(String),
    /// The stored entry cannot even be read (bad hash length, unknown outcome, oversized field).
    Malformed(String),
}

/// The first break found in a trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// Where.
    pub at: Location,
    /// Why.
    pub reason: Reason,
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.at, &self.reason) {
            (Location::Entry(seq), Reason::ContentAltered) => write!(
                f,
                "entry {seq}: its content does not match its stored hash (a field was altered)"
            ),
            (Location::Entry(seq), Reason::LinkBroken) => write!(
                f,
                "entry {seq}: its predecessor hash does not match entry {} (an entry was inserted, removed or reordered here)",
                seq.saturating_sub(1)
            ),
            (Location::Entry(seq), Reason::Missing { found }) => write!(
                f,
                "entry {seq}: missing, the trail goes on with entry {found} (entries were deleted)"
            ),
            (Location::Entry(seq), Reason::OutOfOrder { found }) => write!(
                f,
                "entry {seq}: expected here, found entry {found} instead (entries duplicated or reordered)"
            ),
            (Location::Entry(seq), Reason::CheckpointMismatch { size }) => write!(
                f,
                "entry {seq}: entries {seq}..{} do not match the signed checkpoint of size {size} (altered and the chain recomputed); entry {seq} is the first not vouched for by an earlier checkpoint",
                size.saturating_sub(1)
            ),
            (Location::Entry(seq), Reason::Truncated { size }) => write!(
                f,
                "entry {seq}: missing, the trail ends before it but a signed checkpoint covers {size} entries (the tail was cut off)"
            ),
            (Location::Checkpoint(size), reason) => {
                write!(f, "checkpoint of size {size}: ")?;
                match reason {
                    Reason::BadCheckpoint(why) => f.write_str(why),
                    other => write!(f, "{other:?}"),
                }
            }
            (Location::Entry(seq), Reason::BadCheckpoint(why) | Reason::Malformed(why)) => {
                write!(f, "entry {seq}: {why}")
            }
        }
    }
}

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Entries checked (including any prefix of an export range).
    pub entries: u64,
    /// Signed checkpoints checked.
    pub checkpoints: usize,
    /// The largest checkpoint size verified (0 when there was none).
    pub vouched_size: u64,
    /// Entries known only by their hash (the prefix of a ranged export): their
    /// place in the tree is vouched for, their content was not read.
    pub prefix_entries: u64,
    /// The hash of the last entry.
    pub head: Hash,
    /// The Merkle root over all entries.
    pub root: Hash,
}

impl Report {
    /// Entries after the last checkpoint: chained but not yet vouched for by a signature.
    #[must_use]
    pub const fn unvouched(&self) -> u64 {
        self.entries.saturating_sub(self.vouched_size)
    }
}

/// Checks a trail entry by entry against its signed checkpoints.
#[derive(Debug)]
pub struct ChainVerifier {
    checkpoints: BTreeMap<u64, Checkpoint>,
    next_seq: u64,
    prev_hash: Hash,
    tree: TreeBuilder,
    vouched: u64,
    checked: usize,
    prefix: u64,
}

impl ChainVerifier {
    /// Starts a verification; every note must be signed by `key`.
    ///
    /// # Errors
    /// [`Error::Broken`] naming the first checkpoint whose signature or format is bad,
    /// or that contradicts another (same size, other root; time going backwards).
    pub fn new<'a>(
        key: &CheckpointVerifier,
        notes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self> {
        let mut checkpoints: BTreeMap<u64, Checkpoint> = BTreeMap::new();
        for note in notes {
            let cp = Checkpoint::verify_note(note, key).map_err(|e| {
                Error::Broken(Break {
                    at: Location::Checkpoint(note_size_hint(note)),
                    reason: Reason::BadCheckpoint(e.to_string()),
                })
            })?;
            if let Some(seen) = checkpoints.get(&cp.size) {
                if seen.root != cp.root {
                    return Err(bad_cp(
                        cp.size,
                        "two signed checkpoints of this size disagree on the root (the log forked)",
                    ));
                }
                continue;
            }
            checkpoints.insert(cp.size, cp);
        }
        let mut last_time = i64::MIN;
        for cp in checkpoints.values() {
            if cp.time_us < last_time {
                return Err(bad_cp(
                    cp.size,
                    "its time is earlier than a smaller checkpoint's",
                ));
            }
            last_time = cp.time_us;
        }
        let mut v = Self {
            checkpoints,
            next_seq: 0,
            prev_hash: GENESIS_PREV,
            tree: TreeBuilder::new(),
            vouched: 0,
            checked: 0,
            prefix: 0,
        };
        v.check_checkpoint_at_current_size()
            .map_err(Error::Broken)?;
        Ok(v)
    }

    /// The sequence number expected next.
    #[must_use]
    pub const fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Feeds the hash of an entry that is not part of this (ranged) export; it is only
    /// trusted as far as a signed checkpoint vouches for it.
    ///
    /// # Errors
    /// The first break, when a checkpoint at this size does not match.
    pub fn push_prefix_hash(&mut self, entry_hash: Hash) -> Result<(), Break> {
        self.prev_hash = entry_hash;
        self.prefix += 1;
        self.advance(entry_hash)
    }

    /// Checks the next entry.
    ///
    /// # Errors
    /// The first break: a gap, a broken link, altered content or a checkpoint mismatch.
    pub fn push(&mut self, entry: &Entry) -> Result<(), Break> {
        let seq = self.next_seq;
        if entry.seq > seq {
            return Err(Break {
                at: Location::Entry(seq),
                reason: Reason::Missing { found: entry.seq },
            });
        }
        if entry.seq < seq {
            return Err(Break {
                at: Location::Entry(seq),
                reason: Reason::OutOfOrder { found: entry.seq },
            });
        }
        if entry.prev_hash != self.prev_hash {
            return Err(Break {
                at: Location::Entry(seq),
                reason: Reason::LinkBroken,
            });
        }
        if entry.compute_hash() != entry.hash {
            return Err(Break {
                at: Location::Entry(seq),
                reason: Reason::ContentAltered,
            });
        }
        self.prev_hash = entry.hash;
        self.advance(entry.hash)
    }

    fn advance(&mut self, entry_hash: Hash) -> Result<(), Break> {
        self.tree.push_leaf_hash(leaf_hash(&entry_hash));
        self.next_seq += 1;
        self.check_checkpoint_at_current_size()
    }

    fn check_checkpoint_at_current_size(&mut self) -> Result<(), Break> {
        let size = self.tree.size();
        if let Some(cp) = self.checkpoints.get(&size) {
            if cp.root != self.tree.root() {
                return Err(Break {
                    at: Location::Entry(self.vouched),
                    reason: Reason::CheckpointMismatch { size },
                });
            }
            self.vouched = size;
            self.checked += 1;
        }
        Ok(())
    }

    /// Ends the verification.
    ///
    /// # Errors
    /// A [`Reason::Truncated`] break when a checkpoint covers more entries than were fed.
    pub fn finish(self) -> Result<Report, Break> {
        if let Some((&size, _)) = self.checkpoints.range(self.next_seq + 1..).next() {
            return Err(Break {
                at: Location::Entry(self.next_seq),
                reason: Reason::Truncated { size },
            });
        }
        Ok(Report {
            entries: self.next_seq,
            checkpoints: self.checked,
            vouched_size: self.vouched,
            prefix_entries: self.prefix,
            head: self.prev_hash,
            root: self.tree.root(),
        })
    }
}

fn bad_cp(size: u64, why: &str) -> Error {
    Error::Broken(Break {
        at: Location::Checkpoint(size),
        reason: Reason::BadCheckpoint(why.to_owned()),
    })
}

/// The size line of a note, for naming a checkpoint that failed to verify (0 if unreadable).
fn note_size_hint(note: &str) -> u64 {
    note.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or(0)
}

/// Verifies a whole in-memory trail against its checkpoint notes.
///
/// # Errors
/// [`Error::Broken`] with the first break.
pub fn verify_entries<'a>(
    key: &CheckpointVerifier,
    notes: impl IntoIterator<Item = &'a str>,
    entries: &[Entry],
) -> Result<Report> {
    let mut v = ChainVerifier::new(key, notes)?;
    for e in entries {
        v.push(e).map_err(Error::Broken)?;
    }
    v.finish().map_err(Error::Broken)
}
