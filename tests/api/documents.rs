//! Documents through the HTTP API, on both document stores: a folder (with SQLite) and an
//! S3-compatible server (moto, with PostgreSQL; `LICITA_TEST_S3_ENDPOINT`, started by
//! `scripts/test.sh`).

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, Overrides, TestApp, assert_problem, json_of, spawn_app_with};
use crate::tenders::{at, body, create, officer, publish};

/// Where documents go in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Folder,
    S3,
}

/// Runs each named `async fn name(backend: Backend, store: Store)` on a folder (SQLite)
/// and on S3 (PostgreSQL), as `name::sqlite_folder` and `name::postgres_s3`.
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite_folder() {
                    super::$name(crate::helpers::Backend::Sqlite, super::Store::Folder).await
                }

                #[tokio::test]
                async fn postgres_s3() {
                    if crate::helpers::skip_postgres() || super::s3_endpoint().is_none() {
                        return;
                    }
                    super::$name(crate::helpers::Backend::Postgres, super::Store::S3).await
                }
            }
        )*
    };
}

on_every_store!(
    a_document_is_stored_published_and_downloaded_as_uploaded,
    refused_uploads_store_nothing,
    a_draft_document_is_private_to_its_agency,
    a_bid_document_is_sealed_with_its_bid_until_the_opening,
);

/// The S3 server, if one is configured; required under the test script.
pub fn s3_endpoint() -> Option<String> {
    let url = std::env::var("LICITA_TEST_S3_ENDPOINT")
        .ok()
        .filter(|u| !u.is_empty());
    assert!(
        url.is_some() || std::env::var("LICITA_TEST_REQUIRE_SERVERS").as_deref() != Ok("1"),
        "LICITA_TEST_REQUIRE_SERVERS=1 but LICITA_TEST_S3_ENDPOINT is not set"
    );
    url
}

async fn spawn(backend: Backend, store: Store, extra: Overrides<'_>) -> TestApp {
    let mut overrides: Vec<(&str, &str)> = extra.to_vec();
    let endpoint;
    let location;
    if store == Store::S3 {
        endpoint = s3_endpoint().expect("an S3 endpoint");
        let bucket = format!("licita-test-{}", uuid::Uuid::new_v4().simple());
        // A bucket of its own per test (moto takes an unsigned CreateBucket).
        let created = reqwest::Client::new()
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .expect("create the bucket");
        assert!(created.status().is_success(), "{:?}", created.status());
        location = format!("s3://{bucket}/documents");
        overrides.extend([
            ("LICITA_DOCUMENTS", location.as_str()),
            ("LICITA_S3_ENDPOINT", endpoint.as_str()),
            ("LICITA_S3_ACCESS_KEY_ID", "testing"),
            ("LICITA_S3_SECRET_ACCESS_KEY", "testing"),
        ]);
    }
    spawn_app_with(backend, &overrides).await
}

/// Bytes that look like nothing in particular, `n` of them.
fn bytes(n: usize, seed: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut x: u32 = u32::from(seed) + 1;
    for _ in 0..n {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        out.push((x >> 16) as u8);
    }
    out
}

async fn attach(
    app: &TestApp,
    tender: &str,
    query: &str,
    media_type: &str,
    content: Vec<u8>,
) -> reqwest::Response {
    app.post_raw(
        &format!("/api/v1/tenders/{tender}/documents?{query}"),
        Some(&officer(app, "SEP")),
        Some(media_type),
        content,
    )
    .await
}

/// Every file below `dir`.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The data of the tender's `tender.document_attached` events, in order.
async fn attached_events(app: &TestApp, tender: &str) -> Vec<Value> {
    use licita::persistence::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq("tender"))
        .filter(audit_event::Column::EntityId.eq(tender))
        .filter(audit_event::Column::Action.eq("tender.document_attached"))
        .order_by_asc(audit_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect()
}

async fn documents_of(app: &TestApp, tender: &str, token: Option<&str>) -> Vec<Value> {
    let view = json_of(
        app.get(&format!("/api/v1/tenders/{tender}"), token).await,
        StatusCode::OK,
    )
    .await;
    view["documents"].as_array().cloned().unwrap_or_default()
}

async fn a_document_is_stored_published_and_downloaded_as_uploaded(backend: Backend, store: Store) {
    let app = spawn(backend, store, &[]).await;
    app.clock.set(at(0));
    let tender = create(&app, "SEP", &body()).await;
    let id = tender["id"].as_str().unwrap().to_owned();
    // Larger than one part of an S3 multipart upload (5 MiB), so it goes in several.
    let content = bytes(6 * 1024 * 1024 + 12_345, 7);
    let sha = hex::encode(Sha256::digest(&content));
    let attached = json_of(
        attach(
            &app,
            &id,
            "title=Bases%20de%20la%20licitaci%C3%B3n&type=call",
            "application/pdf",
            content.clone(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(attached["sha256"], sha);
    assert_eq!(attached["size"], content.len());
    assert_eq!(attached["type"], "call");
    assert_eq!(attached["title"], "Bases de la licitación");
    let doc = attached["id"].as_str().unwrap().to_owned();

    // Published with the tender.
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    let meta = json_of(
        app.get(&format!("/public/v1/documents/{doc}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(meta["sha256"], sha);
    let content_url = meta["content_url"].as_str().unwrap().to_owned();
    assert_eq!(content_url, format!("/public/v1/documents/{doc}/content"));

    // Downloaded byte for byte, with its digest.
    let download = app.get(&content_url, None).await;
    assert_eq!(download.status(), StatusCode::OK);
    let headers = download.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-length"],
        content.len().to_string().as_str()
    );
    assert_eq!(headers["etag"], format!("\"{sha}\"").as_str());
    let b64 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&content));
    assert_eq!(headers["repr-digest"], format!("sha-256=:{b64}:").as_str());
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"Bases_de_la_licitacion.pdf\""
    );
    let body = download.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&body)), sha);
    assert!(body.as_ref() == content.as_slice(), "the same bytes");

    // A range, and a repeat visit.
    let part = app
        .client
        .get(app.url(&content_url))
        .header("Range", "bytes=5242870-5242889")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 5242870-5242889/{}", content.len()).as_str()
    );
    assert_eq!(
        part.bytes().await.unwrap().as_ref(),
        &content[5_242_870..5_242_890]
    );
    let tail = app
        .client
        .get(app.url(&content_url))
        .header("Range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        tail.bytes().await.unwrap().as_ref(),
        &content[content.len() - 10..]
    );
    let outside = app
        .client
        .get(app.url(&content_url))
        .header("Range", format!("bytes={}-", content.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        outside.headers()["content-range"],
        format!("bytes */{}", content.len()).as_str()
    );
    assert_problem(
        outside,
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
    )
    .await;
    let again = app
        .client
        .get(app.url(&content_url))
        .header("If-None-Match", format!("\"{sha}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A new version names the one it supersedes; both stay listed.
    let v2 = bytes(2048, 9);
    let second = json_of(
        attach(
            &app,
            &id,
            &format!("title=Bases%20v2&type=call&supersedes={doc}"),
            "application/pdf; charset=binary",
            v2.clone(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(second["supersedes"], doc.as_str());
    let listed = documents_of(&app, &id, None).await;
    let ids: Vec<&str> = listed.iter().filter_map(|d| d["id"].as_str()).collect();
    assert_eq!(ids, [doc.as_str(), second["id"].as_str().unwrap()]);

    // Each upload is audited with its hash.
    let attached_events = attached_events(&app, &id).await;
    assert_eq!(attached_events.len(), 2);
    assert_eq!(attached_events[0]["sha256"], sha);

    // The OCDS record lists both, with their download links; it validates.
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    let docs = record["records"][0]["compiledRelease"]["tender"]["documents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let first = docs
        .iter()
        .find(|d| d["id"] == doc.as_str())
        .expect("listed");
    assert_eq!(first["documentType"], "biddingDocuments");
    assert_eq!(first["format"], "application/pdf");
    assert!(
        first["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/public/v1/documents/{doc}/content")),
        "{first}"
    );
    assert!(docs.iter().any(|d| d["id"] == second["id"]));
}

async fn refused_uploads_store_nothing(backend: Backend, store: Store) {
    let app = spawn(backend, store, &[("LICITA_MAX_DOCUMENT_BYTES", "4096")]).await;
    app.clock.set(at(0));
    let tender = create(&app, "SEP", &body()).await;
    let id = tender["id"].as_str().unwrap().to_owned();
    let pdf = || bytes(1000, 1);
    // Too large: declared, and streamed without a length.
    assert_problem(
        attach(
            &app,
            &id,
            "title=Anexo&type=technical_annex",
            "application/pdf",
            bytes(5000, 2),
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..5).map(|i| Ok(bytes(1000, i))).collect();
    let streamed = app
        .client
        .post(app.url(&format!(
            "/api/v1/tenders/{id}/documents?title=Anexo&type=technical_annex"
        )))
        .bearer_auth(officer(&app, "SEP"))
        .header("content-type", "application/pdf")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_problem(streamed, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // A media type not on the list.
    assert_problem(
        attach(
            &app,
            &id,
            "title=Anexo&type=technical_annex",
            "text/html",
            pdf(),
        )
        .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // A bad title, a bad type, an unknown superseded document.
    assert_problem(
        attach(
            &app,
            &id,
            "title=%E2%80%AEx&type=call",
            "application/pdf",
            pdf(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_title",
    )
    .await;
    assert_problem(
        attach(&app, &id, "title=Anexo&type=bid", "application/pdf", pdf()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_document_type",
    )
    .await;
    assert_problem(
        attach(
            &app,
            &id,
            &format!("title=Anexo&type=call&supersedes={}", uuid::Uuid::now_v7()),
            "application/pdf",
            pdf(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_document",
    )
    .await;
    assert_problem(
        attach(&app, &id, "type=call", "application/pdf", pdf()).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    // Someone else's tender, or not an officer.
    let other = app
        .post_raw(
            &format!("/api/v1/tenders/{id}/documents?title=Anexo&type=call"),
            Some(&officer(&app, "SSA")),
            Some("application/pdf"),
            pdf(),
        )
        .await;
    assert_problem(other, StatusCode::NOT_FOUND, "not_found").await;
    let supplier = app
        .post_raw(
            &format!("/api/v1/tenders/{id}/documents?title=Anexo&type=call"),
            Some(&crate::tenders::supplier(
                &app,
                &crate::helpers::rfc("ABC010101AB"),
            )),
            Some("application/pdf"),
            pdf(),
        )
        .await;
    assert_problem(supplier, StatusCode::FORBIDDEN, "forbidden_role").await;
    assert_problem(
        app.post_raw(
            &format!(
                "/api/v1/tenders/{}/documents?title=Anexo&type=call",
                uuid::Uuid::now_v7()
            ),
            Some(&officer(&app, "SEP")),
            Some("application/pdf"),
            pdf(),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // None of it left a document behind, nor an event.
    assert!(
        documents_of(&app, &id, Some(&officer(&app, "SEP")))
            .await
            .is_empty()
    );
    assert!(attached_events(&app, &id).await.is_empty());
    if store == Store::Folder {
        let left = files_under(&std::path::Path::new(&app.data_dir_path()).join("documents"));
        assert!(left.is_empty(), "nothing stored: {left:?}");
    }
    // Within the limit, it is taken.
    json_of(
        attach(
            &app,
            &id,
            "title=Anexo&type=technical_annex",
            "application/pdf",
            bytes(4096, 3),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
}

async fn a_draft_document_is_private_to_its_agency(backend: Backend, store: Store) {
    let app = spawn(backend, store, &[]).await;
    app.clock.set(at(0));
    let tender = create(&app, "SEP", &body()).await;
    let id = tender["id"].as_str().unwrap().to_owned();
    let attached = json_of(
        attach(
            &app,
            &id,
            "title=Borrador&type=other",
            "text/plain",
            b"texto".to_vec(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let doc = attached["id"].as_str().unwrap();
    assert_eq!(
        attached["content_url"],
        format!("/api/v1/documents/{doc}/content").as_str()
    );
    for (path, token) in [
        (format!("/public/v1/documents/{doc}"), None),
        (format!("/public/v1/documents/{doc}/content"), None),
        (
            format!("/api/v1/documents/{doc}"),
            Some(officer(&app, "SSA")),
        ),
    ] {
        assert_problem(
            app.get(&path, token.as_deref()).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let own = app
        .get(
            &format!("/api/v1/documents/{doc}/content"),
            Some(&officer(&app, "SEP")),
        )
        .await;
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(own.headers()["cache-control"], "private, no-store");
    assert_eq!(own.bytes().await.unwrap().as_ref(), b"texto");
    let auditor = app.token(licita::auth::Role::Auditor, "auditoria", None);
    assert_eq!(
        app.get(&format!("/api/v1/documents/{doc}"), Some(&auditor))
            .await
            .status(),
        StatusCode::OK
    );
    // Its draft's record is not published at all.
    assert_eq!(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // A draft cancelled before its publication keeps its documents private.
    let cancelled = app
        .post_json(
            &format!("/api/v1/tenders/{id}/cancel"),
            Some(&officer(&app, "SEP")),
            &serde_json::json!({"reason": "Se replanteó la necesidad"}),
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    assert_problem(
        app.get(&format!("/public/v1/documents/{doc}/content"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Nor is its cancellation published: a draft never was.
    assert_eq!(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_bid_document_is_sealed_with_its_bid_until_the_opening(backend: Backend, store: Store) {
    use crate::tenders::{bid_body, open, published, submit, supplier};
    let app = spawn(backend, store, &[]).await;
    let id = published(&app).await;
    let acme = app
        .register_supplier(&crate::helpers::rfc("ACM010101AB"), "Acme Cómputo")
        .await;
    let other = app
        .register_supplier(&crate::helpers::rfc("OTR010101AB"), "Otra Empresa")
        .await;
    let bid = json_of(
        submit(&app, &id, &acme, &bid_body("17000.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    let bid_id = bid["bid_id"].as_str().unwrap().to_owned();
    // Several chunks of the sealed stream, with a marker a reader of the store would see.
    let mut content = b"PROPUESTA TECNICA DE ACME: ".repeat(4000);
    content.extend(bytes(70_000, 4));
    let sha = hex::encode(Sha256::digest(&content));
    let path = format!(
        "/api/v1/tenders/{id}/bids/{bid_id}/documents?title=Propuesta%20t%C3%A9cnica%20Acme"
    );
    let attached = json_of(
        app.post_raw(
            &path,
            Some(&supplier(&app, &acme)),
            Some("application/pdf"),
            content.clone(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let doc = attached["id"].as_str().unwrap().to_owned();
    assert_eq!(attached["title"], "Propuesta técnica Acme");
    assert_eq!(attached["sha256"], sha);
    assert_eq!(attached["bid_id"], bid_id.as_str());
    // Another supplier can't attach to it, nor read it.
    assert_problem(
        app.post_raw(
            &path,
            Some(&supplier(&app, &other)),
            Some("application/pdf"),
            b"x".to_vec(),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // At rest, nothing of it is in clear: not the bytes, the title, the digest, nor who.
    let row = licita::persistence::documents::get(
        &app.db,
        licita::domain::ids::DocumentId::from_uuid(doc.parse().unwrap()),
    )
    .await
    .unwrap()
    .unwrap();
    let clear = format!("{row:?}");
    for secret in [
        "Propuesta",
        "Acme",
        sha.as_str(),
        acme.as_str(),
        "application/pdf",
    ] {
        assert!(!clear.contains(secret), "{secret} in {clear}");
    }
    if store == Store::Folder {
        let stored = std::fs::read(
            std::path::Path::new(&app.data_dir_path())
                .join("documents")
                .join(&row.storage_key),
        )
        .unwrap();
        assert!(stored.len() > content.len(), "tags added");
        assert!(
            !stored.windows(20).any(|w| w == &content[..20]),
            "the store holds ciphertext only"
        );
    }
    let events = {
        use licita::persistence::entities::audit_event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("bid.document_attached"))
            .all(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(events.len(), 1);
    assert!(
        events[0].actor_sub.starts_with("bidder:"),
        "{}",
        events[0].actor_sub
    );
    assert!(!events[0].data.contains(&acme));
    // Before the opening: its owner reads it; the officer, an auditor and the public don't.
    let own = app
        .get(
            &format!("/api/v1/documents/{doc}/content"),
            Some(&supplier(&app, &acme)),
        )
        .await;
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(own.headers()["etag"], format!("\"{sha}\"").as_str());
    assert_eq!(own.bytes().await.unwrap().as_ref(), content.as_slice());
    let auditor = app.token(licita::auth::Role::Auditor, "auditoria", None);
    for token in [
        Some(officer(&app, "SEP")),
        Some(auditor.clone()),
        Some(supplier(&app, &other)),
        None,
    ] {
        let path = if token.is_some() {
            format!("/api/v1/documents/{doc}")
        } else {
            format!("/public/v1/documents/{doc}")
        };
        assert_problem(
            app.get(&path, token.as_deref()).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let mine = json_of(
        app.get(
            &format!("/api/v1/tenders/{id}/bids"),
            Some(&supplier(&app, &acme)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine[0]["documents"], serde_json::json!([doc]));
    // After the deadline no document is attached; after the opening the officer reads it.
    app.clock.set(at(20));
    assert_problem(
        app.post_raw(
            &path,
            Some(&supplier(&app, &acme)),
            Some("application/pdf"),
            b"tarde".to_vec(),
        )
        .await,
        StatusCode::CONFLICT,
        "submission_closed",
    )
    .await;
    app.clock.set(at(21));
    let opened = open(&app, &id).await;
    assert_eq!(opened["bids"][0]["documents"], serde_json::json!([doc]));
    let meta = json_of(
        app.get(
            &format!("/api/v1/documents/{doc}"),
            Some(&officer(&app, "SEP")),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(meta["title"], "Propuesta técnica Acme");
    assert_eq!(meta["size"], content.len());
    let read = app
        .get(&format!("/api/v1/documents/{doc}/content"), Some(&auditor))
        .await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["content-type"], "application/pdf");
    assert_eq!(read.bytes().await.unwrap().as_ref(), content.as_slice());
    // Still never public.
    assert_problem(
        app.get(&format!("/public/v1/documents/{doc}/content"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
