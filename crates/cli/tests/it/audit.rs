//! End to end: `faktura audit checkpoint|verify|export|prove` from the built binary,
//! on a real SQLite database, including tampering with the database file's bytes.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers may fail loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faktura_audit::merkle::{verify_consistency_bytes, verify_inclusion_bytes};
use faktura_audit::{EntryFields, Outcome};
use faktura_store::Store;

fn faktura(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args(args)
        .output()
        .expect("run faktura")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-audit")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn fields(i: u64) -> EntryFields {
    EntryFields {
        time_us: 1_764_000_000_000_000 + i as i64,
        company: Some("acme".into()),
        actor: "user-1".into(),
        action: "invoice.issue".into(),
        target: format!("invoice-{i:04}"),
        outcome: Outcome::Success,
        request_id: format!("req-{i:04}"),
        source: "203.0.113.9".into(),
        details: vec![0xAB; 16],
    }
}

fn append(dir: &Path, range: std::ops::Range<u64>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::open_sqlite(&dir.join("faktura.db")).await.unwrap();
        for i in range {
            store.append_audit(fields(i)).await.unwrap();
        }
        store.close().await;
    });
}

fn len(dir: &Path) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::open_sqlite(&dir.join("faktura.db")).await.unwrap();
        let n = store.audit_len().await.unwrap();
        store.close().await;
        n
    })
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

fn broken(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stderr)
}

/// `faktura init` (3 of 5) in `root/data`; returns the data dir and three share-file flags.
fn init(root: &Path) -> (PathBuf, Vec<String>) {
    let data = root.join("data");
    let shares = root.join("shares");
    ok(&faktura(&[
        "init",
        "--data-dir",
        data.to_str().unwrap(),
        "--share-dir",
        shares.to_str().unwrap(),
    ]));
    let mut files: Vec<PathBuf> = fs::read_dir(&shares)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut flags = Vec::new();
    for f in files.iter().take(3) {
        flags.push("--share-file".to_owned());
        flags.push(f.to_str().unwrap().to_owned());
    }
    (data, flags)
}

fn checkpoint(d: &str, shares: &[String]) -> Output {
    let mut args = vec!["audit", "checkpoint", "--data-dir", d];
    args.extend(shares.iter().map(String::as_str));
    faktura(&args)
}

#[test]
fn checkpoint_verify_export_and_prove_end_to_end() {
    let (dir, shares) = init(&scratch("e2e"));
    let d = dir.to_str().unwrap();
    let before = Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args(["audit", "checkpoint", "--data-dir", d])
        .output()
        .unwrap();
    assert_eq!(
        before.status.code(),
        Some(2),
        "checkpoint without shares must be refused"
    );
    // `init` and the key commands write their own entries first.
    let base = len(&dir);
    append(&dir, 0..20);
    let two = checkpoint(d, &shares[..4]);
    assert_eq!(
        two.status.code(),
        Some(2),
        "two of three shares must not open the signing key"
    );
    ok(&checkpoint(d, &shares));
    let pubkey = dir.join("audit-checkpoint.pub");
    assert!(pubkey.is_file());
    append(&dir, 20..25);
    let note = ok(&checkpoint(d, &shares));
    let total = base + 25;
    assert!(note.contains(&format!("\n{total}\n")), "{note}");
    let out = ok(&faktura(&["audit", "verify", "--data-dir", d]));
    assert!(
        out.contains("audit trail OK")
            && out.contains(&format!("{total} entries, 2 signed checkpoints")),
        "{out}"
    );

    // Full and ranged exports verify with the public key alone.
    let export = dir.join("export.jsonl");
    ok(&faktura(&[
        "audit",
        "export",
        "--data-dir",
        d,
        "-o",
        export.to_str().unwrap(),
    ]));
    let p = pubkey.to_str().unwrap();
    let out = ok(&faktura(&[
        "audit",
        "verify",
        "--export",
        export.to_str().unwrap(),
        "--public-key",
        p,
    ]));
    assert!(out.contains(&format!("{total} entries")), "{out}");
    let ranged = dir.join("range.jsonl");
    ok(&faktura(&[
        "audit",
        "export",
        "--data-dir",
        d,
        "--from",
        "10",
        "--to",
        "19",
        "-o",
        ranged.to_str().unwrap(),
    ]));
    // The range ends before the first signed checkpoint: nothing vouches for
    // its entries, so an auditor's verify refuses it unless told to accept that.
    let err = broken(&faktura(&[
        "audit",
        "verify",
        "--export",
        ranged.to_str().unwrap(),
        "--public-key",
        p,
    ]));
    assert!(err.contains("NOT VOUCHED"), "{err}");
    let out = ok(&faktura(&[
        "audit",
        "verify",
        "--export",
        ranged.to_str().unwrap(),
        "--public-key",
        p,
        "--allow-unvouched",
    ]));
    assert!(
        out.contains("entries 0 to 9 were given only as hashes"),
        "{out}"
    );

    // A tail cut back to the first checkpoint, with the later checkpoint dropped
    // and the header edited, is self-consistent; the auditor's own copy of the
    // newest checkpoint (--checkpoint) exposes it.
    let full = fs::read_to_string(&export).unwrap();
    let cut_at = total - 5;
    let mut cut = Vec::new();
    for line in full.lines() {
        if line.starts_with("{\"type\":\"header\"") {
            cut.push(line.replace(
                &format!("\"end_seq\":{total}"),
                &format!("\"end_seq\":{cut_at}"),
            ));
        } else if line.starts_with("{\"type\":\"checkpoint\"") {
            if !line.contains(&format!("\\n{total}\\n")) {
                cut.push(line.to_owned());
            }
        } else if let Some(rest) = line.strip_prefix("{\"type\":\"entry\",\"seq\":") {
            let seq: u64 = rest.split(',').next().unwrap().parse().unwrap();
            if seq < cut_at {
                cut.push(line.to_owned());
            }
        }
    }
    let cut_file = dir.join("cut.jsonl");
    fs::write(&cut_file, cut.join("\n") + "\n").unwrap();
    let cut_path = cut_file.to_str().unwrap();
    let out = ok(&faktura(&[
        "audit",
        "verify",
        "--export",
        cut_path,
        "--public-key",
        p,
    ]));
    assert!(out.contains(&format!("{cut_at} entries")), "{out}");
    let kept = dir.join("newest-checkpoint.note");
    fs::write(&kept, &note).unwrap();
    let err = broken(&faktura(&[
        "audit",
        "verify",
        "--export",
        cut_path,
        "--public-key",
        p,
        "--checkpoint",
        kept.to_str().unwrap(),
    ]));
    assert!(err.contains("the tail was cut off"), "{err}");

    // An edited export is refused, naming the entry.
    let edited = dir.join("edited.jsonl");
    fs::write(
        &edited,
        fs::read_to_string(&export)
            .unwrap()
            .replace("invoice-0007", "invoice-0070"),
    )
    .unwrap();
    let err = broken(&faktura(&[
        "audit",
        "verify",
        "--export",
        edited.to_str().unwrap(),
        "--public-key",
        p,
    ]));
    assert!(err.contains(&format!("entry {}:", base + 7)), "{err}");

    let old_size = (base + 20).to_string();
    // Proofs: the JSON is in the transparency-dev probe format and verifies independently.
    let out = ok(&faktura(&[
        "audit",
        "prove",
        "inclusion",
        "--data-dir",
        d,
        "--seq",
        "13",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let b64 = |x: &serde_json::Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(x.as_str().unwrap())
            .unwrap()
    };
    let proof: Vec<Vec<u8>> = v["proof"].as_array().unwrap().iter().map(b64).collect();
    verify_inclusion_bytes(13, total, &b64(&v["leafHash"]), &proof, &b64(&v["root"])).unwrap();
    assert!(
        verify_inclusion_bytes(12, total, &b64(&v["leafHash"]), &proof, &b64(&v["root"])).is_err()
    );
    let out = ok(&faktura(&[
        "audit",
        "prove",
        "consistency",
        "--data-dir",
        d,
        "--old-size",
        &old_size,
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let proof: Vec<Vec<u8>> = v["proof"].as_array().unwrap().iter().map(b64).collect();
    verify_consistency_bytes(
        base + 20,
        total,
        &b64(&v["root1"]),
        &b64(&v["root2"]),
        &proof,
    )
    .unwrap();

    // Tamper with the database file itself, around the application.
    // Every copy of the page counts: the main file and, if present, the WAL.
    let mut found = 0;
    for name in ["faktura.db", "faktura.db-wal"] {
        let Ok(mut bytes) = fs::read(dir.join(name)) else {
            continue;
        };
        let mut i = 0;
        while let Some(at) = bytes[i..].windows(12).position(|w| w == b"invoice-0016") {
            bytes[i + at + 11] = b'9';
            i += at + 12;
            found += 1;
        }
        fs::write(dir.join(name), bytes).unwrap();
    }
    assert!(
        found > 0,
        "entry 16's target not found in the database files"
    );
    let err = broken(&faktura(&["audit", "verify", "--data-dir", d]));
    assert!(
        err.contains(&format!("entry {}:", base + 16)) && err.contains("altered"),
        "{err}"
    );
    // No checkpoint is signed over a broken trail, and no proof is given.
    broken(&checkpoint(d, &shares));
    broken(&faktura(&[
        "audit",
        "prove",
        "inclusion",
        "--data-dir",
        d,
        "--seq",
        "1",
    ]));
}

#[test]
fn unusable_input_exits_2_with_a_message() {
    let dir = scratch("bad-input");
    let d = dir.to_str().unwrap();
    let o = faktura(&["audit", "verify", "--data-dir", d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("run `faktura init` first")
            || text(&o.stderr).contains("public key"),
        "{}",
        text(&o.stderr)
    );
    let o = faktura(&["audit", "verify", "--export", "/nonexistent.jsonl"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--public-key"));
}
