//! Database migrations for licita, applied at start and by `licita migrate`.
//!
//! Each migration is self-contained: its identifiers are local to its file and it never
//! imports the application's entities. Never edit a migration that has been applied
//! somewhere; add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_agencies;
mod m20261122_000002_create_audit_log;
mod m20261122_000003_create_register;
mod m20261122_000004_seed_classifier;
mod m20261122_000005_create_tenders;
mod m20261122_000006_create_awards;
mod m20261122_000007_create_ict_assents;
mod m20261122_000008_create_framework_contracts;
mod m20261201_000009_create_auctions;
mod m20261201_000010_create_ocds_releases;
mod m20261201_000011_seal_bidders;
mod m20261201_000012_index_audit_time;
mod m20261201_000013_add_award_items;
mod m20261201_000014_add_agency_rfc;
mod m20261201_000015_create_documents;
mod m20261201_000016_create_lots;
mod m20261201_000017_create_complaints;
mod m20261201_000018_create_auction_pauses;
mod m20261201_000019_add_tender_search_text;
mod m20261201_000020_create_audit_checkpoint;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_agencies::Migration),
            Box::new(m20261122_000002_create_audit_log::Migration),
            Box::new(m20261122_000003_create_register::Migration),
            Box::new(m20261122_000004_seed_classifier::Migration),
            Box::new(m20261122_000005_create_tenders::Migration),
            Box::new(m20261122_000006_create_awards::Migration),
            Box::new(m20261122_000007_create_ict_assents::Migration),
            Box::new(m20261122_000008_create_framework_contracts::Migration),
            Box::new(m20261201_000009_create_auctions::Migration),
            Box::new(m20261201_000010_create_ocds_releases::Migration),
            Box::new(m20261201_000011_seal_bidders::Migration),
            Box::new(m20261201_000012_index_audit_time::Migration),
            Box::new(m20261201_000013_add_award_items::Migration),
            Box::new(m20261201_000014_add_agency_rfc::Migration),
            Box::new(m20261201_000015_create_documents::Migration),
            Box::new(m20261201_000016_create_lots::Migration),
            Box::new(m20261201_000017_create_complaints::Migration),
            Box::new(m20261201_000018_create_auction_pauses::Migration),
            Box::new(m20261201_000019_add_tender_search_text::Migration),
            Box::new(m20261201_000020_create_audit_checkpoint::Migration),
        ]
    }
}
