//! The portal in a real browser: headless Chromium driven over WebDriver (chromedriver,
//! spoken to directly over HTTP), at phone (390 px) and desktop (1280 px) widths. Each
//! page loads with no console error and no horizontal scroll on a phone; axe-core,
//! injected into the page, finds no serious or critical accessibility violation; the
//! search form narrows the results; the tender's page names its winner. A screenshot of
//! each page at each width goes to `LICITA_TEST_SCREENSHOTS` (default: a temporary folder).
//!
//! Needs `LICITA_TEST_CHROMEDRIVER` (the driver's path) and `LICITA_TEST_AXE` (the path of
//! `axe.min.js`); `scripts/test.sh` installs both and sets `LICITA_TEST_REQUIRE_BROWSER=1`,
//! which makes their absence a failure rather than a skip.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, json_of, rfc, spawn_app};
use crate::tenders::{at, bid_body, body, create, officer, open_and_qualify_all, publish, submit};

/// A chromedriver process and one browser session in it.
struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless session; `None` when no
    /// driver is configured (a failure instead when the test script requires one).
    async fn start() -> Option<Self> {
        let Some(path) = setting("LICITA_TEST_CHROMEDRIVER") else {
            assert!(
                setting("LICITA_TEST_REQUIRE_BROWSER").as_deref() != Some("1"),
                "LICITA_TEST_REQUIRE_BROWSER=1 but LICITA_TEST_CHROMEDRIVER is not set"
            );
            eprintln!("skipped: no browser (set LICITA_TEST_CHROMEDRIVER, or run scripts/test.sh)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                                "--disable-dev-shm-usage", "--lang=es-MX"]},
                "goog:loggingPrefs": {"browser": "ALL"},
            }}}))
            .send()
            .await
            .expect("a browser session")
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Some(Self {
            http,
            base,
            session,
            driver,
        })
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = answer["value"].get("error") {
            panic!("WebDriver {path}: {error} {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    async fn size(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({"width": width, "height": height}))
            .await;
    }

    async fn go(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    async fn run(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// The browser's log since the last call: what it reported as errors.
    async fn errors(&self) -> Vec<String> {
        self.post("/se/log", json!({"type": "browser"}))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// axe-core's serious and critical violations on the page.
    async fn violations(&self, axe: &str) -> Vec<Value> {
        self.run(axe).await;
        let found = self
            .post(
                "/execute/async",
                json!({"script": "const done = arguments[arguments.length - 1];
                    axe.run(document).then(r => done(r.violations.map(v => ({
                        id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' '))}))));",
                       "args": []}),
            )
            .await;
        found
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect()
    }

    async fn screenshot(&self, path: &std::path::Path) {
        let png = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap()
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.post(&format!("/element/{element}/value"), json!({"text": text}))
            .await;
    }

    async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
    }
}

/// An awarded tender (A wins over B) and a published one: what the pages show.
async fn data(app: &TestApp) -> (String, String) {
    let a = app
        .register_supplier(&rfc("ACM010101AB"), "Acme Cómputo")
        .await;
    let b = app
        .register_supplier(&rfc("BET020202CD"), "Beta Sistemas")
        .await;
    app.clock.set(at(0));
    let awarded = create(app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut chairs = body();
    chairs["title"] = json!("Sillas ergonómicas");
    chairs["schedule"]["submission_deadline"] = json!(at(40));
    chairs["schedule"]["opening_at"] = json!(at(41));
    let chairs = create(app, "SEP", &chairs).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [&awarded, &chairs] {
        json_of(publish(app, "SEP", id).await, StatusCode::OK).await;
    }
    app.clock.set(at(8));
    for (who, laptop) in [(&a, "17000.00"), (&b, "17200.00")] {
        json_of(
            submit(app, &awarded, who, &bid_body(laptop, "80.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    open_and_qualify_all(app, &awarded).await;
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{awarded}/award"),
            Some(&officer(app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    (awarded, a)
}

#[tokio::test]
async fn the_portal_works_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let axe_path = setting("LICITA_TEST_AXE").expect("LICITA_TEST_AXE: the path of axe.min.js");
    let axe = std::fs::read_to_string(&axe_path).expect("axe.min.js");
    let shots = setting("LICITA_TEST_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("licita-screenshots"));
    std::fs::create_dir_all(&shots).unwrap();
    let app = spawn_app(Backend::Sqlite).await;
    let (tender, winner) = data(&app).await;
    let pages = [
        ("inicio", "/".to_owned()),
        ("licitaciones", "/licitaciones".to_owned()),
        ("licitacion", format!("/licitaciones/{tender}")),
        ("proveedor", format!("/proveedores/{winner}")),
        ("ahorros", "/ahorros".to_owned()),
        ("dependencia", "/dependencias/SEP".to_owned()),
        ("sancionados", "/sancionados".to_owned()),
        ("auditoria", "/auditoria".to_owned()),
    ];
    for (width, height, label) in [(390, 844, "telefono"), (1280, 900, "escritorio")] {
        browser.size(width, height).await;
        for (name, path) in &pages {
            browser.go(&app.url(path)).await;
            let errors = browser.errors().await;
            assert!(errors.is_empty(), "{path} at {width} px: {errors:?}");
            let overflow = browser
                .run("return document.documentElement.scrollWidth - window.innerWidth;")
                .await;
            assert!(
                overflow.as_i64().unwrap_or(1) <= 0,
                "{path} scrolls sideways at {width} px ({overflow} px)"
            );
            let violations = browser.violations(&axe).await;
            assert!(
                violations.is_empty(),
                "{path} at {width} px: {}",
                serde_json::to_string_pretty(&violations).unwrap()
            );
            browser
                .screenshot(&shots.join(format!("{name}-{label}.png")))
                .await;
        }
    }
    // The tender's page names its winner.
    browser
        .go(&app.url(&format!("/licitaciones/{tender}")))
        .await;
    let text = browser.run("return document.body.innerText;").await;
    assert!(text.as_str().unwrap().contains("Adjudicada a"), "{text}");
    // The search form narrows the results, as a person would use it.
    browser.go(&app.url("/licitaciones")).await;
    let rows = browser
        .run("return document.querySelectorAll('tbody tr').length;")
        .await;
    assert_eq!(rows, 2);
    browser.type_into("#q", "sillas").await;
    browser.click("button[type=submit]").await;
    // The form's GET navigates: wait for the new page.
    for _ in 0..100 {
        let url = browser.command(reqwest::Method::GET, "/url", None).await;
        let ready = browser.run("return document.readyState;").await;
        if url.as_str().is_some_and(|u| u.contains("q=sillas")) && ready == "complete" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = browser
        .run("return [...document.querySelectorAll('tbody tr')].map(r => r.innerText);")
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].as_str().unwrap().contains("Sillas ergonómicas"));
    eprintln!("screenshots in {}", shots.display());
}
