//! `GET /public/v1/awards`: filters, pagination, and the JSON, CSV and Atom
//! representations, on a sandbox service (no legal minimum periods) with six awards made
//! on two days.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, json_of, rfc, spawn_app_with};
use crate::on_both_databases;
use crate::tenders::{create, officer, supplier};

on_both_databases!(
    awards_are_listed_newest_first_with_what_an_observer_needs,
    each_filter_narrows_the_list_and_is_kept_in_the_next_link,
    pages_never_repeat_or_skip_an_award_even_at_the_same_instant,
    the_csv_parses_back_with_quoted_fields_and_pages_by_link_header,
    the_atom_feed_is_well_formed_escaped_and_paged,
    every_bad_query_parameter_is_refused_with_its_code,
    an_award_after_a_reverse_auction_says_so_at_its_final_price,
);

const PREFIX: &str = "ocds-213czf";
const ESTRELLA: &str = "Comercializadora \"La Estrella\", S.A. de C.V.";
const ANGLE_TITLE: &str = "Sillas <ergonómicas> & mesas \"plegables\"";

/// Round 1: the clock starts at 06:00 in Mexico City on 2 March; awards at 09:00.
const ROUND_1: &str = "2026-03-02T12:00:00Z";
/// Round 2 starts at 15:00 on 10 March (legal calendar); its awards come at 18:00 on
/// 10 March there, which is already 11 March in UTC.
const ROUND_2: &str = "2026-03-10T21:00:00Z";

fn time(at: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&Utc)
}

/// One tender to award: its agency, title, items (code, quantity, maximum unit price) and
/// the winner's unit prices.
struct Spec {
    agency: &'static str,
    title: &'static str,
    items: &'static [(&'static str, i64, &'static str)],
    winner: usize,
    prices: &'static [&'static str],
}

/// The scenario's app and what it awarded, by spec index.
struct World {
    app: TestApp,
    suppliers: Vec<String>,
    tenders: Vec<String>,
}

/// Creates, publishes, bids, opens, evaluates and awards every tender of a round, the
/// awards all at the same instant (the round's start + 3 h).
async fn round(app: &TestApp, start: &str, specs: &[Spec], suppliers: &[String]) -> Vec<String> {
    let t0 = time(start);
    app.clock.set(t0);
    let mut ids = Vec::new();
    for spec in specs {
        let items: Vec<Value> = spec
            .items
            .iter()
            .map(|(code, quantity, max)| {
                json!({"classifier_code": code, "quantity": quantity, "unit": "pieza", "max_unit_price": max})
            })
            .collect();
        let body = json!({
            "title": spec.title,
            "description": "Adquisición para oficinas centrales.",
            "procedure": "open",
            "items": items,
            "schedule": {
                "clarifications_until": t0 + Duration::hours(1),
                "submission_deadline": t0 + Duration::hours(2),
                "opening_at": t0 + Duration::hours(2),
            },
        });
        let tender = create(app, spec.agency, &body).await;
        let id = tender["id"].as_str().unwrap().to_owned();
        json_of(
            app.post_json(
                &format!("/api/v1/tenders/{id}/publish"),
                Some(&officer(app, spec.agency)),
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        ids.push(id);
    }
    app.clock.set(t0 + Duration::minutes(90));
    for (spec, id) in specs.iter().zip(&ids) {
        let prices: Vec<Value> = spec
            .prices
            .iter()
            .enumerate()
            .map(|(i, p)| json!({"position": i + 1, "unit_price": p}))
            .collect();
        let rfc = &suppliers[spec.winner];
        json_of(
            app.post_json(
                &format!("/api/v1/tenders/{id}/bids"),
                Some(&supplier(app, rfc)),
                &json!({"prices": prices, "technical_offer": "Conforme a la especificación."}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(t0 + Duration::hours(2));
    for (spec, id) in specs.iter().zip(&ids) {
        let token = officer(app, spec.agency);
        let opened = json_of(
            app.post_json(
                &format!("/api/v1/tenders/{id}/opening"),
                Some(&token),
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let evaluations: Vec<Value> = opened["bids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| json!({"bid_id": b["bid_id"], "qualified": true}))
            .collect();
        json_of(
            app.post_json(
                &format!("/api/v1/tenders/{id}/evaluation"),
                Some(&token),
                &json!({"evaluations": evaluations}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    app.clock.set(t0 + Duration::hours(3));
    for (spec, id) in specs.iter().zip(&ids) {
        json_of(
            app.post_json(
                &format!("/api/v1/tenders/{id}/award"),
                Some(&officer(app, spec.agency)),
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    ids
}

/// Six awards: on 2 March (legal calendar) SEP's chairs to La Estrella and SSA's paper to
/// Norteña; on 10 March SEP's ink to La Estrella, SICT's paper and chairs to Sur, and two
/// IMSS orders of paper to Norteña.
async fn world(backend: Backend) -> World {
    let app = spawn_app_with(
        backend,
        &[("LICITA_SANDBOX", "true"), ("LICITA_OCID_PREFIX", PREFIX)],
    )
    .await;
    app.clock.set(time(ROUND_1));
    let suppliers = vec![
        app.register_supplier(&rfc("EST010101AB"), ESTRELLA).await,
        app.register_supplier(&rfc("NOR020202CD"), "Norteña de Papelería")
            .await,
        app.register_supplier(&rfc("SUR030303EF"), "Distribuidora del Sur")
            .await,
    ];
    let mut tenders = round(
        &app,
        ROUND_1,
        &[
            Spec {
                agency: "SEP",
                title: ANGLE_TITLE,
                items: &[("51101001", 10, "4500.00")],
                winner: 0,
                prices: &["4200.00"],
            },
            Spec {
                agency: "SSA",
                title: "Papel bond para oficinas",
                items: &[("21101001", 100, "95.00")],
                winner: 1,
                prices: &["90.00"],
            },
        ],
        &suppliers,
    )
    .await;
    tenders.extend(
        round(
            &app,
            ROUND_2,
            &[
                Spec {
                    agency: "SEP",
                    title: "Tinta para duplicador digital",
                    items: &[("21201001", 20, "800.00")],
                    winner: 0,
                    prices: &["750.00"],
                },
                Spec {
                    agency: "SICT",
                    title: "Papel y sillas",
                    items: &[("21101001", 50, "95.00"), ("51101001", 5, "4500.00")],
                    winner: 2,
                    prices: &["94.00", "4000.00"],
                },
                Spec {
                    agency: "IMSS",
                    title: "Papel bond, primera entrega",
                    items: &[("21101001", 30, "95.00")],
                    winner: 1,
                    prices: &["93.00"],
                },
                Spec {
                    agency: "IMSS",
                    title: "Papel bond, segunda entrega",
                    items: &[("21101001", 30, "95.00")],
                    winner: 1,
                    prices: &["92.50"],
                },
            ],
            &suppliers,
        )
        .await,
    );
    World {
        app,
        suppliers,
        tenders,
    }
}

/// The tender ids of a list's items, in order.
fn tender_ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|a| a["tender"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn all_tender_ids(app: &TestApp, query: &str) -> Vec<String> {
    let path = format!("/public/v1/awards?{query}");
    tender_ids(&app.collect_pages(&path, None).await)
}

async fn awards_are_listed_newest_first_with_what_an_observer_needs(backend: Backend) {
    let World {
        app,
        suppliers,
        tenders,
    } = world(backend).await;
    // The chairs' contract, signed on the award's day.
    let chairs = &tenders[0];
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{chairs}/contract"),
            Some(&officer(&app, "SEP")),
            &json!({"amount": "42000.00", "signed_on": "2026-03-02", "starts_on": "2026-03-09", "ends_on": "2026-06-30"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let response = app.get("/public/v1/awards", None).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "JSON is the default"
    );
    assert_eq!(response.headers()["vary"], "Accept");
    let page = json_of(response, StatusCode::OK).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    assert!(page["links"]["next"].is_null() && page["next_cursor"].is_null());
    // Newest first: round 2 (its four at one instant, by id descending), then round 1.
    let times: Vec<&str> = items
        .iter()
        .map(|a| a["awarded_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| time(w[0]) >= time(w[1])),
        "{times:?}"
    );
    for pair in items.windows(2) {
        if pair[0]["awarded_at"] == pair[1]["awarded_at"] {
            assert!(pair[0]["id"].as_str() > pair[1]["id"].as_str(), "{pair:?}");
        }
    }
    let mut expected = tenders[2..].to_vec();
    expected.sort_by_key(|t| {
        std::cmp::Reverse(
            items
                .iter()
                .find(|a| a["tender"]["id"] == t.as_str())
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    });
    assert_eq!(tender_ids(&items[..4]), expected);
    assert_eq!(
        tender_ids(&items[4..])
            .iter()
            .collect::<std::collections::BTreeSet<_>>(),
        tenders[..2].iter().collect()
    );

    let award = items
        .iter()
        .find(|a| a["tender"]["id"] == chairs.as_str())
        .unwrap();
    assert_eq!(award["ocid"], format!("{PREFIX}-{chairs}"));
    assert_eq!(award["tender"]["title"], ANGLE_TITLE);
    assert_eq!(
        award["agency"],
        json!({"code": "SEP", "name": "Secretaría de Educación Pública"})
    );
    assert_eq!(award["procedure"], "open");
    assert_eq!(
        award["supplier"],
        json!({"rfc": suppliers[0], "legal_name": ESTRELLA})
    );
    assert_eq!(award["amount"], "42000.00");
    assert_eq!(award["reference_value"], "45000.00");
    assert_eq!(award["savings"], "3000.00");
    assert!(award["framework_savings"].is_null());
    assert_eq!(award["awarded_at"], "2026-03-02T15:00:00Z");
    assert_eq!(award["auction_held"], false);
    assert_eq!(
        award["contract"],
        json!({"amount": "42000.00", "signed_on": "2026-03-02", "starts_on": "2026-03-09", "ends_on": "2026-06-30"})
    );
    let tender = json_of(
        app.get(&format!("/api/v1/tenders/{chairs}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(award["supplier"]["rfc"], tender["award"]["rfc"]);
    assert_eq!(award["amount"], tender["award"]["amount"]);
    assert_eq!(award["awarded_at"], tender["award"]["awarded_at"]);
    let sict = items
        .iter()
        .find(|a| a["agency"]["code"] == "SICT")
        .unwrap();
    assert!(sict["contract"].is_null());
    assert_eq!(sict["amount"], "24700.00", "50 × 94.00 + 5 × 4000.00");
    // Accept that allows anything, or prefers JSON, gets JSON too.
    for accept in [
        "*/*",
        "application/json",
        "text/html, */*;q=0.8",
        "application/*",
    ] {
        let response = app
            .client
            .get(app.url("/public/v1/awards"))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{accept}"
        );
    }
}

async fn each_filter_narrows_the_list_and_is_kept_in_the_next_link(backend: Backend) {
    let World {
        app,
        suppliers,
        tenders,
    } = world(backend).await;
    let set = |ids: &[usize]| {
        let mut v: Vec<String> = ids.iter().map(|i| tenders[*i].clone()).collect();
        v.sort();
        v
    };
    let cases: Vec<(String, Vec<usize>)> = vec![
        ("agency=SEP".into(), vec![0, 2]),
        ("agency=IMSS".into(), vec![4, 5]),
        ("agency=SHCP".into(), vec![]),
        (format!("supplier={}", suppliers[0]), vec![0, 2]),
        (
            format!("supplier={}", suppliers[1].to_lowercase()),
            vec![1, 4, 5],
        ),
        (format!("supplier={}", rfc("NAD040404GH")), vec![]),
        // 21101001 lies under 21101 < 211 < 2100 < 2000; 21201001 under 21201 < 212 < 2100;
        // 51101001 under 51101 < 511 < 5100 < 5000.
        ("classifier=211".into(), vec![1, 3, 4, 5]),
        ("classifier=2100".into(), vec![1, 2, 3, 4, 5]),
        ("classifier=2000".into(), vec![1, 2, 3, 4, 5]),
        ("classifier=21201001".into(), vec![2]),
        ("classifier=5000".into(), vec![0, 3]),
        ("classifier=51101".into(), vec![0, 3]),
        ("classifier=3000".into(), vec![]),
        ("classifier=99999999".into(), vec![]),
        // Days in the legal calendar (UTC−6): round 2's awards are on 10 March there, 11
        // March in UTC.
        ("from=2026-03-10".into(), vec![2, 3, 4, 5]),
        ("to=2026-03-10".into(), vec![0, 1, 2, 3, 4, 5]),
        ("from=2026-03-11".into(), vec![]),
        ("to=2026-03-09".into(), vec![0, 1]),
        ("from=2026-03-02&to=2026-03-02".into(), vec![0, 1]),
        ("from=2026-03-03&to=2026-03-09".into(), vec![]),
        ("agency=SEP&classifier=2100".into(), vec![2]),
        (
            format!("supplier={}&from=2026-03-10", suppliers[1]),
            vec![4, 5],
        ),
        (
            format!(
                "agency=SICT&supplier={}&classifier=5000&from=2026-03-01&to=2026-03-31",
                suppliers[2]
            ),
            vec![3],
        ),
    ];
    for (query, expected) in &cases {
        let mut got = all_tender_ids(&app, query).await;
        got.sort();
        assert_eq!(got, set(expected), "{query}");
        // One per page: the next link keeps the filters.
        let mut paged = all_tender_ids(&app, &format!("{query}&limit=1")).await;
        paged.sort();
        assert_eq!(paged, set(expected), "{query}, one per page");
    }
    let page = json_of(
        app.get(
            "/public/v1/awards?classifier=2100&from=2026-03-01&limit=2",
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let next = page["links"]["next"].as_str().unwrap();
    assert!(
        next.starts_with("/public/v1/awards?classifier=2100&from=2026-03-01&limit=2&cursor="),
        "{next}"
    );
}

async fn pages_never_repeat_or_skip_an_award_even_at_the_same_instant(backend: Backend) {
    let World { app, tenders, .. } = world(backend).await;
    let whole = all_tender_ids(&app, "limit=200").await;
    assert_eq!(whole.len(), tenders.len());
    for limit in 1..=7 {
        let paged = all_tender_ids(&app, &format!("limit={limit}")).await;
        assert_eq!(paged, whole, "limit={limit}");
    }
    // A cursor keeps its place while awards are added after the reader started.
    let first = json_of(
        app.get("/public/v1/awards?limit=3", None).await,
        StatusCode::OK,
    )
    .await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    round(
        &app,
        "2026-03-20T12:00:00Z",
        &[Spec {
            agency: "SSA",
            title: "Papel bond, pedido tardío",
            items: &[("21101001", 10, "95.00")],
            winner: 0,
            prices: &["91.00"],
        }],
        &[rfc("EST010101AB")],
    )
    .await;
    let rest = app
        .collect_pages(&format!("/public/v1/awards?limit=3&cursor={cursor}"), None)
        .await;
    let mut seen = tender_ids(first["items"].as_array().unwrap());
    seen.extend(tender_ids(&rest));
    assert_eq!(
        seen, whole,
        "the newer award is on a first page, not in the middle"
    );
}

const CSV_COLUMNS: &[&str] = &[
    "award_id",
    "ocid",
    "tender_id",
    "tender_title",
    "agency_code",
    "agency_name",
    "procedure",
    "supplier_rfc",
    "supplier_legal_name",
    "amount",
    "reference_value",
    "savings",
    "framework_savings",
    "awarded_at",
    "auction_held",
    "contract_amount",
    "contract_signed_on",
    "contract_starts_on",
    "contract_ends_on",
    "lot",
    "lot_title",
];

async fn get_as(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

/// The `next` target of a `Link` header, if any.
fn link_next(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().unwrap();
    let (target, params) = link.split_once(';')?;
    assert_eq!(params.trim(), "rel=\"next\"", "{link}");
    Some(
        target
            .trim()
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .unwrap()
            .to_owned(),
    )
}

async fn the_csv_parses_back_with_quoted_fields_and_pages_by_link_header(backend: Backend) {
    let World {
        app,
        suppliers,
        tenders,
    } = world(backend).await;
    let json = app.collect_pages("/public/v1/awards", None).await;

    let response = get_as(&app, "/public/v1/awards", "text/csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"],
        "text/csv; charset=utf-8; header=present"
    );
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"awards.csv\""
    );
    assert_eq!(headers["vary"], "Accept");
    assert!(headers.get("link").is_none(), "one page holds all six");
    let body = response.text().await.unwrap();
    // RFC 4180: CRLF after every record, quotes doubled inside a quoted field.
    assert!(body.ends_with("\r\n"));
    assert_eq!(body.matches("\r\n").count(), 7, "a header and six rows");
    assert!(
        body.contains("\"Comercializadora \"\"La Estrella\"\", S.A. de C.V.\""),
        "{body}"
    );
    assert!(body.contains("\"Secretaría de Infraestructura, Comunicaciones y Transportes\""));

    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    let column = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
    for (row, award) in rows.iter().zip(&json) {
        assert_eq!(&row[column("award_id")], award["id"].as_str().unwrap());
        assert_eq!(
            &row[column("tender_id")],
            award["tender"]["id"].as_str().unwrap()
        );
        assert_eq!(&row[column("ocid")], award["ocid"].as_str().unwrap());
        assert_eq!(
            &row[column("tender_title")],
            award["tender"]["title"].as_str().unwrap()
        );
        assert_eq!(
            &row[column("agency_name")],
            award["agency"]["name"].as_str().unwrap()
        );
        assert_eq!(
            &row[column("supplier_legal_name")],
            award["supplier"]["legal_name"].as_str().unwrap()
        );
        assert_eq!(&row[column("amount")], award["amount"].as_str().unwrap());
        assert_eq!(
            &row[column("awarded_at")],
            award["awarded_at"].as_str().unwrap()
        );
        assert_eq!(&row[column("auction_held")], "false");
        assert_eq!(&row[column("contract_amount")], "");
    }
    let chairs = rows
        .iter()
        .find(|r| &r[column("tender_id")] == tenders[0].as_str())
        .unwrap();
    assert_eq!(&chairs[column("supplier_legal_name")], ESTRELLA);
    assert_eq!(&chairs[column("supplier_rfc")], suppliers[0].as_str());
    assert_eq!(&chairs[column("tender_title")], ANGLE_TITLE);
    assert_eq!(&chairs[column("agency_code")], "SEP");
    assert_eq!(&chairs[column("procedure")], "open");
    assert_eq!(&chairs[column("amount")], "42000.00");
    assert_eq!(&chairs[column("reference_value")], "45000.00");
    assert_eq!(&chairs[column("savings")], "3000.00");
    assert_eq!(&chairs[column("framework_savings")], "");
    assert_eq!(&chairs[column("ocid")], format!("{PREFIX}-{}", tenders[0]));

    // Two rows a page, following the Link header: the same rows, each once, in order.
    let mut ids = Vec::new();
    let mut next = Some("/public/v1/awards?limit=2".to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        let response = get_as(&app, &path, "text/csv").await;
        assert_eq!(response.status(), StatusCode::OK);
        next = link_next(&response);
        let body = response.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), CSV_COLUMNS.len());
        ids.extend(
            reader
                .records()
                .map(|r| r.unwrap()[column("award_id")].to_owned()),
        );
        pages += 1;
    }
    assert_eq!(pages, 3);
    let json_ids: Vec<String> = json
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, json_ids);
    // JSON pages carry the same Link header.
    let response = app.get("/public/v1/awards?limit=2", None).await;
    let next = link_next(&response).unwrap();
    let page = json_of(response, StatusCode::OK).await;
    assert_eq!(page["links"]["next"], next.as_str());
}

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    node.children()
        .find(|c| c.has_tag_name((ATOM_NS, name)))
        .unwrap_or_else(|| panic!("no <{name}> in <{}>", node.tag_name().name()))
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> String {
    child(node, name).text().unwrap_or("").to_owned()
}

fn links_of(node: roxmltree::Node<'_, '_>) -> Vec<(String, String)> {
    node.children()
        .filter(|c| c.has_tag_name((ATOM_NS, "link")))
        .map(|l| {
            (
                l.attribute("rel").unwrap().to_owned(),
                l.attribute("href").unwrap().to_owned(),
            )
        })
        .collect()
}

async fn the_atom_feed_is_well_formed_escaped_and_paged(backend: Backend) {
    let World {
        app,
        suppliers,
        tenders,
    } = world(backend).await;
    let json = app.collect_pages("/public/v1/awards", None).await;

    let response = get_as(
        &app,
        "/public/v1/awards?agency=SEP",
        "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    assert_eq!(response.headers()["vary"], "Accept");
    let body = response.text().await.unwrap();
    // The raw text escapes markup; the parsed text is the title as written.
    assert!(
        body.contains(
            "<title>Sillas &lt;ergonómicas&gt; &amp; mesas &quot;plegables&quot;</title>"
        ),
        "{body}"
    );
    assert!(body.contains(&ESTRELLA.replace('"', "&quot;")));
    let doc = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM_NS, "feed")));
    assert_eq!(
        text_of(feed, "id"),
        format!("tag:{PREFIX},2026:awards?agency=SEP")
    );
    assert!(text_of(feed, "title").contains("agency SEP"));
    let updated = text_of(feed, "updated");
    assert_eq!(updated, "2026-03-11T00:00:00Z", "the newest entry's time");
    assert_eq!(
        links_of(feed),
        vec![("self".to_owned(), "/public/v1/awards?agency=SEP".to_owned())]
    );
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM_NS, "entry")))
        .collect();
    assert_eq!(entries.len(), 2);
    let sep: Vec<&Value> = json
        .iter()
        .filter(|a| a["agency"]["code"] == "SEP")
        .collect();
    for (entry, award) in entries.iter().zip(&sep) {
        assert_eq!(
            text_of(*entry, "id"),
            format!("tag:{PREFIX},2026:awards/{}", award["id"].as_str().unwrap())
        );
        assert_eq!(
            text_of(*entry, "title"),
            award["tender"]["title"].as_str().unwrap()
        );
        assert_eq!(
            text_of(*entry, "updated"),
            award["awarded_at"].as_str().unwrap()
        );
        assert_eq!(
            text_of(*entry, "published"),
            award["awarded_at"].as_str().unwrap()
        );
        assert_eq!(
            text_of(child(*entry, "author"), "name"),
            "Secretaría de Educación Pública"
        );
        let tender = award["tender"]["id"].as_str().unwrap();
        assert_eq!(
            links_of(*entry),
            vec![("alternate".to_owned(), format!("/api/v1/tenders/{tender}"))]
        );
        let summary = text_of(*entry, "summary");
        assert!(
            summary.contains(award["ocid"].as_str().unwrap()),
            "{summary}"
        );
        assert!(
            summary.contains(award["amount"].as_str().unwrap()),
            "{summary}"
        );
    }
    let chairs = entries
        .iter()
        .find(|e| text_of(**e, "title") == ANGLE_TITLE)
        .expect("the chairs' entry");
    let summary = text_of(*chairs, "summary");
    assert!(
        summary.contains(ESTRELLA) && summary.contains(&suppliers[0]),
        "{summary}"
    );
    assert!(links_of(*chairs)[0].1.ends_with(&tenders[0]));

    // Paged: two entries a page, every page under the same feed id, `next` to the end.
    let mut ids = Vec::new();
    let mut next = Some("/public/v1/awards?limit=2".to_owned());
    while let Some(path) = next {
        let response = get_as(&app, &path, "application/atom+xml").await;
        let header_next = link_next(&response);
        let body = response.text().await.unwrap();
        let doc = roxmltree::Document::parse(&body).unwrap();
        let feed = doc.root_element();
        assert_eq!(text_of(feed, "id"), format!("tag:{PREFIX},2026:awards"));
        let links = links_of(feed);
        assert_eq!(links[0], ("self".to_owned(), path.clone()));
        next = links
            .iter()
            .find(|(rel, _)| rel == "next")
            .map(|(_, href)| href.clone());
        assert_eq!(next, header_next);
        ids.extend(
            feed.children()
                .filter(|c| c.has_tag_name((ATOM_NS, "entry")))
                .map(|e| text_of(e, "id")),
        );
    }
    let expected: Vec<String> = json
        .iter()
        .map(|a| format!("tag:{PREFIX},2026:awards/{}", a["id"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, expected);

    // An empty feed is still a valid feed.
    let body = get_as(
        &app,
        "/public/v1/awards?agency=SHCP",
        "application/atom+xml",
    )
    .await
    .text()
    .await
    .unwrap();
    let doc = roxmltree::Document::parse(&body).unwrap();
    assert!(!text_of(doc.root_element(), "updated").is_empty());
}

async fn every_bad_query_parameter_is_refused_with_its_code(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let cursor_of = |key: &str| hex::encode(key);
    let cases: Vec<(String, &str)> = vec![
        ("from=2026-02-30".into(), "invalid_query"),
        ("from=yesterday".into(), "invalid_query"),
        ("to=2026-13-01".into(), "invalid_query"),
        ("to=1899-12-31".into(), "invalid_query"),
        ("from=2026-03-10&to=2026-03-01".into(), "invalid_query"),
        ("supplier=XYZ".into(), "invalid_query"),
        ("supplier=EST010101".into(), "invalid_query"),
        ("supplier=XAXX010101000".into(), "invalid_query"),
        ("agency=no%20valid".into(), "invalid_query"),
        ("classifier=abc".into(), "invalid_query"),
        ("classifier=1234567890123".into(), "invalid_query"),
        ("limit=0".into(), "invalid_query"),
        ("limit=201".into(), "invalid_query"),
        ("limit=ten".into(), "invalid_query"),
        ("agnecy=SEP".into(), "invalid_query"),
        ("agency=SEP&agency=SSA".into(), "invalid_query"),
        ("cursor=zz".into(), "invalid_cursor"),
        (format!("cursor={}", cursor_of("SEP")), "invalid_cursor"),
        (
            format!("cursor={}", cursor_of("2026-03-02T15:00:00Z|not-a-uuid")),
            "invalid_cursor",
        ),
        (
            format!(
                "cursor={}",
                cursor_of("2026-03-02|0195f5a0-0000-7000-8000-000000000000")
            ),
            "invalid_cursor",
        ),
    ];
    for (query, code) in &cases {
        for accept in ["application/json", "text/csv", "application/atom+xml"] {
            let response = get_as(&app, &format!("/public/v1/awards?{query}"), accept).await;
            let problem = assert_problem(response, StatusCode::BAD_REQUEST, code).await;
            assert!(
                problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{query}: {problem}"
            );
        }
    }
    // A named parameter is named in the detail.
    let problem = assert_problem(
        app.get("/public/v1/awards?supplier=XYZ", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().starts_with("supplier:"),
        "{problem}"
    );
    // An Accept that excludes every representation.
    for accept in [
        "text/html",
        "image/png, text/plain;q=0.5",
        "application/json;q=0, text/*;q=0, application/atom+xml;q=0",
    ] {
        assert_problem(
            get_as(&app, "/public/v1/awards", accept).await,
            StatusCode::NOT_ACCEPTABLE,
            "not_acceptable",
        )
        .await;
    }
    // No awards yet: an empty page, in each representation.
    let page = json_of(app.get("/public/v1/awards", None).await, StatusCode::OK).await;
    assert_eq!(page["items"], json!([]));
    let csv = get_as(&app, "/public/v1/awards", "text/csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv, format!("{}\r\n", CSV_COLUMNS.join(",")));
    // Writing is not allowed here.
    assert_problem(
        app.post_json("/public/v1/awards", None, &json!({})).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

async fn an_award_after_a_reverse_auction_says_so_at_its_final_price(backend: Backend) {
    // The in-process engine: what is tested here is the list, not the engine.
    let app = spawn_app_with(backend, &[("REDIS_URL", "")]).await;
    let s = crate::auctions::scheduled(&app, crate::auctions::continuous()).await;
    app.clock.advance(Duration::seconds(30));
    json_of(
        crate::auctions::bid(&app, &s.auction, &s.c, "2040000.00").await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.advance(Duration::seconds(600));
    let auditor = app.token(licita::auth::Role::Auditor, "auditor-sfp", None);
    let closed = json_of(
        app.get(&format!("/api/v1/auctions/{}", s.auction), Some(&auditor))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(closed["status"], "closed");
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

    let page = json_of(app.get("/public/v1/awards", None).await, StatusCode::OK).await;
    let award = &page["items"][0];
    assert_eq!(award["tender"]["id"], s.tender.as_str());
    assert_eq!(award["auction_held"], true);
    assert_eq!(award["supplier"]["rfc"], s.c.as_str());
    assert_eq!(award["amount"], "2040000.00", "the final auction price");
    assert_eq!(award["savings"], "183420.00");
    let csv = get_as(&app, "/public/v1/awards", "text/csv")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    let column = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
    assert_eq!(&row[column("auction_held")], "true");
    assert_eq!(&row[column("amount")], "2040000.00");
}
