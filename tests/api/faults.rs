//! Faults under load: bidders keep bidding while the service is SIGKILLed and restarted,
//! Redis is SIGKILLed and restarted (and answers `LOADING` while it reads its
//! append-only file), and PostgreSQL stops for a few seconds. A client that gets no clear
//! answer retries with the same `Idempotency-Key`, as the README tells it to.
//!
//! Afterwards every 201 is in SQL exactly once, no refused bid is, the ladder recomputed
//! from SQL is the engine's, every answer while a dependency was down was a 503 with
//! `Retry-After` (never a 500), and the service recovered by itself.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use licita::auth::Role;
use licita::domain::money::Money;
use reqwest::StatusCode;
use sea_orm::Database;
use serde_json::{Value, json};

use crate::durability::{
    Api, OwnRedis, free_port, live_auction, redis_server, serve, until_persisted, wait_healthy,
};
use crate::helpers::TEST_SECRET;

/// A PostgreSQL of the test's own, that it may stop and start.
struct OwnPostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl OwnPostgres {
    /// `initdb` and start, or `None` when PostgreSQL's programs are not installed (and
    /// the test script does not require them).
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("pg_ctl").exists())
            .max()?;
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            // PostgreSQL refuses to run as root: its folder belongs to the postgres user.
            let status = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let pg = Self {
            bin,
            dir,
            port: free_port(),
        };
        let data = pg.data();
        let status = pg
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "licita", "--auth=trust", "-E", "UTF8", "--no-locale"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "initdb failed");
        pg.ctl_start();
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// One of PostgreSQL's programs, as the postgres user when this runs as root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command.current_dir("/");
        command
    }

    fn ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("pg.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl start failed");
    }

    /// Stops at once, as a crash would (the next start recovers from the WAL).
    fn ctl_stop(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    fn url(&self) -> String {
        format!("postgres://licita@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.ctl_stop();
    }
}

/// What the bidders saw.
#[derive(Default)]
struct Tally {
    /// Bid attempts started (one amount and Idempotency-Key each).
    sent: usize,
    /// `(rfc, bid_id, amount)` of each 201.
    accepted: Vec<(String, String, String)>,
    /// `(rfc, amount)` of each refusal (a 4xx).
    refused: Vec<(String, String)>,
    /// Answers 503, and those without `Retry-After`.
    unavailable: usize,
    unavailable_without_retry_after: usize,
    /// 5xx other than 503, with the first body.
    faults: usize,
    first_fault: Option<String>,
    /// Requests that got no answer at all (the service was down).
    unanswered: usize,
    /// Attempts still without a clear answer when the bidders stopped.
    unresolved: usize,
}

/// One bidder: bids one centavo under its supplier's last amount, again and again; an
/// attempt without a clear answer (no answer, or 503) is sent again with its key.
async fn bid_until_stopped(
    client: reqwest::Client,
    url: String,
    token: String,
    rfc: String,
    next_price: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    while !stop.load(Ordering::Relaxed) {
        let centavos = next_price.fetch_sub(1, Ordering::Relaxed);
        let amount = Money::from_centavos(centavos).unwrap().to_string();
        let key = uuid::Uuid::new_v4().to_string();
        tally.lock().unwrap().sent += 1;
        // Past the stop, an attempt gets 30 s more to find out what became of it.
        let mut give_up: Option<Instant> = None;
        loop {
            if give_up.is_none() && stop.load(Ordering::Relaxed) {
                give_up = Some(Instant::now() + Duration::from_secs(30));
            }
            if give_up.is_some_and(|g| Instant::now() > g) {
                tally.lock().unwrap().unresolved += 1;
                return;
            }
            let sent = client
                .post(&url)
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&json!({"amount": amount}))
                .send()
                .await;
            let response = match sent {
                Ok(r) => r,
                Err(_) => {
                    tally.lock().unwrap().unanswered += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let status = response.status();
            let has_retry_after = response.headers().contains_key("retry-after");
            let Ok(body) = response.text().await else {
                tally.lock().unwrap().unanswered += 1;
                continue;
            };
            match status {
                StatusCode::CREATED => {
                    let placed: Value = serde_json::from_str(&body).unwrap();
                    let bid_id = placed["bid_id"].as_str().unwrap().to_owned();
                    tally
                        .lock()
                        .unwrap()
                        .accepted
                        .push((rfc.clone(), bid_id, amount));
                    break;
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    {
                        let mut t = tally.lock().unwrap();
                        t.unavailable += 1;
                        if !has_retry_after {
                            t.unavailable_without_retry_after += 1;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                s if s.is_server_error() => {
                    {
                        let mut t = tally.lock().unwrap();
                        t.faults += 1;
                        t.first_fault.get_or_insert(format!("{s}: {body}"));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => {
                    tally.lock().unwrap().refused.push((rfc.clone(), amount));
                    break;
                }
            }
        }
    }
}

fn accepted_so_far(tally: &Mutex<Tally>) -> usize {
    tally.lock().unwrap().accepted.len()
}

/// Waits until at least `more` bids more than `from` were accepted: the service bids again.
async fn until_accepting(tally: &Mutex<Tally>, from: usize, more: usize, what: &str) -> Duration {
    let started = Instant::now();
    while accepted_so_far(tally) < from + more {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no bid accepted within 60 s {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

fn restart_service(child: &mut Child, dir: &Path, env: &[(&str, String)]) {
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    *child = serve(dir, env);
}

/// Run on its own (`scripts/test.sh` does, after the other tests): it starts, kills and
/// stops servers and drives the machine hard, which other tests must not share.
#[tokio::test]
#[ignore = "run alone: scripts/test.sh runs it after the other tests"]
async fn bids_survive_the_service_redis_and_postgresql_failing_under_load() {
    if redis_server().is_none() {
        return;
    }
    let required = std::env::var("LICITA_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
    let Some(pg) = OwnPostgres::start() else {
        assert!(!required, "PostgreSQL's programs are not installed");
        return;
    };
    // Each key read back slowly after a restart, so that Redis answers LOADING for a while.
    let mut redis = OwnRedis::start_with(&["--key-load-delay", "300"]);
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = vec![
        ("LICITA_ADDR", format!("127.0.0.1:{port}")),
        ("LICITA_DATA_DIR", data.path().display().to_string()),
        ("DATABASE_URL", pg.url()),
        ("REDIS_URL", redis.url()),
        ("LICITA_JWT_SECRET", TEST_SECRET.to_owned()),
        ("LICITA_SANDBOX", "true".to_owned()),
        ("LICITA_LOG", "warn".to_owned()),
        ("LICITA_RATE_BIDS", "off".to_owned()),
    ];
    let api = Api::on_port(port);
    let mut service = serve(data.path(), &env);
    wait_healthy(&api.client, &api.base).await;
    let (auction, suppliers) = live_auction(&api).await;

    // Enough in Redis for its restart to take a while: written into the AOF's base.
    let admin = redis::Client::open(redis.url()).unwrap();
    let mut conn = admin.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("EVAL")
        .arg("for i = 1, 15000 do redis.call('SET', 'ballast:' .. i, 'x') end return 1")
        .arg(0)
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: String = redis::cmd("BGREWRITEAOF")
        .query_async(&mut conn)
        .await
        .unwrap();

    // Four bidders for each of the three suppliers.
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let url = format!("{}/api/v1/auctions/{auction}/bids", api.base);
    let mut bidders = Vec::new();
    for (i, rfc) in suppliers.iter().enumerate() {
        let next_price = Arc::new(AtomicI64::new((189_000 + i as i64 * 1_000) * 100));
        for _ in 0..4 {
            bidders.push(tokio::spawn(bid_until_stopped(
                api.client.clone(),
                url.clone(),
                api.token(Role::Supplier, rfc, None),
                rfc.clone(),
                next_price.clone(),
                stop.clone(),
                tally.clone(),
            )));
        }
    }
    until_accepting(&tally, 0, 100, "at the start").await;

    // 1. The service, SIGKILLed and restarted.
    restart_service(&mut service, data.path(), &env);
    let mut report = Vec::new();
    let back = until_accepting(&tally, accepted_so_far(&tally), 50, "after the restart").await;
    report.push(format!(
        "the service SIGKILLed and restarted: bids accepted again after {back:.1?}"
    ));

    // 2. Redis, SIGKILLed and restarted: it answers LOADING while it reads its AOF.
    redis.kill();
    let down = Instant::now();
    redis.launch();
    let mut loading = Duration::ZERO;
    loop {
        // While it loads, even the connection's handshake is answered LOADING.
        if let Ok(mut conn) = admin.get_multiplexed_async_connection().await
            && redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .is_ok()
        {
            break;
        }
        loading = down.elapsed();
        assert!(loading < Duration::from_secs(60), "Redis did not come back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let back = until_accepting(&tally, accepted_so_far(&tally), 50, "after Redis").await;
    report.push(format!(
        "Redis SIGKILLed and restarted: LOADING for {loading:.1?}; bids accepted again {back:.1?} after"
    ));

    // 3. PostgreSQL, stopped for four seconds.
    let before = accepted_so_far(&tally);
    pg.ctl_stop();
    tokio::time::sleep(Duration::from_secs(4)).await;
    pg.ctl_start();
    let back = until_accepting(&tally, accepted_so_far(&tally), 50, "after PostgreSQL").await;
    report.push(format!(
        "PostgreSQL stopped for 4 s: {} bids accepted meanwhile (the Redis engine records them \
         in SQL once it is back); bids accepted {back:.1?} after it started",
        accepted_so_far(&tally) - before
    ));

    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for b in bidders {
        b.await.unwrap();
    }
    let tally = Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap();

    // What the engine holds, and what SQL holds once the persister has caught up.
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
    let last_seq = usize::try_from(view["last_seq"].as_i64().unwrap()).unwrap();
    let db = Database::connect(&pg.url()).await.unwrap();
    let stored = until_persisted(&db, last_seq, Duration::from_secs(60)).await;
    let stored_ids: HashMap<String, &licita::persistence::entities::auction_bid::Model> =
        stored.iter().map(|b| (b.id.to_string(), b)).collect();
    let lost: Vec<&(String, String, String)> = tally
        .accepted
        .iter()
        .filter(|(_, id, _)| !stored_ids.contains_key(id))
        .collect();
    let stored_amounts: HashSet<(String, String)> = stored
        .iter()
        .map(|b| {
            (
                b.rfc.clone(),
                Money::from_centavos(b.amount_centavos).unwrap().to_string(),
            )
        })
        .collect();
    let refused_but_stored = tally
        .refused
        .iter()
        .filter(|r| stored_amounts.contains(r))
        .count();
    report.push(format!(
        "sent {} · accepted {} · refused {} · lost {} · 503 {} · other 5xx {} · no answer {} · unresolved {} · in SQL {}",
        tally.sent,
        tally.accepted.len(),
        tally.refused.len(),
        lost.len(),
        tally.unavailable,
        tally.faults,
        tally.unanswered,
        tally.unresolved,
        stored.len()
    ));
    let report = report.join("\n");
    eprintln!("{report}");
    if let Ok(dir) = std::env::var("LICITA_TEST_REPORTS") {
        std::fs::write(Path::new(&dir).join("faults.txt"), format!("{report}\n")).unwrap();
    }
    assert!(
        lost.is_empty(),
        "acknowledged bids missing from SQL: {lost:?}"
    );
    assert_eq!(refused_but_stored, 0, "a refused bid is in SQL");
    assert_eq!(
        tally.faults, 0,
        "a dependency down is a 503, never a 500: {:?}",
        tally.first_fault
    );
    assert_eq!(
        tally.unavailable_without_retry_after, 0,
        "every 503 has Retry-After"
    );
    assert_eq!(tally.unresolved, 0, "every attempt learnt its outcome");
    // Each 201 once: the ids are unique, and SQL holds no bid the engine does not.
    let acknowledged: HashSet<&String> = tally.accepted.iter().map(|(_, id, _)| id).collect();
    assert_eq!(
        acknowledged.len(),
        tally.accepted.len(),
        "a 201 answered twice"
    );
    assert_eq!(
        stored.len(),
        last_seq,
        "SQL holds exactly the engine's bids"
    );
    assert_eq!(
        tally.sent,
        tally.accepted.len() + tally.refused.len(),
        "every attempt was accepted or refused"
    );
    // The ladder recomputed from SQL: each supplier at its last (lowest) bid.
    let mut from_sql: HashMap<&str, i64> = HashMap::new();
    for b in &stored {
        from_sql.insert(b.rfc.as_str(), b.amount_centavos);
    }
    let ladder = view["ladder"].as_array().unwrap();
    assert_eq!(ladder.len(), from_sql.len());
    for rung in ladder {
        let rfc = rung["rfc"].as_str().unwrap();
        assert_eq!(
            rung["price"],
            json!(Money::from_centavos(from_sql[rfc]).unwrap().to_string()),
            "{rfc}"
        );
    }
    service.kill().unwrap();
    service.wait().unwrap();
}
