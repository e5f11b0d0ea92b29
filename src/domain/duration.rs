//! Human-written durations such as `90s`, `15m`, `8h` or `2d`.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("a duration is a whole number followed by s, m, h or d (e.g. 8h), got {0:?}")]
    Format(String),
    #[error("a duration must be greater than zero")]
    Zero,
    #[error("a duration may not exceed {max_days} days")]
    TooLong { max_days: u64 },
}

/// The longest duration accepted (a token should never live longer).
pub const MAX_DURATION_DAYS: u64 = 30;

pub fn parse_duration(raw: &str) -> Result<Duration, DurationError> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| DurationError::Format(raw.to_owned()))?;
    let (number, unit) = raw.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| DurationError::Format(raw.to_owned()))?;
    let unit_s = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(DurationError::Format(raw.to_owned())),
    };
    let seconds = number.checked_mul(unit_s).ok_or(DurationError::TooLong {
        max_days: MAX_DURATION_DAYS,
    })?;
    if seconds == 0 {
        return Err(DurationError::Zero);
    }
    if seconds > MAX_DURATION_DAYS * 86_400 {
        return Err(DurationError::TooLong {
            max_days: MAX_DURATION_DAYS,
        });
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_each_unit() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(28_800)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
    }

    #[test]
    fn bad_durations_are_refused() {
        assert!(matches!(parse_duration("8"), Err(DurationError::Format(_))));
        assert!(matches!(parse_duration("h"), Err(DurationError::Format(_))));
        assert!(matches!(
            parse_duration("8w"),
            Err(DurationError::Format(_))
        ));
        assert!(matches!(
            parse_duration("-1h"),
            Err(DurationError::Format(_))
        ));
        assert_eq!(parse_duration("0h"), Err(DurationError::Zero));
        assert!(matches!(
            parse_duration("31d"),
            Err(DurationError::TooLong { .. })
        ));
        assert!(matches!(
            parse_duration("99999999999999999999d"),
            Err(DurationError::Format(_))
        ));
    }
}
