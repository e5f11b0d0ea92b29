//! The public OCDS feeds: every page and record validated against the official OCDS 1.1
//! schemas with the extensions (offline, from ../shared/ocds), nothing sealed leaking, and
//! a reader following the cursor under concurrent writers seeing every release once.

use std::collections::HashSet;
use std::path::PathBuf;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::auctions::{EngineKind, bid, continuous, scheduled, spawn};
use crate::helpers::{Backend, TestApp, assert_problem, json_of, spawn_app};
use crate::on_both_databases;
use crate::tenders::{at, body, create, officer, publish, published, supplier};

/// The validator is not vacuous: a release breaking the schema fails, naming its path.
#[tokio::test]
async fn the_validator_names_the_json_path_of_what_breaks_the_schema() {
    let schemas = OcdsSchemas::load();
    let app = spawn_app(Backend::Sqlite).await;
    published(&app).await;
    let mut page = json_of(app.get("/public/v1/releases", None).await, StatusCode::OK).await;
    schemas.release_package(&page);
    page["releases"][0]["tag"] = json!(["bogus"]);
    page["releases"][0]["tender"]["value"]["currency"] = json!("PESOS");
    page["releases"][0]["tender"]["techniques"] = json!({"hasElectronicAuction": "yes"});
    let errors = schemas.release_package_errors(&page);
    for path in [
        "/releases/0/tag/0",
        "/releases/0/tender/value/currency",
        "/releases/0/tender/techniques/hasElectronicAuction",
    ] {
        assert!(
            errors.iter().any(|e| e.ends_with(path)),
            "{path} not in {errors:#?}"
        );
    }
}

on_both_databases!(
    every_feed_page_and_record_validates_against_the_ocds_schema,
    nothing_sealed_leaks_before_the_award,
    a_reader_following_the_cursor_never_misses_or_repeats_a_release,
    bad_cursors_limits_and_ocids_are_refused,
    a_deserted_process_publishes_its_disqualified_bids_and_dates_in_order,
    a_process_cancelled_after_its_opening_publishes_its_bids,
);

async fn a_process_cancelled_after_its_opening_publishes_its_bids(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app
        .register_supplier(&crate::helpers::rfc("ACM010101AB"), "Acme Cómputo")
        .await;
    let (tender, _) = crate::awards::evaluated(&app, &[(&a, "17000.00", "80.00", 8, true)]).await;
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{tender}/cancel"),
            Some(&officer(&app, "SEP")),
            &json!({"reason": "Recorte presupuestal."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{tender}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    OcdsSchemas::load().record_package(&record);
    let compiled = &record["records"][0]["compiledRelease"];
    assert_eq!(compiled["tender"]["status"], "cancelled");
    assert_eq!(compiled["tender"]["numberOfTenderers"], 1);
    assert_eq!(compiled["bids"]["details"][0]["status"], "valid");
    assert_eq!(
        compiled["bids"]["details"][0]["tenderers"][0]["id"],
        format!("MX-RFC-{a}")
    );
}

async fn a_deserted_process_publishes_its_disqualified_bids_and_dates_in_order(backend: Backend) {
    let schemas = OcdsSchemas::load();
    let app = spawn_app(backend).await;
    let a = app
        .register_supplier(&crate::helpers::rfc("ACM010101AB"), "Acme Cómputo")
        .await;
    let b = app
        .register_supplier(&crate::helpers::rfc("BET020202CD"), "Beta Sistemas")
        .await;
    let (tender, _) = crate::awards::evaluated(
        &app,
        &[
            (&a, "17000.00", "80.00", 8, false),
            (&b, "17100.00", "80.00", 9, false),
        ],
    )
    .await;
    let ocid = format!("ocds-licita-{tender}");
    let record = json_of(
        app.get(&format!("/public/v1/records/{ocid}"), None).await,
        StatusCode::OK,
    )
    .await;
    schemas.record_package(&record);
    let releases = record["records"][0]["releases"].as_array().unwrap();
    assert_eq!(releases.last().unwrap()["tag"], json!(["tenderUpdate"]));
    let compiled = &record["records"][0]["compiledRelease"];
    assert_eq!(compiled["tender"]["status"], "unsuccessful");
    assert_eq!(compiled["tender"]["numberOfTenderers"], 2);
    let details = compiled["bids"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    for d in details {
        assert_eq!(d["status"], "disqualified", "{d}");
        assert!(
            d["description"].as_str().unwrap().contains("No cumple"),
            "{d}"
        );
    }
    let stats = compiled["bids"]["statistics"].as_array().unwrap();
    assert!(
        stats
            .iter()
            .any(|s| s["measure"] == "disqualifiedBids" && s["value"] == 2)
    );
    // Each release of the process is dated strictly after the one before.
    let dates: Vec<chrono::DateTime<chrono::Utc>> = releases
        .iter()
        .map(|r| {
            chrono::DateTime::parse_from_rfc3339(r["date"].as_str().unwrap())
                .unwrap()
                .into()
        })
        .collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "{dates:?}");
    // The lots and submissionTerms extensions are declared, and used: the tender's lot and
    // its items' `relatedLot`, its submission terms.
    let declared = record["extensions"].as_array().unwrap();
    for name in ["ocds_lots_extension", "ocds_submissionTerms_extension"] {
        assert!(
            declared.iter().any(|e| e.as_str().unwrap().contains(name)),
            "{declared:?}"
        );
    }
    let tender = &releases.last().unwrap()["tender"];
    assert_eq!(tender["lots"].as_array().map(Vec::len), Some(1), "{tender}");
    assert_eq!(tender["lots"][0]["status"], "unsuccessful", "{tender}");
    assert!(
        tender["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["relatedLot"] == "1"),
        "{tender}"
    );
    assert_eq!(
        tender["submissionTerms"]["electronicSubmissionPolicy"],
        "required"
    );
}

const RELEASE_SCHEMA_URL: &str =
    "https://standard.open-contracting.org/schema/1__1__5/release-schema.json";
const VERSIONED_SCHEMA_URL: &str =
    "https://standard.open-contracting.org/schema/1__1__5/versioned-release-validation-schema.json";
/// The local copy of each extension a package may declare, by the repository its URL names,
/// in the order they are applied (techniques and bids are written against lots, and lots
/// refers to submissionTerms). A declared URL with no copy here fails the test: nobody
/// could validate it.
const KNOWN_EXTENSIONS: &[(&str, &str)] = &[
    ("ocds_lots_extension", "lots"),
    ("ocds_submissionTerms_extension", "submissionTerms"),
    ("ocds_techniques_extension", "techniques"),
    ("ocds_bid_extension", "bids"),
    ("ocds_enquiry_extension", "enquiry"),
    ("ocds_partyDetails_scale_extension", "partyDetails_scale"),
    ("ocds_pagination_extension", "pagination"),
    ("ocds_complaint_extension", "complaint"),
    ("ocds_auction_extension", "auction"),
];

fn ocds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ocds")
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// RFC 7386 JSON Merge Patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            let t = target.as_object_mut().unwrap();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The local folders of the extensions a package declares, in application order.
fn declared_extensions(package: &Value) -> Vec<&'static str> {
    let declared: Vec<&str> = package["extensions"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for url in &declared {
        assert!(
            KNOWN_EXTENSIONS
                .iter()
                .any(|(repo, _)| url.contains(&format!("/{repo}/master/extension.json"))),
            "{url} is declared but has no local copy: nobody could validate it"
        );
    }
    KNOWN_EXTENSIONS
        .iter()
        .filter(|(repo, _)| declared.iter().any(|u| u.contains(&format!("/{repo}/"))))
        .map(|(_, folder)| *folder)
        .collect()
}

/// Validators of the package schemas, with the release schema patched by exactly the
/// extensions each package declares (as the community's tools apply them).
/// The release-package and record-package validators for one set of extensions.
type Validators = std::sync::Arc<(jsonschema::Validator, jsonschema::Validator)>;

pub struct OcdsSchemas {
    cache: std::sync::Mutex<std::collections::HashMap<Vec<&'static str>, Validators>>,
}

impl OcdsSchemas {
    pub fn load() -> Self {
        Self {
            cache: Default::default(),
        }
    }

    fn validators(&self, extensions: Vec<&'static str>) -> Validators {
        let mut cache = self.cache.lock().unwrap();
        cache
            .entry(extensions.clone())
            .or_insert_with(|| std::sync::Arc::new(Self::build(&extensions)))
            .clone()
    }

    fn build(extensions: &[&str]) -> (jsonschema::Validator, jsonschema::Validator) {
        let dir = ocds_dir();
        let mut release = read_json(dir.join("1.1/release-schema.json"));
        // An extension patches the release schema, the package schemas (pagination), or both.
        let patch = |schema: &mut Value, file: &str| {
            for ext in extensions {
                let path = dir.join("extensions").join(ext).join(file);
                if path.exists() {
                    merge_patch(schema, &read_json(path));
                }
            }
        };
        patch(&mut release, "release-schema.json");
        let versioned = read_json(dir.join("1.1/versioned-release-validation-schema.json"));
        let registry = jsonschema::Registry::new()
            .add(
                RELEASE_SCHEMA_URL,
                jsonschema::Resource::from_contents(release),
            )
            .unwrap()
            .add(
                VERSIONED_SCHEMA_URL,
                jsonschema::Resource::from_contents(versioned),
            )
            .unwrap()
            .prepare()
            .unwrap();
        let build = |file: &str| {
            let mut package = read_json(dir.join("1.1").join(file));
            patch(&mut package, file);
            // pagination empties `required` (a page may hold no releases); draft 4 wants
            // a non-empty list or none.
            if package["required"].as_array().is_some_and(Vec::is_empty) {
                package.as_object_mut().unwrap().remove("required");
            }
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .with_registry(&registry)
                .should_validate_formats(true)
                .build(&package)
                .unwrap()
        };
        (
            build("release-package-schema.json"),
            build("record-package-schema.json"),
        )
    }

    fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    fn check(validator: &jsonschema::Validator, what: &str, instance: &Value) {
        let errors = Self::errors(validator, instance);
        assert!(
            errors.is_empty(),
            "{what} does not validate against the OCDS 1.1 schema:\n{}",
            errors.join("\n")
        );
        dump(what, instance);
    }

    pub fn release_package_errors(&self, package: &Value) -> Vec<String> {
        let v = self.validators(declared_extensions(package));
        Self::errors(&v.0, package)
    }

    pub fn release_package(&self, package: &Value) {
        let v = self.validators(declared_extensions(package));
        Self::check(&v.0, "a release package", package);
    }

    pub fn record_package(&self, package: &Value) {
        let v = self.validators(declared_extensions(package));
        Self::check(&v.1, "a record package", package);
    }
}

/// With `LICITA_OCDS_DUMP` set (scripts/test.sh sets it), every package a test validated
/// is also written there, in order, for the community's own tools (scripts/ocds_check.py).
pub(crate) fn dump(what: &str, package: &Value) {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Ok(dir) = std::env::var("LICITA_OCDS_DUMP") else {
        return;
    };
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let kind = if what.contains("record") {
        "record"
    } else {
        "release"
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let path = PathBuf::from(dir).join(format!("{stamp:024}-{n:05}-{kind}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(package).unwrap()).unwrap();
}

/// Follows `links.next` from the start until a page comes back empty; validates each page
/// and returns every release in order.
async fn read_feed(app: &TestApp, schemas: &OcdsSchemas, limit: u64) -> Vec<Value> {
    let mut url = format!("/public/v1/releases?limit={limit}");
    let mut all = Vec::new();
    loop {
        let page = json_of(app.get(&url, None).await, StatusCode::OK).await;
        let releases = page["releases"].as_array().unwrap().clone();
        if releases.is_empty() {
            return all;
        }
        schemas.release_package(&page);
        all.extend(releases);
        let next = page["links"]["next"].as_str().unwrap();
        url = next[next.find("/public").unwrap()..].to_owned();
    }
}

fn tags(releases: &[Value], ocid: &str) -> Vec<String> {
    releases
        .iter()
        .filter(|r| r["ocid"] == ocid)
        .map(|r| r["tag"][0].as_str().unwrap().to_owned())
        .collect()
}

async fn every_feed_page_and_record_validates_against_the_ocds_schema(backend: Backend) {
    let schemas = OcdsSchemas::load();
    let app = spawn(match backend {
        Backend::Sqlite => (backend, EngineKind::Memory),
        Backend::Postgres => (backend, EngineKind::Redis),
    })
    .await;
    // An auctioned tender: published, a clarification answered, auction, award, contract.
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid(&app, &s.auction, &s.c, "2000000.00").await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.advance(Duration::seconds(700));
    let awarded = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{}/award", s.tender),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let award_day = awarded["award"]["awarded_at"].as_str().unwrap()[..10].to_owned();
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{}/contract", s.tender),
            Some(&officer(&app, "SEP")),
            &json!({"amount": "2000000.00", "signed_on": award_day, "starts_on": award_day,
                    "ends_on": "2027-12-31"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // Another tender, with a question answered, then cancelled.
    app.clock.set(at(0));
    let other = create(&app, "SEP", &body()).await;
    let other = other["id"].as_str().unwrap().to_owned();
    json_of(publish(&app, "SEP", &other).await, StatusCode::OK).await;
    let question = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{other}/questions"),
            Some(&supplier(&app, &s.a)),
            &json!({"question": "¿Se aceptan equipos reacondicionados?"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    json_of(
        app.post_json(
            &format!(
                "/api/v1/tenders/{other}/questions/{}/answer",
                question["id"].as_str().unwrap()
            ),
            Some(&officer(&app, "SEP")),
            &json!({"answer": "No; solo equipo nuevo."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{other}/cancel"),
            Some(&officer(&app, "SEP")),
            &json!({"reason": "Cambio de necesidades del área requirente."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let releases = read_feed(&app, &schemas, 2).await;
    let auctioned = format!("ocds-licita-{}", s.tender);
    let cancelled = format!("ocds-licita-{other}");
    assert_eq!(
        tags(&releases, &auctioned),
        ["tender", "tenderUpdate", "award", "contract"]
    );
    assert_eq!(
        tags(&releases, &cancelled),
        ["tender", "tenderUpdate", "tenderCancellation"]
    );
    let ids: HashSet<&str> = releases.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), releases.len(), "release ids are unique");

    let record = json_of(
        app.get(&format!("/public/v1/records/{auctioned}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    schemas.record_package(&record);
    let compiled = &record["records"][0]["compiledRelease"];
    assert_eq!(compiled["tag"], json!(["compiled"]));
    assert_eq!(compiled["tender"]["status"], "complete");
    assert_eq!(compiled["tender"]["procurementMethod"], "open");
    assert_eq!(
        compiled["tender"]["value"],
        json!({"amount": 2_223_420.0, "currency": "MXN"})
    );
    assert_eq!(
        compiled["tender"]["items"][0]["classification"]["scheme"],
        "CUCOP"
    );
    assert_eq!(
        compiled["tender"]["items"][0]["classification"]["id"],
        "51101001"
    );
    let methods = compiled["tender"]["submissionMethod"].as_array().unwrap();
    assert!(methods.contains(&json!("electronicAuction")), "{methods:?}");
    assert_eq!(
        compiled["tender"]["techniques"]["hasElectronicAuction"],
        true
    );
    assert_eq!(compiled["awards"][0]["value"]["amount"], json!(2_000_000.0));
    assert_eq!(
        compiled["awards"][0]["suppliers"][0]["id"],
        format!("MX-RFC-{}", s.c)
    );
    assert_eq!(
        compiled["contracts"][0]["value"]["amount"],
        json!(2_000_000.0)
    );
    let supplier_party = compiled["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["identifier"]["id"] == s.c.as_str())
        .unwrap();
    assert_eq!(supplier_party["identifier"]["scheme"], "MX-RFC");
    assert!(
        supplier_party["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("supplier"))
    );
    let statistics = compiled["bids"]["statistics"].as_array().unwrap();
    let measure = |m: &str| statistics.iter().find(|s| s["measure"] == m).unwrap()["value"].clone();
    assert_eq!(measure("bids"), 3);
    assert_eq!(measure("validBids"), 3);
    assert_eq!(
        measure("lowestValidBidValue"),
        json!(2_000_000.0),
        "the final auction price"
    );

    let cancelled_record = json_of(
        app.get(&format!("/public/v1/records/{cancelled}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    schemas.record_package(&cancelled_record);
    let compiled = &cancelled_record["records"][0]["compiledRelease"];
    assert_eq!(compiled["tender"]["status"], "cancelled");
    assert_eq!(compiled["tender"]["hasEnquiries"], true);
    // The question and its answer are published, never who asked.
    let enquiry = &compiled["tender"]["enquiries"][0];
    assert_eq!(
        enquiry["description"],
        "¿Se aceptan equipos reacondicionados?"
    );
    assert_eq!(enquiry["answer"], "No; solo equipo nuevo.");
    assert!(enquiry["dateAnswered"].is_string() && enquiry.get("author").is_none());
    assert!(!cancelled_record.to_string().contains(&s.a));
    // The cancellation's reason is its document.
    let document = &compiled["tender"]["documents"][0];
    assert_eq!(document["documentType"], "cancellationDetails");
    assert_eq!(
        document["description"],
        "Cambio de necesidades del área requirente."
    );
    // Package metadata: the publisher, the license, and a policy that is served.
    assert_eq!(
        cancelled_record["publisher"]["name"],
        "licita — sistema de contrataciones públicas"
    );
    let policy = cancelled_record["publicationPolicy"].as_str().unwrap();
    assert_eq!(
        policy,
        format!("{}/public/v1/publication-policy", app.address)
    );
    let text = app
        .get("/public/v1/publication-policy", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("Qué se reserva"), "{text}");
    // The award and the contract list the items bought, at the awarded unit prices: after
    // the auction, the winner's sealed prices scaled to its final 2,000,000.00.
    let auctioned_compiled = &record["records"][0]["compiledRelease"];
    for path in ["awards", "contracts"] {
        let items = auctioned_compiled[path][0]["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{path}: {items:?}");
        assert_eq!(items[0]["classification"]["id"], "51101001");
        assert_eq!(items[0]["quantity"], 120);
        let total: f64 = items
            .iter()
            .map(|i| {
                i["quantity"].as_f64().unwrap() * i["unit"]["value"]["amount"].as_f64().unwrap()
            })
            .sum();
        assert!((total - 2_000_000.0).abs() < 200.0, "{path}: {total}");
    }
    // Bidders' sizes, after the award.
    let parties = record["records"][0]["compiledRelease"]["parties"]
        .as_array()
        .unwrap();
    let bidders: Vec<&Value> = parties
        .iter()
        .filter(|p| p["roles"].as_array().unwrap().contains(&json!("tenderer")))
        .collect();
    assert_eq!(bidders.len(), 3);
    assert!(
        bidders.iter().all(|p| p["details"]["scale"] == "small"),
        "{bidders:?}"
    );
    assert!(
        bidders
            .iter()
            .all(|p| p["contactPoint"]["email"] == "licitaciones@empresa.com.mx"),
        "{bidders:?}"
    );
    // A buying unit without a recorded RFC is identified by its unit code.
    assert_eq!(parties[0]["identifier"]["scheme"], "MX-UC");
}

#[tokio::test]
async fn a_buying_unit_with_an_rfc_is_identified_by_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let registered = json_of(
        app.post_json(
            "/api/v1/agencies",
            Some(&app.registrar()),
            &json!({"code": "CFE", "name": "Comisión Federal de Electricidad", "rfc": crate::helpers::rfc("CFE370814QI")}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let rfc = registered["rfc"].as_str().unwrap().to_owned();
    app.clock.set(at(0));
    let tender = create(&app, "CFE", &body()).await;
    let id = tender["id"].as_str().unwrap();
    json_of(publish(&app, "CFE", id).await, StatusCode::OK).await;
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    OcdsSchemas::load().record_package(&record);
    let compiled = &record["records"][0]["compiledRelease"];
    assert_eq!(compiled["buyer"]["id"], format!("MX-RFC-{rfc}"));
    let buyer = &compiled["parties"][0];
    assert_eq!(
        buyer["identifier"],
        json!({"scheme": "MX-RFC", "id": rfc, "legalName": "Comisión Federal de Electricidad"})
    );
    assert_eq!(buyer["additionalIdentifiers"][0]["id"], "CFE");
    // A unit registered before (a seeded one) gets its RFC recorded by the registrar.
    let sep_rfc = crate::helpers::rfc("SEP210905IS");
    let patch = |token: String, code: &str, body: Value| {
        let request = app
            .client
            .patch(app.url(&format!("/api/v1/agencies/{code}")))
            .bearer_auth(token)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let sep = json_of(
        patch(app.registrar(), "SEP", json!({"rfc": sep_rfc})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(sep["rfc"], sep_rfc.as_str());
    assert_eq!(sep["name"], "Secretaría de Educación Pública");
    let sep_tender = published(&app).await;
    let sep_record = json_of(
        app.get(
            &format!("/public/v1/records/ocds-licita-{sep_tender}"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    OcdsSchemas::load().record_package(&sep_record);
    assert_eq!(
        sep_record["records"][0]["compiledRelease"]["buyer"]["id"],
        format!("MX-RFC-{sep_rfc}")
    );
    for (token, code, body, status, problem) in [
        (
            officer(&app, "SEP"),
            "SEP",
            json!({"rfc": sep_rfc}),
            StatusCode::FORBIDDEN,
            "forbidden_role",
        ),
        (
            app.registrar(),
            "NOPE",
            json!({"rfc": sep_rfc}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.registrar(),
            "SEP",
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            app.registrar(),
            "SEP",
            json!({"rfc": "SEP210905IS9"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rfc_check_digit",
        ),
        (
            app.registrar(),
            "SEP",
            json!({"name": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_agency_name",
        ),
    ] {
        assert_problem(patch(token, code, body).await, status, problem).await;
    }
    // A natural person's RFC is not a buying unit's.
    assert_problem(
        app.post_json(
            "/api/v1/agencies",
            Some(&app.registrar()),
            &json!({"code": "XYZ", "name": "Unidad de prueba", "rfc": crate::helpers::rfc("GODE561231GR")}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_rfc",
    )
    .await;
}

#[tokio::test]
async fn the_publisher_is_identified_as_configured() {
    let app = crate::helpers::spawn_app_with(
        Backend::Sqlite,
        &[
            (
                "LICITA_PUBLISHER_NAME",
                "Secretaría Anticorrupción y Buen Gobierno",
            ),
            ("LICITA_PUBLISHER_SCHEME", "MX-RFC"),
            ("LICITA_PUBLISHER_UID", "SFP0001011A1"),
            ("LICITA_PUBLISHER_URI", "https://www.gob.mx/buengobierno"),
            ("LICITA_OCDS_LICENSE", "https://datos.gob.mx/libreusomx"),
        ],
    )
    .await;
    published(&app).await;
    let page = json_of(app.get("/public/v1/releases", None).await, StatusCode::OK).await;
    assert_eq!(
        page["publisher"],
        json!({"name": "Secretaría Anticorrupción y Buen Gobierno", "scheme": "MX-RFC",
               "uid": "SFP0001011A1", "uri": "https://www.gob.mx/buengobierno"})
    );
    assert_eq!(page["license"], "https://datos.gob.mx/libreusomx");
    OcdsSchemas::load().release_package(&page);
}

async fn nothing_sealed_leaks_before_the_award(backend: Backend) {
    let app = spawn(match backend {
        Backend::Sqlite => (backend, EngineKind::Memory),
        Backend::Postgres => (backend, EngineKind::Redis),
    })
    .await;
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(Duration::seconds(10));
    json_of(
        bid(&app, &s.auction, &s.c, "1999999.99").await,
        StatusCode::CREATED,
    )
    .await;
    // Sealed bids went in, were opened and evaluated, and the auction runs: the feed says
    // nothing of who bid or at what price.
    let feed = app
        .get("/public/v1/releases?limit=200", None)
        .await
        .text()
        .await
        .unwrap();
    for secret in [&s.a, &s.b, &s.c] {
        assert!(!feed.contains(secret.as_str()), "{secret} leaked: {feed}");
    }
    for price in [
        "2043200",
        "2067200",
        "2103200",
        "1999999.99",
        "17000",
        "17200",
        "17500",
    ] {
        assert!(!feed.contains(price), "{price} leaked: {feed}");
    }
    assert!(
        !feed.contains("\"bids\""),
        "no bid section before the award"
    );
    app.clock.advance(Duration::seconds(700));
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{}/award", s.tender),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let feed = app
        .get("/public/v1/releases?limit=200", None)
        .await
        .text()
        .await
        .unwrap();
    for published in [&s.a, &s.b, &s.c] {
        assert!(
            feed.contains(published.as_str()),
            "after the award, every bidder is public"
        );
    }
}

async fn a_reader_following_the_cursor_never_misses_or_repeats_a_release(backend: Backend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    app.clock.set(at(0));
    // Eight writers publish forty tenders at once while a reader follows the cursor.
    let mut writers = Vec::new();
    for _ in 0..8 {
        let app = app.clone();
        writers.push(tokio::spawn(async move {
            for _ in 0..5 {
                let tender = create(&app, "SEP", &body()).await;
                let id = tender["id"].as_str().unwrap().to_owned();
                json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
            }
        }));
    }
    let reader = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut seen: Vec<String> = Vec::new();
            let mut url = "/public/v1/releases?limit=3".to_owned();
            loop {
                let page = json_of(app.get(&url, None).await, StatusCode::OK).await;
                for r in page["releases"].as_array().unwrap() {
                    seen.push(r["id"].as_str().unwrap().to_owned());
                }
                let next = page["links"]["next"].as_str().unwrap();
                url = next[next.find("/public").unwrap()..].to_owned();
                if seen.len() >= 40 {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    let seen = tokio::time::timeout(std::time::Duration::from_secs(60), reader)
        .await
        .expect("the reader got every release")
        .unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no release seen twice");
    let all = json_of(
        app.get("/public/v1/releases?limit=200", None).await,
        StatusCode::OK,
    )
    .await;
    let all: Vec<String> = all["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 40);
    assert_eq!(seen, all, "every release, in feed order");
}

async fn bad_cursors_limits_and_ocids_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    published(&app).await;
    for url in [
        "/public/v1/releases?cursor=zz",
        "/public/v1/releases?cursor=2d31",
    ] {
        assert_problem(
            app.get(url, None).await,
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
        )
        .await;
    }
    for url in [
        "/public/v1/releases?limit=0",
        "/public/v1/releases?limit=201",
    ] {
        assert_problem(
            app.get(url, None).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
    }
    assert_problem(
        app.get("/public/v1/records/ocds-licita-nope", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Past the end, the feed is empty and its next link stays where it is.
    let page = json_of(app.get("/public/v1/releases", None).await, StatusCode::OK).await;
    let next = page["links"]["next"].as_str().unwrap();
    let tail = json_of(
        app.get(&next[next.find("/public").unwrap()..], None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tail["releases"], json!([]));
    assert_eq!(tail["links"]["next"], page["links"]["next"]);
}
