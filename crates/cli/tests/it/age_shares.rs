//! Share files age-encrypted to custodians' recipients: `faktura init
//! --recipient age1…` (once per share), then `faktura keys rotate` and
//! `keys rekey` with the age share files and `--identity` files; wrong,
//! missing and mixed-up inputs are refused with errors that say what to do.
//!
//! Identities are made here as `age-keygen` makes them: 32 random bytes,
//! Bech32-encoded as `AGE-SECRET-KEY-1…`; the matching `age1…` recipient is
//! derived through faktura-crypto (which uses the age crate).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers may fail loudly"
)]

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use faktura_crypto::{AgeIdentities, OsRng, SecureRng as _};

fn faktura(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args(args)
        .output()
        .expect("run faktura")
}

fn faktura_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run faktura");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-age")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// BIP 173 Bech32 (the original checksum, which age uses).
fn bech32(hrp: &str, data: &[u8]) -> String {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    fn polymod(values: &[u8]) -> u32 {
        let mut chk = 1u32;
        for &v in values {
            let top = chk >> 25;
            chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
            for (i, g) in GEN.iter().enumerate() {
                if (top >> i) & 1 == 1 {
                    chk ^= g;
                }
            }
        }
        chk
    }
    // 8-bit bytes to 5-bit groups, zero-padded.
    let mut groups = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            groups.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        groups.push(((acc << (5 - bits)) & 31) as u8);
    }
    let mut values: Vec<u8> = hrp.bytes().map(|c| c >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|c| c & 31));
    values.extend(&groups);
    values.extend([0u8; 6]);
    let check = polymod(&values) ^ 1;
    let mut out = format!("{hrp}1");
    out.extend(groups.iter().map(|&g| char::from(CHARSET[usize::from(g)])));
    out.extend((0..6).map(|i| char::from(CHARSET[((check >> (5 * (5 - i))) & 31) as usize])));
    out
}

/// A new custodian key pair: writes the identity file (as `age-keygen` does) and returns its recipient.
fn keygen(path: &Path) -> String {
    let mut secret = [0u8; 32];
    OsRng.fill(&mut secret).unwrap();
    let identity = bech32("age-secret-key-", &secret).to_uppercase();
    let recipient = AgeIdentities::parse(&identity).unwrap().recipients()[0].to_string();
    fs::write(
        path,
        format!("# created: by the test\n# public key: {recipient}\n{identity}\n"),
    )
    .unwrap();
    recipient
}

fn age_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn bech32_matches_the_bip173_vectors() {
    // BIP 173 valid test vector: "a12uel5l" is hrp "a" with no data.
    assert_eq!(bech32("a", &[]), "a12uel5l");
}

#[test]
fn init_to_recipients_then_rotate_and_rekey_with_identities() {
    let root = scratch("round-trip");
    let ids: Vec<PathBuf> = (1..=4)
        .map(|i| root.join(format!("custodian-{i}.key")))
        .collect();
    let recipients: Vec<String> = ids.iter().map(|p| keygen(p)).collect();
    let data = root.join("data");
    let shares = root.join("shares");
    let out = faktura(&[
        "init",
        "--data-dir",
        s(&data),
        "--share-dir",
        s(&shares),
        "--shares",
        "3",
        "--threshold",
        "2",
        "--recipient",
        &recipients[0],
        "--recipient",
        &recipients[1],
        "--recipient",
        &recipients[2],
    ]);
    assert!(out.status.success(), "init failed: {}", stderr(&out));
    let files = age_files(&shares);
    assert_eq!(files.len(), 3);
    for f in &files {
        assert!(
            f.to_str().unwrap().ends_with(".txt.age"),
            "the name says it is age-encrypted: {}",
            f.display()
        );
        let text = fs::read_to_string(f).unwrap();
        assert!(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(!text.contains("faktura-share"), "nothing in the clear");
    }

    // Two custodians' files with their two identity files: rotation works.
    let ok = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&files[0]),
        "--share-file",
        s(&files[2]),
        "--identity",
        s(&ids[0]),
        "--identity",
        s(&ids[2]),
    ]);
    assert!(ok.status.success(), "rotate failed: {}", stderr(&ok));
    assert!(
        stderr(&ok).contains("Share accepted: 2 of 2"),
        "{}",
        stderr(&ok)
    );

    // One identity file may hold several custodians' keys, as with `age -i`.
    let both = root.join("both.key");
    fs::write(
        &both,
        format!(
            "{}{}",
            fs::read_to_string(&ids[0]).unwrap(),
            fs::read_to_string(&ids[1]).unwrap()
        ),
    )
    .unwrap();
    let ok = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&files[0]),
        "--share-file",
        s(&files[1]),
        "--identity",
        s(&both),
    ]);
    assert!(ok.status.success(), "rotate failed: {}", stderr(&ok));

    // A pasted armoured share on standard input works too.
    let ok = faktura_with_stdin(
        &[
            "keys",
            "rotate",
            "--data-dir",
            s(&data),
            "--share-file",
            "-",
            "--share-file",
            s(&files[2]),
            "--identity",
            s(&both),
            "--identity",
            s(&ids[2]),
        ],
        &fs::read(&files[1]).unwrap(),
    );
    assert!(
        ok.status.success(),
        "rotate from stdin failed: {}",
        stderr(&ok)
    );

    // The wrong identity: a clear error, nothing rotated.
    let wrong = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&files[0]),
        "--share-file",
        s(&files[1]),
        "--identity",
        s(&ids[3]),
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    let err = stderr(&wrong);
    assert!(err.contains(s(&files[0])), "names the file: {err}");
    assert!(
        err.contains("none of the given age identities can decrypt it"),
        "says why: {err}"
    );
    assert!(err.contains("identity file"), "says what to give: {err}");

    // Right for one file, wrong for the other.
    let half = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&files[0]),
        "--share-file",
        s(&files[1]),
        "--identity",
        s(&ids[0]),
    ]);
    assert!(!half.status.success());
    assert!(stderr(&half).contains(s(&files[1])), "{}", stderr(&half));

    // No identity at all.
    let none = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&files[0]),
        "--share-file",
        s(&files[1]),
    ]);
    assert!(!none.status.success());
    assert!(
        stderr(&none)
            .contains("is age-encrypted: give its custodian's age identity file with --identity"),
        "{}",
        stderr(&none)
    );

    // A damaged identity file.
    let bad_id = root.join("bad.key");
    fs::write(&bad_id, "AGE-SECRET-KEY-1NOTAKEY\n").unwrap();
    let bad = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&files[0]),
        "--share-file",
        s(&files[1]),
        "--identity",
        s(&bad_id),
    ]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("malformed age identity file"),
        "{}",
        stderr(&bad)
    );

    // Rekey to new recipients (custodians 2, 3, 4), then only the new files unseal.
    let new_shares = root.join("new-shares");
    let rekey = faktura(&[
        "keys",
        "rekey",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&files[0]),
        "--share-file",
        s(&files[1]),
        "--identity",
        s(&both),
        "--share-dir",
        s(&new_shares),
        "--shares",
        "3",
        "--threshold",
        "2",
        "--recipient",
        &recipients[1],
        "--recipient",
        &recipients[2],
        "--recipient",
        &recipients[3],
    ]);
    assert!(rekey.status.success(), "rekey failed: {}", stderr(&rekey));
    let new_files = age_files(&new_shares);
    assert_eq!(new_files.len(), 3);
    let ok = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&new_files[1]),
        "--share-file",
        s(&new_files[2]),
        "--identity",
        s(&ids[2]),
        "--identity",
        s(&ids[3]),
    ]);
    assert!(
        ok.status.success(),
        "rotate after rekey failed: {}",
        stderr(&ok)
    );
    let old = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&files[0]),
        "--share-file",
        s(&files[1]),
        "--identity",
        s(&both),
    ]);
    assert!(!old.status.success(), "old shares no longer unseal");
}

#[test]
fn wrong_mixes_are_refused_before_anything_is_made() {
    let root = scratch("mixes");
    let ids: Vec<PathBuf> = (1..=3).map(|i| root.join(format!("c{i}.key"))).collect();
    let r: Vec<String> = ids.iter().map(|p| keygen(p)).collect();
    let pass = root.join("pass.txt");
    fs::write(&pass, "a long enough passphrase\n").unwrap();
    let data = root.join("data");
    let shares = root.join("shares");
    let base = [
        "init",
        "--data-dir",
        s(&data),
        "--share-dir",
        s(&shares),
        "--shares",
        "3",
        "--threshold",
        "2",
    ];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--recipient", &r[0], "--recipient", &r[1]],
            "2 --recipient(s) given for 3 shares",
        ),
        (
            vec![
                "--recipient",
                &r[0],
                "--recipient",
                &r[1],
                "--recipient",
                &r[0],
            ],
            "--recipient number 3 repeats number 1",
        ),
        (
            vec![
                "--recipient",
                &r[0],
                "--recipient",
                &r[1],
                "--recipient",
                "age1notarecipient",
            ],
            "malformed age recipient",
        ),
        (
            vec![
                "--recipient",
                &r[0],
                "--recipient",
                &r[1],
                "--recipient",
                &r[2],
                "--passphrase-file",
                s(&pass),
                "--passphrase-file",
                s(&pass),
                "--passphrase-file",
                s(&pass),
            ],
            "--passphrase-file and --recipient were both given",
        ),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let out = faktura(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{extra:?}: {}",
            stderr(&out)
        );
        assert!(
            !data.exists() && !shares.exists(),
            "{extra:?} made something"
        );
    }

    // An identity with plain share files is a mix-up too.
    let out = faktura(&[
        "init",
        "--data-dir",
        s(&data),
        "--share-dir",
        s(&shares),
        "--shares",
        "3",
        "--threshold",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plain = age_files(&shares);
    let out = faktura(&[
        "keys",
        "rotate",
        "--data-dir",
        s(&data),
        "--share-file",
        s(&plain[0]),
        "--share-file",
        s(&plain[1]),
        "--identity",
        s(&ids[0]),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--identity was given but none of the share files is age-encrypted"),
        "{}",
        stderr(&out)
    );
}
