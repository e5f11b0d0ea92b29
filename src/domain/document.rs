//! Documents: what kinds a tender and a bid carry, which media types are accepted, how a
//! download is named and ranged. Pure rules; the bytes are the document store's.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::code::Code;
use super::text::bounded;
use super::validation::ValidationErrors;

/// A document's title.
pub const TITLE_LEN: std::ops::RangeInclusive<usize> = 2..=200;

/// What a document is (SPEC §2, Documents). `bid` is a sealed bid's attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// The call (convocatoria) and its bases.
    Call,
    TechnicalAnnex,
    ClarificationsMinutes,
    OpeningMinutes,
    EvaluationReport,
    AwardNotice,
    Contract,
    Other,
    Bid,
}

impl DocumentKind {
    /// The kinds an officer attaches to a tender.
    pub const OF_TENDER: [DocumentKind; 8] = [
        DocumentKind::Call,
        DocumentKind::TechnicalAnnex,
        DocumentKind::ClarificationsMinutes,
        DocumentKind::OpeningMinutes,
        DocumentKind::EvaluationReport,
        DocumentKind::AwardNotice,
        DocumentKind::Contract,
        DocumentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Call => "call",
            DocumentKind::TechnicalAnnex => "technical_annex",
            DocumentKind::ClarificationsMinutes => "clarifications_minutes",
            DocumentKind::OpeningMinutes => "opening_minutes",
            DocumentKind::EvaluationReport => "evaluation_report",
            DocumentKind::AwardNotice => "award_notice",
            DocumentKind::Contract => "contract",
            DocumentKind::Other => "other",
            DocumentKind::Bid => "bid",
        }
    }

    /// A tender document's kind, as the upload names it.
    pub fn parse_tender(raw: &str) -> Option<Self> {
        Self::OF_TENDER.into_iter().find(|k| k.as_str() == raw)
    }

    /// OCDS's documentType, where the codelist has one that fits.
    pub fn ocds_type(self) -> Option<&'static str> {
        match self {
            DocumentKind::Call => Some("biddingDocuments"),
            DocumentKind::TechnicalAnnex => Some("technicalSpecifications"),
            DocumentKind::ClarificationsMinutes => Some("clarifications"),
            DocumentKind::EvaluationReport => Some("evaluationReports"),
            DocumentKind::AwardNotice => Some("awardNotice"),
            DocumentKind::Contract => Some("contractSigned"),
            DocumentKind::OpeningMinutes | DocumentKind::Other | DocumentKind::Bid => None,
        }
    }
}

/// The media types accepted by default: PDF, images, office formats, ZIP, CSV, XML, JSON
/// and plain text.
pub const DEFAULT_MEDIA_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/zip",
    "text/csv",
    "application/xml",
    "text/xml",
    "application/json",
    "text/plain",
];

/// The essence of a `Content-Type` (`type/subtype`, lowercase, parameters dropped), if it
/// is one of `accepted`.
pub fn accepted_media_type(content_type: &str, accepted: &[String]) -> Option<String> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    accepted.contains(&essence).then_some(essence)
}

/// Checks a document's title (trimmed, NFC, no invisible or control characters).
pub fn parse_title(raw: &str, errors: &mut ValidationErrors) -> Option<String> {
    errors.check(
        "title",
        bounded(raw, "title", Code::InvalidTitle, TITLE_LEN, false),
    )
}

/// The file name a download is saved as: the title's letters, digits, dashes and
/// underscores (accents dropped, runs of anything else one `_`), at most 80 of them, and
/// the media type's extension. Safe in a `Content-Disposition` header and on any disk.
pub fn file_name(title: &str, media_type: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut stem = String::new();
    for c in title.nfd().filter(|c| c.is_ascii()) {
        if c.is_ascii_alphanumeric() || c == '-' {
            stem.push(c);
        } else if !stem.ends_with('_') {
            stem.push('_');
        }
        if stem.len() >= 80 {
            break;
        }
    }
    let stem = stem.trim_matches('_');
    let stem = if stem.is_empty() { "documento" } else { stem };
    format!("{stem}.{}", extension(media_type))
}

fn extension(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/tiff" => "tif",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.oasis.opendocument.text" => "odt",
        "application/vnd.oasis.opendocument.spreadsheet" => "ods",
        "application/zip" => "zip",
        "text/csv" => "csv",
        "application/xml" | "text/xml" => "xml",
        "application/json" => "json",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// What a `Range` header asks of a document of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// The whole document (no header, or one this service does not serve partially: several
    /// ranges, or another unit).
    Whole,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// A range that lies outside the document: 416.
    Unsatisfiable,
}

/// Reads one `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n` (the last n bytes).
pub fn range(header: Option<&str>, size: u64) -> Ranged {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    let (start, end) = match (first.is_empty(), last.is_empty()) {
        (true, true) => return Ranged::Whole,
        (true, false) => match parse(last) {
            None => return Ranged::Whole,
            Some(n) if n == 0 || size == 0 => return Ranged::Unsatisfiable,
            Some(n) => (size.saturating_sub(n), size - 1),
        },
        (false, _) => {
            let Some(start) = parse(first) else {
                return Ranged::Whole;
            };
            let end = if last.is_empty() {
                size.saturating_sub(1)
            } else {
                match parse(last) {
                    Some(end) if end >= start => end.min(size.saturating_sub(1)),
                    _ => return Ranged::Whole,
                }
            };
            if start >= size {
                return Ranged::Unsatisfiable;
            }
            (start, end)
        }
    };
    Ranged::Part { start, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_keep_the_extension() {
        assert_eq!(
            file_name("Bases de la licitación (v2)", "application/pdf"),
            "Bases_de_la_licitacion_v2.pdf"
        );
        assert_eq!(
            file_name("../../etc/passwd", "text/plain"),
            "etc_passwd.txt"
        );
        assert_eq!(file_name("\"; x=y", "image/png"), "x_y.png");
        assert_eq!(file_name("¿?", "application/zip"), "documento.zip");
        assert!(file_name(&"a".repeat(500), "application/pdf").len() <= 84);
    }

    #[test]
    fn media_types_are_matched_by_their_essence() {
        let accepted: Vec<String> = DEFAULT_MEDIA_TYPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            accepted_media_type("Application/PDF; charset=binary", &accepted).as_deref(),
            Some("application/pdf")
        );
        assert_eq!(accepted_media_type("text/html", &accepted), None);
        assert_eq!(accepted_media_type("", &accepted), None);
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range(None, 100), Ranged::Whole);
        assert_eq!(
            range(Some("bytes=0-9"), 100),
            Ranged::Part { start: 0, end: 9 }
        );
        assert_eq!(
            range(Some("bytes=90-"), 100),
            Ranged::Part { start: 90, end: 99 }
        );
        assert_eq!(
            range(Some("bytes=-10"), 100),
            Ranged::Part { start: 90, end: 99 }
        );
        assert_eq!(
            range(Some("bytes=-500"), 100),
            Ranged::Part { start: 0, end: 99 }
        );
        assert_eq!(
            range(Some("bytes=50-5000"), 100),
            Ranged::Part { start: 50, end: 99 }
        );
        assert_eq!(range(Some("bytes=100-"), 100), Ranged::Unsatisfiable);
        assert_eq!(range(Some("bytes=-0"), 100), Ranged::Unsatisfiable);
        assert_eq!(range(Some("bytes=0-1,5-6"), 100), Ranged::Whole);
        assert_eq!(range(Some("items=0-1"), 100), Ranged::Whole);
        assert_eq!(range(Some("bytes=9-3"), 100), Ranged::Whole);
        assert_eq!(range(Some("bytes=x-3"), 100), Ranged::Whole);
        assert_eq!(range(Some("bytes=0-"), 0), Ranged::Unsatisfiable);
    }

    #[test]
    fn tender_kinds_exclude_bids_and_map_to_ocds() {
        assert_eq!(DocumentKind::parse_tender("call"), Some(DocumentKind::Call));
        assert_eq!(DocumentKind::parse_tender("bid"), None);
        assert_eq!(DocumentKind::AwardNotice.ocds_type(), Some("awardNotice"));
    }
}
