//! Typed identifiers: a tender's id can't be passed where a bid's is wanted. Each wraps
//! the UUIDv7 stored in its row (time-ordered, so newest-first lists order by id).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident,)*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(raw).map(Self)
            }
        }
    )*};
}

ids! {
    /// A tender (procedimiento).
    TenderId,
    /// A sealed bid.
    BidId,
    /// A tender's reverse auction.
    AuctionId,
    /// An award (fallo).
    AwardId,
    /// A signed contract.
    ContractId,
    /// A clarification question.
    QuestionId,
    /// An ICT assent (dictamen).
    AssentId,
    /// A framework contract (contrato marco).
    FrameworkId,
    /// A document.
    DocumentId,
}
