//! Audit benchmark: appends per second on SQLite, verification entries per second, and
//! the machine's raw SHA-256 throughput measured in the same run, as a ratio.
//!
//! Run with `cargo bench -p faktura-audit --bench audit`. Figures are printed, never
//! asserted. Goal: verification above 1 M entries/s and within 3x of raw hashing
//! (raw = one SHA-256 over each entry's chained bytes, the least any verifier must do).

use std::hint::black_box;
use std::time::Instant;

use faktura_audit::merkle::{leaf_hash, root};
use faktura_audit::{
    ChainVerifier, Checkpoint, CheckpointSigner, Entry, EntryFields, GENESIS_PREV, Outcome,
};
use sha2::{Digest as _, Sha256};

const ORIGIN: &str = "bench.faktura/audit";

fn fields(i: u64) -> EntryFields {
    EntryFields {
        time_us: 1_764_000_000_000_000_i64.saturating_add(i64::try_from(i).unwrap_or(0)),
        company: Some(format!("company-{}", i % 50)),
        actor: format!("user-{}", i % 1000),
        action: "invoice.issue".into(),
        target: format!("invoice-{i:08}"),
        outcome: Outcome::Success,
        request_id: format!("01J{i:023}"),
        source: "203.0.113.9".into(),
        details: vec![0x5A; 48],
    }
}

fn build(n: u64) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    let mut prev = GENESIS_PREV;
    for i in 0..n {
        if let Ok(e) = Entry::chain(i, prev, fields(i)) {
            prev = e.hash;
            out.push(e);
        }
    }
    out
}

fn per_sec(n: u64, secs: f64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "a printed rate")]
    let n = n as f64;
    n / secs.max(1e-9)
}

fn main() {
    let n: u64 = std::env::var("FAKTURA_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    println!("audit benchmark: {n} entries in memory");
    let entries = build(n);
    let signer = match CheckpointSigner::from_seed(ORIGIN, &[1; 32]) {
        Ok(s) => s,
        Err(e) => return eprintln!("cannot make a signer: {e}"),
    };
    let leaves: Vec<_> = entries.iter().map(|e| leaf_hash(&e.hash)).collect();
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: n,
        root: root(&leaves),
        time_us: 0,
    };
    let note = match cp.sign(&signer) {
        Ok(n) => n,
        Err(e) => return eprintln!("cannot sign: {e}"),
    };

    // Raw SHA-256: one digest over exactly the bytes each entry's chain hash covers.
    let inputs: Vec<Vec<u8>> = entries
        .iter()
        .map(|e| {
            let mut b = b"faktura-audit-v1".to_vec();
            b.extend_from_slice(&e.prev_hash);
            b.extend_from_slice(&faktura_audit::entry::canonical_bytes(e.seq, &e.fields));
            b
        })
        .collect();
    let bytes: usize = inputs.iter().map(Vec::len).sum();
    let mut best_raw = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        for b in &inputs {
            black_box(Sha256::digest(black_box(b)));
        }
        best_raw = best_raw.min(t.elapsed().as_secs_f64());
    }
    let raw_rate = per_sec(n, best_raw);
    #[expect(clippy::cast_precision_loss, reason = "a printed rate")]
    let mb_s = bytes as f64 / best_raw / 1e6;
    println!(
        "raw SHA-256:   {raw_rate:>12.0} entries/s ({mb_s:.0} MB/s, {} bytes/entry)",
        bytes / inputs.len().max(1)
    );

    // Full verification: link, content hash, Merkle leaf and nodes, checkpoint root + signature.
    let mut best_verify = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let Ok(mut v) = ChainVerifier::new(&signer.verifier(), [note.as_str()]) else {
            return eprintln!("checkpoint did not verify");
        };
        for e in &entries {
            if v.push(e).is_err() {
                return eprintln!("chain did not verify");
            }
        }
        black_box(v.finish().is_ok());
        best_verify = best_verify.min(t.elapsed().as_secs_f64());
    }
    let verify_rate = per_sec(n, best_verify);
    println!(
        "verification:  {verify_rate:>12.0} entries/s  ratio raw/verify = {:.2}x  (goal: > 1,000,000/s and <= 3x)",
        raw_rate / verify_rate
    );

    // Export verification (JSON parsing included), for scale.
    let mut export = faktura_audit::export::Record::Header {
        format: faktura_audit::export::FORMAT.into(),
        origin: ORIGIN.into(),
        first_seq: 0,
        end_seq: n,
    }
    .to_line()
    .unwrap_or_default();
    export += &faktura_audit::export::Record::Checkpoint { note }
        .to_line()
        .unwrap_or_default();
    for e in &entries {
        export += &faktura_audit::export::Record::Entry(e.into())
            .to_line()
            .unwrap_or_default();
    }
    let t = Instant::now();
    let ok = faktura_audit::export::verify_export(export.as_bytes(), &signer.verifier()).is_ok();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "export verify: {:>12.0} entries/s  ({} MB of JSON lines, verified: {ok})",
        per_sec(n, secs),
        export.len() / 1_000_000
    );

    sqlite_appends();
}

fn sqlite_appends() {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return eprintln!("no runtime");
    };
    let dir = std::env::temp_dir().join(format!("faktura-audit-bench-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        return eprintln!("cannot create {}", dir.display());
    }
    let appends: u64 = std::env::var("FAKTURA_BENCH_APPENDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    rt.block_on(async {
        let store = match faktura_store::Store::open_sqlite(&dir.join("bench.db")).await {
            Ok(s) => s,
            Err(e) => return eprintln!("cannot open SQLite: {e}"),
        };
        let t = Instant::now();
        for i in 0..appends {
            if let Err(e) = store.append_audit(fields(i)).await {
                return eprintln!("append failed: {e}");
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "SQLite appends: {:>11.0} appends/s  ({appends} appends, one durable transaction each: WAL, synchronous=FULL)",
            per_sec(appends, secs)
        );
        let Ok(signer) = CheckpointSigner::from_seed(ORIGIN, &[1; 32]) else { return };
        let t = Instant::now();
        let verified = store.verify_audit(&signer.verifier(), &[]).await.map(|r| r.entries);
        println!(
            "SQLite verify:  {:>11.0} entries/s  (read from the database and verified: {verified:?})",
            per_sec(appends, t.elapsed().as_secs_f64())
        );
        store.close().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}
