//! Content negotiation on `Accept` (RFC 9110 §12.5.1), for resources with several
//! representations.
//!
//! Each offered media type takes the weight (`q`) of the most specific range that matches
//! it (`type/subtype`, then `type/*`, then `*/*`); the highest weight wins, a tie going to
//! the more specific range, then to the range the client listed first, then to the order
//! of the offer. No `Accept` header, or one with no range that can be read, accepts the
//! first offer. A header whose ranges exclude every offer (`q=0`, or nothing matching)
//! accepts none: the caller answers 406.

use actix_web::HttpRequest;
use actix_web::http::header::ACCEPT;

/// One media range of an `Accept` header.
#[derive(Debug, Clone, PartialEq)]
struct Range {
    kind: String,
    subtype: String,
    q: f32,
}

impl Range {
    /// 2: `type/subtype`, 1: `type/*`, 0: `*/*`; `None` when it does not match.
    fn specificity(&self, kind: &str, subtype: &str) -> Option<u8> {
        match (self.kind.as_str(), self.subtype.as_str()) {
            ("*", "*") => Some(0),
            (k, "*") if k.eq_ignore_ascii_case(kind) => Some(1),
            (k, s) if k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(subtype) => Some(2),
            _ => None,
        }
    }
}

/// Reads one range (`text/csv;charset=utf-8;q=0.5`); `None` when malformed.
fn parse_range(raw: &str) -> Option<Range> {
    let mut parts = raw.split(';');
    let (kind, subtype) = parts.next()?.trim().split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    if !token(kind) || !token(subtype) || (kind == "*" && subtype != "*") {
        return None;
    }
    let mut q = 1.0;
    for param in parts {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_q(value.trim())?;
        }
    }
    Some(Range {
        kind: kind.to_owned(),
        subtype: subtype.to_owned(),
        q,
    })
}

/// A weight: `0`, `1`, or a decimal between them with at most three places.
fn parse_q(raw: &str) -> Option<f32> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let valid = matches!(whole, "0" | "1")
        && fraction.len() <= 3
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || fraction.bytes().all(|b| b == b'0'));
    if !valid {
        return None;
    }
    raw.parse().ok()
}

/// The offer to answer with, as an index into `offered` (`type/subtype` each), or `None`
/// when the header accepts none of them.
pub fn choose(accept: Option<&str>, offered: &[&str]) -> Option<usize> {
    let ranges: Vec<Range> = accept
        .into_iter()
        .flat_map(|header| header.split(','))
        .filter_map(parse_range)
        .collect();
    if ranges.is_empty() {
        return (!offered.is_empty()).then_some(0);
    }
    // (q, specificity, the range's position, the offer's position): the best is the
    // highest q, then the most specific, then the earliest range, then the earliest offer.
    let mut best: Option<(f32, u8, usize, usize)> = None;
    for (offer, media_type) in offered.iter().enumerate() {
        let Some((kind, subtype)) = media_type.split_once('/') else {
            continue;
        };
        let matched = ranges
            .iter()
            .enumerate()
            .filter_map(|(at, r)| r.specificity(kind, subtype).map(|s| (s, at, r.q)))
            // The most specific range decides; among equals, the first listed.
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let Some((specificity, at, q)) = matched else {
            continue;
        };
        if q <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((bq, bs, bat, _)) => {
                q > bq || (q == bq && (specificity > bs || (specificity == bs && at < bat)))
            }
        };
        if better {
            best = Some((q, specificity, at, offer));
        }
    }
    best.map(|(_, _, _, offer)| offer)
}

/// [`choose`] on a request's `Accept` header(s).
pub fn choose_for(req: &HttpRequest, offered: &[&str]) -> Option<usize> {
    let values: Vec<&str> = req
        .headers()
        .get_all(ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return choose(None, offered);
    }
    choose(Some(&values.join(",")), offered)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFERED: &[&str] = &["application/json", "text/csv", "application/atom+xml"];

    fn pick(accept: Option<&str>) -> Option<&'static str> {
        choose(accept, OFFERED).map(|i| OFFERED[i])
    }

    #[test]
    fn no_header_or_anything_goes_gives_the_first_offer() {
        for accept in [
            None,
            Some(""),
            Some("*/*"),
            Some("nonsense"),
            Some("a/b/c;q=x"),
        ] {
            assert_eq!(pick(accept), Some("application/json"), "{accept:?}");
        }
    }

    #[test]
    fn exact_types_win_whatever_their_case_and_parameters() {
        assert_eq!(pick(Some("text/csv")), Some("text/csv"));
        assert_eq!(pick(Some("TEXT/CSV; charset=utf-8")), Some("text/csv"));
        assert_eq!(
            pick(Some("application/atom+xml")),
            Some("application/atom+xml")
        );
        assert_eq!(pick(Some("text/*")), Some("text/csv"));
        assert_eq!(pick(Some("application/*")), Some("application/json"));
    }

    #[test]
    fn weights_decide_then_specificity_then_the_clients_order() {
        // What feed readers and browsers send.
        assert_eq!(
            pick(Some(
                "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8"
            )),
            Some("application/atom+xml")
        );
        assert_eq!(
            pick(Some(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
            )),
            Some("application/json")
        );
        assert_eq!(
            pick(Some("application/json;q=0.5, text/csv")),
            Some("text/csv")
        );
        assert_eq!(pick(Some("text/csv, application/json")), Some("text/csv"));
        assert_eq!(pick(Some("*/*, text/csv")), Some("text/csv"));
        assert_eq!(
            pick(Some("*/*;q=0.1, application/json;q=0")),
            Some("text/csv"),
            "q=0 excludes JSON even though */* would allow it"
        );
    }

    #[test]
    fn a_header_that_excludes_every_offer_accepts_none() {
        for accept in [
            "text/html",
            "image/png, text/plain;q=0.5",
            "application/json;q=0, text/csv;q=0, application/atom+xml;q=0",
            "*/*;q=0",
        ] {
            assert_eq!(pick(Some(accept)), None, "{accept}");
        }
    }

    #[test]
    fn malformed_weights_drop_their_range() {
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("-0"), None);
        assert_eq!(parse_q("0.25"), Some(0.25));
        assert_eq!(parse_q("1.000"), Some(1.0));
        assert_eq!(pick(Some("text/csv;q=2")), Some("application/json"));
    }
}
