use std::collections::HashMap;
use std::sync::{Arc, Once};
use std::time::Duration;

use licita::auth::{Role, TokenIssuer};
use licita::clock::ManualClock;
use licita::domain::agency::AgencyCode;
use licita::settings::{LogFormat, Settings};
use licita::startup::Application;
use reqwest::{Response, StatusCode, Url};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use tempfile::TempDir;

/// The HS256 secret every test app uses.
pub const TEST_SECRET: &str = "licita-test-secret-0123456789abcdef-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(backend: Backend)` once per database, as
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test]
                async fn postgres() {
                    if $crate::helpers::skip_postgres() {
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

fn require_servers() -> bool {
    std::env::var("LICITA_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1")
}

/// The PostgreSQL server's admin URL, if one is configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// The Redis URL, if one is configured.
pub fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
    assert!(
        url.is_some() || !require_servers(),
        "LICITA_TEST_REQUIRE_SERVERS=1 but REDIS_URL is not set"
    );
    url
}

/// The Redis Cluster's node list (`REDIS_CLUSTER_URL`, comma-separated), if one is
/// configured; required when `LICITA_TEST_REQUIRE_CLUSTER=1` (set by the test script).
pub fn redis_cluster_url() -> Option<String> {
    let url = std::env::var("REDIS_CLUSTER_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let required = std::env::var("LICITA_TEST_REQUIRE_CLUSTER").is_ok_and(|v| v == "1");
    assert!(
        url.is_some() || !required,
        "LICITA_TEST_REQUIRE_CLUSTER=1 but REDIS_CLUSTER_URL is not set"
    );
    url
}

/// True (with a note) when PostgreSQL tests must be skipped; panics when the script
/// requires the server and it is missing.
pub fn skip_postgres() -> bool {
    if postgres_admin_url().is_some() {
        return false;
    }
    assert!(
        !require_servers(),
        "LICITA_TEST_REQUIRE_SERVERS=1 but DATABASE_URL does not name a PostgreSQL server"
    );
    eprintln!("skipped: no PostgreSQL (set DATABASE_URL, or run scripts/test.sh)");
    true
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            licita::telemetry::init(&filter, LogFormat::Text);
        }
    });
}

/// Creates an empty PostgreSQL database for one test and returns its URL.
pub async fn fresh_postgres_database() -> String {
    let admin = postgres_admin_url().expect("DATABASE_URL");
    let name = format!("licita_test_{}", uuid::Uuid::new_v4().simple());
    let conn = Database::connect(&admin)
        .await
        .expect("connect to PostgreSQL");
    conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create the test database");
    conn.close().await.ok();
    let mut url = Url::parse(&admin).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A running application and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    /// The application's own database pool.
    pub db: DatabaseConnection,
    /// The database URL the app uses (PostgreSQL only).
    pub database_url: Option<String>,
    /// The app's auction engine (tests make it forget its cache, as a restart would).
    pub engine: Arc<licita::engine::Engine>,
    /// The app's state, for the tests that run a use case as a route would.
    pub state: licita::state::AppState,
    /// Kept so that the folder lives as long as the app.
    _data_dir: TempDir,
    issuer: TokenIssuer,
}

/// Settings a test may override, by environment-variable name.
pub type Overrides<'a> = &'a [(&'a str, &'a str)];

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, overrides: Overrides<'_>) -> TestApp {
    init_logs();
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres_database().await),
    };
    let mut env: HashMap<String, String> = HashMap::new();
    let mut set = |k: &str, v: &str| {
        env.insert(k.to_owned(), v.to_owned());
    };
    set("LICITA_ADDR", "127.0.0.1:0");
    set("LICITA_DATA_DIR", &data_dir.path().display().to_string());
    set("LICITA_JWT_SECRET", TEST_SECRET);
    set("LICITA_WORKERS", "1");
    set("LICITA_DB_MAX_CONNECTIONS", "4");
    set("LICITA_SHUTDOWN_TIMEOUT_S", "1");
    // Tests send bursts a client would not; the limits have tests of their own.
    for budget in [
        "LICITA_RATE_BIDS",
        "LICITA_RATE_WRITES",
        "LICITA_RATE_READS",
    ] {
        set(budget, "off");
    }
    set(
        "LICITA_REDIS_PREFIX",
        &format!("test-{}", uuid::Uuid::new_v4().simple()),
    );
    if let Some(url) = &database_url {
        set("DATABASE_URL", url);
    }
    if let Some(url) = redis_url() {
        set("REDIS_URL", &url);
    }
    for (k, v) in overrides {
        set(k, v);
    }
    let settings = Settings::from_lookup(|k| env.get(k).cloned()).expect("valid test settings");
    let issuer = TokenIssuer::new(
        TEST_SECRET.as_bytes(),
        settings.jwt.issuer.clone(),
        settings.jwt.audience.clone(),
    );
    let clock = ManualClock::new(chrono::Utc::now());
    let app = Application::build_with_clock(settings, Arc::new(clock.clone()))
        .await
        .expect("the application starts");
    let port = app.port();
    let db = app.state().db.clone();
    let engine = app.state().engine.clone();
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        clock,
        db,
        database_url,
        engine,
        state,
        _data_dir: data_dir,
        issuer,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A valid token for `role`.
    pub fn token(&self, role: Role, sub: &str, agency: Option<&str>) -> String {
        let agency = agency.map(|a| AgencyCode::parse(a).expect("agency code"));
        self.issuer
            .mint(
                role,
                sub,
                agency.as_ref(),
                Duration::from_secs(3600),
                now_unix(),
            )
            .expect("mint")
    }

    pub fn registrar(&self) -> String {
        self.token(Role::Registrar, "registrar-1", None)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn patch_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(reqwest::Method::PATCH, path, token, body)
            .await
    }

    pub async fn put_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(reqwest::Method::PUT, path, token, body)
            .await
    }

    /// Sets the service's clock to noon UTC (06:00 in Mexico City) of `date` (YYYY-MM-DD).
    pub fn set_date(&self, date: &str) {
        let at = chrono::DateTime::parse_from_rfc3339(&format!("{date}T12:00:00Z"))
            .expect("date")
            .with_timezone(&chrono::Utc);
        self.clock.set(at);
    }

    /// The app's data folder (its SQLite database, when on SQLite).
    pub fn data_dir_path(&self) -> String {
        self._data_dir.path().display().to_string()
    }

    /// Registers a supplier through the API (as the registrar) and returns its RFC.
    pub async fn register_supplier(&self, rfc: &str, name: &str) -> String {
        let body = serde_json::json!({
            "rfc": rfc,
            "legal_name": name,
            "size": "small",
            "email": "licitaciones@empresa.com.mx",
            "classifier_codes": ["51501"],
        });
        let response = self
            .post_json("/api/v1/suppliers", Some(&self.registrar()), &body)
            .await;
        json_of(response, StatusCode::CREATED).await;
        rfc.to_owned()
    }

    /// Sends a raw body with the given content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut request = self.client.post(self.url(path)).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send().await.expect("request")
    }

    /// Every item of a paginated list, following `links.next`.
    pub async fn collect_pages(&self, first: &str, token: Option<&str>) -> Vec<Value> {
        let mut items = Vec::new();
        let mut next = Some(first.to_owned());
        while let Some(path) = next {
            let page: Value = json_of(self.get(&path, token).await, StatusCode::OK).await;
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            next = page["links"]["next"].as_str().map(str::to_owned);
        }
        items
    }
}

/// A valid RFC: `body` is the first 11 (moral) or 12 (física) characters; the check
/// digit is computed.
pub fn rfc(body: &str) -> String {
    licita::domain::rfc::with_check_digit(body).expect("11 or 12 characters")
}

/// The same RFC with a wrong check digit.
pub fn rfc_with_bad_digit(body: &str) -> String {
    let good = rfc(body);
    let last = good.chars().last().expect("digit");
    let wrong = if last == '1' { '2' } else { '1' };
    format!("{body}{wrong}")
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
}

/// Asserts the status and returns the JSON body.
pub async fn json_of(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an RFC 7807 problem with this status and code, and returns it.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let problem = json_of(response, status).await;
    assert_eq!(content_type, "application/problem+json", "{problem}");
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status.as_u16(), "{problem}");
    assert_eq!(problem["type"], format!("/problems/{code}"), "{problem}");
    assert!(
        problem["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{problem}"
    );
    assert!(problem["detail"].as_str().is_some(), "{problem}");
    problem
}
