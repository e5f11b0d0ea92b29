//! Request extraction that fails with problems, never with actix's plain-text errors:
//! JSON bodies (size limit, media type, malformed JSON, wrong types naming the field),
//! and the path and query configurations.

use actix_web::{
    FromRequest, HttpRequest,
    dev::Payload,
    error::{PathError, QueryPayloadError},
    http::header::{CONTENT_LENGTH, CONTENT_TYPE},
    web,
};
use futures_util::{StreamExt, future::LocalBoxFuture};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// The body limit when the settings are not reachable (never in the running service).
const FALLBACK_BODY_LIMIT: usize = 256 * 1024;

/// A JSON request body, parsed with the field path of the first error.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let settings = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.clone());
        let limit = settings
            .as_ref()
            .map_or(FALLBACK_BODY_LIMIT, |s| s.max_body_bytes);
        let within = body_timeout(settings.as_deref());
        let checked = check_headers(req, limit);
        let mut payload = payload.take();
        Box::pin(async move {
            checked?;
            let body = read_limited(&mut payload, limit, within).await?;
            parse_json(&body).map(ApiJson)
        })
    }
}

/// How long a whole JSON body may take to arrive (`LICITA_BODY_TIMEOUT_S`).
pub fn body_timeout(settings: Option<&crate::settings::Settings>) -> std::time::Duration {
    std::time::Duration::from_secs(settings.map_or(10, |s| s.body_timeout_s))
}

/// Reads a whole body, refusing with 413 as soon as it passes `limit` bytes, and with 408
/// (the connection then closed) when it has not arrived whole `within` the time from the
/// start of the read: a client trickling its body does not hold a connection for long.
pub async fn read_limited<S>(
    payload: &mut S,
    limit: usize,
    within: std::time::Duration,
) -> Result<web::BytesMut, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + within;
    let mut body = web::BytesMut::new();
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, payload.next()).await else {
            return Err(ApiError::RequestTimeout(format!(
                "the body did not arrive whole within {} s",
                within.as_secs()
            )));
        };
        let Some(chunk) = next else {
            break;
        };
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => ApiError::PayloadTooLarge { limit },
            other => ApiError::MalformedJson(format!("reading the body: {other}")),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The media type's essence (`application/json` of `application/json; charset=utf-8`),
/// and the header as sent.
pub fn media_type(req: &HttpRequest) -> (String, String) {
    let raw = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    (essence, raw)
}

fn check_headers(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let (essence, content_type) = media_type(req);
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the body as application/json (got {:?})",
            if content_type.is_empty() {
                "nothing"
            } else {
                content_type.as_str()
            }
        )));
    }
    check_length(req, limit)
}

/// Refuses early when the declared Content-Length passes `limit`.
pub fn check_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(())
}

/// Parses a JSON object: syntax errors are 400 `malformed_json`; a well-formed body of the
/// wrong shape is 422 `invalid_body` naming the field. Every request body is an object
/// (serde would otherwise accept an array for a struct, field by position).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(_) => Err(ApiError::InvalidBody {
                field: "body".into(),
                message: "the body must be a JSON object".into(),
            }),
            Err(e) => Err(ApiError::MalformedJson(format!(
                "the body is not valid JSON: {e}"
            ))),
        };
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                let field = field_name(&path, &message);
                ApiError::InvalidBody {
                    message: plain(explain_time(&field, message)),
                    field,
                }
            }
            // serde_json reports a wrong type where an enum is expected (a number for a
            // string) as a syntax error; well-formed JSON is the wrong shape, not malformed.
            _ if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() => {
                let message = strip_position(&inner.to_string());
                ApiError::InvalidBody {
                    field: field_name(&path, &message),
                    message: format!("{message} (wrong type)"),
                }
            }
            _ => ApiError::MalformedJson(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| {
        ApiError::MalformedJson(format!("trailing characters after the JSON value: {e}"))
    })?;
    Ok(value)
}

/// serde names the Rust type it wanted ("expected struct SettingsRequest with 11
/// elements"): a client is told the JSON it should send.
fn plain(message: String) -> String {
    match message.find("expected struct ") {
        Some(i) => format!("{}expected a JSON object", &message[..i]),
        None => message,
    }
}

/// chrono's parse errors say what went wrong, not what was expected.
const CHRONO_PARSE_ERRORS: [&str; 7] = [
    "input is out of range",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "bad or unsupported format string",
];

/// A date or time that failed to parse names the expected format: calendar days
/// (`…_on`, `valid_…`) are `YYYY-MM-DD`, instants RFC 3339.
fn explain_time(field: &str, message: String) -> String {
    if !CHRONO_PARSE_ERRORS.iter().any(|e| message.starts_with(e)) {
        return message;
    }
    let name = field.rsplit('.').next().unwrap_or(field);
    if name.ends_with("_on") || name.starts_with("valid_") {
        format!("{message}: expected a calendar date, YYYY-MM-DD (e.g. 2026-12-01)")
    } else {
        format!("{message}: expected an RFC 3339 date-time (e.g. 2026-12-01T17:00:00Z)")
    }
}

/// serde_json appends " at line L column C"; the field path says more to a client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The path of the offending field; for a missing or unknown field, the path of its
/// object plus the name serde reports.
fn field_name(path: &str, message: &str) -> String {
    // serde's path already ends at an unknown field, but stops before a missing one.
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing, unknown) {
        (".", Some(name), _) | (".", None, Some(name)) => name.to_owned(),
        (_, Some(name), _) => format!("{path}.{name}"),
        (".", None, None) => "body".to_owned(),
        _ => path.to_owned(),
    }
}

/// Path parameters that do not parse: 400 `invalid_path_parameter`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error: PathError, _| {
        ApiError::InvalidPathParameter(error.to_string()).into()
    })
}

/// Query strings that do not parse: 400 `invalid_query` (a date or time that fails to
/// parse says what is expected).
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _| {
        let message = error.to_string();
        let message = if CHRONO_PARSE_ERRORS.iter().any(|e| message.contains(e)) {
            format!(
                "{message}: dates are YYYY-MM-DD (e.g. 2026-12-01), instants RFC 3339 (e.g. 2026-12-01T17:00:00Z)"
            )
        } else {
            message
        };
        ApiError::InvalidQuery(message).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        qty: u32,
    }

    fn field_of(body: &str) -> Option<String> {
        match parse_json::<Body>(body.as_bytes()) {
            Err(ApiError::InvalidBody { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn wrong_types_name_the_field() {
        assert_eq!(
            field_of(r#"{"name": 1, "items": []}"#).as_deref(),
            Some("name")
        );
        assert_eq!(
            field_of(r#"{"name": "a", "items": [{"qty": 1}, {"qty": "x"}]}"#).as_deref(),
            Some("items[1].qty")
        );
        assert_eq!(field_of(r#"{"items": []}"#).as_deref(), Some("name"));
        assert_eq!(
            field_of(r#"{"name": "a", "items": [{}]}"#).as_deref(),
            Some("items[0].qty")
        );
        assert_eq!(field_of("[]").as_deref(), Some("body"));
        assert_eq!(field_of(r#"["a", []]"#).as_deref(), Some("body"));
        assert_eq!(field_of(" 42").as_deref(), Some("body"));
        // A number where an enum is expected is the wrong shape, not malformed JSON.
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum Kind {
            A,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct WithEnum {
            kind: Kind,
        }
        assert!(matches!(
            parse_json::<WithEnum>(br#"{"kind": 1}"#),
            Err(ApiError::InvalidBody { field, .. }) if field == "kind"
        ));
        assert_eq!(
            field_of(r#"{"name": "a", "items": [], "extra": 1}"#).as_deref(),
            Some("extra")
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Times {
        starts_at: chrono::DateTime<chrono::Utc>,
        ends_on: Option<chrono::NaiveDate>,
    }

    fn message_of(body: &str) -> String {
        match parse_json::<Times>(body.as_bytes()) {
            Err(ApiError::InvalidBody { message, .. }) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_time_that_fails_to_parse_names_the_expected_format() {
        for bad in ["2026-12-01 17:00", "tomorrow", "2026-13-01T00:00:00Z"] {
            let message = message_of(&format!(r#"{{"starts_at": "{bad}"}}"#));
            assert!(message.contains("RFC 3339"), "{bad}: {message}");
            assert!(message.contains("2026-12-01T17:00:00Z"), "{message}");
        }
        let message =
            message_of(r#"{"starts_at": "2026-12-01T17:00:00Z", "ends_on": "01/12/2026"}"#);
        assert!(message.contains("YYYY-MM-DD"), "{message}");
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        for body in [
            "{",
            "{\"name\": }",
            "",
            r#"{"name":"a","items":[]} {}"#,
            "nul",
        ] {
            assert!(
                matches!(
                    parse_json::<Body>(body.as_bytes()),
                    Err(ApiError::MalformedJson(_))
                ),
                "{body:?}"
            );
        }
    }
}
