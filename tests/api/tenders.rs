use chrono::{DateTime, Duration, Utc};
use licita::auth::Role;
use licita::persistence::entities::{audit_event, bid};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, json_of, rfc, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    an_officer_drafts_a_tender_that_only_its_agency_and_auditors_see,
    every_draft_refusal_has_its_code_and_creates_nothing,
    a_draft_is_edited_only_by_its_agency_and_only_while_a_draft,
    publishing_checks_the_schedule_the_legal_periods_and_the_invited,
    the_phase_follows_the_clock,
    clarifications_are_asked_answered_and_published_without_the_asker,
    sealed_bids_are_unreadable_until_the_opening_then_evaluated,
    bid_refusals_have_their_codes,
    a_tender_without_bids_or_qualified_bids_is_deserted,
    a_tender_is_cancelled_with_its_reason_until_the_award,
    an_invitation_admits_only_the_invited,
    a_direct_award_runs_with_its_one_supplier_to_the_award_step,
    a_framework_order_needs_its_framework_contract,
    out_of_range_input_is_refused_never_a_500,
    every_state_change_records_who_when_and_the_phases_before_and_after,
    a_bid_is_withdrawn_once_and_only_by_its_supplier,
    the_evaluation_is_refused_before_the_opening_and_to_another_agency,
    an_answer_needs_its_text_and_a_question_of_this_tender,
    bids_stay_sealed_before_the_opening_even_when_the_tender_is_cancelled,
);

pub const START: &str = "2026-03-02T12:00:00Z";

pub fn at(offset_days: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(START)
        .unwrap()
        .with_timezone(&Utc)
        + Duration::days(offset_days)
}

pub fn officer(app: &TestApp, agency: &str) -> String {
    app.token(Role::Officer, &format!("oficial-{agency}"), Some(agency))
}

pub fn supplier(app: &TestApp, rfc: &str) -> String {
    app.token(Role::Supplier, rfc, None)
}

/// An open national tender: clarifications for 7 days, deadline at 20, opening at 21.
pub fn body() -> Value {
    json!({
        "title": "Adquisición de equipo de cómputo para oficinas centrales",
        "description": "Computadoras portátiles y consumibles para 120 puestos.",
        "procedure": "open",
        "items": [
            {"classifier_code": "51101001", "quantity": 120, "unit": "pieza", "max_unit_price": "18500.00"},
            {"classifier_code": "21101001", "quantity": 40, "unit": "caja", "max_unit_price": "85.50"},
        ],
        "schedule": {
            "clarifications_until": at(7),
            "submission_deadline": at(20),
            "opening_at": at(21),
        },
    })
}

pub async fn create(app: &TestApp, agency: &str, body: &Value) -> Value {
    json_of(
        app.post_json("/api/v1/tenders", Some(&officer(app, agency)), body)
            .await,
        StatusCode::CREATED,
    )
    .await
}

pub async fn publish(app: &TestApp, agency: &str, id: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{id}/publish"),
        Some(&officer(app, agency)),
        &json!({}),
    )
    .await
}

/// A published open tender of SEP, with the clock at its publication.
pub async fn published(app: &TestApp) -> String {
    app.clock.set(at(0));
    let tender = create(app, "SEP", &body()).await;
    let id = tender["id"].as_str().unwrap().to_owned();
    json_of(publish(app, "SEP", &id).await, StatusCode::OK).await;
    id
}

pub fn bid_body(laptop: &str, boxes: &str) -> Value {
    json!({
        "prices": [{"position": 1, "unit_price": laptop}, {"position": 2, "unit_price": boxes}],
        "technical_offer": "Equipo marca Acme modelo X14, garantía de tres años en sitio.",
    })
}

pub async fn submit(app: &TestApp, id: &str, rfc: &str, body: &Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{id}/bids"),
        Some(&supplier(app, rfc)),
        body,
    )
    .await
}

/// Opens a SEP tender (the clock past its opening time) and returns the opening result.
pub async fn open(app: &TestApp, id: &str) -> Value {
    let path = format!("/api/v1/tenders/{id}/opening");
    json_of(
        app.post_json(&path, Some(&officer(app, "SEP")), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await
}

/// Opens a SEP tender and qualifies every opened bid; returns the evaluation result.
pub async fn open_and_qualify_all(app: &TestApp, id: &str) -> Value {
    let opened = open(app, id).await;
    let evaluations: Vec<Value> = opened["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| json!({"bid_id": b["bid_id"], "qualified": true}))
        .collect();
    let path = format!("/api/v1/tenders/{id}/evaluation");
    json_of(
        app.post_json(
            &path,
            Some(&officer(app, "SEP")),
            &json!({"evaluations": evaluations}),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

pub async fn actions(app: &TestApp, id: &str) -> Vec<String> {
    audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq("tender"))
        .filter(audit_event::Column::EntityId.eq(id))
        .order_by_asc(audit_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// A state change as its audit event records it: action, actor (role, sub), time, and the
/// phases `from` and `to`.
#[derive(Debug, PartialEq)]
pub struct Change {
    pub action: String,
    pub actor: (String, String),
    pub at: DateTime<Utc>,
    pub from: Value,
    pub to: Value,
}

/// The tender's state changes (its events that are not about bids or questions), in order.
pub async fn changes(app: &TestApp, id: &str) -> Vec<Change> {
    audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq("tender"))
        .filter(audit_event::Column::EntityId.eq(id))
        .order_by_asc(audit_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            !e.action.starts_with("bid.")
                && !e.action.starts_with("tender.question")
                && !["tender.created", "tender.updated"].contains(&e.action.as_str())
        })
        .map(|e| {
            let data: Value = serde_json::from_str(&e.data).unwrap();
            Change {
                action: e.action,
                actor: (e.actor_role, e.actor_sub),
                at: e.occurred_at,
                from: data["from"].clone(),
                to: data["to"].clone(),
            }
        })
        .collect()
}

fn change(action: &str, who: &str, day: i64, from: &str, to: &str) -> Change {
    Change {
        action: action.to_owned(),
        actor: ("officer".to_owned(), who.to_owned()),
        at: at(day),
        from: json!(from),
        to: json!(to),
    }
}

async fn an_officer_drafts_a_tender_that_only_its_agency_and_auditors_see(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let response = app
        .post_json("/api/v1/tenders", Some(&officer(&app, "SEP")), &body())
        .await;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let tender = json_of(response, StatusCode::CREATED).await;
    let id = tender["id"].as_str().unwrap();
    assert_eq!(location, Some(format!("/api/v1/tenders/{id}")));
    assert_eq!(tender["agency"], "SEP");
    assert_eq!(tender["phase"], "draft");
    assert_eq!(tender["scope"], "national");
    assert_eq!(
        tender["reference_value"], "2223420.00",
        "120 × 18500.00 + 40 × 85.50"
    );
    assert_eq!(tender["items"][0]["is_ict"], false, "furniture");
    assert_eq!(tender["items"][1]["is_ict"], false);
    assert_eq!(tender["items"][1]["position"], 2);

    let path = format!("/api/v1/tenders/{id}");
    json_of(
        app.get(&path, Some(&officer(&app, "SEP"))).await,
        StatusCode::OK,
    )
    .await;
    json_of(
        app.get(&path, Some(&app.token(Role::Auditor, "oic", None)))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        app.get(&path, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&path, Some(&officer(&app, "SSA"))).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(
        app.collect_pages("/api/v1/tenders", None).await.is_empty(),
        "drafts are not public"
    );
    assert_eq!(
        app.collect_pages("/api/v1/tenders", Some(&officer(&app, "SEP")))
            .await
            .len(),
        1
    );
    assert_eq!(actions(&app, id).await, ["tender.created"]);
}

async fn every_draft_refusal_has_its_code_and_creates_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|b| b["items"] = json!([])),
            "items",
            "items_required",
        ),
        (
            Box::new(|b| b["items"][0]["quantity"] = json!(0)),
            "items[0].quantity",
            "invalid_quantity",
        ),
        (
            Box::new(|b| b["items"][0]["max_unit_price"] = json!("0")),
            "items[0].max_unit_price",
            "invalid_money",
        ),
        (
            Box::new(|b| b["items"][0]["max_unit_price"] = json!("1.234")),
            "items[0].max_unit_price",
            "invalid_body",
        ),
        (
            Box::new(|b| b["items"][1]["classifier_code"] = json!("99999999")),
            "items[1].classifier_code",
            "unknown_classifier_code",
        ),
        (
            Box::new(|b| b["title"] = json!("abc")),
            "title",
            "invalid_title",
        ),
        (
            Box::new(|b| b["schedule"]["opening_at"] = json!(at(19))),
            "schedule.opening_at",
            "schedule_out_of_order",
        ),
        (
            Box::new(|b| b["procedure"] = json!("auction")),
            "procedure",
            "invalid_body",
        ),
        (
            Box::new(|b| b["invited_suppliers"] = json!([rfc("AAA010101AB")])),
            "invited_suppliers",
            "invited_not_allowed",
        ),
        (
            Box::new(|b| b["procedure"] = json!("invitation")),
            "invited_suppliers",
            "too_few_invited",
        ),
        (
            Box::new(|b| {
                b["procedure"] = json!("direct_award");
                b["legal_justification"] = json!("Art. 41 fr. I");
            }),
            "invited_suppliers",
            "direct_award_needs_one_supplier",
        ),
        (
            Box::new(|b| {
                b["procedure"] = json!("direct_award");
                b["invited_suppliers"] = json!([rfc("AAA010101AB")]);
            }),
            "legal_justification",
            "justification_required",
        ),
        (
            Box::new(|b| b["auction"] = json!({"duration_s": 5})),
            "auction.duration_s",
            "invalid_auction_settings",
        ),
        (
            Box::new(|b| b["auction"] = json!({"format": "continuous", "starts_at": at(1)})),
            "auction.starts_at",
            "invalid_auction_settings",
        ),
        (
            Box::new(|b| b["auction"] = json!({"duration": 60})),
            "auction.duration",
            "invalid_body",
        ),
        (
            Box::new(|b| b["auction"] = json!([1, 2])),
            "auction[0]",
            "invalid_body",
        ),
        (
            Box::new(|b| b["auction"] = json!({"junk": "x".repeat(200_000)})),
            "auction.junk",
            "invalid_body",
        ),
    ];
    for (change, field, code) in cases {
        let mut request = body();
        change(&mut request);
        let problem = assert_problem(
            app.post_json("/api/v1/tenders", Some(&officer(&app, "SEP")), &request)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        assert_eq!(problem["fields"][0]["field"], field, "{problem}");
    }
    for token in [
        app.registrar(),
        supplier(&app, &rfc("AAA010101AB")),
        app.token(Role::Auditor, "a", None),
    ] {
        assert_problem(
            app.post_json("/api/v1/tenders", Some(&token), &body())
                .await,
            StatusCode::FORBIDDEN,
            "forbidden_role",
        )
        .await;
    }
    let auditor = app.token(Role::Auditor, "a", None);
    assert!(
        app.collect_pages("/api/v1/tenders", Some(&auditor))
            .await
            .is_empty()
    );
}

async fn a_draft_is_edited_only_by_its_agency_and_only_while_a_draft(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let tender = create(&app, "SEP", &body()).await;
    let path = format!("/api/v1/tenders/{}", tender["id"].as_str().unwrap());
    let mut changed = body();
    changed["title"] = json!("Adquisición de equipo de cómputo, segunda versión");
    changed["items"] = json!([{"classifier_code": "51101001", "quantity": 10, "unit": "pieza", "max_unit_price": "20000.00"}]);
    let edited = json_of(
        app.put_json(&path, Some(&officer(&app, "SEP")), &changed)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["reference_value"], "200000.00");
    assert_eq!(edited["items"].as_array().unwrap().len(), 1);
    assert_problem(
        app.put_json(&path, Some(&officer(&app, "SSA")), &changed)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    json_of(
        publish(&app, "SEP", tender["id"].as_str().unwrap()).await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        app.put_json(&path, Some(&officer(&app, "SEP")), &body())
            .await,
        StatusCode::CONFLICT,
        "not_a_draft",
    )
    .await;
    let read = json_of(app.get(&path, None).await, StatusCode::OK).await;
    assert_eq!(
        read["title"], "Adquisición de equipo de cómputo, segunda versión",
        "unchanged by the refused edit"
    );
}

async fn publishing_checks_the_schedule_the_legal_periods_and_the_invited(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let sep = |b: &Value| {
        let app = &app;
        let b = b.clone();
        async move {
            create(app, "SEP", &b).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    // 10 days to the deadline: short for a national open tender (15).
    let mut short = body();
    short["schedule"]["clarifications_until"] = json!(at(2));
    short["schedule"]["submission_deadline"] = json!(at(10));
    short["schedule"]["opening_at"] = json!(at(10));
    let id = sep(&short).await;
    let problem = assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "period_too_short",
    )
    .await;
    assert_eq!(
        problem["fields"][0]["field"],
        "schedule.submission_deadline"
    );
    // 20 days: enough for national, short for international.
    let mut international = body();
    international["scope"] = json!("international");
    international["schedule"]["submission_deadline"] = json!(at(19));
    international["schedule"]["opening_at"] = json!(at(19));
    let id = sep(&international).await;
    assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "period_too_short",
    )
    .await;

    let id = sep(&body()).await;
    app.clock.set(at(8));
    assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "schedule_in_past",
    )
    .await;
    app.clock.set(at(0));
    // Someone else's draft does not exist for them.
    assert_problem(
        publish(&app, "SSA", &id).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let published = json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    assert_eq!(published["phase"], "clarification");
    assert_eq!(published["published_at"], json!(at(0)));
    assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::CONFLICT,
        "not_a_draft",
    )
    .await;
    assert_eq!(
        actions(&app, &id).await,
        ["tender.created", "tender.published"]
    );
    assert_eq!(
        app.collect_pages("/api/v1/tenders", None).await.len(),
        1,
        "only the published one is public"
    );

    // Invited suppliers must be registered and unsanctioned at publication.
    let registered = app
        .register_supplier(&rfc("INV010101AB"), "Invitado Uno")
        .await;
    let sanctioned = app
        .register_supplier(&rfc("INV020202AB"), "Invitado Dos")
        .await;
    let unknown = rfc("INV030303AB");
    let sanction = json!({"authority": "SABG", "reference": "EXP-1", "reason": "Motivo", "starts_on": "2026-01-01", "ends_on": "2027-01-01"});
    json_of(
        app.post_json(
            &format!("/api/v1/suppliers/{sanctioned}/sanctions"),
            Some(&app.registrar()),
            &sanction,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut invitation = body();
    invitation["procedure"] = json!("invitation");
    invitation["invited_suppliers"] = json!([registered, sanctioned, unknown]);
    let id = sep(&invitation).await;
    let problem = assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invited_supplier_sanctioned",
    )
    .await;
    let fields: Vec<(&str, &str)> = problem["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    // Indices refer to the tender's `invited_suppliers` list (in RFC order).
    assert_eq!(
        fields,
        [
            ("invited_suppliers[1]", "invited_supplier_sanctioned"),
            ("invited_suppliers[2]", "invited_supplier_not_registered")
        ]
    );
    let still = json_of(
        app.get(
            &format!("/api/v1/tenders/{id}"),
            Some(&officer(&app, "SEP")),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(still["phase"], "draft");
}

async fn the_phase_follows_the_clock(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app).await;
    let path = format!("/api/v1/tenders/{id}");
    for (day, phase) in [
        (0, "clarification"),
        (7, "submission"),
        (19, "submission"),
        (20, "evaluation"),
        (30, "evaluation"),
    ] {
        app.clock.set(at(day));
        let tender = json_of(app.get(&path, None).await, StatusCode::OK).await;
        assert_eq!(tender["phase"], phase, "day {day}");
        assert_eq!(tender["server_time"], json!(at(day)));
    }
}

async fn clarifications_are_asked_answered_and_published_without_the_asker(backend: Backend) {
    let app = spawn_app(backend).await;
    let asker = app
        .register_supplier(&rfc("ASK010101AB"), "Preguntona")
        .await;
    let other = app.register_supplier(&rfc("OTH010101AB"), "Otra").await;
    let id = published(&app).await;
    let path = format!("/api/v1/tenders/{id}/questions");
    let q1 = json_of(
        app.post_json(
            &path,
            Some(&supplier(&app, &asker)),
            &json!({"question": "¿Se aceptan equipos reacondicionados?"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let q2 = json_of(
        app.post_json(
            &path,
            Some(&supplier(&app, &asker)),
            &json!({"question": "¿Cuál es el lugar de entrega?"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_problem(
        app.post_json(
            &path,
            Some(&supplier(&app, &rfc("NOR010101AB"))),
            &json!({"question": "¿?"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "supplier_not_registered",
    )
    .await;
    assert_problem(
        app.post_json(
            &path,
            Some(&supplier(&app, &asker)),
            &json!({"question": " "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_question",
    )
    .await;

    let answer_path = format!(
        "/api/v1/tenders/{id}/questions/{}/answer",
        q1["id"].as_str().unwrap()
    );
    assert_problem(
        app.post_json(
            &answer_path,
            Some(&officer(&app, "SSA")),
            &json!({"answer": "No."}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    let answered = json_of(
        app.post_json(
            &answer_path,
            Some(&officer(&app, "SEP")),
            &json!({"answer": "No, solo equipo nuevo."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answered["answer"], "No, solo equipo nuevo.");
    assert_problem(
        app.post_json(
            &answer_path,
            Some(&officer(&app, "SEP")),
            &json!({"answer": "Otra vez"}),
        )
        .await,
        StatusCode::CONFLICT,
        "already_answered",
    )
    .await;

    let public = json_of(app.get(&path, None).await, StatusCode::OK).await;
    assert_eq!(
        public.as_array().unwrap().len(),
        1,
        "only answered questions are public"
    );
    assert!(
        public[0].get("asker_rfc").is_none(),
        "the asker is hidden: {public}"
    );
    assert!(!public.to_string().contains(&asker));
    let own = json_of(
        app.get(&path, Some(&supplier(&app, &asker))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(own.as_array().unwrap().len(), 2);
    assert!(own.as_array().unwrap().iter().all(|q| q["mine"] == true));
    let others = json_of(
        app.get(&path, Some(&supplier(&app, &other))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(others.as_array().unwrap().len(), 1);
    assert_eq!(others[0]["mine"], false);
    let staff = json_of(
        app.get(&path, Some(&officer(&app, "SEP"))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(staff.as_array().unwrap().len(), 2);
    assert_eq!(staff[1]["id"], q2["id"]);
    assert_eq!(staff[0]["asker_rfc"], asker.as_str());

    app.clock.set(at(7));
    assert_problem(
        app.post_json(
            &path,
            Some(&supplier(&app, &asker)),
            &json!({"question": "¿Tarde?"}),
        )
        .await,
        StatusCode::CONFLICT,
        "clarification_closed",
    )
    .await;
    let events = actions(&app, &id).await;
    assert_eq!(
        events
            .iter()
            .filter(|a| *a == "tender.question_asked")
            .count(),
        2
    );
    assert_eq!(
        events
            .iter()
            .filter(|a| *a == "tender.question_answered")
            .count(),
        1
    );
}

async fn sealed_bids_are_unreadable_until_the_opening_then_evaluated(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("BIA010101AB"), "Postor A").await;
    let b = app.register_supplier(&rfc("BIB010101AB"), "Postor B").await;
    let c = app.register_supplier(&rfc("BIC010101AB"), "Postor C").await;
    let id = published(&app).await;
    app.clock.set(at(8));

    let first = json_of(
        submit(&app, &id, &a, &bid_body("18000.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first["status"], "live");
    assert_eq!(first["receipt_sha256"].as_str().unwrap().len(), 64);
    // Always six decimals: exactly what the receipt's message holds.
    assert_eq!(first["received_at"], "2026-03-10T12:00:00.000000Z");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(first["received_at"].as_str().unwrap()).unwrap(),
        at(8)
    );
    // Replacing: a new live bid, the first kept as history.
    app.clock.set(at(9));
    let replaced = json_of(
        submit(&app, &id, &a, &bid_body("17500.00", "79.00")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(replaced["bid_id"], first["bid_id"]);
    assert_ne!(replaced["receipt_sha256"], first["receipt_sha256"]);
    json_of(
        submit(&app, &id, &b, &bid_body("18400.00", "85.50")).await,
        StatusCode::CREATED,
    )
    .await;
    let withdrawn = json_of(
        submit(&app, &id, &c, &bid_body("16000.00", "70.00")).await,
        StatusCode::CREATED,
    )
    .await;
    let gone = json_of(
        app.client
            .delete(app.url(&format!(
                "/api/v1/tenders/{id}/bids/{}",
                withdrawn["bid_id"].as_str().unwrap()
            )))
            .bearer_auth(supplier(&app, &c))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(gone["status"], "withdrawn");

    // Before the opening nobody but the bidder reads a bid.
    let bids_path = format!("/api/v1/tenders/{id}/bids");
    for token in [officer(&app, "SEP"), app.token(Role::Auditor, "oic", None)] {
        let seen = json_of(app.get(&bids_path, Some(&token)).await, StatusCode::OK).await;
        assert_eq!(
            seen.as_array().unwrap().len(),
            2,
            "the live bids exist: {seen}"
        );
        let text = seen.to_string();
        for secret in ["17500", "18400", "Acme", &a, &b] {
            assert!(
                !text.contains(secret),
                "{secret} leaked before the opening: {text}"
            );
        }
    }
    let own = json_of(
        app.get(&bids_path, Some(&supplier(&app, &a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        own.as_array().unwrap().len(),
        2,
        "its live and its replaced bid"
    );
    let live = own
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["status"] == "live")
        .unwrap();
    assert_eq!(live["prices"][0]["unit_price"], "17500.00");
    assert!(
        !own.to_string().contains("18400"),
        "not the other supplier's"
    );
    assert_problem(
        app.get(&bids_path, Some(&officer(&app, "SSA"))).await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    assert_problem(
        app.get(&bids_path, Some(&app.registrar())).await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    assert_problem(
        app.get(&bids_path, None).await,
        StatusCode::UNAUTHORIZED,
        "missing_token",
    )
    .await;

    // Nor does someone reading the database.
    let rows = bid::Entity::find()
        .filter(bid::Column::TenderId.eq(uuid::Uuid::parse_str(&id).unwrap()))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    for row in &rows {
        let sealed = hex::decode(&row.sealed).unwrap();
        let clear = format!(
            "{:?} {:?} {} {} {:?}",
            row.rfc,
            row.bidder_tag,
            row.status.as_str(),
            row.receipt_sha256,
            row.evaluation_reason
        );
        assert_eq!(row.rfc, None, "who bid is sealed too");
        for secret in [
            "17500.00",
            "18400.00",
            "Acme",
            "garant",
            a.as_str(),
            b.as_str(),
        ] {
            assert!(
                !sealed.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} readable in the sealed column"
            );
            assert!(!clear.contains(secret), "{secret} readable in the row");
        }
        assert!(row.total_centavos.is_none(), "no total before the opening");
    }

    // The deadline closes submission, replacement and withdrawal.
    app.clock.set(at(20));
    assert_problem(
        submit(&app, &id, &b, &bid_body("1.00", "1.00")).await,
        StatusCode::CONFLICT,
        "submission_closed",
    )
    .await;
    let late = app
        .client
        .delete(app.url(&format!(
            "/api/v1/tenders/{id}/bids/{}",
            replaced["bid_id"].as_str().unwrap()
        )))
        .bearer_auth(supplier(&app, &a))
        .send()
        .await
        .unwrap();
    assert_problem(late, StatusCode::CONFLICT, "submission_closed").await;
    let opening = format!("/api/v1/tenders/{id}/opening");
    assert_problem(
        app.post_json(&opening, Some(&officer(&app, "SEP")), &json!({}))
            .await,
        StatusCode::CONFLICT,
        "too_early_to_open",
    )
    .await;

    app.clock.set(at(21));
    assert_problem(
        app.post_json(&opening, Some(&officer(&app, "SSA")), &json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    let opened = json_of(
        app.post_json(&opening, Some(&officer(&app, "SEP")), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(opened["tender"]["phase"], "evaluation");
    let totals: Vec<(&str, &str)> = opened["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["rfc"].as_str().unwrap(), x["total"].as_str().unwrap()))
        .collect();
    assert!(totals.contains(&(a.as_str(), "2103160.00")), "{totals:?}");
    assert!(totals.contains(&(b.as_str(), "2211420.00")), "{totals:?}");
    assert_eq!(
        totals.len(),
        2,
        "withdrawn and replaced bids are not opened"
    );
    assert_problem(
        app.post_json(&opening, Some(&officer(&app, "SEP")), &json!({}))
            .await,
        StatusCode::CONFLICT,
        "not_openable",
    )
    .await;
    let audited = json_of(
        app.get(&bids_path, Some(&app.token(Role::Auditor, "oic", None)))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        audited.to_string().contains("Acme"),
        "auditors read the bids after the opening"
    );

    // Evaluation: every bid, a reason for each refusal.
    let bid_of = |rfc: &str| {
        opened["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rfc"] == rfc)
            .unwrap()["bid_id"]
            .clone()
    };
    let evaluation = format!("/api/v1/tenders/{id}/evaluation");
    let cases = [
        (
            json!({"evaluations": [{"bid_id": bid_of(&a), "qualified": true}]}),
            "evaluation_incomplete",
        ),
        (
            json!({"evaluations": [{"bid_id": bid_of(&a), "qualified": true}, {"bid_id": bid_of(&b), "qualified": false}]}),
            "reason_required",
        ),
        (
            json!({"evaluations": [{"bid_id": bid_of(&a), "qualified": true}, {"bid_id": withdrawn["bid_id"], "qualified": true}]}),
            "unknown_bid",
        ),
    ];
    for (request, code) in cases {
        assert_problem(
            app.post_json(&evaluation, Some(&officer(&app, "SEP")), &request)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    let result = json_of(
        app.post_json(
            &evaluation,
            Some(&officer(&app, "SEP")),
            &json!({"evaluations": [
                {"bid_id": bid_of(&a), "qualified": true},
                {"bid_id": bid_of(&b), "qualified": true},
            ]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["next"], json!(["auction", "award"]));
    assert_problem(
        app.post_json(
            &evaluation,
            Some(&officer(&app, "SEP")),
            &json!({"evaluations": []}),
        )
        .await,
        StatusCode::CONFLICT,
        "not_evaluable",
    )
    .await;
    let events = actions(&app, &id).await;
    for action in [
        "tender.created",
        "tender.published",
        "bid.submitted",
        "bid.replaced",
        "bid.withdrawn",
        "tender.opened",
        "tender.evaluated",
    ] {
        assert!(
            events.iter().any(|e| e == action),
            "{action} missing from {events:?}"
        );
    }
}

async fn bid_refusals_have_their_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("REF010101AB"), "Postor").await;
    let id = published(&app).await;
    for (request, field, code) in [
        (
            bid_body("18500.01", "80.00"),
            "prices[0].unit_price",
            "above_max_price",
        ),
        (
            json!({"prices": [{"position": 1, "unit_price": "1.00"}], "technical_offer": "x"}),
            "prices",
            "incomplete_lot",
        ),
        (
            json!({"prices": [{"position": 1, "unit_price": "1.00"}, {"position": 3, "unit_price": "1.00"}], "technical_offer": "x"}),
            "prices[1].position",
            "bid_items_mismatch",
        ),
        (
            json!({"prices": [{"position": 1, "unit_price": 1.0}, {"position": 2, "unit_price": "1.00"}], "technical_offer": "x"}),
            "prices[0].unit_price",
            "invalid_body",
        ),
        (
            json!({"prices": [{"position": 1, "unit_price": "1"}, {"position": 2, "unit_price": "1"}], "technical_offer": ""}),
            "technical_offer",
            "invalid_technical_offer",
        ),
        (
            json!({"prices": [{"position": 1, "unit_price": "1"}, {"position": 2, "unit_price": "1"}], "technical_offer": "x", "document_sha256": "abc"}),
            "document_sha256",
            "invalid_document_hash",
        ),
    ] {
        let problem = assert_problem(
            submit(&app, &id, &a, &request).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
        assert_eq!(problem["fields"][0]["field"], field, "{problem}");
    }
    assert_problem(
        submit(&app, &id, &rfc("NOR010101AB"), &bid_body("1", "1")).await,
        StatusCode::FORBIDDEN,
        "supplier_not_registered",
    )
    .await;
    let sanction = json!({"authority": "SABG", "reference": "EXP-2", "reason": "Motivo", "starts_on": "2026-01-01", "ends_on": "2027-01-01"});
    let banned = app
        .register_supplier(&rfc("BAN010101AB"), "Sancionada")
        .await;
    json_of(
        app.post_json(
            &format!("/api/v1/suppliers/{banned}/sanctions"),
            Some(&app.registrar()),
            &sanction,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_problem(
        submit(&app, &id, &banned, &bid_body("1", "1")).await,
        StatusCode::CONFLICT,
        "supplier_sanctioned",
    )
    .await;
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{id}/bids"),
            Some(&officer(&app, "SEP")),
            &bid_body("1", "1"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    assert_problem(
        submit(
            &app,
            &uuid::Uuid::now_v7().to_string(),
            &a,
            &bid_body("1", "1"),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A draft takes no bids: to a supplier it does not exist.
    let draft = create(&app, "SEP", &body()).await;
    assert_problem(
        submit(&app, draft["id"].as_str().unwrap(), &a, &bid_body("1", "1")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let rows = bid::Entity::find().all(&app.db).await.unwrap();
    assert!(rows.is_empty(), "no refused bid was stored");
}

async fn a_tender_without_bids_or_qualified_bids_is_deserted(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = published(&app).await;
    app.clock.set(at(21));
    let opened = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/opening"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(opened["tender"]["phase"], "deserted");
    assert_eq!(opened["bids"], json!([]));

    let a = app.register_supplier(&rfc("DES010101AB"), "Única").await;
    let id = published(&app).await;
    app.clock.set(at(10));
    json_of(
        submit(&app, &id, &a, &bid_body("100.00", "10.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    let opened = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/opening"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let bid_id = opened["bids"][0]["bid_id"].clone();
    let result = json_of(
        app.post_json(&format!("/api/v1/tenders/{id}/evaluation"), Some(&officer(&app, "SEP")), &json!({"evaluations": [{"bid_id": bid_id, "qualified": false, "reason": "No acredita la experiencia requerida."}]})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["tender"]["phase"], "deserted");
    assert_eq!(result["next"], json!([]));
    assert_eq!(
        result["bids"][0]["evaluation_reason"],
        "No acredita la experiencia requerida."
    );
}

async fn a_tender_is_cancelled_with_its_reason_until_the_award(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("CAN010101AB"), "Postor").await;
    let id = published(&app).await;
    let cancel = format!("/api/v1/tenders/{id}/cancel");
    assert_problem(
        app.post_json(&cancel, Some(&officer(&app, "SEP")), &json!({"reason": ""}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_reason",
    )
    .await;
    assert_problem(
        app.post_json(
            &cancel,
            Some(&officer(&app, "SSA")),
            &json!({"reason": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    let cancelled = json_of(
        app.post_json(
            &cancel,
            Some(&officer(&app, "SEP")),
            &json!({"reason": "Caso fortuito: cambió la necesidad."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["phase"], "cancelled");
    assert_eq!(
        cancelled["cancel_reason"],
        "Caso fortuito: cambió la necesidad."
    );
    assert_problem(
        app.post_json(
            &cancel,
            Some(&officer(&app, "SEP")),
            &json!({"reason": "otra vez"}),
        )
        .await,
        StatusCode::CONFLICT,
        "not_cancellable",
    )
    .await;
    assert_problem(
        submit(&app, &id, &a, &bid_body("1", "1")).await,
        StatusCode::CONFLICT,
        "submission_closed",
    )
    .await;
    assert_eq!(
        actions(&app, &id).await,
        ["tender.created", "tender.published", "tender.cancelled"]
    );
}

async fn an_invitation_admits_only_the_invited(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut invited = Vec::new();
    for body in ["INA010101AB", "INB010101AB", "INC010101AB"] {
        invited.push(app.register_supplier(&rfc(body), "Invitada").await);
    }
    let outsider = app
        .register_supplier(&rfc("OUT010101AB"), "No invitada")
        .await;
    app.clock.set(at(0));
    let mut request = body();
    request["procedure"] = json!("invitation");
    request["invited_suppliers"] = json!(invited);
    request["schedule"]["clarifications_until"] = json!(at(1));
    request["schedule"]["submission_deadline"] = json!(at(7));
    request["schedule"]["opening_at"] = json!(at(7));
    let id = create(&app, "SEP", &request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    // The OCDS release names the invited suppliers, each an `invited` bid.
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    let details = record["records"][0]["compiledRelease"]["bids"]["details"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(details.len(), 3, "{record}");
    for (detail, rfc) in details.iter().zip(&invited) {
        assert_eq!(detail["status"], "invited");
        assert_eq!(detail["tenderers"][0]["id"], format!("MX-RFC-{rfc}"));
    }
    json_of(
        submit(&app, &id, &invited[0], &bid_body("100", "10")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_problem(
        submit(&app, &id, &outsider, &bid_body("100", "10")).await,
        StatusCode::FORBIDDEN,
        "not_invited",
    )
    .await;
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{id}/questions"),
            Some(&supplier(&app, &outsider)),
            &json!({"question": "¿Puedo?"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_invited",
    )
    .await;
}

async fn a_direct_award_runs_with_its_one_supplier_to_the_award_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let chosen = app
        .register_supplier(&rfc("DIR010101AB"), "Proveedor único")
        .await;
    let other = app.register_supplier(&rfc("OTR010101AB"), "Otro").await;
    app.clock.set(at(0));
    let mut request = body();
    request["procedure"] = json!("direct_award");
    request["invited_suppliers"] = json!([chosen]);
    request["legal_justification"] =
        json!("Artículo 41, fracción I: titular exclusivo de la patente.");
    request["schedule"] =
        json!({"clarifications_until": at(1), "submission_deadline": at(7), "opening_at": at(7)});
    let id = create(&app, "SEP", &request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    assert_eq!(
        published["legal_justification"],
        "Artículo 41, fracción I: titular exclusivo de la patente."
    );
    assert_eq!(published["invited_suppliers"], json!([chosen]));
    app.clock.set(at(2));
    assert_problem(
        submit(&app, &id, &other, &bid_body("100", "10")).await,
        StatusCode::FORBIDDEN,
        "not_invited",
    )
    .await;
    json_of(
        submit(&app, &id, &chosen, &bid_body("18000.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(7));
    let opened = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/opening"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let bid_id = opened["bids"][0]["bid_id"].clone();
    let result = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/evaluation"),
            Some(&officer(&app, "SEP")),
            &json!({"evaluations": [{"bid_id": bid_id, "qualified": true}]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        result["next"],
        json!(["award"]),
        "one qualified bid goes straight to the award"
    );
    assert_eq!(result["tender"]["phase"], "evaluation");
    // A direct award's feed validates, with its legal justification as the rationale.
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    let compiled = &record["records"][0]["compiledRelease"];
    assert_eq!(compiled["tender"]["procurementMethod"], "direct");
    assert!(compiled["tender"]["procurementMethodRationale"].is_string());
}

async fn a_framework_order_needs_its_framework_contract(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    let mut request = body();
    request["procedure"] = json!("framework_order");
    let id = create(&app, "SEP", &request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let problem = assert_problem(
        publish(&app, "SEP", &id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "framework_contract_required",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "framework_contract_id");
}

async fn out_of_range_input_is_refused_never_a_500(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(at(0));
    // A validly signed officer token for an agency nobody registered.
    assert_problem(
        app.post_json("/api/v1/tenders", Some(&officer(&app, "NOEXISTE")), &body())
            .await,
        StatusCode::FORBIDDEN,
        "agency_not_registered",
    )
    .await;
    let mut ancient = body();
    ancient["schedule"]["clarifications_until"] = json!("0100-01-01T00:00:00Z");
    let problem = assert_problem(
        app.post_json("/api/v1/tenders", Some(&officer(&app, "SEP")), &ancient)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_date",
    )
    .await;
    assert_eq!(
        problem["fields"][0]["field"],
        "schedule.clarifications_until"
    );
    // A control character in an evaluation reason.
    let a = app.register_supplier(&rfc("NUL010101AB"), "Postor").await;
    let id = published(&app).await;
    app.clock.set(at(8));
    json_of(
        submit(&app, &id, &a, &bid_body("100.00", "10.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    let opened = open(&app, &id).await;
    let problem = assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{id}/evaluation"),
            Some(&officer(&app, "SEP")),
            &json!({"evaluations": [{"bid_id": opened["bids"][0]["bid_id"], "qualified": false, "reason": "mal\u{0}formado"}]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_reason",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "evaluations[0].reason");
}

async fn every_state_change_records_who_when_and_the_phases_before_and_after(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("AUD010101AB"), "Postor").await;
    let sep = "oficial-SEP";

    // Published, opened, evaluated and awarded, each on its own day.
    let id = published(&app).await;
    app.clock.set(at(8));
    json_of(
        submit(&app, &id, &a, &bid_body("17500.00", "79.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    let opened = open(&app, &id).await;
    app.clock.set(at(22));
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/evaluation"),
            Some(&officer(&app, "SEP")),
            &json!({"evaluations": [{"bid_id": opened["bids"][0]["bid_id"], "qualified": true}]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    app.clock.set(at(23));
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
    assert_eq!(
        changes(&app, &id).await,
        [
            change("tender.published", sep, 0, "draft", "clarification"),
            change("tender.opened", sep, 21, "evaluation", "evaluation"),
            change("tender.evaluated", sep, 22, "evaluation", "evaluation"),
            change("tender.awarded", sep, 23, "evaluation", "awarded"),
        ]
    );

    // Opened without bids: deserted.
    let empty = published(&app).await;
    app.clock.set(at(21));
    open(&app, &empty).await;
    assert_eq!(
        changes(&app, &empty).await,
        [
            change("tender.published", sep, 0, "draft", "clarification"),
            change("tender.opened", sep, 21, "evaluation", "deserted"),
        ]
    );

    // Cancelled from the phase it was in: a draft, in submission, after the opening.
    let cancel = |id: String, day: i64| {
        let app = &app;
        async move {
            app.clock.set(at(day));
            json_of(
                app.post_json(
                    &format!("/api/v1/tenders/{id}/cancel"),
                    Some(&officer(app, "SEP")),
                    &json!({"reason": "Cambió la necesidad del área requirente."}),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            changes(app, &id).await.pop().unwrap()
        }
    };
    app.clock.set(at(0));
    let draft = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        cancel(draft, 1).await,
        change("tender.cancelled", sep, 1, "draft", "cancelled")
    );
    let in_submission = published(&app).await;
    assert_eq!(
        cancel(in_submission, 10).await,
        change("tender.cancelled", sep, 10, "submission", "cancelled")
    );
    let after_opening = published(&app).await;
    app.clock.set(at(9));
    json_of(
        submit(&app, &after_opening, &a, &bid_body("17500.00", "79.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    open(&app, &after_opening).await;
    assert_eq!(
        cancel(after_opening, 24).await,
        change("tender.cancelled", sep, 24, "evaluation", "cancelled")
    );
}

async fn withdraw(app: &TestApp, id: &str, bid_id: &Value, rfc: &str) -> reqwest::Response {
    app.client
        .delete(app.url(&format!(
            "/api/v1/tenders/{id}/bids/{}",
            bid_id.as_str().unwrap()
        )))
        .bearer_auth(supplier(app, rfc))
        .send()
        .await
        .unwrap()
}

/// The statuses of a supplier's bids in a tender, as it lists them.
async fn own_statuses(app: &TestApp, id: &str, rfc: &str) -> Vec<(Value, Value)> {
    let own = json_of(
        app.get(
            &format!("/api/v1/tenders/{id}/bids"),
            Some(&supplier(app, rfc)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    own.as_array()
        .unwrap()
        .iter()
        .map(|b| (b["bid_id"].clone(), b["status"].clone()))
        .collect()
}

async fn a_bid_is_withdrawn_once_and_only_by_its_supplier(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("WDA010101AB"), "Postor A").await;
    let b = app.register_supplier(&rfc("WDB010101AB"), "Postor B").await;
    let id = published(&app).await;
    app.clock.set(at(8));
    let first = json_of(
        submit(&app, &id, &a, &bid_body("18000.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    let live = json_of(
        submit(&app, &id, &a, &bid_body("17500.00", "79.00")).await,
        StatusCode::CREATED,
    )
    .await;

    // Another supplier's bid does not exist for it, and stays live.
    assert_problem(
        withdraw(&app, &id, &live["bid_id"], &b).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        own_statuses(&app, &id, &a).await,
        [
            (first["bid_id"].clone(), json!("replaced")),
            (live["bid_id"].clone(), json!("live")),
        ]
    );

    // A replaced bid, or one withdrawn already, is not live.
    assert_problem(
        withdraw(&app, &id, &first["bid_id"], &a).await,
        StatusCode::CONFLICT,
        "bid_not_live",
    )
    .await;
    let withdrawn = json_of(
        withdraw(&app, &id, &live["bid_id"], &a).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_problem(
        withdraw(&app, &id, &live["bid_id"], &a).await,
        StatusCode::CONFLICT,
        "bid_not_live",
    )
    .await;
    assert_eq!(
        actions(&app, &id)
            .await
            .iter()
            .filter(|a| *a == "bid.withdrawn")
            .count(),
        1,
        "one withdrawal recorded"
    );
}

async fn the_evaluation_is_refused_before_the_opening_and_to_another_agency(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("EVA010101AB"), "Postor").await;
    let id = published(&app).await;
    app.clock.set(at(8));
    let sent = json_of(
        submit(&app, &id, &a, &bid_body("17500.00", "79.00")).await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/api/v1/tenders/{id}/evaluation");
    let request = json!({"evaluations": [{"bid_id": sent["bid_id"], "qualified": true}]});
    // Before the opening: during submission, and after the deadline but not yet opened.
    for day in [8, 21] {
        app.clock.set(at(day));
        assert_problem(
            app.post_json(&path, Some(&officer(&app, "SEP")), &request)
                .await,
            StatusCode::CONFLICT,
            "not_evaluable",
        )
        .await;
    }

    let opened = open(&app, &id).await;
    let request =
        json!({"evaluations": [{"bid_id": opened["bids"][0]["bid_id"], "qualified": true}]});
    assert_problem(
        app.post_json(&path, Some(&officer(&app, "SSA")), &request)
            .await,
        StatusCode::FORBIDDEN,
        "not_your_agency",
    )
    .await;
    assert_problem(
        app.post_json(
            &path,
            Some(&app.token(Role::Auditor, "oic", None)),
            &request,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    let tender = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tender["phase"], "evaluation");
    assert!(
        !actions(&app, &id)
            .await
            .contains(&"tender.evaluated".to_owned()),
        "nothing was evaluated"
    );
    // Its own agency still can.
    json_of(
        app.post_json(&path, Some(&officer(&app, "SEP")), &request)
            .await,
        StatusCode::OK,
    )
    .await;
}

async fn an_answer_needs_its_text_and_a_question_of_this_tender(backend: Backend) {
    let app = spawn_app(backend).await;
    let asker = app
        .register_supplier(&rfc("ANS010101AB"), "Preguntona")
        .await;
    let id = published(&app).await;
    let other = published(&app).await;
    let question = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/questions"),
            Some(&supplier(&app, &asker)),
            &json!({"question": "¿Se aceptan entregas parciales?"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let question_id = question["id"].as_str().unwrap();
    let sep = officer(&app, "SEP");
    for answer in ["", "   "] {
        let problem = assert_problem(
            app.post_json(
                &format!("/api/v1/tenders/{id}/questions/{question_id}/answer"),
                Some(&sep),
                &json!({"answer": answer}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_answer",
        )
        .await;
        assert_eq!(problem["fields"][0]["field"], "answer", "{problem}");
    }
    for path in [
        format!(
            "/api/v1/tenders/{id}/questions/{}/answer",
            uuid::Uuid::now_v7()
        ),
        format!("/api/v1/tenders/{other}/questions/{question_id}/answer"),
        format!("/api/v1/tenders/{id}/questions/not-a-uuid/answer"),
    ] {
        assert_problem(
            app.post_json(&path, Some(&sep), &json!({"answer": "Sí."}))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let listed = json_of(
        app.get(&format!("/api/v1/tenders/{id}/questions"), Some(&sep))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(listed[0]["answer"].is_null(), "still unanswered: {listed}");
    assert!(
        !actions(&app, &id)
            .await
            .contains(&"tender.question_answered".to_owned())
    );
}

async fn bids_stay_sealed_before_the_opening_even_when_the_tender_is_cancelled(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("SEA010101AB"), "Postor A").await;
    let b = app.register_supplier(&rfc("SEB010101AB"), "Postor B").await;
    let id = published(&app).await;
    app.clock.set(at(8));
    for (rfc, laptop) in [(&a, "17500.00"), (&b, "18400.00")] {
        json_of(
            submit(&app, &id, rfc, &bid_body(laptop, "79.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }
    let bids_path = format!("/api/v1/tenders/{id}/bids");
    let sealed_to_staff = |moment: &'static str| {
        let app = &app;
        let (a, b, bids_path) = (&a, &b, &bids_path);
        async move {
            for token in [officer(app, "SEP"), app.token(Role::Auditor, "oic", None)] {
                let seen = json_of(app.get(bids_path, Some(&token)).await, StatusCode::OK).await;
                assert_eq!(seen.as_array().unwrap().len(), 2, "{moment}: {seen}");
                let text = seen.to_string();
                for secret in ["17500", "18400", "79.00", "Acme", "receipt", "total", a, b] {
                    assert!(!text.contains(secret), "{moment}: {secret} leaked: {text}");
                }
            }
            for token in [app.token(Role::IctAuthority, "ugd", None), app.registrar()] {
                assert_problem(
                    app.get(bids_path, Some(&token)).await,
                    StatusCode::FORBIDDEN,
                    "forbidden_role",
                )
                .await;
            }
        }
    };
    sealed_to_staff("before the opening").await;

    app.clock.set(at(15));
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/cancel"),
            Some(&officer(&app, "SEP")),
            &json!({"reason": "La partida presupuestal fue cancelada."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    sealed_to_staff("cancelled before the opening").await;
    // A cancelled tender is never opened, so its bids stay sealed for good.
    app.clock.set(at(21));
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{id}/opening"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "not_openable",
    )
    .await;
    sealed_to_staff("after the opening time").await;
    // Each bidder still reads its own.
    let own = json_of(
        app.get(&bids_path, Some(&supplier(&app, &a))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(own[0]["prices"][0]["unit_price"], "17500.00");
    assert!(!own.to_string().contains("18400"));
}
