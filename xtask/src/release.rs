//! `cargo xtask release`: the release `faktura` binary, built with
//! cargo-auditable so that the exact crate list travels inside the binary (a
//! zlib-compressed JSON `.dep-v0` ELF section) and can be checked against
//! advisories after the fact (`cargo audit bin`). After the build, the
//! embedded list is read back and compared with Cargo.lock.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cargo::{self, run_inherit};
use crate::error::{Error, Result};
use crate::sbom::{self, Crate};

/// The section cargo-auditable adds to the binary.
const AUDIT_SECTION: &[u8] = b".dep-v0";

/// Upper bound for the decompressed list (a few KiB in practice).
const MAX_LIST_BYTES: usize = 8 << 20;

/// Builds `target/release/faktura` with cargo-auditable, then checks that the
/// embedded dependency list names every crate the binary is built from.
pub(crate) fn run() -> Result<()> {
    let meta = cargo::metadata_resolved()?;
    let mut cmd = cargo::cargo();
    cmd.args([
        "auditable",
        "build",
        "--release",
        "--locked",
        "-p",
        "faktura-cli",
        "--bin",
        "faktura",
    ]);
    run_inherit(&mut cmd).map_err(|e| match e {
        Error::CommandFailed {
            command, status, ..
        } => Error::CommandFailed {
            command,
            status,
            stderr: "if cargo said `no such command: auditable`, install it with \
                     `cargo install --locked cargo-auditable` (or run .ci/run, which installs it \
                     into its tool cache) and put its bin directory on PATH"
                .into(),
        },
        other => other,
    })?;
    let binary = meta.target_directory.join("release").join("faktura");
    let bytes = std::fs::read(&binary).map_err(|source| Error::Io {
        path: binary.clone(),
        source,
    })?;
    let fail = |problems| Error::CheckFailed {
        gate: "auditable release",
        problems,
    };
    let embedded =
        embedded_list(&bytes).map_err(|why| fail(vec![format!("{}: {why}", binary.display())]))?;
    let expected = sbom::binary_crates(&meta)?;
    let problems = compare(&embedded, &expected);
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    println!(
        "release: ok: {} ({} bytes) embeds its dependency list ({} crates, matching Cargo.lock)",
        binary.display(),
        bytes.len(),
        expected.len()
    );
    Ok(())
}

/// The dependency list format written by cargo-auditable (the fields we read).
#[derive(Debug, Deserialize)]
struct AuditList {
    packages: Vec<AuditPackage>,
}

/// One package of the embedded list.
#[derive(Debug, Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    /// `build` for build-time only crates (build scripts, proc macros); absent for runtime.
    #[serde(default)]
    kind: Option<String>,
    /// Set on the binary's own package.
    #[serde(default)]
    root: bool,
}

/// Finds, inflates and parses the `.dep-v0` section of an ELF binary.
fn embedded_list(elf: &[u8]) -> Result<AuditList, String> {
    let section = elf_section(elf, AUDIT_SECTION)
        .ok_or("no `.dep-v0` section: the binary was not built by cargo-auditable")?;
    let json = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(section, MAX_LIST_BYTES)
        .map_err(|e| format!("the `.dep-v0` section does not inflate: {e:?}"))?;
    serde_json::from_slice(&json).map_err(|e| format!("the `.dep-v0` list is not valid JSON: {e}"))
}

/// Every crate of the binary missing from the embedded list or embedded with
/// another version; and anything embedded as a runtime crate that should not be.
fn compare(list: &AuditList, expected: &BTreeMap<String, Crate>) -> Vec<String> {
    let embedded: BTreeMap<String, &AuditPackage> = list
        .packages
        .iter()
        .filter(|p| !p.root)
        .map(|p| (format!("{}@{}", p.name, p.version), p))
        .collect();
    let mut problems: Vec<String> = expected
        .keys()
        .filter(|k| !embedded.contains_key(*k))
        .map(|k| format!("{k} is built into the binary (Cargo.lock) but not in its embedded list"))
        .collect();
    problems.extend(
        embedded
            .iter()
            .filter(|(k, p)| !expected.contains_key(*k) && p.kind.as_deref() != Some("build"))
            .map(|(k, _)| format!("{k} is embedded as a runtime crate but Cargo.lock does not build it into the binary")),
    );
    problems
}

/// The contents of the named section of a 64-bit little-endian ELF file, with
/// every offset checked against the file size.
fn elf_section<'a>(elf: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    if elf.get(0..4)? != b"\x7fELF" || *elf.get(4)? != 2 || *elf.get(5)? != 1 {
        return None; // not ELF, not 64-bit, or not little-endian
    }
    let shoff = usize::try_from(read_u64(elf, 0x28)?).ok()?;
    let shentsize = usize::from(read_u16(elf, 0x3A)?);
    let shnum = usize::from(read_u16(elf, 0x3C)?);
    let shstrndx = usize::from(read_u16(elf, 0x3E)?);
    let header = |i: usize| -> Option<(usize, &'a [u8])> {
        let at = shoff.checked_add(i.checked_mul(shentsize)?)?;
        let name_off = usize::try_from(read_u32(elf, at)?).ok()?;
        let off = usize::try_from(read_u64(elf, at.checked_add(24)?)?).ok()?;
        let size = usize::try_from(read_u64(elf, at.checked_add(32)?)?).ok()?;
        Some((name_off, elf.get(off..off.checked_add(size)?)?))
    };
    let (_, names) = header(shstrndx)?;
    (0..shnum).find_map(|i| {
        let (name_off, data) = header(i)?;
        let rest = names.get(name_off..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        (rest.get(..end)? == name).then_some(data)
    })
}

fn read_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 file: header, three sections (null, .shstrtab, `name`).
    fn tiny_elf(name: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut strtab = b"\0.shstrtab\0".to_vec();
        let name_off = strtab.len() as u32;
        strtab.extend_from_slice(name);
        strtab.push(0);
        let mut out = vec![0u8; 64];
        out[0..4].copy_from_slice(b"\x7fELF");
        out[4] = 2;
        out[5] = 1;
        let strtab_off = out.len() as u64;
        out.extend_from_slice(&strtab);
        let payload_off = out.len() as u64;
        out.extend_from_slice(payload);
        let shoff = out.len() as u64;
        let mut sh = |name: u32, off: u64, size: u64| {
            let mut h = vec![0u8; 64];
            h[0..4].copy_from_slice(&name.to_le_bytes());
            h[24..32].copy_from_slice(&off.to_le_bytes());
            h[32..40].copy_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&h);
        };
        sh(0, 0, 0);
        sh(1, strtab_off, strtab.len() as u64);
        sh(name_off, payload_off, payload.len() as u64);
        out[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        out[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
        out[0x3C..0x3E].copy_from_slice(&3u16.to_le_bytes());
        out[0x3E..0x40].copy_from_slice(&1u16.to_le_bytes());
        out
    }

    fn expected(names: &[(&str, &str)]) -> BTreeMap<String, Crate> {
        names
            .iter()
            .map(|(n, v)| {
                let c = Crate {
                    name: (*n).into(),
                    version: (*v).into(),
                    licences: Default::default(),
                };
                (format!("{n}@{v}"), c)
            })
            .collect()
    }

    const LIST: &str = r#"{"format": 1, "packages": [
        {"name": "faktura-cli", "version": "0.1.0", "source": "local", "root": true},
        {"name": "clap", "version": "4.6.9", "source": "crates.io"},
        {"name": "syn", "version": "2.0.0", "source": "crates.io", "kind": "build"}]}"#;

    #[test]
    fn reads_the_embedded_list_back_from_an_elf_file() {
        let z = miniz_oxide::deflate::compress_to_vec_zlib(LIST.as_bytes(), 6);
        let elf = tiny_elf(AUDIT_SECTION, &z);
        let list = embedded_list(&elf).unwrap();
        assert_eq!(list.packages.len(), 3);
        let want = expected(&[("clap", "4.6.9"), ("syn", "2.0.0")]);
        assert!(compare(&list, &want).is_empty());
        // Build-only crates may be listed beyond what the binary links.
        assert!(compare(&list, &expected(&[("clap", "4.6.9")])).is_empty());
    }

    #[test]
    fn missing_section_truncation_and_garbage_are_errors_not_panics() {
        let z = miniz_oxide::deflate::compress_to_vec_zlib(LIST.as_bytes(), 6);
        let elf = tiny_elf(b".dep-v1", &z);
        assert!(
            embedded_list(&elf)
                .unwrap_err()
                .contains("no `.dep-v0` section")
        );
        let good = tiny_elf(AUDIT_SECTION, &z);
        for cut in [0, 3, 40, 64, good.len() / 2, good.len() - 1] {
            let _ = embedded_list(&good[..cut]); // must not panic
        }
        let elf = tiny_elf(AUDIT_SECTION, b"not zlib");
        assert!(
            embedded_list(&elf)
                .unwrap_err()
                .contains("does not inflate")
        );
    }

    #[test]
    fn a_crate_missing_or_at_another_version_is_reported() {
        let z = miniz_oxide::deflate::compress_to_vec_zlib(LIST.as_bytes(), 6);
        let list = embedded_list(&tiny_elf(AUDIT_SECTION, &z)).unwrap();
        let problems = compare(&list, &expected(&[("clap", "4.6.8"), ("regex", "1.0.0")]));
        let all = problems.join("\n");
        assert!(all.contains("clap@4.6.8 is built into the binary"), "{all}");
        assert!(
            all.contains("regex@1.0.0 is built into the binary"),
            "{all}"
        );
        assert!(
            all.contains("clap@4.6.9 is embedded as a runtime crate"),
            "{all}"
        );
        assert_eq!(problems.len(), 3, "{all}");
    }
}
