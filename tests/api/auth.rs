use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use licita::auth::{Claims, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TEST_SECRET, TestApp, assert_problem, json_of, now_unix, spawn_app, spawn_app_with,
};
use crate::on_both_databases;

on_both_databases!(
    a_valid_token_of_each_role_is_accepted,
    a_request_without_a_token_gets_401_missing_token,
    malformed_and_forged_tokens_get_401_invalid_token,
    an_expired_token_gets_401_token_expired,
    a_token_of_the_wrong_role_gets_403_forbidden_role,
    issuer_and_audience_are_enforced_when_configured,
    eddsa_tokens_from_an_identity_provider_are_verified_with_its_public_key,
    an_audience_list_is_accepted_when_it_names_this_service,
);

fn claims(role: Role, exp: u64) -> Claims {
    Claims {
        sub: "someone".into(),
        role,
        exp,
        agency: None,
        iat: None,
        nbf: None,
        iss: None,
        aud: None,
    }
}

fn sign(header: &Header, claims: &impl serde::Serialize, secret: &[u8]) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn create_agency(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/agencies",
        Some(token),
        &json!({"code": code, "name": "Agencia de prueba"}),
    )
    .await
}

async fn a_valid_token_of_each_role_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    for (role, agency) in [
        (Role::Supplier, None),
        (Role::Officer, Some("SEP")),
        (Role::IctAuthority, None),
        (Role::Registrar, None),
        (Role::Auditor, None),
    ] {
        let token = app.token(role, "person-1", agency);
        let me = json_of(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
        assert_eq!(me["role"], role.as_str());
        assert_eq!(me["sub"], "person-1");
        assert_eq!(me["agency"], agency.map_or(Value::Null, Value::from));
    }
}

async fn a_request_without_a_token_gets_401_missing_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/api/v1/me", None).await;
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_problem(response, StatusCode::UNAUTHORIZED, "missing_token").await;
}

async fn malformed_and_forged_tokens_get_401_invalid_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let in_an_hour = now_unix() + 3600;
    let good = claims(Role::Registrar, in_an_hour);

    let forged = sign(
        &Header::new(Algorithm::HS256),
        &good,
        b"not-the-secret-not-the-secret-123",
    );
    let other_algorithm = sign(
        &Header::new(Algorithm::HS512),
        &good,
        TEST_SECRET.as_bytes(),
    );
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&good).unwrap())
    );
    let not_yet_valid = sign(
        &Header::new(Algorithm::HS256),
        &Claims {
            nbf: Some(in_an_hour),
            ..good.clone()
        },
        TEST_SECRET.as_bytes(),
    );
    let officer_without_agency = sign(
        &Header::new(Algorithm::HS256),
        &claims(Role::Officer, in_an_hour),
        TEST_SECRET.as_bytes(),
    );
    let unknown_role = sign(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "x", "role": "president", "exp": in_an_hour}),
        TEST_SECRET.as_bytes(),
    );
    let without_exp = sign(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "x", "role": "registrar"}),
        TEST_SECRET.as_bytes(),
    );
    let bad_agency = sign(
        &Header::new(Algorithm::HS256),
        &Claims {
            agency: Some("not an agency!".into()),
            ..claims(Role::Officer, in_an_hour)
        },
        TEST_SECRET.as_bytes(),
    );

    let cases: Vec<(&str, String)> = vec![
        ("garbage", "Bearer not-a-jwt".into()),
        ("empty bearer", "Bearer ".into()),
        ("basic scheme", "Basic dXNlcjpwYXNz".into()),
        ("no scheme", good_token_without_scheme(&app)),
        ("forged signature", format!("Bearer {forged}")),
        ("another algorithm", format!("Bearer {other_algorithm}")),
        ("alg none", format!("Bearer {alg_none}")),
        ("nbf in the future", format!("Bearer {not_yet_valid}")),
        (
            "officer without agency",
            format!("Bearer {officer_without_agency}"),
        ),
        ("unknown role", format!("Bearer {unknown_role}")),
        ("no exp", format!("Bearer {without_exp}")),
        ("invalid agency claim", format!("Bearer {bad_agency}")),
    ];
    for (case, header) in cases {
        let response = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        let problem = json_of_problem(response).await;
        assert_eq!(problem.0, StatusCode::UNAUTHORIZED, "{case}: {}", problem.1);
        assert_eq!(problem.1["code"], "invalid_token", "{case}: {}", problem.1);
    }

    // A forged registrar token changes nothing.
    let before = app.collect_pages("/public/v1/agencies", None).await.len();
    assert_problem(
        create_agency(&app, &forged, "FORGED").await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    assert_eq!(
        app.collect_pages("/public/v1/agencies", None).await.len(),
        before
    );
}

fn good_token_without_scheme(app: &TestApp) -> String {
    app.registrar()
}

async fn json_of_problem(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn an_expired_token_gets_401_token_expired(backend: Backend) {
    let app = spawn_app(backend).await;
    // Past the configured leeway (30 s by default).
    let expired = sign(
        &Header::new(Algorithm::HS256),
        &claims(Role::Auditor, now_unix() - 120),
        TEST_SECRET.as_bytes(),
    );
    assert_problem(
        app.get("/api/v1/me", Some(&expired)).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;
}

async fn a_token_of_the_wrong_role_gets_403_forbidden_role(backend: Backend) {
    let app = spawn_app(backend).await;
    for (role, agency) in [
        (Role::Supplier, None),
        (Role::Officer, Some("SEP")),
        (Role::IctAuthority, None),
        (Role::Auditor, None),
    ] {
        let token = app.token(role, "someone", agency);
        let problem = assert_problem(
            create_agency(&app, &token, "NEWONE").await,
            StatusCode::FORBIDDEN,
            "forbidden_role",
        )
        .await;
        assert!(
            problem["detail"].as_str().unwrap().contains("registrar"),
            "{problem}"
        );
    }
    let agencies = app.collect_pages("/public/v1/agencies", None).await;
    assert!(
        agencies.iter().all(|a| a["code"] != "NEWONE"),
        "nothing was created"
    );
}

async fn issuer_and_audience_are_enforced_when_configured(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("LICITA_JWT_ISSUER", "https://idp.gob.mx"),
            ("LICITA_JWT_AUDIENCE", "licita"),
        ],
    )
    .await;
    // The helper's issuer sets both claims from the settings.
    json_of(
        app.get("/api/v1/me", Some(&app.registrar())).await,
        StatusCode::OK,
    )
    .await;

    let in_an_hour = now_unix() + 3600;
    for (case, iss, aud) in [
        ("neither", None, None),
        ("wrong issuer", Some("https://evil.example"), Some("licita")),
        (
            "wrong audience",
            Some("https://idp.gob.mx"),
            Some("another-app"),
        ),
        ("no audience", Some("https://idp.gob.mx"), None),
    ] {
        let token = sign(
            &Header::new(Algorithm::HS256),
            &Claims {
                iss: iss.map(str::to_owned),
                aud: aud.map(|a| licita::auth::Audience::One(a.to_owned())),
                ..claims(Role::Registrar, in_an_hour)
            },
            TEST_SECRET.as_bytes(),
        );
        let (status, problem) = json_of_problem(app.get("/api/v1/me", Some(&token)).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {problem}");
        assert_eq!(problem["code"], "invalid_token", "{case}: {problem}");
    }
}

async fn eddsa_tokens_from_an_identity_provider_are_verified_with_its_public_key(backend: Backend) {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/fixtures");
    let public = format!("{fixtures}/ed25519-public.pem");
    let app = spawn_app_with(
        backend,
        &[
            ("LICITA_JWT_ALGORITHM", "EdDSA"),
            ("LICITA_JWT_PUBLIC_KEY_FILE", &public),
            ("LICITA_JWT_ISSUER", "idp"),
            ("LICITA_JWT_AUDIENCE", "licita"),
        ],
    )
    .await;
    let private = std::fs::read(format!("{fixtures}/ed25519-private.pem")).unwrap();
    let mut from_idp = claims(Role::Auditor, now_unix() + 3600);
    from_idp.iss = Some("idp".into());
    from_idp.aud = Some(licita::auth::Audience::One("licita".into()));
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        &from_idp,
        &EncodingKey::from_ed_pem(&private).unwrap(),
    )
    .unwrap();
    let me = json_of(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(me["role"], "auditor");

    // An HS256 token, even one signed with the public key's bytes as the secret (the
    // classic algorithm-confusion attack), is refused.
    for secret in [
        TEST_SECRET.as_bytes(),
        std::fs::read(&public).unwrap().as_slice(),
    ] {
        let hs = sign(
            &Header::new(Algorithm::HS256),
            &claims(Role::Auditor, now_unix() + 3600),
            secret,
        );
        assert_problem(
            app.get("/api/v1/me", Some(&hs)).await,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        )
        .await;
    }
}

async fn an_audience_list_is_accepted_when_it_names_this_service(backend: Backend) {
    let app = spawn_app_with(backend, &[("LICITA_JWT_AUDIENCE", "licita")]).await;
    let in_an_hour = now_unix() + 3600;
    for (aud, status) in [
        (json!(["portal", "licita"]), StatusCode::OK),
        (json!(["portal", "otro"]), StatusCode::UNAUTHORIZED),
    ] {
        let token = sign(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "a", "role": "auditor", "exp": in_an_hour, "aud": aud}),
            TEST_SECRET.as_bytes(),
        );
        assert_eq!(
            app.get("/api/v1/me", Some(&token)).await.status(),
            status,
            "{aud}"
        );
    }
}
