//! The rate limits per client (`LICITA_RATE_*`): each budget on its own, a token counted by
//! its subject and an address without one, forged tokens and forwarded addresses that do
//! not escape it, and one budget shared by two instances on one Redis.

use std::time::Duration;

use licita::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    Backend, TestApp, assert_problem, redis_cluster_url, redis_url, spawn_app_with,
};

/// Where the budgets are kept: in the instance, or in Redis.
#[derive(Clone, Copy, Debug)]
enum Keeper {
    Instance,
    Redis,
    Cluster,
}

/// An app whose only budget is `budget` = `value`; `None` when Redis is wanted and absent.
async fn app_with(keeper: Keeper, limits: &[(&str, &str)]) -> Option<TestApp> {
    let mut overrides: Vec<(&str, &str)> = limits.to_vec();
    match keeper {
        // Empty counts as unset: no Redis, so the budgets are this instance's.
        Keeper::Instance => overrides.push(("REDIS_URL", "")),
        Keeper::Redis => {
            redis_url()?;
        }
        Keeper::Cluster => {
            let url = redis_cluster_url()?;
            let mut with_cluster = overrides.clone();
            with_cluster.push(("REDIS_URL", url.as_str()));
            return Some(spawn_app_with(Backend::Sqlite, &with_cluster).await);
        }
    }
    Some(spawn_app_with(Backend::Sqlite, &overrides).await)
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds")
}

async fn register_agency(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/agencies",
        Some(token),
        &json!({"code": code, "name": format!("Unidad {code}")}),
    )
    .await
}

async fn agency_codes(app: &TestApp) -> Vec<String> {
    app.collect_pages("/public/v1/agencies?limit=200", None)
        .await
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn writes_past_the_budget_are_429_and_change_nothing(keeper: Keeper) {
    let Some(app) = app_with(keeper, &[("LICITA_RATE_WRITES", "1:3")]).await else {
        return;
    };
    let registrar = app.registrar();
    for code in ["LIM1", "LIM2", "LIM3"] {
        assert_eq!(
            register_agency(&app, &registrar, code).await.status(),
            StatusCode::CREATED
        );
    }
    let refused = register_agency(&app, &registrar, "LIM4").await;
    let wait = retry_after(&refused);
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    let problem = assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("writes"),
        "{problem}"
    );
    assert!(
        !agency_codes(&app).await.contains(&"LIM4".to_owned()),
        "a refused write changed nothing"
    );
    // Another client has a budget of its own; reads have theirs (off here).
    let other = app.token(Role::Registrar, "registrar-2", None);
    assert_eq!(
        register_agency(&app, &other, "LIM5").await.status(),
        StatusCode::CREATED
    );
    // Once the wait is over, the same request goes through.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(
        register_agency(&app, &registrar, "LIM4").await.status(),
        StatusCode::CREATED
    );
    let metrics = app
        .get("/metrics", None)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        metrics.contains(r#"licita_rate_limited_total{budget="writes"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn writes_past_the_budget_are_429_and_change_nothing_in_the_instance() {
    writes_past_the_budget_are_429_and_change_nothing(Keeper::Instance).await
}

#[tokio::test]
async fn writes_past_the_budget_are_429_and_change_nothing_on_redis() {
    writes_past_the_budget_are_429_and_change_nothing(Keeper::Redis).await
}

async fn anonymous_reads_count_by_address_and_forged_tokens_do_not_escape(keeper: Keeper) {
    let Some(app) = app_with(keeper, &[("LICITA_RATE_READS", "1:4")]).await else {
        return;
    };
    for _ in 0..2 {
        assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    }
    // A token that does not verify counts against the address it came from.
    for forged in ["forged.token.here", "another.forged.one"] {
        let response = app.get("/api/v1/me", Some(forged)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = app.get("/healthz", None).await;
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let refused = app.get("/api/v1/me", Some("yet.another.forgery")).await;
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // A valid token is its own client, whatever address it comes from.
    let supplier = app.token(Role::Supplier, "ACM010101AB0", None);
    assert_eq!(
        app.get("/api/v1/me", Some(&supplier)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn anonymous_reads_count_by_address_and_forged_tokens_do_not_escape_in_the_instance() {
    anonymous_reads_count_by_address_and_forged_tokens_do_not_escape(Keeper::Instance).await
}

#[tokio::test]
async fn anonymous_reads_count_by_address_and_forged_tokens_do_not_escape_on_redis() {
    anonymous_reads_count_by_address_and_forged_tokens_do_not_escape(Keeper::Redis).await
}

async fn get_from(app: &TestApp, forwarded_for: &str) -> StatusCode {
    app.client
        .get(app.url("/healthz"))
        .header("X-Forwarded-For", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let Some(app) = app_with(
        Keeper::Instance,
        &[
            ("LICITA_RATE_READS", "1:2"),
            ("LICITA_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
        ],
    )
    .await
    else {
        return;
    };
    let limited = StatusCode::TOO_MANY_REQUESTS;
    // What the client wrote first is not believed; the proxies' own hops are skipped.
    for _ in 0..2 {
        assert_eq!(
            get_from(&app, "1.1.1.1, 198.51.100.1, 10.0.0.7").await,
            StatusCode::OK
        );
    }
    assert_eq!(get_from(&app, "2.2.2.2, 198.51.100.1").await, limited);
    assert_eq!(get_from(&app, "198.51.100.2").await, StatusCode::OK);
    // A proxy that adds a header line of its own: the lines count in order, so what the
    // client wrote in the first line changes nothing.
    let two_lines = |first: &'static str| {
        app.client
            .get(app.url("/healthz"))
            .header("X-Forwarded-For", first)
            .header("X-Forwarded-For", "198.51.100.3:4711")
            .send()
    };
    assert_eq!(two_lines("1.1.1.1").await.unwrap().status(), StatusCode::OK);
    assert_eq!(two_lines("2.2.2.2").await.unwrap().status(), StatusCode::OK);
    assert_eq!(two_lines("3.3.3.3").await.unwrap().status(), limited);
    // An IPv6 client counts by its /64: a host has all of it to pick addresses from.
    assert_eq!(get_from(&app, "2001:db8:1:2::1").await, StatusCode::OK);
    assert_eq!(get_from(&app, "2001:db8:1:2::2").await, StatusCode::OK);
    assert_eq!(get_from(&app, "2001:db8:1:2:ffff::3").await, limited);
    assert_eq!(get_from(&app, "2001:db8:1:3::1").await, StatusCode::OK);
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forwarded_address_changes_nothing() {
    let Some(app) = app_with(Keeper::Instance, &[("LICITA_RATE_READS", "1:2")]).await else {
        return;
    };
    assert_eq!(get_from(&app, "198.51.100.1").await, StatusCode::OK);
    assert_eq!(get_from(&app, "198.51.100.2").await, StatusCode::OK);
    assert_eq!(
        get_from(&app, "198.51.100.3").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn bids_have_a_budget_of_their_own() {
    let Some(app) = app_with(Keeper::Instance, &[("LICITA_RATE_BIDS", "1:2")]).await else {
        return;
    };
    let supplier = app.token(Role::Supplier, "ACM010101AB0", None);
    let bid = |auction: uuid::Uuid| {
        let app = &app;
        let supplier = supplier.clone();
        async move {
            app.client
                .post(app.url(&format!("/api/v1/auctions/{auction}/bids")))
                .bearer_auth(supplier)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&json!({"amount": "100.00"}))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        let response = bid(uuid::Uuid::new_v4()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    // The path as the router reads it: an escaped letter is still the bids route.
    let escaped = app
        .client
        .post(app.url(&format!("/api/v1/auctions/{}/bid%73", uuid::Uuid::new_v4())))
        .bearer_auth(&supplier)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({"amount": "100.00"}))
        .send()
        .await
        .unwrap();
    assert_problem(escaped, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let refused = bid(uuid::Uuid::new_v4()).await;
    let problem = assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("bids"),
        "{problem}"
    );
    // The same client's other writes and reads are not spent by its bids.
    assert_eq!(
        app.get("/api/v1/me", Some(&supplier)).await.status(),
        StatusCode::OK
    );
    let registrar = app.registrar();
    assert_eq!(
        register_agency(&app, &registrar, "LIMB").await.status(),
        StatusCode::CREATED
    );
}

async fn two_instances_on_one_redis_spend_one_budget(keeper: Keeper) {
    let prefix = format!("limits-{}", uuid::Uuid::new_v4().simple());
    let overrides = [
        ("LICITA_RATE_WRITES", "1:4"),
        ("LICITA_REDIS_PREFIX", prefix.as_str()),
    ];
    let Some(a) = app_with(keeper, &overrides).await else {
        return;
    };
    let Some(b) = app_with(keeper, &overrides).await else {
        return;
    };
    // The same client (a token both instances accept) on either instance.
    let registrar = a.registrar();
    for (app, code) in [(&a, "SHA1"), (&b, "SHA2"), (&a, "SHA3"), (&b, "SHA4")] {
        assert_eq!(
            register_agency(app, &registrar, code).await.status(),
            StatusCode::CREATED
        );
    }
    for app in [&a, &b] {
        let refused = register_agency(app, &registrar, "SHA5").await;
        assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    }
}

#[tokio::test]
async fn two_instances_on_one_redis_spend_one_budget_single() {
    two_instances_on_one_redis_spend_one_budget(Keeper::Redis).await
}

#[tokio::test]
async fn two_instances_on_one_redis_spend_one_budget_cluster() {
    two_instances_on_one_redis_spend_one_budget(Keeper::Cluster).await
}

/// A burst from many connections at once is judged in batches, and each request once:
/// exactly the burst goes through.
#[tokio::test]
async fn a_concurrent_burst_spends_exactly_the_budget() {
    let Some(app) = app_with(Keeper::Redis, &[("LICITA_RATE_READS", "1:20")]).await else {
        return;
    };
    let token = app.token(Role::Supplier, "ACM010101AB0", None);
    let statuses =
        futures_util::future::join_all((0..60).map(|_| app.get("/api/v1/me", Some(&token)))).await;
    let ok = statuses
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    let limited = statuses
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // One more may have come back into the budget while the burst went in.
    assert!((20..=21).contains(&ok), "{ok} went through");
    assert_eq!(ok + limited, 60);
}

#[tokio::test]
async fn with_redis_unreachable_each_instance_keeps_its_own_budget() {
    // Nothing listens there: the shared budgets can't be read, the instance's apply.
    let port = crate::durability::free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(
        Backend::Sqlite,
        &[("REDIS_URL", url.as_str()), ("LICITA_RATE_WRITES", "1:2")],
    )
    .await;
    let registrar = app.registrar();
    for code in ["DWN1", "DWN2"] {
        assert_eq!(
            register_agency(&app, &registrar, code).await.status(),
            StatusCode::CREATED,
            "a write that needs no Redis goes through while it is down"
        );
    }
    let refused = register_agency(&app, &registrar, "DWN3").await;
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}
