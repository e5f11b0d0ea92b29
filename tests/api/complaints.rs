//! Complaints (inconformidades) through HTTP: filed by a bidder against an award, admitted
//! with a suspension (the contract is refused meanwhile), upheld, and the lot awarded again
//! to the next eligible bid; against the conditions, the tender back to draft; late ones,
//! strangers' and closed ones refused; every step in the public list.

use licita::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, json_of, rfc, spawn_app};
use crate::on_both_databases;
use crate::tenders::{
    actions, at, bid_body, body, create, officer, open_and_qualify_all, publish, submit, supplier,
};

on_both_databases!(
    an_upheld_complaint_against_an_award_gives_the_lot_to_the_next_bid,
    an_upheld_complaint_against_the_conditions_sends_the_tender_back_to_draft,
    complaints_out_of_time_by_strangers_or_closed_are_refused,
    a_suspension_ends_with_its_complaint_and_an_award_is_annulled_once,
    upheld_against_the_evaluation_or_the_opening_that_act_is_done_again,
);

crate::on_every_engine!(an_award_complaint_pauses_the_auction_of_another_lot_until_resolved);

fn auditor(app: &TestApp) -> String {
    app.token(Role::Auditor, "oic-sep", None)
}

fn complaint(act: &str) -> Value {
    json!({
        "act": act,
        "title": "Inconformidad contra el fallo",
        "facts": "La propuesta ganadora no cumple la especificación técnica 3.2 de las bases.",
        "request": "Que se anule el fallo y se adjudique a la siguiente propuesta solvente.",
    })
}

async fn file(app: &TestApp, tender: &str, who: &str, body: &Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{tender}/complaints"),
        Some(&supplier(app, who)),
        body,
    )
    .await
}

async fn step(app: &TestApp, id: &str, what: &str, body: &Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/complaints/{id}/{what}"),
        Some(&auditor(app)),
        body,
    )
    .await
}

/// The tender's OCDS record, validated with the extensions it declares; its compiled
/// release's complaints: the tender's, then each award's (an award complaint is published
/// with the award it contests, named by `awardID` here).
async fn ocds_complaints(app: &TestApp, tender: &str) -> Vec<Value> {
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{tender}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    crate::ocds::OcdsSchemas::load().record_package(&record);
    assert!(
        record["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("ocds_complaint_extension")),
        "{}",
        record["extensions"]
    );
    let compiled = &record["records"][0]["compiledRelease"];
    let mut all = compiled["tender"]["complaints"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for award in compiled["awards"].as_array().into_iter().flatten() {
        for c in award["complaints"].as_array().into_iter().flatten() {
            let mut c = c.clone();
            c["awardID"] = award["id"].clone();
            all.push(c);
        }
    }
    all
}

/// Admits complaint `id` (no suspension) and upholds it with `resolution`: the resolved
/// complaint.
async fn admitted_and_upheld(app: &TestApp, id: &str, resolution: &str) -> Value {
    json_of(step(app, id, "admission", &json!({})).await, StatusCode::OK).await;
    json_of(
        step(
            app,
            id,
            "resolution",
            &json!({"outcome": "upheld", "resolution": resolution}),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

async fn public(app: &TestApp, tender: &str) -> Vec<Value> {
    app.collect_pages(&format!("/public/v1/complaints?tender={tender}"), None)
        .await
}

/// A published tender (one lot) with sealed bids from A (17,000.00 a laptop) and B
/// (17,200.00), opened and qualified at day 21.
async fn evaluated(app: &TestApp) -> (String, String, String) {
    let a = app.register_supplier(&rfc("ACM010101AB"), "Acme").await;
    let b = app.register_supplier(&rfc("BET020202CD"), "Beta").await;
    app.clock.set(at(0));
    let id = create(app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(app, "SEP", &id).await, StatusCode::OK).await;
    app.clock.set(at(8));
    for (who, laptop) in [(&a, "17000.00"), (&b, "17200.00")] {
        json_of(
            submit(app, &id, who, &bid_body(laptop, "80.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    open_and_qualify_all(app, &id).await;
    (id, a, b)
}

/// Evaluates every opened bid: qualified, but `disqualify`'s.
async fn evaluate(
    app: &TestApp,
    id: &str,
    opened: &Value,
    disqualify: Option<&str>,
) -> reqwest::Response {
    let evaluations: Vec<Value> = opened["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| match disqualify {
            Some(rfc) if x["rfc"] == rfc => {
                json!({"bid_id": x["bid_id"], "qualified": false, "reason": "Sin anexo técnico."})
            }
            _ => json!({"bid_id": x["bid_id"], "qualified": true}),
        })
        .collect();
    app.post_json(
        &format!("/api/v1/tenders/{id}/evaluation"),
        Some(&officer(app, "SEP")),
        &json!({"evaluations": evaluations}),
    )
    .await
}

async fn cancel(app: &TestApp, id: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{id}/cancel"),
        Some(&officer(app, "SEP")),
        &json!({"reason": "Ya no se requiere el equipo."}),
    )
    .await
}

async fn award(app: &TestApp, id: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/tenders/{id}/award"),
        Some(&officer(app, "SEP")),
        &json!({}),
    )
    .await
}

async fn an_upheld_complaint_against_an_award_gives_the_lot_to_the_next_bid(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, a, b) = evaluated(&app).await;
    let awarded = json_of(award(&app, &id).await, StatusCode::OK).await;
    assert_eq!(awarded["award"]["rfc"], a.as_str());

    // B, who bid, contests the award.
    app.clock.set(at(22));
    let filed = json_of(
        file(&app, &id, &b, &complaint("award")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(filed["status"], "filed");
    assert_eq!(filed["lot"], 1);
    let cid = filed["id"].as_str().unwrap().to_owned();
    // The public sees that it exists, not what it says nor who filed it.
    let listed = public(&app, &id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "filed");
    assert_eq!(listed[0]["act"], "award");
    assert!(listed[0]["title"].is_null() && listed[0]["complainant_rfc"].is_null());
    let published = ocds_complaints(&app, &id).await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["status"], "pending");
    assert_eq!(published[0]["relatedLot"], "1");
    assert!(
        published[0]["awardID"].is_string(),
        "published with the award it contests (the only one): {}",
        published[0]
    );
    assert!(published[0]["title"].is_null(), "{}", published[0]);
    assert!(
        !published[0].to_string().contains(b.as_str()),
        "the complainant is not named before the resolution: {}",
        published[0]
    );
    // Its parties and the auditor read it in full; another supplier does not.
    for token in [supplier(&app, &b), officer(&app, "SEP"), auditor(&app)] {
        let read = json_of(
            app.get(&format!("/api/v1/complaints/{cid}"), Some(&token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(read["facts"], filed["facts"]);
    }
    assert_problem(
        app.get(
            &format!("/api/v1/complaints/{cid}"),
            Some(&supplier(&app, &a)),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Only an auditor admits; admitted with a suspension, the contract is refused.
    assert_problem(
        app.post_json(
            &format!("/api/v1/complaints/{cid}/admission"),
            Some(&officer(&app, "SEP")),
            &json!({"suspend": true}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden_role",
    )
    .await;
    let admitted = json_of(
        step(&app, &cid, "admission", &json!({"suspend": true})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(admitted["status"], "admitted");
    assert_eq!(admitted["suspension_in_force"], true);
    let view = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["suspended_by"], cid.as_str());
    assert_eq!(view["complaints"][0]["suspension_in_force"], true);
    let terms = json!({"amount": awarded["award"]["amount"], "signed_on": "2026-03-24",
                       "starts_on": "2026-04-01", "ends_on": "2026-12-31"});
    assert_problem(
        app.post_json(
            &format!("/api/v1/tenders/{id}/contract"),
            Some(&officer(&app, "SEP")),
            &terms,
        )
        .await,
        StatusCode::CONFLICT,
        "tender_suspended",
    )
    .await;

    // Upheld: the award is annulled, A's bid disqualified in the lot, and B wins it.
    let resolved = json_of(
        step(
            &app,
            &cid,
            "resolution",
            &json!({"outcome": "upheld", "resolution": "Se acredita el incumplimiento de la especificación 3.2."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resolved["status"], "upheld");
    assert_eq!(resolved["suspension_in_force"], false);
    assert!(resolved["effects"].as_str().unwrap().contains("annulled"));
    let tender = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tender["phase"], "evaluation", "{tender}");
    assert!(tender["award"].is_null(), "{tender}");
    let again = json_of(award(&app, &id).await, StatusCode::OK).await;
    assert_eq!(
        again["award"]["rfc"],
        b.as_str(),
        "the next eligible bid wins"
    );
    assert_eq!(again["award"]["amount"], "2067200.00");
    let rows: Vec<Value> = app
        .collect_pages("/public/v1/awards", None)
        .await
        .into_iter()
        .filter(|r| r["tender"]["id"] == id.as_str())
        .collect();
    assert_eq!(rows.len(), 1, "the annulled award is no longer listed");
    assert_eq!(rows[0]["supplier"]["rfc"], b.as_str());
    // The contract follows, the suspension over.
    let mut terms = terms.clone();
    terms["amount"] = json!("2067200.00");
    json_of(
        app.post_json(
            &format!("/api/v1/tenders/{id}/contract"),
            Some(&officer(&app, "SEP")),
            &terms,
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // Resolved, it is public whole: who filed it, what it said, the resolution.
    let listed = public(&app, &id).await;
    assert_eq!(listed[0]["status"], "upheld");
    assert_eq!(listed[0]["complainant_rfc"], b.as_str());
    assert_eq!(listed[0]["decision"], resolved["decision"]);
    let published = ocds_complaints(&app, &id).await;
    assert_eq!(published[0]["status"], "resolved");
    assert_eq!(published[0]["satisfied"], true);
    assert_eq!(published[0]["author"]["identifier"]["id"], b.as_str());
    assert_eq!(published[0]["decision"], resolved["decision"]);
    let record = json_of(
        app.get(&format!("/public/v1/records/ocds-licita-{id}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    let awards: Vec<(String, String)> = record["records"][0]["compiledRelease"]["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["status"].as_str().unwrap().to_owned(),
                x["suppliers"][0]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(awards.len(), 2, "{awards:?}");
    assert!(
        awards[0].0 == "cancelled" && awards[0].1.ends_with(&a),
        "the annulled award stays in the record, cancelled: {awards:?}"
    );
    assert!(
        awards[1].0 == "active" && awards[1].1.ends_with(&b),
        "{awards:?}"
    );
    // The tender's view lists it, as the public may know of it.
    let view = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["complaints"][0]["id"], cid.as_str());
    assert_eq!(view["complaints"][0]["status"], "upheld");
    assert!(view["suspended_by"].is_null());
    let csv = app
        .client
        .get(app.url(&format!("/public/v1/complaints?tender={id}")))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("complaint_id,tender_id,agency,act,lot,status"),
        "{csv}"
    );
    assert!(csv.contains(&cid) && csv.contains("upheld"), "{csv}");
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("licita_complaints{status=\"upheld\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("licita_complaint_decision_seconds_count{outcome=\"upheld\"} 1"),
        "{metrics}"
    );
    let log = actions(&app, &id).await;
    for action in [
        "complaint.filed",
        "complaint.admitted",
        "complaint.resolved",
        "tender.award_annulled",
    ] {
        assert!(log.contains(&action.to_owned()), "{action} in {log:?}");
    }
}

async fn an_upheld_complaint_against_the_conditions_sends_the_tender_back_to_draft(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let c = app.register_supplier(&rfc("CEN030303EF"), "Centro").await;
    app.clock.set(at(0));
    let request = body();
    let id = create(&app, "SEP", &request).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    app.clock.set(at(3));
    // Any registered supplier contests the conditions, until the submission deadline.
    let filed = json_of(
        file(&app, &id, &c, &complaint("conditions")).await,
        StatusCode::CREATED,
    )
    .await;
    let cid = filed["id"].as_str().unwrap().to_owned();
    json_of(
        submit(&app, &id, &c, &bid_body("17000.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    let resolved =
        admitted_and_upheld(&app, &cid, "Las bases exigen una marca: deben corregirse.").await;
    assert!(resolved["effects"].as_str().unwrap().contains("draft"));
    let tender = json_of(
        app.get(
            &format!("/api/v1/tenders/{id}"),
            Some(&officer(&app, "SEP")),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tender["phase"], "draft", "{tender}");
    // The officer amends and republishes; the bid that answered the old conditions is gone.
    let amended = app
        .client
        .put(app.url(&format!("/api/v1/tenders/{id}")))
        .bearer_auth(officer(&app, "SEP"))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(amended.status(), StatusCode::OK);
    app.clock.set(at(4));
    let mut later = request.clone();
    later["schedule"]["clarifications_until"] = json!(at(10));
    json_of(
        app.client
            .put(app.url(&format!("/api/v1/tenders/{id}")))
            .bearer_auth(officer(&app, "SEP"))
            .json(&later)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    let own = json_of(
        app.get(
            &format!("/api/v1/tenders/{id}/bids"),
            Some(&supplier(&app, &c)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        own.as_array()
            .unwrap()
            .iter()
            .all(|b| b["status"] == "withdrawn"),
        "{own}"
    );
    assert!(
        actions(&app, &id)
            .await
            .contains(&"tender.returned_to_draft".to_owned())
    );
}

async fn complaints_out_of_time_by_strangers_or_closed_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, a, b) = evaluated(&app).await;
    let stranger = app.register_supplier(&rfc("OTR010101AB"), "Otra").await;
    // An award that has not happened can't be contested.
    assert_problem(
        file(&app, &id, &b, &complaint("award")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "act_not_happened",
    )
    .await;
    json_of(award(&app, &id).await, StatusCode::OK).await;
    // A supplier that did not bid has no standing; the conditions are closed after the
    // deadline; bad text names its field.
    assert_problem(
        file(&app, &id, &stranger, &complaint("award")).await,
        StatusCode::FORBIDDEN,
        "no_standing",
    )
    .await;
    assert_problem(
        file(&app, &id, &stranger, &complaint("conditions")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "complaint_out_of_time",
    )
    .await;
    let mut empty = complaint("award");
    empty["facts"] = json!("  ");
    let problem = assert_problem(
        file(&app, &id, &b, &empty).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_complaint",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "facts");
    // Six business days after the award (Monday 23 March): until Tuesday 31 March.
    app.clock.set(at(29));
    let filed = json_of(
        file(&app, &id, &b, &complaint("award")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(30));
    assert_problem(
        file(&app, &id, &b, &complaint("award")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "complaint_out_of_time",
    )
    .await;
    let cid = filed["id"].as_str().unwrap().to_owned();
    // A filed complaint is admitted or rejected before it is resolved.
    assert_problem(
        step(
            &app,
            &cid,
            "resolution",
            &json!({"outcome": "dismissed", "resolution": "Infundada."}),
        )
        .await,
        StatusCode::CONFLICT,
        "complaint_step_not_allowed",
    )
    .await;
    // Only its complainant withdraws it; withdrawn, it can't be resolved nor withdrawn again.
    assert_problem(
        app.post_json(
            &format!("/api/v1/complaints/{cid}/withdrawal"),
            Some(&supplier(&app, &a)),
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let withdrawn = json_of(
        app.post_json(
            &format!("/api/v1/complaints/{cid}/withdrawal"),
            Some(&supplier(&app, &b)),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_problem(
        step(&app, &cid, "admission", &json!({})).await,
        StatusCode::CONFLICT,
        "complaint_step_not_allowed",
    )
    .await;
    assert_problem(
        app.post_json(
            &format!("/api/v1/complaints/{cid}/withdrawal"),
            Some(&supplier(&app, &b)),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "complaint_closed",
    )
    .await;
    // A rejection takes a reason from the list; the public list shows it, by status.
    app.clock.set(at(24));
    let second = json_of(
        file(&app, &id, &b, &complaint("evaluation")).await,
        StatusCode::CREATED,
    )
    .await;
    let rejected = json_of(
        step(
            &app,
            second["id"].as_str().unwrap(),
            "rejection",
            &json!({"reason": "incomplete", "text": "No señala los hechos de la evaluación que impugna."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rejected["rejection_reason"], "incomplete");
    let listed = app
        .collect_pages(
            &format!("/public/v1/complaints?tender={id}&status=rejected"),
            None,
        )
        .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["rejection_reason"], "incomplete");
    assert_problem(
        app.get("/public/v1/complaints?status=pending", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
}

async fn a_suspension_ends_with_its_complaint_and_an_award_is_annulled_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, a, b) = evaluated(&app).await;
    json_of(award(&app, &id).await, StatusCode::OK).await;
    app.clock.set(at(22));
    // A lot is named only for an award.
    let mut with_lot = complaint("evaluation");
    with_lot["lot"] = json!(1);
    let problem = assert_problem(
        file(&app, &id, &b, &with_lot).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_complaint",
    )
    .await;
    assert_eq!(problem["fields"][0]["field"], "lot");
    // B also contests the evaluation, admitted without a suspension.
    let evaluation = json_of(
        file(&app, &id, &b, &complaint("evaluation")).await,
        StatusCode::CREATED,
    )
    .await;
    let evaluation = evaluation["id"].as_str().unwrap().to_owned();
    json_of(
        step(&app, &evaluation, "admission", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    // Two complaints contest A's award; the first suspends the tender.
    let first = json_of(
        file(&app, &id, &b, &complaint("award")).await,
        StatusCode::CREATED,
    )
    .await;
    let second = json_of(
        file(&app, &id, &b, &complaint("award")).await,
        StatusCode::CREATED,
    )
    .await;
    let (first, second) = (
        first["id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    );
    for cid in [&first, &second] {
        json_of(
            step(&app, cid, "admission", &json!({"suspend": true})).await,
            StatusCode::OK,
        )
        .await;
    }
    assert_problem(
        cancel(&app, &id).await,
        StatusCode::CONFLICT,
        "tender_suspended",
    )
    .await;
    // Withdrawn while admitted, the first can't be resolved; the second's suspension holds.
    json_of(
        app.post_json(
            &format!("/api/v1/complaints/{first}/withdrawal"),
            Some(&supplier(&app, &b)),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        step(
            &app,
            &first,
            "resolution",
            &json!({"outcome": "upheld", "resolution": "Fundada."}),
        )
        .await,
        StatusCode::CONFLICT,
        "complaint_step_not_allowed",
    )
    .await;
    let view = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["suspended_by"], second.as_str(), "{view}");
    assert_problem(
        cancel(&app, &id).await,
        StatusCode::CONFLICT,
        "tender_suspended",
    )
    .await;
    // Lifted early, the tender goes on; lifting twice is refused.
    json_of(
        step(&app, &second, "suspension-lift", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        step(&app, &second, "suspension-lift", &json!({})).await,
        StatusCode::CONFLICT,
        "not_suspended",
    )
    .await;
    let view = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert!(view["suspended_by"].is_null(), "{view}");
    // Upheld, A's award is annulled and B's won; a third complaint against A's (old) award,
    // filed and upheld later, annuls nothing of B's.
    let third = json_of(
        file(&app, &id, &b, &complaint("award")).await,
        StatusCode::CREATED,
    )
    .await;
    let third = third["id"].as_str().unwrap().to_owned();
    json_of(
        step(
            &app,
            &second,
            "resolution",
            &json!({"outcome": "upheld", "resolution": "El ganador no acreditó la experiencia."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let again = json_of(award(&app, &id).await, StatusCode::OK).await;
    assert_eq!(again["award"]["rfc"], b.as_str());
    // The evaluation is not undone once an award followed it (even one since annulled).
    let late_evaluation = json_of(
        step(
            &app,
            &evaluation,
            "resolution",
            &json!({"outcome": "upheld", "resolution": "La evaluación omitió un criterio."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        late_evaluation["effects"]
            .as_str()
            .unwrap()
            .contains("no longer the tender's last act"),
        "{late_evaluation}"
    );
    let late = admitted_and_upheld(&app, &third, "Fundada también.").await;
    assert!(
        late["effects"]
            .as_str()
            .unwrap()
            .contains("no longer in force"),
        "{late}"
    );
    let view = json_of(
        app.get(&format!("/api/v1/tenders/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["award"]["rfc"], b.as_str(), "{view}");
    // A's bid carries the resolution as the reason it lost the lot.
    let bids = json_of(
        app.get(
            &format!("/api/v1/tenders/{id}/bids"),
            Some(&officer(&app, "SEP")),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let of_a = bids
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rfc"] == a.as_str())
        .unwrap();
    assert!(
        of_a["lots"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("no acreditó la experiencia"),
        "{of_a}"
    );
    // The lists: the auditor sees every complaint, the tender's officers theirs, another
    // agency's officers none, the complainant its own.
    let count = |token: String| {
        let app = &app;
        async move {
            app.collect_pages("/api/v1/complaints", Some(&token))
                .await
                .len()
        }
    };
    assert_eq!(count(auditor(&app)).await, 4);
    assert_eq!(count(officer(&app, "SEP")).await, 4);
    assert_eq!(count(officer(&app, "IMSS")).await, 0);
    assert_eq!(count(supplier(&app, &b)).await, 4);
    assert_eq!(count(supplier(&app, &a)).await, 0);
}

async fn upheld_against_the_evaluation_or_the_opening_that_act_is_done_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.register_supplier(&rfc("ACM010101AB"), "Acme").await;
    let b = app.register_supplier(&rfc("BET020202CD"), "Beta").await;
    app.clock.set(at(0));
    let id = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &id).await, StatusCode::OK).await;
    app.clock.set(at(8));
    // B is the cheaper, but is disqualified at the evaluation.
    for (who, laptop) in [(&a, "17000.00"), (&b, "16900.00")] {
        json_of(
            submit(&app, &id, who, &bid_body(laptop, "80.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }
    app.clock.set(at(21));
    let opened = crate::tenders::open(&app, &id).await;
    json_of(evaluate(&app, &id, &opened, Some(&b)).await, StatusCode::OK).await;

    // B contests the evaluation; upheld, the tender is back before it.
    let filed = json_of(
        file(&app, &id, &b, &complaint("evaluation")).await,
        StatusCode::CREATED,
    )
    .await;
    let cid = filed["id"].as_str().unwrap().to_owned();
    let resolved = admitted_and_upheld(&app, &cid, "El anexo técnico sí se presentó.").await;
    assert!(
        resolved["effects"]
            .as_str()
            .unwrap()
            .contains("evaluation is annulled"),
        "{resolved}"
    );
    let bids = json_of(
        app.get(
            &format!("/api/v1/tenders/{id}/bids"),
            Some(&officer(&app, "SEP")),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        bids.as_array()
            .unwrap()
            .iter()
            .all(|x| x["lots"][0]["qualified"].is_null()),
        "{bids}"
    );
    // Evaluated again, B qualifies and wins.
    json_of(evaluate(&app, &id, &opened, None).await, StatusCode::OK).await;
    let awarded = json_of(award(&app, &id).await, StatusCode::OK).await;
    assert_eq!(awarded["award"]["rfc"], b.as_str());

    // Another tender: the opening contested and annulled, the bids are opened again.
    app.clock.set(at(0));
    let second = create(&app, "SEP", &body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_of(publish(&app, "SEP", &second).await, StatusCode::OK).await;
    app.clock.set(at(8));
    json_of(
        submit(&app, &second, &a, &bid_body("17000.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.set(at(21));
    crate::tenders::open(&app, &second).await;
    let filed = json_of(
        file(&app, &second, &a, &complaint("opening")).await,
        StatusCode::CREATED,
    )
    .await;
    let cid = filed["id"].as_str().unwrap().to_owned();
    json_of(
        step(&app, &cid, "admission", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    json_of(
        step(
            &app,
            &cid,
            "resolution",
            &json!({"outcome": "upheld", "resolution": "La apertura se hizo sin el acta."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let tender = json_of(
        app.get(&format!("/api/v1/tenders/{second}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert!(tender["opened_at"].is_null(), "{tender}");
    let reopened = crate::tenders::open(&app, &second).await;
    assert_eq!(reopened["bids"][0]["total"], "2043200.00", "{reopened}");
    assert!(
        actions(&app, &second)
            .await
            .contains(&"tender.opening_annulled".to_owned())
    );
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

async fn an_award_complaint_pauses_the_auction_of_another_lot_until_resolved(
    kind: crate::auctions::Kind,
) {
    use crate::auctions::{bid, evaluated_in_lots, spawn};
    let app = spawn(kind).await;
    let (id, rfcs) = evaluated_in_lots(&app).await;
    let (a, b) = (&rfcs[0], &rfcs[1]);
    // Lot 1 is awarded at the sealed totals (A); lot 2 goes to its auction.
    let awarded = json_of(
        on_lot(&app, &id, 1, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(awarded["lots"][0]["award"]["rfc"], a.as_str(), "{awarded}");
    let mut settings = crate::auctions::continuous();
    settings["decrement"] = json!({"amount": "100.00"});
    let auction = json_of(
        on_lot(&app, &id, 2, "auction", &settings).await,
        StatusCode::CREATED,
    )
    .await;
    let auction = auction["id"].as_str().unwrap().to_owned();
    app.clock.advance(chrono::Duration::seconds(10));
    json_of(bid(&app, &auction, b, "3100.00").await, StatusCode::CREATED).await;

    // B contests lot 1's award; admitted with a suspension, lot 2's auction pauses: its
    // bids and lot 1's contract are refused.
    app.clock.advance(chrono::Duration::seconds(50));
    let mut body = complaint("award");
    body["lot"] = json!(1);
    let filed = json_of(file(&app, &id, b, &body).await, StatusCode::CREATED).await;
    let cid = filed["id"].as_str().unwrap().to_owned();
    json_of(
        step(&app, &cid, "admission", &json!({"suspend": true})).await,
        StatusCode::OK,
    )
    .await;
    let look = |token: String| {
        let app = &app;
        let auction = auction.clone();
        async move {
            json_of(
                app.get(&format!("/api/v1/auctions/{auction}"), Some(&token))
                    .await,
                StatusCode::OK,
            )
            .await
        }
    };
    let paused = look(auditor(&app)).await;
    assert_eq!(paused["status"], "paused", "{paused}");
    assert_eq!(paused["time_left_s"], 540);
    assert_problem(
        bid(&app, &auction, a, "3000.00").await,
        StatusCode::CONFLICT,
        "tender_suspended",
    )
    .await;
    assert_problem(
        on_lot(
            &app,
            &id,
            1,
            "contract",
            &json!({"amount": awarded["lots"][0]["award"]["amount"], "signed_on": "2026-03-24",
                    "starts_on": "2026-04-01", "ends_on": "2026-12-31"}),
        )
        .await,
        StatusCode::CONFLICT,
        "tender_suspended",
    )
    .await;

    // An hour later the complaint is upheld: lot 1's award is annulled, and lot 2's
    // auction resumes with the 540 s it had left.
    app.clock.advance(chrono::Duration::hours(1));
    json_of(
        step(
            &app,
            &cid,
            "resolution",
            &json!({"outcome": "upheld", "resolution": "La propuesta adjudicada no cumple la especificación 3.2."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let resumed = look(auditor(&app)).await;
    assert_eq!(resumed["status"], "open", "{resumed}");
    assert_eq!(resumed["time_left_s"], 540);
    json_of(bid(&app, &auction, a, "3000.00").await, StatusCode::CREATED).await;
    // Lot 1 goes to the next eligible bid, B's.
    let again = json_of(
        on_lot(&app, &id, 1, "award", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["lots"][0]["award"]["rfc"], b.as_str(), "{again}");
    let log = actions(&app, &id).await;
    for action in [
        "tender.auction_paused",
        "tender.award_annulled",
        "tender.auction_resumed",
    ] {
        assert!(log.contains(&action.to_owned()), "{action} in {log:?}");
    }
}
