//! Lots (partidas): a tender is bought in 1 to [`MAX_LOTS`] lots, each with its own items,
//! reference value, auction, award and contract, awarded or deserted on its own. The
//! tender's status follows its lots ([`tender_status`]); a lot's own decisions are taken
//! with the rules of a one-lot tender, on the status the lot is in ([`as_tender`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tender::Status;

/// The most lots one tender has.
pub const MAX_LOTS: usize = 200;

/// Where a lot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LotStatus {
    /// From the draft until it is awarded, goes to auction or is deserted.
    Active,
    /// Its auction is scheduled (or has run); the award follows.
    Auction,
    Awarded,
    Contracted,
    /// No bid offered it, or none qualified on it.
    Deserted,
    /// Its tender was cancelled before the lot was awarded.
    Cancelled,
}

impl LotStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LotStatus::Active => "active",
            LotStatus::Auction => "auction",
            LotStatus::Awarded => "awarded",
            LotStatus::Contracted => "contracted",
            LotStatus::Deserted => "deserted",
            LotStatus::Cancelled => "cancelled",
        }
    }

    /// Awarded, contracted, deserted or cancelled: nothing more happens to the lot.
    pub fn decided(self) -> bool {
        !matches!(self, LotStatus::Active | LotStatus::Auction)
    }
}

/// The status of a tender after its evaluation, from its lots' (SPEC §2): `deserted` when
/// every lot is; once every lot is decided, `cancelled` when none was awarded, else
/// `contracted` when every awarded lot has its contract and `awarded` otherwise; before
/// that, `auction` while a lot is in its auction, else `evaluated`.
pub fn tender_status(lots: &[LotStatus]) -> Status {
    let awarded = |l: &&LotStatus| matches!(l, LotStatus::Awarded | LotStatus::Contracted);
    if lots.iter().all(|l| *l == LotStatus::Deserted) {
        Status::Deserted
    } else if lots.iter().all(|l| l.decided()) {
        if !lots.iter().any(|l| awarded(&l)) {
            Status::Cancelled
        } else if lots.contains(&LotStatus::Awarded) {
            Status::Awarded
        } else {
            Status::Contracted
        }
    } else if lots.contains(&LotStatus::Auction) {
        Status::Auction
    } else {
        Status::Evaluated
    }
}

/// The status a lot is in, as a one-lot tender's would be: the rules of the auction, the
/// award and the contract are decided on it. An active lot of a tender that other lots
/// have moved on (to its auction, say) is still evaluated.
pub fn as_tender(tender: Status, lot: LotStatus) -> Status {
    match lot {
        LotStatus::Active => match tender {
            Status::Auction | Status::Awarded | Status::Contracted => Status::Evaluated,
            other => other,
        },
        LotStatus::Auction => Status::Auction,
        LotStatus::Awarded => Status::Awarded,
        LotStatus::Contracted => Status::Contracted,
        LotStatus::Deserted => Status::Deserted,
        LotStatus::Cancelled => Status::Cancelled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LotStatus::*;

    #[test]
    fn the_tender_follows_its_lots() {
        assert_eq!(tender_status(&[Deserted, Deserted]), Status::Deserted);
        assert_eq!(tender_status(&[Awarded, Deserted]), Status::Awarded);
        assert_eq!(tender_status(&[Contracted, Awarded]), Status::Awarded);
        assert_eq!(tender_status(&[Contracted, Deserted]), Status::Contracted);
        assert_eq!(tender_status(&[Awarded, Active]), Status::Evaluated);
        assert_eq!(tender_status(&[Awarded, Auction]), Status::Auction);
        assert_eq!(tender_status(&[Active, Auction]), Status::Auction);
        assert_eq!(tender_status(&[Active]), Status::Evaluated);
        assert_eq!(tender_status(&[Contracted]), Status::Contracted);
        // Lots cancelled once others were awarded leave the tender with those.
        assert_eq!(tender_status(&[Awarded, Cancelled]), Status::Awarded);
        assert_eq!(
            tender_status(&[Contracted, Cancelled, Deserted]),
            Status::Contracted
        );
        assert_eq!(tender_status(&[Deserted, Cancelled]), Status::Cancelled);
    }

    #[test]
    fn a_lot_is_decided_as_a_one_lot_tender() {
        assert_eq!(as_tender(Status::Auction, Active), Status::Evaluated);
        assert_eq!(as_tender(Status::Evaluated, Active), Status::Evaluated);
        assert_eq!(as_tender(Status::Opened, Active), Status::Opened);
        assert_eq!(as_tender(Status::Cancelled, Active), Status::Cancelled);
        assert_eq!(as_tender(Status::Evaluated, Awarded), Status::Awarded);
        assert_eq!(as_tender(Status::Auction, Auction), Status::Auction);
    }

    #[test]
    fn every_status_is_named_as_the_api_shows_it() {
        for s in [Active, Auction, Awarded, Contracted, Deserted, Cancelled] {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::from(s.as_str()))
            );
        }
    }
}
