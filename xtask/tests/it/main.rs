//! Runs `cargo xtask deps` on the real workspace, so that `.ci/test` alone
//! catches an unapproved or stale dependency and a layering breach.

use std::process::Command;

#[test]
fn every_direct_dependency_is_approved_and_layering_holds() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("deps")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("xtask runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "dependency approval / layering check failed (gate: deps):\n{stderr}{stdout}"
    );
    assert!(stdout.contains("all approved"), "{stdout}");
}

#[test]
fn unknown_command_is_a_usage_error_with_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("frobnicate")
        .output()
        .expect("xtask runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown command `frobnicate`"), "{stderr}");
    assert!(stderr.contains("usage: cargo xtask"), "{stderr}");
}
