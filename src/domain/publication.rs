//! Publication, opening and evaluation: the decisions that move a tender from its draft
//! to the bids judged, each a pure function over facts loaded beforehand.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::code::Code;
use super::framework::{Framework, check_order};
use super::ict::{Assent, check_assent};
use super::ids::{FrameworkId, TenderId};
use super::rejection::Rejection;
use super::supplier::Ineligible;
use super::tender::{
    Item, LegalPeriods, Procedure, Schedule, Scope, Status, check_publishable_schedule,
};
use super::validation::ValidationErrors;

/// What publishing a draft decides on.
#[derive(Debug, Clone)]
pub struct PublicationFacts<'a> {
    pub tender: TenderId,
    pub status: Status,
    pub procedure: Procedure,
    pub scope: Scope,
    pub schedule: Schedule,
    pub periods: &'a LegalPeriods,
    pub now: DateTime<Utc>,
    /// The publication date in the legal calendar.
    pub today: NaiveDate,
    /// The invited suppliers (in the draft's order), each with why it can't take part.
    pub invited: &'a [(String, Option<Ineligible>)],
    /// The tender's agency, the assent it cites and its ICT items (code, ancestors).
    pub agency: &'a str,
    pub assent: Option<&'a Assent>,
    pub ict_items: &'a [(String, Vec<String>)],
    /// The items and each one's ancestors' codes.
    pub items: &'a [Item],
    pub chains: &'a [Vec<String>],
    /// A framework order's contract, when it names one that exists.
    pub framework: Option<&'a Framework>,
    /// The draft carries a written framework exception.
    pub exception: bool,
    /// Framework contracts that price one of the items' codes or ancestors.
    pub nearby: &'a [(FrameworkId, Framework)],
}

/// A draft can be published now: its schedule (future, in order, legal periods), its
/// invited suppliers (registered, unsanctioned), the ICT assent it needs, and the framework
/// contract rule (a framework order within its contract; any other procedure only where
/// no contract in force covers the items, or with a written exception).
pub fn decide_publication(f: &PublicationFacts<'_>) -> Result<(), Rejection> {
    if f.status != Status::Draft {
        return Err(Rejection::rule(
            Code::NotADraft,
            format!("tender {} is already {}", f.tender, f.status.as_str()),
        ));
    }
    let mut errors =
        match check_publishable_schedule(&f.schedule, f.procedure, f.scope, f.periods, f.now) {
            Ok(()) => ValidationErrors::new(),
            Err(errors) => errors,
        };
    for (i, (rfc, standing)) in f.invited.iter().enumerate() {
        match standing {
            Some(Ineligible::NotRegistered) => errors.push(
                &format!("invited_suppliers[{i}]"),
                Code::InvitedSupplierNotRegistered,
                format!("{rfc} is not in the supplier register"),
            ),
            Some(Ineligible::Sanctioned) => errors.push(
                &format!("invited_suppliers[{i}]"),
                Code::InvitedSupplierSanctioned,
                format!("{rfc} has a sanction in force"),
            ),
            None => {}
        }
    }
    if let Err(problem) = check_assent(f.assent, f.agency, f.ict_items, f.today, None) {
        errors.push("ict_assent_id", problem.code(), problem.message());
    }
    if f.procedure == Procedure::FrameworkOrder {
        match f.framework {
            None => errors.push(
                "framework_contract_id",
                Code::FrameworkContractRequired,
                "a framework order names an existing framework contract it is placed under",
            ),
            Some(framework) => {
                if let Err(found) = check_order(framework, f.items, f.chains, f.today) {
                    errors.0.extend(found.0);
                }
            }
        }
    } else if !f.exception {
        let covering = covering(f.items, f.chains, f.nearby, f.today);
        if !covering.is_empty() {
            errors.push(
                "procedure",
                Code::FrameworkContractApplies,
                format!(
                    "framework contract(s) {} cover these goods: place a framework_order under one, or write the exception's justification",
                    covering
                        .iter()
                        .map(FrameworkId::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    Ok(errors.finish()?)
}

/// The contracts in force on `on` that price one of the items (its code or an ancestor's),
/// in id order.
pub fn covering(
    items: &[Item],
    chains: &[Vec<String>],
    contracts: &[(FrameworkId, Framework)],
    on: NaiveDate,
) -> Vec<FrameworkId> {
    let codes: HashSet<&str> = items
        .iter()
        .map(|i| i.classifier_code.as_str())
        .chain(chains.iter().flatten().map(String::as_str))
        .collect();
    let mut ids: Vec<FrameworkId> = contracts
        .iter()
        .filter(|(_, f)| {
            f.active_on(on) && f.prices.iter().any(|(c, ..)| codes.contains(c.as_str()))
        })
        .map(|(id, _)| *id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The officer may open a published tender's bids once its opening time (and deadline)
/// has come.
pub fn openable(
    tender: TenderId,
    status: Status,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    if status != Status::Published {
        return Err(Rejection::rule(
            Code::NotOpenable,
            format!("tender {tender} is {}", status.as_str()),
        ));
    }
    if now < schedule.opening_at || now < schedule.submission_deadline {
        return Err(Rejection::rule(
            Code::TooEarlyToOpen,
            format!("the bids open at {}", schedule.opening_at.to_rfc3339()),
        ));
    }
    Ok(())
}

/// What the opening leads to: each lot no live bid offers is deserted (`lots` are the
/// tender's, `offered` those some bid offers), and with every lot deserted the tender is.
pub fn after_opening(lots: &[u32], offered: &BTreeSet<u32>) -> (Status, Vec<u32>) {
    let deserted: Vec<u32> = lots
        .iter()
        .copied()
        .filter(|l| !offered.contains(l))
        .collect();
    let status = if deserted.len() == lots.len() {
        Status::Deserted
    } else {
        Status::Opened
    };
    (status, deserted)
}

/// An opened bid and the lots it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub bid_id: Uuid,
    pub lots: Vec<u32>,
}

/// One evaluation, as the officer sends it: of a bid in one lot, or (no `lot`) in every
/// lot it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub bid_id: Uuid,
    pub lot: Option<u32>,
    pub qualified: bool,
    pub reason: Option<String>,
}

/// A bid judged in one lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub bid_id: Uuid,
    pub lot: u32,
    pub qualified: bool,
    pub reason: Option<String>,
}

/// What the evaluation leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationOutcome {
    /// Every offer judged, in the offers' order and each bid's lots' order.
    pub judgements: Vec<Judgement>,
    /// The bids qualified in some lot, and those qualified in none.
    pub qualified: usize,
    pub not_qualified: usize,
    /// The lots on which no bid qualified: deserted.
    pub deserted: Vec<u32>,
    /// `Evaluated`, or `Deserted` when no bid qualified in any lot.
    pub status: Status,
}

/// The evaluation of an opened tender: every bid judged exactly once in each lot it
/// offers, a reason for each refusal. `lots` are the lots still open after the opening.
pub fn decide_evaluation(
    tender: TenderId,
    status: Status,
    lots: &[u32],
    offers: &[Offer],
    verdicts: &[Verdict],
) -> Result<EvaluationOutcome, Rejection> {
    if status != Status::Opened {
        return Err(Rejection::rule(
            Code::NotEvaluable,
            format!(
                "tender {tender} is {}; bids are evaluated once, after the opening",
                status.as_str()
            ),
        ));
    }
    let mut errors = ValidationErrors::new();
    let mut judged: std::collections::HashMap<(Uuid, u32), (bool, Option<String>)> =
        std::collections::HashMap::new();
    for (i, v) in verdicts.iter().enumerate() {
        let Some(offer) = offers.iter().find(|o| o.bid_id == v.bid_id) else {
            errors.push(
                &format!("evaluations[{i}].bid_id"),
                Code::UnknownBid,
                format!("{} is not an opened bid of this tender", v.bid_id),
            );
            continue;
        };
        if !v.qualified && v.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            errors.push(
                &format!("evaluations[{i}].reason"),
                Code::ReasonRequired,
                "a bid that does not qualify needs the reason",
            );
        }
        let targets: Vec<u32> = match v.lot {
            None => offer.lots.clone(),
            Some(lot) if offer.lots.contains(&lot) => vec![lot],
            Some(lot) => {
                errors.push(
                    &format!("evaluations[{i}].lot"),
                    Code::LotNotOffered,
                    format!("bid {} does not offer lot {lot}", v.bid_id),
                );
                continue;
            }
        };
        for lot in targets {
            if judged
                .insert((v.bid_id, lot), (v.qualified, v.reason.clone()))
                .is_some()
            {
                errors.push(
                    &format!("evaluations[{i}]"),
                    Code::EvaluationIncomplete,
                    format!("bid {} is evaluated twice in lot {lot}", v.bid_id),
                );
            }
        }
    }
    let mut judgements = Vec::new();
    for offer in offers {
        for lot in &offer.lots {
            match judged.get(&(offer.bid_id, *lot)) {
                Some((qualified, reason)) => judgements.push(Judgement {
                    bid_id: offer.bid_id,
                    lot: *lot,
                    qualified: *qualified,
                    reason: reason.clone().filter(|r| !r.trim().is_empty()),
                }),
                None => errors.push(
                    "evaluations",
                    Code::EvaluationIncomplete,
                    format!("bid {} is not evaluated in lot {lot}", offer.bid_id),
                ),
            }
        }
    }
    errors.finish()?;
    let qualified = offers
        .iter()
        .filter(|o| {
            judgements
                .iter()
                .any(|j| j.bid_id == o.bid_id && j.qualified)
        })
        .count();
    let deserted: Vec<u32> = lots
        .iter()
        .copied()
        .filter(|l| !judgements.iter().any(|j| j.lot == *l && j.qualified))
        .collect();
    Ok(EvaluationOutcome {
        qualified,
        not_qualified: offers.len() - qualified,
        status: if deserted.len() == lots.len() {
            Status::Deserted
        } else {
            Status::Evaluated
        },
        deserted,
        judgements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn tender() -> TenderId {
        TenderId::from_uuid(Uuid::nil())
    }

    fn items() -> Vec<Item> {
        vec![Item {
            lot: 1,
            classifier_code: "2111".into(),
            quantity: 10,
            unit: "pieza".into(),
            max_unit_price: Money::parse("100.00").unwrap(),
        }]
    }

    fn framework(from: &str) -> Framework {
        Framework {
            valid_from: day(from),
            valid_until: day("2026-12-31"),
            ended_on: None,
            prices: vec![(
                "2100".into(),
                "pieza".into(),
                Money::parse("90.00").unwrap(),
            )],
            suppliers: vec!["RFC1".into()],
        }
    }

    struct World {
        items: Vec<Item>,
        chains: Vec<Vec<String>>,
        invited: Vec<(String, Option<Ineligible>)>,
        ict_items: Vec<(String, Vec<String>)>,
        nearby: Vec<(FrameworkId, Framework)>,
        framework: Option<Framework>,
    }

    impl World {
        fn new() -> Self {
            World {
                items: items(),
                chains: vec![vec!["2000".into(), "2100".into()]],
                invited: Vec::new(),
                ict_items: Vec::new(),
                nearby: Vec::new(),
                framework: None,
            }
        }

        fn facts(&self) -> PublicationFacts<'_> {
            PublicationFacts {
                tender: tender(),
                status: Status::Draft,
                procedure: Procedure::Open,
                scope: Scope::National,
                schedule: Schedule {
                    clarifications_until: at("2026-06-10T18:00:00Z"),
                    submission_deadline: at("2026-06-20T18:00:00Z"),
                    opening_at: at("2026-06-21T10:00:00Z"),
                },
                periods: &LegalPeriods::DEFAULT,
                now: at("2026-06-01T12:00:00Z"),
                today: day("2026-06-01"),
                invited: &self.invited,
                agency: "SEP",
                assent: None,
                ict_items: &self.ict_items,
                items: &self.items,
                chains: &self.chains,
                framework: self.framework.as_ref(),
                exception: false,
                nearby: &self.nearby,
            }
        }
    }

    fn codes(r: Result<(), Rejection>) -> Vec<Code> {
        match r {
            Ok(()) => Vec::new(),
            Err(Rejection::Rule { code, .. }) => vec![code],
            Err(Rejection::Fields(f)) => f.0.iter().map(|e| e.code).collect(),
        }
    }

    #[test]
    fn a_sound_draft_publishes() {
        assert_eq!(
            codes(decide_publication(&World::new().facts())),
            [Code::InternalError; 0]
        );
    }

    #[test]
    fn only_a_draft_publishes() {
        let w = World::new();
        let mut f = w.facts();
        f.status = Status::Published;
        assert_eq!(codes(decide_publication(&f)), [Code::NotADraft]);
    }

    #[test]
    fn the_schedule_keeps_the_legal_periods() {
        let w = World::new();
        let mut f = w.facts();
        f.now = at("2026-06-08T12:00:00Z");
        assert_eq!(codes(decide_publication(&f)), [Code::PeriodTooShort]);
    }

    #[test]
    fn invited_suppliers_are_registered_and_unsanctioned() {
        let mut w = World::new();
        w.invited = vec![
            ("RFC1".into(), None),
            ("RFC2".into(), Some(Ineligible::NotRegistered)),
            ("RFC3".into(), Some(Ineligible::Sanctioned)),
        ];
        let r = decide_publication(&w.facts());
        assert_eq!(
            codes(r.clone()),
            [
                Code::InvitedSupplierNotRegistered,
                Code::InvitedSupplierSanctioned
            ]
        );
        let Err(Rejection::Fields(f)) = r else {
            panic!()
        };
        assert_eq!(f.0[0].field, "invited_suppliers[1]");
    }

    #[test]
    fn ict_items_need_their_assent() {
        let mut w = World::new();
        w.ict_items = vec![("2111".into(), vec!["2100".into()])];
        assert_eq!(
            codes(decide_publication(&w.facts())),
            [Code::IctAssentRequired]
        );
    }

    #[test]
    fn a_contract_in_force_covering_the_items_applies_unless_excepted() {
        let mut w = World::new();
        let id = FrameworkId::from_uuid(Uuid::from_bytes([7; 16]));
        w.nearby = vec![(id, framework("2026-01-01"))];
        assert_eq!(
            codes(decide_publication(&w.facts())),
            [Code::FrameworkContractApplies]
        );
        let mut f = w.facts();
        f.exception = true;
        assert_eq!(codes(decide_publication(&f)), [Code::InternalError; 0]);
        // Not yet in force: it does not apply.
        w.nearby = vec![(id, framework("2026-07-01"))];
        assert_eq!(
            codes(decide_publication(&w.facts())),
            [Code::InternalError; 0]
        );
    }

    #[test]
    fn a_framework_order_stays_within_its_contract() {
        let mut w = World::new();
        let mut f = w.facts();
        f.procedure = Procedure::FrameworkOrder;
        assert_eq!(
            codes(decide_publication(&f)),
            [Code::FrameworkContractRequired]
        );
        w.framework = Some(framework("2026-01-01"));
        let mut f = w.facts();
        f.procedure = Procedure::FrameworkOrder;
        // The draft's maximum, 100.00, is above the framework's 90.00.
        assert_eq!(
            codes(decide_publication(&f)),
            [Code::FrameworkPriceExceeded]
        );
    }

    #[test]
    fn opening_waits_for_its_time_and_needs_a_published_tender() {
        let s = World::new().facts().schedule;
        assert_eq!(
            openable(tender(), Status::Published, &s, at("2026-06-21T09:59:59Z"))
                .unwrap_err()
                .code(),
            Code::TooEarlyToOpen
        );
        assert_eq!(
            openable(tender(), Status::Opened, &s, at("2026-06-22T00:00:00Z"))
                .unwrap_err()
                .code(),
            Code::NotOpenable
        );
        assert!(openable(tender(), Status::Published, &s, at("2026-06-21T10:00:00Z")).is_ok());
        let offered = |lots: &[u32]| lots.iter().copied().collect::<BTreeSet<u32>>();
        assert_eq!(
            after_opening(&[1], &offered(&[])),
            (Status::Deserted, vec![1])
        );
        assert_eq!(
            after_opening(&[1], &offered(&[1])),
            (Status::Opened, vec![])
        );
        assert_eq!(
            after_opening(&[1, 2, 3], &offered(&[2])),
            (Status::Opened, vec![1, 3])
        );
    }

    fn verdict(n: u8, qualified: bool, reason: Option<&str>) -> Verdict {
        Verdict {
            bid_id: Uuid::from_bytes([n; 16]),
            lot: None,
            qualified,
            reason: reason.map(str::to_owned),
        }
    }

    fn offers(live: &[Uuid]) -> Vec<Offer> {
        live.iter()
            .map(|b| Offer {
                bid_id: *b,
                lots: vec![1],
            })
            .collect()
    }

    #[test]
    fn each_bid_is_judged_in_each_lot_it_offers() {
        let (a, b) = (Uuid::from_bytes([1; 16]), Uuid::from_bytes([2; 16]));
        let offers = [
            Offer {
                bid_id: a,
                lots: vec![1],
            },
            Offer {
                bid_id: b,
                lots: vec![1, 2],
            },
        ];
        let in_lot = |n, lot, qualified, reason: Option<&str>| Verdict {
            lot: Some(lot),
            ..verdict(n, qualified, reason)
        };
        let ok = decide_evaluation(
            tender(),
            Status::Opened,
            &[1, 2],
            &offers,
            &[
                verdict(1, true, None),
                in_lot(2, 1, true, None),
                in_lot(2, 2, false, Some("no annex")),
            ],
        )
        .unwrap();
        assert_eq!((ok.qualified, ok.not_qualified), (2, 0));
        assert_eq!(ok.deserted, [2]);
        assert_eq!(ok.status, Status::Evaluated);
        assert_eq!(ok.judgements.len(), 3);
        let code = |verdicts: &[Verdict]| {
            decide_evaluation(tender(), Status::Opened, &[1, 2], &offers, verdicts)
                .unwrap_err()
                .code()
        };
        assert_eq!(
            code(&[
                verdict(1, true, None),
                verdict(2, true, None),
                in_lot(1, 2, true, None)
            ]),
            Code::LotNotOffered
        );
        assert_eq!(
            code(&[
                verdict(1, true, None),
                verdict(2, true, None),
                in_lot(2, 2, true, None)
            ]),
            Code::EvaluationIncomplete
        );
        assert_eq!(
            code(&[verdict(1, true, None), in_lot(2, 1, true, None)]),
            Code::EvaluationIncomplete
        );
    }

    #[test]
    fn every_opened_bid_is_judged_once_with_a_reason_for_a_refusal() {
        let live = [Uuid::from_bytes([1; 16]), Uuid::from_bytes([2; 16])];
        let ok = decide_evaluation(
            tender(),
            Status::Opened,
            &[1],
            &offers(&live),
            &[
                verdict(1, true, None),
                verdict(2, false, Some("no technical annex")),
            ],
        )
        .unwrap();
        assert_eq!(
            (ok.qualified, ok.not_qualified, ok.status),
            (1, 1, Status::Evaluated)
        );
        let none = decide_evaluation(
            tender(),
            Status::Opened,
            &[1],
            &offers(&live),
            &[
                verdict(1, false, Some("late")),
                verdict(2, false, Some("late")),
            ],
        )
        .unwrap();
        assert_eq!(none.status, Status::Deserted);
        let code = |verdicts: &[Verdict]| {
            decide_evaluation(tender(), Status::Opened, &[1], &offers(&live), verdicts)
                .unwrap_err()
                .code()
        };
        assert_eq!(code(&[verdict(1, true, None)]), Code::EvaluationIncomplete);
        assert_eq!(
            code(&[verdict(1, true, None), verdict(2, false, Some(" "))]),
            Code::ReasonRequired
        );
        assert_eq!(
            code(&[
                verdict(1, true, None),
                verdict(2, true, None),
                verdict(3, true, None)
            ]),
            Code::UnknownBid
        );
        assert_eq!(
            code(&[
                verdict(1, true, None),
                verdict(1, true, None),
                verdict(2, true, None)
            ]),
            Code::EvaluationIncomplete
        );
        assert_eq!(
            decide_evaluation(tender(), Status::Evaluated, &[1], &offers(&live), &[])
                .unwrap_err()
                .code(),
            Code::NotEvaluable
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// The evaluation is accepted exactly when every live bid is judged once, each
            /// refusal with its reason, and nothing else is named; its counts add up, and
            /// the tender is deserted exactly when no bid qualified.
            #[test]
            fn an_evaluation_is_complete_or_refused(
                live in 0usize..5,
                verdicts in proptest::collection::vec((0u8..7, any::<bool>(), any::<bool>()), 0..8),
            ) {
                let live_ids: Vec<Uuid> = (0..live).map(|n| Uuid::from_bytes([n as u8; 16])).collect();
                let verdicts: Vec<Verdict> = verdicts
                    .iter()
                    .map(|(n, qualified, reasoned)| Verdict {
                        bid_id: Uuid::from_bytes([*n; 16]),
                        lot: None,
                        qualified: *qualified,
                        reason: reasoned.then(|| "no annex".to_owned()),
                    })
                    .collect();
                let each_once = live_ids.iter().all(|b| verdicts.iter().filter(|v| v.bid_id == *b).count() == 1)
                    && verdicts.len() == live_ids.len();
                let reasons = verdicts.iter().all(|v| v.qualified || v.reason.is_some());
                match decide_evaluation(tender(), Status::Opened, &[1], &offers(&live_ids), &verdicts) {
                    Ok(outcome) => {
                        prop_assert!(each_once && reasons);
                        prop_assert_eq!(outcome.qualified + outcome.not_qualified, live);
                        prop_assert_eq!(outcome.status == Status::Deserted, outcome.qualified == 0);
                        prop_assert_eq!(outcome.deserted.is_empty(), outcome.qualified > 0);
                    }
                    Err(_) => prop_assert!(!(each_once && reasons)),
                }
            }
        }
    }
}
