//! Sealing against a database reader: someone who has the database (or a backup) but not
//! the seal key runs the attack of the outside review on the stored rows — a guessed
//! technical offer, prices enumerated centavo by centavo, every registered RFC — and must
//! recover neither a price nor who bid. The supplier, who holds the receipt's nonce, can
//! still check its receipt. Bids sealed before version 2 keep working.

use licita::domain::bid::{BidLine, SealedContent, receipt, receipt_message, receipt_v2};
use licita::domain::money::Money;
use licita::persistence::entities::{audit_event, bid};
use licita::seal::Sealer;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, json_of, rfc, spawn_app_with};
use crate::on_both_databases;
use crate::tenders::{at, bid_body, officer, published, submit, supplier};

on_both_databases!(
    a_database_reader_recovers_no_sealed_price_and_no_bidder,
    the_opening_writes_who_bid_and_the_supplier_still_verifies_its_receipt,
    bids_sealed_before_version_2_keep_working,
);

/// The technical offer of `bid_body`, which the attacker is assumed to have guessed.
const OFFER: &str = "Equipo marca Acme modelo X14, garantía de tres años en sitio.";
const SEAL_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[("LICITA_SEAL_KEY", SEAL_KEY)]).await
}

fn content(laptop_centavos: i64) -> SealedContent {
    SealedContent {
        prices: vec![
            BidLine {
                position: 1,
                unit_price: Money::from_centavos(laptop_centavos).unwrap(),
            },
            BidLine {
                position: 2,
                unit_price: Money::parse("80.00").unwrap(),
            },
        ],
        technical_offer: OFFER.into(),
        document_sha256: None,
    }
}

/// Laptop prices from 17,400.00 to 17,600.00, centavo by centavo (20,001 guesses).
const GUESSES: std::ops::RangeInclusive<i64> = 1_740_000..=1_760_000;

async fn rows(app: &TestApp, tender: &str) -> Vec<bid::Model> {
    bid::Entity::find()
        .filter(bid::Column::TenderId.eq(Uuid::parse_str(tender).unwrap()))
        .all(&app.db)
        .await
        .unwrap()
}

async fn a_database_reader_recovers_no_sealed_price_and_no_bidder(backend: Backend) {
    let app = app(backend).await;
    let bidders = [
        app.register_supplier(&rfc("ACM010101AB"), "Acme Cómputo")
            .await,
        app.register_supplier(&rfc("BET020202CD"), "Beta Sistemas")
            .await,
    ];
    let tender = published(&app).await;
    app.clock.set(at(8));
    for (who, laptop) in bidders.iter().zip(["17512.34", "17488.00"]) {
        json_of(
            submit(&app, &tender, who, &bid_body(laptop, "80.00")).await,
            StatusCode::CREATED,
        )
        .await;
    }

    // What the reader has: every stored row, and the audit log.
    let stored = rows(&app, &tender).await;
    assert_eq!(stored.len(), 2);
    // The register is public (its own events name each supplier): the tender's are read.
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::EntityId.eq(tender.as_str()))
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        events.iter().any(|e| e.action == "bid.submitted"),
        "{events:?}"
    );
    let dump = format!("{stored:?} {events:?}");
    for who in &bidders {
        assert!(
            !dump.contains(who.as_str()),
            "{who} readable before the opening"
        );
        // Nor hex-encoded, as a bidder tag would be if it were a plain hash of the RFC.
        assert!(!dump.contains(&hex::encode(who.as_bytes())));
    }
    for secret in ["17512.34", "1751234", "17488.00", "1748800", "Acme Cómputo"] {
        assert!(
            !dump.contains(secret),
            "{secret} readable before the opening"
        );
    }

    // The attack: for each row, every registered RFC, every price in range, the guessed
    // offer and the row's clear fields; against the unkeyed hash of version 1 and against
    // the keyed receipt with the keys a reader could try (none, zeros, the row's fields).
    // Every envelope has the same length: it says nothing of the RFC's or the offer's.
    let lengths: std::collections::HashSet<usize> = stored.iter().map(|r| r.sealed.len()).collect();
    assert_eq!(lengths.len(), 1, "{lengths:?}");
    let mut tries = 0u64;
    for row in &stored {
        assert_eq!(row.seal_version, 2);
        assert_eq!(row.rfc, None);
        let tender_id = row.tender_id;
        for who in &bidders {
            for centavos in GUESSES {
                let guess = content(centavos);
                let message = receipt_message(row.id, tender_id, who, &guess, row.received_at);
                tries += 1;
                assert_ne!(
                    receipt(row.id, tender_id, who, &guess, row.received_at),
                    row.receipt_sha256,
                    "the unkeyed receipt gave the price away"
                );
                for key in [&b""[..], &[0u8; 32][..], row.id.as_bytes()] {
                    assert_ne!(receipt_v2(key, &message), row.receipt_sha256);
                }
            }
        }
    }
    assert_eq!(tries, 2 * 2 * 20_001, "the whole range was tried");
}

async fn the_opening_writes_who_bid_and_the_supplier_still_verifies_its_receipt(backend: Backend) {
    let app = app(backend).await;
    let who = app
        .register_supplier(&rfc("ACM010101AB"), "Acme Cómputo")
        .await;
    let tender = published(&app).await;
    app.clock.set(at(8));
    let receipt_json = json_of(
        submit(&app, &tender, &who, &bid_body("17512.34", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(receipt_json["receipt_version"], 2);
    let nonce = hex::decode(receipt_json["receipt_nonce"].as_str().unwrap()).unwrap();
    assert_eq!(nonce.len(), 32);

    // The supplier checks its receipt from what it sent and what it got back, by the
    // documented recipe (receipt_message is that recipe, written once).
    let bid_id = Uuid::parse_str(receipt_json["bid_id"].as_str().unwrap()).unwrap();
    let received_at =
        chrono::DateTime::parse_from_rfc3339(receipt_json["received_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
    let tender_id = Uuid::parse_str(&tender).unwrap();
    let message = receipt_message(bid_id, tender_id, &who, &content(1_751_234), received_at);
    assert_eq!(
        receipt_v2(&nonce, &message),
        receipt_json["receipt_sha256"].as_str().unwrap()
    );
    // With the nonce the price enumeration would succeed, and only at the true price: the
    // attack above fails for want of the nonce, not for a wrong recipe.
    let found: Vec<i64> = GUESSES
        .filter(|c| {
            let m = receipt_message(bid_id, tender_id, &who, &content(*c), received_at);
            receipt_v2(&nonce, &m) == receipt_json["receipt_sha256"].as_str().unwrap()
        })
        .collect();
    assert_eq!(found, [1_751_234]);
    // The README's recipe, written independently of the service's code: canonical JSON
    // (keys sorted, no spaces, non-ASCII as is) of what it sent, as the service echoes it
    // (prices with two decimals, the offer trimmed and in NFC, the hash in lower case), a
    // line feed, `received_at` exactly as returned, keyed with the decoded nonce.
    let sent = json!({
        "prices": [{"position": 1, "unit_price": "4000.5"}, {"position": 2, "unit_price": "80"}],
        "technical_offer": "  Cumple con garanti\u{0301}a de tres años.  ",
        "document_sha256": "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
    });
    let got = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{tender}/bids"),
            Some(&supplier(&app, &who)),
            &sent,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let received = got["received_at"].as_str().unwrap();
    assert_eq!(
        received.len(),
        "2026-03-10T12:00:00.000000Z".len(),
        "{received}"
    );
    let message = format!(
        "{{\"bid_id\":\"{}\",\"document_sha256\":\"{}\",\"prices\":[{{\"position\":1,\"unit_price\":\"4000.50\"}},{{\"position\":2,\"unit_price\":\"80.00\"}}],\"rfc\":\"{who}\",\"technical_offer\":\"Cumple con garantía de tres años.\",\"tender_id\":\"{tender}\"}}\n{received}",
        got["bid_id"].as_str().unwrap(),
        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
    );
    let key = hex::decode(got["receipt_nonce"].as_str().unwrap()).unwrap();
    assert_eq!(
        receipt_v2(&key, &message),
        got["receipt_sha256"].as_str().unwrap(),
        "the README's recipe verifies the receipt"
    );
    // Its owner sees the nonce again with its bids, the replaced one too; nobody else does.
    let own = json_of(
        app.get(
            &format!("/api/v1/tenders/{tender}/bids"),
            Some(&supplier(&app, &who)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let first = own
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bid_id"] == receipt_json["bid_id"])
        .unwrap();
    assert_eq!(first["status"], "replaced");
    assert_eq!(first["receipt_nonce"], receipt_json["receipt_nonce"]);
    assert_eq!(first["receipt_version"], 2);
    assert_eq!(first["rfc"], who.as_str());

    // The opening writes who bid, in the row and in the audit log.
    app.clock.set(at(21));
    let opened = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{tender}/opening"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(opened["bids"][0]["rfc"], who.as_str());
    assert_eq!(
        opened["bids"][0].get("receipt_nonce"),
        None,
        "staff don't get it"
    );
    let stored = rows(&app, &tender).await;
    let live = stored.iter().find(|b| b.status.as_str() == "live").unwrap();
    assert_eq!(live.rfc.as_deref(), Some(who.as_str()));
    let replaced = stored
        .iter()
        .find(|b| b.status.as_str() == "replaced")
        .unwrap();
    assert_eq!(
        replaced.rfc, None,
        "a replaced bid stays sealed, its bidder too"
    );
    let opening = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("tender.opened"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let data: Value = serde_json::from_str(&opening.data).unwrap();
    assert_eq!(data["opened"][0]["rfc"], who.as_str());
    assert_eq!(data["opened"][0]["bid_id"], got["bid_id"]);
    let _ = bid_id;
}

async fn bids_sealed_before_version_2_keep_working(backend: Backend) {
    let app = app(backend).await;
    let who = app
        .register_supplier(&rfc("ACM010101AB"), "Acme Cómputo")
        .await;
    let tender = published(&app).await;
    app.clock.set(at(8));
    // A bid as version 1 stored it: RFC in clear, unkeyed receipt, its own AAD.
    let tender_id = Uuid::parse_str(&tender).unwrap();
    let bid_id = Uuid::now_v7();
    let old = content(1_751_234);
    let now = licita::clock::Clock::now(&app.clock);
    let sealer = Sealer::from_hex(SEAL_KEY).unwrap();
    let sealed = sealer
        .seal(
            format!("licita-bid:{tender_id}:{who}:{bid_id}").as_bytes(),
            &serde_json::to_vec(&old).unwrap(),
        )
        .unwrap();
    bid::ActiveModel {
        id: Set(bid_id),
        tender_id: Set(tender_id),
        rfc: Set(Some(who.clone())),
        status: Set(licita::persistence::entities::BidStatus::Live),
        received_at: Set(now),
        receipt_sha256: Set(receipt(bid_id, tender_id, &who, &old, now)),
        sealed: Set(sealed),
        withdrawn_at: Set(None),
        total_centavos: Set(None),
        qualified: Set(None),
        evaluation_reason: Set(None),
        evaluated_at: Set(None),
        bidder_tag: Set(None),
        seal_version: Set(1),
    }
    .insert(&app.db)
    .await
    .unwrap();

    // Its owner reads it.
    let own = json_of(
        app.get(
            &format!("/api/v1/tenders/{tender}/bids"),
            Some(&supplier(&app, &who)),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["prices"][0]["unit_price"], "17512.34");
    // Replacing it makes a version 2 bid and retires the old one.
    let replaced = json_of(
        submit(&app, &tender, &who, &bid_body("17400.00", "80.00")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(replaced["receipt_version"], 2);
    let stored = rows(&app, &tender).await;
    let statuses: Vec<(i32, &str)> = {
        let mut s: Vec<_> = stored
            .iter()
            .map(|b| (b.seal_version, b.status.as_str()))
            .collect();
        s.sort();
        s
    };
    assert_eq!(statuses, [(1, "replaced"), (2, "live")]);
    // And the opening reads the live one.
    app.clock.set(at(21));
    let opened = json_of(
        app.post_json(
            &format!("/api/v1/tenders/{tender}/opening"),
            Some(&officer(&app, "SEP")),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(opened["bids"][0]["total"], "2091200.00", "{opened}");
}
