//! The README's API walkthrough, run as it stands: the shell block between
//! the `walkthrough` markers goes to bash against a fresh `faktura serve --dev`
//! started the README's way (in a directory of its own, default data
//! directory `faktura-data`), with only the port changed.
#![expect(clippy::unwrap_used, reason = "test helpers may fail loudly")]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn walkthrough() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("<!-- walkthrough:start -->").unwrap();
    let end = readme.find("<!-- walkthrough:end -->").unwrap();
    let block = readme.get(start..end).unwrap();
    let code_start = block.find("```sh\n").unwrap() + "```sh\n".len();
    let code_end = block.rfind("```").unwrap();
    block.get(code_start..code_end).unwrap().to_owned()
}

#[test]
fn the_readme_api_walkthrough_runs_as_written() {
    if Command::new("jq").arg("--version").output().is_err() {
        assert!(
            std::env::var("FAKTURA_REQUIRE_JQ").as_deref() != Ok("1"),
            "jq is required (apt-get install jq)"
        );
        eprintln!("SKIPPED: the README walkthrough needs jq and curl");
        return;
    }
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("readme-walkthrough");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_faktura"))
            .args(["serve", "--dev", "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("serve.log")).unwrap(),
            ))
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join("faktura-data/setup-token.txt").is_file()
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    {
        assert!(Instant::now() < deadline, "the dev server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    let script = format!(
        "set -euo pipefail\n{}",
        walkthrough().replace("localhost:8443", &format!("localhost:{port}"))
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "walkthrough failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    // What the README says each step prints.
    assert!(stdout.contains("\"company_id\":\"com_"), "{stdout}");
    assert!(stdout.contains("\"name\":\"Muster GmbH\""), "{stdout}");
    assert!(stdout.contains("clerk@example.com accountant"), "{stdout}");
    assert!(stdout.contains("owner@example.com owner"), "{stdout}");
    assert!(
        stdout.contains("apikey.create"),
        "the key reads the audit trail: {stdout}"
    );
}
