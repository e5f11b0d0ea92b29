//! `licita demo` against the real binary serving in the sandbox on PostgreSQL and Redis:
//! it fills a fresh instance with every state the README promises, the feeds it leaves
//! validate, the portal shows them, and a second run on the same instance works too.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use licita::auth::{Role, TokenIssuer};
use reqwest::StatusCode;
use serde_json::Value;

use crate::durability::{free_port, serve, wait_healthy};
use crate::helpers::{TEST_SECRET, fresh_postgres_database, redis_url, skip_postgres};
use crate::ocds::OcdsSchemas;

const BIN: &str = env!("CARGO_BIN_EXE_licita");

struct Reader {
    client: reqwest::Client,
    base: String,
    auditor: String,
}

impl Reader {
    /// A path, or a whole URL (the lists' `links.next`).
    async fn get(&self, path: &str) -> Value {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let response = self
            .client
            .get(url)
            .bearer_auth(&self.auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }

    /// Every item of a paginated list.
    async fn all(&self, first: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut next = Some(first.to_owned());
        while let Some(path) = next {
            let page = self.get(&path).await;
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            next = page["links"]["next"].as_str().map(str::to_owned);
        }
        items
    }

    async fn page(&self, path: &str) -> String {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.unwrap()
    }
}

/// Runs `licita demo` against `base`; answers what it printed.
fn demo(base: &str, data_dir: &std::path::Path) -> String {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["demo", "--url", base])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LICITA_JWT_SECRET", TEST_SECRET)
        .env("LICITA_DATA_DIR", data_dir)
        .env("LICITA_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "licita demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("licita demo took {:?}", started.elapsed());
    stdout
}

#[tokio::test]
async fn the_demo_fills_a_fresh_sandbox_with_every_state_and_runs_again() {
    if skip_postgres() {
        return;
    }
    let Some(redis) = redis_url() else { return };
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = vec![
        ("LICITA_ADDR", format!("127.0.0.1:{port}")),
        ("LICITA_DATA_DIR", data.path().display().to_string()),
        ("DATABASE_URL", fresh_postgres_database().await),
        ("REDIS_URL", redis),
        (
            "LICITA_REDIS_PREFIX",
            format!("demo-{}", uuid::Uuid::new_v4().simple()),
        ),
        ("LICITA_JWT_SECRET", TEST_SECRET.to_owned()),
        ("LICITA_SANDBOX", "true".to_owned()),
        ("LICITA_TIME_FACTOR", "60".to_owned()),
        ("LICITA_LOG", "warn".to_owned()),
    ];
    let mut service = serve(data.path(), &env);
    let issuer = TokenIssuer::new(TEST_SECRET.as_bytes(), None, None);
    let now = crate::helpers::now_unix();
    let reader = Reader {
        // The demo runs for a while: no idle connection outlives the service's keep-alive.
        client: reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .unwrap(),
        base: base.clone(),
        auditor: issuer
            .mint(
                Role::Auditor,
                "auditor",
                None,
                Duration::from_secs(3600),
                now,
            )
            .unwrap(),
    };
    wait_healthy(&reader.client, &base).await;

    let printed = demo(&base, data.path());
    assert!(
        printed.contains(&format!("Open the portal: {base}/")),
        "{printed}"
    );

    // The register.
    assert!(reader.all("/public/v1/agencies?limit=100").await.len() >= 7);
    let suppliers = reader.all("/api/v1/suppliers?limit=100").await;
    assert!(suppliers.len() >= 30, "{} suppliers", suppliers.len());
    // Each award went to a supplier in the trade of what was bought.
    let awards = reader.all("/public/v1/awards?limit=100").await;
    assert!(awards.len() >= 10, "{} awards", awards.len());
    for award in &awards {
        let rfc = award["supplier"]["rfc"].as_str().unwrap();
        let codes = suppliers
            .iter()
            .find(|s| s["rfc"] == rfc)
            .map(|s| s["classifier_codes"].clone())
            .unwrap();
        let tender = reader
            .get(&format!(
                "/api/v1/tenders/{}",
                award["tender"]["id"].as_str().unwrap()
            ))
            .await;
        let bought: Vec<&str> = tender["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["classifier_code"].as_str())
            .collect();
        assert!(
            codes
                .as_array()
                .unwrap()
                .iter()
                .any(|c| bought.iter().any(|b| b.starts_with(c.as_str().unwrap()))),
            "{rfc} ({codes}) won {:?} ({bought:?})",
            tender["title"]
        );
    }
    let sanctioned = reader.all("/public/v1/sanctioned-suppliers").await;
    assert_eq!(
        sanctioned.len(),
        2,
        "two sanctions in force: {sanctioned:?}"
    );
    assert_eq!(reader.all("/api/v1/framework-contracts").await.len(), 1);
    let assents = reader.all("/api/v1/ict-assents").await;
    let statuses: HashSet<&str> = assents
        .iter()
        .filter_map(|a| a["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        HashSet::from(["approved", "rejected", "requested"]),
        "{assents:?}"
    );

    // Every state, each procedure.
    let tenders = reader.all("/api/v1/tenders?limit=100").await;
    assert!(tenders.len() >= 20, "{} tenders", tenders.len());
    for status in [
        "draft",
        "published",
        "opened",
        "evaluated",
        "auction",
        "awarded",
        "contracted",
        "cancelled",
        "deserted",
    ] {
        let some = reader
            .all(&format!("/api/v1/tenders?status={status}&limit=100"))
            .await;
        assert!(!some.is_empty(), "no tender is {status}");
    }
    let phases: HashSet<&str> = tenders.iter().filter_map(|t| t["phase"].as_str()).collect();
    for phase in ["clarification", "submission", "evaluation"] {
        assert!(phases.contains(phase), "no tender in {phase}: {phases:?}");
    }
    let procedures: HashSet<&str> = tenders
        .iter()
        .filter_map(|t| t["procedure"].as_str())
        .collect();
    assert_eq!(procedures.len(), 4, "{procedures:?}");

    // A live auction, bid on.
    let live = &reader.all("/api/v1/tenders?status=auction").await[0];
    let auction = reader
        .get(&format!(
            "/api/v1/auctions/{}",
            live["auction_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(auction["status"], "open", "{auction}");
    assert!(auction["last_seq"].as_i64().unwrap() >= 2, "{auction}");

    // Complaints: one admitted with a suspension, one dismissed, one filed.
    let complaints = reader.all("/api/v1/complaints?limit=100").await;
    let statuses: HashSet<&str> = complaints
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        HashSet::from(["admitted", "dismissed", "filed"]),
        "{complaints:?}"
    );

    // The savings and the feeds: every release page validates against OCDS 1.1 (and goes
    // to the community's tools in CI).
    let savings = reader.get("/public/v1/savings").await;
    assert!(savings["awards"].as_u64().unwrap_or(0) >= 10, "{savings}");
    let schemas = OcdsSchemas::load();
    // The feed always links a next page (to poll); it ends with an empty one.
    let mut path = "/public/v1/releases?limit=100".to_owned();
    let mut releases = 0;
    loop {
        let package = reader.get(&path).await;
        let page = package["releases"].as_array().unwrap().len();
        if page == 0 {
            break;
        }
        releases += page;
        schemas.release_package(&package);
        path = package["links"]["next"].as_str().unwrap().to_owned();
    }
    assert!(releases >= 60, "{releases} releases");

    // The portal shows it: the home lists tenders, the auctioned tender has its chart.
    let home = reader.page("/").await;
    assert!(
        home.contains("Adquisición de mobiliario escolar para telesecundarias"),
        "a tender taking bids: {home}"
    );
    let awarded = reader.all("/api/v1/tenders?status=awarded&limit=100").await;
    let after_auction = awarded
        .iter()
        .find(|t| t["title"] == "Adquisición de medicamentos para centros de salud")
        .expect("the tender awarded after its auction");
    let page = reader
        .page(&format!(
            "/licitaciones/{}",
            after_auction["id"].as_str().unwrap()
        ))
        .await;
    assert!(page.contains("<svg"), "the auction's chart");

    // Again, on the same instance: what exists is reused, the tenders are new.
    demo(&base, data.path());
    let again = reader.all("/api/v1/tenders?limit=100").await;
    assert_eq!(again.len(), 2 * tenders.len());
    assert_eq!(
        reader.all("/api/v1/suppliers?limit=100").await.len(),
        suppliers.len()
    );
    service.kill().unwrap();
    service.wait().unwrap();
}

#[tokio::test]
async fn the_demo_writes_nothing_to_a_service_outside_the_sandbox() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let data = tempfile::tempdir().unwrap();
    let address = app.address.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["demo", "--url", &address])
            .env("LICITA_JWT_SECRET", TEST_SECRET)
            .env("LICITA_DATA_DIR", data.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not in the sandbox") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    let suppliers = crate::helpers::json_of(
        app.get("/api/v1/suppliers", Some(&app.registrar())).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(suppliers["items"], serde_json::json!([]));
}

#[test]
fn the_demo_explains_what_to_start_when_nothing_answers() {
    let port = free_port();
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["demo", "--url", &format!("http://127.0.0.1:{port}")])
        .env("LICITA_JWT_SECRET", TEST_SECRET)
        .env("LICITA_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("LICITA_SANDBOX=true LICITA_TIME_FACTOR=60 cargo run --release")
            && stderr.contains("onnection refused"),
        "{stderr}"
    );
    let out = Command::new(BIN)
        .args(["demo", "--url", "https://example.org"])
        .env("LICITA_JWT_SECRET", TEST_SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("plain HTTP"));
}
