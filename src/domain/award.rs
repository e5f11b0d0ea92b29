//! The award (fallo): who wins, and the rules checked before (SPEC §3), as pure decisions
//! over facts loaded beforehand, in two steps so that only the winner's sealed prices are
//! ever opened. [`pick`] finds the winner:
//!
//! - the tender is awardable now: evaluated, or its auction has closed;
//! - under a framework contract, the contract is in force (rule 5);
//! - the winner is the lowest final price among qualified bids, a tie going to the earlier
//!   price ([`ranking`], rule 1);
//! - the winner is registered, free of sanctions on the award date and, under a framework
//!   contract, adhered to it (rules 3 and 5); a barred bid refuses the award unless the
//!   officer passes over it with a reason (then the next one is tried).
//!
//! [`settle`] then checks the winner's award:
//!
//! - ICT: an approved, unexpired assent of the agency covers the ICT items and, with what
//!   other awards have spent of it, the amount (rule 4);
//! - under a framework contract, the awarded unit prices (the winner's sealed prices,
//!   scaled to its final total after an auction) are within its fixed prices (rule 5);
//! - the amount is within the reference value (rule 2);
//! - and records the savings: reference minus amount, and under a framework contract the
//!   framework prices minus the acquired ones (rule 6).
//!
//! [`decide`] is the two in a row.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::code::Code;
use super::framework::{Framework, framework_savings};
use super::ict::{Assent, check_assent};
use super::money::{MAX_CENTAVOS, Money};
use super::rejection::Rejection;
use super::supplier::Ineligible;
use super::tender::{Item, Status};
use super::validation::ValidationErrors;

/// A qualified bid competing for the award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub bid_id: Uuid,
    pub rfc: String,
    /// The final price: the sealed total, or the last auction price when one ran.
    pub total: Money,
    /// When that price was given: an earlier price wins a tie.
    pub priced_at: DateTime<Utc>,
}

/// The qualified bids from the winner down: lowest final price first, the earlier price
/// winning a tie (then the bid id, so the order is total).
pub fn ranking(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(rank_order);
    candidates
}

/// Why a supplier can't be awarded on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    NotRegistered,
    Sanctioned,
    NotAdhered,
}

impl From<Ineligible> for Bar {
    fn from(why: Ineligible) -> Self {
        match why {
            Ineligible::NotRegistered => Bar::NotRegistered,
            Ineligible::Sanctioned => Bar::Sanctioned,
        }
    }
}

impl Bar {
    pub fn code(self) -> Code {
        match self {
            Bar::NotRegistered => Code::WinnerNotRegistered,
            Bar::Sanctioned => Code::SupplierSanctioned,
            Bar::NotAdhered => Code::FrameworkSupplierNotAdhered,
        }
    }
}

/// The reference value minus the awarded amount, in centavos.
pub fn savings(reference: Money, awarded: Money) -> i64 {
    reference.minus(awarded)
}

/// A unit price of a sealed bid once its total fell from `sealed` to `final_total` in the
/// auction: in proportion, rounded down to the centavo (so the lines never sum above the
/// final total).
pub fn scale(unit: Money, sealed: Money, final_total: Money) -> Money {
    if sealed.centavos() <= 0 || final_total >= sealed {
        return unit;
    }
    let scaled = i128::from(unit.centavos()) * i128::from(final_total.centavos())
        / i128::from(sealed.centavos());
    i64::try_from(scaled)
        .ok()
        .and_then(|c| Money::from_centavos(c).ok())
        .unwrap_or(unit)
}

/// A qualified bid as the award sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contender {
    /// At its final price.
    pub candidate: Candidate,
    /// Why its supplier can't be awarded on the award date, if so.
    pub standing: Option<Ineligible>,
    /// Its sealed total, and its sealed unit prices by item position (1..n).
    pub sealed_total: Money,
    pub lines: Vec<(u32, Money)>,
}

/// What the ICT rule reads.
#[derive(Debug, Clone, Copy)]
pub struct IctFacts<'a> {
    /// The assent the tender cites, if any.
    pub assent: Option<&'a Assent>,
    /// The tender's agency.
    pub agency: &'a str,
    /// The ICT items: each one's code with its ancestors' codes.
    pub items: &'a [(String, Vec<String>)],
    /// What other awards citing the same assent have spent of it.
    pub spent: Money,
}

/// Everything the award decides on.
#[derive(Debug, Clone)]
pub struct AwardFacts<'a> {
    pub tender: super::ids::TenderId,
    pub status: Status,
    /// `Some(closed)` when an auction was scheduled.
    pub auction_closed: Option<bool>,
    /// The qualified bids.
    pub contenders: Vec<Contender>,
    /// The tender's items, and each one's ancestors' codes.
    pub items: &'a [Item],
    pub chains: &'a [Vec<String>],
    pub reference: Money,
    /// The framework contract of a framework order.
    pub framework: Option<&'a Framework>,
    pub ict: IctFacts<'a>,
    /// The officer gave a reason to pass over barred bids.
    pub pass_over: bool,
    /// The award date in the legal calendar.
    pub today: NaiveDate,
}

/// The award, as decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardDecision {
    pub winner: Candidate,
    /// The unit price awarded for each item, in position order.
    pub unit_prices: Vec<Money>,
    /// Reference value minus the awarded amount, in centavos.
    pub savings: i64,
    /// Under a framework contract: Σ (framework price − awarded unit price) × quantity.
    pub framework_savings: Option<i64>,
    /// The bids passed over, in rank order, with why.
    pub passed_over: Vec<(Candidate, Bar)>,
}

/// Rule 0: a tender is awarded after its evaluation, or once its auction has closed.
pub fn awardable(
    tender: super::ids::TenderId,
    status: Status,
    auction_closed: Option<bool>,
) -> Result<(), Rejection> {
    match (status, auction_closed) {
        (Status::Evaluated, _) | (Status::Auction, Some(true)) => Ok(()),
        (Status::Auction, _) => Err(Rejection::rule(
            Code::AuctionNotClosed,
            format!("tender {tender} is in its auction; it is awarded once the auction closes"),
        )),
        (other, _) => Err(Rejection::rule(
            Code::NotAwardable,
            format!(
                "tender {tender} is {}; a tender is awarded after its evaluation (and auction)",
                other.as_str()
            ),
        )),
    }
}

/// The award decision: [`pick`], then [`settle`] on the winner's sealed prices.
pub fn decide(facts: AwardFacts<'_>) -> Result<AwardDecision, Rejection> {
    let picked = pick(&facts)?;
    settle(&facts, picked)
}

/// The winner, and the bids passed over on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub winner: Contender,
    pub passed_over: Vec<(Candidate, Bar)>,
}

/// The first step of the award (see the module's documentation).
pub fn pick(facts: &AwardFacts<'_>) -> Result<Picked, Rejection> {
    awardable(facts.tender, facts.status, facts.auction_closed)?;
    if let Some(framework) = facts.framework
        && !framework.active_on(facts.today)
    {
        return Err(Rejection::field(
            "framework_contract_id",
            Code::FrameworkContractInactive,
            format!(
                "the order's framework contract is not in force on {}",
                facts.today
            ),
        ));
    }
    let (winner, passed_over) = first_eligible(facts)?;
    Ok(Picked {
        winner,
        passed_over,
    })
}

/// The second step of the award, on the winner `pick` found (its `lines` filled in).
pub fn settle(facts: &AwardFacts<'_>, picked: Picked) -> Result<AwardDecision, Rejection> {
    let Picked {
        winner,
        passed_over,
    } = picked;
    let unit_prices = unit_prices(facts.items.len(), &winner);
    let winner = winner.candidate;
    let needed = winner
        .total
        .checked_add(facts.ict.spent)
        .unwrap_or(Money::from_centavos(MAX_CENTAVOS).unwrap_or(winner.total));
    check_assent(
        facts.ict.assent,
        facts.ict.agency,
        facts.ict.items,
        facts.today,
        Some(needed),
    )
    .map_err(|problem| Rejection::field("ict_assent_id", problem.code(), problem.message()))?;
    let framework_savings = match facts.framework {
        None => None,
        Some(framework) => Some(within_framework(
            framework,
            facts.items,
            facts.chains,
            &unit_prices,
        )?),
    };
    if winner.total > facts.reference {
        return Err(Rejection::rule(
            Code::AboveReferenceValue,
            format!(
                "the award {} exceeds the reference value {}",
                winner.total, facts.reference
            ),
        ));
    }
    Ok(AwardDecision {
        savings: savings(facts.reference, winner.total),
        winner,
        unit_prices,
        framework_savings,
        passed_over,
    })
}

/// Rules 1 and 3: the first-ranked contender that may be awarded, and those passed over.
fn first_eligible(facts: &AwardFacts<'_>) -> Result<(Contender, Vec<(Candidate, Bar)>), Rejection> {
    let mut contenders = facts.contenders.clone();
    contenders.sort_by(|a, b| rank_order(&a.candidate, &b.candidate));
    let mut passed_over = Vec::new();
    for contender in contenders {
        let bar = match contender.standing {
            Some(why) => Some(Bar::from(why)),
            None if facts
                .framework
                .is_some_and(|f| !f.adhered(&contender.candidate.rfc)) =>
            {
                Some(Bar::NotAdhered)
            }
            None => None,
        };
        match bar {
            None => return Ok((contender, passed_over)),
            Some(bar) if facts.pass_over => passed_over.push((contender.candidate, bar)),
            Some(bar) => {
                let c = &contender.candidate;
                return Err(Rejection::rule(
                    bar.code(),
                    format!(
                        "the first-ranked bid {} ({}) can't be awarded today ({}); to award the \
                         next qualified bid, send pass_over_reason",
                        c.bid_id,
                        c.rfc,
                        bar.code()
                    ),
                ));
            }
        }
    }
    Err(Rejection::rule(
        Code::NoEligibleBid,
        format!(
            "tender {} has no qualified bid that can be awarded",
            facts.tender
        ),
    ))
}

/// The unit prices awarded: the winner's sealed prices, falling in proportion to its
/// final total after an auction.
fn unit_prices(items: usize, winner: &Contender) -> Vec<Money> {
    let mut prices = vec![Money::ZERO; items];
    for (position, unit) in &winner.lines {
        if let Some(slot) = usize::try_from(*position)
            .ok()
            .and_then(|p| p.checked_sub(1))
            .and_then(|p| prices.get_mut(p))
        {
            *slot = scale(*unit, winner.sealed_total, winner.candidate.total);
        }
    }
    prices
}

/// Rule 5's prices and rule 6's framework savings.
fn within_framework(
    framework: &Framework,
    items: &[Item],
    chains: &[Vec<String>],
    prices: &[Money],
) -> Result<i64, Rejection> {
    let mut errors = ValidationErrors::new();
    for (i, (item, price)) in items.iter().zip(prices).enumerate() {
        let chain = chains.get(i).map(Vec::as_slice).unwrap_or(&[]);
        if framework
            .price_of(&item.classifier_code, chain)
            .is_some_and(|fixed| *price > fixed)
        {
            errors.push(
                &format!("items[{i}]"),
                Code::FrameworkPriceExceeded,
                format!("the awarded unit price {price} is above the framework price"),
            );
        }
    }
    errors.finish()?;
    framework_savings(framework, items, chains, prices).ok_or_else(|| {
        Rejection::field(
            "items",
            Code::InvalidMoney,
            "the framework savings do not fit in an amount",
        )
    })
}

/// The ranking's order: lowest price, then the earlier price, then the bid id.
fn rank_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    a.total
        .cmp(&b.total)
        .then(a.priced_at.cmp(&b.priced_at))
        .then(a.bid_id.cmp(&b.bid_id))
}
#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(n: u8, total: &str, at_s: i64) -> Candidate {
        Candidate {
            bid_id: Uuid::from_bytes([n; 16]),
            rfc: format!("R{n}"),
            total: Money::parse(total).unwrap(),
            priced_at: DateTime::from_timestamp(at_s, 0).unwrap(),
        }
    }

    #[test]
    fn the_lowest_price_wins_and_the_earlier_price_breaks_a_tie() {
        let ranked = ranking(vec![
            candidate(1, "100.00", 5),
            candidate(2, "99.99", 9),
            candidate(3, "99.99", 7),
        ]);
        let order: Vec<&str> = ranked.iter().map(|c| c.rfc.as_str()).collect();
        assert_eq!(order, ["R3", "R2", "R1"]);
    }

    #[test]
    fn savings_are_reference_minus_award() {
        assert_eq!(
            savings(
                Money::parse("1000.00").unwrap(),
                Money::parse("850.50").unwrap()
            ),
            14_950
        );
    }

    #[test]
    fn unit_prices_fall_in_proportion_after_an_auction() {
        let m = |s: &str| Money::parse(s).unwrap();
        assert_eq!(scale(m("100.00"), m("1000.00"), m("900.00")), m("90.00"));
        assert_eq!(
            scale(m("0.03"), m("3.00"), m("2.00")),
            m("0.02"),
            "rounded down"
        );
        assert_eq!(scale(m("100.00"), m("1000.00"), m("1000.00")), m("100.00"));
    }

    mod decision {
        use super::super::*;
        use crate::domain::ids::TenderId;
        use proptest::prelude::*;

        fn m(s: &str) -> Money {
            Money::parse(s).unwrap()
        }

        fn day(s: &str) -> NaiveDate {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
        }

        fn items() -> Vec<Item> {
            vec![
                Item {
                    lot: 1,
                    classifier_code: "2111".into(),
                    quantity: 10,
                    unit: "pieza".into(),
                    max_unit_price: m("100.00"),
                },
                Item {
                    lot: 1,
                    classifier_code: "2112".into(),
                    quantity: 5,
                    unit: "caja".into(),
                    max_unit_price: m("200.00"),
                },
            ]
        }

        /// A contender bidding `unit_a` and `unit_b` (total = 10·a + 5·b), at `at` seconds.
        fn bidder(n: u8, unit_a: &str, unit_b: &str, at: i64) -> Contender {
            let total = m(unit_a)
                .checked_mul(10)
                .unwrap()
                .checked_add(m(unit_b).checked_mul(5).unwrap())
                .unwrap();
            Contender {
                candidate: Candidate {
                    bid_id: Uuid::from_bytes([n; 16]),
                    rfc: format!("RFC{n}"),
                    total,
                    priced_at: DateTime::from_timestamp(at, 0).unwrap(),
                },
                standing: None,
                sealed_total: total,
                lines: vec![(1, m(unit_a)), (2, m(unit_b))],
            }
        }

        struct World {
            items: Vec<Item>,
            chains: Vec<Vec<String>>,
            ict_items: Vec<(String, Vec<String>)>,
            assent: Option<Assent>,
            framework: Option<Framework>,
        }

        impl World {
            fn plain() -> Self {
                World {
                    items: items(),
                    chains: vec![vec!["2100".into()], vec!["2100".into()]],
                    ict_items: Vec::new(),
                    assent: None,
                    framework: None,
                }
            }

            fn facts(&self, contenders: Vec<Contender>) -> AwardFacts<'_> {
                AwardFacts {
                    tender: TenderId::from_uuid(Uuid::nil()),
                    status: Status::Evaluated,
                    auction_closed: None,
                    contenders,
                    items: &self.items,
                    chains: &self.chains,
                    reference: m("2000.00"),
                    framework: self.framework.as_ref(),
                    ict: IctFacts {
                        assent: self.assent.as_ref(),
                        agency: "SEP",
                        items: &self.ict_items,
                        spent: Money::ZERO,
                    },
                    pass_over: false,
                    today: day("2026-06-01"),
                }
            }
        }

        fn framework() -> Framework {
            Framework {
                valid_from: day("2026-01-01"),
                valid_until: day("2026-12-31"),
                ended_on: None,
                prices: vec![
                    ("2111".into(), "pieza".into(), m("90.00")),
                    ("2100".into(), "caja".into(), m("180.00")),
                ],
                suppliers: vec!["RFC1".into(), "RFC2".into()],
            }
        }

        fn code(result: Result<AwardDecision, Rejection>) -> Code {
            result.err().map_or(Code::InternalError, |r| r.code())
        }

        #[test]
        fn every_rule_holding_the_lowest_price_wins_with_its_savings() {
            let w = World::plain();
            let d = decide(w.facts(vec![
                bidder(1, "90.00", "150.00", 5),
                bidder(2, "80.00", "150.00", 9),
            ]))
            .unwrap();
            assert_eq!(d.winner.rfc, "RFC2");
            assert_eq!(d.winner.total, m("1550.00"));
            assert_eq!(d.unit_prices, [m("80.00"), m("150.00")]);
            assert_eq!(d.savings, 45_000, "rule 6: reference minus amount");
            assert_eq!(d.framework_savings, None);
            assert!(d.passed_over.is_empty());
        }

        #[test]
        fn rule_0_an_award_follows_the_evaluation_and_the_auction() {
            let w = World::plain();
            let mut facts = w.facts(vec![bidder(1, "90.00", "150.00", 5)]);
            facts.status = Status::Opened;
            assert_eq!(code(decide(facts.clone())), Code::NotAwardable);
            facts.status = Status::Auction;
            facts.auction_closed = Some(false);
            assert_eq!(code(decide(facts.clone())), Code::AuctionNotClosed);
            facts.auction_closed = Some(true);
            assert!(decide(facts).is_ok());
        }

        #[test]
        fn rule_1_a_tie_goes_to_the_earlier_price_and_no_bid_is_no_award() {
            let w = World::plain();
            let d = decide(w.facts(vec![
                bidder(1, "90.00", "150.00", 9),
                bidder(2, "90.00", "150.00", 4),
            ]))
            .unwrap();
            assert_eq!(d.winner.rfc, "RFC2");
            assert_eq!(code(decide(w.facts(Vec::new()))), Code::NoEligibleBid);
        }

        #[test]
        fn rule_2_the_amount_is_within_the_reference_value() {
            let w = World::plain();
            assert_eq!(
                code(decide(w.facts(vec![bidder(1, "100.00", "200.01", 5)]))),
                Code::AboveReferenceValue
            );
            assert!(decide(w.facts(vec![bidder(1, "100.00", "200.00", 5)])).is_ok());
        }

        #[test]
        fn rule_3_a_barred_winner_refuses_the_award_unless_passed_over() {
            let w = World::plain();
            let mut sanctioned = bidder(1, "80.00", "150.00", 5);
            sanctioned.standing = Some(Ineligible::Sanctioned);
            let mut unregistered = bidder(3, "85.00", "150.00", 5);
            unregistered.standing = Some(Ineligible::NotRegistered);
            let next = bidder(2, "90.00", "150.00", 5);
            let all = vec![sanctioned.clone(), unregistered.clone(), next];
            assert_eq!(code(decide(w.facts(all.clone()))), Code::SupplierSanctioned);
            assert_eq!(
                code(decide(w.facts(vec![unregistered.clone()]))),
                Code::WinnerNotRegistered
            );
            let mut facts = w.facts(all);
            facts.pass_over = true;
            let d = decide(facts).unwrap();
            assert_eq!(d.winner.rfc, "RFC2");
            assert_eq!(
                d.passed_over,
                [
                    (sanctioned.candidate, Bar::Sanctioned),
                    (unregistered.candidate, Bar::NotRegistered)
                ]
            );
            let mut facts = w.facts(vec![sanctioned_only()]);
            facts.pass_over = true;
            assert_eq!(code(decide(facts)), Code::NoEligibleBid);
        }

        fn sanctioned_only() -> Contender {
            let mut c = bidder(1, "80.00", "150.00", 5);
            c.standing = Some(Ineligible::Sanctioned);
            c
        }

        #[test]
        fn rule_4_ict_items_need_an_assent_that_covers_the_amount() {
            let mut w = World::plain();
            w.ict_items = vec![("2111".into(), vec!["2100".into()])];
            let winner = || vec![bidder(1, "90.00", "150.00", 5)];
            assert_eq!(code(decide(w.facts(winner()))), Code::IctAssentRequired);
            w.assent = Some(Assent {
                agency: "SEP".into(),
                approved: true,
                approved_amount: Some(m("2000.00")),
                expires_on: Some(day("2026-12-31")),
                codes: vec!["2100".into()],
            });
            assert!(decide(w.facts(winner())).is_ok());
            let mut facts = w.facts(winner());
            facts.ict.spent = m("600.00");
            let rejection = decide(facts).unwrap_err();
            assert_eq!(rejection.code(), Code::IctAssentInsufficient);
            assert!(
                matches!(&rejection, Rejection::Fields(f) if f.0[0].field == "ict_assent_id"),
                "{rejection:?}"
            );
            let mut facts = w.facts(winner());
            facts.today = day("2027-01-01");
            assert_eq!(code(decide(facts)), Code::IctAssentExpired);
        }

        #[test]
        fn rule_5_under_a_framework_contract_its_prices_suppliers_and_term_hold() {
            let mut w = World::plain();
            w.framework = Some(framework());
            let d = decide(w.facts(vec![bidder(1, "85.00", "170.00", 5)])).unwrap();
            // (90 − 85) × 10 + (180 − 170) × 5 = 100.00
            assert_eq!(
                d.framework_savings,
                Some(10_000),
                "rule 6 under a framework"
            );
            assert_eq!(
                code(decide(w.facts(vec![bidder(1, "85.00", "180.01", 5)]))),
                Code::FrameworkPriceExceeded
            );
            assert_eq!(
                code(decide(w.facts(vec![bidder(3, "85.00", "170.00", 5)]))),
                Code::FrameworkSupplierNotAdhered
            );
            let mut facts = w.facts(vec![bidder(1, "85.00", "170.00", 5)]);
            facts.today = day("2027-01-01");
            assert_eq!(code(decide(facts)), Code::FrameworkContractInactive);
        }

        #[test]
        fn the_ict_rule_answers_before_the_framework_prices() {
            let mut w = World::plain();
            w.framework = Some(framework());
            w.ict_items = vec![("2111".into(), vec!["2100".into()])];
            assert_eq!(
                code(decide(w.facts(vec![bidder(1, "85.00", "180.01", 5)]))),
                Code::IctAssentRequired
            );
        }

        #[test]
        fn only_the_winner_needs_its_sealed_prices() {
            let w = World::plain();
            let mut loser = bidder(1, "95.00", "150.00", 5);
            loser.lines.clear();
            let mut facts = w.facts(vec![loser, bidder(2, "90.00", "150.00", 5)]);
            let mut picked = pick(&facts).unwrap();
            assert_eq!(picked.winner.candidate.rfc, "RFC2");
            let lines = std::mem::take(&mut picked.winner.lines);
            facts.ict.spent = Money::ZERO;
            picked.winner.lines = lines;
            assert_eq!(
                settle(&facts, picked).unwrap().unit_prices,
                [m("90.00"), m("150.00")]
            );
        }

        #[test]
        fn after_an_auction_unit_prices_fall_with_the_total() {
            let mut w = World::plain();
            w.framework = Some(framework());
            let mut c = bidder(1, "90.00", "180.00", 5);
            // Sealed at 1,800.00, the auction brought it to 1,620.00 (−10 %).
            c.candidate.total = m("1620.00");
            let d = decide(w.facts(vec![c])).unwrap();
            assert_eq!(d.unit_prices, [m("81.00"), m("162.00")]);
            assert_eq!(d.savings, 38_000);
        }

        fn arb_contender() -> impl Strategy<Value = Contender> {
            (0u8..40, 1i64..200_000, 0i64..5, 0u8..4).prop_map(|(n, total, at, standing)| {
                let total = Money::from_centavos(total).unwrap();
                Contender {
                    candidate: Candidate {
                        bid_id: Uuid::from_bytes([n; 16]),
                        rfc: format!("RFC{n}"),
                        total,
                        priced_at: DateTime::from_timestamp(at, 0).unwrap(),
                    },
                    standing: match standing {
                        0 => Some(Ineligible::Sanctioned),
                        1 => Some(Ineligible::NotRegistered),
                        _ => None,
                    },
                    sealed_total: total,
                    lines: Vec::new(),
                }
            })
        }

        proptest! {
            #[test]
            fn the_winner_is_the_lowest_eligible_price_and_savings_add_up(
                contenders in proptest::collection::vec(arb_contender(), 0..8),
                pass_over in any::<bool>(),
            ) {
                let w = World::plain();
                let mut facts = w.facts(contenders.clone());
                facts.pass_over = pass_over;
                let ranked = ranking(contenders.iter().map(|c| c.candidate.clone()).collect());
                let eligible: Vec<&Candidate> = ranked
                    .iter()
                    .filter(|c| contenders.iter().any(|k| k.candidate == **c && k.standing.is_none()))
                    .collect();
                match decide(facts) {
                    Ok(d) => {
                        prop_assert_eq!(Some(&&d.winner), eligible.first());
                        prop_assert!(pass_over || ranked.first() == Some(&d.winner));
                        // No eligible bid is cheaper, or as cheap and earlier.
                        for c in &eligible {
                            prop_assert!((c.total, c.priced_at) >= (d.winner.total, d.winner.priced_at));
                        }
                        prop_assert_eq!(d.savings, m("2000.00").centavos() - d.winner.total.centavos());
                        prop_assert!(d.winner.total <= m("2000.00"));
                    }
                    Err(r) => {
                        let first_barred = ranked.first().is_some_and(|f| !eligible.contains(&f));
                        prop_assert!(
                            eligible.is_empty()
                                || (!pass_over && first_barred)
                                || eligible.first().is_some_and(|w| w.total > m("2000.00")),
                            "refused with {:?}", r
                        );
                    }
                }
            }
        }
    }
}
