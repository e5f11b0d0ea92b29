//! No accepted bid is ever lost: the service killed with SIGKILL mid-auction and
//! restarted, Redis killed and restarted from its append-only file, Redis emptied. Every
//! 201 ends in SQL exactly once and the ladder is the same.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use licita::auth::{Role, TokenIssuer};
use licita::domain::agency::AgencyCode;
use licita::persistence::entities::auction_bid;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, Database, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::auctions::{continuous, scheduled};
use crate::helpers::{
    Backend, TEST_SECRET, assert_problem, fresh_postgres_database, json_of, redis_url, rfc,
    skip_postgres,
};

const BIN: &str = env!("CARGO_BIN_EXE_licita");

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `redis-server`, when installed; required under the test script.
pub(crate) fn redis_server() -> Option<&'static str> {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let required = std::env::var("LICITA_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
    assert!(
        found || !required,
        "LICITA_TEST_REQUIRE_SERVERS=1 but redis-server is not installed"
    );
    found.then_some("redis-server")
}

/// A Redis of the test's own, durable as production runs it, that the test may kill.
pub(crate) struct OwnRedis {
    pub(crate) port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    extra: Vec<String>,
}

impl OwnRedis {
    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// With more `redis-server` arguments.
    pub(crate) fn start_with(extra: &[&str]) -> Self {
        let mut redis = Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
            extra: extra.iter().map(|a| (*a).to_owned()).collect(),
        };
        redis.launch();
        redis
    }

    pub(crate) fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", &self.dir.path().display().to_string()])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: no chance to write anything more.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    async fn flushall(&self) {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await.unwrap();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) async fn sql_bids(db: &DatabaseConnection) -> Vec<auction_bid::Model> {
    auction_bid::Entity::find()
        .order_by_asc(auction_bid::Column::Seq)
        .all(db)
        .await
        .unwrap()
}

/// Waits until SQL holds bids 1..=n at least, without a gap.
pub(crate) async fn until_persisted(
    db: &DatabaseConnection,
    n: usize,
    within: Duration,
) -> Vec<auction_bid::Model> {
    let deadline = Instant::now() + within;
    loop {
        let bids = sql_bids(db).await;
        let contiguous = bids.iter().enumerate().all(|(i, b)| b.seq == i as i64 + 1);
        if bids.len() >= n && contiguous {
            return bids;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} bids reached SQL",
            bids.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every acknowledged bid is in SQL once, with its amount and sequence number, and the
/// sequence numbers run 1..=n without a gap.
fn assert_each_201_once(acknowledged: &[(i64, String, String)], stored: &[auction_bid::Model]) {
    let seqs: Vec<i64> = stored.iter().map(|b| b.seq).collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as i64).collect::<Vec<_>>(),
        "no gap, no repeat"
    );
    let by_id: HashMap<String, &auction_bid::Model> =
        stored.iter().map(|b| (b.id.to_string(), b)).collect();
    for (seq, bid_id, amount) in acknowledged {
        let b = by_id
            .get(bid_id)
            .unwrap_or_else(|| panic!("acknowledged bid {seq} ({bid_id}) is not in SQL"));
        assert_eq!(b.seq, *seq);
        assert_eq!(
            licita::domain::money::Money::from_centavos(b.amount_centavos)
                .unwrap()
                .to_string(),
            *amount
        );
    }
}

#[tokio::test]
async fn every_201_survives_redis_killed_and_restarted_or_emptied() {
    if skip_postgres() || redis_server().is_none() {
        return;
    }
    let mut redis = OwnRedis::start();
    let app =
        crate::helpers::spawn_app_with(Backend::Postgres, &[("REDIS_URL", &redis.url())]).await;
    let s = scheduled(&app, continuous()).await;
    let mut acknowledged = Vec::new();
    let mut price = 206_720_000_i64;
    let mut place = async |app: &crate::helpers::TestApp,
                           acknowledged: &mut Vec<(i64, String, String)>| {
        price -= 100_000;
        let amount = licita::domain::money::Money::from_centavos(price)
            .unwrap()
            .to_string();
        app.clock.advance(chrono::Duration::seconds(1));
        let placed = json_of(
            crate::auctions::bid(app, &s.auction, &s.b, &amount).await,
            StatusCode::CREATED,
        )
        .await;
        acknowledged.push((
            placed["seq"].as_i64().unwrap(),
            placed["bid_id"].as_str().unwrap().to_owned(),
            amount,
        ));
    };
    for _ in 0..5 {
        place(&app, &mut acknowledged).await;
    }

    // Killed and restarted: the append-only file (fsynced on every write) has every bid.
    redis.kill();
    assert_problem(
        crate::auctions::bid(&app, &s.auction, &s.b, "1.00").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    redis.launch();
    place(&app, &mut acknowledged).await;
    assert_eq!(acknowledged.last().unwrap().0, 6, "the sequence went on");
    let stored = until_persisted(&app.db, 6, Duration::from_secs(10)).await;
    assert_each_201_once(&acknowledged, &stored);
    let auditor = app.token(Role::Auditor, "auditor", None);
    let path = format!("/api/v1/auctions/{}", s.auction);
    let before = json_of(app.get(&path, Some(&auditor)).await, StatusCode::OK).await;

    // Emptied: the state comes back from SQL, ladder and all.
    redis.flushall().await;
    let after = json_of(app.get(&path, Some(&auditor)).await, StatusCode::OK).await;
    assert_eq!(before["ladder"], after["ladder"]);
    assert_eq!(before["history"], after["history"]);
    place(&app, &mut acknowledged).await;
    assert_eq!(acknowledged.last().unwrap().0, 7);
    let stored = until_persisted(&app.db, 7, Duration::from_secs(10)).await;
    assert_each_201_once(&acknowledged, &stored);
}

/// The binary, serving with `env`.
pub(crate) fn serve(dir: &Path, env: &[(&str, String)]) -> Child {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().unwrap()
}

pub(crate) async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        assert!(Instant::now() < deadline, "the service did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) struct Api {
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
    pub(crate) issuer: TokenIssuer,
}

impl Api {
    /// A client of the binary serving on `port` with the test secret.
    pub(crate) fn on_port(port: u16) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            base: format!("http://127.0.0.1:{port}"),
            issuer: TokenIssuer::new(TEST_SECRET.as_bytes(), None, None),
        }
    }

    pub(crate) fn token(&self, role: Role, sub: &str, agency: Option<&str>) -> String {
        let agency = agency.map(|a| AgencyCode::parse(a).unwrap());
        self.issuer
            .mint(
                role,
                sub,
                agency.as_ref(),
                Duration::from_secs(3600),
                crate::helpers::now_unix(),
            )
            .unwrap()
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// A live auction on a real-time, sandboxed service: three suppliers, a tender whose
/// deadline passes in a few seconds, every bid qualified. Returns the auction id and the
/// suppliers' RFCs.
pub(crate) async fn live_auction(api: &Api) -> (String, Vec<String>) {
    let registrar = api.token(Role::Registrar, "registro", None);
    let officer = api.token(Role::Officer, "oficial", Some("SEP"));
    let suppliers: Vec<String> = ["ACM010101AB", "BET020202CD", "CEN030303EF"]
        .iter()
        .map(|b| rfc(b))
        .collect();
    for r in &suppliers {
        json_of(
            api.post(
                "/api/v1/suppliers",
                &registrar,
                &json!({"rfc": r, "legal_name": format!("Proveedor {r}"), "size": "small",
                        "email": "ventas@example.mx"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
    let now = Utc::now();
    let deadline = now + chrono::Duration::seconds(3);
    let tender = json_of(
        api.post(
            "/api/v1/tenders",
            &officer,
            &json!({
                "title": "Adquisición de equipo de cómputo", "description": "Portátiles",
                "procedure": "open",
                "items": [{"classifier_code": "51101001", "quantity": 10, "unit": "pieza",
                           "max_unit_price": "20000.00"}],
                "schedule": {"clarifications_until": now + chrono::Duration::seconds(2),
                             "submission_deadline": deadline, "opening_at": deadline},
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = tender["id"].as_str().unwrap().to_owned();
    json_of(
        api.post(
            &format!("/api/v1/tenders/{id}/publish"),
            &officer,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    for (i, r) in suppliers.iter().enumerate() {
        let token = api.token(Role::Supplier, r, None);
        json_of(
            api.post(
                &format!("/api/v1/tenders/{id}/bids"),
                &token,
                &json!({"prices": [{"position": 1, "unit_price": format!("{}.00", 19000 + i * 100)}],
                        "technical_offer": "Equipo nuevo"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
    let wait = (deadline - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(200);
    tokio::time::sleep(wait).await;
    let opened = json_of(
        api.post(
            &format!("/api/v1/tenders/{id}/opening"),
            &officer,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let evaluations: Vec<Value> = opened["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| json!({"bid_id": b["bid_id"], "qualified": true}))
        .collect();
    json_of(
        api.post(
            &format!("/api/v1/tenders/{id}/evaluation"),
            &officer,
            &json!({"evaluations": evaluations}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let auction = json_of(
        api.post(
            &format!("/api/v1/tenders/{id}/auction"),
            &officer,
            &json!({"format": "continuous", "duration_s": 3600, "decrement": {"amount": "0.01"}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    (auction["id"].as_str().unwrap().to_owned(), suppliers)
}

#[tokio::test]
async fn every_201_survives_the_service_killed_mid_auction() {
    if skip_postgres() {
        return;
    }
    let Some(redis) = redis_url() else { return };
    let database_url = fresh_postgres_database().await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = vec![
        ("LICITA_ADDR", format!("127.0.0.1:{port}")),
        ("LICITA_DATA_DIR", data.path().display().to_string()),
        ("DATABASE_URL", database_url.clone()),
        ("REDIS_URL", redis),
        (
            "LICITA_REDIS_PREFIX",
            format!("kill-{}", uuid::Uuid::new_v4().simple()),
        ),
        ("LICITA_JWT_SECRET", TEST_SECRET.to_owned()),
        ("LICITA_SANDBOX", "true".to_owned()),
        ("LICITA_LOG", "warn".to_owned()),
        // Bidders as fast as they can go, far past one client's budget.
        ("LICITA_RATE_BIDS", "off".to_owned()),
    ];
    let api = Api::on_port(port);
    let mut first = serve(data.path(), &env);
    wait_healthy(&api.client, &api.base).await;
    let (auction, suppliers) = live_auction(&api).await;

    // Three suppliers bid as fast as they can; the service is killed under them.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut bidders = Vec::new();
    for (i, r) in suppliers.iter().enumerate() {
        let token = api.token(Role::Supplier, r, None);
        let url = format!("{}/api/v1/auctions/{auction}/bids", api.base);
        let client = api.client.clone();
        let acknowledged = acknowledged.clone();
        let mut price: i64 = (190_000 + i as i64 * 1_000) * 100;
        bidders.push(tokio::spawn(async move {
            loop {
                price -= 1;
                let amount = licita::domain::money::Money::from_centavos(price)
                    .unwrap()
                    .to_string();
                let Ok(response) = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("{i}-{price}"))
                    .json(&json!({"amount": amount}))
                    .send()
                    .await
                else {
                    return; // the service is gone
                };
                if response.status() != StatusCode::CREATED {
                    return;
                }
                let Ok(placed) = response.json::<Value>().await else {
                    return;
                };
                acknowledged.lock().unwrap().push((
                    placed["seq"].as_i64().unwrap(),
                    placed["bid_id"].as_str().unwrap().to_owned(),
                    amount,
                ));
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 150 {
        assert!(Instant::now() < deadline, "the bidders made too few bids");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    for b in bidders {
        b.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    // Restarted: the new instance's persister takes what the dead one left pending.
    let mut second = serve(data.path(), &env);
    wait_healthy(&api.client, &api.base).await;
    let db = Database::connect(&database_url).await.unwrap();
    // Every bid Redis accepted (201 or not: some answers died with the service).
    let auditor = api.token(Role::Auditor, "auditor", None);
    let view: Value = api
        .client
        .get(format!("{}/api/v1/auctions/{auction}", api.base))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let accepted = usize::try_from(view["last_seq"].as_i64().unwrap()).unwrap();
    assert!(accepted >= acknowledged.len());
    let stored = until_persisted(&db, accepted, Duration::from_secs(30)).await;
    assert_each_201_once(&acknowledged, &stored);

    // The ladder the service shows is the one SQL holds: each supplier at its last bid.
    assert_eq!(view["last_seq"], json!(stored.len()));
    for rung in view["ladder"].as_array().unwrap() {
        let last = stored
            .iter()
            .rfind(|b| b.rfc == rung["rfc"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            rung["price"],
            json!(
                licita::domain::money::Money::from_centavos(last.amount_centavos)
                    .unwrap()
                    .to_string()
            )
        );
    }
    let none_twice = auction_bid::Entity::find()
        .filter(auction_bid::Column::Seq.gt(stored.len() as i64))
        .all(&db)
        .await
        .unwrap();
    assert!(none_twice.is_empty());
    second.kill().unwrap();
    second.wait().unwrap();
}
