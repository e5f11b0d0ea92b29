//! The observers' portal through HTTP: its pages in Spanish, what each shows and never
//! shows (no sealed price before the opening, no draft), the search's filters, 404 pages,
//! and the cache validators that make a repeat visit cheap.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::json;

use crate::helpers::{Backend, TestApp, json_of, rfc, spawn_app};
use crate::on_both_databases;
use crate::tenders::{at, bid_body, body, create, officer, open_and_qualify_all, publish, submit};

on_both_databases!(
    the_portal_shows_what_is_public_and_nothing_sealed,
    the_search_narrows_by_text_status_and_procedure,
    pages_are_revalidated_cheaply_and_missing_ones_are_404_pages,
    an_awarded_auction_and_the_savings_are_charted_with_their_numbers,
    agencies_sanctions_and_the_audit_chain_have_their_pages,
);

/// A page's HTML, checked to be a page of the portal.
async fn html(app: &TestApp, path: &str, status: StatusCode) -> String {
    let response = app.get(path, None).await;
    assert_eq!(response.status(), status, "{path}");
    let kind = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(kind, "text/html; charset=utf-8", "{path}");
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("<!DOCTYPE html>") && text.contains("<html lang=\"es\">"),
        "{path}"
    );
    text
}

async fn the_portal_shows_what_is_public_and_nothing_sealed(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app
        .register_supplier(&rfc("ACM010101AB"), "Acme Cómputo")
        .await;
    let b = app
        .register_supplier(&rfc("BET020202CD"), "Beta Sistemas")
        .await;
    app.clock.set(at(0));
    let id = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A draft is not public.
    let draft = html(&app, &format!("/licitaciones/{id}"), StatusCode::NOT_FOUND).await;
    assert!(!draft.contains("Adquisición de equipo"));
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    let home = html(&app, "/", StatusCode::OK).await;
    assert!(home.contains("Licitaciones abiertas"), "{home}");
    assert!(
        home.contains(&format!("/licitaciones/{id}")),
        "an open tender on the home page"
    );
    assert!(
        home.contains(r#"<a href="/dependencias/SEP">Secretaría de Educación Pública</a>"#),
        "its unit by name, linked: {home}"
    );

    // Sealed bids: their prices appear nowhere before the opening.
    app.clock.set(at(8));
    for (who, laptop) in [(&a, "17123.45"), (&b, "17456.78")] {
        json_of(
            submit(&app, &id, who, &bid_body(laptop, "80.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }
    let page = html(&app, &format!("/licitaciones/{id}"), StatusCode::OK).await;
    assert!(page.contains("Adquisición de equipo de cómputo para oficinas centrales"));
    assert!(page.contains(r#"<a href="/dependencias/SEP">Secretaría de Educación Pública</a>"#));
    assert!(
        page.contains("$2,223,420.00"),
        "the reference value, written in pesos: {page}"
    );
    assert!(
        page.contains("51101001") && page.contains("$18,500.00"),
        "the items"
    );
    assert!(
        page.contains(&format!("/public/v1/records/ocds-licita-{id}")),
        "its OCDS twin"
    );
    for sealed in [
        "17123.45",
        "17,123.45",
        "2,054,814",
        "17456.78",
        "17,456.78",
    ] {
        assert!(
            !page.contains(sealed),
            "a sealed price ({sealed}) on the page before the opening"
        );
    }
    assert!(
        !page.contains(a.as_str()) && !page.contains(b.as_str()),
        "nor who bid"
    );

    // Opened, evaluated and awarded: the award, the supplier's page and the home's list.
    app.clock.set(at(21));
    open_and_qualify_all(&app, &id).await;
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/award"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let page = html(&app, &format!("/licitaciones/{id}"), StatusCode::OK).await;
    assert!(
        page.contains("Adjudicada a") && page.contains(&format!("/proveedores/{a}")),
        "{page}"
    );
    assert!(
        page.contains("Fallo"),
        "the timeline names the award: {page}"
    );
    let home = html(&app, "/", StatusCode::OK).await;
    assert!(
        home.contains("Acme Cómputo"),
        "the latest awards name the winner: {home}"
    );
    assert!(home.contains("<dd>1</dd>"), "one award counted: {home}");
    let supplier = html(&app, &format!("/proveedores/{a}"), StatusCode::OK).await;
    assert!(supplier.contains("Acme Cómputo") && supplier.contains(&format!("/licitaciones/{id}")));
    assert!(
        supplier.contains("Ninguna registrada"),
        "no sanction: {supplier}"
    );
    // A supplier with nothing public has no page; the loser has no award.
    html(&app, &format!("/proveedores/{b}"), StatusCode::NOT_FOUND).await;
    html(&app, "/proveedores/not-an-rfc", StatusCode::NOT_FOUND).await;
}

async fn the_search_narrows_by_text_status_and_procedure(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let computers = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut chairs = body();
    chairs["title"] = json!("Sillas ergonómicas para el 50% de los puestos");
    chairs["description"] = json!("Mobiliario de oficina.");
    chairs["items"] = json!([{"classifier_code": "51101002", "quantity": 60, "unit": "pieza", "max_unit_price": "2500.00"}]);
    let chairs = create(&app, "SEP", &chairs).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [&computers, &chairs] {
        json_of(publish(&app, "SEP", id).await, StatusCode::OK).await;
    }
    let all = html(&app, "/licitaciones", StatusCode::OK).await;
    assert!(all.contains(&computers) && all.contains(&chairs) && !all.contains(&draft));
    // Words in any case, with or without accents (on SQLite too), each in the title or the
    // description; punctuation is no wildcard.
    let found = html(
        &app,
        "/licitaciones?q=C%C3%93MPUTO+oficinas",
        StatusCode::OK,
    )
    .await;
    assert!(
        found.contains(&computers) && !found.contains(&chairs),
        "{found}"
    );
    let found = html(&app, "/licitaciones?q=mobiliario", StatusCode::OK).await;
    assert!(found.contains(&chairs) && !found.contains(&computers));
    let found = html(&app, "/licitaciones?q=50%25", StatusCode::OK).await;
    assert!(found.contains(&chairs) && !found.contains(&computers));
    let found = html(&app, "/licitaciones?q=computo", StatusCode::OK).await;
    assert!(
        found.contains(&computers) && !found.contains(&chairs),
        "{found}"
    );
    let found = html(&app, "/licitaciones?q=ERGON%C3%93MICAS", StatusCode::OK).await;
    assert!(
        found.contains(&chairs) && !found.contains(&computers),
        "{found}"
    );
    let none = html(&app, "/licitaciones?q=%25ergo_%25z", StatusCode::OK).await;
    assert!(
        none.contains("Ninguna licitación coincide"),
        "`%` and `_` are no wildcards: {none}"
    );
    let many = html(
        &app,
        "/licitaciones?q=a+b+c+d+e+f+g+h+i",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(many.contains("a lo más 8 palabras"), "{many}");
    assert_eq!(
        app.get("/api/v1/tenders?q=a+b+c+d+e+f+g+h+i", None)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    // The same filter through the API.
    let api = json_of(
        app.get("/api/v1/tenders?q=mobiliario", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(api["items"].as_array().unwrap().len(), 1);
    assert_eq!(api["items"][0]["id"], chairs.as_str());
    // Status and procedure, as the form sends them (empty fields: no filter).
    let published = html(
        &app,
        "/licitaciones?q=&agency=&procedure=open&status=published",
        StatusCode::OK,
    )
    .await;
    assert!(published.contains(&computers) && published.contains(&chairs));
    assert!(
        published.contains("<option value=\"published\" selected>"),
        "the choice is kept"
    );
    let awarded = html(&app, "/licitaciones?status=awarded", StatusCode::OK).await;
    assert!(!awarded.contains(&computers));
    // A field sent twice counts by its first value, never dropping the others.
    let twice = html(
        &app,
        "/licitaciones?status=awarded&status=published&q=sillas",
        StatusCode::OK,
    )
    .await;
    assert!(
        !twice.contains(&chairs) && !twice.contains(&computers),
        "{twice}"
    );
    // Years both databases compare as dates.
    html(&app, "/licitaciones?to=9999-12-31", StatusCode::BAD_REQUEST).await;
    assert_eq!(
        app.get("/api/v1/tenders?to=9999-12-31", None)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let direct = html(&app, "/licitaciones?procedure=direct_award", StatusCode::OK).await;
    assert!(!direct.contains(&chairs));
    // A classifier subtree: 21101 (office supplies) holds an item of the computers'
    // tender only; 511 (office furniture) items of both.
    let supplies = html(&app, "/licitaciones?classifier=21101", StatusCode::OK).await;
    assert!(
        supplies.contains(&computers) && !supplies.contains(&chairs),
        "{supplies}"
    );
    let furniture = html(&app, "/licitaciones?classifier=511", StatusCode::OK).await;
    assert!(furniture.contains(&computers) && furniture.contains(&chairs));
    let api = json_of(
        app.get("/api/v1/tenders?classifier=51101002", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(api["items"].as_array().unwrap().len(), 1);
    // Publication dates, in the legal calendar, both ends included.
    let offset = chrono::FixedOffset::west_opt(6 * 3600).unwrap();
    let day = |n: i64| at(n).with_timezone(&offset).date_naive().to_string();
    let on_the_day = html(
        &app,
        &format!("/licitaciones?from={}&to={}", day(0), day(0)),
        StatusCode::OK,
    )
    .await;
    assert!(
        on_the_day.contains(&computers) && on_the_day.contains(&chairs),
        "{on_the_day}"
    );
    let later = html(
        &app,
        &format!("/licitaciones?from={}", day(1)),
        StatusCode::OK,
    )
    .await;
    assert!(!later.contains(&computers) && !later.contains(&chairs));
    let api = json_of(
        app.get(&format!("/api/v1/tenders?to={}", day(-1)), None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(api["items"].as_array().unwrap().len(), 0);
    let backwards = html(
        &app,
        &format!("/licitaciones?from={}&to={}", day(1), day(0)),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(backwards.contains("va después"), "{backwards}");
    // A value the form never offers is said plainly, with a 400.
    let bad = html(&app, "/licitaciones?status=draft", StatusCode::BAD_REQUEST).await;
    assert!(bad.contains("Estado desconocido"), "{bad}");
    let bad = html(&app, "/licitaciones?cursor=zzz", StatusCode::BAD_REQUEST).await;
    assert!(bad.contains("no existe"));
}

async fn pages_are_revalidated_cheaply_and_missing_ones_are_404_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.get("/", None).await;
    assert_eq!(first.status(), StatusCode::OK);
    let tag = first.headers()[ETAG].to_str().unwrap().to_owned();
    assert!(
        first.headers()[CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let again = app
        .client
        .get(app.url("/"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.text().await.unwrap().is_empty());
    let other = app
        .client
        .get(app.url("/"))
        .header(IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    for (path, kind) in [
        ("/static/licita.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(response.headers()[ETAG].to_str().is_ok());
    }
    html(&app, "/licitaciones/not-a-tender", StatusCode::NOT_FOUND).await;
    // A page that is not there is never "not modified".
    let missing = app
        .client
        .get(app.url("/licitaciones/not-a-tender"))
        .header(IF_NONE_MATCH, "*")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // HEAD answers as GET, without the body.
    let head = app.client.head(app.url("/")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().contains_key(ETAG));
    assert!(head.text().await.unwrap().is_empty());
    html(
        &app,
        &format!("/licitaciones/{}", uuid::Uuid::now_v7()),
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn an_awarded_auction_and_the_savings_are_charted_with_their_numbers(backend: Backend) {
    use crate::auctions::{bid, continuous, scheduled};
    let app = spawn_app(backend).await;
    let empty = html(&app, "/ahorros", StatusCode::OK).await;
    assert!(empty.contains("Aún no hay adjudicaciones") && !empty.contains("<svg"));
    let s = scheduled(&app, continuous()).await;
    app.clock.advance(chrono::Duration::seconds(30));
    json_of(
        bid(&app, &s.auction, &s.c, "2040000.00").await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.advance(chrono::Duration::seconds(30));
    json_of(
        bid(&app, &s.auction, &s.b, "2030000.00").await,
        StatusCode::CREATED,
    )
    .await;
    // Before the award the auction's history is not public: no chart.
    let page = html(&app, &format!("/licitaciones/{}", s.tender), StatusCode::OK).await;
    assert!(
        !page.contains("<svg") && !page.contains("2,030,000"),
        "{page}"
    );
    app.clock.advance(chrono::Duration::seconds(600));
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
    let page = html(&app, &format!("/licitaciones/{}", s.tender), StatusCode::OK).await;
    assert!(
        page.contains("<svg role=\"img\" aria-label=\"Precio de cada participante"),
        "{page}"
    );
    // The numbers beside it, anonymised: P2 (B) went from its sealed total to 2,030,000.00.
    assert!(page.contains("<th scope=\"row\">P2</th><td class=\"num\">$2,067,200.00</td><td class=\"num\">$2,030,000.00</td><td class=\"num\">1</td>"), "{page}");
    assert!(!page.contains(s.c.as_str()), "the losers are not named");
    let savings = html(&app, "/ahorros", StatusCode::OK).await;
    assert!(
        savings.contains("aria-label=\"Ahorro por mes\"")
            && savings.contains("aria-label=\"Ahorro por procedimiento\"")
    );
    // 2,223,420.00 − 2,030,000.00, in its month and its procedure's row.
    assert!(savings.contains("$193,420.00"), "{savings}");
    assert!(
        savings.contains("<th scope=\"row\">Licitación pública</th>"),
        "{savings}"
    );
}

async fn agencies_sanctions_and_the_audit_chain_have_their_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let barred = app
        .register_supplier(&rfc("SAN010101AB"), "Empresa Sancionada")
        .await;
    app.set_date("2026-02-15");
    let none = html(&app, "/sancionados", StatusCode::OK).await;
    assert!(none.contains("Ningún proveedor tiene una sanción vigente"));
    json_of(
        app.post_json(
            &format!("/api/v1/suppliers/{barred}/sanctions"),
            Some(&app.registrar()),
            &json!({"authority": "Secretaría Anticorrupción y Buen Gobierno", "reference": "SABG/312/2026",
                    "reason": "Proporcionó información falsa.", "starts_on": "2026-02-01", "ends_on": "2026-08-31"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let listed = html(&app, "/sancionados", StatusCode::OK).await;
    assert!(
        listed.contains("Empresa Sancionada") && listed.contains("31/08/2026"),
        "{listed}"
    );
    let page = html(&app, &format!("/proveedores/{barred}"), StatusCode::OK).await;
    assert!(
        page.contains("<strong>Vigente</strong>"),
        "a sanction is public: {page}"
    );
    // Past its end, it is history: off the list, marked concluded on the supplier's page.
    app.set_date("2026-09-01");
    let listed = html(&app, "/sancionados", StatusCode::OK).await;
    assert!(!listed.contains("Empresa Sancionada"));
    let page = html(&app, &format!("/proveedores/{barred}"), StatusCode::OK).await;
    assert!(page.contains("<strong>Concluida</strong>"), "{page}");
    assert!(page.contains("del 01/02/2026 al 31/08/2026"), "{page}");
    app.set_date("2026-01-15");
    let page = html(&app, &format!("/proveedores/{barred}"), StatusCode::OK).await;
    assert!(
        page.contains("<strong>Próxima</strong>"),
        "not yet begun: {page}"
    );

    app.clock.set(at(0));
    let id = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    let agency = html(&app, "/dependencias/SEP", StatusCode::OK).await;
    assert!(agency.contains(&format!("/licitaciones/{id}")), "{agency}");
    html(&app, "/dependencias/NOPE", StatusCode::NOT_FOUND).await;
    html(&app, "/dependencias/no%20such", StatusCode::NOT_FOUND).await;

    let verified = json_of(
        app.get("/public/v1/audit/verify", None).await,
        StatusCode::OK,
    )
    .await;
    let audit = html(&app, "/auditoria", StatusCode::OK).await;
    assert!(audit.contains("La cadena está íntegra"), "{audit}");
    assert!(
        audit.contains(verified["head_hash"].as_str().unwrap()),
        "{audit} {verified}"
    );
}
