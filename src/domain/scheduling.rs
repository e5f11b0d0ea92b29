//! Scheduling a tender's reverse auction, as one pure decision: who takes part, from
//! which prices, under which rules and ceiling, and until when.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::auction::scheduled_end;
use super::auction_settings::{AuctionSettings, SettingsRequest, merge};
use super::code::Code;
use super::framework::{Framework, ceiling as framework_ceiling};
use super::ids::TenderId;
use super::money::Money;
use super::rejection::Rejection;
use super::tender::{Item, Status};

/// The fewest qualified bids an auction needs.
pub const MIN_PARTICIPANTS: usize = 2;

/// A qualified bid, at its sealed total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualified {
    pub bid_id: Uuid,
    pub rfc: String,
    pub total: Money,
    pub received_at: DateTime<Utc>,
}

/// What scheduling decides on.
#[derive(Debug, Clone)]
pub struct ScheduleFacts<'a> {
    pub tender: TenderId,
    pub status: Status,
    pub qualified: Vec<Qualified>,
    /// The settings planned in the tender, and those of the officer's request.
    pub planned: Option<&'a serde_json::Value>,
    pub request: serde_json::Value,
    pub now: DateTime<Utc>,
    pub time_factor: u32,
    pub reference: Money,
    /// A framework order's contract: its fixed prices cap the ceiling.
    pub framework: Option<&'a Framework>,
    pub items: &'a [Item],
    pub chains: &'a [Vec<String>],
}

/// The auction, as decided.
#[derive(Debug, Clone)]
pub struct ScheduleDecision {
    pub settings: AuctionSettings,
    pub ceiling: Money,
    pub ends_at: DateTime<Utc>,
    /// From the lowest sealed total up; an earlier bid first on a tie.
    pub participants: Vec<Qualified>,
}

/// An evaluated tender with two or more qualified bids goes to auction, its participants
/// at their sealed totals, the request laid over the planned settings, the ceiling the
/// reference value (under a framework order never above its fixed prices).
pub fn decide_schedule(f: ScheduleFacts<'_>) -> Result<ScheduleDecision, Rejection> {
    if f.status != Status::Evaluated {
        return Err(Rejection::rule(
            Code::NotAuctionable,
            format!(
                "tender {} is {}; an auction follows the evaluation",
                f.tender,
                f.status.as_str()
            ),
        ));
    }
    if f.qualified.len() < MIN_PARTICIPANTS {
        return Err(Rejection::rule(
            Code::TooFewQualified,
            format!(
                "an auction needs at least {MIN_PARTICIPANTS} qualified bids; tender {} has {}",
                f.tender,
                f.qualified.len()
            ),
        ));
    }
    let mut participants = f.qualified;
    participants.sort_by(|a, b| {
        a.total
            .cmp(&b.total)
            .then(a.received_at.cmp(&b.received_at))
    });
    let parsed: SettingsRequest = serde_json::from_value(merge(f.planned, f.request))
        .map_err(|e| Rejection::field("auction", Code::InvalidAuctionSettings, e.to_string()))?;
    let settings = AuctionSettings::parse(parsed, f.now, f.time_factor)?;
    let ceiling = match f.framework {
        None => f.reference,
        Some(framework) => framework_ceiling(framework, f.items, f.chains)
            .ok_or_else(|| {
                Rejection::field(
                    "items",
                    Code::InvalidMoney,
                    "the framework ceiling does not fit in an amount",
                )
            })?
            .min(f.reference),
    };
    if let Some(step) = settings.decrement_amount
        && step >= ceiling
    {
        return Err(Rejection::field(
            "decrement",
            Code::InvalidAuctionSettings,
            format!("a decrement of {step} leaves no bid possible under the ceiling {ceiling}"),
        ));
    }
    let ends_at = scheduled_end(&settings.rules(ceiling), participants.len());
    Ok(ScheduleDecision {
        settings,
        ceiling,
        ends_at,
        participants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn q(n: u8, total: &str, at: i64) -> Qualified {
        Qualified {
            bid_id: Uuid::from_bytes([n; 16]),
            rfc: format!("RFC{n}"),
            total: m(total),
            received_at: DateTime::from_timestamp(at, 0).unwrap(),
        }
    }

    fn items() -> Vec<Item> {
        vec![Item {
            lot: 1,
            classifier_code: "2111".into(),
            quantity: 10,
            unit: "pieza".into(),
            max_unit_price: m("100.00"),
        }]
    }

    fn facts<'a>(items: &'a [Item], chains: &'a [Vec<String>]) -> ScheduleFacts<'a> {
        ScheduleFacts {
            tender: TenderId::from_uuid(Uuid::nil()),
            status: Status::Evaluated,
            qualified: vec![q(1, "950.00", 9), q(2, "900.00", 5), q(3, "950.00", 3)],
            planned: None,
            request: json!({"decrement": {"amount": "10.00"}, "duration_s": 600}),
            now: now(),
            time_factor: 1,
            reference: m("1000.00"),
            framework: None,
            items,
            chains,
        }
    }

    #[test]
    fn participants_rank_by_sealed_total_then_by_time() {
        let (items, chains) = (items(), vec![Vec::new()]);
        let d = decide_schedule(facts(&items, &chains)).unwrap();
        let order: Vec<&str> = d.participants.iter().map(|p| p.rfc.as_str()).collect();
        assert_eq!(order, ["RFC2", "RFC3", "RFC1"]);
        assert_eq!(d.ceiling, m("1000.00"));
        assert_eq!(d.ends_at, now() + chrono::Duration::seconds(600));
    }

    #[test]
    fn an_auction_follows_the_evaluation_with_two_qualified_bids() {
        let (items, chains) = (items(), vec![Vec::new()]);
        let mut f = facts(&items, &chains);
        f.status = Status::Opened;
        assert_eq!(decide_schedule(f).unwrap_err().code(), Code::NotAuctionable);
        let mut f = facts(&items, &chains);
        f.qualified.truncate(1);
        assert_eq!(
            decide_schedule(f).unwrap_err().code(),
            Code::TooFewQualified
        );
    }

    #[test]
    fn a_decrement_leaves_room_under_the_ceiling() {
        let (items, chains) = (items(), vec![Vec::new()]);
        let mut f = facts(&items, &chains);
        // A small lot: its reference value is the ceiling.
        f.reference = m("10.00");
        assert_eq!(
            decide_schedule(f).unwrap_err().code(),
            Code::InvalidAuctionSettings
        );
        let mut f = facts(&items, &chains);
        f.reference = m("10.01");
        assert!(decide_schedule(f).is_ok());
    }

    #[test]
    fn settings_are_checked() {
        let (items, chains) = (items(), vec![Vec::new()]);
        let mut f = facts(&items, &chains);
        f.request = json!({"format": "sealed"});
        assert_eq!(
            decide_schedule(f).unwrap_err().code(),
            Code::InvalidAuctionSettings
        );
    }

    #[test]
    fn a_framework_caps_the_ceiling() {
        let (items, chains) = (items(), vec![vec!["2100".to_owned()]]);
        let framework = Framework {
            valid_from: chrono::NaiveDate::MIN,
            valid_until: chrono::NaiveDate::MAX,
            ended_on: None,
            prices: vec![("2100".into(), "pieza".into(), m("90.00"))],
            suppliers: Vec::new(),
        };
        let mut f = facts(&items, &chains);
        f.framework = Some(&framework);
        assert_eq!(decide_schedule(f).unwrap().ceiling, m("900.00"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Participants run from the lowest sealed total up (the earlier bid first on a
            /// tie), all of them, and the ceiling never exceeds the reference value (one above
            /// the decrement of 10.00).
            #[test]
            fn participants_are_ordered_and_the_ceiling_capped(
                bids in proptest::collection::vec((1i64..100_000, 0i64..50), 2..10),
                reference in 1_001i64..200_000,
            ) {
                let (items, chains) = (items(), vec![Vec::new()]);
                let mut f = facts(&items, &chains);
                f.reference = Money::from_centavos(reference).unwrap();
                f.qualified = bids
                    .iter()
                    .enumerate()
                    .map(|(n, (total, at))| Qualified {
                        bid_id: Uuid::from_bytes([n as u8; 16]),
                        rfc: format!("RFC{n}"),
                        total: Money::from_centavos(*total).unwrap(),
                        received_at: DateTime::from_timestamp(*at, 0).unwrap(),
                    })
                    .collect();
                let d = decide_schedule(f).unwrap();
                prop_assert_eq!(d.participants.len(), bids.len());
                for pair in d.participants.windows(2) {
                    prop_assert!((pair[0].total, pair[0].received_at) <= (pair[1].total, pair[1].received_at));
                }
                prop_assert!(d.ceiling.centavos() <= reference);
            }
        }
    }
}
