//! `faktura serve` refuses a secret in its environment (SECURITY-TESTS H12),
//! and `faktura audit verify --config FILE` reads the trail wherever the
//! server's configuration keeps it: the SQLite file of the data directory,
//! or PostgreSQL (when `FAKTURA_TEST_PG_URL` is set; FAIL if
//! `FAKTURA_REQUIRE_PG=1` and it is not).
#![expect(clippy::unwrap_used, reason = "test code: a panic is a test failure")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faktura_crypto::ShareParams;
use faktura_server::instance::{self, PostgresTarget};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-hardening")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn faktura(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_faktura"));
    command.args(args);
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn serve_refuses_a_secret_in_the_environment_by_name() {
    let root = scratch("env");
    let data = root.join("data");
    let marker = "hunter2-env-marker";
    for name in [
        "FAKTURA_DB_PASSWORD",
        "FAKTURA_SMTP_SECRET",
        "FAKTURA_ROOT_KEY",
    ] {
        let output = faktura(&["serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env(name, marker)
            .output()
            .unwrap();
        let said = text(&output);
        assert_eq!(output.status.code(), Some(2), "{said}");
        assert!(said.contains(name), "names the variable: {said}");
        assert!(!said.contains(marker), "never its value: {said}");
        assert!(
            !data.exists(),
            "refused before anything is created: {}",
            data.display()
        );
    }
}

/// Starts a development instance in `data` (SQLite) or `postgres`, as a
/// first `faktura serve` would, without serving it.
fn first_start(data: &Path, postgres: Option<&PostgresTarget>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (instance, first) = instance::open_or_init(
            data,
            None,
            ShareParams::danger_single_share(),
            true,
            postgres,
        )
        .await
        .unwrap();
        assert!(first.setup_token.is_some());
        instance.store.close().await;
    });
}

fn verify(config: &Path, extra: &[&str]) -> Output {
    faktura(&["audit", "verify", "--config"])
        .arg(config)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn audit_verify_reads_the_sqlite_instance_of_the_configuration() {
    let root = scratch("sqlite");
    let data = root.join("data");
    first_start(&data, None);
    let config = root.join("faktura.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n", data.to_str().unwrap()),
    )
    .unwrap();
    let output = verify(&config, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("1 entries"), "{}", text(&output));

    // A configuration without data_dir needs --data-dir.
    std::fs::write(&config, "").unwrap();
    let output = verify(&config, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("--data-dir"), "{}", text(&output));
    let output = verify(&config, &["--data-dir", data.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn audit_verify_reads_the_postgres_instance_of_the_configuration() {
    let base = match std::env::var("FAKTURA_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("FAKTURA_REQUIRE_PG").as_deref() != Ok("1"),
                "FAKTURA_REQUIRE_PG=1 but FAKTURA_TEST_PG_URL is unset: run `eval \"$(bash .ci/start-postgres.sh)\"`"
            );
            eprintln!(
                "SKIPPED: audit_verify_reads_the_postgres_instance_of_the_configuration (FAKTURA_TEST_PG_URL unset)"
            );
            return;
        }
    };
    let root = scratch("postgres");
    let data = root.join("data");
    let schema = format!("cli_audit_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(PostgresTarget::new(base.clone(), None).create_schema(&schema))
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options[search_path]={schema}");
    first_start(&data, Some(&PostgresTarget::new(url.clone(), None)));
    assert!(
        !data.join("faktura.db").exists(),
        "the trail lives in PostgreSQL only"
    );

    // The password comes from password_file, as for serve (the test
    // cluster trusts local connections, so any password opens it).
    let password = root.join("pg-password");
    std::fs::write(&password, "not-used-by-trust-auth\n").unwrap();
    let config = root.join("faktura.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[database]\npostgres_url = {url:?}\npassword_file = {:?}\n",
            data.to_str().unwrap(),
            password.to_str().unwrap()
        ),
    )
    .unwrap();
    let output = verify(&config, &[]);
    let said = text(&output);
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(
        said.contains("audit trail OK: PostgreSQL database"),
        "{said}"
    );
    assert!(said.contains("1 entries"), "{said}");
    assert!(!said.contains("not-used-by-trust-auth"), "{said}");

    // Without the configuration the data directory holds no trail.
    let output = faktura(&["audit", "verify", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));

    // What it reads is the live database: one more entry there, one more verified.
    runtime.block_on(async {
        let store = faktura_store::Store::open_postgres(&url).await.unwrap();
        store
            .append_audit(faktura_audit::EntryFields {
                time_us: 1,
                company: None,
                actor: "test".into(),
                action: "test.append".into(),
                target: "instance".into(),
                outcome: faktura_audit::Outcome::Success,
                request_id: "test".into(),
                source: "local".into(),
                details: Vec::new(),
            })
            .await
            .unwrap();
        store.close().await;
    });
    let output = verify(&config, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("2 entries"), "{}", text(&output));
}
