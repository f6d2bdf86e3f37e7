//! Whole trails in memory: verification, exports, and every kind of tampering.

use faktura_audit::export::{EntryRecord, FORMAT, Record, verify_export};
use faktura_audit::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
};
use faktura_audit::{
    Checkpoint, CheckpointSigner, Entry, EntryFields, Error, GENESIS_PREV, Location, Outcome,
    Reason, verify_entries,
};

const ORIGIN: &str = "test.faktura/audit";

fn fields(i: u64) -> EntryFields {
    EntryFields {
        time_us: 1_700_000_000_000_000 + i as i64,
        company: (!i.is_multiple_of(3)).then(|| format!("company-{}", i % 3)),
        actor: format!("user-{}", i % 5),
        action: "invoice.issue".into(),
        target: format!("inv-{i}"),
        outcome: if i.is_multiple_of(7) {
            Outcome::Denied
        } else {
            Outcome::Success
        },
        request_id: format!("req-{i}"),
        source: "192.0.2.1".into(),
        details: vec![u8::try_from(i % 256).unwrap(); (i % 40) as usize],
    }
}

fn build(n: u64) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for i in 0..n {
        let prev = out.last().map_or(GENESIS_PREV, |e| e.hash);
        out.push(Entry::chain(i, prev, fields(i)).unwrap());
    }
    out
}

fn signer() -> CheckpointSigner {
    CheckpointSigner::from_seed(ORIGIN, &[42; 32]).unwrap()
}

fn notes(entries: &[Entry], sizes: &[u64]) -> Vec<String> {
    let leaves: Vec<_> = entries.iter().map(|e| leaf_hash(&e.hash)).collect();
    sizes
        .iter()
        .map(|&s| {
            Checkpoint {
                origin: ORIGIN.into(),
                size: s,
                root: root(&leaves[..s as usize]),
                time_us: s as i64,
            }
            .sign(&signer())
            .unwrap()
        })
        .collect()
}

fn recompute_from(entries: &mut [Entry], from: usize) {
    for i in from..entries.len() {
        let prev = if i == 0 {
            GENESIS_PREV
        } else {
            entries[i - 1].hash
        };
        entries[i].prev_hash = prev;
        entries[i].hash = entries[i].compute_hash();
    }
}

fn broken_at(result: Result<faktura_audit::Report, Error>) -> (Location, Reason) {
    match result {
        Err(Error::Broken(b)) => (b.at, b.reason),
        other => panic!("expected a break, got {other:?}"),
    }
}

#[test]
fn an_untouched_trail_verifies() {
    let e = build(50);
    let n = notes(&e, &[0, 10, 32, 50]);
    let r = verify_entries(&signer().verifier(), n.iter().map(String::as_str), &e).unwrap();
    assert_eq!(
        (r.entries, r.checkpoints, r.vouched_size, r.unvouched()),
        (50, 4, 50, 0)
    );
}

#[test]
fn tampering_in_memory_is_named() {
    let key = signer().verifier();
    let base = build(20);
    let n = notes(&base, &[8, 20]);
    let verify = |e: &[Entry]| broken_at(verify_entries(&key, n.iter().map(String::as_str), e));

    let mut e = base.clone();
    e[5].fields.actor = "mallory".into();
    assert_eq!(verify(&e), (Location::Entry(5), Reason::ContentAltered));

    let mut e = base.clone();
    e.remove(5);
    assert_eq!(
        verify(&e),
        (Location::Entry(5), Reason::Missing { found: 6 })
    );

    let mut e = base.clone();
    e.swap(5, 6);
    assert_eq!(
        verify(&e),
        (Location::Entry(5), Reason::Missing { found: 6 })
    );

    // Swap with renumbering: the sequence looks right but the links do not.
    let mut e = base.clone();
    e.swap(5, 6);
    e[5].seq = 5;
    e[6].seq = 6;
    assert_eq!(verify(&e).0, Location::Entry(5));

    // Insert a forged entry at 5 with a correct hash, renumbering the rest.
    let mut e = base.clone();
    let forged = Entry::chain(5, e[4].hash, fields(99)).unwrap();
    e.insert(5, forged);
    for (i, x) in e.iter_mut().enumerate().skip(6) {
        x.seq = i as u64;
    }
    let (at, _) = verify(&e);
    assert_eq!(
        at,
        Location::Entry(6),
        "the first link that fails follows the forged entry 5"
    );

    // Truncate the tail below the last checkpoint.
    let e = base[..15].to_vec();
    assert_eq!(
        verify(&e),
        (Location::Entry(15), Reason::Truncated { size: 20 })
    );

    // Alter entry 12 and recompute the chain from there: only the checkpoint catches it.
    let mut e = base.clone();
    e[12].fields.target = "inv-forged".into();
    recompute_from(&mut e, 12);
    assert_eq!(
        verify(&e),
        (Location::Entry(8), Reason::CheckpointMismatch { size: 20 })
    );

    // Replace the whole chain with a recomputed one.
    let mut e = base;
    e[0].fields.outcome = Outcome::Failure;
    recompute_from(&mut e, 0);
    assert_eq!(
        verify(&e),
        (Location::Entry(0), Reason::CheckpointMismatch { size: 8 })
    );
}

#[test]
fn forged_or_contradictory_checkpoints_are_named() {
    let key = signer().verifier();
    let e = build(10);
    let mut n = notes(&e, &[5, 10]);
    // Replace a signature byte.
    let bad = n[1].replacen(
        "\u{2014} test.faktura/audit A",
        "\u{2014} test.faktura/audit B",
        1,
    );
    let bad = if bad == n[1] {
        n[1].replace("=\n", "A=\n")
    } else {
        bad
    };
    n[1] = bad;
    let (at, reason) = broken_at(verify_entries(&key, n.iter().map(String::as_str), &e));
    assert_eq!(at, Location::Checkpoint(10));
    assert!(matches!(reason, Reason::BadCheckpoint(_)));
    // Signed by another key.
    let other = CheckpointSigner::from_seed(ORIGIN, &[1; 32]).unwrap();
    let foreign = Checkpoint {
        origin: ORIGIN.into(),
        size: 10,
        root: [0; 32],
        time_us: 1,
    }
    .sign(&other)
    .unwrap();
    let (at, _) = broken_at(verify_entries(&key, [foreign.as_str()], &e));
    assert_eq!(at, Location::Checkpoint(10));
}

fn export(entries: &[Entry], notes: &[String]) -> String {
    let mut s = Record::Header {
        format: FORMAT.into(),
        origin: ORIGIN.into(),
        first_seq: 0,
        end_seq: entries.len() as u64,
    }
    .to_line()
    .unwrap();
    for n in notes {
        s += &Record::Checkpoint { note: n.clone() }.to_line().unwrap();
    }
    for e in entries {
        s += &Record::Entry(EntryRecord::from(e)).to_line().unwrap();
    }
    s
}

#[test]
fn an_export_verifies_with_the_public_key_alone_and_every_edit_is_caught() {
    let key = signer().verifier();
    let e = build(30);
    let n = notes(&e, &[16, 30]);
    let text = export(&e, &n);
    let report = verify_export(text.as_bytes(), &key).unwrap();
    assert_eq!(report.entries, 30);

    let lines: Vec<&str> = text.lines().collect();
    // Edit a field of entry 7 (line index: header + 2 checkpoints + 7).
    let edited = text.replace("\"target\":\"inv-7\"", "\"target\":\"inv-7x\"");
    assert_eq!(
        broken_at(verify_export(edited.as_bytes(), &key)).0,
        Location::Entry(7)
    );
    // Drop the line of entry 7.
    let dropped: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 + 7)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!(
        broken_at(verify_export(dropped.as_bytes(), &key)).0,
        Location::Entry(7)
    );
    // Cut the tail: the header and the checkpoint still name the missing entry.
    let cut: String = lines[..3 + 25].iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(
        broken_at(verify_export(cut.as_bytes(), &key)).0,
        Location::Entry(25)
    );
    // Garbage lines are reported with their line number.
    let garbage = format!("{text}{{not json\n");
    assert!(matches!(
        verify_export(garbage.as_bytes(), &key),
        Err(Error::ExportFormat { line: 34, .. })
    ));
    // Another key cannot vouch for it.
    let other = CheckpointSigner::from_seed(ORIGIN, &[2; 32])
        .unwrap()
        .verifier();
    assert!(verify_export(text.as_bytes(), &other).is_err());
}

#[test]
fn proofs_from_a_trail_verify_against_its_checkpoints() {
    let e = build(37);
    let leaves: Vec<_> = e.iter().map(|x| leaf_hash(&x.hash)).collect();
    let r37 = root(&leaves);
    let r20 = root(&leaves[..20]);
    for i in [0u64, 5, 19, 36] {
        let p = inclusion_proof(&leaves, i).unwrap();
        verify_inclusion(i, 37, &leaves[i as usize], &p, &r37).unwrap();
    }
    let p = consistency_proof(&leaves, 20).unwrap();
    verify_consistency(20, 37, &r20, &r37, &p).unwrap();
    // An altered entry 3 breaks both.
    let mut forged = e;
    forged[3].fields.actor = "x".into();
    recompute_from(&mut forged, 3);
    let fl: Vec<_> = forged.iter().map(|x| leaf_hash(&x.hash)).collect();
    let fp = consistency_proof(&fl, 20).unwrap();
    assert!(verify_consistency(20, 37, &r20, &root(&fl), &fp).is_err());
}
