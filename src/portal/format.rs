//! How the portal writes money, dates and the service's names in Spanish (es-MX): pure
//! functions, so that every page says them the same way.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::domain::complaint::{Act, ComplaintStatus};
use crate::domain::document::DocumentKind;
use crate::domain::lot::LotStatus;
use crate::domain::money::Money;
use crate::domain::tender::{Phase, Procedure};

/// `$1,234,567.89`: pesos with thousands separated by commas, as Mexico writes them.
pub fn pesos(amount: Money) -> String {
    signed_pesos(amount.centavos())
}

/// As [`pesos`], for an amount that may be negative (a saving below zero).
pub fn signed_pesos(centavos: i64) -> String {
    let sign = if centavos < 0 { "-" } else { "" };
    let abs = centavos.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", abs % 100)
}

/// `05/03/2026 14:30`, in the legal calendar's time.
pub fn when(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// `05/03/2026`.
pub fn day(on: NaiveDate) -> String {
    on.format("%d/%m/%Y").to_string()
}

/// `2026-03-05T14:30:00-06:00`, for `<time datetime>`.
pub fn machine_time(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn phase(phase: Phase) -> &'static str {
    match phase {
        Phase::Draft => "Borrador",
        Phase::Clarification => "Junta de aclaraciones",
        Phase::Submission => "Recepción de proposiciones",
        Phase::Evaluation => "Evaluación",
        Phase::Auction => "Subasta inversa",
        Phase::Awarded => "Adjudicada",
        Phase::Contracted => "Contratada",
        Phase::Cancelled => "Cancelada",
        Phase::Deserted => "Desierta",
    }
}

pub fn lot_status(status: LotStatus) -> &'static str {
    match status {
        LotStatus::Active => "En curso",
        LotStatus::Auction => "En subasta",
        LotStatus::Awarded => "Adjudicada",
        LotStatus::Contracted => "Contratada",
        LotStatus::Deserted => "Desierta",
        LotStatus::Cancelled => "Cancelada",
    }
}

pub fn document_kind(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Call => "Convocatoria",
        DocumentKind::TechnicalAnnex => "Anexo técnico",
        DocumentKind::ClarificationsMinutes => "Acta de la junta de aclaraciones",
        DocumentKind::OpeningMinutes => "Acta de apertura",
        DocumentKind::EvaluationReport => "Dictamen de evaluación",
        DocumentKind::AwardNotice => "Fallo",
        DocumentKind::Contract => "Contrato",
        DocumentKind::Other => "Otro",
        DocumentKind::Bid => "Proposición",
    }
}

/// `5 bytes`, `12 KB`, `3.4 MB`.
pub fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{} KB", (b + 1023) / 1024),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// `2026-12` → `diciembre de 2026`.
pub fn month(label: &str) -> String {
    label
        .split_once('-')
        .and_then(|(y, m)| Some((y, m.parse::<usize>().ok()?)))
        .and_then(|(y, m)| Some(format!("{} de {y}", MONTHS.get(m.checked_sub(1)?)?)))
        .unwrap_or_else(|| label.to_owned())
}

/// `1 evento`, `3 eventos`.
pub fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

pub fn procedure(procedure: Procedure) -> &'static str {
    match procedure {
        Procedure::Open => "Licitación pública",
        Procedure::Invitation => "Invitación a cuando menos tres personas",
        Procedure::DirectAward => "Adjudicación directa",
        Procedure::FrameworkOrder => "Pedido de contrato marco",
    }
}

pub fn act(act: Act) -> &'static str {
    match act {
        Act::Conditions => "la convocatoria",
        Act::Opening => "el acto de apertura",
        Act::Evaluation => "la evaluación",
        Act::Award => "el fallo",
    }
}

pub fn complaint_status(status: ComplaintStatus) -> &'static str {
    match status {
        ComplaintStatus::Filed => "Presentada",
        ComplaintStatus::Admitted => "Admitida",
        ComplaintStatus::Rejected => "Desechada",
        ComplaintStatus::Upheld => "Fundada",
        ComplaintStatus::Dismissed => "Infundada",
        ComplaintStatus::Withdrawn => "Desistida",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pesos_group_thousands_and_keep_the_centavos() {
        let m = |c| Money::from_centavos(c).unwrap();
        assert_eq!(pesos(m(0)), "$0.00");
        assert_eq!(pesos(m(5)), "$0.05");
        assert_eq!(pesos(m(99_999)), "$999.99");
        assert_eq!(pesos(m(100_000)), "$1,000.00");
        assert_eq!(pesos(m(222_342_000)), "$2,223,420.00");
        assert_eq!(signed_pesos(-12_026_000), "-$120,260.00");
    }

    #[test]
    fn sizes_months_and_counts_read_as_spanish() {
        assert_eq!(size(5), "5 bytes");
        assert_eq!(size(2048), "2 KB");
        assert_eq!(size(3 * 1024 * 1024 + 400_000), "3.4 MB");
        assert_eq!(month("2026-12"), "diciembre de 2026");
        assert_eq!(month("2026-01"), "enero de 2026");
        assert_eq!(month("2026-13"), "2026-13");
        assert_eq!(count(1, "evento", "eventos"), "1 evento");
        assert_eq!(count(0, "evento", "eventos"), "0 eventos");
    }

    #[test]
    fn times_are_written_in_the_legal_calendar() {
        let offset = FixedOffset::west_opt(6 * 3600).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-03-05T20:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(when(at, offset), "05/03/2026 14:30");
        assert_eq!(machine_time(at, offset), "2026-03-05T14:30:00-06:00");
    }
}
