//! The tender repository: a tender with its items, invitations, award, contract and the id
//! of its auction; drafts written, statuses moved, clarification questions kept. Every
//! function runs on the pool or inside the caller's transaction; none decides a rule.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{
    LotStatus, TenderStatus, auction, award, contract, document, tender, tender_invitation,
    tender_item, tender_lot, tender_question,
};
use crate::domain::agency::AgencyCode;
use crate::domain::ids::{AssentId, AuctionId, FrameworkId, QuestionId, TenderId};
use crate::domain::money::Money;
use crate::domain::tender::{Item, Phase, Procedure, Schedule, Scope, Status, TenderDraft, phase};

/// A tender with its items (in position order), lots (in number order), invited
/// suppliers, and each lot's award, contract and auction.
#[derive(Debug, Clone)]
pub struct TenderRecord {
    pub tender: tender::Model,
    pub items: Vec<tender_item::Model>,
    pub lots: Vec<tender_lot::Model>,
    pub invited: Vec<String>,
    /// In lot order.
    pub awards: Vec<award::Model>,
    pub contracts: Vec<contract::Model>,
    /// The lots' auctions, once scheduled: (lot, auction), in lot order.
    pub auctions: Vec<(i32, AuctionId)>,
    /// Its own documents (not its bids'), in upload order.
    pub documents: Vec<document::Model>,
    /// The complaints filed against its acts, in filing order.
    pub complaints: Vec<super::entities::complaint::Model>,
}

impl TenderRecord {
    pub fn id(&self) -> TenderId {
        TenderId::from_uuid(self.tender.id)
    }

    pub fn agency(&self) -> &str {
        &self.tender.agency
    }

    pub fn status(&self) -> Status {
        self.tender.status.into()
    }

    pub fn procedure(&self) -> Procedure {
        self.tender.procedure.into()
    }

    pub fn scope(&self) -> Scope {
        self.tender.scope.into()
    }

    pub fn framework_id(&self) -> Option<FrameworkId> {
        self.tender
            .framework_contract_id
            .map(FrameworkId::from_uuid)
    }

    pub fn assent_id(&self) -> Option<AssentId> {
        self.tender.ict_assent_id.map(AssentId::from_uuid)
    }

    /// The reference value: the sum of the items' maximum totals, as stored.
    pub fn reference(&self) -> Money {
        Money::from_centavos(self.tender.reference_centavos).unwrap_or_default()
    }

    pub fn schedule(&self) -> Schedule {
        Schedule {
            clarifications_until: self.tender.clarifications_until,
            submission_deadline: self.tender.submission_deadline,
            opening_at: self.tender.opening_at,
        }
    }

    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        phase(self.status(), &self.schedule(), now)
    }

    /// The items' classifier codes, in position order.
    pub fn codes(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|i| i.classifier_code.clone())
            .collect()
    }

    /// The lot numbered `number`, if the tender has it.
    pub fn lot(&self, number: u32) -> Option<&tender_lot::Model> {
        self.lots
            .iter()
            .find(|l| u32::try_from(l.number).ok() == Some(number))
    }

    /// The number of a one-lot tender's lot (1); `None` when it has several.
    pub fn only_lot(&self) -> Option<u32> {
        match self.lots.as_slice() {
            [only] => u32::try_from(only.number).ok(),
            _ => None,
        }
    }

    pub fn award_of(&self, lot: u32) -> Option<&award::Model> {
        self.awards
            .iter()
            .find(|a| u32::try_from(a.lot).ok() == Some(lot))
    }

    pub fn contract_of(&self, lot: u32) -> Option<&contract::Model> {
        self.contracts
            .iter()
            .find(|c| u32::try_from(c.lot).ok() == Some(lot))
    }

    pub fn auction_of(&self, lot: u32) -> Option<AuctionId> {
        self.auctions
            .iter()
            .find(|(l, _)| u32::try_from(*l).ok() == Some(lot))
            .map(|(_, id)| *id)
    }

    /// Every lot's status, in lot order.
    pub fn lot_statuses(&self) -> Vec<crate::domain::lot::LotStatus> {
        self.lots.iter().map(|l| l.status.into()).collect()
    }

    /// Every lot's status once `lot` has moved to `status`, in lot order.
    pub fn lot_statuses_with(
        &self,
        lot: u32,
        status: crate::domain::lot::LotStatus,
    ) -> Vec<crate::domain::lot::LotStatus> {
        self.lots
            .iter()
            .map(|l| {
                if u32::try_from(l.number).ok() == Some(lot) {
                    status
                } else {
                    l.status.into()
                }
            })
            .collect()
    }

    /// A lot's status (a lot the tender does not have: active).
    pub fn lot_status(&self, lot: u32) -> crate::domain::lot::LotStatus {
        self.lot(lot)
            .map_or(crate::domain::lot::LotStatus::Active, |l| l.status.into())
    }

    /// A lot's reference value, as stored.
    pub fn lot_reference(&self, lot: u32) -> Money {
        self.lot(lot)
            .and_then(|l| Money::from_centavos(l.reference_centavos).ok())
            .unwrap_or_default()
    }

    pub fn domain_items(&self) -> Vec<Item> {
        self.items
            .iter()
            .map(|i| Item {
                lot: u32::try_from(i.lot).unwrap_or(0),
                classifier_code: i.classifier_code.clone(),
                quantity: u64::try_from(i.quantity).unwrap_or(0),
                unit: i.unit.clone(),
                max_unit_price: Money::from_centavos(i.max_unit_centavos).unwrap_or_default(),
            })
            .collect()
    }
}

/// Completes tenders with their children, in a fixed number of queries however many.
async fn load(
    conn: &impl ConnectionTrait,
    models: Vec<tender::Model>,
) -> anyhow::Result<Vec<TenderRecord>> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut items: HashMap<Uuid, Vec<tender_item::Model>> = HashMap::new();
    for item in tender_item::Entity::find()
        .filter(tender_item::Column::TenderId.is_in(ids.clone()))
        .order_by_asc(tender_item::Column::TenderId)
        .order_by_asc(tender_item::Column::Position)
        .all(conn)
        .await
        .context("reading tender items")?
    {
        items.entry(item.tender_id).or_default().push(item);
    }
    let mut invited: HashMap<Uuid, Vec<String>> = HashMap::new();
    for invitation in tender_invitation::Entity::find()
        .filter(tender_invitation::Column::TenderId.is_in(ids.clone()))
        .order_by_asc(tender_invitation::Column::TenderId)
        .order_by_asc(tender_invitation::Column::Rfc)
        .all(conn)
        .await
        .context("reading invitations")?
    {
        invited
            .entry(invitation.tender_id)
            .or_default()
            .push(invitation.rfc);
    }
    let mut lots: HashMap<Uuid, Vec<tender_lot::Model>> = HashMap::new();
    for lot in tender_lot::Entity::find()
        .filter(tender_lot::Column::TenderId.is_in(ids.clone()))
        .order_by_asc(tender_lot::Column::TenderId)
        .order_by_asc(tender_lot::Column::Number)
        .all(conn)
        .await
        .context("reading the lots")?
    {
        lots.entry(lot.tender_id).or_default().push(lot);
    }
    let mut awards: HashMap<Uuid, Vec<award::Model>> = HashMap::new();
    for a in award::Entity::find()
        .filter(award::Column::TenderId.is_in(ids.clone()))
        .filter(award::Column::AnnulledAt.is_null())
        .order_by_asc(award::Column::TenderId)
        .order_by_asc(award::Column::Lot)
        .all(conn)
        .await
        .context("reading the awards")?
    {
        awards.entry(a.tender_id).or_default().push(a);
    }
    let mut contracts: HashMap<Uuid, Vec<contract::Model>> = HashMap::new();
    for c in contract::Entity::find()
        .filter(contract::Column::TenderId.is_in(ids.clone()))
        .order_by_asc(contract::Column::TenderId)
        .order_by_asc(contract::Column::Lot)
        .all(conn)
        .await
        .context("reading the contracts")?
    {
        contracts.entry(c.tender_id).or_default().push(c);
    }
    let mut documents: HashMap<Uuid, Vec<document::Model>> = HashMap::new();
    for d in document::Entity::find()
        .filter(document::Column::TenderId.is_in(ids.clone()))
        .filter(document::Column::BidId.is_null())
        .order_by_asc(document::Column::TenderId)
        .order_by_asc(document::Column::Id)
        .all(conn)
        .await
        .context("reading the documents")?
    {
        documents.entry(d.tender_id).or_default().push(d);
    }
    let mut complaints: HashMap<Uuid, Vec<super::entities::complaint::Model>> = HashMap::new();
    for c in super::entities::complaint::Entity::find()
        .filter(super::entities::complaint::Column::TenderId.is_in(ids.clone()))
        .order_by_asc(super::entities::complaint::Column::Id)
        .all(conn)
        .await
        .context("reading the complaints")?
    {
        complaints.entry(c.tender_id).or_default().push(c);
    }
    let mut auctions: HashMap<Uuid, Vec<(i32, AuctionId)>> = HashMap::new();
    for (tender, lot, id) in auction::Entity::find()
        .select_only()
        .column(auction::Column::TenderId)
        .column(auction::Column::Lot)
        .column(auction::Column::Id)
        .filter(auction::Column::TenderId.is_in(ids))
        .order_by_asc(auction::Column::TenderId)
        .order_by_asc(auction::Column::Lot)
        .into_tuple::<(Uuid, i32, Uuid)>()
        .all(conn)
        .await
        .context("reading the auctions' ids")?
    {
        auctions
            .entry(tender)
            .or_default()
            .push((lot, AuctionId::from_uuid(id)));
    }
    Ok(models
        .into_iter()
        .map(|model| TenderRecord {
            items: items.remove(&model.id).unwrap_or_default(),
            lots: lots.remove(&model.id).unwrap_or_default(),
            invited: invited.remove(&model.id).unwrap_or_default(),
            awards: awards.remove(&model.id).unwrap_or_default(),
            contracts: contracts.remove(&model.id).unwrap_or_default(),
            auctions: auctions.remove(&model.id).unwrap_or_default(),
            documents: documents.remove(&model.id).unwrap_or_default(),
            complaints: complaints.remove(&model.id).unwrap_or_default(),
            tender: model,
        })
        .collect())
}

async fn load_one(
    conn: &impl ConnectionTrait,
    model: Option<tender::Model>,
) -> anyhow::Result<Option<TenderRecord>> {
    Ok(load(conn, model.into_iter().collect()).await?.pop())
}

pub async fn get(
    conn: &impl ConnectionTrait,
    id: TenderId,
) -> anyhow::Result<Option<TenderRecord>> {
    let model = tender::Entity::find_by_id(id.uuid())
        .one(conn)
        .await
        .context("reading a tender")?;
    load_one(conn, model).await
}

/// Locks the tender's row until the transaction ends, and reads it whole.
pub async fn lock(txn: &DatabaseTransaction, id: TenderId) -> anyhow::Result<Option<TenderRecord>> {
    let model = tender::Entity::find_by_id(id.uuid())
        .lock_exclusive()
        .one(txn)
        .await
        .context("locking the tender")?;
    load_one(txn, model).await
}

async fn write_children(
    txn: &DatabaseTransaction,
    id: TenderId,
    draft: &TenderDraft,
    flags: &[bool],
) -> anyhow::Result<()> {
    tender_item::Entity::delete_many()
        .filter(tender_item::Column::TenderId.eq(id.uuid()))
        .exec(txn)
        .await?;
    tender_invitation::Entity::delete_many()
        .filter(tender_invitation::Column::TenderId.eq(id.uuid()))
        .exec(txn)
        .await?;
    tender_lot::Entity::delete_many()
        .filter(tender_lot::Column::TenderId.eq(id.uuid()))
        .exec(txn)
        .await?;
    tender_lot::Entity::insert_many(draft.lots.iter().enumerate().map(|(i, lot)| {
        tender_lot::ActiveModel {
            tender_id: Set(id.uuid()),
            number: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            title: Set(lot.title.clone()),
            description: Set(lot.description.clone()),
            reference_centavos: Set(lot.reference_value.centavos()),
            status: Set(LotStatus::Active),
        }
    }))
    .exec(txn)
    .await
    .context("writing the lots")?;
    tender_item::Entity::insert_many(draft.items.iter().zip(flags).enumerate().map(
        |(i, (item, is_ict))| tender_item::ActiveModel {
            tender_id: Set(id.uuid()),
            position: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            classifier_code: Set(item.classifier_code.clone()),
            quantity: Set(i64::try_from(item.quantity).unwrap_or(i64::MAX)),
            unit: Set(item.unit.clone()),
            max_unit_centavos: Set(item.max_unit_price.centavos()),
            is_ict: Set(*is_ict),
            lot: Set(i32::try_from(item.lot).unwrap_or(i32::MAX)),
        },
    ))
    .exec(txn)
    .await
    .context("writing tender items")?;
    if !draft.invited.is_empty() {
        tender_invitation::Entity::insert_many(draft.invited.iter().map(|rfc| {
            tender_invitation::ActiveModel {
                tender_id: Set(id.uuid()),
                rfc: Set(rfc.as_str().to_owned()),
            }
        }))
        .exec(txn)
        .await
        .context("writing invitations")?;
    }
    Ok(())
}

fn fill(active: &mut tender::ActiveModel, draft: &TenderDraft, now: DateTime<Utc>) {
    active.title = Set(draft.title.clone());
    active.description = Set(draft.description.clone());
    active.search_text = Set(search_text(&draft.title, &draft.description));
    active.procedure = Set(draft.procedure.into());
    active.scope = Set(draft.scope.into());
    active.reference_centavos = Set(draft.reference_value.centavos());
    active.clarifications_until = Set(draft.schedule.clarifications_until);
    active.submission_deadline = Set(draft.schedule.submission_deadline);
    active.opening_at = Set(draft.schedule.opening_at);
    active.legal_justification = Set(draft.legal_justification.clone());
    active.framework_contract_id = Set(draft.framework_contract_id);
    active.ict_assent_id = Set(draft.ict_assent_id);
    active.framework_exception = Set(draft.framework_exception.clone());
    active.auction_settings = Set(draft.auction_settings.as_ref().map(|a| a.to_string()));
    active.updated_at = Set(now);
}

/// Writes a new draft; `flags` are its items' ICT flags.
pub async fn insert_draft(
    txn: &DatabaseTransaction,
    id: TenderId,
    agency: &AgencyCode,
    (draft, flags): (&TenderDraft, &[bool]),
    created_by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut active = tender::ActiveModel {
        id: Set(id.uuid()),
        agency: Set(agency.as_str().to_owned()),
        status: Set(TenderStatus::Draft),
        cancel_reason: Set(None),
        created_by: Set(created_by.to_owned()),
        created_at: Set(now),
        published_at: Set(None),
        opened_at: Set(None),
        evaluated_at: Set(None),
        closed_at: Set(None),
        ..Default::default()
    };
    fill(&mut active, draft, now);
    active.insert(txn).await.context("inserting the tender")?;
    write_children(txn, id, draft, flags).await
}

/// Replaces a draft's content.
pub async fn update_draft(
    txn: &DatabaseTransaction,
    record: &TenderRecord,
    (draft, flags): (&TenderDraft, &[bool]),
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut active: tender::ActiveModel = record.tender.clone().into();
    fill(&mut active, draft, now);
    active.update(txn).await.context("updating the draft")?;
    write_children(txn, record.id(), draft, flags).await
}

/// The dates a change of status stamps on the tender.
#[derive(Debug, Clone, Default)]
pub struct Stamps {
    pub published: bool,
    pub opened: bool,
    pub evaluated: bool,
    /// The procedure ended (deserted or cancelled).
    pub closed: bool,
    pub cancel_reason: Option<String>,
}

/// Moves the tender to `status`, stamping what `stamps` says.
pub async fn move_to(
    txn: &DatabaseTransaction,
    record: &TenderRecord,
    status: Status,
    now: DateTime<Utc>,
    stamps: Stamps,
) -> anyhow::Result<tender::Model> {
    let mut active: tender::ActiveModel = record.tender.clone().into();
    active.status = Set(status.into());
    active.updated_at = Set(now);
    if stamps.published {
        active.published_at = Set(Some(now));
    }
    if stamps.opened {
        active.opened_at = Set(Some(now));
    }
    if stamps.evaluated {
        active.evaluated_at = Set(Some(now));
    }
    if stamps.closed {
        active.closed_at = Set(Some(now));
    }
    if let Some(reason) = stamps.cancel_reason {
        active.cancel_reason = Set(Some(reason));
    }
    active.update(txn).await.context("updating the tender")
}

/// Takes a tender back to `status` with the dates of what is undone cleared: the
/// evaluation (and with `opening` the opening too), and the close.
pub async fn rewind(
    txn: &DatabaseTransaction,
    record: &TenderRecord,
    status: Status,
    opening: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<tender::Model> {
    let mut active: tender::ActiveModel = record.tender.clone().into();
    active.status = Set(status.into());
    active.updated_at = Set(now);
    active.evaluated_at = Set(None);
    active.closed_at = Set(None);
    if opening {
        active.opened_at = Set(None);
    }
    active.update(txn).await.context("rewinding the tender")
}

/// Records which admitted complaint suspends the tender (`None`: none does).
pub async fn set_suspension(
    txn: &DatabaseTransaction,
    tender: TenderId,
    by: Option<Uuid>,
) -> anyhow::Result<()> {
    tender::Entity::update_many()
        .col_expr(
            tender::Column::SuspendedBy,
            sea_orm::sea_query::Expr::value(by),
        )
        .filter(tender::Column::Id.eq(tender.uuid()))
        .exec(txn)
        .await
        .context("suspending the tender")?;
    Ok(())
}

/// Moves the lots numbered `lots` of a tender to `status`.
pub async fn move_lots(
    txn: &DatabaseTransaction,
    tender: TenderId,
    lots: &[u32],
    status: crate::domain::lot::LotStatus,
) -> anyhow::Result<()> {
    if lots.is_empty() {
        return Ok(());
    }
    let numbers: Vec<i32> = lots
        .iter()
        .map(|n| i32::try_from(*n).unwrap_or(i32::MAX))
        .collect();
    tender_lot::Entity::update_many()
        .col_expr(
            tender_lot::Column::Status,
            sea_orm::sea_query::Expr::value(LotStatus::from(status).as_str()),
        )
        .filter(tender_lot::Column::TenderId.eq(tender.uuid()))
        .filter(tender_lot::Column::Number.is_in(numbers))
        .exec(txn)
        .await
        .context("moving the lots")?;
    Ok(())
}

/// Who is asking for a list, which decides whether drafts are shown.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Published tenders only.
    Public,
    /// Published tenders, and the drafts of this agency.
    Agency(AgencyCode),
    /// Everything (auditors).
    All,
}

#[derive(Debug, Clone, Default)]
pub struct TenderFilter {
    pub agency: Option<AgencyCode>,
    pub procedure: Option<Procedure>,
    pub status: Option<Status>,
    /// Words its title or description contains, in any case.
    pub text: Option<String>,
    /// Tenders with an item classified under this code (the code or a descendant).
    pub classifier: Option<crate::domain::classifier::ClassifierCode>,
    /// Published at or after.
    pub published_from: Option<DateTime<Utc>>,
    /// Published before.
    pub published_until: Option<DateTime<Utc>>,
    /// Still taking bids at this time (its submission deadline after it).
    pub taking_bids_at: Option<DateTime<Utc>>,
}

/// What the search matches of a tender: its title and description, folded.
fn search_text(title: &str, description: &str) -> String {
    crate::domain::text::fold(&format!("{title} {description}"))
}

/// The most words a search takes.
pub const MAX_SEARCH_WORDS: usize = 8;

/// Fills the search text of the tenders stored before it existed; returns how many.
pub async fn fill_search_text(conn: &impl ConnectionTrait) -> anyhow::Result<usize> {
    use sea_orm::sea_query::Expr;
    let missing = tender::Entity::find()
        .filter(tender::Column::SearchText.eq(""))
        .all(conn)
        .await
        .context("reading tenders without their search text")?;
    for t in &missing {
        tender::Entity::update_many()
            .col_expr(
                tender::Column::SearchText,
                Expr::value(search_text(&t.title, &t.description)),
            )
            .filter(tender::Column::Id.eq(t.id))
            .exec(conn)
            .await
            .context("filling a tender's search text")?;
    }
    Ok(missing.len())
}

/// Tenders whose title or description holds every word of `text` (at most
/// [`MAX_SEARCH_WORDS`]), folded as the search text is: in any case, with or without
/// accents.
fn contains_words(text: &str) -> Condition {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    let mut all = Condition::all();
    for word in crate::domain::text::fold(text).split_whitespace() {
        let escaped: String = word
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        all = all.add(
            Expr::col((tender::Entity, tender::Column::SearchText))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    all
}

/// One page of tenders, newest first (ids are time-ordered UUIDv7).
pub async fn list(
    conn: &impl ConnectionTrait,
    visibility: &Visibility,
    filter: &TenderFilter,
    before: Option<TenderId>,
    limit: u64,
) -> anyhow::Result<Vec<TenderRecord>> {
    let mut condition = Condition::all();
    match visibility {
        Visibility::Public => {
            condition = condition.add(tender::Column::Status.ne(TenderStatus::Draft))
        }
        Visibility::Agency(agency) => {
            condition = condition.add(
                Condition::any()
                    .add(tender::Column::Status.ne(TenderStatus::Draft))
                    .add(tender::Column::Agency.eq(agency.as_str())),
            )
        }
        Visibility::All => {}
    }
    if let Some(agency) = &filter.agency {
        condition = condition.add(tender::Column::Agency.eq(agency.as_str()));
    }
    if let Some(text) = &filter.text {
        condition = condition.add(contains_words(text));
    }
    if let Some(code) = &filter.classifier {
        use sea_orm::sea_query::{BinOper, Expr, ExprTrait};
        condition = condition.add(Expr::col((tender::Entity, tender::Column::Id)).binary(
            BinOper::In,
            super::items_classified_under(
                code.as_str(),
                &[super::entities::tender_item::Column::TenderId],
            ),
        ));
    }
    if let Some(from) = filter.published_from {
        condition = condition.add(tender::Column::PublishedAt.gte(from));
    }
    if let Some(until) = filter.published_until {
        condition = condition.add(tender::Column::PublishedAt.lt(until));
    }
    if let Some(at) = filter.taking_bids_at {
        condition = condition.add(tender::Column::SubmissionDeadline.gt(at));
    }
    if let Some(procedure) = filter.procedure {
        condition = condition
            .add(tender::Column::Procedure.eq(super::entities::TenderProcedure::from(procedure)));
    }
    if let Some(status) = filter.status {
        condition = condition.add(tender::Column::Status.eq(TenderStatus::from(status)));
    }
    if let Some(before) = before {
        condition = condition.add(tender::Column::Id.lt(before.uuid()));
    }
    let models = tender::Entity::find()
        .filter(condition)
        .order_by_desc(tender::Column::Id)
        .limit(limit)
        .all(conn)
        .await
        .context("listing tenders")?;
    load(conn, models).await
}

/// Records a supplier's question.
pub async fn insert_question(
    txn: &DatabaseTransaction,
    tender: TenderId,
    asker_rfc: &str,
    question: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<tender_question::Model> {
    tender_question::ActiveModel {
        id: Set(QuestionId::generate().uuid()),
        tender_id: Set(tender.uuid()),
        asker_rfc: Set(asker_rfc.to_owned()),
        question: Set(question.to_owned()),
        asked_at: Set(now),
        answer: Set(None),
        answered_at: Set(None),
        answered_by: Set(None),
    }
    .insert(txn)
    .await
    .context("inserting the question")
}

/// A question of `tender`, if it has one with that id.
pub async fn question(
    conn: &impl ConnectionTrait,
    tender: TenderId,
    id: QuestionId,
) -> anyhow::Result<Option<tender_question::Model>> {
    Ok(tender_question::Entity::find_by_id(id.uuid())
        .one(conn)
        .await
        .context("reading the question")?
        .filter(|q| q.tender_id == tender.uuid()))
}

/// Writes a question's answer.
pub async fn answer_question(
    txn: &DatabaseTransaction,
    question: tender_question::Model,
    answer: &str,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<tender_question::Model> {
    let mut active: tender_question::ActiveModel = question.into();
    active.answer = Set(Some(answer.to_owned()));
    active.answered_at = Set(Some(now));
    active.answered_by = Set(Some(by.to_owned()));
    active.update(txn).await.context("answering")
}

/// A tender's questions, in the order they were asked.
pub async fn questions(
    conn: &impl ConnectionTrait,
    id: TenderId,
) -> anyhow::Result<Vec<tender_question::Model>> {
    tender_question::Entity::find()
        .filter(tender_question::Column::TenderId.eq(id.uuid()))
        .order_by_asc(tender_question::Column::Id)
        .all(conn)
        .await
        .context("reading questions")
}

/// A tender's answered questions, in the order they were asked.
pub async fn answered_questions(
    conn: &impl ConnectionTrait,
    id: TenderId,
) -> anyhow::Result<Vec<tender_question::Model>> {
    tender_question::Entity::find()
        .filter(tender_question::Column::TenderId.eq(id.uuid()))
        .filter(tender_question::Column::AnsweredAt.is_not_null())
        .order_by_asc(tender_question::Column::AskedAt)
        .all(conn)
        .await
        .context("reading answered questions")
}

/// The tenders other than `except` that cite `assent`.
pub async fn citing_assent(
    conn: &impl ConnectionTrait,
    assent: AssentId,
    except: TenderId,
) -> anyhow::Result<Vec<TenderId>> {
    Ok(tender::Entity::find()
        .select_only()
        .column(tender::Column::Id)
        .filter(tender::Column::IctAssentId.eq(assent.uuid()))
        .filter(tender::Column::Id.ne(except.uuid()))
        .into_tuple::<Uuid>()
        .all(conn)
        .await
        .context("finding tenders under the assent")?
        .into_iter()
        .map(TenderId::from_uuid)
        .collect())
}
