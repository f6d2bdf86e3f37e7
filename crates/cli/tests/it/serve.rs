//! `faktura serve --dev` (the README's first command) and `faktura healthcheck`,
//! from the built binary: a fresh data directory is initialised, unsealed and
//! served over TLS; the health check passes while it runs and fails after.
#![expect(clippy::unwrap_used, reason = "test helpers may fail loudly")]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-serve")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn healthcheck(data_dir: &str, listen: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args([
            "healthcheck",
            "--dev",
            "--data-dir",
            data_dir,
            "--listen",
            listen,
        ])
        .output()
        .unwrap()
}

/// Kills the server even when an assertion fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn dev_server_starts_on_a_fresh_directory_and_answers_its_health_check() {
    let root = scratch("dev");
    let data = root.join("data");
    let data_dir = data.to_str().unwrap().to_owned();
    let listen = format!("127.0.0.1:{}", free_port());

    // Before the server runs, the health check fails (exit 1), it does not hang.
    let before = healthcheck(&data_dir, &listen);
    assert_eq!(before.status.code(), Some(1), "{before:?}");

    let log = root.join("serve.log");
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_faktura"))
            .args([
                "serve",
                "--dev",
                "--data-dir",
                &data_dir,
                "--listen",
                &listen,
            ])
            // The most verbose logging, into a file (a pipe could fill and
            // stall the server): secrets must stay out of it even so.
            .env("FAKTURA_LOG", "trace")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap(),
    );

    // Wait for readiness by polling the health check itself (bounded).
    let deadline = Instant::now() + Duration::from_secs(60);
    let healthy = loop {
        let out = healthcheck(&data_dir, &listen);
        if out.status.success() {
            break out;
        }
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("faktura serve --dev exited early with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "no healthy answer within 60 s: {out:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let said = String::from_utf8_lossy(&healthy.stdout);
    assert!(said.contains("healthy"), "{said}");

    // First-run initialisation happened: database, dev share and dev certificate.
    assert!(
        data.join("faktura.db").is_file(),
        "no database in {}",
        data.display()
    );
    assert!(data.join("dev-tls-cert.pem").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.join("faktura.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the database must be private to the service user"
        );
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the data directory must be private");
        let token = data.join("setup-token.txt");
        let mode = std::fs::metadata(&token).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the setup token file must be private");
    }

    // Stopped: the health check fails again.
    server.0.kill().unwrap();
    let _ = server.0.wait();
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(
        stderr.contains("DEVELOPMENT"),
        "the dev warning is missing: {stderr}"
    );
    assert!(stderr.contains("DEBUG"), "verbose logging was not on");
    // Neither the setup token nor the development share (its `data:` line is
    // a share of the root key) may reach the log, even at trace level.
    let token = std::fs::read_to_string(data.join("setup-token.txt")).unwrap();
    assert!(token.trim().len() >= 20, "{token}");
    assert!(
        !stderr.contains(token.trim()),
        "the setup token was printed (stderr ends up in the journal)"
    );
    let share = std::fs::read_to_string(data.join("dev-unseal-share.txt")).unwrap();
    let secret = share
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap();
    assert!(secret.len() >= 40, "{share}");
    assert!(!stderr.contains(secret), "the share reached the log");
    let after = healthcheck(&data_dir, &listen);
    assert_eq!(after.status.code(), Some(1), "{after:?}");
    let _ = std::fs::remove_dir_all(&root);
}

/// A server-made instance has `faktura init`'s key layout: the sealed audit
/// signing key and its public key exist from the first start, `faktura audit
/// checkpoint` opens it with the instance's share and `audit verify` passes.
#[test]
fn server_first_start_makes_an_instance_the_audit_commands_accept() {
    let root = scratch("layout");
    let data = root.join("data");
    let data_dir = data.to_str().unwrap().to_owned();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_faktura"))
            .args([
                "serve",
                "--dev",
                "--data-dir",
                &data_dir,
                "--listen",
                &listen,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !healthcheck(&data_dir, &listen).status.success() {
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("faktura serve --dev exited early with {status}");
        }
        assert!(Instant::now() < deadline, "no healthy answer within 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    server.0.kill().unwrap();
    let _ = server.0.wait();

    // The first start wrote the checkpoint public key, before any audit command ran.
    let pubkey = std::fs::read_to_string(data.join("audit-checkpoint.pub")).unwrap();
    assert!(pubkey.starts_with("faktura.local/audit/"), "{pubkey}");

    let faktura = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_faktura"))
            .args(args)
            .output()
            .unwrap()
    };
    let share = data.join("dev-unseal-share.txt");
    let cp = faktura(&[
        "audit",
        "checkpoint",
        "--data-dir",
        &data_dir,
        "--share-file",
        share.to_str().unwrap(),
    ]);
    assert!(cp.status.success(), "{cp:?}");
    let note = String::from_utf8_lossy(&cp.stdout);
    // The note is signed by the key the server made (same origin line).
    assert_eq!(
        note.lines().next(),
        pubkey.split('+').next(),
        "checkpoint signed by another key: {note} vs {pubkey}"
    );
    let verify = faktura(&["audit", "verify", "--data-dir", &data_dir]);
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success() && said.contains("audit trail OK"),
        "{verify:?}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
