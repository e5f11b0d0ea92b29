//! The `licita` binary itself: serve with no settings, migrate, mint tokens.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    Backend, TEST_SECRET, fresh_postgres_database, json_of, skip_postgres, spawn_app,
};

const BIN: &str = env!("CARGO_BIN_EXE_licita");

/// The binary with an empty environment, run in `dir`.
fn licita(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir);
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the licita binary runs")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_until_healthy(base: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status() == StatusCode::OK
        {
            return;
        }
        assert!(Instant::now() < deadline, "the service did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_with_no_settings_creates_its_data_folder_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Only the port is set, so that tests can run side by side; everything else is default.
    let child = licita(dir.path())
        .env("LICITA_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut serving = Serving(child);
    let base = format!("http://127.0.0.1:{port}");
    wait_until_healthy(&base).await;

    let ready: serde_json::Value = reqwest::get(format!("{base}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["checks"]["database"]["status"], "up");
    assert_eq!(ready["checks"]["redis"]["status"], "disabled");
    assert!(dir.path().join("data/licita.db").is_file());
    let secret = dir.path().join("data/jwt-secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the generated secret is private");
    }

    // A token minted by the CLI in the same folder is accepted by the running service.
    let out = run(licita(dir.path()).args(["token", "--role", "registrar"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/agencies"))
        .bearer_auth(&token)
        .json(&json!({"code": "CLI", "name": "Agencia desde la CLI"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    // SIGTERM: a graceful stop with exit status 0.
    let pid = serving.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = serving.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

#[tokio::test]
async fn the_token_command_mints_tokens_the_service_accepts() {
    let app = spawn_app(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(licita(dir.path())
        .env("LICITA_JWT_SECRET", TEST_SECRET)
        .args([
            "token",
            "--role",
            "officer",
            "--agency",
            "sep",
            "--sub",
            "ana.lopez",
            "--ttl",
            "1h",
        ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let me = json_of(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(
        me,
        json!({"sub": "ana.lopez", "role": "officer", "agency": "SEP"})
    );
    assert!(
        !dir.path().join("data/jwt-secret").exists(),
        "no secret file when one is configured"
    );
}

#[tokio::test]
async fn the_token_command_refuses_incomplete_or_invalid_requests() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["token", "--role", "officer"],
        vec!["token", "--role", "supplier"],
        vec!["token", "--role", "registrar", "--ttl", "forever"],
        vec!["token", "--role", "registrar", "--ttl", "90d"],
        vec!["token", "--role", "president"],
        vec!["token", "--role", "officer", "--agency", "not valid!"],
    ] {
        let out = run(licita(dir.path())
            .env("LICITA_JWT_SECRET", TEST_SECRET)
            .args(&args));
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "{args:?} printed a token");
        assert!(!out.stderr.is_empty(), "{args:?} said nothing");
    }
    // With a public key configured, this service cannot mint tokens.
    let out = run(licita(dir.path())
        .env("LICITA_JWT_ALGORITHM", "EdDSA")
        .env("LICITA_JWT_PUBLIC_KEY_FILE", "/nonexistent.pem")
        .args(["token", "--role", "auditor"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HS256"));
}

#[test]
fn the_token_command_never_invents_a_secret_the_service_would_not_know() {
    let service = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    // The service's folder has its secret; the CLI runs in another folder.
    let secret = service.path().join("jwt-secret");
    std::fs::write(&secret, TEST_SECRET).unwrap();
    let out = run(licita(elsewhere.path()).args(["token", "--role", "registrar"]));
    assert!(!out.status.success(), "minted with a secret of its own");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("data/jwt-secret"),
        "names the file: {stderr}"
    );
    assert!(stderr.contains("--data-dir"), "says how: {stderr}");
    assert!(!elsewhere.path().join("data/jwt-secret").exists());
    // Pointed at the service's folder, it signs with the service's secret.
    let out = run(licita(elsewhere.path())
        .args(["token", "--role", "registrar", "--data-dir"])
        .arg(service.path()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Asked to, it creates one.
    let out = run(licita(elsewhere.path()).args(["token", "--role", "registrar", "--init-secret"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(elsewhere.path().join("data/jwt-secret").is_file());
    // Longer than LICITA_MAX_TOKEN_TTL: refused, since the service would refuse it.
    let out = run(licita(elsewhere.path()).args(["token", "--role", "registrar", "--ttl", "2d"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("LICITA_MAX_TOKEN_TTL"));
}

#[test]
fn the_openapi_command_ends_quietly_when_its_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = licita(dir.path())
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte and hang up, as `| head -c 1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
}

#[tokio::test]
async fn the_migrate_command_prepares_a_database_once() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = run(licita(dir.path()).arg("migrate"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.path().join("data/licita.db").is_file());

    if skip_postgres() {
        return;
    }
    let url = fresh_postgres_database().await;
    for _ in 0..2 {
        let out = run(licita(dir.path()).env("DATABASE_URL", &url).arg("migrate"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn invalid_settings_stop_the_service_with_a_message_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [
        ("LICITA_MAX_BODY_BYTES", "huge"),
        ("LICITA_LOG_FORMAT", "xml"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("LICITA_JWT_SECRET", "too-short"),
        ("LICITA_MAX_IMPORT_BYTES", "12"),
        ("LICITA_LEGAL_UTC_OFFSET", "CDMX"),
        ("LICITA_PUBLIC_URL", "javascript://x"),
        ("LICITA_PUBLIC_URL", "https://x.example/path"),
        ("LICITA_MAX_TOKEN_TTL", "forever"),
    ] {
        let out = run(licita(dir.path())
            .env(name, value)
            .env("LICITA_ADDR", "127.0.0.1:0")
            .arg("serve"));
        assert!(
            !out.status.success(),
            "{name}={value} should stop the service"
        );
        // The error itself names the variable (logs of the start may come before it).
        let stderr = String::from_utf8_lossy(&out.stderr);
        let error = stderr
            .lines()
            .rev()
            .find(|line| line.starts_with("licita: "))
            .unwrap_or_else(|| panic!("{name}={value}: no error line in {stderr}"));
        assert!(
            error.contains(name),
            "{name}={value}: the error does not name it: {error}"
        );
    }
}

#[tokio::test]
async fn a_configured_secret_shorter_than_32_bytes_is_refused_at_start() {
    // The service refuses to build, so no app comes up with a weak key.
    let dir = tempfile::tempdir().unwrap();
    let settings = licita::settings::Settings::from_lookup(|k| match k {
        "LICITA_JWT_SECRET" => Some("short".into()),
        "LICITA_ADDR" => Some("127.0.0.1:0".into()),
        "LICITA_DATA_DIR" => Some(dir.path().display().to_string()),
        _ => None,
    })
    .unwrap();
    let error = licita::startup::Application::build(settings)
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(error.contains("LICITA_JWT_SECRET"), "{error}");
}
