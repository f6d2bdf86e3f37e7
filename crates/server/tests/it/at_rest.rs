//! Encryption at rest (SECURITY-MODEL §2, SECURITY-TESTS C04): names and
//! e-mail addresses created through the API never reach the database files
//! in a readable form.
//!
//! Unique marker strings go in as company names, e-mail addresses (owner,
//! invitees) and custom role names; then the raw bytes at rest are searched
//! for each marker as UTF-8, as hex (both cases) and as base64 (standard and
//! URL-safe, at every alignment): on SQLite every file of the data directory
//! (database, `-wal`, `-shm`, …); on PostgreSQL a `pg_dump --data-only` of
//! the test's schema and, when the cluster's files are reachable, the
//! database's heap files and the WAL after a `CHECKPOINT`. A control writes a
//! marker in the clear into a scratch file and requires the same search to
//! find it, so the search itself can fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use faktura_crypto::{OsRng, SecureRng as _};
use faktura_testkit::files_under;
use faktura_testkit::{Session, TEST_PASSWORD, TestServer};
use serde_json::{Value, json};

use crate::postgres::pg_base_url;

/// A fresh lower-case marker: `mk<what><random hex>`.
fn marker(what: &str) -> String {
    let mut bytes = [0_u8; 10];
    OsRng.fill(&mut bytes).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("mk{what}{hex}")
}

/// Every byte pattern under which `marker` could sit at rest unencrypted.
fn encodings(marker: &str) -> Vec<(String, Vec<u8>)> {
    let raw = marker.as_bytes();
    let mut out = vec![
        ("utf-8".to_owned(), raw.to_vec()),
        (
            "hex".to_owned(),
            raw.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "HEX".to_owned(),
            raw.iter()
                .map(|b| format!("{b:02X}"))
                .collect::<String>()
                .into_bytes(),
        ),
    ];
    // Base64 depends on where the value starts modulo 3: encode behind 0, 1
    // and 2 filler bytes and keep only the characters that depend on the
    // marker's bytes alone (whole 4-character groups).
    for (name, engine) in [
        ("base64", base64::engine::general_purpose::STANDARD_NO_PAD),
        (
            "base64url",
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ),
    ] {
        for shift in 0..3_usize {
            let mut input = vec![0_u8; shift];
            input.extend_from_slice(raw);
            let text = engine.encode(&input);
            let skip = if shift == 0 { 0 } else { 4 };
            let whole = (input.len() / 3) * 4;
            let core = text.get(skip..whole).unwrap().as_bytes().to_vec();
            assert!(core.len() >= 16, "marker long enough to be unique");
            out.push((format!("{name}+{shift}"), core));
        }
    }
    out
}

/// Where each pattern occurs: `(marker, encoding, file)` for every hit.
fn search(files: &[PathBuf], markers: &[String]) -> Vec<(String, String, PathBuf)> {
    let patterns: Vec<(String, String, Vec<u8>)> = markers
        .iter()
        .flat_map(|m| {
            encodings(m)
                .into_iter()
                .map(|(enc, bytes)| (m.clone(), enc, bytes))
        })
        .collect();
    // Index patterns by their first two bytes, then scan each file once.
    let mut by_prefix: Vec<Vec<usize>> = vec![Vec::new(); 1 << 16];
    for (i, (_, _, p)) in patterns.iter().enumerate() {
        by_prefix[usize::from(p[0]) << 8 | usize::from(p[1])].push(i);
    }
    let mut hits = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(file) else {
            // A file that vanished between listing and reading (a WAL
            // segment recycled) holds nothing to find.
            continue;
        };
        let mut found = vec![false; patterns.len()];
        for i in 0..bytes.len().saturating_sub(1) {
            let key = usize::from(bytes[i]) << 8 | usize::from(bytes[i + 1]);
            for &p in &by_prefix[key] {
                if !found[p] && bytes[i..].starts_with(&patterns[p].2) {
                    found[p] = true;
                }
            }
        }
        for (p, hit) in found.into_iter().enumerate() {
            if hit {
                hits.push((patterns[p].0.clone(), patterns[p].1.clone(), file.clone()));
            }
        }
    }
    hits
}

/// The search finds a marker written in the clear, in every encoding, and
/// nothing in a file without it: the evidence below can fail.
#[test]
fn the_search_finds_a_marker_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let m = marker("control");
    let other = marker("absent");
    for (i, (enc, bytes)) in encodings(&m).into_iter().enumerate() {
        let mut content = b"noise before \x00\x01".to_vec();
        // Base64 patterns are found inside a longer encoded value too.
        if enc.starts_with("base64") {
            let shift: usize = enc.rsplit('+').next().unwrap().parse().unwrap();
            let mut input = vec![b'x'; shift];
            input.extend_from_slice(m.as_bytes());
            input.extend_from_slice(b" tail");
            let engine = if enc.starts_with("base64url") {
                base64::engine::general_purpose::URL_SAFE
            } else {
                base64::engine::general_purpose::STANDARD
            };
            content.extend_from_slice(engine.encode(&input).as_bytes());
        } else {
            content.extend_from_slice(&bytes);
        }
        content.extend_from_slice(b"\x00 noise after");
        std::fs::write(dir.path().join(format!("scratch{i}")), content).unwrap();
    }
    let files = files_under(dir.path());
    let hits = search(&files, &[m.clone(), other]);
    let encodings_found: std::collections::BTreeSet<_> =
        hits.iter().map(|(_, e, _)| e.clone()).collect();
    assert_eq!(encodings_found.len(), encodings(&m).len(), "{hits:?}");
    assert!(hits.iter().all(|(mk, _, _)| *mk == m), "{hits:?}");
}

/// What the audit trail stores in the clear (an action name): the search
/// must find it in the very files that must not hold a marker, which shows
/// that those files hold the data and that the search reads them.
const CLEAR_CONTROL: &str = "company.create";

/// Asserts that `files` hold the clear control text in UTF-8.
fn assert_control_found(files: &[PathBuf], what: &str) {
    let hits = search(files, &[CLEAR_CONTROL.to_owned()]);
    assert!(
        hits.iter().any(|(_, enc, _)| enc == "utf-8"),
        "{what}: the clear control `{CLEAR_CONTROL}` was not found, so this search proves nothing"
    );
}

/// Creates data carrying fresh markers through the API; returns the markers.
async fn create_marked_data(server: &TestServer) -> Vec<String> {
    let owner_email = format!("{}@example.com", marker("owner"));
    let company = marker("company");
    let owner: Session = server.setup_owner(&owner_email, &company).await.unwrap();
    let mut markers = vec![owner_email.clone(), company];

    let second = marker("second");
    let created = owner
        .post("/api/v1/companies")
        .json(&json!({"name": second}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    markers.push(second);

    let renamed = marker("renamed");
    let r = owner
        .patch("/api/v1/company")
        .json(&json!({"name": renamed}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    markers.push(renamed);

    // Custom roles and invitations, where this build has them.
    let role_name = marker("role");
    let role = owner
        .post("/api/v1/roles")
        .json(&json!({"name": role_name, "permissions": ["invoice.read"]}))
        .send()
        .await
        .unwrap();
    let role_status = role.status();
    let mut invite_role = "viewer".to_owned();
    if role_status == 201 {
        let body: Value = role.json().await.unwrap();
        if let Some(id) = body["id"].as_str() {
            invite_role = id.to_owned();
        }
        markers.push(role_name);
    }
    let invitee = format!("{}@example.org", marker("invitee"));
    let invitation = owner
        .post("/api/v1/invitations")
        .json(&json!({"email": invitee, "role": invite_role}))
        .send()
        .await
        .unwrap();
    let invitation_status = invitation.status();
    if invitation_status == 201 {
        markers.push(invitee.clone());
        let body: Value = invitation.json().await.unwrap();
        if let Some(token) = body["token"].as_str() {
            let accepted = server
                .client
                .post(server.url("/api/v1/invitations/accept"))
                .json(&json!({"token": token, "password": TEST_PASSWORD}))
                .send()
                .await
                .unwrap();
            eprintln!("invitation accepted: {}", accepted.status());
        }
    }
    // A sign-in by the owner: sessions and throttles are stored too.
    server.sign_in(&owner_email, TEST_PASSWORD).await.unwrap();
    eprintln!(
        "at-rest markers: {} (custom role: {role_status}, invitation: {invitation_status})",
        markers.len()
    );
    markers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_marker_is_readable_in_the_sqlite_files() {
    let server = TestServer::builder()
        .dev()
        .auth(|a| a.default_tier = "enterprise".into())
        .start()
        .await
        .unwrap();
    let markers = create_marked_data(&server).await;
    let files = files_under(server.data.path());
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert!(names.iter().any(|n| n == "faktura.db"), "{names:?}");
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    assert_control_found(&files, "sqlite files");
    let hits = search(&files, &markers);
    eprintln!(
        "sqlite at rest: {} markers x {} encodings over {} files ({bytes} bytes: {names:?}): {} hits",
        markers.len(),
        encodings(&markers[0]).len(),
        files.len(),
        hits.len()
    );
    assert!(hits.is_empty(), "readable at rest: {hits:?}");
}

/// A PostgreSQL client program (`pg_dump`, `psql`): on PATH or in Debian's
/// versioned directory.
fn pg_program(name: &str) -> PathBuf {
    let mut versioned: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.flatten()
                .map(|e| e.path().join("bin").join(name))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default();
    versioned.sort();
    versioned.pop().unwrap_or_else(|| PathBuf::from(name))
}

fn run(program: &Path, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): install the PostgreSQL client programs (Debian: postgresql-client)",
                program.display()
            )
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_marker_is_readable_in_postgres() {
    let Some(base) = pg_base_url("no_marker_is_readable_in_postgres") else {
        return;
    };
    let server = TestServer::builder()
        .dev()
        .auth(|a| a.default_tier = "enterprise".into())
        .postgres(&base)
        .start()
        .await
        .unwrap();
    let pg = server.postgres.clone().unwrap();
    let markers = create_marked_data(&server).await;
    let scratch = tempfile::tempdir().unwrap();

    // 1. The logical dump of the test's schema.
    let dump = scratch.path().join("dump.sql");
    let schema_arg = format!("--schema={}", pg.schema);
    let file_arg = format!("--file={}", dump.display());
    let out = run(
        &pg_program("pg_dump"),
        &["--data-only", &schema_arg, &file_arg, &base],
    );
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump_text = std::fs::read_to_string(&dump).unwrap();
    // The dump holds the rows (so a readable marker would be in it).
    assert!(dump_text.contains("COPY"), "empty dump");
    assert!(
        dump_text.contains(&format!("{}.company", pg.schema)),
        "the company table's rows are in the dump"
    );
    assert_control_found(std::slice::from_ref(&dump), "pg_dump");
    let hits = search(std::slice::from_ref(&dump), &markers);
    eprintln!(
        "postgres dump: {} markers over {} bytes: {} hits",
        markers.len(),
        dump_text.len(),
        hits.len()
    );
    assert!(hits.is_empty(), "readable in pg_dump: {hits:?}");

    // 2. The cluster's own files, when this process can read them.
    let psql = pg_program("psql");
    let out = run(
        &psql,
        &[
            "-At",
            "-c",
            "CHECKPOINT",
            "-c",
            "SELECT current_setting('data_directory') || '|' || oid FROM pg_database WHERE datname = current_database()",
            &base,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text.lines().find(|l| l.contains('|'));
    let Some((data_dir, oid)) = line.and_then(|l| l.split_once('|')) else {
        eprintln!(
            "NOTICE: the cluster's files were not searched (no superuser access: {})",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    };
    let data_dir = PathBuf::from(data_dir);
    if !data_dir.is_dir() {
        eprintln!(
            "NOTICE: the cluster's files were not searched ({} is not reachable from here)",
            data_dir.display()
        );
        return;
    }
    let mut files = files_under(&data_dir.join("base").join(oid.trim()));
    files.extend(files_under(&data_dir.join("pg_wal")));
    assert!(!files.is_empty(), "no heap or WAL files found");
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    assert_control_found(&files, "heap and WAL files");
    let hits = search(&files, &markers);
    eprintln!(
        "postgres heap + WAL: {} files, {bytes} bytes: {} hits",
        files.len(),
        hits.len()
    );
    assert!(hits.is_empty(), "readable in the cluster's files: {hits:?}");
}
