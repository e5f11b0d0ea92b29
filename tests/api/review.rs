//! Regression tests for what the outside review found (issue 11): public output that could
//! be turned against its readers, text that spoofs, tokens that live too long, a draft
//! that told strangers whose it was, and metrics on the public listener.

use std::time::Duration;

use licita::auth::{Role, TokenIssuer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::awards::{award, evaluated};
use crate::helpers::{
    Backend, TEST_SECRET, TestApp, assert_problem, json_of, now_unix, rfc, spawn_app,
    spawn_app_with,
};
use crate::on_both_databases;
use crate::tenders::{body, create, officer};

on_both_databases!(
    every_list_refuses_an_unknown_parameter_naming_it,
    csv_cells_a_spreadsheet_would_run_are_neutralised,
    names_and_titles_that_spoof_text_are_refused_and_stored_in_nfc,
    a_draft_of_another_agency_is_not_found_for_writes_too,
    a_date_that_fails_to_parse_names_the_expected_format,
);

async fn a_date_that_fails_to_parse_names_the_expected_format(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut tender = body();
    tender["schedule"]["opening_at"] = json!("2026-12-01 17:00");
    let problem = assert_problem(
        app.post_json("/api/v1/tenders", Some(&officer(&app, "SEP")), &tender)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("RFC 3339") && detail.contains("2026-12-01T17:00:00Z"),
        "{problem}"
    );
    assert_eq!(problem["fields"][0]["field"], "schedule.opening_at");
    let problem = assert_problem(
        app.post_json(
            "/api/v1/framework-contracts",
            Some(&app.registrar()),
            &json!({"title": "Contrato marco", "valid_from": "01/01/2026", "valid_until": "2026-12-31", "items": [], "suppliers": []}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("YYYY-MM-DD"),
        "{problem}"
    );
}

async fn every_list_refuses_an_unknown_parameter_naming_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let tender = crate::tenders::published(&app).await;
    let auditor = app.token(Role::Auditor, "auditor-1", None);
    let lists = [
        "/api/v1/tenders".to_owned(),
        "/api/v1/suppliers".to_owned(),
        "/api/v1/classifier".to_owned(),
        "/api/v1/framework-contracts".to_owned(),
        "/api/v1/ict-assents".to_owned(),
        format!("/api/v1/tenders/{tender}/bids"),
        format!("/api/v1/tenders/{tender}/questions"),
        "/public/v1/agencies".to_owned(),
        "/public/v1/releases".to_owned(),
        "/public/v1/awards".to_owned(),
        "/public/v1/sanctioned-suppliers".to_owned(),
        "/public/v1/savings".to_owned(),
    ];
    for list in &lists {
        let problem = assert_problem(
            app.get(&format!("{list}?phase=awarded"), Some(&auditor))
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
        assert!(
            problem["detail"].as_str().unwrap().contains("phase"),
            "{list}: {problem}"
        );
        // And the list itself answers without it.
        assert_eq!(
            app.get(list, Some(&auditor)).await.status(),
            StatusCode::OK,
            "{list}"
        );
    }
}

async fn csv_cells_a_spreadsheet_would_run_are_neutralised(backend: Backend) {
    let app = spawn_app(backend).await;
    let evil = app
        .register_supplier(
            &rfc("EVI010101AB"),
            "=HYPERLINK(\"http://evil.example\",\"Clic\")",
        )
        .await;
    let (tender, _) = evaluated(&app, &[(&evil, "17000.00", "80.00", 8, true)]).await;
    json_of(award(&app, &tender, &json!({})).await, StatusCode::OK).await;
    let csv = app
        .client
        .get(app.url("/public/v1/awards"))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let name = headers
        .iter()
        .position(|h| h == "supplier_legal_name")
        .unwrap();
    assert_eq!(
        &row[name], "'=HYPERLINK(\"http://evil.example\",\"Clic\")",
        "{csv}"
    );
    for (h, cell) in headers.iter().zip(row.iter()) {
        assert!(
            !cell.starts_with(['=', '+', '@', '\t', '\r'])
                && (!cell.starts_with('-') || cell[1..].parse::<f64>().is_ok()),
            "{h} = {cell:?} would run as a formula"
        );
    }
    // JSON keeps the name as registered.
    let page = json_of(app.get("/public/v1/awards", None).await, StatusCode::OK).await;
    assert_eq!(
        page["items"][0]["supplier"]["legal_name"],
        "=HYPERLINK(\"http://evil.example\",\"Clic\")"
    );
}

async fn names_and_titles_that_spoof_text_are_refused_and_stored_in_nfc(backend: Backend) {
    let app = spawn_app(backend).await;
    let registrar = app.registrar();
    for (spoof, name) in [
        ("\u{202E}", "bidi override"),
        ("\u{200B}", "zero-width space"),
        ("\u{FEFF}", "byte-order mark"),
        ("\u{2028}", "line separator"),
    ] {
        let legal_name = format!("Acme{spoof} Cómputo");
        assert_problem(
            app.post_json(
                "/api/v1/suppliers",
                Some(&registrar),
                &json!({
                    "rfc": rfc("ACM010101AB"), "legal_name": legal_name, "size": "small",
                    "email": "a@acme.com.mx", "classifier_codes": ["51501"],
                }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_legal_name",
        )
        .await;
        let mut tender = body();
        tender["title"] = json!(format!("Equipo de cómputo{spoof} para oficinas"));
        let problem = app
            .post_json("/api/v1/tenders", Some(&officer(&app, "SEP")), &tender)
            .await;
        assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_problem(
            app.post_json(
                "/api/v1/agencies",
                Some(&registrar),
                &json!({"code": "XYZ", "name": format!("Secretaría{spoof} de Prueba")}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_agency_name",
        )
        .await;
    }
    // Nor in a technical offer, an e-mail or a token's sub, which reach officers and the
    // audit log.
    let offerer = rfc("OFE010101AB");
    app.register_supplier(&offerer, "Oferente").await;
    let tender = crate::tenders::published(&app).await;
    app.clock.set(crate::tenders::at(8));
    let mut offer = crate::tenders::bid_body("17000.00", "80.00");
    offer["technical_offer"] = json!("Cumple \u{202E}sotisiuqer sol");
    assert_problem(
        crate::tenders::submit(&app, &tender, &offerer, &offer).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_technical_offer",
    )
    .await;
    for email in [
        "ventas@\u{0430}cme.mx",
        "a\u{202E}b@acme.mx",
        "v\u{200B}@acme.mx",
    ] {
        assert_problem(
            app.client
                .patch(app.url(&format!("/api/v1/suppliers/{offerer}")))
                .bearer_auth(&registrar)
                .json(&json!({"email": email}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        )
        .await;
    }
    let spoofed = app.token(Role::Registrar, "evil\u{202E}txt.exe", None);
    assert_problem(
        app.get("/api/v1/me", Some(&spoofed)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    // An RFC typed with a ligature is refused, not folded into someone else's.
    assert_problem(
        app.post_json(
            "/api/v1/suppliers",
            Some(&registrar),
            &json!({
                "rfc": "ﬀ0101019A1", "legal_name": "Ligadura", "size": "small",
                "email": "a@acme.com.mx", "classifier_codes": ["51501"],
            }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_rfc",
    )
    .await;
    // Decomposed accents are stored composed: one spelling, one string.
    let who = rfc("CAF010101AB");
    app.register_supplier(&who, "Cafe\u{0301} y Cómputo").await;
    let found = json_of(
        app.get(&format!("/api/v1/suppliers/{who}"), Some(&registrar))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["legal_name"], "Caf\u{e9} y Cómputo");
}

async fn a_draft_of_another_agency_is_not_found_for_writes_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let draft = create(&app, "SEP", &body()).await;
    let id = draft["id"].as_str().unwrap();
    let stranger = officer(&app, "SSA");
    for response in [
        app.put_json(&format!("/api/v1/tenders/{id}"), Some(&stranger), &body())
            .await,
        app.post_json(
            &format!("/api/v1/tenders/{id}/publish"),
            Some(&stranger),
            &json!({}),
        )
        .await,
        app.post_json(
            &format!("/api/v1/tenders/{id}/cancel"),
            Some(&stranger),
            &json!({"reason": "no"}),
        )
        .await,
    ] {
        let problem = assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
        assert!(!problem.to_string().contains("SEP"), "{problem}");
    }
    // As for a read.
    assert_problem(
        app.get(&format!("/api/v1/tenders/{id}"), Some(&stranger))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn links_in_public_answers_never_echo_the_request_host() {
    for public_url in [None, Some("https://compras.example.gob.mx")] {
        let app = match public_url {
            None => spawn_app(Backend::Sqlite).await,
            Some(url) => spawn_app_with(Backend::Sqlite, &[("LICITA_PUBLIC_URL", url)]).await,
        };
        let expected = public_url.map_or_else(|| app.address.clone(), str::to_owned);
        for path in [
            "/public/v1/releases?limit=5",
            "/public/v1/records/ocds-licita-00000000-0000-0000-0000-000000000000",
        ] {
            let response = app
                .client
                .get(app.url(path))
                .header("Host", "evil.example")
                .header("X-Forwarded-Host", "evil.example")
                .header("X-Forwarded-Proto", "javascript")
                .header("Forwarded", "host=evil.example;proto=javascript")
                .send()
                .await
                .unwrap();
            let link = response
                .headers()
                .get("link")
                .map(|l| l.to_str().unwrap().to_owned());
            let text = response.text().await.unwrap();
            for bad in ["evil", "javascript"] {
                assert!(!text.contains(bad), "{path}: {text}");
                assert!(!link.as_deref().unwrap_or("").contains(bad));
            }
            if path.starts_with("/public/v1/releases") {
                let page: Value = serde_json::from_str(&text).unwrap();
                assert!(
                    page["uri"].as_str().unwrap().starts_with(&expected),
                    "{page}"
                );
                assert!(
                    page["links"]["next"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("{expected}/public/v1/releases?")),
                    "{page}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_token_that_lives_longer_than_the_maximum_gets_401() {
    let app = spawn_app(Backend::Sqlite).await;
    let issuer = TokenIssuer::new(TEST_SECRET.as_bytes(), None, None);
    let now = now_unix();
    for (ttl, accepted) in [
        (Duration::from_secs(3600), true),
        (Duration::from_secs(12 * 3600), true),
        (Duration::from_secs(12 * 3600 + 3600), false),
        (Duration::from_secs(31 * 365 * 86_400), false),
        (Duration::from_secs((1 << 63) - now), false),
    ] {
        let token = issuer.mint(Role::Auditor, "a", None, ttl, now).unwrap();
        let response = app.get("/api/v1/me", Some(&token)).await;
        if accepted {
            assert_eq!(response.status(), StatusCode::OK, "{ttl:?}");
        } else {
            let problem = assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
            assert!(
                problem.to_string().contains("LICITA_MAX_TOKEN_TTL"),
                "{problem}"
            );
        }
    }
    // A shorter maximum is a setting.
    let app = spawn_app_with(Backend::Sqlite, &[("LICITA_MAX_TOKEN_TTL", "30m")]).await;
    let token = issuer
        .mint(Role::Auditor, "a", None, Duration::from_secs(3600), now)
        .unwrap();
    assert_problem(
        app.get("/api/v1/me", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn a_public_key_needs_issuer_and_audience_and_rsa_keys_2048_bits() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/fixtures");
    let start = |overrides: Vec<(&'static str, String)>| async move {
        let dir = tempfile::tempdir().unwrap();
        let settings = licita::settings::Settings::from_lookup(|k| {
            overrides
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.clone())
                .or_else(|| match k {
                    "LICITA_ADDR" => Some("127.0.0.1:0".into()),
                    "LICITA_DATA_DIR" => Some(dir.path().display().to_string()),
                    _ => None,
                })
        })
        .unwrap();
        licita::startup::Application::build(settings)
            .await
            .err()
            .map(|e| format!("{e:#}"))
    };
    let ed = format!("{fixtures}/ed25519-public.pem");
    let error = start(vec![
        ("LICITA_JWT_ALGORITHM", "EdDSA".into()),
        ("LICITA_JWT_PUBLIC_KEY_FILE", ed.clone()),
    ])
    .await
    .expect("refused without iss and aud");
    assert!(error.contains("LICITA_JWT_ISSUER"), "{error}");
    let error = start(vec![
        ("LICITA_JWT_ALGORITHM", "RS256".into()),
        (
            "LICITA_JWT_PUBLIC_KEY_FILE",
            format!("{fixtures}/rsa-1024-public.pem"),
        ),
        ("LICITA_JWT_ISSUER", "idp".into()),
        ("LICITA_JWT_AUDIENCE", "licita".into()),
    ])
    .await
    .expect("a 1024-bit key is refused");
    assert!(error.contains("1024-bit"), "{error}");
    for key in ["rsa-2048-public.pem", "rsa-2048-public-pkcs1.pem"] {
        assert_eq!(
            start(vec![
                ("LICITA_JWT_ALGORITHM", "RS256".into()),
                ("LICITA_JWT_PUBLIC_KEY_FILE", format!("{fixtures}/{key}")),
                ("LICITA_JWT_ISSUER", "idp".into()),
                ("LICITA_JWT_AUDIENCE", "licita".into()),
            ])
            .await,
            None,
            "{key}"
        );
    }
}

#[tokio::test]
async fn metrics_can_be_served_away_from_the_public_listener() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let app = spawn_app_with(
        Backend::Sqlite,
        &[("LICITA_METRICS_ADDR", &format!("127.0.0.1:{port}"))],
    )
    .await;
    assert_problem(
        app.get("/metrics", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(metrics.text().await.unwrap().contains("licita_"));
    // Nothing else is served there.
    let other = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/me"))
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let _: &TestApp = &app;
}
