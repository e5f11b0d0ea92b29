//! `licita demo`: fills a running sandbox service with a realistic data set through its
//! HTTP API, as its users would — buying units, 45 suppliers (some sanctioned), a framework
//! contract, ICT assents, and 26 tenders left in every state: drafts, taking questions and
//! bids, opened, evaluated, in a live auction, awarded after an auction, awarded lot by lot,
//! contracted, contested, deserted, cancelled. The tokens are signed with the local secret,
//! as `licita token` signs them; every write goes through the public API, so what it leaves
//! is what the portal, the feeds and the API show.

mod data;

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::{NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::{Role, TokenIssuer};
use crate::domain::agency::AgencyCode;
use crate::domain::money::Money;
use crate::settings::Settings;
use data::{AGENCIES, FRAMEWORK_ITEMS, Fate, Item, Kind, PLANS, Plan, SUPPLIERS};

/// What `licita demo` was asked to do.
pub struct Options {
    /// The service's base URL (`http://host:port`).
    pub url: String,
    /// How far ahead the closing tenders' submission deadline is set: the time the demo has
    /// to publish them and send their bids.
    pub lead: Duration,
    /// How many times the tenders are written (1: 26 tenders; 39: 1,014).
    pub copies: usize,
}

/// Fills the service at `options.url`; prints what it does.
pub async fn run(settings: &Settings, options: Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let api = Api::new(settings, &options.url)?;
    api.check_sandbox().await?;
    println!("licita demo: filling {} (a sandbox service)", api.base);
    // Dates are the legal calendar's, as the service judges them.
    let today = Utc::now()
        .with_timezone(&settings.legal_offset)
        .date_naive();

    register_agencies(&api).await?;
    let register = register_suppliers(&api, today).await?;
    let framework = framework_contract(&api, &register, today).await?;
    let assent = ict_assents(&api, options.copies, today).await?;
    let ctx = Facts {
        register,
        framework,
        assent,
        today,
    };

    let lead = chrono::Duration::from_std(options.lead)?;
    let mut tenders = Vec::with_capacity(PLANS.len() * options.copies);
    let mut closes_at = Utc::now();
    for copy in 1..=options.copies {
        for (n, plan) in PLANS.iter().enumerate() {
            // Each closing tender's bids close `lead` after it is written (to the second
            // after, as the schedule is written in whole seconds).
            let closes = Utc::now() + lead + chrono::Duration::seconds(1);
            if plan.fate.closes() {
                closes_at = closes;
            }
            tenders.push(write_and_publish(&api, &ctx, plan, n, closes).await?);
        }
        if options.copies > 1 {
            println!("  tenders: copy {copy} of {} written", options.copies);
        }
    }
    let closing = tenders.iter().filter(|t| t.plan.fate.closes()).count();
    println!(
        "  tenders: {} written, {closing} of them closing by {} — waiting for their deadline…",
        tenders.len(),
        closes_at
            .with_timezone(&settings.legal_offset)
            .format("%H:%M:%S (%:z)")
    );
    let wait = (closes_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_secs(1)).await;

    for tender in tenders.iter_mut().filter(|t| t.plan.fate.closes()) {
        settle(&api, &ctx, tender).await?;
    }
    for tender in tenders
        .iter_mut()
        .filter(|t| t.plan.fate == Fate::AuctionAwarded)
    {
        award_after_auction(&api, tender).await?;
    }

    println!("  where each tender stands:");
    let mut count: std::collections::BTreeMap<String, usize> = Default::default();
    for tender in &tenders {
        let view = api
            .get(&format!("/api/v1/tenders/{}", tender.id), Who::Auditor)
            .await?;
        if options.copies == 1 {
            println!(
                "    {:<34} {:<8} {}\n      {}/licitaciones/{}",
                stands(&view),
                tender.plan.agency,
                tender.plan.title,
                api.base,
                tender.id
            );
        } else {
            *count.entry(stands(&view)).or_default() += 1;
        }
    }
    for (stands, n) in count {
        println!("    {n:>5}  {stands}");
    }
    println!(
        "done in {} s, {} requests. Open the portal: {}/\n  the API reference: {}/api-docs/   the OCDS releases: {}/public/v1/releases",
        started.elapsed().as_secs(),
        api.requests.get(),
        api.base,
        api.base,
        api.base
    );
    Ok(())
}

/// Where a tender stands, in a few words: its phase, and within the evaluation phase how
/// far it went.
fn stands(view: &Value) -> String {
    let phase = at(view, "/phase").as_str().unwrap_or("?");
    let mut words = match phase {
        "evaluation" if at(view, "/opened_at").is_null() => {
            "evaluation: bids still sealed".to_owned()
        }
        "evaluation" if at(view, "/evaluated_at").is_null() => "evaluation: opened".to_owned(),
        "evaluation" => "evaluation: evaluated".to_owned(),
        "auction" => "auction: live".to_owned(),
        other => other.to_owned(),
    };
    if at(view, "/complaints")
        .as_array()
        .is_some_and(|c| !c.is_empty())
    {
        words.push_str(if at(view, "/suspended_by").is_null() {
            ", contested"
        } else {
            ", suspended by a complaint"
        });
    }
    words
}

/// Who a request is made as.
#[derive(Clone, Copy)]
enum Who<'a> {
    Registrar,
    Auditor,
    IctAuthority,
    Officer(&'a str),
    Supplier(&'a str),
}

/// The service's HTTP API, with tokens signed by the local secret.
struct Api {
    http: reqwest::Client,
    base: String,
    issuer: TokenIssuer,
    /// How long its tokens live: an hour, or the service's limit if shorter.
    ttl: Duration,
    requests: std::cell::Cell<u64>,
}

impl Api {
    fn new(settings: &Settings, url: &str) -> anyhow::Result<Self> {
        let base = url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base).map_err(|e| {
            anyhow!("--url {url:?} is not a URL ({e}): write it whole, e.g. http://127.0.0.1:8080")
        })?;
        anyhow::ensure!(
            parsed.scheme() == "http" && parsed.host().is_some(),
            "--url {url:?}: the demo speaks plain HTTP to a sandbox service, \
             e.g. http://127.0.0.1:8080"
        );
        let issuer = crate::auth::keys::issuer(settings, false).map_err(|_| {
            anyhow!(
                "no JWT secret to sign the demo's tokens with: run it where the service keeps \
                 its data (the folder it was started in, or --data-dir), or with the service's \
                 LICITA_JWT_SECRET"
            )
        })?;
        // Idle connections are dropped before the service's keep-alive (5 s) closes them,
        // so that none is reused as it closes after the wait for the deadline.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()?;
        Ok(Self {
            http,
            base,
            issuer,
            ttl: Duration::from_secs(settings.jwt.max_ttl_s.min(3600)),
            requests: std::cell::Cell::new(0),
        })
    }

    /// The service answers and is in the sandbox, before anything is written.
    async fn check_sandbox(&self) -> anyhow::Result<()> {
        const START: &str = "LICITA_SANDBOX=true LICITA_TIME_FACTOR=60 cargo run --release";
        let health = self
            .http
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .map_err(|e| {
                // The innermost cause says it best ("Connection refused").
                let mut cause: &dyn std::error::Error = &e;
                while let Some(inner) = cause.source() {
                    cause = inner;
                }
                let cause = format!(": {cause}");
                anyhow!(
                    "no licita service answers at {}{cause}. Start one in the sandbox first: {START}",
                    self.base
                )
            })?;
        let status = health.status();
        let body: Value = health.json().await.unwrap_or_default();
        anyhow::ensure!(
            status == StatusCode::OK && at(&body, "/status") == "ok",
            "{} answers /healthz with {status}: is it licita?",
            self.base
        );
        anyhow::ensure!(
            at(&body, "/sandbox") == true,
            "the service at {} is not in the sandbox, where the legal periods are zero and \
             made-up data harms nobody: nothing was written. Start one with {START}",
            self.base
        );
        Ok(())
    }

    fn token(&self, who: Who<'_>) -> anyhow::Result<String> {
        let (role, sub, agency) = match who {
            Who::Registrar => (Role::Registrar, "registrar-demo".to_owned(), None),
            Who::Auditor => (Role::Auditor, "oic-demo".to_owned(), None),
            Who::IctAuthority => (Role::IctAuthority, "ugd-demo".to_owned(), None),
            Who::Officer(code) => (
                Role::Officer,
                format!("officer-{}", code.to_ascii_lowercase()),
                Some(AgencyCode::parse(code)?),
            ),
            Who::Supplier(rfc) => (Role::Supplier, rfc.to_owned(), None),
        };
        let now = jsonwebtoken::get_current_timestamp();
        self.issuer.mint(role, &sub, agency.as_ref(), self.ttl, now)
    }

    /// Sends a request; answers its status and JSON body (`null` when there is none). A
    /// 429 `rate_limited` is waited out as its `Retry-After` says, and sent again.
    async fn send(
        &self,
        method: Method,
        path: &str,
        who: Who<'_>,
        body: Body,
    ) -> anyhow::Result<(StatusCode, Value)> {
        const ATTEMPTS: u32 = 30;
        for _ in 1..ATTEMPTS {
            let (status, value, retry_after) = self
                .send_once(method.clone(), path, who, body.clone())
                .await?;
            match retry_after {
                Some(wait) if at(&value, "/code") == "rate_limited" => {
                    tokio::time::sleep(wait).await
                }
                _ => return Ok((status, value)),
            }
        }
        let (status, value, _) = self.send_once(method, path, who, body).await?;
        Ok((status, value))
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        who: Who<'_>,
        body: Body,
    ) -> anyhow::Result<(StatusCode, Value, Option<Duration>)> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        request = request.bearer_auth(self.token(who)?);
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(&value),
            Body::Bytes(media_type, bytes) => {
                request.header("Content-Type", media_type).body(bytes)
            }
        };
        self.requests.set(self.requests.get() + 1);
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| response.headers().get("retry-after"))
            .flatten()
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.clamp(1, 60)));
        let text = response.text().await?;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value, retry_after))
    }

    /// A request that must succeed: anything but a 2xx is an error naming the problem.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        who: Who<'_>,
        body: Body,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.send(method.clone(), path, who, body).await?;
        if status.is_success() {
            return Ok(value);
        }
        Err(refused(&method, path, status, &value))
    }

    async fn get(&self, path: &str, who: Who<'_>) -> anyhow::Result<Value> {
        self.expect(Method::GET, path, who, Body::None).await
    }

    async fn post(&self, path: &str, who: Who<'_>, body: Value) -> anyhow::Result<Value> {
        self.expect(Method::POST, path, who, Body::Json(body)).await
    }

    /// A registration that may have been made by an earlier run: true when it is new.
    async fn register(&self, path: &str, who: Who<'_>, body: Value) -> anyhow::Result<bool> {
        let (status, value) = self.send(Method::POST, path, who, Body::Json(body)).await?;
        match status {
            StatusCode::CREATED => Ok(true),
            StatusCode::CONFLICT => Ok(false),
            _ => Err(refused(&Method::POST, path, status, &value)),
        }
    }
}

#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Bytes(&'static str, Vec<u8>),
}

/// The error for a refused request, with a hint for the refusals a wrong setup causes.
fn refused(method: &Method, path: &str, status: StatusCode, problem: &Value) -> anyhow::Error {
    let code = at(problem, "/code").as_str().unwrap_or_default();
    let hint = match code {
        "invalid_token" => {
            "\nThe service refused the tokens this command signs: run it where the service \
             keeps its data (or with --data-dir), or with the service's LICITA_JWT_SECRET; \
             with a shorter LICITA_MAX_TOKEN_TTL, set it here too."
        }
        "period_too_short" | "schedule_in_past" => {
            "\nThe service keeps the legal minimum periods: start it in the sandbox \
             (LICITA_SANDBOX=true) for the demo."
        }
        _ => "",
    };
    anyhow!(
        "{method} {path} was refused: {status} {code}: {}{hint}",
        at(problem, "/detail").as_str().unwrap_or_default()
    )
}

fn full_rfc(body: &str) -> anyhow::Result<String> {
    crate::domain::rfc::with_check_digit(body).ok_or_else(|| anyhow!("{body}: not an RFC body"))
}

/// An amount in pesos as the API writes it.
fn pesos(centavos: i64) -> String {
    Money::from_centavos(centavos)
        .map(|m| m.to_string())
        .unwrap_or_default()
}

fn centavos(amount: &Value) -> anyhow::Result<i64> {
    let text = amount
        .as_str()
        .ok_or_else(|| anyhow!("not an amount: {amount}"))?;
    Ok(Money::parse(text)?.centavos())
}

/// A small generator (xorshift), seeded per tender and run: varied prices and bidders
/// without a dependency.
struct Dice(u64);

impl Dice {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// What every tender's steps draw on.
struct Facts {
    register: Register,
    framework: Framework,
    assent: String,
    today: NaiveDate,
}

/// The suppliers that may bid (registered, no sanction now or soon).
struct Register {
    eligible: Vec<(String, &'static [&'static str])>,
}

struct Framework {
    id: String,
    adhered: Vec<String>,
}

async fn register_agencies(api: &Api) -> anyhow::Result<()> {
    let mut new = 0;
    for a in AGENCIES {
        let body = json!({"code": a.code, "name": a.name, "rfc": full_rfc(a.rfc_body)?});
        new += usize::from(
            api.register("/api/v1/agencies", Who::Registrar, body)
                .await?,
        );
    }
    println!(
        "  buying units: {} ({new} new): {}",
        AGENCIES.len(),
        AGENCIES
            .iter()
            .map(|a| a.code)
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Registers every supplier; four get a sanction (two in force, one past, one to come) the
/// first time they are registered.
async fn register_suppliers(api: &Api, today: NaiveDate) -> anyhow::Result<Register> {
    const SANCTIONED: [(&str, i64, i64); 4] = [
        ("TOSM770318EF", -20, 730),
        ("AVM120930TU", -90, 365),
        ("HMT040505RS", -400, -30),
        ("GVS181016VW", 15, 200),
    ];
    let mut eligible = Vec::new();
    let (mut new, mut sanctions) = (0, 0);
    for s in SUPPLIERS {
        let rfc = full_rfc(s.rfc_body)?;
        let created = api
            .register(
                "/api/v1/suppliers",
                Who::Registrar,
                json!({"rfc": rfc, "legal_name": s.legal_name, "size": s.size,
                       "email": format!("licitaciones@{}.example.mx", s.rfc_body.to_ascii_lowercase()),
                       "classifier_codes": s.codes}),
            )
            .await?;
        new += usize::from(created);
        let sanction = SANCTIONED.iter().find(|(b, ..)| *b == s.rfc_body);
        // Barred now or soon: kept out of the tenders (a past sanction bars nothing).
        if sanction.is_none_or(|(_, _, until)| *until < 0) {
            eligible.push((rfc.clone(), s.codes));
        }
        if let (true, Some((_, from, until))) = (created, sanction) {
            sanctions += 1;
            api.post(
                &format!("/api/v1/suppliers/{rfc}/sanctions"),
                Who::Registrar,
                json!({"authority": "Secretaría Anticorrupción y Buen Gobierno",
                       "reference": format!("SABG/OIC/{}/{}", s.rfc_body.get(..3).unwrap_or("SAN"),
                                            today.format("%Y")),
                       "reason": "Proporcionó información falsa en un procedimiento de contratación",
                       "starts_on": today + chrono::Duration::days(*from),
                       "ends_on": today + chrono::Duration::days(*until)}),
            )
            .await?;
        }
    }
    println!(
        "  suppliers: {} ({new} new), {sanctions} sanctions recorded (in force, past or to come)",
        SUPPLIERS.len()
    );
    Ok(Register { eligible })
}

impl Register {
    /// `n` suppliers for a tender, from those whose lines of business cover its items (in a
    /// varying order); others only if too few do.
    fn pick(&self, plan: &Plan, n: usize, dice: &mut Dice) -> Vec<String> {
        let covers = |codes: &[&str]| {
            plan.lots.iter().any(|(_, items)| {
                items
                    .iter()
                    .any(|i| codes.iter().any(|c| i.code.starts_with(c)))
            })
        };
        let (mut fit, mut rest): (Vec<_>, Vec<_>) =
            self.eligible.iter().partition(|(_, codes)| covers(codes));
        let skip = dice.below(fit.len() as u64) as usize;
        fit.rotate_left(skip);
        let skip = dice.below(rest.len() as u64) as usize;
        rest.rotate_left(skip);
        fit.extend(rest);
        fit.into_iter()
            .take(n)
            .map(|(rfc, _)| rfc.clone())
            .collect()
    }
}

/// The framework contract for cleaning supplies: the one an earlier run registered, while
/// it is in force, or a new one.
async fn framework_contract(
    api: &Api,
    register: &Register,
    today: NaiveDate,
) -> anyhow::Result<Framework> {
    let adhered: Vec<String> = register
        .eligible
        .iter()
        .filter(|(_, codes)| codes.contains(&"21601"))
        .map(|(rfc, _)| rfc.clone())
        .take(4)
        .collect();
    let in_force = api
        .get(
            &format!("/api/v1/framework-contracts?active_on={today}&limit=100"),
            Who::Registrar,
        )
        .await?;
    let earlier = at(&in_force, "/items")
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| at(c, "/title") == FRAMEWORK_TITLE);
    if let Some(contract) = earlier {
        let adhered: Vec<String> = at(contract, "/suppliers")
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().or_else(|| at(s, "/rfc").as_str()))
            .map(str::to_owned)
            .collect();
        println!("  framework contract: {FRAMEWORK_TITLE}, in force (registered before)");
        return Ok(Framework {
            id: id_of(contract)?,
            adhered,
        });
    }
    let items: Vec<Value> = FRAMEWORK_ITEMS
        .iter()
        .map(|i| json!({"classifier_code": i.code, "unit": i.unit, "unit_price": pesos(i.max_centavos)}))
        .collect();
    let contract = api
        .post(
            "/api/v1/framework-contracts",
            Who::Registrar,
            json!({"title": FRAMEWORK_TITLE,
                   "valid_from": today, "valid_until": today + chrono::Duration::days(365),
                   "items": items, "suppliers": adhered}),
        )
        .await?;
    println!(
        "  framework contract: {FRAMEWORK_TITLE}, {} items at fixed prices, {} suppliers adhered",
        FRAMEWORK_ITEMS.len(),
        adhered.len()
    );
    Ok(Framework {
        id: id_of(&contract)?,
        adhered,
    })
}

const FRAMEWORK_TITLE: &str = "Contrato marco de artículos de limpieza e higiene";

/// Three assents of the Digital Government Unit: approved (SHCP's computers, enough for
/// each copy's purchase), rejected (CFE's), and one still pending (SEP's); each run
/// requests its own.
async fn ict_assents(api: &Api, copies: usize, today: NaiveDate) -> anyhow::Result<String> {
    let ask = async |agency: &str, title: &str, codes: &[&str], amount: &str| {
        api.post(
            "/api/v1/ict-assents",
            Who::Officer(agency),
            json!({"title": title, "classifier_codes": codes, "amount": amount,
                   "justification": "Equipo con más de seis años de uso y sin soporte del fabricante"}),
        )
        .await
        .and_then(|a| id_of(&a))
    };
    let amount = pesos(160_000_000 * i64::try_from(copies)?);
    let approved = ask(
        "SHCP",
        "Renovación de equipo de cómputo del área de recaudación",
        &["51501"],
        &amount,
    )
    .await?;
    api.post(
        &format!("/api/v1/ict-assents/{approved}/decision"),
        Who::IctAuthority,
        json!({"decision": "approved", "approved_amount": amount,
               "expires_on": today + chrono::Duration::days(365)}),
    )
    .await?;
    let rejected = ask(
        "CFE",
        "Red inalámbrica de las centrales de generación",
        &["56501"],
        "3400000.00",
    )
    .await?;
    api.post(
        &format!("/api/v1/ict-assents/{rejected}/decision"),
        Who::IctAuthority,
        json!({"decision": "rejected",
               "notes": "El proyecto duplica la red contratada por la CFE en 2025."}),
    )
    .await?;
    ask(
        "SEP",
        "Impresoras multifuncionales para oficinas regionales",
        &["51501012"],
        "950000.00",
    )
    .await?;
    println!("  ICT assents: 1 approved (SHCP), 1 rejected (CFE), 1 awaiting its decision (SEP)");
    Ok(approved)
}

/// The value at a JSON pointer (`null` when absent).
fn at<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    value.pointer(pointer).unwrap_or(&Value::Null)
}

/// Sets a field of a JSON object.
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(fields) = object.as_object_mut() {
        fields.insert(key.to_owned(), value);
    }
}

fn id_of(value: &Value) -> anyhow::Result<String> {
    at(value, "/id")
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no id in {value}"))
}

/// A tender of the demo, as it goes.
struct Tender {
    plan: &'static Plan,
    id: String,
    /// The suppliers that bid, in order.
    bidders: Vec<String>,
    auction: Option<String>,
}

impl Tender {
    fn path(&self, rest: &str) -> String {
        format!("/api/v1/tenders/{}{rest}", self.id)
    }
}

fn items_json(items: &[Item]) -> Vec<Value> {
    items
        .iter()
        .map(|i| {
            json!({"classifier_code": i.code, "quantity": i.quantity, "unit": i.unit,
                   "max_unit_price": pesos(i.max_centavos)})
        })
        .collect()
}

/// Writes the tender, attaches its call, publishes it (unless it stays a draft), and has
/// its suppliers ask and bid.
async fn write_and_publish(
    api: &Api,
    ctx: &Facts,
    plan: &'static Plan,
    n: usize,
    closes_at: chrono::DateTime<Utc>,
) -> anyhow::Result<Tender> {
    let mut dice = Dice::new(n as u64 + u64::from(Utc::now().timestamp_subsec_nanos()));
    let officer = Who::Officer(plan.agency);
    let days = |d: i64| Utc::now() + chrono::Duration::days(d);
    let at = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let schedule = match plan.fate {
        f if f.closes() => json!({"clarifications_until": at(closes_at),
            "submission_deadline": at(closes_at), "opening_at": at(closes_at)}),
        Fate::Submission => json!({"clarifications_until": at(closes_at),
            "submission_deadline": at(days(10)), "opening_at": at(days(10))}),
        _ => json!({"clarifications_until": at(days(3)), "submission_deadline": at(days(10)),
            "opening_at": at(days(10))}),
    };
    let mut body = json!({"title": plan.title, "description": plan.description,
                          "schedule": schedule});
    match plan.lots {
        [("", items)] => set(&mut body, "items", json!(items_json(items))),
        lots => set(
            &mut body,
            "lots",
            lots.iter()
                .map(|(title, items)| json!({"title": title, "items": items_json(items)}))
                .collect(),
        ),
    }
    // The suppliers it deals with: those who ask, are invited, and bid (the first ones).
    let chosen = match plan.kind {
        Kind::FrameworkOrder => ctx.framework.adhered.clone(),
        _ => ctx.register.pick(plan, plan.bidders.max(3), &mut dice),
    };
    let procedure = match plan.kind {
        Kind::Open | Kind::Ict => "open",
        Kind::Invitation => {
            set(
                &mut body,
                "invited_suppliers",
                json!(chosen.get(..3).unwrap_or(&chosen)),
            );
            "invitation"
        }
        Kind::DirectAward => {
            set(
                &mut body,
                "invited_suppliers",
                json!(chosen.get(..1).unwrap_or(&chosen)),
            );
            set(
                &mut body,
                "legal_justification",
                json!(
                    "Artículo 41, fracción I, de la Ley de Adquisiciones: un solo proveedor \
                 reúne la experiencia requerida"
                ),
            );
            "direct_award"
        }
        Kind::FrameworkOrder => {
            set(&mut body, "framework_contract_id", json!(ctx.framework.id));
            "framework_order"
        }
    };
    set(&mut body, "procedure", json!(procedure));
    if plan.kind == Kind::Ict {
        set(&mut body, "ict_assent_id", json!(ctx.assent));
    }
    let tender = api.post("/api/v1/tenders", officer, body).await?;
    let mut tender = Tender {
        plan,
        id: id_of(&tender)?,
        bidders: Vec::new(),
        auction: None,
    };
    attach(api, &tender, "call", "Convocatoria y bases", ctx.today).await?;
    if plan.fate == Fate::Draft {
        return Ok(tender);
    }
    api.post(&tender.path("/publish"), officer, json!({}))
        .await?;
    match plan.fate {
        Fate::Cancelled => {
            api.post(
                &tender.path("/cancel"),
                officer,
                json!({"reason": "La obra del acueducto se difiere al ejercicio fiscal 2028"}),
            )
            .await?;
        }
        Fate::Clarification | Fate::Submission => {
            ask_questions(api, &tender, &chosen, officer).await?;
        }
        _ => {}
    }
    if plan.fate == Fate::Submission
        && let Some(complainant) = chosen.last()
    {
        api.post(
            &tender.path("/complaints"),
            Who::Supplier(complainant),
            json!({"act": "conditions", "title": "Inconformidad contra la convocatoria",
                   "facts": "La convocatoria exige una presentación de caja que solo fabrica un laboratorio.",
                   "request": "Que se admitan presentaciones equivalentes."}),
        )
        .await?;
    }
    if plan.fate.closes() && plan.fate != Fate::DesertedNoBids {
        tender.bidders = chosen.into_iter().take(plan.bidders).collect();
        for (b, rfc) in tender.bidders.iter().enumerate() {
            bid(api, &tender, rfc, b, &mut dice).await?;
        }
    }
    Ok(tender)
}

/// Two questions from its suppliers (or from any eligible one); the officer answers the
/// first.
async fn ask_questions(
    api: &Api,
    tender: &Tender,
    bidders: &[String],
    officer: Who<'_>,
) -> anyhow::Result<()> {
    let questions = [
        (
            "¿Se aceptan entregas parciales en los almacenes regionales?",
            Some("Sí, conforme al calendario del anexo técnico."),
        ),
        (
            "¿Puede presentarse la garantía de cumplimiento mediante fianza electrónica?",
            None,
        ),
    ];
    for ((question, answer), asker) in questions.iter().zip(bidders.iter().cycle()) {
        let asked = api
            .post(
                &tender.path("/questions"),
                Who::Supplier(asker),
                json!({"question": question}),
            )
            .await?;
        if let Some(answer) = answer {
            api.post(
                &tender.path(&format!("/questions/{}/answer", id_of(&asked)?)),
                officer,
                json!({"answer": answer}),
            )
            .await?;
        }
    }
    Ok(())
}

/// The `b`-th bidder's sealed bid: every item of the lots it offers, 3 % to 22 % under the
/// maximum. In the lots tender the first bidder offers lots 1 and 2, the second lot 1, the
/// third lot 2, and nobody lot 3.
async fn bid(
    api: &Api,
    tender: &Tender,
    rfc: &str,
    b: usize,
    dice: &mut Dice,
) -> anyhow::Result<()> {
    let offers = |lot: usize| match tender.plan.fate {
        Fate::Lots => matches!((b, lot), (0, 0 | 1) | (1, 0) | (2, 1)),
        _ => true,
    };
    let mut prices = Vec::new();
    let mut position = 0;
    for (lot, (_, items)) in tender.plan.lots.iter().enumerate() {
        for item in *items {
            position += 1;
            if offers(lot) {
                let off = 3 + dice.below(20) as i64;
                let price = item.max_centavos * (100 - off) / 100;
                prices.push(json!({"position": position, "unit_price": pesos(price)}));
            }
        }
    }
    api.post(
        &tender.path("/bids"),
        Who::Supplier(rfc),
        json!({"prices": prices,
               "technical_offer": "Conforme a las especificaciones del anexo técnico, con garantía de 12 meses"}),
    )
    .await?;
    Ok(())
}

/// A document for the tender: a one-page PDF naming it.
async fn attach(
    api: &Api,
    tender: &Tender,
    kind: &str,
    title: &str,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let pdf = one_page_pdf(&[
        title,
        tender.plan.title,
        tender.plan.description,
        &format!("{} - {today}", tender.plan.agency),
    ]);
    let query: String = serde_urlencoded::to_string([("title", title), ("type", kind)])?;
    api.expect(
        Method::POST,
        &tender.path(&format!("/documents?{query}")),
        Who::Officer(tender.plan.agency),
        Body::Bytes("application/pdf", pdf),
    )
    .await?;
    Ok(())
}

/// Opens the bids, evaluates them, and takes the tender where its plan leaves it.
async fn settle(api: &Api, ctx: &Facts, tender: &mut Tender) -> anyhow::Result<()> {
    let fate = tender.plan.fate;
    if fate == Fate::Unopened {
        return Ok(());
    }
    let officer = Who::Officer(tender.plan.agency);
    let opened = open(api, tender).await?;
    if matches!(fate, Fate::Opened | Fate::DesertedNoBids) {
        return Ok(());
    }
    let bids = at(&opened, "/bids").as_array().cloned().unwrap_or_default();
    let disqualify_last =
        fate == Fate::Awarded && tender.plan.kind == Kind::Open && bids.len() >= 3;
    let evaluations: Vec<Value> = bids
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let qualified =
                fate != Fate::DesertedUnqualified && !(disqualify_last && i + 1 == bids.len());
            let mut e = json!({"bid_id": at(b, "/bid_id"), "qualified": qualified});
            if !qualified {
                set(
                    &mut e,
                    "reason",
                    json!("No acredita la experiencia mínima de tres años solicitada en las bases"),
                );
            }
            e
        })
        .collect();
    api.post(
        &tender.path("/evaluation"),
        officer,
        json!({"evaluations": evaluations}),
    )
    .await?;
    match fate {
        Fate::Awarded => {
            award(api, tender, None).await?;
        }
        Fate::Contracted => {
            let amount = award(api, tender, None).await?;
            contract(api, ctx, tender, None, &amount).await?;
        }
        Fate::Lots => {
            award(api, tender, Some(1)).await?;
            let amount = award(api, tender, Some(2)).await?;
            contract(api, ctx, tender, Some(2), &amount).await?;
        }
        Fate::LiveAuction => {
            schedule_auction(api, tender, 7 * 24 * 3600, 120).await?;
            auction_bids(api, tender, 2).await?;
        }
        Fate::AuctionAwarded => {
            schedule_auction(api, tender, 60, 0).await?;
            auction_bids(api, tender, 3).await?;
        }
        Fate::ComplaintSuspended | Fate::ComplaintDismissed => {
            let amount = award(api, tender, None).await?;
            contest(api, ctx, tender, &amount).await?;
        }
        _ => {}
    }
    Ok(())
}

/// The opening, as soon as the service's clock has passed its time.
async fn open(api: &Api, tender: &Tender) -> anyhow::Result<Value> {
    let path = tender.path("/opening");
    let officer = Who::Officer(tender.plan.agency);
    for _ in 0..30 {
        let (status, value) = api.send(Method::POST, &path, officer, Body::None).await?;
        match status {
            s if s.is_success() => return Ok(value),
            StatusCode::CONFLICT if at(&value, "/code") == "too_early_to_open" => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            _ => return Err(refused(&Method::POST, &path, status, &value)),
        }
    }
    bail!("{path}: still too early to open after 30 s: is the service's clock right?")
}

/// The award (of a lot, or of the tender); answers the amount awarded.
async fn award(api: &Api, tender: &Tender, lot: Option<usize>) -> anyhow::Result<Value> {
    let path = match lot {
        Some(lot) => tender.path(&format!("/lots/{lot}/award")),
        None => tender.path("/award"),
    };
    let view = api
        .post(&path, Who::Officer(tender.plan.agency), json!({}))
        .await?;
    let awarded = match lot {
        Some(lot) => at(&view, &format!("/lots/{}/award", lot - 1)),
        None => at(&view, "/award"),
    };
    Ok(at(awarded, "/amount").clone())
}

async fn contract(
    api: &Api,
    ctx: &Facts,
    tender: &Tender,
    lot: Option<usize>,
    amount: &Value,
) -> anyhow::Result<()> {
    let path = match lot {
        Some(lot) => tender.path(&format!("/lots/{lot}/contract")),
        None => tender.path("/contract"),
    };
    api.post(
        &path,
        Who::Officer(tender.plan.agency),
        json!({"amount": amount, "signed_on": ctx.today, "starts_on": ctx.today,
               "ends_on": ctx.today + chrono::Duration::days(365)}),
    )
    .await?;
    attach(api, tender, "contract", "Contrato firmado", ctx.today).await
}

/// A losing bidder contests the award; the auditor admits the complaint. One is admitted with
/// a suspension and left there; the other is dismissed and the contract signed.
async fn contest(api: &Api, ctx: &Facts, tender: &Tender, amount: &Value) -> anyhow::Result<()> {
    let view = api.get(&tender.path(""), Who::Auditor).await?;
    let winner = at(&view, "/award/rfc").as_str().unwrap_or_default();
    let Some(complainant) = tender.bidders.iter().find(|b| b.as_str() != winner) else {
        bail!("{}: nobody but the winner bid", tender.plan.title);
    };
    let complaint = api
        .post(
            &tender.path("/complaints"),
            Who::Supplier(complainant),
            json!({"act": "award", "title": "Inconformidad contra el fallo",
                   "facts": "La propuesta ganadora no acredita las especificaciones técnicas solicitadas.",
                   "request": "Que se anule el fallo y se adjudique a la siguiente propuesta solvente."}),
        )
        .await?;
    let complaint = format!("/api/v1/complaints/{}", id_of(&complaint)?);
    let suspend = tender.plan.fate == Fate::ComplaintSuspended;
    api.post(
        &format!("{complaint}/admission"),
        Who::Auditor,
        json!({"suspend": suspend}),
    )
    .await?;
    if !suspend {
        api.post(
            &format!("{complaint}/resolution"),
            Who::Auditor,
            json!({"outcome": "dismissed",
                   "resolution": "La propuesta ganadora cumple con las especificaciones del anexo técnico."}),
        )
        .await?;
        contract(api, ctx, tender, None, amount).await?;
    }
    Ok(())
}

async fn schedule_auction(
    api: &Api,
    tender: &mut Tender,
    duration_s: u64,
    soft_close_s: u64,
) -> anyhow::Result<()> {
    let auction = api
        .post(
            &tender.path("/auction"),
            Who::Officer(tender.plan.agency),
            json!({"format": "continuous", "duration_s": duration_s, "soft_close_s": soft_close_s,
                   "decrement": {"percent": "0.5"}, "visibility": "rank_and_best"}),
        )
        .await?;
    tender.auction = Some(id_of(&auction)?);
    Ok(())
}

/// `rounds` rounds in which each participant bids the most it may (its own price less the
/// decrement); stops quietly if the auction ends meanwhile (a fast sandbox clock).
async fn auction_bids(api: &Api, tender: &Tender, rounds: usize) -> anyhow::Result<()> {
    let Some(auction) = &tender.auction else {
        return Ok(());
    };
    let path = format!("/api/v1/auctions/{auction}");
    for _ in 0..rounds {
        for rfc in &tender.bidders {
            let view = api.get(&path, Who::Supplier(rfc)).await?;
            let Some(amount) = at(&view, "/you/max_next_bid").as_str() else {
                continue;
            };
            // A little under the most it may bid, as bidders do.
            let amount = pesos(centavos(&json!(amount))? * 999 / 1000);
            let (status, value) = api
                .send(
                    Method::POST,
                    &format!("{path}/bids"),
                    Who::Supplier(rfc),
                    Body::Json(json!({"amount": amount})),
                )
                .await?;
            match status {
                StatusCode::CREATED => {}
                StatusCode::CONFLICT if at(&value, "/code") == "auction_closed" => return Ok(()),
                _ => {
                    return Err(refused(
                        &Method::POST,
                        &format!("{path}/bids"),
                        status,
                        &value,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Waits for the short auction to close, then awards on its final prices.
async fn award_after_auction(api: &Api, tender: &Tender) -> anyhow::Result<()> {
    let Some(auction) = &tender.auction else {
        return Ok(());
    };
    let path = format!("/api/v1/auctions/{auction}");
    let view = api.get(&path, Who::Auditor).await?;
    let left = at(&view, "/time_left_s").as_u64().unwrap_or(0);
    if at(&view, "/status") != "closed" && left > 0 {
        println!(
            "  waiting {left} s for the auction of «{}» to close…",
            tender.plan.title
        );
        tokio::time::sleep(Duration::from_secs(left)).await;
    }
    for _ in 0..60 {
        if at(&api.get(&path, Who::Auditor).await?, "/status") == "closed" {
            award(api, tender, None).await?;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("the auction {auction} did not close within 30 s of its end")
}

/// A minimal one-page PDF (Helvetica, WinAnsi) with one line per entry.
fn one_page_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let y = 740 - 22 * i;
        content.extend_from_slice(
            format!("BT /F1 {} Tf 72 {y} Td (", if i == 0 { 16 } else { 11 }).as_bytes(),
        );
        for c in line.chars() {
            match c {
                '(' | ')' | '\\' => content.extend_from_slice(&[b'\\', c as u8]),
                c if (c as u32) < 0x100 && !c.is_control() => content.push(c as u32 as u8),
                _ => content.push(b'?'),
            }
        }
        content.extend_from_slice(b") Tj ET\n");
    }
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(&content);
    stream.extend_from_slice(b"endstream");
    let objects: [Vec<u8>; 5] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
          /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        stream,
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_has_a_cross_reference_table_that_points_at_its_objects() {
        let pdf = one_page_pdf(&["Convocatoria (bases)", "Pedido de cafe"]);
        let text = String::from_utf8(pdf.clone()).unwrap();
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(text[xref..].starts_with("xref\n0 6\n"));
        for (n, line) in text[xref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                text[offset..].starts_with(&format!("{} 0 obj", n + 1)),
                "object {}",
                n + 1
            );
        }
        assert!(pdf.windows(3).any(|w| w == b"\\(b"), "parentheses escaped");
        let accented = one_page_pdf(&["Adquisición"]);
        assert!(accented.windows(3).any(|w| w == b"ci\xF3"), "ó in WinAnsi");
    }

    #[test]
    fn amounts_go_to_centavos_and_back() {
        assert_eq!(centavos(&json!("4100.5")).unwrap(), 410_050);
        assert_eq!(centavos(&json!("7")).unwrap(), 700);
        assert_eq!(pesos(410_050), "4100.50");
    }
}
