//! An auction's settings as an officer writes them, parsed into the rules of
//! [`super::auction`]. Every limit is a named constant; every refusal is a field error with
//! the code `invalid_auction_settings`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auction::{Decrement, Format, Rules};
use super::code::Code;
use super::money::Money;
use super::validation::ValidationErrors;

const CODE: Code = Code::InvalidAuctionSettings;

/// Bounds of each setting, in seconds unless named otherwise.
pub const DURATION_S: std::ops::RangeInclusive<i64> = 60..=7 * 24 * 3600;
pub const SOFT_CLOSE_S: std::ops::RangeInclusive<i64> = 0..=3600;
pub const EXTENSION_S: std::ops::RangeInclusive<i64> = 1..=3600;
pub const MAX_EXTENSIONS: std::ops::RangeInclusive<u32> = 0..=1000;
pub const ROUNDS: std::ops::RangeInclusive<u32> = 1..=20;
pub const TURN_S: std::ops::RangeInclusive<i64> = 10..=3600;
/// A percent decrement, in basis points: from 0.01 % to 50 %.
pub const PERCENT_BP: std::ops::RangeInclusive<u32> = 1..=5000;
/// How far ahead an auction may be scheduled.
pub const MAX_LEAD_DAYS: i64 = 90;

/// Defaults where the officer says nothing.
pub const DEFAULT_DURATION_S: i64 = 1800;
pub const DEFAULT_SOFT_CLOSE_S: i64 = 120;
pub const DEFAULT_EXTENSION_S: i64 = 120;
pub const DEFAULT_MAX_EXTENSIONS: u32 = 10;
pub const DEFAULT_ROUNDS: u32 = 3;
pub const DEFAULT_TURN_S: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormatName {
    /// Reverse English: bid any time until the end, with soft close.
    Continuous,
    /// Rounds of turns, from the highest current price to the lowest.
    Rounds,
}

/// What a supplier sees of the others while the auction runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Its own rank only.
    Rank,
    /// The best price only (never who holds it).
    BestPrice,
    /// Its rank and the best price.
    #[default]
    RankAndBest,
}

impl Visibility {
    pub fn shows_rank(self) -> bool {
        matches!(self, Visibility::Rank | Visibility::RankAndBest)
    }

    pub fn shows_best(self) -> bool {
        matches!(self, Visibility::BestPrice | Visibility::RankAndBest)
    }
}

/// The least decrement as written: `{"amount": "100.00"}` or `{"percent": "0.5"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecrementRequest {
    pub amount: Option<String>,
    /// Percent of the bidder's own current price, up to two decimals ("0.5" = 0.5 %).
    pub percent: Option<String>,
}

/// The settings as sent: any field left out falls back to the tender's planned settings,
/// then to the defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<FormatName>,
    /// RFC 3339; now or later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// Continuous: the scheduled length, before any extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    /// Continuous: a bid accepted this close to the end extends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_close_s: Option<i64>,
    /// Continuous: the end moves to the bid's time plus this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_s: Option<i64>,
    /// Continuous: at most this many extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_extensions: Option<u32>,
    /// Rounds: how many (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 20)]
    pub rounds: Option<u32>,
    /// Rounds: the length of each participant's turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrement: Option<DecrementRequest>,
    /// A bid must also beat the current best price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub must_beat_best: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

/// The parsed settings, stored with the auction as canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuctionSettings {
    pub format: FormatName,
    pub starts_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_close_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_extensions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn_s: Option<i64>,
    /// Amount in MXN (`"100.00"`), or `null` when the decrement is a percent.
    #[schema(value_type = Option<String>)]
    pub decrement_amount: Option<Money>,
    /// Basis points of the bidder's own price (50 = 0.5 %), or `null`.
    pub decrement_bp: Option<u32>,
    pub must_beat_best: bool,
    pub visibility: Visibility,
    /// The sandbox time factor in force when it was scheduled: every duration above runs
    /// this many times faster (1 in production).
    pub time_factor: u32,
}

impl AuctionSettings {
    /// Parses `request` (over the tender's planned settings) at `now`.
    pub fn parse(
        request: SettingsRequest,
        now: DateTime<Utc>,
        time_factor: u32,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let format = request.format.unwrap_or(FormatName::Continuous);
        let starts_at = request.starts_at.unwrap_or(now);
        if starts_at < now {
            errors.push("starts_at", CODE, "an auction starts now or later");
        } else if starts_at - now > chrono::Duration::days(MAX_LEAD_DAYS) {
            errors.push(
                "starts_at",
                CODE,
                format!("an auction starts within {MAX_LEAD_DAYS} days"),
            );
        }
        let mut within = |field: &str, value: i64, range: std::ops::RangeInclusive<i64>| {
            if !range.contains(&value) {
                errors.push(
                    field,
                    CODE,
                    format!(
                        "{field} is from {} to {} seconds",
                        range.start(),
                        range.end()
                    ),
                );
            }
            value
        };
        let (duration_s, soft_close_s, extension_s, rounds, turn_s) = match format {
            FormatName::Continuous => {
                let duration = within(
                    "duration_s",
                    request.duration_s.unwrap_or(DEFAULT_DURATION_S),
                    DURATION_S,
                );
                let soft = within(
                    "soft_close_s",
                    request.soft_close_s.unwrap_or(DEFAULT_SOFT_CLOSE_S),
                    SOFT_CLOSE_S,
                );
                let extension = within(
                    "extension_s",
                    request.extension_s.unwrap_or(DEFAULT_EXTENSION_S),
                    EXTENSION_S,
                );
                (Some(duration), Some(soft), Some(extension), None, None)
            }
            FormatName::Rounds => {
                let turn = within("turn_s", request.turn_s.unwrap_or(DEFAULT_TURN_S), TURN_S);
                (
                    None,
                    None,
                    None,
                    Some(request.rounds.unwrap_or(DEFAULT_ROUNDS)),
                    Some(turn),
                )
            }
        };
        let max_extensions = match format {
            FormatName::Continuous => {
                Some(request.max_extensions.unwrap_or(DEFAULT_MAX_EXTENSIONS))
            }
            FormatName::Rounds => None,
        };
        if max_extensions.is_some_and(|m| !MAX_EXTENSIONS.contains(&m)) {
            errors.push(
                "max_extensions",
                CODE,
                format!("max_extensions is at most {}", MAX_EXTENSIONS.end()),
            );
        }
        if rounds.is_some_and(|r| !ROUNDS.contains(&r)) {
            errors.push(
                "rounds",
                CODE,
                format!("rounds is from {} to {}", ROUNDS.start(), ROUNDS.end()),
            );
        }
        let wrong_format = |field: &str, present: bool, errors: &mut ValidationErrors| {
            if present {
                errors.push(
                    field,
                    CODE,
                    format!("{field} does not apply to a {format:?} auction").to_lowercase(),
                );
            }
        };
        match format {
            FormatName::Continuous => {
                wrong_format("rounds", request.rounds.is_some(), &mut errors);
                wrong_format("turn_s", request.turn_s.is_some(), &mut errors);
            }
            FormatName::Rounds => {
                wrong_format("duration_s", request.duration_s.is_some(), &mut errors);
                wrong_format("soft_close_s", request.soft_close_s.is_some(), &mut errors);
                wrong_format("extension_s", request.extension_s.is_some(), &mut errors);
                wrong_format(
                    "max_extensions",
                    request.max_extensions.is_some(),
                    &mut errors,
                );
            }
        }
        let (decrement_amount, decrement_bp) = match request.decrement {
            None => {
                errors.push(
                    "decrement",
                    CODE,
                    "set the least decrement: {\"amount\": \"100.00\"} or {\"percent\": \"0.5\"}",
                );
                (None, None)
            }
            Some(DecrementRequest {
                amount: Some(amount),
                percent: None,
            }) => match Money::parse(&amount) {
                Ok(m) if m > Money::ZERO => (Some(m), None),
                _ => {
                    errors.push(
                        "decrement.amount",
                        CODE,
                        "the decrement is a positive amount like \"100.00\"",
                    );
                    (None, None)
                }
            },
            Some(DecrementRequest {
                amount: None,
                percent: Some(percent),
            }) => match parse_percent_bp(&percent) {
                Some(bp) if PERCENT_BP.contains(&bp) => (None, Some(bp)),
                _ => {
                    errors.push(
                        "decrement.percent",
                        CODE,
                        "the decrement is a percent from \"0.01\" to \"50\"",
                    );
                    (None, None)
                }
            },
            Some(_) => {
                errors.push("decrement", CODE, "give exactly one of amount and percent");
                (None, None)
            }
        };
        errors.finish()?;
        Ok(Self {
            format,
            starts_at,
            duration_s,
            soft_close_s,
            extension_s,
            max_extensions,
            rounds,
            turn_s,
            decrement_amount,
            decrement_bp,
            must_beat_best: request.must_beat_best.unwrap_or(false),
            visibility: request.visibility.unwrap_or_default(),
            time_factor: time_factor.max(1),
        })
    }

    /// The least decrement in the form it is sent in: `{"amount": "100.00"}` or
    /// `{"percent": "0.5"}`.
    pub fn decrement_as_sent(&self) -> DecrementRequest {
        match (self.decrement_amount, self.decrement_bp) {
            (Some(amount), _) => DecrementRequest {
                amount: Some(amount.to_string()),
                percent: None,
            },
            (None, bp) => {
                let bp = bp.unwrap_or(1);
                let text = format!("{}.{:02}", bp / 100, bp % 100);
                let text = text.trim_end_matches('0').trim_end_matches('.').to_owned();
                DecrementRequest {
                    amount: None,
                    percent: Some(text),
                }
            }
        }
    }

    /// The rules the engines apply, with every duration sped up by the time factor.
    pub fn rules(&self, ceiling: Money) -> Rules {
        let fast = |s: Option<i64>| {
            let s = s.unwrap_or(0);
            let factor = i64::from(self.time_factor.max(1));
            if s == 0 { 0 } else { (s + factor - 1) / factor }
        };
        let format = match self.format {
            FormatName::Continuous => Format::Continuous {
                duration_s: fast(self.duration_s),
                soft_close_s: fast(self.soft_close_s),
                extension_s: fast(self.extension_s),
                max_extensions: self.max_extensions.unwrap_or(0),
            },
            FormatName::Rounds => Format::Rounds {
                rounds: self.rounds.unwrap_or(DEFAULT_ROUNDS),
                turn_s: fast(self.turn_s),
            },
        };
        let decrement = match (self.decrement_amount, self.decrement_bp) {
            (Some(amount), _) => Decrement::Amount(amount),
            (None, bp) => Decrement::Percent(bp.unwrap_or(1)),
        };
        Rules {
            format,
            decrement,
            must_beat_best: self.must_beat_best,
            ceiling,
            starts_at: self.starts_at,
        }
    }
}

/// `"2.5"` → 250 basis points; at most two decimals.
fn parse_percent_bp(raw: &str) -> Option<u32> {
    let (whole, fraction) = raw.trim().split_once('.').unwrap_or((raw.trim(), ""));
    if whole.is_empty()
        || whole.len() > 3
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let fraction: u32 = format!("{fraction:0<2}").parse().ok()?;
    Some(whole * 100 + fraction)
}

/// Lays `request` over the tender's planned settings (a JSON object): fields of the
/// request win, a `null` removes a planned field, and when the request changes the format
/// the planned fields of the other format are dropped.
pub fn merge(planned: Option<&serde_json::Value>, request: serde_json::Value) -> serde_json::Value {
    const CONTINUOUS_ONLY: [&str; 4] = [
        "duration_s",
        "soft_close_s",
        "extension_s",
        "max_extensions",
    ];
    const ROUNDS_ONLY: [&str; 2] = ["rounds", "turn_s"];
    let mut merged = match planned {
        Some(serde_json::Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    if let serde_json::Value::Object(map) = request {
        if let Some(format) = map.get("format").and_then(|f| f.as_str())
            && merged.get("format").and_then(|f| f.as_str()) != Some(format)
        {
            let other: &[&str] = if format == "rounds" {
                &CONTINUOUS_ONLY
            } else {
                &ROUNDS_ONLY
            };
            for key in other {
                merged.remove(*key);
            }
        }
        for (k, v) in map {
            if v.is_null() {
                merged.remove(&k);
            } else {
                merged.insert(k, v);
            }
        }
    }
    serde_json::Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn parse(v: serde_json::Value) -> Result<AuctionSettings, Vec<String>> {
        let request: SettingsRequest =
            serde_json::from_value(v).map_err(|e| vec![e.to_string()])?;
        AuctionSettings::parse(request, now(), 1)
            .map_err(|e| e.0.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn defaults_fill_what_is_left_out() {
        for (sent, back) in [
            (
                json!({"amount": "100.00"}),
                json!({"amount": "100.00", "percent": null}),
            ),
            (
                json!({"amount": "100"}),
                json!({"amount": "100.00", "percent": null}),
            ),
            (
                json!({"percent": "0.5"}),
                json!({"amount": null, "percent": "0.5"}),
            ),
            (
                json!({"percent": "2.25"}),
                json!({"amount": null, "percent": "2.25"}),
            ),
            (
                json!({"percent": "10"}),
                json!({"amount": null, "percent": "10"}),
            ),
            (
                json!({"percent": "0.01"}),
                json!({"amount": null, "percent": "0.01"}),
            ),
        ] {
            let s = parse(json!({"decrement": sent})).unwrap();
            assert_eq!(
                serde_json::to_value(s.decrement_as_sent()).unwrap(),
                back,
                "{sent}"
            );
        }
        let s = parse(json!({"decrement": {"amount": "100.00"}})).unwrap();
        assert_eq!(s.format, FormatName::Continuous);
        assert_eq!(s.starts_at, now());
        assert_eq!(s.duration_s, Some(DEFAULT_DURATION_S));
        assert_eq!(s.visibility, Visibility::RankAndBest);
        assert!(!s.must_beat_best);
        let rules = s.rules(Money::from_centavos(1).unwrap());
        assert_eq!(
            rules.decrement,
            Decrement::Amount(Money::parse("100").unwrap())
        );
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases = [
            (json!({"decrement": {"amount": "0"}}), "decrement.amount"),
            (json!({"decrement": {"percent": "51"}}), "decrement.percent"),
            (
                json!({"decrement": {"percent": "0.001"}}),
                "decrement.percent",
            ),
            (
                json!({"decrement": {"amount": "1", "percent": "1"}}),
                "decrement",
            ),
            (json!({}), "decrement"),
            (
                json!({"decrement": {"amount": "1"}, "duration_s": 5}),
                "duration_s",
            ),
            (
                json!({"decrement": {"amount": "1"}, "starts_at": "2020-01-01T00:00:00Z"}),
                "starts_at",
            ),
            (
                json!({"decrement": {"amount": "1"}, "format": "rounds", "rounds": 0}),
                "rounds",
            ),
            (
                json!({"decrement": {"amount": "1"}, "format": "rounds", "duration_s": 600}),
                "duration_s",
            ),
            (
                json!({"decrement": {"amount": "1"}, "turn_s": 60}),
                "turn_s",
            ),
        ];
        for (input, field) in cases {
            let fields = parse(input.clone()).unwrap_err();
            assert!(fields.iter().any(|f| f == field), "{input}: {fields:?}");
        }
    }

    #[test]
    fn percents_are_basis_points() {
        assert_eq!(parse_percent_bp("2.5"), Some(250));
        assert_eq!(parse_percent_bp("0.05"), Some(5));
        assert_eq!(parse_percent_bp("10"), Some(1000));
        assert_eq!(parse_percent_bp("1.234"), None);
        assert_eq!(parse_percent_bp("-1"), None);
        assert_eq!(parse_percent_bp(""), None);
    }

    #[test]
    fn the_time_factor_shortens_every_duration() {
        let request: SettingsRequest = serde_json::from_value(json!({
            "decrement": {"percent": "1"}, "duration_s": 600, "soft_close_s": 60, "extension_s": 90
        }))
        .unwrap();
        let s = AuctionSettings::parse(request, now(), 60).unwrap();
        let Format::Continuous {
            duration_s,
            soft_close_s,
            extension_s,
            ..
        } = s.rules(Money::ZERO).format
        else {
            panic!("continuous")
        };
        assert_eq!((duration_s, soft_close_s, extension_s), (10, 1, 2));
    }

    #[test]
    fn the_request_overrides_the_planned_settings() {
        let merged = merge(
            Some(&json!({"format": "rounds", "rounds": 2, "decrement": {"amount": "5"}})),
            json!({"rounds": 4, "visibility": null}),
        );
        assert_eq!(
            merged,
            json!({"format": "rounds", "rounds": 4, "decrement": {"amount": "5"}})
        );
    }
}
