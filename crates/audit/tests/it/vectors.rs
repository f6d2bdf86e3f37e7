//! The public vectors in shared/vectors: RFC 9162 roots, transparency-dev proof probes,
//! Wycheproof Ed25519 through the checkpoint verifier.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use faktura_audit::merkle::{leaf_hash, root, verify_consistency_bytes, verify_inclusion_bytes};
use faktura_audit::{CheckpointVerifier, Hash};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("FAKTURA_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    );
    let dir = dir.join("vectors");
    assert!(
        dir.is_dir(),
        "shared vectors not found at {} (set FAKTURA_SHARED)",
        dir.display()
    );
    dir
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A base64 field as bytes; `None` when absent, null or not base64.
fn b64_field(v: &Value) -> Option<Vec<u8>> {
    B64.decode(v.as_str()?).ok()
}

fn proof_field(v: &Value) -> Option<Vec<Vec<u8>>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(items) => items.iter().map(b64_field).collect(),
        _ => None,
    }
}

fn probe_files(kind: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for f in std::fs::read_dir(dir).unwrap() {
            let f = f.unwrap().path();
            if f.is_dir() {
                walk(&f, out);
            } else if f.extension().is_some_and(|e| e == "json") {
                out.push(f);
            }
        }
    }
    let mut out = Vec::new();
    walk(&vectors_dir().join("merkle").join(kind), &mut out);
    out.sort();
    out
}

#[test]
fn reference_tree_roots_for_every_size() {
    let v = json(&vectors_dir().join("merkle/reference-tree.json"));
    let leaves: Vec<Hash> = v["leaf_inputs_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| leaf_hash(&hex(l.as_str().unwrap())))
        .collect();
    let roots = v["root_hash_by_size_hex"].as_array().unwrap();
    assert_eq!(roots.len(), 9);
    for (size, want) in roots.iter().enumerate() {
        assert_eq!(
            root(&leaves[..size]).to_vec(),
            hex(want.as_str().unwrap()),
            "size {size}"
        );
    }
}

#[test]
fn every_inclusion_probe_gives_its_want_err() {
    let files = probe_files("inclusion");
    let (mut ok, mut err) = (0, 0);
    for f in &files {
        let p = json(f);
        let want_err = p["wantErr"].as_bool().unwrap();
        let verdict = (|| {
            let idx = p["leafIdx"].as_i64()?;
            let size = p["treeSize"].as_i64()?;
            let idx = u64::try_from(idx).ok()?;
            let size = u64::try_from(size).ok()?;
            let leaf = b64_field(&p["leafHash"])?;
            let rt = b64_field(&p["root"])?;
            let proof = proof_field(&p["proof"])?;
            verify_inclusion_bytes(idx, size, &leaf, &proof, &rt).ok()
        })();
        assert_eq!(verdict.is_none(), want_err, "{}", f.display());
        if want_err { err += 1 } else { ok += 1 }
    }
    println!(
        "inclusion probes: {} files, {ok} valid, {err} must-fail, all verdicts as expected",
        files.len()
    );
    assert!(
        files.len() >= 98,
        "expected at least 98 inclusion probes, found {}",
        files.len()
    );
}

#[test]
fn every_consistency_probe_gives_its_want_err() {
    let files = probe_files("consistency");
    let (mut ok, mut err) = (0, 0);
    for f in &files {
        let p = json(f);
        let want_err = p["wantErr"].as_bool().unwrap();
        let verdict = (|| {
            let s1 = u64::try_from(p["size1"].as_i64()?).ok()?;
            let s2 = u64::try_from(p["size2"].as_i64()?).ok()?;
            let r1 = b64_field(&p["root1"])?;
            let r2 = b64_field(&p["root2"])?;
            let proof = proof_field(&p["proof"])?;
            verify_consistency_bytes(s1, s2, &r1, &r2, &proof).ok()
        })();
        assert_eq!(verdict.is_none(), want_err, "{}", f.display());
        if want_err { err += 1 } else { ok += 1 }
    }
    println!(
        "consistency probes: {} files, {ok} valid, {err} must-fail, all verdicts as expected",
        files.len()
    );
    assert!(
        files.len() >= 98,
        "expected at least 98 consistency probes, found {}",
        files.len()
    );
}

#[test]
fn wycheproof_ed25519_through_the_checkpoint_verifier() {
    let v = json(&vectors_dir().join("wycheproof/ed25519_test.json"));
    let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
    for group in v["testGroups"].as_array().unwrap() {
        let pk = hex(group["publicKey"]["pk"].as_str().unwrap());
        let key = <[u8; 32]>::try_from(pk.as_slice())
            .ok()
            .and_then(|pk| CheckpointVerifier::from_public_bytes("wycheproof", &pk).ok());
        for t in group["tests"].as_array().unwrap() {
            let msg = hex(t["msg"].as_str().unwrap());
            let sig = hex(t["sig"].as_str().unwrap());
            let accepted = key
                .as_ref()
                .is_some_and(|k| k.verify_raw(&msg, &sig).is_ok());
            match t["result"].as_str().unwrap() {
                "valid" => {
                    assert!(accepted, "tcId {} must verify", t["tcId"]);
                    valid += 1;
                }
                "invalid" => {
                    assert!(!accepted, "tcId {} must be refused", t["tcId"]);
                    invalid += 1;
                }
                _ => acceptable += 1,
            }
        }
    }
    println!(
        "wycheproof ed25519: {valid} valid accepted, {invalid} invalid refused, {acceptable} acceptable (either)"
    );
    assert!(valid + invalid > 100);
}
