//! The audit trail on both databases: append-only guards, the tamper suite working on
//! the database directly, and concurrent appenders.

use faktura_audit::{
    CheckpointSigner, EntryFields, Error as AuditError, Location, Outcome, Reason,
};
use faktura_store::{Error, Store};

use crate::harness::{TestDb, backends};

const ORIGIN: &str = "test.faktura/audit";

fn signer() -> CheckpointSigner {
    CheckpointSigner::from_seed(ORIGIN, &[5; 32]).unwrap()
}

fn fields(i: u64) -> EntryFields {
    EntryFields {
        time_us: 1_700_000_000_000_000 + i as i64,
        company: i.is_multiple_of(2).then(|| "company-a".to_owned()),
        actor: format!("user-{}", i % 4),
        action: "invoice.update".into(),
        target: format!("inv-{i}"),
        outcome: Outcome::Success,
        request_id: format!("req-{i}"),
        source: "198.51.100.7".into(),
        details: format!("sealed-details-{i}").into_bytes(),
    }
}

/// A trail of `n` entries with signed checkpoints at 8 and at n.
async fn filled(db: &TestDb, n: u64) {
    for i in 0..n {
        let e = db.store.append_audit(fields(i)).await.unwrap();
        assert_eq!(e.seq, i);
        if i + 1 == 8 {
            db.store.audit_checkpoint(&signer(), 8).await.unwrap();
        }
    }
    db.store.audit_checkpoint(&signer(), 100).await.unwrap();
}

async fn first_break(store: &Store) -> (Location, Reason) {
    first_break_with(store, &[]).await
}

async fn first_break_with(store: &Store, external: &[String]) -> (Location, Reason) {
    match store.verify_audit(&signer().verifier(), external).await {
        Err(Error::Audit(AuditError::Broken(b))) => (b.at, b.reason),
        other => panic!("expected a break, got {other:?}"),
    }
}

#[tokio::test]
async fn untouched_trail_verifies_and_guards_refuse_changes() {
    for db in backends("untouched_trail_verifies_and_guards_refuse_changes").await {
        filled(&db, 12).await;
        let r = db
            .store
            .verify_audit(&signer().verifier(), &[])
            .await
            .unwrap();
        assert_eq!(
            (r.entries, r.checkpoints, r.vouched_size),
            (12, 2, 12),
            "{}",
            db.name
        );
        let mut refused = vec![
            "UPDATE audit_entry SET actor = 'mallory' WHERE seq = 3",
            "DELETE FROM audit_entry WHERE seq = 11",
            "UPDATE audit_checkpoint SET note = 'x'",
            "DELETE FROM audit_checkpoint",
        ];
        if db.name == "postgres" {
            refused.push("TRUNCATE audit_entry");
            refused.push("TRUNCATE audit_checkpoint");
        }
        for sql in refused {
            let r = db.raw_exec(sql).await;
            let msg = r
                .expect_err(&format!("{}: `{sql}` succeeded", db.name))
                .to_string();
            assert!(msg.contains("append-only"), "{}: `{sql}`: {msg}", db.name);
        }
        assert_eq!(db.store.audit_len().await.unwrap(), 12);
        // Checkpointing an unchanged head keeps the stored checkpoint.
        let again = db.store.audit_checkpoint(&signer(), 999).await.unwrap();
        assert_eq!(again.tree_size, 12);
        assert!(
            again.note.contains("time 100\n"),
            "{}: {}",
            db.name,
            again.note
        );
        db.store
            .verify_audit(&signer().verifier(), &[])
            .await
            .unwrap();
        db.store.close().await;
    }
}

/// One tampering, done on the database directly with the guards dropped, and the entry
/// the verifier must name.
struct Case {
    name: &'static str,
    sql: &'static str,
    at: Location,
}

#[tokio::test]
async fn tamper_suite_every_case_is_detected_and_named() {
    // Entries 0..12; checkpoints at 8 and 12. Hash columns are BLOB/BYTEA on purpose:
    // swaps copy whole rows by sequence.
    let cases = [
        Case {
            name: "alter actor of the first entry",
            sql: "UPDATE audit_entry SET actor = 'mallory' WHERE seq = 0",
            at: Location::Entry(0),
        },
        Case {
            name: "alter target of a middle entry",
            sql: "UPDATE audit_entry SET target = 'inv-x' WHERE seq = 5",
            at: Location::Entry(5),
        },
        Case {
            name: "alter outcome of the last entry",
            sql: "UPDATE audit_entry SET outcome = 'failure' WHERE seq = 11",
            at: Location::Entry(11),
        },
        Case {
            name: "alter time",
            sql: "UPDATE audit_entry SET time_us = time_us + 1 WHERE seq = 6",
            at: Location::Entry(6),
        },
        Case {
            name: "alter company to none",
            sql: "UPDATE audit_entry SET company = NULL WHERE seq = 4",
            at: Location::Entry(4),
        },
        Case {
            name: "alter request id",
            sql: "UPDATE audit_entry SET request_id = 'r' WHERE seq = 7",
            at: Location::Entry(7),
        },
        Case {
            name: "alter source",
            sql: "UPDATE audit_entry SET source = '10.0.0.1' WHERE seq = 9",
            at: Location::Entry(9),
        },
        Case {
            name: "alter details",
            sql: "UPDATE audit_entry SET details = prev_hash WHERE seq = 3",
            at: Location::Entry(3),
        },
        Case {
            name: "unknown outcome",
            sql: "UPDATE audit_entry SET outcome = 'maybe' WHERE seq = 2",
            at: Location::Entry(2),
        },
        Case {
            name: "malformed stored hash",
            sql: "UPDATE audit_entry SET entry_hash = details WHERE seq = 1",
            at: Location::Entry(1),
        },
        Case {
            name: "delete a middle entry",
            sql: "DELETE FROM audit_entry WHERE seq = 5",
            at: Location::Entry(5),
        },
        Case {
            name: "delete the first entry",
            sql: "DELETE FROM audit_entry WHERE seq = 0",
            at: Location::Entry(0),
        },
        Case {
            name: "truncate the tail below the last checkpoint",
            sql: "DELETE FROM audit_entry WHERE seq >= 10",
            at: Location::Entry(10),
        },
        Case {
            name: "insert a forged entry in place of a deleted one",
            sql: "DELETE FROM audit_entry WHERE seq = 6; INSERT INTO audit_entry SELECT 6, time_us, company, 'forger', action, target, outcome, request_id, source, details, prev_hash, entry_hash FROM audit_entry WHERE seq = 5",
            at: Location::Entry(6),
        },
        Case {
            name: "append a forged entry at the head",
            sql: "INSERT INTO audit_entry SELECT 12, time_us, company, actor, action, target, outcome, request_id, source, details, entry_hash, prev_hash FROM audit_entry WHERE seq = 11",
            at: Location::Entry(12),
        },
        Case {
            name: "swap two entries",
            sql: "UPDATE audit_entry SET seq = 1000 WHERE seq = 3; UPDATE audit_entry SET seq = 3 WHERE seq = 4; UPDATE audit_entry SET seq = 4 WHERE seq = 1000",
            at: Location::Entry(3),
        },
        Case {
            name: "replace a checkpoint signature",
            sql: "UPDATE audit_checkpoint SET note = replace(note, 'test.faktura/audit ', 'test.faktura/audit AAAA') WHERE tree_size = 12",
            at: Location::Checkpoint(12),
        },
        Case {
            name: "edit the body of a signed checkpoint",
            sql: "UPDATE audit_checkpoint SET note = replace(note, 'time 8', 'time 9') WHERE tree_size = 8",
            at: Location::Checkpoint(8),
        },
    ];
    for db in backends("tamper_suite_every_case_is_detected_and_named").await {
        db.store.close().await;
        for case in &cases {
            let fresh = match db.name {
                "sqlite" => crate::harness::sqlite().await,
                _ => crate::harness::postgres("tamper").await.unwrap(),
            };
            filled(&fresh, 12).await;
            fresh.drop_guards().await;
            fresh
                .raw_exec(case.sql)
                .await
                .unwrap_or_else(|e| panic!("{}: {}: {e}", db.name, case.name));
            let (at, reason) = match fresh.store.verify_audit(&signer().verifier(), &[]).await {
                Err(Error::Audit(AuditError::Broken(b))) => (b.at, b.reason),
                other => panic!("{}: {}: not detected: {other:?}", db.name, case.name),
            };
            assert_eq!(at, case.at, "{}: {}: {reason:?}", db.name, case.name);
            println!(
                "{}: {}: detected at {at:?} ({reason:?})",
                db.name, case.name
            );
            fresh.store.close().await;
        }
    }
}

#[tokio::test]
async fn a_recomputed_chain_is_caught_by_the_signed_checkpoint() {
    for db in backends("a_recomputed_chain_is_caught_by_the_signed_checkpoint").await {
        filled(&db, 12).await;
        // Rebuild the whole trail elsewhere with one entry changed, hashes recomputed
        // correctly, and copy it over the original: the chain alone is consistent.
        let forged = crate::harness::sqlite().await;
        for i in 0..12 {
            let mut f = fields(i);
            if i == 9 {
                f.outcome = Outcome::Denied;
            }
            forged.store.append_audit(f).await.unwrap();
        }
        let rows = forged.store.audit_entries(0, 12).await.unwrap();
        db.drop_guards().await;
        db.raw_exec("DELETE FROM audit_entry").await.unwrap();
        for e in rows {
            let details: String = e
                .fields
                .details
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let hex = |h: &[u8; 32]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
            let blob = |h: &str| {
                if db.name == "sqlite" {
                    format!("x'{h}'")
                } else {
                    format!("'\\x{h}'::bytea")
                }
            };
            let company = e
                .fields
                .company
                .as_ref()
                .map_or("NULL".to_owned(), |c| format!("'{c}'"));
            let sql = format!(
                "INSERT INTO audit_entry VALUES ({}, {}, {company}, '{}', '{}', '{}', '{}', '{}', '{}', {}, {}, {})",
                e.seq,
                e.fields.time_us,
                e.fields.actor,
                e.fields.action,
                e.fields.target,
                e.fields.outcome.as_str(),
                e.fields.request_id,
                e.fields.source,
                blob(&details),
                blob(&hex(&e.prev_hash)),
                blob(&hex(&e.hash)),
            );
            db.raw_exec(&sql).await.unwrap();
        }
        let (at, reason) = first_break(&db.store).await;
        assert_eq!(
            (at, reason),
            (Location::Entry(8), Reason::CheckpointMismatch { size: 12 }),
            "{}",
            db.name
        );
        db.store.close().await;
        forged.store.close().await;
    }
}

#[tokio::test]
async fn a_tail_cut_with_its_checkpoints_is_caught_by_a_checkpoint_kept_elsewhere() {
    for db in
        backends("a_tail_cut_with_its_checkpoints_is_caught_by_a_checkpoint_kept_elsewhere").await
    {
        filled(&db, 12).await;
        let kept_elsewhere: Vec<String> = db
            .store
            .audit_checkpoints()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.note)
            .collect();
        db.drop_guards().await;
        db.raw_exec("DELETE FROM audit_entry WHERE seq >= 9")
            .await
            .unwrap();
        db.raw_exec("DELETE FROM audit_checkpoint WHERE tree_size > 8")
            .await
            .unwrap();
        // The database alone cannot tell (the chain is intact up to 8 and vouched for) ...
        let r = db
            .store
            .verify_audit(&signer().verifier(), &[])
            .await
            .unwrap();
        assert_eq!(r.entries, 9);
        // ... the checkpoint exported earlier can.
        let (at, reason) = first_break_with(&db.store, &kept_elsewhere).await;
        assert_eq!(
            (at, reason),
            (Location::Entry(9), Reason::Truncated { size: 12 }),
            "{}",
            db.name
        );
        db.store.close().await;
    }
}

#[tokio::test]
async fn concurrent_appenders_never_fork_the_chain() {
    for db in backends("concurrent_appenders_never_fork_the_chain").await {
        let writers = 16;
        let per_writer = 25;
        let mut tasks = Vec::new();
        for w in 0..writers {
            // Each writer has its own pool, as separate processes would.
            let store = match &db.raw {
                crate::harness::Raw::Sqlite(path) => Store::open_sqlite(path).await.unwrap(),
                crate::harness::Raw::Postgres { url } => Store::open_postgres(url).await.unwrap(),
            };
            tasks.push(tokio::spawn(async move {
                for i in 0..per_writer {
                    store.append_audit(fields(w * 1000 + i)).await.unwrap();
                }
                store.close().await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let n = writers * per_writer;
        assert_eq!(db.store.audit_len().await.unwrap(), n, "{}", db.name);
        let cp = db.store.audit_checkpoint(&signer(), 1).await.unwrap();
        assert_eq!(cp.tree_size, n);
        let r = db
            .store
            .verify_audit(&signer().verifier(), &[])
            .await
            .unwrap();
        assert_eq!(r.entries, n, "{}: gap-free, one chain", db.name);
        println!(
            "{}: {writers} writers x {per_writer} appends: {n} entries, chain verifies",
            db.name
        );
        db.store.close().await;
    }
}
