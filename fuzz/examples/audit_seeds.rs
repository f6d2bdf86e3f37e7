//! Writes seed inputs for the `audit_export` target: a verifier key line followed by a real,
//! correctly signed export (one from entry 0, one range with prefix hashes), so the fuzzer
//! starts from inputs that pass every check.
//!
//! Run from `fuzz/`: `cargo run --example audit_seeds -- corpus/audit_export`.

use std::path::PathBuf;

use faktura_audit::export::{EntryRecord, FORMAT, Record, to_hex, verify_export};
use faktura_audit::merkle::{leaf_hash, root};
use faktura_audit::{Checkpoint, CheckpointSigner, Entry, EntryFields, GENESIS_PREV, Outcome};

const ORIGIN: &str = "fuzz.faktura/audit";

fn fields(i: u64) -> EntryFields {
    EntryFields {
        time_us: 1_700_000_000_000_000 + i64::try_from(i).unwrap_or(0),
        company: (i % 2 == 0).then(|| format!("company-{i}")),
        actor: format!("user-{}", i % 3),
        action: "invoice.issue".into(),
        target: format!("inv-{i}"),
        outcome: if i % 5 == 0 {
            Outcome::Denied
        } else {
            Outcome::Success
        },
        request_id: format!("req-{i}"),
        source: "192.0.2.1".into(),
        details: vec![0xA5; usize::try_from(i % 9).unwrap_or(0)],
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or("corpus/audit_export".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let signer = CheckpointSigner::from_seed(ORIGIN, &[42; 32])?;
    let key = signer.verifier().to_string();

    let mut entries: Vec<Entry> = Vec::new();
    for i in 0..12 {
        let prev = entries.last().map_or(GENESIS_PREV, |e| e.hash);
        entries.push(Entry::chain(i, prev, fields(i))?);
    }
    let leaves: Vec<_> = entries.iter().map(|e| leaf_hash(&e.hash)).collect();
    let note = |size: usize| -> Result<String, Box<dyn std::error::Error>> {
        let cp = Checkpoint {
            origin: ORIGIN.into(),
            size: u64::try_from(size)?,
            root: root(leaves.get(..size).unwrap_or_default()),
            time_us: 1_700_000_000_000_000,
        };
        Ok(cp.sign(&signer)?)
    };

    for (name, first) in [("full", 0_usize), ("range", 6)] {
        let mut s = format!("{key}\n");
        s += &Record::Header {
            format: FORMAT.into(),
            origin: ORIGIN.into(),
            first_seq: u64::try_from(first)?,
            end_seq: u64::try_from(entries.len())?,
        }
        .to_line()?;
        for size in [5, 12] {
            s += &Record::Checkpoint { note: note(size)? }.to_line()?;
        }
        if first > 0 {
            let hashes = entries
                .iter()
                .take(first)
                .map(|e| to_hex(&e.hash))
                .collect();
            s += &Record::Prefix { hashes }.to_line()?;
        }
        for e in entries.iter().skip(first) {
            s += &Record::Entry(EntryRecord::from(e)).to_line()?;
        }
        // The seed must pass, or the fuzzer would start from the first check that fails.
        let export = s.split_once('\n').map_or("", |(_, rest)| rest);
        let report = verify_export(export.as_bytes(), &signer.verifier())?;
        println!("{name}: {} entries verify", report.entries);
        std::fs::write(dir.join(format!("{name}.seed")), &s)?;
        // The note alone, for `Checkpoint::verify_note`.
        std::fs::write(
            dir.join(format!("{name}-note.seed")),
            format!("{key}\n{}", note(12)?),
        )?;
    }
    println!("wrote audit seeds to {}", dir.display());
    Ok(())
}
