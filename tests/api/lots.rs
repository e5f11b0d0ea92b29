//! Lots (partidas) through HTTP: a tender written as several lots, bids that offer whole
//! lots, each lot judged, auctioned, awarded and contracted on its own, one public award
//! row per awarded lot; and a tender written with top-level `items`, one lot, keeping the
//! unqualified forms.

use chrono::Duration;
use licita::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::auctions::{Kind, bid, continuous, scheduled, spawn};
use crate::helpers::{Backend, TestApp, assert_problem, json_of, rfc, spawn_app, spawn_app_with};
use crate::tenders::{actions, at, body, create, officer, open, publish, submit, supplier};
use crate::{on_both_databases, on_every_engine};

on_both_databases!(
    a_tender_is_written_with_lots,
    a_bid_offers_whole_lots,
    each_lot_is_judged_and_deserted_on_its_own,
    a_one_lot_tender_keeps_the_old_forms,
    cancelling_after_an_award_cancels_the_lots_left,
);

on_every_engine!(
    two_lots_end_to_end,
    the_auctions_of_two_lots_run_at_once_apart
);

const OFFER: &str = "Conforme a la especificación técnica de cada partida.";

fn item(code: &str, quantity: i64, max_unit_price: &str) -> Value {
    json!({"classifier_code": code, "quantity": quantity, "unit": "pieza", "max_unit_price": max_unit_price})
}

/// `tenders::body()` (open, national; deadline at day 20, opening at day 21) written as
/// three lots instead of items, 73,500.00 in all:
/// 1 «Mobiliario», position 1: 10 × 4,500.00 = 45,000.00;
/// 2 «Papelería», positions 2 and 3: 100 × 95.00 + 50 × 60.00 = 12,500.00;
/// 3 «Consumibles de impresión», position 4: 20 × 800.00 = 16,000.00.
fn three_lots() -> Value {
    let mut request = body();
    request.as_object_mut().unwrap().remove("items");
    request["lots"] = json!([
        {"title": "Mobiliario", "description": "Sillas apilables para las aulas.",
         "items": [item("51101001", 10, "4500.00")]},
        {"title": "Papelería",
         "items": [item("21101001", 100, "95.00"), item("21101003", 50, "60.00")]},
        {"title": "Consumibles de impresión", "items": [item("21201001", 20, "800.00")]},
    ]);
    request
}

/// The first two lots of [`three_lots`] (57,500.00).
fn two_lots() -> Value {
    let mut request = three_lots();
    request["lots"].as_array_mut().unwrap().truncate(2);
    request
}

/// `n` lots of one item each (a case of paper, 95.00).
fn many_lots(n: usize) -> Value {
    Value::Array(
        (1..=n)
            .map(|i| json!({"title": format!("Partida {i}"), "items": [item("21101001", 1, "95.00")]}))
            .collect(),
    )
}

/// A sealed bid pricing these positions.
fn offer(prices: &[(u32, &str)]) -> Value {
    let prices: Vec<Value> = prices
        .iter()
        .map(|(position, unit_price)| json!({"position": position, "unit_price": unit_price}))
        .collect();
    json!({"prices": prices, "technical_offer": OFFER})
}

/// Contract terms for `amount`, signed on the day of the awards (23 March, day 21).
fn terms(amount: &str) -> Value {
    json!({"amount": amount, "signed_on": "2026-03-23", "starts_on": "2026-04-01", "ends_on": "2026-12-31"})
}

/// The auction settings of the lots' auctions: `auctions::continuous()` (600 s) with a
/// decrement that suits lots of thousands of pesos.
fn lot_auction() -> Value {
    let mut settings = continuous();
    settings["decrement"] = json!({"amount": "100.00"});
    settings
}

/// Creates and publishes a SEP tender at day 0; returns its id.
async fn published_with(app: &TestApp, request: &Value) -> String {
    app.clock.set(at(0));
    let id = create(app, "SEP", request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(app, "SEP", &id).await, StatusCode::OK).await;
    id
}

/// The tender as SEP's officer reads it (drafts included).
async fn view(app: &TestApp, id: &str) -> Value {
    json_of(
        app.get(&format!("/api/v1/tenders/{id}"), Some(&officer(app, "SEP")))
            .await,
        StatusCode::OK,
    )
    .await
}

/// `POST /api/v1/tenders/{id}/lots/{lot}/{action}` as SEP's officer.
async fn on_lot(
    app: &TestApp,
    id: &str,
    lot: u32,
    action: &str,
    request: &Value,
) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{id}/lots/{lot}/{action}"),
        Some(&officer(app, "SEP")),
        request,
    )
    .await
}

/// `POST /api/v1/tenders/{id}/{action}` (no lot named) as SEP's officer.
async fn on_tender(app: &TestApp, id: &str, action: &str, request: &Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{id}/{action}"),
        Some(&officer(app, "SEP")),
        request,
    )
    .await
}

async fn evaluate(app: &TestApp, id: &str, evaluations: &Value) -> reqwest::Response {
    on_tender(app, id, "evaluation", &json!({"evaluations": evaluations})).await
}

/// Every opened bid qualified, each by an entry without `lot` (in every lot it offers).
async fn qualify_all(app: &TestApp, id: &str, opened: &Value) -> Value {
    let evaluations: Vec<Value> = opened["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| json!({"bid_id": b["bid_id"], "qualified": true}))
        .collect();
    json_of(
        evaluate(app, id, &Value::Array(evaluations)).await,
        StatusCode::OK,
    )
    .await
}

/// The id of `rfc`'s bid in an opening result.
fn bid_of(opened: &Value, rfc: &str) -> Value {
    opened["bids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["rfc"] == rfc)
        .unwrap_or_else(|| panic!("no bid of {rfc} opened: {opened}"))["bid_id"]
        .clone()
}

/// `rfc`'s opened bid as SEP's officer lists it.
async fn opened_bid(app: &TestApp, id: &str, rfc: &str) -> Value {
    let bids = json_of(
        app.get(
            &format!("/api/v1/tenders/{id}/bids"),
            Some(&officer(app, "SEP")),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    bids.as_array()
        .unwrap()
        .iter()
        .find(|b| b["rfc"] == rfc)
        .unwrap_or_else(|| panic!("no bid of {rfc}: {bids}"))
        .clone()
}

/// A bid's `lots`, each as {lot, total, qualified, reason}.
fn lots_of(opened: &Value) -> Value {
    let lots = opened["lots"]
        .as_array()
        .unwrap_or_else(|| panic!("no lots in {opened}"));
    Value::Array(
        lots.iter()
            .map(|l| json!({"lot": l["lot"], "total": l["total"], "qualified": l["qualified"], "reason": l["reason"]}))
            .collect(),
    )
}

/// Every lot's status, in order.
fn statuses(tender: &Value) -> Vec<String> {
    tender["lots"]
        .as_array()
        .unwrap_or_else(|| panic!("no lots in {tender}"))
        .iter()
        .map(|l| l["status"].as_str().unwrap().to_owned())
        .collect()
}

/// A lot's item positions (`lots[].items` lists them; an item object gives its `position`).
fn positions(lot: &Value) -> Vec<i64> {
    lot["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {lot}"))
        .iter()
        .map(|i| i.as_i64().or_else(|| i["position"].as_i64()).unwrap())
        .collect()
}

/// An auction as an auditor reads it.
async fn staff_view(app: &TestApp, auction: &str) -> Value {
    let auditor = app.token(Role::Auditor, "auditor-sfp", None);
    json_of(
        app.get(&format!("/api/v1/auctions/{auction}"), Some(&auditor))
            .await,
        StatusCode::OK,
    )
    .await
}

/// An auction's ladder as [rfc, price] pairs, best first.
fn ladder(auction: &Value) -> Value {
    Value::Array(
        auction["ladder"]
            .as_array()
            .unwrap_or_else(|| panic!("no ladder in {auction}"))
            .iter()
            .map(|r| json!([r["rfc"], r["price"]]))
            .collect(),
    )
}

/// The tender's rows of `GET /public/v1/awards`, by lot.
async fn award_rows(app: &TestApp, id: &str) -> Vec<Value> {
    let mut rows: Vec<Value> = app
        .collect_pages("/public/v1/awards", None)
        .await
        .into_iter()
        .filter(|a| a["tender"]["id"] == id)
        .collect();
    rows.sort_by_key(|a| a["lot"].as_i64());
    rows
}

/// The tender's rows of the awards CSV as [lot, lot_title, supplier_rfc, amount], sorted.
async fn csv_rows(app: &TestApp, id: &str) -> Vec<Vec<String>> {
    let response = app
        .client
        .get(app.url("/public/v1/awards"))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
    };
    let tender = column("tender_id");
    let wanted = [
        column("lot"),
        column("lot_title"),
        column("supplier_rfc"),
        column("amount"),
    ];
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| r.get(tender) == Some(id))
        .map(|r| wanted.iter().map(|&i| r[i].to_owned()).collect())
        .collect();
    rows.sort();
    rows
}

/// What [`three_lots`] reads back as.
fn assert_three_lots(tender: &Value) {
    assert_eq!(
        tender["reference_value"], "73500.00",
        "45000.00 + 12500.00 + 16000.00"
    );
    let lots = tender["lots"].as_array().unwrap();
    let summary: Vec<Value> = lots
        .iter()
        .map(|l| {
            json!([
                l["number"],
                l["title"],
                l["description"],
                l["reference_value"]
            ])
        })
        .collect();
    assert_eq!(
        summary,
        [
            json!([
                1,
                "Mobiliario",
                "Sillas apilables para las aulas.",
                "45000.00"
            ]),
            json!([2, "Papelería", null, "12500.00"]),
            json!([3, "Consumibles de impresión", null, "16000.00"]),
        ]
    );
    let by_lot: Vec<Vec<i64>> = lots.iter().map(positions).collect();
    assert_eq!(by_lot, [vec![1], vec![2, 3], vec![4]]);
    // Items are numbered across the tender, lot by lot, each naming its lot.
    let items: Vec<Value> = tender["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            json!([
                i["position"],
                i["lot"],
                i["classifier_code"],
                i["quantity"],
                i["max_unit_price"]
            ])
        })
        .collect();
    assert_eq!(
        items,
        [
            json!([1, 1, "51101001", 10, "4500.00"]),
            json!([2, 2, "21101001", 100, "95.00"]),
            json!([3, 2, "21101003", 50, "60.00"]),
            json!([4, 3, "21201001", 20, "800.00"]),
        ]
    );
    for lot in lots {
        assert!(
            lot["auction_id"].is_null() && lot["award"].is_null() && lot["contract"].is_null(),
            "{lot}"
        );
    }
    assert!(
        tender["award"].is_null() && tender["contract"].is_null() && tender["auction_id"].is_null(),
        "{tender}"
    );
}

async fn a_tender_is_written_with_lots(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let sep = officer(&app, "SEP");

    // Each refusal has its code (and its field inside the lots), and creates nothing.
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, Option<&str>, &str)> = vec![
        (
            Box::new(|b| b["items"] = body()["items"].clone()),
            None,
            "lots_and_items",
        ),
        (
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("lots");
            }),
            None,
            "items_required",
        ),
        (
            Box::new(|b| b["lots"][0]["items"] = json!([])),
            Some("lots[0].items"),
            "items_required",
        ),
        (
            Box::new(|b| b["lots"][2]["items"] = json!([])),
            Some("lots[2].items"),
            "items_required",
        ),
        (
            Box::new(|b| b["lots"][1]["title"] = json!("")),
            Some("lots[1].title"),
            "invalid_title",
        ),
        (
            Box::new(|b| b["lots"][1]["title"] = json!("x".repeat(301))),
            Some("lots[1].title"),
            "invalid_title",
        ),
        (
            Box::new(|b| b["lots"][1]["items"][0]["classifier_code"] = json!("99999999")),
            Some("lots[1].items[0].classifier_code"),
            "unknown_classifier_code",
        ),
        (
            Box::new(|b| b["lots"][2]["items"][0]["quantity"] = json!(0)),
            Some("lots[2].items[0].quantity"),
            "invalid_quantity",
        ),
        (
            Box::new(|b| b["lots"] = many_lots(201)),
            None,
            "too_many_lots",
        ),
    ];
    for (change, field, code) in cases {
        let mut request = three_lots();
        change(&mut request);
        let problem = assert_problem(
            app.post_json("/api/v1/tenders", Some(&sep), &request).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        if let Some(field) = field {
            assert_eq!(problem["fields"][0]["field"], field, "{problem}");
            assert_eq!(problem["fields"][0]["code"], code, "{problem}");
        }
    }
    assert!(
        app.collect_pages("/api/v1/tenders", Some(&sep))
            .await
            .is_empty(),
        "no refused draft was created"
    );

    // Three lots: numbered, titled, each its items' sum; the tender their sum.
    let tender = create(&app, "SEP", &three_lots()).await;
    assert_three_lots(&tender);
    let id = tender["id"].as_str().unwrap().to_owned();
    let read = view(&app, &id).await;
    assert_eq!(read["lots"], tender["lots"]);
    assert_eq!(read["items"], tender["items"]);

    // Replaced by top-level items: one lot holding them all.
    let path = format!("/api/v1/tenders/{id}");
    let one = json_of(
        app.put_json(&path, Some(&sep), &body()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one["reference_value"], "2223420.00");
    let lots = one["lots"].as_array().unwrap();
    assert_eq!(lots.len(), 1, "{one}");
    assert_eq!(lots[0]["number"], 1);
    assert_eq!(lots[0]["reference_value"], "2223420.00");
    assert_eq!(positions(&lots[0]), [1, 2]);
    let items = one["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["lot"] == 1), "{one}");

    // A replacement is refused alike, and leaves the draft as it was.
    let mut both = three_lots();
    both["items"] = body()["items"].clone();
    assert_problem(
        app.put_json(&path, Some(&sep), &both).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "lots_and_items",
    )
    .await;
    assert_eq!(view(&app, &id).await["lots"].as_array().unwrap().len(), 1);
    let again = json_of(
        app.put_json(&path, Some(&sep), &three_lots()).await,
        StatusCode::OK,
    )
    .await;
    assert_three_lots(&again);

    // Published, every lot is active, and the public reads the same lots.
    let published = json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    assert_eq!(published["phase"], "clarification");
    assert_eq!(statuses(&published), ["active", "active", "active"]);
    let public = json_of(app.get(&path, None).await, StatusCode::OK).await;
    assert_eq!(public["lots"], published["lots"]);

    // 200 lots is the most.
    let mut most = three_lots();
    most["lots"] = many_lots(200);
    let big = create(&app, "SEP", &most).await;
    let lots = big["lots"].as_array().unwrap();
    assert_eq!(lots.len(), 200);
    assert_eq!(lots[199]["number"], 200);
    assert_eq!(lots[199]["title"], "Partida 200");
    assert_eq!(lots[199]["reference_value"], "95.00");
    assert_eq!(positions(&lots[199]), [200]);
    assert_eq!(big["items"][199]["position"], 200);
    assert_eq!(big["items"][199]["lot"], 200);
    assert_eq!(big["reference_value"], "19000.00", "200 × 95.00");
}

async fn a_bid_offers_whole_lots(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("LTA010101AB"), "Lotes A").await;
    let b = app.register_supplier(&rfc("LTB020202CD"), "Lotes B").await;
    let id = published_with(&app, &three_lots()).await;
    app.clock.set(at(8));
    let cases: [(Value, Option<&str>, &str); 4] = [
        // Lot 2 is positions 2 and 3.
        (offer(&[(2, "90.00")]), Some("prices"), "incomplete_lot"),
        (
            offer(&[(1, "4200.00"), (3, "55.00")]),
            Some("prices"),
            "incomplete_lot",
        ),
        (offer(&[]), None, "bid_items_mismatch"),
        (
            offer(&[(4, "800.01")]),
            Some("prices[0].unit_price"),
            "above_max_price",
        ),
    ];
    for (request, field, code) in cases {
        let problem = assert_problem(
            submit(&app, &id, &a, &request).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        if let Some(field) = field {
            assert_eq!(problem["fields"][0]["field"], field, "{problem}");
        }
    }
    let bids_path = format!("/api/v1/tenders/{id}/bids");
    let own = json_of(
        app.get(&bids_path, Some(&supplier(&app, &a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(own, json!([]), "no refused bid was taken");

    // Lot 1 alone; lots 1 and 3.
    let only_lot_1 = json_of(
        submit(&app, &id, &a, &offer(&[(1, "4200.00")])).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(only_lot_1["status"], "live");
    json_of(
        submit(&app, &id, &b, &offer(&[(1, "4300.00"), (4, "700.00")])).await,
        StatusCode::CREATED,
    )
    .await;
    let own = json_of(
        app.get(&bids_path, Some(&supplier(&app, &a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(own.as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own[0]["bid_id"], only_lot_1["bid_id"]);
    let priced: Vec<&Value> = own[0]["prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["position"])
        .collect();
    assert_eq!(priced, [&json!(1)]);

    // Opened: nobody offered lot 2; each bid's total is the sum of its lots'.
    app.clock.set(at(21));
    let opened = open(&app, &id).await;
    assert_eq!(opened["tender"]["phase"], "evaluation");
    assert_eq!(
        statuses(&opened["tender"]),
        ["active", "deserted", "active"]
    );
    let a_bid = opened_bid(&app, &id, &a).await;
    assert_eq!(a_bid["total"], "42000.00");
    assert_eq!(
        lots_of(&a_bid),
        json!([{"lot": 1, "total": "42000.00", "qualified": null, "reason": null}])
    );
    let b_bid = opened_bid(&app, &id, &b).await;
    assert_eq!(b_bid["total"], "57000.00", "43000.00 + 14000.00");
    assert_eq!(
        lots_of(&b_bid),
        json!([
            {"lot": 1, "total": "43000.00", "qualified": null, "reason": null},
            {"lot": 3, "total": "14000.00", "qualified": null, "reason": null},
        ])
    );
}

async fn each_lot_is_judged_and_deserted_on_its_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("LTA010101AB"), "Lotes A").await;
    let b = app.register_supplier(&rfc("LTB020202CD"), "Lotes B").await;
    let judged = published_with(&app, &two_lots()).await;
    let refused = published_with(&app, &two_lots()).await;
    let empty = published_with(&app, &two_lots()).await;
    app.clock.set(at(8));
    for id in [&judged, &refused] {
        // A: lot 1 (42,000.00). B: lot 1 (43,000.00) and lot 2 (11,750.00).
        json_of(
            submit(&app, id, &a, &offer(&[(1, "4200.00")])).await,
            StatusCode::CREATED,
        )
        .await;
        json_of(
            submit(
                &app,
                id,
                &b,
                &offer(&[(1, "4300.00"), (2, "90.00"), (3, "55.00")]),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));

    // Nobody bid: every lot is deserted at the opening, and so is the tender.
    let opened = open(&app, &empty).await;
    assert_eq!(opened["tender"]["phase"], "deserted");
    assert_eq!(statuses(&opened["tender"]), ["deserted", "deserted"]);

    let opened = open(&app, &judged).await;
    let (bid_a, bid_b) = (bid_of(&opened, &a), bid_of(&opened, &b));
    let reason = "La muestra de papel no cumple el gramaje.";
    let refusals = [
        // B is not judged in lot 2.
        (
            json!([{"bid_id": bid_a, "qualified": true}, {"bid_id": bid_b, "qualified": true, "lot": 1}]),
            "evaluation_incomplete",
        ),
        // B is judged twice in lot 1.
        (
            json!([{"bid_id": bid_a, "qualified": true}, {"bid_id": bid_b, "qualified": true},
                   {"bid_id": bid_b, "qualified": true, "lot": 1}]),
            "evaluation_incomplete",
        ),
        // A does not offer lot 2.
        (
            json!([{"bid_id": bid_a, "qualified": true}, {"bid_id": bid_a, "qualified": true, "lot": 2},
                   {"bid_id": bid_b, "qualified": true}]),
            "lot_not_offered",
        ),
        // A refusal in one lot needs its reason.
        (
            json!([{"bid_id": bid_a, "qualified": true}, {"bid_id": bid_b, "qualified": true, "lot": 1},
                   {"bid_id": bid_b, "qualified": false, "lot": 2}]),
            "reason_required",
        ),
    ];
    for (evaluations, code) in refusals {
        assert_problem(
            evaluate(&app, &judged, &evaluations).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    assert!(
        !actions(&app, &judged)
            .await
            .contains(&"tender.evaluated".to_owned()),
        "no refused evaluation was recorded"
    );

    // B qualifies in lot 1 and not in lot 2; A (no `lot`) in the one it offers.
    let evaluated = json_of(
        evaluate(
            &app,
            &judged,
            &json!([
                {"bid_id": bid_a, "qualified": true},
                {"bid_id": bid_b, "qualified": true, "lot": 1},
                {"bid_id": bid_b, "qualified": false, "lot": 2, "reason": reason},
            ]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(evaluated["tender"]["phase"], "evaluation");
    assert_eq!(
        statuses(&evaluated["tender"]),
        ["active", "deserted"],
        "lot 2's only bid did not qualify"
    );
    assert_eq!(
        lots_of(&opened_bid(&app, &judged, &b).await),
        json!([
            {"lot": 1, "total": "43000.00", "qualified": true, "reason": null},
            {"lot": 2, "total": "11750.00", "qualified": false, "reason": reason},
        ])
    );
    assert_eq!(
        lots_of(&opened_bid(&app, &judged, &a).await),
        json!([{"lot": 1, "total": "42000.00", "qualified": true, "reason": null}])
    );
    assert_problem(
        on_lot(&app, &judged, 2, "award", &json!({})).await,
        StatusCode::CONFLICT,
        "not_awardable",
    )
    .await;
    let awarded = json_of(
        on_lot(&app, &judged, 1, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(awarded["lots"][0]["award"]["rfc"], a.as_str());
    assert_eq!(awarded["lots"][0]["award"]["amount"], "42000.00");
    assert_eq!(statuses(&awarded), ["awarded", "deserted"]);
    assert_eq!(
        awarded["phase"], "awarded",
        "every lot awarded or deserted, one awarded"
    );

    // No bid qualified in any lot: the tender is deserted.
    let opened = open(&app, &refused).await;
    let evaluations: Vec<Value> = [a.as_str(), b.as_str()]
        .into_iter()
        .map(|r| json!({"bid_id": bid_of(&opened, r), "qualified": false, "reason": reason}))
        .collect();
    let result = json_of(
        evaluate(&app, &refused, &Value::Array(evaluations)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["tender"]["phase"], "deserted");
    assert_eq!(statuses(&result["tender"]), ["deserted", "deserted"]);
}

/// The issue's "done when": a three-lot tender; A bids on lot 1 only, B on lots 1 and 2,
/// C on lot 2 only (an auction needs two qualified bidders), nobody on lot 3. Lot 1 is
/// awarded on its sealed prices while lot 2's auction runs; lot 2 after it; each has its
/// contract, and each its public award row.
async fn two_lots_end_to_end(kind: Kind) {
    let app = spawn(kind).await;
    let a = app.register_supplier(&rfc("LTA010101AB"), "Lotes A").await;
    let b = app.register_supplier(&rfc("LTB020202CD"), "Lotes B").await;
    let c = app.register_supplier(&rfc("LTC030303EF"), "Lotes C").await;
    let id = published_with(&app, &three_lots()).await;
    // The call, published with the tender: downloaded as uploaded, its SHA-256 verified.
    let call: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let call_sha = hex::encode(Sha256::digest(&call));
    let call_doc = json_of(
        app.post_raw(
            &format!("/api/v1/tenders/{id}/documents?title=Bases%20por%20partidas&type=call"),
            Some(&officer(&app, "SEP")),
            Some("application/pdf"),
            call.clone(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(call_doc["sha256"], call_sha);
    let download = app
        .get(
            &format!(
                "/public/v1/documents/{}/content",
                call_doc["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.headers()["etag"],
        format!("\"{call_sha}\"").as_str()
    );
    let body = download.bytes().await.unwrap();
    assert!(body.as_ref() == call.as_slice(), "the same bytes");
    assert_eq!(hex::encode(Sha256::digest(&body)), call_sha);

    app.clock.set(at(8));
    let mut bid_ids = Vec::new();
    for (who, request) in [
        // Lot 1: 42,000.00.
        (&a, offer(&[(1, "4200.00")])),
        // Lot 1: 43,000.00; lot 2: 9,000.00 + 2,750.00 = 11,750.00.
        (&b, offer(&[(1, "4300.00"), (2, "90.00"), (3, "55.00")])),
        // Lot 2: 9,200.00 + 2,500.00 = 11,700.00.
        (&c, offer(&[(2, "92.00"), (3, "50.00")])),
    ] {
        let receipt = json_of(submit(&app, &id, who, &request).await, StatusCode::CREATED).await;
        bid_ids.push(receipt["bid_id"].as_str().unwrap().to_owned());
    }
    // A's technical annex, sealed with its bid.
    let annex = b"Ficha tecnica de las sillas apilables, partida 1".repeat(500);
    let annex_sha = hex::encode(Sha256::digest(&annex));
    let annex_doc = json_of(
        app.post_raw(
            &format!(
                "/api/v1/tenders/{id}/bids/{}/documents?title=Ficha%20t%C3%A9cnica",
                bid_ids[0]
            ),
            Some(&supplier(&app, &a)),
            Some("application/pdf"),
            annex.clone(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(annex_doc["sha256"], annex_sha);

    app.clock.set(at(21));
    let opened = open(&app, &id).await;
    // After the opening the officer reads it, byte for byte.
    let read = app
        .get(
            &format!(
                "/api/v1/documents/{}/content",
                annex_doc["id"].as_str().unwrap()
            ),
            Some(&officer(&app, "SEP")),
        )
        .await;
    assert_eq!(read.status(), StatusCode::OK);
    let body = read.bytes().await.unwrap();
    assert!(body.as_ref() == annex.as_slice(), "the same bytes");
    assert_eq!(hex::encode(Sha256::digest(&body)), annex_sha);
    assert_eq!(opened["tender"]["phase"], "evaluation");
    assert_eq!(
        statuses(&opened["tender"]),
        ["active", "active", "deserted"],
        "nobody offered lot 3"
    );
    let evaluated = qualify_all(&app, &id, &opened).await;
    assert_eq!(evaluated["tender"]["phase"], "evaluation");
    assert_eq!(
        statuses(&evaluated["tender"]),
        ["active", "active", "deserted"]
    );
    assert_eq!(
        lots_of(&opened_bid(&app, &id, &b).await),
        json!([
            {"lot": 1, "total": "43000.00", "qualified": true, "reason": null},
            {"lot": 2, "total": "11750.00", "qualified": true, "reason": null},
        ]),
        "an entry without `lot` judges the bid in every lot it offers"
    );

    // With several lots, the forms that name none are refused; a lot it lacks is not found.
    for (action, request) in [
        ("auction", lot_auction()),
        ("award", json!({})),
        ("contract", terms("42000.00")),
    ] {
        assert_problem(
            on_tender(&app, &id, action, &request).await,
            StatusCode::CONFLICT,
            "lot_required",
        )
        .await;
        assert_problem(
            on_lot(&app, &id, 9, action, &request).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    assert_problem(
        on_lot(&app, &id, 4, "award", &json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        on_lot(&app, &id, 3, "award", &json!({})).await,
        StatusCode::CONFLICT,
        "not_awardable",
    )
    .await;

    // Lot 2's auction: B and C, each from its sealed total for lot 2, under lot 2's
    // reference value.
    let auction = json_of(
        on_lot(&app, &id, 2, "auction", &lot_auction()).await,
        StatusCode::CREATED,
    )
    .await;
    let auction_id = auction["id"].as_str().unwrap().to_owned();
    assert_eq!(auction["lot"], 2);
    assert_eq!(auction["tender_id"], id.as_str());
    assert_eq!(auction["status"], "open");
    assert_eq!(auction["ceiling"], "12500.00");
    assert_eq!(auction["participants"], 2);
    assert_eq!(ladder(&auction), json!([[c, "11700.00"], [b, "11750.00"]]));
    let tender = view(&app, &id).await;
    assert_eq!(statuses(&tender), ["active", "auction", "deserted"]);
    assert_eq!(tender["lots"][1]["auction_id"], auction_id.as_str());
    assert!(
        tender["lots"][0]["auction_id"].is_null() && tender["auction_id"].is_null(),
        "{tender}"
    );
    assert_eq!(
        tender["phase"], "auction",
        "a lot in its auction, the others active or deserted"
    );
    assert_problem(
        on_lot(&app, &id, 2, "auction", &lot_auction()).await,
        StatusCode::CONFLICT,
        "not_auctionable",
    )
    .await;

    // During it, bids move lot 2 only.
    app.clock.advance(Duration::seconds(30));
    assert_problem(
        bid(&app, &auction_id, &a, "11000.00").await,
        StatusCode::FORBIDDEN,
        "not_a_participant",
    )
    .await;
    let problem = assert_problem(
        bid(&app, &auction_id, &c, "12500.01").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "above_ceiling",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("12500.00"),
        "{problem}"
    );
    let placed = json_of(
        bid(&app, &auction_id, &b, "11500.00").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(placed["rank"], 1);
    assert_eq!(placed["best_price"], "11500.00");

    // Lot 1 is awarded meanwhile, to A at its sealed price: B's bid in lot 2's auction
    // does not reach it.
    let awarded = json_of(
        on_lot(&app, &id, 1, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let lot_1 = &awarded["lots"][0];
    assert_eq!(lot_1["status"], "awarded");
    assert_eq!(lot_1["award"]["bid_id"], bid_of(&opened, &a));
    assert_eq!(lot_1["award"]["rfc"], a.as_str());
    assert_eq!(lot_1["award"]["amount"], "42000.00");
    assert_eq!(lot_1["award"]["savings"], "3000.00", "45000.00 − 42000.00");
    assert!(
        awarded["award"].is_null(),
        "no top-level award with several lots"
    );
    assert_eq!(statuses(&awarded), ["awarded", "auction", "deserted"]);
    assert_eq!(awarded["phase"], "auction");
    // The feed now shows lot 1's bids, and nothing of lot 2's while its auction runs: not
    // who bids there, nor from what price.
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    let last = record["records"][0]["releases"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let details = last["bids"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details.iter().all(|d| d["relatedLots"] == json!(["1"])),
        "{details:?}"
    );
    let text = last.to_string();
    assert!(
        !text.contains(c.as_str()),
        "lot 2's bidder C is not named: {text}"
    );
    assert!(
        !details
            .iter()
            .any(|d| d["tenderers"][0]["identifier"]["id"] == c.as_str()),
        "{details:?}"
    );
    assert_problem(
        on_lot(&app, &id, 1, "award", &json!({})).await,
        StatusCode::CONFLICT,
        "not_awardable",
    )
    .await;
    assert_problem(
        on_lot(&app, &id, 2, "award", &json!({})).await,
        StatusCode::CONFLICT,
        "auction_not_closed",
    )
    .await;

    // Lot 2's auction ends; B wins lot 2 at its final price.
    app.clock.advance(Duration::seconds(600));
    let closed = staff_view(&app, &auction_id).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(ladder(&closed), json!([[b, "11500.00"], [c, "11700.00"]]));
    let awarded = json_of(
        on_lot(&app, &id, 2, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let lot_2 = &awarded["lots"][1];
    assert_eq!(lot_2["award"]["rfc"], b.as_str());
    assert_eq!(lot_2["award"]["amount"], "11500.00");
    assert_eq!(lot_2["award"]["savings"], "1000.00", "12500.00 − 11500.00");
    assert_eq!(awarded["lots"][0]["award"]["amount"], "42000.00");
    assert_eq!(statuses(&awarded), ["awarded", "awarded", "deserted"]);
    assert_eq!(awarded["phase"], "awarded", "every lot awarded or deserted");
    assert!(awarded["award"].is_null() && awarded["contract"].is_null());

    // A contract per lot, each for its lot's award.
    assert_problem(
        on_lot(&app, &id, 2, "contract", &terms("42000.00")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "contract_amount_mismatch",
    )
    .await;
    let signed = json_of(
        on_lot(&app, &id, 1, "contract", &terms("42000.00")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["lots"][0]["contract"]["amount"], "42000.00");
    assert_eq!(statuses(&signed), ["contracted", "awarded", "deserted"]);
    assert_eq!(
        signed["phase"], "awarded",
        "lot 2's contract is still to sign"
    );
    assert_problem(
        on_lot(&app, &id, 1, "contract", &terms("42000.00")).await,
        StatusCode::CONFLICT,
        "not_contractable",
    )
    .await;
    let signed = json_of(
        on_lot(&app, &id, 2, "contract", &terms("11500.00")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["lots"][1]["contract"]["amount"], "11500.00");
    assert_eq!(statuses(&signed), ["contracted", "contracted", "deserted"]);
    assert_eq!(signed["phase"], "contracted");
    assert!(signed["contract"].is_null(), "{signed}");

    // One public row per awarded lot, in JSON and in CSV.
    let rows = award_rows(&app, &id).await;
    let summary: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!([
                r["lot"],
                r["lot_title"],
                r["supplier"]["rfc"],
                r["amount"],
                r["savings"],
                r["auction_held"],
                r["contract"]["amount"]
            ])
        })
        .collect();
    assert_eq!(
        summary,
        [
            json!([1, "Mobiliario", a, "42000.00", "3000.00", false, "42000.00"]),
            json!([2, "Papelería", b, "11500.00", "1000.00", true, "11500.00"]),
        ]
    );
    assert_eq!(
        csv_rows(&app, &id).await,
        [
            ["1", "Mobiliario", a.as_str(), "42000.00"],
            ["2", "Papelería", b.as_str(), "11500.00"],
        ]
    );

    // The Atom feed names each entry's lot when the tender has several.
    let atom = app
        .client
        .get(app.url("/public/v1/awards"))
        .header("accept", "application/atom+xml")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for lot in ["partida 1: Mobiliario", "partida 2: Papelería"] {
        assert!(atom.contains(lot), "{lot} in {atom}");
    }

    // A classifier code filters awards by the lot's items: the chairs' code finds lot 1's
    // award only.
    let chairs: Vec<Value> = app
        .collect_pages("/public/v1/awards?classifier=51101", None)
        .await
        .into_iter()
        .filter(|r| r["tender"]["id"] == id.as_str())
        .collect();
    assert_eq!(chairs.len(), 1, "{chairs:?}");
    assert_eq!(chairs[0]["lot"], 1);

    // The OCDS record validates with the lots and submissionTerms extensions declared, and
    // says which lot each item, bid, award and contract belongs to.
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    let compiled = &record["records"][0]["compiledRelease"];
    let lots: Vec<Value> = compiled["tender"]["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!([l["id"], l["status"], l["value"]["amount"]]))
        .collect();
    assert_eq!(
        lots,
        [
            json!(["1", "complete", 45000.0]),
            json!(["2", "complete", 12500.0]),
            json!(["3", "unsuccessful", 16000.0]),
        ]
    );
    let listed = compiled["tender"]["documents"].as_array().unwrap();
    assert!(
        listed.iter().any(|d| d["id"] == call_doc["id"]
            && d["documentType"] == "biddingDocuments"
            && d["url"].as_str().is_some_and(|u| u.ends_with("/content"))),
        "{listed:?}"
    );
    let item_lots: Vec<&Value> = compiled["tender"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["relatedLot"])
        .collect();
    assert!(item_lots.iter().all(|l| l.is_string()), "{item_lots:?}");
    let awards: Vec<Value> = compiled["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            json!([
                a["relatedLots"],
                a["suppliers"][0]["name"],
                a["value"]["amount"]
            ])
        })
        .collect();
    assert_eq!(awards.len(), 2, "{awards:?}");
    assert_eq!(awards[0][0], json!(["1"]));
    assert_eq!(awards[0][2], json!(42000.0));
    assert_eq!(awards[1][0], json!(["2"]));
    assert_eq!(awards[1][2], json!(11500.0));
    assert_eq!(compiled["contracts"].as_array().map(Vec::len), Some(2));
    let mut offered: Vec<String> = compiled["bids"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["relatedLots"].to_string())
        .collect();
    offered.sort();
    // One entry per bid and lot: A and B on lot 1, B and C on lot 2.
    assert_eq!(offered, [r#"["1"]"#, r#"["1"]"#, r#"["2"]"#, r#"["2"]"#]);
    // Each award names the entry of its winner in its lot.
    for award in compiled["awards"].as_array().unwrap() {
        let related = award["relatedBids"][0].as_str().unwrap();
        let detail = compiled["bids"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == related)
            .unwrap_or_else(|| panic!("{related} is not a bid of the record"));
        assert_eq!(detail["relatedLots"], award["relatedLots"]);
        assert_eq!(detail["value"], award["value"]);
    }
}

/// Two lots in their auctions at once: each auction has its own participants, prices and
/// sequence, and a bid in one never moves the other.
async fn the_auctions_of_two_lots_run_at_once_apart(kind: Kind) {
    let app = spawn(kind).await;
    let a = app.register_supplier(&rfc("LTA010101AB"), "Lotes A").await;
    let b = app.register_supplier(&rfc("LTB020202CD"), "Lotes B").await;
    let id = published_with(&app, &two_lots()).await;
    app.clock.set(at(8));
    // A: 42,000.00 and 11,750.00. B: 43,000.00 and 11,700.00.
    json_of(
        submit(
            &app,
            &id,
            &a,
            &offer(&[(1, "4200.00"), (2, "90.00"), (3, "55.00")]),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    json_of(
        submit(
            &app,
            &id,
            &b,
            &offer(&[(1, "4300.00"), (2, "92.00"), (3, "50.00")]),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    let opened = open(&app, &id).await;
    qualify_all(&app, &id, &opened).await;
    let first = json_of(
        on_lot(&app, &id, 1, "auction", &lot_auction()).await,
        StatusCode::CREATED,
    )
    .await;
    let second = json_of(
        on_lot(&app, &id, 2, "auction", &lot_auction()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(first["id"], second["id"]);
    assert_eq!(
        json!([
            first["lot"],
            first["ceiling"],
            second["lot"],
            second["ceiling"]
        ]),
        json!([1, "45000.00", 2, "12500.00"])
    );
    assert_eq!(ladder(&first), json!([[a, "42000.00"], [b, "43000.00"]]));
    assert_eq!(ladder(&second), json!([[b, "11700.00"], [a, "11750.00"]]));
    let tender = view(&app, &id).await;
    assert_eq!(tender["phase"], "auction");
    assert_eq!(statuses(&tender), ["auction", "auction"]);
    assert_eq!(tender["lots"][0]["auction_id"], first["id"]);
    assert_eq!(tender["lots"][1]["auction_id"], second["id"]);
    let first = first["id"].as_str().unwrap().to_owned();
    let second = second["id"].as_str().unwrap().to_owned();

    app.clock.advance(Duration::seconds(30));
    let placed = json_of(
        bid(&app, &second, &a, "11000.00").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(placed["seq"], 1);
    let untouched = staff_view(&app, &first).await;
    assert_eq!(
        untouched["last_seq"], 0,
        "a bid in lot 2's auction is not lot 1's"
    );
    assert_eq!(
        ladder(&untouched),
        json!([[a, "42000.00"], [b, "43000.00"]])
    );
    app.clock.advance(Duration::seconds(10));
    let placed = json_of(bid(&app, &first, &b, "41000.00").await, StatusCode::CREATED).await;
    assert_eq!(placed["seq"], 1, "each lot's auction counts its own bids");
    assert_eq!(placed["rank"], 1);
    let other = staff_view(&app, &second).await;
    assert_eq!(other["last_seq"], 1);
    assert_eq!(ladder(&other), json!([[a, "11000.00"], [b, "11700.00"]]));

    app.clock.advance(Duration::seconds(600));
    for auction in [&first, &second] {
        assert_eq!(staff_view(&app, auction).await["status"], "closed");
    }
    let awarded = json_of(
        on_lot(&app, &id, 1, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(awarded["lots"][0]["award"]["rfc"], b.as_str());
    assert_eq!(awarded["lots"][0]["award"]["amount"], "41000.00");
    assert_eq!(awarded["lots"][0]["award"]["savings"], "4000.00");
    assert_eq!(awarded["phase"], "auction", "lot 2 is still to award");
    let awarded = json_of(
        on_lot(&app, &id, 2, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(awarded["lots"][1]["award"]["rfc"], a.as_str());
    assert_eq!(awarded["lots"][1]["award"]["amount"], "11000.00");
    assert_eq!(awarded["lots"][1]["award"]["savings"], "1500.00");
    assert_eq!(statuses(&awarded), ["awarded", "awarded"]);
    assert_eq!(awarded["phase"], "awarded");
}

async fn a_one_lot_tender_keeps_the_old_forms(backend: Backend) {
    // The in-process engine: the engines are the end to end's business.
    let app = spawn_app_with(backend, &[("REDIS_URL", "")]).await;
    // `tenders::body()`'s items, three suppliers, the auction through `/auction`.
    let s = scheduled(&app, continuous()).await;
    assert_eq!(s.view["lot"], 1, "the auction of the only lot");
    let tender = view(&app, &s.tender).await;
    assert_eq!(tender["phase"], "auction");
    assert_eq!(tender["auction_id"], s.auction.as_str());
    let lots = tender["lots"].as_array().unwrap();
    assert_eq!(lots.len(), 1, "{tender}");
    assert_eq!(lots[0]["number"], 1);
    assert_eq!(lots[0]["status"], "auction");
    assert_eq!(lots[0]["auction_id"], s.auction.as_str());
    assert_eq!(lots[0]["reference_value"], "2223420.00");
    assert_eq!(tender["reference_value"], "2223420.00");
    assert_eq!(positions(&lots[0]), [1, 2]);
    assert!(
        tender["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["lot"] == 1),
        "{tender}"
    );
    assert_problem(
        on_lot(&app, &s.tender, 2, "award", &json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    app.clock.advance(Duration::seconds(30));
    json_of(
        bid(&app, &s.auction, &s.c, "2040000.00").await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.advance(Duration::seconds(600));
    assert_eq!(staff_view(&app, &s.auction).await["status"], "closed");
    let awarded = json_of(
        on_tender(&app, &s.tender, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(awarded["phase"], "awarded");
    assert_eq!(awarded["award"]["rfc"], s.c.as_str());
    assert_eq!(awarded["award"]["amount"], "2040000.00");
    assert_eq!(awarded["award"]["savings"], "183420.00");
    assert_eq!(awarded["lots"][0]["award"], awarded["award"]);
    assert_eq!(awarded["lots"][0]["status"], "awarded");

    let signed = json_of(
        on_tender(&app, &s.tender, "contract", &terms("2040000.00")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["phase"], "contracted");
    assert_eq!(signed["contract"]["amount"], "2040000.00");
    assert_eq!(signed["lots"][0]["contract"], signed["contract"]);
    assert_eq!(signed["lots"][0]["award"], signed["award"]);
    assert_eq!(signed["lots"][0]["status"], "contracted");

    let rows = award_rows(&app, &s.tender).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["lot"], 1);
    assert_eq!(rows[0]["amount"], "2040000.00");
}

async fn cancelling_after_an_award_cancels_the_lots_left(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("LTA010101AB"), "Lotes A").await;
    let b = app.register_supplier(&rfc("LTB020202CD"), "Lotes B").await;
    let kept = published_with(&app, &two_lots()).await;
    let dropped = published_with(&app, &two_lots()).await;
    app.clock.set(at(8));
    for id in [&kept, &dropped] {
        // A: lot 1 (42,000.00). B: lot 2 (11,750.00).
        json_of(
            submit(&app, id, &a, &offer(&[(1, "4200.00")])).await,
            StatusCode::CREATED,
        )
        .await;
        json_of(
            submit(&app, id, &b, &offer(&[(2, "90.00"), (3, "55.00")])).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    for id in [&kept, &dropped] {
        let opened = open(&app, id).await;
        qualify_all(&app, id, &opened).await;
    }
    let reason = json!({"reason": "La necesidad del área requirente cambió."});

    // Before any award, the tender is cancelled with every lot.
    let cancelled = json_of(
        on_tender(&app, &dropped, "cancel", &reason).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["phase"], "cancelled");
    assert_eq!(statuses(&cancelled), ["cancelled", "cancelled"]);
    assert_problem(
        on_lot(&app, &dropped, 1, "award", &json!({})).await,
        StatusCode::CONFLICT,
        "not_awardable",
    )
    .await;

    // Once a lot is awarded, cancelling cancels the lots left: the tender goes on, awarded
    // with the lot it has.
    json_of(
        on_lot(&app, &kept, 1, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let rest = json_of(
        on_tender(&app, &kept, "cancel", &reason).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rest["phase"], "awarded", "{rest}");
    assert_eq!(statuses(&rest), ["awarded", "cancelled"]);
    assert_eq!(rest["cancel_reason"], reason["reason"]);
    assert_eq!(rest["lots"][0]["award"]["rfc"], a.as_str());
    assert!(
        actions(&app, &kept)
            .await
            .contains(&"tender.lots_cancelled".to_owned())
    );
    assert_problem(
        on_lot(&app, &kept, 2, "award", &json!({})).await,
        StatusCode::CONFLICT,
        "not_awardable",
    )
    .await;
    // Nothing is left to cancel; the awarded lot goes on to its contract.
    assert_problem(
        on_tender(&app, &kept, "cancel", &reason).await,
        StatusCode::CONFLICT,
        "not_cancellable",
    )
    .await;
    let signed = json_of(
        on_lot(&app, &kept, 1, "contract", &terms("42000.00")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed["phase"], "contracted", "{signed}");
    assert_eq!(statuses(&signed), ["contracted", "cancelled"]);
}
