//! Reverse auctions through HTTP: scheduling, bidding and every refusal, soft close,
//! rounds, what each role sees, live events, the close, and the award at final prices.

use chrono::Duration;
use futures_util::StreamExt;
use licita::auth::Role;
use licita::clock::Clock;
use licita::persistence::entities::{auction, auction_bid};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, json_of, rfc, spawn_app_with};
use crate::tenders::{actions, at, bid_body, officer, open_and_qualify_all, published, submit};

/// Which auction engine a test app runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// In process (no `REDIS_URL`).
    Memory,
    /// Redis at `REDIS_URL`.
    Redis,
    /// A Redis Cluster at `REDIS_CLUSTER_URL` (a comma-separated node list).
    Cluster,
}

pub type Kind = (Backend, EngineKind);

/// The one conformance suite: runs each named `async fn name(kind: Kind)` on every engine
/// (in-process on SQLite and PostgreSQL, Redis, Redis Cluster), as `name::sqlite_memory`,
/// `name::postgres_memory`, `name::postgres_redis`, `name::postgres_cluster`.
#[macro_export]
macro_rules! on_every_engine {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::auctions::EngineKind;
                use $crate::helpers::Backend;

                #[tokio::test]
                async fn sqlite_memory() {
                    super::$name((Backend::Sqlite, EngineKind::Memory)).await
                }

                #[tokio::test]
                async fn postgres_memory() {
                    if $crate::helpers::skip_postgres() {
                        return;
                    }
                    super::$name((Backend::Postgres, EngineKind::Memory)).await
                }

                #[tokio::test]
                async fn postgres_redis() {
                    if $crate::helpers::skip_postgres() || $crate::helpers::redis_url().is_none() {
                        return;
                    }
                    super::$name((Backend::Postgres, EngineKind::Redis)).await
                }

                #[tokio::test]
                async fn postgres_cluster() {
                    if $crate::helpers::skip_postgres()
                        || $crate::helpers::redis_cluster_url().is_none()
                    {
                        return;
                    }
                    super::$name((Backend::Postgres, EngineKind::Cluster)).await
                }
            }
        )*
    };
}

/// A test app on `kind`'s database and engine.
pub async fn spawn(kind: Kind) -> TestApp {
    let (backend, engine) = kind;
    match engine {
        EngineKind::Memory => spawn_app_with(backend, &[("REDIS_URL", "")]).await,
        EngineKind::Redis => spawn_app_with(backend, &[]).await,
        EngineKind::Cluster => {
            let url = crate::helpers::redis_cluster_url().expect("REDIS_CLUSTER_URL");
            spawn_app_with(backend, &[("REDIS_URL", &url)]).await
        }
    }
}

/// Waits until SQL holds `expected` auction bids (the Redis engine's persister writes them
/// shortly after the 201), and returns them.
async fn persisted(app: &TestApp, expected: usize) -> Vec<auction_bid::Model> {
    for _ in 0..100 {
        let stored = auction_bid::Entity::find().all(&app.db).await.unwrap();
        if stored.len() >= expected {
            // Give a second write the time to show up, if there were one.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let again = auction_bid::Entity::find().all(&app.db).await.unwrap();
            assert_eq!(again.len(), expected, "every 201 in SQL exactly once");
            return again;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("fewer than {expected} auction bids reached SQL in 5 s");
}

on_every_engine!(
    an_auction_runs_from_its_schedule_to_the_award_at_the_final_prices,
    every_refused_bid_has_its_code_and_changes_nothing,
    a_retry_with_the_same_idempotency_key_makes_no_second_bid,
    a_late_bid_extends_the_end_a_limited_number_of_times,
    rounds_give_one_turn_each_from_the_highest_price_down,
    each_role_sees_only_what_it_may,
    scheduling_refuses_what_is_not_ready_and_bad_settings,
    the_auction_closes_at_its_end_with_nobody_watching,
    accepted_bids_survive_a_restart_of_the_engine,
    participants_get_live_updates_filtered_for_them,
    the_sandbox_time_factor_runs_auctions_faster,
    a_refusal_never_states_a_hidden_best_price,
    the_advertised_max_next_bid_is_accepted_and_refusals_state_visible_limits,
    cancelling_the_tender_closes_its_auction_at_once,
    a_winner_sanctioned_during_the_auction_is_passed_over_at_final_prices,
    a_suspended_tender_pauses_its_auction_which_resumes_with_the_time_it_had_left,
    a_pause_of_an_auction_the_engine_does_not_hold_is_refused_and_changes_nothing,
    bids_sent_all_at_once_are_each_decided_once_and_durable,
);

/// The in-process engine serves one instance; these run on Redis and on the cluster.
mod two_instances_share_one_auction_through_redis {
    use super::EngineKind;
    use crate::helpers::Backend;

    #[tokio::test]
    async fn postgres_redis() {
        if crate::helpers::skip_postgres() || crate::helpers::redis_url().is_none() {
            return;
        }
        super::two_instances_share_one_auction_through_redis((Backend::Postgres, EngineKind::Redis))
            .await
    }

    #[tokio::test]
    async fn postgres_cluster() {
        if crate::helpers::skip_postgres() || crate::helpers::redis_cluster_url().is_none() {
            return;
        }
        super::two_instances_share_one_auction_through_redis((
            Backend::Postgres,
            EngineKind::Cluster,
        ))
        .await
    }
}

/// Redis's own healing, which the in-process engine (one instance, its state never out of
/// its hands) does not need.
mod a_redis_that_missed_a_resumption_reloads_on_the_next_bid {
    use super::EngineKind;
    use crate::helpers::Backend;

    #[tokio::test]
    async fn postgres_redis() {
        if crate::helpers::skip_postgres() || crate::helpers::redis_url().is_none() {
            return;
        }
        super::a_redis_that_missed_a_resumption_reloads_on_the_next_bid((
            Backend::Postgres,
            EngineKind::Redis,
        ))
        .await
    }
}

/// Sealed totals: A 2,043,200.00; B 2,067,200.00; C 2,103,200.00 (reference 2,223,420.00).
const SEALED: [(&str, &str); 3] = [
    ("ACM010101AB", "17000.00"),
    ("BET020202CD", "17200.00"),
    ("CEN030303EF", "17500.00"),
];

pub struct Setup {
    pub tender: String,
    pub auction: String,
    pub a: String,
    pub b: String,
    pub c: String,
    pub view: Value,
}

/// Three suppliers bid sealed, all qualify, and the officer schedules an auction with
/// `settings` at day 21 (the auction starts then unless the settings say otherwise).
pub async fn scheduled(app: &TestApp, settings: Value) -> Setup {
    let mut rfcs = Vec::new();
    for (body, _) in SEALED {
        rfcs.push(
            app.register_supplier(&rfc(body), &format!("Proveedor {body}"))
                .await,
        );
    }
    let tender = published(app).await;
    app.clock.set(at(8));
    for (r, (_, laptop)) in rfcs.iter().zip(SEALED) {
        json_of(
            submit(app, &tender, r, &bid_body(laptop, "80.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    open_and_qualify_all(app, &tender).await;
    let view = json_of(schedule(app, &tender, &settings).await, StatusCode::CREATED).await;
    Setup {
        auction: view["id"].as_str().unwrap().to_owned(),
        tender,
        a: rfcs[0].clone(),
        b: rfcs[1].clone(),
        c: rfcs[2].clone(),
        view,
    }
}

/// A tender of two lots (the laptops, then the boxes), every supplier of [`SEALED`]
/// bidding on both, opened and qualified at day 21: its id and the suppliers' RFCs.
pub async fn evaluated_in_lots(app: &TestApp) -> (String, Vec<String>) {
    let mut rfcs = Vec::new();
    for (body, _) in SEALED {
        rfcs.push(
            app.register_supplier(&rfc(body), &format!("Proveedor {body}"))
                .await,
        );
    }
    app.clock.set(at(0));
    let mut request = crate::tenders::body();
    let items = request["items"].as_array().unwrap().clone();
    request.as_object_mut().unwrap().remove("items");
    request["lots"] = json!([
        {"title": "Computadoras portátiles", "items": [items[0]]},
        {"title": "Consumibles", "items": [items[1]]},
    ]);
    let tender = crate::tenders::create(app, "SEP", &request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(
        crate::tenders::publish(app, "SEP", &tender).await,
        StatusCode::OK,
    )
    .await;
    app.clock.set(at(8));
    for (i, (r, (_, laptop))) in rfcs.iter().zip(SEALED).enumerate() {
        let boxes = format!("{}.00", 80 + i);
        json_of(
            submit(app, &tender, r, &bid_body(laptop, &boxes)).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    open_and_qualify_all(app, &tender).await;
    (tender, rfcs)
}

/// As [`scheduled`], on the tender of [`evaluated_in_lots`], each lot with its auction on
/// `settings`, both running at once: the auctions' ids, lot by lot (lot 2's sealed totals:
/// 3,200.00, 3,240.00, 3,280.00).
pub async fn scheduled_in_lots(app: &TestApp, settings: Value) -> (Setup, String) {
    let (tender, rfcs) = evaluated_in_lots(app).await;
    let mut ids = Vec::new();
    let mut views = Vec::new();
    for lot in [1, 2] {
        let view = json_of(
            app.post_json(
                &format!("/api/v1/tenders/{tender}/lots/{lot}/auction"),
                Some(&officer(app, "SEP")),
                &settings,
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(view["lot"], lot);
        ids.push(view["id"].as_str().unwrap().to_owned());
        views.push(view);
    }
    (
        Setup {
            auction: ids[0].clone(),
            tender,
            a: rfcs[0].clone(),
            b: rfcs[1].clone(),
            c: rfcs[2].clone(),
            view: views.swap_remove(0),
        },
        ids[1].clone(),
    )
}

async fn schedule(app: &TestApp, tender: &str, settings: &Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{tender}/auction"),
        Some(&officer(app, "SEP")),
        settings,
    )
    .await
}

pub fn continuous() -> Value {
    json!({
        "format": "continuous",
        "duration_s": 600,
        "soft_close_s": 60,
        "extension_s": 120,
        "max_extensions": 2,
        "decrement": {"amount": "1000.00"},
    })
}

fn supplier(app: &TestApp, rfc: &str) -> String {
    app.token(Role::Supplier, rfc, None)
}

pub async fn bid(app: &TestApp, auction: &str, rfc: &str, amount: &str) -> reqwest::Response {
    bid_with_key(app, auction, rfc, amount, None).await
}

async fn bid_with_key(
    app: &TestApp,
    auction: &str,
    rfc: &str,
    amount: &str,
    key: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/api/v1/auctions/{auction}/bids")))
        .bearer_auth(supplier(app, rfc))
        .json(&json!({"amount": amount}));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

async fn look(app: &TestApp, auction: &str, token: Option<&str>) -> reqwest::Response {
    app.get(&format!("/api/v1/auctions/{auction}"), token).await
}

async fn award(app: &TestApp, tender: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{tender}/award"),
        Some(&officer(app, "SEP")),
        &json!({}),
    )
    .await
}

fn auditor(app: &TestApp) -> String {
    app.token(Role::Auditor, "auditor-sfp", None)
}

async fn an_auction_runs_from_its_schedule_to_the_award_at_the_final_prices(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    assert_eq!(s.view["status"], "open");
    assert_eq!(
        s.view["decrement"],
        json!({"amount": "1000.00", "percent": null}),
        "the decrement as it was sent"
    );
    assert_eq!(s.view["ceiling"], "2223420.00");
    assert_eq!(s.view["participants"], 3);
    assert_eq!(s.view["ladder"][0]["rfc"], s.a.as_str());
    assert_eq!(s.view["ladder"][0]["price"], "2043200.00");
    let tender = json_of(
        app.get(&format!("/api/v1/tenders/{}", s.tender), None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tender["phase"], "auction");

    app.clock.advance(Duration::seconds(30));
    let placed = json_of(
        bid(&app, &s.auction, &s.c, "2040000.00").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(placed["rank"], 1);
    assert_eq!(placed["best_price"], "2040000.00");
    assert_eq!(placed["seq"], 1);
    app.clock.advance(Duration::seconds(30));
    let placed = json_of(
        bid(&app, &s.auction, &s.b, "2030000.00").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (placed["rank"].clone(), placed["seq"].clone()),
        (json!(1), json!(2))
    );
    let c_view = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.c))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(c_view["you"]["rank"], 2);
    assert_eq!(c_view["you"]["best_price"], "2030000.00");
    assert_eq!(c_view["you"]["max_next_bid"], "2039000.00");

    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("licita_open_auctions 1"), "{metrics}");
    assert!(
        metrics.contains("licita_auction_bids_total{outcome=\"accepted\"} 2"),
        "{metrics}"
    );
    // Not before the close.
    assert_problem(
        award(&app, &s.tender).await,
        StatusCode::CONFLICT,
        "auction_not_closed",
    )
    .await;
    app.clock.advance(Duration::seconds(600));
    let closed = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["time_left_s"], 0);
    let ladder: Vec<(&str, &str)> = closed["ladder"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rfc"].as_str().unwrap(), r["price"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ladder,
        [
            (s.b.as_str(), "2030000.00"),
            (s.c.as_str(), "2040000.00"),
            (s.a.as_str(), "2043200.00"),
        ]
    );

    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("licita_open_auctions 0"), "{metrics}");
    let awarded = json_of(award(&app, &s.tender).await, StatusCode::OK).await;
    assert_eq!(awarded["award"]["rfc"], s.b.as_str());
    assert_eq!(awarded["award"]["amount"], "2030000.00");
    assert_eq!(awarded["award"]["savings"], "193420.00");
    let log = actions(&app, &s.tender).await;
    let tail: Vec<&str> = log.iter().rev().take(3).rev().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "tender.auction_scheduled",
            "tender.auction_closed",
            "tender.awarded"
        ]
    );
}

async fn every_refused_bid_has_its_code_and_changes_nothing(kind: Kind) {
    let app = spawn(kind).await;
    let mut settings = continuous();
    settings["must_beat_best"] = json!(true);
    let s = scheduled(&app, settings).await;
    let outsider = app.register_supplier(&rfc("OUT040404GH"), "Outsider").await;
    app.clock.advance(Duration::seconds(10));

    let cases = [
        (
            &outsider,
            "2000000.00",
            StatusCode::FORBIDDEN,
            "not_a_participant",
        ),
        (
            &s.a,
            "2223420.01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "above_ceiling",
        ),
        (
            &s.a,
            "2042200.01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "decrement_too_small",
        ),
        (
            &s.c,
            "2043200.00",
            StatusCode::UNPROCESSABLE_ENTITY,
            "must_beat_best",
        ),
        (&s.c, "0", StatusCode::UNPROCESSABLE_ENTITY, "invalid_money"),
        (
            &s.c,
            "12.345",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (who, amount, status, code) in cases {
        assert_problem(bid(&app, &s.auction, who, amount).await, status, code).await;
    }
    // Officers don't bid; unknown auctions are 404; keys are checked.
    assert_problem(
        app.post_json(
            &format!("/api/v1/auctions/{}/bids", s.auction),
            Some(&officer(&app, "SEP")),
            &json!({"amount": "1.00"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    assert_problem(
        bid(&app, "0190f0f0-0000-7000-8000-000000000000", &s.a, "1.00").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        bid_with_key(&app, &s.auction, &s.a, "2000000.00", Some("has space")).await,
        StatusCode::BAD_REQUEST,
        "invalid_idempotency_key",
    )
    .await;
    let stored = auction_bid::Entity::find().all(&app.db).await.unwrap();
    assert!(stored.is_empty(), "no refusal wrote a bid: {stored:?}");

    app.clock.advance(Duration::seconds(600));
    assert_problem(
        bid(&app, &s.auction, &s.a, "2000000.00").await,
        StatusCode::CONFLICT,
        "auction_closed",
    )
    .await;

    // An auction scheduled for later is not open yet.
    let app = spawn(kind).await;
    app.clock.set(at(21));
    let mut later = continuous();
    later["starts_at"] = json!(at(22));
    let s = scheduled(&app, later).await;
    assert_eq!(s.view["status"], "scheduled");
    assert_problem(
        bid(&app, &s.auction, &s.a, "2000000.00").await,
        StatusCode::CONFLICT,
        "auction_not_open",
    )
    .await;
}

async fn a_retry_with_the_same_idempotency_key_makes_no_second_bid(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    let first = bid_with_key(&app, &s.auction, &s.a, "2000000.00", Some("k-1")).await;
    assert_eq!(first.headers().get("idempotent-replayed"), None);
    let first = json_of(first, StatusCode::CREATED).await;
    app.clock.advance(Duration::seconds(10));
    let retry = bid_with_key(&app, &s.auction, &s.a, "2000000.00", Some("k-1")).await;
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let retry = json_of(retry, StatusCode::CREATED).await;
    assert_eq!(retry["bid_id"], first["bid_id"]);
    assert_eq!(retry["seq"], 1);
    assert_problem(
        bid_with_key(&app, &s.auction, &s.a, "1990000.00", Some("k-1")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
    )
    .await;
    // The same key from another supplier is another request.
    json_of(
        bid_with_key(&app, &s.auction, &s.b, "1999000.00", Some("k-1")).await,
        StatusCode::CREATED,
    )
    .await;
    let stored = persisted(&app, 2).await;
    assert_eq!(stored.len(), 2, "each 201 in SQL exactly once");
    let mut seqs: Vec<i64> = stored.iter().map(|b| b.seq).collect();
    seqs.sort();
    assert_eq!(seqs, [1, 2]);
}

async fn a_late_bid_extends_the_end_a_limited_number_of_times(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    let start = app.clock.now();
    let end = |v: &Value| v["ends_at"].as_str().unwrap().to_owned();
    let scheduled_end = end(&s.view);

    app.clock.set(start + Duration::seconds(100));
    let early = json_of(
        bid(&app, &s.auction, &s.a, "2040000.00").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(end(&early), scheduled_end, "not in the last minute");
    app.clock.set(start + Duration::seconds(570));
    let late = json_of(
        bid(&app, &s.auction, &s.b, "2030000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let extended: chrono::DateTime<chrono::Utc> = end(&late).parse().unwrap();
    assert_eq!(extended, start + Duration::seconds(690));
    app.clock.set(start + Duration::seconds(680));
    let again = json_of(
        bid(&app, &s.auction, &s.c, "2020000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let again: chrono::DateTime<chrono::Utc> = end(&again).parse().unwrap();
    assert_eq!(again, start + Duration::seconds(800));
    app.clock.set(start + Duration::seconds(790));
    let third = json_of(
        bid(&app, &s.auction, &s.a, "2010000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let third: chrono::DateTime<chrono::Utc> = end(&third).parse().unwrap();
    assert_eq!(
        third,
        start + Duration::seconds(800),
        "at most two extensions"
    );
    let view = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["extensions"], 2);
    app.clock.set(start + Duration::seconds(800));
    assert_problem(
        bid(&app, &s.auction, &s.b, "2000000.00").await,
        StatusCode::CONFLICT,
        "auction_closed",
    )
    .await;
}

async fn rounds_give_one_turn_each_from_the_highest_price_down(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(
        &app,
        json!({"format": "rounds", "rounds": 2, "turn_s": 60, "decrement": {"percent": "0.5"},
               "visibility": "rank_and_best"}),
    )
    .await;
    let start = app.clock.now();
    // Six turns of a minute: C, B, A, then again from the highest.
    let ends: chrono::DateTime<chrono::Utc> = s.view["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ends, start + Duration::seconds(360));
    assert_eq!(s.view["turn"]["rfc"], s.c.as_str());
    assert_problem(
        bid(&app, &s.auction, &s.a, "2000000.00").await,
        StatusCode::CONFLICT,
        "not_your_turn",
    )
    .await;
    // 0.5 % of 2,103,200.00 is 10,516.00: C may bid at most 2,092,684.00.
    assert_problem(
        bid(&app, &s.auction, &s.c, "2092684.01").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "decrement_too_small",
    )
    .await;
    app.clock.set(start + Duration::seconds(20));
    json_of(
        bid(&app, &s.auction, &s.c, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    // A can't see C's bid until C's turn ends.
    let a_view = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(a_view["you"]["rank"], 1);
    assert_eq!(a_view["you"]["best_price"], "2043200.00");
    assert_eq!(a_view["turn"]["yours"], false);
    assert_eq!(a_view["last_seq"], 0, "not even that a bid was made");
    app.clock.set(start + Duration::seconds(60));
    let a_view = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(a_view["you"]["rank"], 2);
    assert_eq!(a_view["you"]["best_price"], "2000000.00");
    assert_eq!(a_view["last_seq"], 1);
    // Second turn is B's (the highest of the others), third is A's. The live state lost in
    // the middle of the round comes back from SQL with the round's turn order.
    persisted(&app, 1).await;
    app.engine
        .evict(uuid::Uuid::parse_str(&s.auction).unwrap())
        .await
        .unwrap();
    assert_problem(
        bid(&app, &s.auction, &s.a, "1990000.00").await,
        StatusCode::CONFLICT,
        "not_your_turn",
    )
    .await;
    json_of(
        bid(&app, &s.auction, &s.b, "1990000.00").await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(start + Duration::seconds(130));
    let a_view = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(a_view["turn"]["yours"], true);
    assert_eq!(a_view["turn"]["round"], 1);
    // Round two starts with the highest price as the round starts: A (2,043,200.00).
    app.clock.set(start + Duration::seconds(185));
    let auditor_view = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(auditor_view["turn"]["round"], 2);
    assert_eq!(auditor_view["turn"]["rfc"], s.a.as_str());
}

async fn each_role_sees_only_what_it_may(kind: Kind) {
    let app = spawn(kind).await;
    let mut settings = continuous();
    settings["visibility"] = json!("rank");
    let s = scheduled(&app, settings).await;
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid(&app, &s.auction, &s.c, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let outsider = app.register_supplier(&rfc("OUT040404GH"), "Outsider").await;

    let a_view = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(a_view["you"]["price"], "2043200.00");
    assert_eq!(a_view["you"]["rank"], 2);
    assert_eq!(
        a_view["you"]["best_price"],
        Value::Null,
        "visibility: rank only"
    );
    let text = a_view.to_string();
    for other in [&s.b, &s.c] {
        assert!(
            !text.contains(other.as_str()),
            "a supplier never learns who: {text}"
        );
    }
    assert!(a_view.get("ladder").is_none() && a_view.get("history").is_none());
    assert!(a_view["server_time"].is_string() && a_view["time_left_s"].is_number());

    for token in [Some(auditor(&app)), Some(officer(&app, "SEP"))] {
        let staff = json_of(
            look(&app, &s.auction, token.as_deref()).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(staff["ladder"][0]["rfc"], s.c.as_str());
        assert_eq!(staff["history"][0]["rfc"], s.c.as_str());
    }
    assert_problem(
        look(&app, &s.auction, Some(&officer(&app, "IMSS"))).await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    assert_problem(
        look(&app, &s.auction, Some(&supplier(&app, &outsider))).await,
        StatusCode::FORBIDDEN,
        "not_a_participant",
    )
    .await;
    assert_problem(
        look(&app, &s.auction, None).await,
        StatusCode::FORBIDDEN,
        "auction_not_public",
    )
    .await;

    // After the award, anyone reads the anonymised history.
    app.clock.advance(Duration::seconds(700));
    json_of(award(&app, &s.tender).await, StatusCode::OK).await;
    let public = json_of(look(&app, &s.auction, None).await, StatusCode::OK).await;
    assert_eq!(public["history"][0]["participant"], "P3");
    assert_eq!(public["history"][0]["amount"], "2000000.00");
    let text = public.to_string();
    for who in [&s.a, &s.b, &s.c] {
        assert!(!text.contains(who.as_str()), "anonymised: {text}");
    }
}

async fn scheduling_refuses_what_is_not_ready_and_bad_settings(kind: Kind) {
    let app = spawn(kind).await;
    let a = app
        .register_supplier(&rfc("ACM010101AB"), "Acme Cómputo")
        .await;
    let b = app
        .register_supplier(&rfc("BET020202CD"), "Betel Sistemas")
        .await;
    let tender = published(&app).await;
    assert_problem(
        schedule(&app, &tender, &continuous()).await,
        StatusCode::CONFLICT,
        "not_auctionable",
    )
    .await;
    app.clock.set(at(8));
    json_of(
        submit(&app, &tender, &a, &bid_body("17000.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    json_of(
        submit(&app, &tender, &b, &bid_body("17100.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    let opened = crate::tenders::open(&app, &tender).await;
    let ids: Vec<Value> = opened["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["bid_id"].clone())
        .collect();
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{tender}/evaluation"),
            Some(&officer(&app, "SEP")),
            &json!({"evaluations": [
                {"bid_id": ids[0], "qualified": true},
                {"bid_id": ids[1], "qualified": false, "reason": "Sin garantía."},
            ]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        schedule(&app, &tender, &continuous()).await,
        StatusCode::CONFLICT,
        "too_few_qualified",
    )
    .await;

    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    assert_problem(
        schedule(&app, &s.tender, &continuous()).await,
        StatusCode::CONFLICT,
        "not_auctionable",
    )
    .await;
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{}/auction", s.tender),
            Some(&officer(&app, "IMSS")),
            &continuous(),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;

    // Bad settings on a tender that is ready: each named, nothing changes.
    let app = spawn(kind).await;
    let mut rfcs = Vec::new();
    for (body, _) in SEALED.iter().take(2) {
        rfcs.push(
            app.register_supplier(&rfc(body), &format!("Proveedor {body}"))
                .await,
        );
    }
    let tender = published(&app).await;
    app.clock.set(at(8));
    for r in &rfcs {
        json_of(
            submit(&app, &tender, r, &bid_body("17000.00", "80.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    open_and_qualify_all(&app, &tender).await;
    let problem = assert_problem(
        schedule(
            &app,
            &tender,
            &json!({"format": "rounds", "rounds": 0, "duration_s": 600,
                    "decrement": {"amount": "1", "percent": "1"}, "starts_at": at(20)}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_auction_settings",
    )
    .await;
    let fields: Vec<&str> = problem["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for field in ["starts_at", "rounds", "duration_s", "decrement"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    for (body, code) in [
        (json!({"format": "dutch"}), "invalid_auction_settings"),
        (
            json!({"decrement": {"amount": "1"}, "colour": "red"}),
            "invalid_auction_settings",
        ),
        (json!([1, 2]), "invalid_body"),
    ] {
        assert_problem(
            schedule(&app, &tender, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    let t = json_of(
        app.get(&format!("/api/v1/tenders/{tender}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(t["phase"], "evaluation", "nothing changed");
    assert!(
        auction::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn the_auction_closes_at_its_end_with_nobody_watching(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid(&app, &s.auction, &s.b, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.advance(Duration::seconds(600));
    // The background closer runs twice a second; give it a few chances.
    let mut closed = None;
    for _ in 0..40 {
        let row = auction::Entity::find()
            .filter(auction::Column::TenderId.eq(uuid::Uuid::parse_str(&s.tender).unwrap()))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if row.status.as_str() == "closed" {
            closed = Some(row);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let closed = closed.expect("the closer closed the auction without any request");
    assert!(closed.closed_at.is_some());
    assert!(
        actions(&app, &s.tender)
            .await
            .contains(&"tender.auction_closed".to_owned())
    );
}

/// Files a complaint by `who` against the tender's evaluation and admits it with a
/// suspension; returns its id.
pub async fn suspend_with_complaint(app: &TestApp, tender: &str, who: &str) -> String {
    let filed = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{tender}/complaints"),
            Some(&supplier(app, who)),
            &json!({"act": "evaluation", "title": "Inconformidad contra la evaluación",
                    "facts": "Mi propuesta se evaluó con un criterio que las bases no prevén.",
                    "request": "Que se reponga la evaluación."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = filed["id"].as_str().unwrap().to_owned();
    json_of(
        app.post_json(
            &format!("/api/v1/complaints/{id}/admission"),
            Some(&auditor(app)),
            &json!({"suspend": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    id
}

/// Lifts complaint `id`'s suspension.
pub async fn lift(app: &TestApp, id: &str) {
    json_of(
        app.post_json(
            &format!("/api/v1/complaints/{id}/suspension-lift"),
            Some(&auditor(app)),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

async fn a_suspended_tender_pauses_its_auction_which_resumes_with_the_time_it_had_left(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    let started: chrono::DateTime<chrono::Utc> =
        s.view["starts_at"].as_str().unwrap().parse().unwrap();
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid(&app, &s.auction, &s.b, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let placed_at = |view: &Value| -> chrono::DateTime<chrono::Utc> {
        view["history"][0]["placed_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    // 100 s in, C's complaint is admitted with a suspension: the auction pauses, with
    // 500 s left, and refuses every bid (an outsider is still told it is none).
    app.clock.set(started + Duration::seconds(100));
    let complaint = suspend_with_complaint(&app, &s.tender, &s.c).await;
    let paused = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(paused["status"], "paused", "{paused}");
    assert_eq!(paused["time_left_s"], 500);
    let paused_at: chrono::DateTime<chrono::Utc> =
        paused["paused_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(paused_at, started + Duration::seconds(100));
    assert_problem(
        bid(&app, &s.auction, &s.a, "1990000.00").await,
        StatusCode::CONFLICT,
        "tender_suspended",
    )
    .await;
    assert_problem(
        bid(&app, &s.auction, &rfc("OUT040404GH"), "1.00").await,
        StatusCode::FORBIDDEN,
        "not_a_participant",
    )
    .await;
    // Its end passes while paused: it does not close, with or without a look.
    app.clock.set(started + Duration::seconds(2_000));
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let still = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(still["status"], "paused", "{still}");
    assert_eq!(still["time_left_s"], 500);
    assert!(still["you"]["max_next_bid"].is_null());
    // Lifted at 3,000 s: it resumes with its 500 s, its end moved by the 2,900 s pause;
    // the bid before the pause keeps the time it was placed.
    app.clock.set(started + Duration::seconds(3_000));
    lift(&app, &complaint).await;
    let resumed = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resumed["status"], "open", "{resumed}");
    assert_eq!(resumed["time_left_s"], 500);
    assert!(resumed["paused_at"].is_null());
    let ends: chrono::DateTime<chrono::Utc> = resumed["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ends, started + Duration::seconds(3_500));
    assert_eq!(placed_at(&resumed), started + Duration::seconds(10));
    // In its last 60 s a bid extends it, as before the pause; the engine state, lost and
    // rebuilt from SQL, agrees.
    app.clock.set(started + Duration::seconds(3_450));
    let late = json_of(
        bid(&app, &s.auction, &s.a, "1990000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let extended: chrono::DateTime<chrono::Utc> =
        late["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(extended, started + Duration::seconds(3_570));
    persisted(&app, 2).await;
    app.engine
        .evict(uuid::Uuid::parse_str(&s.auction).unwrap())
        .await
        .unwrap();
    let rebuilt = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rebuilt["ends_at"], late["ends_at"]);
    assert_eq!(rebuilt["ladder"][0]["rfc"], s.a.as_str());
    assert_eq!(placed_at(&rebuilt), started + Duration::seconds(10));
    // It closes at its moved end, and the audit shows the pause and the resumption.
    app.clock.set(started + Duration::seconds(3_570));
    let closed = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(closed["status"], "closed");
    // Closed in SQL: an outsider is still told it is none, a participant that it ended.
    assert_problem(
        bid(&app, &s.auction, &rfc("OUT040404GH"), "1.00").await,
        StatusCode::FORBIDDEN,
        "not_a_participant",
    )
    .await;
    assert_problem(
        bid(&app, &s.auction, &s.b, "1980000.00").await,
        StatusCode::CONFLICT,
        "auction_closed",
    )
    .await;
    let log = actions(&app, &s.tender).await;
    for action in ["tender.auction_paused", "tender.auction_resumed"] {
        assert!(log.contains(&action.to_owned()), "{action} in {log:?}");
    }
}

/// A complaint step that would pause an auction its caller's engine does not hold (one
/// scheduled after the route looked) is refused whole, to be run again holding it.
async fn a_pause_of_an_auction_the_engine_does_not_hold_is_refused_and_changes_nothing(kind: Kind) {
    use licita::usecases::UseCaseError;
    use licita::usecases::complaints::decide::{self, Decision};
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    let filed = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{}/complaints", s.tender),
            Some(&supplier(&app, &s.c)),
            &json!({"act": "evaluation", "title": "Inconformidad", "facts": "Hechos.",
                    "request": "Que se reponga la evaluación."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let complaint = uuid::Uuid::parse_str(filed["id"].as_str().unwrap()).unwrap();
    let auditor_actor = licita::domain::audit::Actor {
        sub: "auditor-sfp".into(),
        role: "auditor".into(),
    };
    let refused = decide::run(
        &app.state.context(),
        complaint,
        Decision::Admit { suspend: true },
        &auditor_actor,
    )
    .await;
    match refused {
        Err(UseCaseError::Unheld(ids)) => {
            assert_eq!(
                ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
                vec![s.auction.clone()]
            );
        }
        other => panic!("expected the auction to be named unheld, got {other:?}"),
    }
    // Nothing changed: the complaint is still filed, the auction open and taking bids.
    let read = json_of(
        app.get(
            &format!("/api/v1/complaints/{complaint}"),
            Some(&auditor(&app)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["status"], "filed");
    json_of(
        bid(&app, &s.auction, &s.a, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    assert!(
        !actions(&app, &s.tender)
            .await
            .contains(&"tender.auction_paused".to_owned())
    );
}

/// The suspension is lifted in SQL while Redis keeps the auction paused (as when Redis was
/// out of reach as the lift committed): the next bid finds Redis stale, reloads the
/// auction from SQL and is accepted.
async fn a_redis_that_missed_a_resumption_reloads_on_the_next_bid(kind: Kind) {
    use licita::usecases::complaints::decide::{self, Decision};
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    let complaint = suspend_with_complaint(&app, &s.tender, &s.c).await;
    assert_problem(
        bid(&app, &s.auction, &s.a, "2000000.00").await,
        StatusCode::CONFLICT,
        "tender_suspended",
    )
    .await;
    app.clock.advance(Duration::seconds(100));
    let held = [licita::domain::ids::AuctionId::from_uuid(
        uuid::Uuid::parse_str(&s.auction).unwrap(),
    )];
    let cx = licita::usecases::Context {
        held: &held,
        ..app.state.context()
    };
    decide::run(
        &cx,
        uuid::Uuid::parse_str(&complaint).unwrap(),
        Decision::LiftSuspension,
        &licita::domain::audit::Actor {
            sub: "auditor-sfp".into(),
            role: "auditor".into(),
        },
    )
    .await
    .unwrap();
    let placed = json_of(
        bid(&app, &s.auction, &s.a, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let ends: chrono::DateTime<chrono::Utc> = placed["ends_at"].as_str().unwrap().parse().unwrap();
    let started: chrono::DateTime<chrono::Utc> =
        s.view["starts_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        ends,
        started + Duration::seconds(700),
        "moved by the 100 s pause"
    );
}

async fn accepted_bids_survive_a_restart_of_the_engine(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid_with_key(&app, &s.auction, &s.b, "2000000.00", Some("once")).await,
        StatusCode::CREATED,
    )
    .await;
    persisted(&app, 1).await;
    let before = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    // The engine loses its live state, as a restarted process (or a Redis restarted
    // empty) would; SQL has every bid.
    app.engine
        .evict(uuid::Uuid::parse_str(&s.auction).unwrap())
        .await
        .unwrap();
    let after = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(before["ladder"], after["ladder"]);
    assert_eq!(before["history"], after["history"]);
    // The idempotency key is remembered too, and the next bid follows on.
    let retry = bid_with_key(&app, &s.auction, &s.b, "2000000.00", Some("once")).await;
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let next = json_of(
        bid(&app, &s.auction, &s.a, "1990000.00").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(next["seq"], 2);
    let stored = persisted(&app, 2).await;
    assert_eq!(stored.len(), 2, "each 201 in SQL exactly once");
}

async fn participants_get_live_updates_filtered_for_them(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/auctions/{}/events", s.auction)))
        .bearer_auth(supplier(&app, &s.a))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    let mut next_event = async |text: &mut String, name: &str| -> Value {
        loop {
            if let Some(start) = text.find(&format!("event: {name}\n"))
                && let Some(end) = text[start..].find("\n\n")
            {
                let block = text[start..start + end].to_owned();
                text.replace_range(..start + end + 2, "");
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                return serde_json::from_str(data).unwrap();
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
                .await
                .expect("an event within 10 s")
                .unwrap()
                .unwrap();
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    };
    let first = next_event(&mut text, "state").await;
    assert_eq!(first["you"]["rank"], 1);
    assert_eq!(first["last_seq"], 0);
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid(&app, &s.auction, &s.b, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let update = next_event(&mut text, "state").await;
    assert_eq!(update["last_seq"], 1);
    assert_eq!(update["you"]["rank"], 2);
    assert_eq!(update["you"]["best_price"], "2000000.00");
    assert!(
        !update.to_string().contains(s.b.as_str()),
        "never who holds it"
    );
    app.clock.advance(Duration::seconds(700));
    let closed = next_event(&mut text, "closed").await;
    assert_eq!(closed["status"], "closed");
}

/// The differential property test: random bid sequences, with a suspension of the tender
/// (the auctions pause, then resume) at a random point, go both to the running engine
/// (through HTTP) and to the pure rules of `domain::auction`, which must decide alike —
/// the same refusal code, or the same rank, best price and end.
mod differential {
    use licita::domain::auction::Auction;
    use licita::domain::auction_settings::AuctionSettings;
    use licita::domain::money::Money;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};

    use super::*;

    /// (who bids: 0..3 a participant, 3 an outsider; what: 0 and 1 its own price less
    /// `below` centavos (negative: above), 2 the best price, 3 participant `below % 3`'s
    /// price — ties are where rules differ most; seconds since the previous attempt; in
    /// which lot's auction, when two run at once).
    type Attempt = (usize, u8, i64, i64, usize);

    fn settings() -> impl Strategy<Value = Value> {
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            1i64..90,
            1i64..150,
        )
            .prop_map(|(rounds, percent, must_beat_best, soft, ext)| {
                let decrement = if percent {
                    json!({"percent": "0.25"})
                } else {
                    json!({"amount": "500.00"})
                };
                if rounds {
                    json!({"format": "rounds", "rounds": 2, "turn_s": 30, "decrement": decrement,
                           "must_beat_best": must_beat_best})
                } else {
                    json!({"format": "continuous", "duration_s": 300, "soft_close_s": soft,
                           "extension_s": ext, "max_extensions": 3, "decrement": decrement,
                           "must_beat_best": must_beat_best})
                }
            })
    }

    /// A suspension of the tender: before which attempt, for how many seconds.
    type Pause = (usize, i64);

    fn pause() -> impl Strategy<Value = Option<Pause>> {
        proptest::option::of((0usize..25, 1i64..4_000))
    }

    fn attempts() -> impl Strategy<Value = Vec<Attempt>> {
        proptest::collection::vec(
            (0usize..4, 0u8..4, -2_000i64..6_000_000, 0i64..40, 0usize..2),
            1..25,
        )
    }

    /// One auction's rules as the engine reports them, and the pure rules' twin.
    async fn oracle(app: &TestApp, auction: &str) -> (Auction, Vec<(String, Money)>) {
        let view = json_of(
            look(app, auction, Some(&auditor(app))).await,
            StatusCode::OK,
        )
        .await;
        let parsed: AuctionSettings = serde_json::from_value(view["settings"].clone()).unwrap();
        let ceiling = Money::parse(view["ceiling"].as_str().unwrap()).unwrap();
        let participants: Vec<(String, Money)> = view["ladder"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["rfc"].as_str().unwrap().to_owned(),
                    Money::parse(r["sealed_total"].as_str().unwrap()).unwrap(),
                )
            })
            .collect();
        (
            Auction::new(parsed.rules(ceiling), participants.clone()),
            participants,
        )
    }

    /// Runs `attempts` against the engine and the pure rules; with `lots`, on the
    /// auctions of a two-lot tender running at once, each attempt in the lot it names
    /// (each lot's own oracle: a bid in one lot never moves the other).
    async fn run_case(
        kind: Kind,
        settings: Value,
        attempts: Vec<Attempt>,
        pause: Option<Pause>,
        lots: bool,
    ) -> Result<(), TestCaseError> {
        let app = spawn(kind).await;
        let (tender, auctions): (String, Vec<String>) = if lots {
            let (s, second) = scheduled_in_lots(&app, settings).await;
            (s.tender, vec![s.auction, second])
        } else {
            let s = scheduled(&app, settings).await;
            (s.tender, vec![s.auction])
        };
        let outsider = rfc("OUT040404GH");
        let mut oracles = Vec::new();
        for auction in &auctions {
            oracles.push(oracle(&app, auction).await);
        }
        let mut now = app.clock.now();
        for (i, (who, what, below, dt, lot)) in attempts.into_iter().enumerate() {
            if let Some((before, length)) = pause
                && before == i
            {
                // The tender suspended now, for `length` seconds: the auctions not ended
                // pause, then resume with the time they had left.
                let complaint =
                    super::suspend_with_complaint(&app, &tender, &oracles[0].1[0].0).await;
                for (oracle, _) in &mut oracles {
                    if !oracle.is_closed(now) {
                        oracle.pause(now);
                    }
                }
                now += Duration::seconds(length);
                app.clock.set(now);
                super::lift(&app, &complaint).await;
                for (oracle, _) in &mut oracles {
                    oracle.resume(now);
                }
            }
            let lot = lot % auctions.len();
            let (oracle, participants) = &mut oracles[lot];
            now += Duration::seconds(dt);
            app.clock.set(now);
            let rfc = participants
                .get(who)
                .map_or(outsider.clone(), |p| p.0.clone());
            let current = oracle
                .participant(&rfc)
                .map_or(participants[0].1, |i| oracle.prices()[i]);
            let prices = oracle.prices();
            let amount = match what {
                2 => oracle.best().unwrap_or(current),
                3 => prices[usize::try_from(below.rem_euclid(3)).unwrap_or(0)],
                _ => Money::from_centavos((current.centavos() - below).max(1)).unwrap(),
            };
            let expected = oracle.place(&rfc, amount, now);
            let response = bid(&app, &auctions[lot], &rfc, &amount.to_string()).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            match expected {
                Ok(accepted) => {
                    prop_assert_eq!(
                        status,
                        StatusCode::CREATED,
                        "lot {} {} {} at {}: {}",
                        lot + 1,
                        rfc,
                        amount,
                        now,
                        body
                    );
                    prop_assert_eq!(&body["rank"], &json!(accepted.rank));
                    prop_assert_eq!(&body["best_price"], &json!(accepted.best.to_string()));
                    let ends: chrono::DateTime<chrono::Utc> =
                        body["ends_at"].as_str().unwrap().parse().unwrap();
                    prop_assert_eq!(ends, accepted.ends_at);
                }
                Err(refusal) => {
                    prop_assert_eq!(
                        &body["code"],
                        &json!(refusal.code()),
                        "lot {} {} {} at {}",
                        lot + 1,
                        rfc,
                        amount,
                        now
                    );
                }
            }
        }
        // Each auction holds exactly its own accepted bids, in its own sequence.
        for (auction, (oracle, _)) in auctions.iter().zip(&oracles) {
            let view = json_of(
                look(&app, auction, Some(&auditor(&app))).await,
                StatusCode::OK,
            )
            .await;
            let best = oracle.best().map(|b| b.to_string());
            prop_assert_eq!(view["ladder"][0]["price"].as_str().map(str::to_owned), best);
            let ends: chrono::DateTime<chrono::Utc> =
                view["ends_at"].as_str().unwrap().parse().unwrap();
            prop_assert_eq!(ends, oracle.ends_at, "{}", view);
        }
        Ok(())
    }

    fn differential(kind: Kind) {
        differential_on(kind, false, 16);
    }

    /// Two lots' auctions at once, each attempt in one of them: fewer cases, each longer.
    fn differential_in_lots(kind: Kind) {
        differential_on(kind, true, 8);
    }

    fn differential_on(kind: Kind, lots: bool, cases: u32) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut runner = TestRunner::new(Config {
            cases,
            max_shrink_iters: 64,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(
            &(settings(), attempts(), pause()),
            |(settings, attempts, pause)| {
                runtime.block_on(run_case(kind, settings, attempts, pause, lots))
            },
        );
        if let Err(e) = result {
            panic!("the engine and the pure rules disagree: {e}");
        }
    }

    #[test]
    fn the_in_process_engine_decides_as_the_pure_rules() {
        differential((Backend::Sqlite, EngineKind::Memory));
    }

    #[test]
    fn the_in_process_engine_decides_two_lots_at_once_as_the_pure_rules() {
        differential_in_lots((Backend::Sqlite, EngineKind::Memory));
    }

    #[test]
    fn the_redis_engine_decides_two_lots_at_once_as_the_pure_rules() {
        if crate::helpers::skip_postgres() || crate::helpers::redis_url().is_none() {
            return;
        }
        differential_in_lots((Backend::Postgres, EngineKind::Redis));
    }

    #[test]
    fn the_redis_cluster_engine_decides_two_lots_at_once_as_the_pure_rules() {
        if crate::helpers::skip_postgres() || crate::helpers::redis_cluster_url().is_none() {
            return;
        }
        differential_in_lots((Backend::Postgres, EngineKind::Cluster));
    }

    #[test]
    fn the_redis_engine_decides_as_the_pure_rules() {
        if crate::helpers::skip_postgres() || crate::helpers::redis_url().is_none() {
            return;
        }
        differential((Backend::Postgres, EngineKind::Redis));
    }

    #[test]
    fn the_redis_cluster_engine_decides_as_the_pure_rules() {
        if crate::helpers::skip_postgres() || crate::helpers::redis_cluster_url().is_none() {
            return;
        }
        differential((Backend::Postgres, EngineKind::Cluster));
    }
}

async fn two_instances_share_one_auction_through_redis(kind: Kind) {
    // Two service instances on one database and one Redis (same key prefix and seal key).
    let shared_prefix = format!("shared-{}", uuid::Uuid::new_v4().simple());
    let seal_key = "ab".repeat(32);
    let redis = match kind.1 {
        EngineKind::Cluster => crate::helpers::redis_cluster_url().unwrap(),
        _ => crate::helpers::redis_url().unwrap(),
    };
    let overrides = [
        ("REDIS_URL", redis.as_str()),
        ("LICITA_REDIS_PREFIX", shared_prefix.as_str()),
        ("LICITA_SEAL_KEY", seal_key.as_str()),
    ];
    let a = spawn_app_with(kind.0, &overrides).await;
    let url = a.database_url.clone().unwrap();
    let mut with_db = overrides.to_vec();
    with_db.push(("DATABASE_URL", url.as_str()));
    let b = spawn_app_with(kind.0, &with_db).await;
    let s = scheduled(&a, continuous()).await;
    b.clock.set(a.clock.now());

    // A supplier watches through B while bids go through A, then through B.
    let response = b
        .client
        .get(b.url(&format!("/api/v1/auctions/{}/events", s.auction)))
        .bearer_auth(supplier(&b, &s.c))
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    a.clock.advance(Duration::seconds(10));
    b.clock.set(a.clock.now());
    json_of(
        bid(&a, &s.auction, &s.a, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !text.contains("\"last_seq\":1") {
        assert!(std::time::Instant::now() < deadline, "B never told: {text}");
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(text.contains("\"best_price\":\"2000000.00\""), "{text}");
    let placed = json_of(
        bid(&b, &s.auction, &s.b, "1990000.00").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(placed["seq"], 2, "B sees A's bid: one sequence");
    assert_eq!(placed["rank"], 1);
    // Both closers run; the auction closes once.
    a.clock.advance(Duration::seconds(700));
    b.clock.set(a.clock.now());
    let view_a = json_of(
        look(&a, &s.auction, Some(&auditor(&a))).await,
        StatusCode::OK,
    )
    .await;
    let view_b = json_of(
        look(&b, &s.auction, Some(&auditor(&b))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view_a["status"], "closed");
    assert_eq!(view_a["ladder"], view_b["ladder"]);
    let closes = actions(&a, &s.tender)
        .await
        .into_iter()
        .filter(|a| a == "tender.auction_closed")
        .count();
    assert_eq!(closes, 1);
}

async fn the_sandbox_time_factor_runs_auctions_faster(kind: Kind) {
    let (backend, engine) = kind;
    let redis = match engine {
        EngineKind::Memory => String::new(),
        EngineKind::Redis => crate::helpers::redis_url().unwrap(),
        EngineKind::Cluster => crate::helpers::redis_cluster_url().unwrap(),
    };
    let app = spawn_app_with(
        backend,
        &[
            ("REDIS_URL", redis.as_str()),
            ("LICITA_SANDBOX", "true"),
            ("LICITA_TIME_FACTOR", "60"),
        ],
    )
    .await;
    let s = scheduled(&app, continuous()).await;
    let starts: chrono::DateTime<chrono::Utc> =
        s.view["starts_at"].as_str().unwrap().parse().unwrap();
    let ends: chrono::DateTime<chrono::Utc> = s.view["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ends - starts, Duration::seconds(10), "600 s at 60×");
    assert_eq!(
        s.view["settings"]["duration_s"], 600,
        "the settings as written"
    );
    assert_eq!(s.view["settings"]["time_factor"], 60);
}

async fn a_refusal_never_states_a_hidden_best_price(kind: Kind) {
    let app = spawn(kind).await;
    let mut settings = continuous();
    settings["must_beat_best"] = json!(true);
    settings["visibility"] = json!("rank");
    let s = scheduled(&app, settings).await;
    app.clock.advance(Duration::seconds(10));
    let problem = assert_problem(
        bid(&app, &s.auction, &s.c, "2043200.00").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "must_beat_best",
    )
    .await;
    let text = problem.to_string();
    assert!(
        !text.contains("2043200"),
        "the best price stays hidden: {text}"
    );
}

async fn the_advertised_max_next_bid_is_accepted_and_refusals_state_visible_limits(kind: Kind) {
    let app = spawn(kind).await;
    let mut settings = continuous();
    settings["must_beat_best"] = json!(true);
    let s = scheduled(&app, settings).await;
    app.clock.advance(Duration::seconds(10));
    // C's own limit is 2,102,200.00, but it must beat A's 2,043,200.00.
    let c_view = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.c))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(c_view["you"]["max_next_bid"], "2043199.99");
    // The refusals say the limit the bidder may see.
    let problem = assert_problem(
        bid(&app, &s.auction, &s.c, "2043200.00").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "must_beat_best",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("2043200.00"),
        "{problem}"
    );
    let problem = assert_problem(
        bid(&app, &s.auction, &s.c, "2223420.01").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "above_ceiling",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("2223420.00"),
        "{problem}"
    );
    // The advertised amount is accepted.
    json_of(
        bid(&app, &s.auction, &s.c, "2043199.99").await,
        StatusCode::CREATED,
    )
    .await;
    let a_view = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(a_view["you"]["max_next_bid"], "2042200.00");
    json_of(
        bid(&app, &s.auction, &s.a, "2042200.00").await,
        StatusCode::CREATED,
    )
    .await;

    // With the best price hidden, no amount that would reveal it is advertised.
    let app = spawn(kind).await;
    let mut hidden = continuous();
    hidden["must_beat_best"] = json!(true);
    hidden["visibility"] = json!("rank");
    let s = scheduled(&app, hidden).await;
    app.clock.advance(Duration::seconds(10));
    let c_view = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.c))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(c_view["you"]["max_next_bid"], Value::Null, "{c_view}");
}

async fn cancelling_the_tender_closes_its_auction_at_once(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid(&app, &s.auction, &s.c, "2090000.00").await,
        StatusCode::CREATED,
    )
    .await;
    // Someone else's officer can't cancel, and that leaves the auction running.
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{}/cancel", s.tender),
            Some(&officer(&app, "SSA")),
            &json!({"reason": "no"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    json_of(
        bid(&app, &s.auction, &s.b, "2060000.00").await,
        StatusCode::CREATED,
    )
    .await;
    let cancelled = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{}/cancel", s.tender),
            Some(&officer(&app, "SEP")),
            &json!({"reason": "La necesidad desapareció"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["phase"], "cancelled");
    // No bid passes after the cancellation, on any instance's engine state.
    assert_problem(
        bid(&app, &s.auction, &s.a, "2000000.00").await,
        StatusCode::CONFLICT,
        "auction_closed",
    )
    .await;
    let view = json_of(
        look(&app, &s.auction, Some(&auditor(&app))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["status"], "closed", "{view}");
    // It says it has ended, and advertises no bid to a participant.
    assert_eq!(view["time_left_s"], 0, "{view}");
    assert!(view["ends_at"].as_str().unwrap() <= view["server_time"].as_str().unwrap());
    let mine = json_of(
        look(&app, &s.auction, Some(&supplier(&app, &s.a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["you"]["max_next_bid"], Value::Null, "{mine}");
    assert_eq!(mine["time_left_s"], 0);
    assert_eq!(view["history"].as_array().unwrap().len(), 2);
    let stored = persisted(&app, 2).await;
    assert_eq!(
        stored.len(),
        2,
        "the bids taken before the cancellation are kept"
    );
    let row = auction::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "closed");
    assert!(row.closed_at.is_some());
    // Still closed after the engine forgets it and reads it again.
    app.engine
        .evict(uuid::Uuid::parse_str(&s.auction).unwrap())
        .await
        .unwrap();
    assert_problem(
        bid(&app, &s.auction, &s.a, "1990000.00").await,
        StatusCode::CONFLICT,
        "auction_closed",
    )
    .await;
}

async fn a_winner_sanctioned_during_the_auction_is_passed_over_at_final_prices(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid(&app, &s.auction, &s.c, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    json_of(
        bid(&app, &s.auction, &s.b, "2010000.00").await,
        StatusCode::CREATED,
    )
    .await;
    // C, the best price, is sanctioned while the auction runs.
    json_of(
        app.post_json(
            &format!("/api/v1/suppliers/{}/sanctions", s.c),
            Some(&app.registrar()),
            &json!({"authority": "SABG", "reference": "EXP-9", "reason": "Falsedad de información",
                    "starts_on": "2026-03-20", "ends_on": "2027-03-20"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.advance(Duration::seconds(700));
    let problem = assert_problem(
        award(&app, &s.tender).await,
        StatusCode::CONFLICT,
        "supplier_sanctioned",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains(s.c.as_str()));
    // Passed over with a reason, the next final auction price wins.
    let awarded = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{}/award", s.tender),
            Some(&officer(&app, "SEP")),
            &json!({"pass_over_reason": "Inhabilitado por la SABG durante la subasta."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(awarded["award"]["rfc"], s.b.as_str());
    assert_eq!(
        awarded["award"]["amount"], "2010000.00",
        "B's final auction price"
    );
    assert_eq!(awarded["award"]["passed_over"][0]["rfc"], s.c.as_str());
    assert_eq!(awarded["award"]["savings"], "213420.00");
}

crate::on_both_databases!(event_streams_are_capped_per_client_and_in_all_and_end_when_old);

/// Caps of 2 streams per client and 3 in all; then, on another instance, streams at most
/// 2 s old.
async fn event_streams_are_capped_per_client_and_in_all_and_end_when_old(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("REDIS_URL", ""),
            ("LICITA_SSE_MAX_PER_CLIENT", "2"),
            ("LICITA_SSE_MAX_STREAMS", "3"),
        ],
    )
    .await;
    let s = scheduled(&app, continuous()).await;
    let path = format!("/api/v1/auctions/{}/events", s.auction);
    let open = async |app: &TestApp, token: &str| {
        app.client
            .get(app.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    };
    let (a, b) = (supplier(&app, &s.a), supplier(&app, &s.b));
    let first = open(&app, &a).await;
    let second = open(&app, &a).await;
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let refused = open(&app, &a).await;
    assert_eq!(refused.headers().get("retry-after").unwrap(), "5");
    let problem = assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "too_many_streams").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("open for you"),
        "{problem}"
    );
    let third = open(&app, &b).await;
    assert_eq!(third.status(), StatusCode::OK, "another client has its own");
    let problem = assert_problem(
        open(&app, &officer(&app, "SEP")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_streams",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("instance"),
        "{problem}"
    );

    // A client that goes away gives its place back once the stream notices: a write to the
    // closed connection fails at the second heartbeat after it (15 s apart) at the latest.
    // The streams here live an hour, so nothing else frees it.
    drop(first);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    loop {
        let r = open(&app, &a).await;
        if r.status() == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the place was not given back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    drop((second, third));

    // Every stream ends at its maximum age, saying so.
    let aging = spawn_app_with(backend, &[("REDIS_URL", ""), ("LICITA_SSE_MAX_AGE_S", "2")]).await;
    let s = scheduled(&aging, continuous()).await;
    let path = format!("/api/v1/auctions/{}/events", s.auction);
    let response = aging
        .client
        .get(aging.url(&path))
        .bearer_auth(supplier(&aging, &s.a))
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(8), async {
        while let Some(chunk) = stream.next().await {
            text.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        }
    })
    .await;
    assert!(read.is_ok(), "the stream did not end: {text}");
    assert!(text.contains("event: state"), "{text}");
    assert!(text.contains("maximum age"), "{text}");
}

/// Two instances on one PostgreSQL and one Redis: a bid taken by one reaches the event
/// streams of the other through Redis (`PUBLISH` from the auction script), as it happens.
async fn a_bid_taken_by_one_instance_reaches_the_watchers_of_another(cluster: bool) {
    if crate::helpers::skip_postgres() || crate::helpers::redis_url().is_none() {
        return;
    }
    let redis = if cluster {
        let Some(url) = crate::helpers::redis_cluster_url() else {
            return;
        };
        url
    } else {
        crate::helpers::redis_url().unwrap()
    };
    let prefix = format!("two-{}", uuid::Uuid::new_v4().simple());
    let a = spawn_app_with(
        Backend::Postgres,
        &[("LICITA_REDIS_PREFIX", &prefix), ("REDIS_URL", &redis)],
    )
    .await;
    let s = scheduled(&a, continuous()).await;
    let b = spawn_app_with(
        Backend::Postgres,
        &[
            ("DATABASE_URL", a.database_url.as_deref().unwrap()),
            ("LICITA_REDIS_PREFIX", &prefix),
            ("REDIS_URL", &redis),
        ],
    )
    .await;
    a.clock.advance(Duration::seconds(10));
    b.clock.set(a.clock.now());
    // b's relay subscribes in the background after its start.
    for _ in 0..200 {
        if b.engine.is_relaying() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(b.engine.is_relaying(), "b subscribed within 5 s");
    let response = b
        .client
        .get(b.url(&format!("/api/v1/auctions/{}/events", s.auction)))
        .bearer_auth(auditor(&b))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    // Waits for the `bid` event of `seq` on b's stream.
    let mut bid_event = async |text: &mut String, seq: i64| {
        loop {
            if text.contains(&format!("event: bid\nid: {seq}\n")) {
                return;
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
                .await
                .expect("the bid within 10 s")
                .unwrap()
                .unwrap();
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    };
    let bidders = [&s.b, &s.c, &s.a, &s.b, &s.c];
    let mut delays = Vec::new();
    for (i, rfc) in bidders.iter().enumerate() {
        let amount = format!("{}.00", 2_000_000 - i * 1_000);
        let placed = json_of(bid(&a, &s.auction, rfc, &amount).await, StatusCode::CREATED).await;
        let acknowledged = std::time::Instant::now();
        assert_eq!(placed["seq"], i + 1);
        bid_event(&mut text, i as i64 + 1).await;
        delays.push(acknowledged.elapsed());
    }
    eprintln!("from a's 201 to the event on b's stream: {delays:?}");
    assert!(
        b.engine.changes_relayed() >= bidders.len() as u64,
        "b heard every bid through Redis ({} of {}), not by looking again",
        b.engine.changes_relayed(),
        bidders.len()
    );
}

#[tokio::test]
async fn a_bid_taken_by_one_instance_reaches_the_watchers_of_another_on_redis() {
    a_bid_taken_by_one_instance_reaches_the_watchers_of_another(false).await
}

#[tokio::test]
async fn a_bid_taken_by_one_instance_reaches_the_watchers_of_another_on_a_cluster() {
    a_bid_taken_by_one_instance_reaches_the_watchers_of_another(true).await
}

/// Every participant sends ten bids at once, thirty in flight (the in-process engine
/// commits those it decides meanwhile together): each 201 is in SQL once, under the
/// sequence number it was told, the numbers run without a gap, and every other bid was
/// refused with a code.
async fn bids_sent_all_at_once_are_each_decided_once_and_durable(kind: Kind) {
    let app = spawn(kind).await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    let mut sends = Vec::new();
    let (app, auction) = (&app, &s.auction);
    for (p, rfc) in [&s.a, &s.b, &s.c].into_iter().enumerate() {
        for i in 0..10 {
            let amount = format!("{}.00", 1_990_000 - (i * 3 + p) * 1_000);
            sends.push(async move { (rfc, amount.clone(), bid(app, auction, rfc, &amount).await) });
        }
    }
    let answers = futures_util::future::join_all(sends).await;
    let mut accepted: Vec<(i64, String, String)> = Vec::new();
    for (rfc, amount, response) in answers {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if status == StatusCode::CREATED {
            accepted.push((body["seq"].as_i64().unwrap(), rfc.clone(), amount));
        } else {
            assert!(
                status.is_client_error() && body["code"].is_string(),
                "{status}: {body}"
            );
        }
    }
    assert!(!accepted.is_empty());
    accepted.sort();
    let seqs: Vec<i64> = accepted.iter().map(|a| a.0).collect();
    assert_eq!(
        seqs,
        (1..=accepted.len() as i64).collect::<Vec<_>>(),
        "no gap, no repeat"
    );
    let stored = persisted(app, accepted.len()).await;
    for (seq, rfc, amount) in &accepted {
        let row = stored.iter().find(|b| b.seq == *seq).unwrap();
        assert_eq!(&row.rfc, rfc);
        assert_eq!(
            licita::domain::money::Money::from_centavos(row.amount_centavos)
                .unwrap()
                .to_string(),
            *amount
        );
    }
}
