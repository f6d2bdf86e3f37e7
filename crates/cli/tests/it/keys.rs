//! End to end: `faktura init`, `faktura keys rotate` and `faktura keys rekey`
//! from the built binary, on a real SQLite database in a temporary directory.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers may fail loudly"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn faktura(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args(args)
        .output()
        .expect("run faktura")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the target dir, removed and recreated per test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-keys")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a command could change: every file's bytes under `dir` except the
/// SQLite files (opening a database touches its pages and WAL), plus every
/// key-material row of every database found, read through crates/store.
/// One key-material row: kind, version, company, purpose, wrapped bytes.
type KeyRow = (String, u32, Option<String>, String, Vec<u8>);

#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    files: BTreeMap<PathBuf, Vec<u8>>,
    key_rows: Vec<KeyRow>,
}

fn snapshot(dir: &Path) -> Snapshot {
    let files = file_bytes(dir);
    let mut key_rows = Vec::new();
    for db in files.keys().filter(|p| p.ends_with("faktura.db")) {
        key_rows.extend(key_material(db));
    }
    let files = files
        .into_iter()
        .filter(|(p, _)| {
            !p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("faktura.db")
        })
        .collect();
    Snapshot { files, key_rows }
}

fn key_material(db: &Path) -> Vec<KeyRow> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = faktura_store::Store::open_sqlite(db).await.unwrap();
        let mut rows = Vec::new();
        for kind in ["share-set", "kek", "dek", "audit-signing"] {
            for r in store
                .key_material_of_kind(&faktura_store::KeyKind::new(kind).unwrap())
                .await
                .unwrap()
            {
                rows.push((
                    r.kind.as_str().to_owned(),
                    r.version,
                    r.company_id,
                    r.purpose,
                    r.wrapped,
                ));
            }
        }
        store.close().await;
        rows
    })
}

fn file_bytes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.starts_with("faktura.db-") {
                // SQLite's WAL and shared-memory files come and go as connections
                // (ours included, closing in the background) open and close.
                continue;
            } else {
                out.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn share_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn with_shares<'a>(base: &[&'a str], shares: &'a [String]) -> Vec<&'a str> {
    let mut args = base.to_vec();
    for s in shares {
        args.push("--share-file");
        args.push(s);
    }
    args
}

fn paths(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.to_str().unwrap().to_owned())
        .collect()
}

fn init(root: &Path, extra: &[&str]) -> (String, Vec<PathBuf>) {
    let data = root.join("data");
    let shares = root.join("shares");
    let mut args = vec![
        "init",
        "--data-dir",
        data.to_str().unwrap(),
        "--share-dir",
        shares.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = faktura(&args);
    assert!(out.status.success(), "init failed: {}", stderr(&out));
    (data.to_str().unwrap().to_owned(), share_files(&shares))
}

#[test]
fn init_writes_private_share_files_and_prints_no_secret() {
    let root = scratch("init");
    let data = root.join("data");
    let shares_dir = root.join("shares");
    let out = faktura(&[
        "init",
        "--data-dir",
        data.to_str().unwrap(),
        "--share-dir",
        shares_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let files = share_files(&shares_dir);
    assert_eq!(files.len(), 5, "default is 3 of 5");
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        assert!(text.starts_with("faktura-share v1\n"));
        assert!(text.contains("threshold: 3\n") && text.contains("shares: 5\n"));
        let data_line = text.lines().find(|l| l.starts_with("data: ")).unwrap();
        assert!(!printed.contains(&data_line[6..]), "a share was printed");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // The share data never reaches the database either.
        for bytes in file_bytes(&data).values() {
            assert!(
                !bytes
                    .windows(data_line.len() - 6)
                    .any(|w| w == &data_line.as_bytes()[6..])
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            fs::metadata(&data).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            fs::metadata(data.join("faktura.db"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    // An oversized "share file" is refused unread.
    let big = root.join("big.txt");
    fs::write(&big, vec![b'a'; 10_000]).unwrap();
    let out = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        data.to_str().unwrap(),
        "--share-file",
        big.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a share file"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(&big).unwrap();
    // A second init on the same directory is refused and changes nothing.
    let before = snapshot(&root);
    let again = faktura(&[
        "init",
        "--data-dir",
        data.to_str().unwrap(),
        "--share-dir",
        root.join("s2").to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(
        snapshot(&root) == before,
        "a failed command changed something"
    );
}

#[test]
fn bad_parameters_are_refused() {
    let root = scratch("params");
    let data = root.join("data");
    let shares = root.join("shares");
    for (n, k) in [("5", "1"), ("2", "3"), ("5", "0")] {
        let out = faktura(&[
            "init",
            "--data-dir",
            data.to_str().unwrap(),
            "--share-dir",
            shares.to_str().unwrap(),
            "--shares",
            n,
            "--threshold",
            k,
        ]);
        assert!(!out.status.success(), "{n} of {k} accepted");
        assert!(stderr(&out).contains("threshold"), "{}", stderr(&out));
        assert!(
            !data.exists() && !shares.exists(),
            "a refused init left files"
        );
    }
}

#[test]
fn rotate_needs_k_distinct_valid_shares_and_changes_nothing_otherwise() {
    let root = scratch("rotate");
    let (data, files) = init(&root, &[]);
    let shares = paths(&files);
    let before = snapshot(&root);

    // Two shares, or one share three times, are not enough.
    for attempt in [
        vec![shares[0].clone(), shares[1].clone()],
        vec![shares[2].clone(); 3],
    ] {
        let out = faktura(&with_shares(
            &["keys", "rotate", "--data-dir", &data],
            &attempt,
        ));
        assert!(!out.status.success());
        assert_eq!(out.status.code(), Some(2));
        let msg = stderr(&out);
        assert!(msg.contains("required") || msg.contains("twice"), "{msg}");
        assert!(
            snapshot(&root) == before,
            "a failed rotate changed something"
        );
    }
    // A damaged share is named.
    let damaged = root.join("damaged.txt");
    let text = fs::read_to_string(&files[0]).unwrap();
    let data_line = text.lines().find(|l| l.starts_with("data: ")).unwrap();
    let flipped = format!(
        "data: {}{}",
        if data_line.as_bytes()[6] == b'A' {
            'B'
        } else {
            'A'
        },
        &data_line[7..]
    );
    fs::write(&damaged, text.replace(data_line, &flipped)).unwrap();
    let attempt = vec![
        damaged.to_str().unwrap().to_owned(),
        shares[1].clone(),
        shares[2].clone(),
    ];
    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &attempt,
    ));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("damaged.txt") && stderr(&out).contains("integrity"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(&damaged).unwrap();
    assert!(
        snapshot(&root) == before,
        "a failed command changed something"
    );

    // Any three (here the last three, in reverse order) rotate.
    let three = vec![shares[4].clone(), shares[3].clone(), shares[2].clone()];
    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &three,
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("version 2"), "{}", stderr(&out));
    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &shares,
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("version 3"), "{}", stderr(&out));
}

#[test]
fn rekey_issues_new_shares_and_invalidates_the_old_ones() {
    let root = scratch("rekey");
    let (data, files) = init(&root, &[]);
    let old = paths(&files);
    let new_dir = root.join("new-shares");
    let out = faktura(&with_shares(
        &[
            "keys",
            "rekey",
            "--data-dir",
            &data,
            "--share-dir",
            new_dir.to_str().unwrap(),
            "--shares",
            "4",
            "--threshold",
            "2",
        ],
        &old[..3],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let new = paths(&share_files(&new_dir));
    assert_eq!(new.len(), 4);

    let before = snapshot(&root);
    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &old[..3],
    ));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("re-key"), "{}", stderr(&out));
    assert!(
        snapshot(&root) == before,
        "a failed command changed something"
    );

    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &new[1..3],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn encrypted_share_files_and_single_share_dev_mode() {
    let root = scratch("encrypted");
    let mut pass_args = Vec::new();
    for i in 0..3 {
        let p = root.join(format!("pass{i}"));
        fs::write(&p, format!("custodian {i} long passphrase\n")).unwrap();
        pass_args.push("--passphrase-file".to_owned());
        pass_args.push(p.to_str().unwrap().to_owned());
    }
    let mut extra = vec!["--shares", "3", "--threshold", "2"];
    extra.extend(pass_args.iter().map(String::as_str));
    let (data, files) = init(&root, &extra);
    let shares = paths(&files);
    assert!(
        fs::read_to_string(&files[0])
            .unwrap()
            .starts_with("faktura-share v1 encrypted\n")
    );
    let p0 = root.join("pass0");
    let p2 = root.join("pass2");
    let mut args = with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &[shares[0].clone(), shares[2].clone()][..],
    )
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<_>>();
    let no_pass = faktura(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!no_pass.status.success());
    assert!(
        stderr(&no_pass).contains("passphrase"),
        "{}",
        stderr(&no_pass)
    );
    // Wrong order of passphrases: share 0 gets custodian 2's passphrase.
    let mut wrong = args.clone();
    wrong.extend([
        "--share-passphrase-file".into(),
        p2.to_str().unwrap().into(),
        "--share-passphrase-file".into(),
        p0.to_str().unwrap().into(),
    ]);
    let out = faktura(&wrong.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );
    args.extend([
        "--share-passphrase-file".into(),
        p0.to_str().unwrap().into(),
        "--share-passphrase-file".into(),
        p2.to_str().unwrap().into(),
    ]);
    let out = faktura(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", stderr(&out));

    let dev_root = scratch("dev-single");
    let (data, files) = init(&dev_root, &["--dev-single-share"]);
    assert_eq!(files.len(), 1);
    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &paths(&files),
    ));
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Rebuilds the root key from share files with the library, as a custodian tool would.
fn root_from(
    files: &[PathBuf],
    db: &Path,
) -> (faktura_crypto::RootKey, Vec<faktura_crypto::WrappedKek>) {
    let rows = key_material(db);
    let record = rows
        .iter()
        .filter(|r| r.0 == "share-set")
        .max_by_key(|r| r.1)
        .map(|r| faktura_crypto::ShareSetRecord::from_bytes(&r.4).unwrap())
        .unwrap();
    let mut unsealer = faktura_crypto::Unsealer::new(record);
    for f in files {
        unsealer
            .add(faktura_crypto::Share::from_text(&fs::read_to_string(f).unwrap(), None).unwrap())
            .unwrap();
    }
    let keks = rows
        .iter()
        .filter(|r| r.0 == "kek")
        .map(|r| faktura_crypto::WrappedKek::from_bytes(&r.4).unwrap())
        .collect();
    (unsealer.finish().unwrap(), keks)
}

#[test]
fn rotate_rewraps_stored_data_keys_and_old_records_stay_readable() {
    use faktura_crypto::{
        CompanyId, Keyring, OsRng, Purpose, RecordAad, RecordKeys, WrappedDataKey,
    };
    let root = scratch("rotate-dek");
    let (data, files) = init(&root, &[]);
    let db = Path::new(&data).join("faktura.db");

    // Make a data key for company "acme" the way the server will, and seal a record with it.
    let (root_key, keks) = root_from(&files[..3], &db);
    let ring = Keyring::open(root_key, &keks).unwrap();
    let wrapped = ring
        .create_data_key(&CompanyId::new("acme").unwrap(), Purpose::Records, &OsRng)
        .unwrap();
    let aad = RecordAad {
        table: "invoice",
        row_id: "1",
        company_id: "acme",
    };
    let sealed = RecordKeys::new(vec![ring.open_data_key(&wrapped).unwrap()])
        .unwrap()
        .seal(&aad, b"record A", &OsRng)
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = faktura_store::Store::open_sqlite(&db).await.unwrap();
        store
            .append_key_material(&faktura_store::NewKeyMaterial {
                kind: faktura_store::KeyKind::new("dek").unwrap(),
                version: 1,
                company_id: Some("acme".into()),
                purpose: "records.v1".into(),
                wrapped: wrapped.to_bytes(),
                created_at: time::OffsetDateTime::UNIX_EPOCH,
            })
            .await
            .unwrap();
        store.close().await;
    });

    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &paths(&files[2..]),
    ));
    assert!(out.status.success(), "{}", stderr(&out));

    let msg = stderr(&out);
    assert!(
        msg.contains("1 data key(s) re-wrapped") && msg.contains("1 new data key(s) of version 2"),
        "{msg}"
    );

    // Data key 1 is now stored under KEK 1 (kept) and KEK 2; data key 2 is new under KEK 2.
    let deks: Vec<WrappedDataKey> = key_material(&db)
        .iter()
        .filter(|r| r.0 == "dek")
        .map(|r| WrappedDataKey::from_bytes(&r.4).unwrap())
        .collect();
    let versions: Vec<(u32, u32)> = deks
        .iter()
        .map(|w| (w.version().get(), w.kek_version().get()))
        .collect();
    assert_eq!(versions, vec![(1, 1), (1, 2), (2, 2)]);
    assert!(
        deks.iter()
            .all(|w| w.company().as_str() == "acme" && w.purpose() == Purpose::Records)
    );

    // With only KEK 2 loaded, the old record still opens and new records use data key 2.
    let (root_key, keks) = root_from(&files[1..4], &db);
    let newest: Vec<_> = keks
        .into_iter()
        .filter(|k| k.version().get() == 2)
        .collect();
    let ring = Keyring::open(root_key, &newest).unwrap();
    assert!(ring.open_data_key(&deks[0]).is_err(), "KEK 1 is not loaded");
    let keys = RecordKeys::new(vec![
        ring.open_data_key(&deks[1]).unwrap(),
        ring.open_data_key(&deks[2]).unwrap(),
    ])
    .unwrap();
    assert_eq!(
        keys.open(&aad, &sealed).unwrap().expose_secret(),
        b"record A"
    );
    let new = keys.seal(&aad, b"record B", &OsRng).unwrap();
    assert_eq!(faktura_crypto::envelope_key_version(&new).unwrap(), 2);
    assert_eq!(keys.open(&aad, &new).unwrap().expose_secret(), b"record B");
}

#[test]
fn shares_can_be_pasted_on_standard_input_one_custodian_at_a_time() {
    use std::io::Write as _;
    use std::process::Stdio;
    let root = scratch("stdin");
    let (data, files) = init(&root, &[]);
    let shares = paths(&files);
    let mut pasted = String::new();
    for f in &files[..2] {
        pasted.push_str(&fs::read_to_string(f).unwrap());
        pasted.push('\n');
    }
    // Two pasted shares and one share file make three.
    let mut child = Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args([
            "keys",
            "rotate",
            "--data-dir",
            &data,
            "--share-file",
            "-",
            "--share-file",
            "-",
            "--share-file",
            &shares[4],
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pasted.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let msg = stderr(&out);
    assert!(out.status.success(), "{msg}");
    assert!(
        msg.contains("3 of 3 needed") && msg.contains("version 2"),
        "{msg}"
    );
    for f in &files[..2] {
        let text = fs::read_to_string(f).unwrap();
        let data_line = text.lines().find(|l| l.starts_with("data: ")).unwrap();
        assert!(!msg.contains(&data_line[6..]), "a pasted share was echoed");
    }

    // Input that ends early fails and changes nothing.
    let before = snapshot(&root);
    let mut child = Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args([
            "keys",
            "rotate",
            "--data-dir",
            &data,
            "--share-file",
            "-",
            "--share-file",
            "-",
            "--share-file",
            "-",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first = fs::read_to_string(&files[0]).unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(first.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("ended before"), "{}", stderr(&out));
    assert!(
        snapshot(&root) == before,
        "a failed command changed something"
    );
}

#[test]
fn key_commands_are_audited_without_secrets() {
    let root = scratch("audited");
    let (data, files) = init(&root, &[]);
    let shares = paths(&files);
    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &shares[..3],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    // A refused rotate is not recorded as done.
    assert!(
        !faktura(&with_shares(
            &["keys", "rotate", "--data-dir", &data],
            &shares[..2]
        ))
        .status
        .success()
    );
    let new_dir = root.join("new");
    let out = faktura(&with_shares(
        &[
            "keys",
            "rekey",
            "--data-dir",
            &data,
            "--share-dir",
            new_dir.to_str().unwrap(),
        ],
        &shares[1..4],
    ));
    assert!(out.status.success(), "{}", stderr(&out));

    let db = Path::new(&data).join("faktura.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let entries = rt.block_on(async {
        let store = faktura_store::Store::open_sqlite(&db).await.unwrap();
        let n = store.audit_len().await.unwrap();
        let entries = store.audit_entries(0, n).await.unwrap();
        store.close().await;
        entries
    });
    let actions: Vec<&str> = entries.iter().map(|e| e.fields.action.as_str()).collect();
    assert_eq!(actions, ["keys.init", "keys.rotate", "keys.rekey"]);
    assert_eq!(entries[1].fields.target, "kek 2");
    let set_line = |f: &PathBuf| {
        fs::read_to_string(f)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .trim_start_matches("set: ")
            .to_owned()
    };
    assert_eq!(
        entries[0].fields.target,
        format!("share-set {}", set_line(&files[0]))
    );
    assert_eq!(
        entries[2].fields.target,
        format!("share-set {}", set_line(&share_files(&new_dir)[0]))
    );
    // No share data reaches the trail.
    for f in files.iter().chain(&share_files(&new_dir)) {
        let text = fs::read_to_string(f).unwrap();
        let data_line = text.lines().find(|l| l.starts_with("data: ")).unwrap();
        for e in &entries {
            let all = format!("{:?}", e.fields);
            assert!(!all.contains(&data_line[6..]));
        }
    }
}

/// The stored audit signing-key rows: (version, sealed seed).
fn signing_rows(db: &Path) -> Vec<(u32, Vec<u8>)> {
    key_material(db)
        .into_iter()
        .filter(|r| r.0 == "audit-signing")
        .map(|r| {
            let nl = r.4.iter().position(|&b| b == b'\n').unwrap();
            (r.1, r.4.get(nl + 1..).unwrap().to_vec())
        })
        .collect()
}

#[test]
fn init_creates_the_checkpoint_key_and_rotate_keeps_it_openable() {
    let root = scratch("signing-key");
    let (data, files) = init(&root, &[]);
    let shares = paths(&files);
    let db = Path::new(&data).join("faktura.db");
    let pubkey = Path::new(&data).join("audit-checkpoint.pub");
    let published = fs::read_to_string(&pubkey).expect("init writes the public key file");

    // Init stored the key sealed under KEK 1, in the same database as the KEK.
    let rows = signing_rows(&db);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, 1);
    assert_eq!(faktura_crypto::envelope_key_version(&rows[0].1).unwrap(), 1);

    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &shares[..3],
    ));
    assert!(out.status.success(), "{}", stderr(&out));

    // Rotation re-sealed it under KEK 2 (a new row; the old one stays).
    let rows = signing_rows(&db);
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 2],
        "{rows:?}"
    );
    assert_eq!(faktura_crypto::envelope_key_version(&rows[1].1).unwrap(), 2);
    // With only KEK 2 loaded the re-sealed key opens and the old one does not.
    let (root_key, keks) = root_from(&files[1..4], &db);
    let newest: Vec<_> = keks
        .into_iter()
        .filter(|k| k.version().get() == 2)
        .collect();
    let ring = faktura_crypto::Keyring::open(root_key, &newest).unwrap();
    let name = "audit-checkpoint-signing-key";
    let seed = ring.open_instance_secret(name, &rows[1].1).unwrap();
    assert_eq!(seed.expose_secret().len(), 32);
    assert!(ring.open_instance_secret(name, &rows[0].1).is_err());

    // A checkpoint after the rotation signs with the key made by init: no new
    // key is created, the public key file is unchanged and the trail verifies.
    let out = faktura(&with_shares(
        &["audit", "checkpoint", "--data-dir", &data],
        &shares[2..],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("created the audit checkpoint key"));
    assert_eq!(fs::read_to_string(&pubkey).unwrap(), published);
    let out = faktura(&["audit", "verify", "--data-dir", &data]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_rotation_that_fails_midway_stores_nothing() {
    let root = scratch("rotate-atomic");
    let (data, files) = init(&root, &[]);
    let db = Path::new(&data).join("faktura.db");
    let (root_key, keks) = root_from(&files[..3], &db);
    let ring = faktura_crypto::Keyring::open(root_key, &keks).unwrap();
    let wrapped = ring
        .create_data_key(
            &faktura_crypto::CompanyId::new("acme").unwrap(),
            faktura_crypto::Purpose::Records,
            &faktura_crypto::OsRng,
        )
        .unwrap();
    // Data key 1 of acme, plus a row that takes the identity the rotation's
    // new data key 2 will need (acme, records.v2, KEK 2): the rotation's third
    // row conflicts after its KEK and re-wrapped rows were inserted.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = faktura_store::Store::open_sqlite(&db).await.unwrap();
        for (version, purpose) in [(1, "records.v1"), (2, "records.v2")] {
            store
                .append_key_material(&faktura_store::NewKeyMaterial {
                    kind: faktura_store::KeyKind::new("dek").unwrap(),
                    version,
                    company_id: Some("acme".into()),
                    purpose: purpose.into(),
                    wrapped: wrapped.to_bytes(),
                    created_at: time::OffsetDateTime::UNIX_EPOCH,
                })
                .await
                .unwrap();
        }
        store.close().await;
    });
    let before = snapshot(&root);
    let out = faktura(&with_shares(
        &["keys", "rotate", "--data-dir", &data],
        &paths(&files[..3]),
    ));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("nothing was stored"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        snapshot(&root),
        before,
        "no KEK 2 or re-wrapped row is left behind"
    );
}
