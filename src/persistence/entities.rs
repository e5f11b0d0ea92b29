//! sea-orm entities, one module per table.

/// A stored enum: its column holds the value's snake-case name, and a value the service
/// does not know is an error when read (never a default).
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name {
            $(#[sea_orm(string_value = $value)] $variant,)*
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $value,)* }
            }
        }
    };
}

/// The domain's enum and its stored twin, converted both ways (exhaustively, so a variant
/// added to one and not the other does not compile).
macro_rules! twin {
    ($stored:ident <=> $domain:path { $($variant:ident),* $(,)? }) => {
        impl From<$stored> for $domain {
            fn from(value: $stored) -> Self {
                match value { $($stored::$variant => <$domain>::$variant,)* }
            }
        }

        impl From<$domain> for $stored {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$variant => $stored::$variant,)* }
            }
        }
    };
}

stored_enum!(
    /// `tenders.status`.
    TenderStatus {
        Draft = "draft",
        Published = "published",
        Opened = "opened",
        Evaluated = "evaluated",
        Auction = "auction",
        Awarded = "awarded",
        Contracted = "contracted",
        Cancelled = "cancelled",
        Deserted = "deserted",
    }
);
twin!(TenderStatus <=> crate::domain::tender::Status {
    Draft, Published, Opened, Evaluated, Auction, Awarded, Contracted, Cancelled, Deserted,
});

stored_enum!(
    /// `tenders.procedure`.
    TenderProcedure {
        Open = "open",
        Invitation = "invitation",
        DirectAward = "direct_award",
        FrameworkOrder = "framework_order",
    }
);
twin!(TenderProcedure <=> crate::domain::tender::Procedure {
    Open, Invitation, DirectAward, FrameworkOrder,
});

stored_enum!(
    /// `tenders.scope`.
    TenderScope {
        National = "national",
        International = "international",
    }
);
twin!(TenderScope <=> crate::domain::tender::Scope { National, International });

stored_enum!(
    /// `bids.status`: the live bid of a supplier, or one it replaced or withdrew.
    BidStatus {
        Live = "live",
        Replaced = "replaced",
        Withdrawn = "withdrawn",
    }
);

stored_enum!(
    /// `documents.kind`.
    DocumentKind {
        Call = "call",
        TechnicalAnnex = "technical_annex",
        ClarificationsMinutes = "clarifications_minutes",
        OpeningMinutes = "opening_minutes",
        EvaluationReport = "evaluation_report",
        AwardNotice = "award_notice",
        Contract = "contract",
        Other = "other",
        Bid = "bid",
    }
);
twin!(DocumentKind <=> crate::domain::document::DocumentKind {
    Call, TechnicalAnnex, ClarificationsMinutes, OpeningMinutes, EvaluationReport, AwardNotice,
    Contract, Other, Bid,
});

stored_enum!(
    /// `tender_lots.status`.
    LotStatus {
        Active = "active",
        Auction = "auction",
        Awarded = "awarded",
        Contracted = "contracted",
        Deserted = "deserted",
        Cancelled = "cancelled",
    }
);
twin!(LotStatus <=> crate::domain::lot::LotStatus {
    Active, Auction, Awarded, Contracted, Deserted, Cancelled,
});

stored_enum!(
    /// `complaints.act`.
    ComplaintAct {
        Conditions = "conditions",
        Opening = "opening",
        Evaluation = "evaluation",
        Award = "award",
    }
);
twin!(ComplaintAct <=> crate::domain::complaint::Act { Conditions, Opening, Evaluation, Award });

stored_enum!(
    /// `complaints.status`.
    ComplaintStatus {
        Filed = "filed",
        Admitted = "admitted",
        Rejected = "rejected",
        Upheld = "upheld",
        Dismissed = "dismissed",
        Withdrawn = "withdrawn",
    }
);
twin!(ComplaintStatus <=> crate::domain::complaint::ComplaintStatus {
    Filed, Admitted, Rejected, Upheld, Dismissed, Withdrawn,
});

stored_enum!(
    /// `auctions.status`.
    AuctionStatus {
        Scheduled = "scheduled",
        Closed = "closed",
    }
);

stored_enum!(
    /// `ict_assents.status`.
    AssentStatus {
        Requested = "requested",
        Approved = "approved",
        Rejected = "rejected",
    }
);

pub mod agency {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agencies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub created_at: DateTimeUtc,
        /// The unit's RFC (a legal person's, 12 characters), when recorded.
        pub rfc: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub occurred_at: DateTimeUtc,
        pub actor_role: String,
        pub actor_sub: String,
        pub action: String,
        pub entity_type: String,
        pub entity_id: String,
        /// Canonical JSON text.
        pub data: String,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_checkpoint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_checkpoint")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
        pub hash: String,
        pub verified_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod classifier_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "classifier_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub description: String,
        pub parent: Option<String>,
        pub level: i32,
        pub partida: Option<String>,
        pub unit: Option<String>,
        pub is_ict: bool,
        pub search_text: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod supplier {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "suppliers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub rfc: String,
        pub person_type: String,
        pub legal_name: String,
        pub search_name: String,
        pub size: String,
        pub email: String,
        pub check_digit_override: bool,
        pub registered_by: String,
        pub registered_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod supplier_classifier {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "supplier_classifiers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub rfc: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sanction {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sanctions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub rfc: String,
        pub authority: String,
        pub reference: String,
        pub reason: String,
        pub starts_on: Date,
        pub ends_on: Date,
        pub recorded_by: String,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tender {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency: String,
        pub title: String,
        pub description: String,
        /// Title and description folded (`domain::text::fold`): what the search matches.
        pub search_text: String,
        pub procedure: super::TenderProcedure,
        pub scope: super::TenderScope,
        pub status: super::TenderStatus,
        pub reference_centavos: i64,
        pub clarifications_until: DateTimeUtc,
        pub submission_deadline: DateTimeUtc,
        pub opening_at: DateTimeUtc,
        pub legal_justification: Option<String>,
        pub framework_contract_id: Option<Uuid>,
        pub ict_assent_id: Option<Uuid>,
        pub framework_exception: Option<String>,
        pub auction_settings: Option<String>,
        pub cancel_reason: Option<String>,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
        pub opened_at: Option<DateTimeUtc>,
        pub evaluated_at: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
        /// The admitted complaint that suspends it, while one does.
        pub suspended_by: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tender_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tender_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tender_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub position: i32,
        pub classifier_code: String,
        pub quantity: i64,
        pub unit: String,
        pub max_unit_centavos: i64,
        pub is_ict: bool,
        /// The lot it belongs to (1-based).
        pub lot: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tender_lot {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tender_lots")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tender_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub number: i32,
        pub title: String,
        pub description: Option<String>,
        pub reference_centavos: i64,
        pub status: super::LotStatus,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tender_invitation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tender_invitations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tender_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub rfc: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tender_question {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tender_questions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tender_id: Uuid,
        pub asker_rfc: String,
        pub question: String,
        pub asked_at: DateTimeUtc,
        pub answer: Option<String>,
        pub answered_at: Option<DateTimeUtc>,
        pub answered_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod bid {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bids")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tender_id: Uuid,
        /// In clear from the opening on (version 2; always for version 1).
        pub rfc: Option<String>,
        pub status: super::BidStatus,
        pub received_at: DateTimeUtc,
        pub receipt_sha256: String,
        pub sealed: String,
        pub withdrawn_at: Option<DateTimeUtc>,
        pub total_centavos: Option<i64>,
        pub qualified: Option<bool>,
        pub evaluation_reason: Option<String>,
        pub evaluated_at: Option<DateTimeUtc>,
        /// HMAC of tender and RFC under the seal key (version 2).
        pub bidder_tag: Option<String>,
        /// 1: RFC in clear, unkeyed receipt; 2: bidder sealed, keyed receipt.
        pub seal_version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod bid_lot {
    use sea_orm::entity::prelude::*;

    /// What an opened bid offers for one lot, and its evaluation there.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bid_lots")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub bid_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub lot: i32,
        pub tender_id: Uuid,
        pub total_centavos: i64,
        pub qualified: Option<bool>,
        pub evaluation_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod award {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "awards")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tender_id: Uuid,
        pub bid_id: Uuid,
        pub rfc: String,
        pub agency: String,
        pub procedure: String,
        pub amount_centavos: i64,
        pub reference_centavos: i64,
        pub savings_centavos: i64,
        pub framework_savings_centavos: Option<i64>,
        pub pass_over_reason: Option<String>,
        /// JSON list of the bids passed over, with why each was barred.
        pub passed_over: String,
        pub awarded_by: String,
        pub awarded_at: DateTimeUtc,
        /// JSON: each item's awarded unit price (`position`, `unit_price_centavos`).
        pub items: Option<String>,
        /// The lot awarded (1-based).
        pub lot: i32,
        /// When an upheld complaint annulled it (kept as history).
        pub annulled_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod contract {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "contracts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tender_id: Uuid,
        pub award_id: Uuid,
        pub amount_centavos: i64,
        pub signed_on: Date,
        pub starts_on: Date,
        pub ends_on: Date,
        pub signed_by: String,
        pub recorded_at: DateTimeUtc,
        /// The lot it contracts (1-based).
        pub lot: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ict_assent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ict_assents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency: String,
        pub title: String,
        pub justification: String,
        pub amount_centavos: i64,
        pub strategic: bool,
        /// requested, approved or rejected.
        pub status: super::AssentStatus,
        pub approved_centavos: Option<i64>,
        pub expires_on: Option<Date>,
        pub fiscal_year: Option<i32>,
        pub decision_notes: Option<String>,
        pub decided_by: Option<String>,
        pub decided_at: Option<DateTimeUtc>,
        pub requested_by: String,
        pub requested_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ict_assent_code {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ict_assent_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub assent_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod framework_contract {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "framework_contracts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        pub valid_from: Date,
        pub valid_until: Date,
        pub ended_on: Option<Date>,
        pub end_reason: Option<String>,
        pub created_by: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod framework_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "framework_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub contract_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub position: i32,
        pub classifier_code: String,
        pub unit: String,
        pub unit_centavos: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod framework_supplier {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "framework_suppliers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub contract_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub rfc: String,
        pub adhered_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod auction {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "auctions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tender_id: Uuid,
        /// Canonical JSON of `domain::auction_settings::AuctionSettings`.
        pub settings: String,
        pub ceiling_centavos: i64,
        pub starts_at: DateTimeUtc,
        /// Scheduled end; the final one once closed.
        pub ends_at: DateTimeUtc,
        pub status: super::AuctionStatus,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
        /// The lot it is run for (1-based).
        pub lot: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod auction_pause {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "auction_pauses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub auction_id: Uuid,
        /// The complaint whose suspension paused it.
        pub complaint_id: Option<Uuid>,
        pub paused_at: DateTimeUtc,
        /// `None` while the pause lasts.
        pub resumed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod auction_participant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "auction_participants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub auction_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub position: i32,
        pub rfc: String,
        pub bid_id: Uuid,
        pub start_centavos: i64,
        pub final_centavos: Option<i64>,
        pub final_rank: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod auction_bid {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "auction_bids")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub auction_id: Uuid,
        pub seq: i64,
        pub rfc: String,
        pub amount_centavos: i64,
        pub placed_at: DateTimeUtc,
        pub rank: i32,
        pub best_centavos: i64,
        pub ends_at: DateTimeUtc,
        pub idempotency_key: Option<String>,
        pub request_sha256: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod document {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tender_id: Uuid,
        pub bid_id: Option<Uuid>,
        pub kind: super::DocumentKind,
        pub title: String,
        pub media_type: String,
        pub size_bytes: i64,
        pub sha256: String,
        pub storage_key: String,
        pub supersedes: Option<Uuid>,
        pub uploaded_by: String,
        pub uploaded_at: DateTimeUtc,
        pub seal_version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod complaint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tender_id: Uuid,
        pub agency: String,
        pub act: super::ComplaintAct,
        pub lot: Option<i32>,
        /// The award an award complaint contests (the one in force when it was filed).
        pub award_id: Option<Uuid>,
        /// When the act it contests happened (the publication, for the conditions): the act
        /// an upheld complaint reverses must still be that one.
        pub contested_at: Option<DateTimeUtc>,
        pub complainant_rfc: String,
        pub title: String,
        pub facts: String,
        pub request: String,
        pub status: super::ComplaintStatus,
        /// Admitted with a suspension of the tender.
        pub suspends: bool,
        pub filed_at: DateTimeUtc,
        pub admitted_at: Option<DateTimeUtc>,
        /// Rejected or resolved.
        pub decided_at: Option<DateTimeUtc>,
        pub decided_by: Option<String>,
        pub rejection_reason: Option<String>,
        /// The rejection's text, or the written resolution.
        pub decision_text: Option<String>,
        pub suspension_lifted_at: Option<DateTimeUtc>,
        pub withdrawn_at: Option<DateTimeUtc>,
        pub effects: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// Admitted with a suspension of its tender that has not ended yet.
        pub fn suspension_in_force(&self) -> bool {
            self.suspends
                && self.suspension_lifted_at.is_none()
                && self.status == super::ComplaintStatus::Admitted
        }
    }
}

pub mod ocds_release {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ocds_releases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub release_id: String,
        pub ocid: String,
        pub tender_id: Uuid,
        /// The release's tags, comma-separated.
        pub tag: String,
        pub date: DateTimeUtc,
        /// The release, as published (JSON).
        pub body: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
