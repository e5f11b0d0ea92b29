//! Typed settings read from environment variables, with defaults in code.
//!
//! Every variable is listed in [`VARIABLES`] and in the README's settings table (a test
//! keeps the two in step).

use std::path::PathBuf;

use chrono::FixedOffset;

use crate::domain::ict::IctPolicy;
use crate::domain::tender::LegalPeriods;

use secrecy::SecretString;

/// The rate-limit budgets by default: per client, requests a second and the burst.
pub const DEFAULT_RATE_BIDS: &str = "20:40";
pub const DEFAULT_RATE_WRITES: &str = "10:50";
pub const DEFAULT_RATE_READS: &str = "100:300";

/// Every environment variable the service reads: name, default, meaning.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "LICITA_ADDR",
        "127.0.0.1:8080",
        "address and port to listen on",
    ),
    (
        "LICITA_DATA_DIR",
        "./data",
        "folder for the SQLite database, the generated JWT secret and seal key, and (by default) the documents",
    ),
    (
        "DATABASE_URL",
        "sqlite in LICITA_DATA_DIR",
        "postgres://user:pass@host:port/db, or sqlite://path?mode=rwc",
    ),
    (
        "LICITA_DB_MAX_CONNECTIONS",
        "10",
        "database pool size (SQLite always uses 1 writer, and read-only connections beside it)",
    ),
    (
        "REDIS_URL",
        "(unset: no Redis)",
        "redis://host:port, or a Redis Cluster as a comma-separated list of node URLs; when unset the in-process engine is used",
    ),
    (
        "LICITA_REDIS_PREFIX",
        "licita",
        "prefix of every Redis key this instance writes",
    ),
    (
        "LICITA_JWT_SECRET",
        "(generated)",
        "HS256 secret; when unset one is generated once in LICITA_DATA_DIR/jwt-secret (mode 0600)",
    ),
    (
        "LICITA_JWT_ALGORITHM",
        "HS256",
        "HS256, RS256 or EdDSA; the only algorithm accepted",
    ),
    (
        "LICITA_JWT_PUBLIC_KEY_FILE",
        "(unset)",
        "PEM public key for RS256/EdDSA tokens from an identity provider",
    ),
    (
        "LICITA_JWT_ISSUER",
        "(unset: not checked)",
        "required `iss` claim",
    ),
    (
        "LICITA_JWT_AUDIENCE",
        "(unset: not checked)",
        "required `aud` claim",
    ),
    (
        "LICITA_JWT_LEEWAY_S",
        "30",
        "clock skew allowed on `exp` and `nbf`, in seconds",
    ),
    (
        "LICITA_SEAL_KEY",
        "(generated)",
        "64 hex characters: the key that seals bids at rest; when unset one is generated once in LICITA_DATA_DIR/seal-key",
    ),
    (
        "LICITA_SANDBOX",
        "false",
        "true: every legal minimum period is zero, so a whole tender runs in minutes",
    ),
    (
        "LICITA_TIME_FACTOR",
        "1",
        "sandbox only: auctions run this many times faster (60 = a 30-minute auction in 30 s)",
    ),
    (
        "LICITA_DAYS_OPEN_NATIONAL",
        "15",
        "days from publication to the submission deadline, national open tender",
    ),
    (
        "LICITA_DAYS_OPEN_INTERNATIONAL",
        "20",
        "the same, international open tender",
    ),
    (
        "LICITA_DAYS_INVITATION",
        "5",
        "the same, invitation to at least three",
    ),
    ("LICITA_DAYS_DIRECT_AWARD", "0", "the same, direct award"),
    (
        "LICITA_DAYS_FRAMEWORK_ORDER",
        "0",
        "the same, order under a framework contract",
    ),
    (
        "LICITA_DAYS_CLARIFICATION_GAP",
        "6",
        "days between the end of clarifications and the submission deadline",
    ),
    (
        "LICITA_STRATEGIC_LIMIT",
        "7",
        "approved strategic ICT projects an agency may hold per fiscal year",
    ),
    (
        "LICITA_FISCAL_YEAR_START",
        "01-01",
        "MM-DD: the first day of the fiscal year",
    ),
    (
        "LICITA_MAX_BODY_BYTES",
        "262144",
        "largest request body accepted (413 beyond)",
    ),
    (
        "LICITA_DOCUMENTS",
        "LICITA_DATA_DIR/documents",
        "where document bytes are kept: a folder, or s3://bucket[/prefix] for an S3-compatible object store",
    ),
    (
        "LICITA_S3_ENDPOINT",
        "(unset: AWS)",
        "the S3-compatible server's URL (http allowed), e.g. http://127.0.0.1:9000",
    ),
    ("LICITA_S3_REGION", "us-east-1", "the bucket's region"),
    (
        "LICITA_S3_ACCESS_KEY_ID",
        "(unset)",
        "the object store's access key id",
    ),
    (
        "LICITA_S3_SECRET_ACCESS_KEY",
        "(unset)",
        "the object store's secret access key",
    ),
    (
        "LICITA_MAX_DOCUMENT_BYTES",
        "26214400",
        "largest document accepted (413 beyond); uploads stream, whatever the size",
    ),
    (
        "LICITA_DOCUMENT_TYPES",
        "PDF, PNG, JPEG, TIFF, Word, Excel, OpenDocument, ZIP, CSV, XML, JSON, plain text",
        "comma-separated media types a document may have (415 otherwise)",
    ),
    (
        "LICITA_MAX_IMPORT_BYTES",
        "16777216",
        "largest CSV import (classifier) accepted (413 beyond)",
    ),
    (
        "LICITA_LEGAL_UTC_OFFSET",
        "-06:00",
        "±HH:MM offset of the legal calendar: the date on which sanctions and deadlines are judged",
    ),
    (
        "LICITA_COMPLAINT_DAYS",
        "6",
        "business days after an act (opening, evaluation, award) within which a bidder may file a complaint against it",
    ),
    (
        "LICITA_HOLIDAYS",
        "(none)",
        "comma-separated YYYY-MM-DD days of the legal calendar that are not business days (weekends never are)",
    ),
    (
        "LICITA_PUBLIC_URL",
        "http://LICITA_ADDR",
        "the address the public reaches the service at (http or https, no path): every absolute link the service writes starts with it, never with the request's Host or forwarded headers",
    ),
    (
        "LICITA_METRICS_ADDR",
        "(unset: /metrics on LICITA_ADDR)",
        "serve /metrics on this address instead, away from the public listener",
    ),
    (
        "LICITA_MAX_TOKEN_TTL",
        "12h",
        "the longest lifetime a token may have (exp − iat, or exp − now): a longer-lived token gets 401",
    ),
    (
        "LICITA_PUBLISHER_NAME",
        "licita — sistema de contrataciones públicas",
        "the publisher named in every OCDS package",
    ),
    (
        "LICITA_PUBLISHER_SCHEME",
        "(unset)",
        "the org-id.guide scheme of the publisher's identifier (e.g. MX-RFC); with LICITA_PUBLISHER_UID",
    ),
    (
        "LICITA_PUBLISHER_UID",
        "(unset)",
        "the publisher's identifier in LICITA_PUBLISHER_SCHEME (e.g. its RFC)",
    ),
    (
        "LICITA_PUBLISHER_URI",
        "(unset)",
        "the publisher's web address, named in every OCDS package",
    ),
    (
        "LICITA_OCDS_LICENSE",
        "https://creativecommons.org/licenses/by/4.0/",
        "the license of the published data (a URL)",
    ),
    (
        "LICITA_OCID_PREFIX",
        "ocds-licita",
        "the OCDS ocid prefix registered with the Open Contracting Partnership (`ocds-` and 6 lowercase letters or digits): a tender's ocid is `{prefix}-{tender id}`",
    ),
    ("LICITA_WORKERS", "number of cores", "HTTP worker threads"),
    (
        "LICITA_SHUTDOWN_TIMEOUT_S",
        "30",
        "seconds to finish in-flight requests after SIGTERM",
    ),
    (
        "LICITA_BODY_TIMEOUT_S",
        "10",
        "seconds a JSON request body may take to arrive whole; slower is 408 request_timeout and the connection is closed",
    ),
    (
        "LICITA_IMPORT_TIMEOUT_S",
        "300",
        "the same for a classifier CSV import (up to LICITA_MAX_IMPORT_BYTES)",
    ),
    (
        "LICITA_SSE_MAX_STREAMS",
        "10000",
        "auction event streams open at once in this instance; one more is 429 too_many_streams",
    ),
    (
        "LICITA_SSE_MAX_PER_CLIENT",
        "8",
        "auction event streams open at once per token (role and subject), or per address without one",
    ),
    (
        "LICITA_SSE_MAX_AGE_S",
        "3600",
        "seconds after which an auction event stream ends; clients reconnect with Last-Event-ID",
    ),
    (
        "LICITA_RATE_BIDS",
        DEFAULT_RATE_BIDS,
        "bids (POST …/bids) per second per client, and the burst allowed (RATE or RATE:BURST; off for none); past it, 429 rate_limited with Retry-After",
    ),
    (
        "LICITA_RATE_WRITES",
        DEFAULT_RATE_WRITES,
        "other writes (POST, PUT, PATCH, DELETE) per second per client, and the burst; off for none",
    ),
    (
        "LICITA_RATE_READS",
        DEFAULT_RATE_READS,
        "reads (GET, HEAD) per second per client, and the burst; off for none",
    ),
    (
        "LICITA_TRUSTED_PROXIES",
        "(none)",
        "comma-separated addresses or networks (10.0.0.0/8) of reverse proxies whose X-Forwarded-For names the client; a client is a token's role and subject, or else its address (IPv6 by /64)",
    ),
    (
        "LICITA_LOG",
        "info",
        "log filter, tracing-subscriber EnvFilter syntax",
    ),
    ("LICITA_LOG_FORMAT", "text", "text or json"),
];

#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: String,
    pub data_dir: PathBuf,
    /// `None`: SQLite in `data_dir`.
    pub database_url: Option<SecretString>,
    pub db_max_connections: u32,
    pub redis_url: Option<SecretString>,
    pub redis_prefix: String,
    pub jwt: JwtSettings,
    /// Hex key sealing bids at rest; `None`: kept in `data_dir`.
    pub seal_key: Option<SecretString>,
    /// Legal minimum periods (all zero in the sandbox).
    pub periods: LegalPeriods,
    pub sandbox: bool,
    /// Auctions run this many times faster (sandbox only).
    pub time_factor: u32,
    /// The ICT policy: strategic-project limit and fiscal year.
    pub ict: IctPolicy,
    pub max_body_bytes: usize,
    pub max_import_bytes: usize,
    /// Where documents are kept, and their limits.
    pub documents: DocumentSettings,
    /// The offset of the legal calendar (Mexico City, UTC−6 all year since 2022).
    pub legal_offset: FixedOffset,
    /// The complaint window, in business days, and the calendar that counts them.
    pub complaint_days: u32,
    pub calendar: crate::domain::complaint::Calendar,
    /// The OCDS ocid prefix, registered with the Open Contracting Partnership.
    pub ocid_prefix: String,
    /// Scheme and authority the public reaches the service at, without a trailing slash;
    /// `None`: `http://` + the address the service is bound to (set at start).
    pub public_url: Option<String>,
    /// Where `/metrics` is served instead of `addr`, if set.
    pub metrics_addr: Option<String>,
    /// Who publishes the OCDS data, and under which license.
    pub publisher: PublisherSettings,
    pub workers: Option<usize>,
    pub shutdown_timeout_s: u64,
    /// Seconds a JSON body may take to arrive whole.
    pub body_timeout_s: u64,
    /// Seconds a classifier CSV import may take to arrive whole.
    pub import_timeout_s: u64,
    /// Caps on the auction event streams.
    pub streams: StreamLimits,
    /// The rate limits per client, and the proxies believed about who the client is.
    pub rate_limits: crate::limits::RateLimitSettings,
    pub log_filter: String,
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub max_total: usize,
    pub max_per_client: usize,
    pub max_age_s: u64,
}

#[derive(Debug, Clone)]
pub struct DocumentSettings {
    pub store: DocumentStoreSetting,
    pub max_bytes: u64,
    /// Accepted media types, lowercase essences.
    pub media_types: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum DocumentStoreSetting {
    Folder(PathBuf),
    S3 {
        bucket: String,
        prefix: String,
        endpoint: Option<String>,
        region: String,
        access_key_id: Option<String>,
        secret_access_key: Option<SecretString>,
    },
}

#[derive(Debug, Clone)]
pub struct PublisherSettings {
    pub name: String,
    /// Scheme and identifier, both or neither.
    pub id: Option<(String, String)>,
    pub uri: Option<String>,
    pub license: String,
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// `None` with HS256: generated once and kept in `data_dir`.
    pub secret: Option<SecretString>,
    pub algorithm: JwtAlgorithm,
    pub public_key_file: Option<PathBuf>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub leeway_s: u64,
    /// The longest lifetime a token may have, in seconds.
    pub max_ttl_s: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    Rs256,
    EdDsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("{0}")]
    Inconsistent(&'static str),
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings from any lookup (the environment, or a map in tests). Empty values
    /// count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let sandbox = match get("LICITA_SANDBOX").as_deref().map(str::trim) {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                return Err(SettingsError::Invalid {
                    name: "LICITA_SANDBOX",
                    value: other.into(),
                    reason: "use true or false",
                });
            }
        };
        let base = if sandbox {
            LegalPeriods::SANDBOX
        } else {
            LegalPeriods::DEFAULT
        };
        let days = |name: &'static str, default: i64| parse_num(&get, name, default, 0..=365);
        let periods = LegalPeriods {
            open_national_days: days("LICITA_DAYS_OPEN_NATIONAL", base.open_national_days)?,
            open_international_days: days(
                "LICITA_DAYS_OPEN_INTERNATIONAL",
                base.open_international_days,
            )?,
            invitation_days: days("LICITA_DAYS_INVITATION", base.invitation_days)?,
            direct_award_days: days("LICITA_DAYS_DIRECT_AWARD", base.direct_award_days)?,
            framework_order_days: days("LICITA_DAYS_FRAMEWORK_ORDER", base.framework_order_days)?,
            clarification_gap_days: days(
                "LICITA_DAYS_CLARIFICATION_GAP",
                base.clarification_gap_days,
            )?,
        };
        let fiscal_year_start = match get("LICITA_FISCAL_YEAR_START") {
            None => IctPolicy::DEFAULT.fiscal_year_start,
            Some(raw) => {
                chrono::NaiveDate::parse_from_str(&format!("2000-{}", raw.trim()), "%Y-%m-%d")
                    .map(|d| (chrono::Datelike::month(&d), chrono::Datelike::day(&d)))
                    .map_err(|_| SettingsError::Invalid {
                        name: "LICITA_FISCAL_YEAR_START",
                        value: raw.clone(),
                        reason: "use MM-DD, e.g. 01-01",
                    })?
            }
        };
        let ict = IctPolicy {
            strategic_limit: parse_num(
                &get,
                "LICITA_STRATEGIC_LIMIT",
                IctPolicy::DEFAULT.strategic_limit,
                0..=1000,
            )?,
            fiscal_year_start,
        };
        let data_dir =
            get("LICITA_DATA_DIR").map_or_else(|| PathBuf::from("./data"), PathBuf::from);
        let settings = Self {
            ict,
            seal_key: get("LICITA_SEAL_KEY").map(SecretString::from),
            periods,
            sandbox,
            time_factor: parse_num(&get, "LICITA_TIME_FACTOR", 1, 1..=3600)?,
            addr: get("LICITA_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url: get("DATABASE_URL").map(SecretString::from),
            db_max_connections: parse_num(&get, "LICITA_DB_MAX_CONNECTIONS", 10, 1..=1000)?,
            redis_url: get("REDIS_URL").map(SecretString::from),
            redis_prefix: get("LICITA_REDIS_PREFIX").unwrap_or_else(|| "licita".into()),
            jwt: JwtSettings {
                secret: get("LICITA_JWT_SECRET").map(SecretString::from),
                algorithm: match get("LICITA_JWT_ALGORITHM").as_deref() {
                    None | Some("HS256") => JwtAlgorithm::Hs256,
                    Some("RS256") => JwtAlgorithm::Rs256,
                    Some("EdDSA") => JwtAlgorithm::EdDsa,
                    Some(other) => {
                        return Err(SettingsError::Invalid {
                            name: "LICITA_JWT_ALGORITHM",
                            value: other.into(),
                            reason: "use HS256, RS256 or EdDSA",
                        });
                    }
                },
                public_key_file: get("LICITA_JWT_PUBLIC_KEY_FILE").map(PathBuf::from),
                issuer: get("LICITA_JWT_ISSUER"),
                audience: get("LICITA_JWT_AUDIENCE"),
                leeway_s: parse_num(&get, "LICITA_JWT_LEEWAY_S", 30, 0..=600)?,
                max_ttl_s: match get("LICITA_MAX_TOKEN_TTL") {
                    None => DEFAULT_MAX_TOKEN_TTL_S,
                    Some(raw) => crate::domain::duration::parse_duration(&raw)
                        .map(|d| d.as_secs())
                        .map_err(|_| SettingsError::Invalid {
                            name: "LICITA_MAX_TOKEN_TTL",
                            value: raw.clone(),
                            reason: "a duration such as 12h, 90m or 1d (at most 30 days)",
                        })?,
                },
            },
            max_body_bytes: parse_num(
                &get,
                "LICITA_MAX_BODY_BYTES",
                256 * 1024,
                1024..=64 * 1024 * 1024,
            )?,
            max_import_bytes: parse_num(
                &get,
                "LICITA_MAX_IMPORT_BYTES",
                16 * 1024 * 1024,
                1024..=1024 * 1024 * 1024,
            )?,
            documents: DocumentSettings {
                store: document_store(&get, &data_dir)?,
                max_bytes: parse_num(
                    &get,
                    "LICITA_MAX_DOCUMENT_BYTES",
                    25 * 1024 * 1024,
                    1024..=5 * 1024 * 1024 * 1024,
                )?,
                media_types: match get("LICITA_DOCUMENT_TYPES") {
                    None => crate::domain::document::DEFAULT_MEDIA_TYPES
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect(),
                    Some(raw) => {
                        let types: Vec<String> = raw
                            .split(',')
                            .map(|t| t.trim().to_ascii_lowercase())
                            .filter(|t| !t.is_empty())
                            .collect();
                        // Nothing a browser would run on this origin.
                        const ACTIVE: &[&str] = &[
                            "text/html",
                            "application/xhtml+xml",
                            "image/svg+xml",
                            "text/javascript",
                            "application/javascript",
                        ];
                        if types.is_empty()
                            || types.iter().any(|t| ACTIVE.contains(&t.as_str()))
                            || !types.iter().all(|t| {
                                t.split_once('/').is_some_and(|(a, b)| {
                                    !a.is_empty()
                                        && !b.is_empty()
                                        && t.bytes().all(|c| {
                                            c.is_ascii_alphanumeric() || b"/.+-".contains(&c)
                                        })
                                })
                            })
                        {
                            return Err(SettingsError::Invalid {
                                name: "LICITA_DOCUMENT_TYPES",
                                value: raw,
                                reason: "comma-separated media types such as application/pdf,image/png (no HTML, SVG or script)",
                            });
                        }
                        types
                    }
                },
            },
            data_dir,
            complaint_days: parse_num(&get, "LICITA_COMPLAINT_DAYS", 6, 1..=60)?,
            calendar: crate::domain::complaint::Calendar {
                holidays: match get("LICITA_HOLIDAYS") {
                    None => Vec::new(),
                    Some(raw) => raw
                        .split(',')
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| SettingsError::Invalid {
                            name: "LICITA_HOLIDAYS",
                            value: raw.clone(),
                            reason: "comma-separated days, e.g. 2026-12-25,2027-01-01",
                        })?,
                },
            },
            legal_offset: match get("LICITA_LEGAL_UTC_OFFSET") {
                None => FixedOffset::west_opt(6 * 3600).ok_or(SettingsError::Inconsistent(
                    "the default legal offset is invalid",
                ))?,
                Some(raw) => raw.trim().parse().map_err(|_| SettingsError::Invalid {
                    name: "LICITA_LEGAL_UTC_OFFSET",
                    value: raw.clone(),
                    reason: "use ±HH:MM, e.g. -06:00",
                })?,
            },
            ocid_prefix: match get("LICITA_OCID_PREFIX") {
                None => DEFAULT_OCID_PREFIX.to_owned(),
                Some(raw) if is_ocid_prefix(raw.trim()) => raw.trim().to_owned(),
                Some(raw) => {
                    return Err(SettingsError::Invalid {
                        name: "LICITA_OCID_PREFIX",
                        value: raw,
                        reason: "a registered prefix: ocds- and 6 lowercase letters or digits, e.g. ocds-213czf",
                    });
                }
            },
            public_url: get("LICITA_PUBLIC_URL")
                .map(|raw| public_url(&raw))
                .transpose()?,
            metrics_addr: get("LICITA_METRICS_ADDR").map(|a| a.trim().to_owned()),
            publisher: PublisherSettings {
                name: get("LICITA_PUBLISHER_NAME")
                    .map(|n| n.trim().to_owned())
                    .unwrap_or_else(|| DEFAULT_PUBLISHER.to_owned()),
                id: match (get("LICITA_PUBLISHER_SCHEME"), get("LICITA_PUBLISHER_UID")) {
                    (Some(scheme), Some(uid)) => {
                        Some((scheme.trim().to_owned(), uid.trim().to_owned()))
                    }
                    (None, None) => None,
                    _ => {
                        return Err(SettingsError::Inconsistent(
                            "LICITA_PUBLISHER_SCHEME and LICITA_PUBLISHER_UID go together",
                        ));
                    }
                },
                uri: get("LICITA_PUBLISHER_URI")
                    .map(|u| absolute_url("LICITA_PUBLISHER_URI", &u))
                    .transpose()?,
                license: get("LICITA_OCDS_LICENSE")
                    .map(|u| absolute_url("LICITA_OCDS_LICENSE", &u))
                    .transpose()?
                    .unwrap_or_else(|| DEFAULT_LICENSE.to_owned()),
            },
            workers: get("LICITA_WORKERS")
                .map(|_| parse_num(&get, "LICITA_WORKERS", 1, 1..=256))
                .transpose()?,
            shutdown_timeout_s: parse_num(&get, "LICITA_SHUTDOWN_TIMEOUT_S", 30, 0..=3600)?,
            body_timeout_s: parse_num(&get, "LICITA_BODY_TIMEOUT_S", 10, 1..=3600)?,
            import_timeout_s: parse_num(&get, "LICITA_IMPORT_TIMEOUT_S", 300, 1..=3600)?,
            streams: StreamLimits {
                max_total: parse_num(&get, "LICITA_SSE_MAX_STREAMS", 10_000, 1..=1_000_000)?,
                max_per_client: parse_num(&get, "LICITA_SSE_MAX_PER_CLIENT", 8, 1..=10_000)?,
                max_age_s: parse_num(&get, "LICITA_SSE_MAX_AGE_S", 3600, 1..=86_400)?,
            },
            rate_limits: crate::limits::RateLimitSettings {
                bids: budget(&get, "LICITA_RATE_BIDS", DEFAULT_RATE_BIDS)?,
                writes: budget(&get, "LICITA_RATE_WRITES", DEFAULT_RATE_WRITES)?,
                reads: budget(&get, "LICITA_RATE_READS", DEFAULT_RATE_READS)?,
                trusted_proxies: trusted_proxies(&get)?,
            },
            log_filter: get("LICITA_LOG").unwrap_or_else(|| "info".into()),
            log_format: match get("LICITA_LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(SettingsError::Invalid {
                        name: "LICITA_LOG_FORMAT",
                        value: other.into(),
                        reason: "use text or json",
                    });
                }
            },
        };
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), SettingsError> {
        if self.time_factor > 1 && !self.sandbox {
            return Err(SettingsError::Inconsistent(
                "LICITA_TIME_FACTOR speeds auctions up only with LICITA_SANDBOX=true",
            ));
        }
        match (self.jwt.algorithm, &self.jwt.public_key_file) {
            (JwtAlgorithm::Hs256, Some(_)) => Err(SettingsError::Inconsistent(
                "LICITA_JWT_PUBLIC_KEY_FILE needs LICITA_JWT_ALGORITHM=RS256 or EdDSA",
            )),
            (JwtAlgorithm::Rs256 | JwtAlgorithm::EdDsa, None) => Err(SettingsError::Inconsistent(
                "LICITA_JWT_ALGORITHM=RS256/EdDSA needs LICITA_JWT_PUBLIC_KEY_FILE",
            )),
            _ => Ok(()),
        }
    }

    /// The OCDS identifier of a tender's contracting process: `{prefix}-{tender id}`.
    pub fn ocid(&self, tender_id: uuid::Uuid) -> String {
        crate::ocds::ocid(&self.ocid_prefix, tender_id)
    }

    /// The SQLite URL used when `DATABASE_URL` is unset.
    pub fn default_sqlite_path(&self) -> PathBuf {
        self.data_dir.join("licita.db")
    }
}

/// The ocid prefix used when `LICITA_OCID_PREFIX` is unset (not a registered one).
pub const DEFAULT_OCID_PREFIX: &str = "ocds-licita";

/// `ocds-` then 6 lowercase ASCII letters or digits: the shape of the prefixes the Open
/// Contracting Partnership registers (also a valid DNS label, so that it can name the
/// authority of `tag:` URIs).
fn is_ocid_prefix(raw: &str) -> bool {
    // The Open Contracting Partnership registers prefixes of `ocds-` and six characters.
    raw.strip_prefix("ocds-").is_some_and(|rest| {
        rest.len() == 6
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// The publisher named by default.
pub const DEFAULT_PUBLISHER: &str = "licita — sistema de contrataciones públicas";
/// The data's license by default: Creative Commons Attribution 4.0.
pub const DEFAULT_LICENSE: &str = "https://creativecommons.org/licenses/by/4.0/";

/// An http(s) URL with a host, as given.
fn absolute_url(name: &'static str, raw: &str) -> Result<String, SettingsError> {
    let url = raw.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(url.to_owned())
    } else {
        Err(SettingsError::Invalid {
            name,
            value: raw.to_owned(),
            reason: "an http:// or https:// URL",
        })
    }
}

/// The longest token lifetime by default: one working day.
pub const DEFAULT_MAX_TOKEN_TTL_S: u64 = 12 * 3600;

/// `LICITA_PUBLIC_URL`: an http(s) URL with a host and nothing after it but an optional
/// slash.
fn public_url(raw: &str) -> Result<String, SettingsError> {
    let invalid = || SettingsError::Invalid {
        name: "LICITA_PUBLIC_URL",
        value: raw.to_owned(),
        reason: "use http:// or https:// and a host, with no path, query or fragment, e.g. https://compras.example.gob.mx",
    };
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(invalid)?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(invalid());
    }
    Ok(url.to_owned())
}

/// Where documents are kept: `LICITA_DOCUMENTS` as a folder, or `s3://bucket[/prefix]`.
fn document_store(
    get: &impl Fn(&str) -> Option<String>,
    data_dir: &std::path::Path,
) -> Result<DocumentStoreSetting, SettingsError> {
    let Some(raw) = get("LICITA_DOCUMENTS") else {
        return Ok(DocumentStoreSetting::Folder(data_dir.join("documents")));
    };
    let raw = raw.trim().to_owned();
    let Some(rest) = raw.strip_prefix("s3://") else {
        return Ok(DocumentStoreSetting::Folder(PathBuf::from(raw)));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid_bucket {
        return Err(SettingsError::Invalid {
            name: "LICITA_DOCUMENTS",
            value: raw.clone(),
            reason: "s3://bucket[/prefix], the bucket 3 to 63 lowercase letters, digits, dots or dashes",
        });
    }
    let endpoint = get("LICITA_S3_ENDPOINT").map(|e| e.trim().trim_end_matches('/').to_owned());
    if let Some(e) = &endpoint
        && !(e.starts_with("http://") || e.starts_with("https://"))
    {
        return Err(SettingsError::Invalid {
            name: "LICITA_S3_ENDPOINT",
            value: e.clone(),
            reason: "an http:// or https:// URL",
        });
    }
    Ok(DocumentStoreSetting::S3 {
        bucket: bucket.to_owned(),
        prefix: prefix.trim_matches('/').to_owned(),
        endpoint,
        region: get("LICITA_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        access_key_id: get("LICITA_S3_ACCESS_KEY_ID"),
        secret_access_key: get("LICITA_S3_SECRET_ACCESS_KEY").map(SecretString::from),
    })
}

/// A rate-limit budget (`RATE`, `RATE:BURST`), or `None` for `off`.
fn budget(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<Option<crate::limits::Budget>, SettingsError> {
    let raw = get(name).unwrap_or_else(|| default.to_owned());
    if raw.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    crate::limits::Budget::parse(&raw)
        .map(Some)
        .map_err(|reason| SettingsError::Invalid {
            name,
            value: raw,
            reason,
        })
}

fn trusted_proxies(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<crate::limits::Cidr>, SettingsError> {
    let Some(raw) = get("LICITA_TRUSTED_PROXIES") else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            crate::limits::Cidr::parse(s).ok_or_else(|| SettingsError::Invalid {
                name: "LICITA_TRUSTED_PROXIES",
                value: s.trim().to_owned(),
                reason: "use IP addresses or networks such as 10.0.0.0/8 or fd00::/8, separated by commas",
            })
        })
        .collect()
}

fn parse_num<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, SettingsError>
where
    T: std::str::FromStr + PartialOrd + Copy,
{
    let Some(raw) = get(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        Ok(_) => Err(SettingsError::Invalid {
            name,
            value: raw,
            reason: "out of range",
        }),
        Err(_) => Err(SettingsError::Invalid {
            name,
            value: raw,
            reason: "not a whole number",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_variables_at_all() {
        let s = from(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.addr, "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert!(s.database_url.is_none() && s.redis_url.is_none());
        assert_eq!(s.jwt.algorithm, JwtAlgorithm::Hs256);
        assert_eq!(s.max_body_bytes, 262_144);
        assert_eq!(s.legal_offset.local_minus_utc(), -6 * 3600);
        assert_eq!(s.periods, LegalPeriods::DEFAULT);
        assert_eq!(s.ocid_prefix, "ocds-licita");
        let id = uuid::Uuid::nil();
        assert_eq!(
            s.ocid(id),
            "ocds-licita-00000000-0000-0000-0000-000000000000"
        );
        let sandbox = from(&[("LICITA_SANDBOX", "true"), ("LICITA_DAYS_INVITATION", "2")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sandbox.periods.open_international_days, 0);
        assert_eq!(
            sandbox.periods.invitation_days, 2,
            "a variable still overrides the sandbox"
        );
    }

    #[test]
    fn rate_limits_have_defaults_can_be_turned_off_and_are_checked() {
        let s = from(&[]).unwrap_or_else(|e| panic!("{e}"));
        let limits = &s.rate_limits;
        assert_eq!(limits.bids.map(|b| b.to_string()).as_deref(), Some("20:40"));
        assert_eq!(
            limits.writes.map(|b| b.to_string()).as_deref(),
            Some("10:50")
        );
        assert_eq!(
            limits.reads.map(|b| b.to_string()).as_deref(),
            Some("100:300")
        );
        assert!(limits.trusted_proxies.is_empty());
        let s = from(&[
            ("LICITA_RATE_READS", "OFF"),
            ("LICITA_RATE_BIDS", "5"),
            ("LICITA_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.rate_limits.reads.is_none());
        assert_eq!(
            s.rate_limits.bids.map(|b| b.to_string()).as_deref(),
            Some("5:10")
        );
        let proxies: Vec<String> = s
            .rate_limits
            .trusted_proxies
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(proxies, ["10.0.0.0/8", "::1/128"]);
        for (name, value) in [
            ("LICITA_RATE_WRITES", "0"),
            ("LICITA_RATE_BIDS", "fast"),
            ("LICITA_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"),
        ] {
            assert!(
                matches!(from(&[(name, value)]), Err(SettingsError::Invalid { name: n, .. }) if n == name),
                "{name}={value} was accepted"
            );
        }
    }

    #[test]
    fn bad_values_are_named() {
        let err = from(&[("LICITA_MAX_BODY_BYTES", "lots")]).err();
        assert!(matches!(
            err,
            Some(SettingsError::Invalid {
                name: "LICITA_MAX_BODY_BYTES",
                ..
            })
        ));
        let err = from(&[("LICITA_JWT_ALGORITHM", "none")]).err();
        assert!(matches!(
            err,
            Some(SettingsError::Invalid {
                name: "LICITA_JWT_ALGORITHM",
                ..
            })
        ));
        let err = from(&[("LICITA_JWT_ALGORITHM", "RS256")]).err();
        assert!(matches!(err, Some(SettingsError::Inconsistent(_))));
        let err = from(&[("LICITA_LEGAL_UTC_OFFSET", "CDMX")]).err();
        assert!(matches!(
            err,
            Some(SettingsError::Invalid {
                name: "LICITA_LEGAL_UTC_OFFSET",
                ..
            })
        ));
        for bad in [
            "licita",
            "ocds-",
            "ocds-ABC123",
            "ocds-a b",
            "OCDS-abc",
            "ocds-abc",
            "ocds-abcdefg",
        ] {
            let err = from(&[("LICITA_OCID_PREFIX", bad)]).err();
            assert!(
                matches!(
                    err,
                    Some(SettingsError::Invalid {
                        name: "LICITA_OCID_PREFIX",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        let registered = from(&[("LICITA_OCID_PREFIX", "ocds-213czf")]);
        assert_eq!(
            registered.map(|s| s.ocid_prefix).ok().as_deref(),
            Some("ocds-213czf")
        );
        let err = from(&[("LICITA_DB_MAX_CONNECTIONS", "0")]).err();
        assert!(matches!(
            err,
            Some(SettingsError::Invalid {
                reason: "out of range",
                ..
            })
        ));
    }

    /// Every `"LICITA_…"` name quoted in this file: the variables it reads (and names in
    /// its messages and tests, which are the same ones).
    fn names_quoted_in_this_file() -> BTreeSet<&'static str> {
        let source = include_str!("settings.rs");
        source
            .match_indices("\"LICITA_")
            .filter_map(|(at, _)| {
                let name = &source[at + 1..];
                let end = name
                    .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))?;
                (end > "LICITA_".len() && name[end..].starts_with('"')).then(|| &name[..end])
            })
            .collect()
    }

    /// The first column of the README's settings table.
    fn readme_table() -> BTreeSet<&'static str> {
        include_str!("../README.md")
            .lines()
            .filter_map(|line| line.strip_prefix("| `")?.split_once("` |"))
            .map(|(name, _)| name)
            .filter(|name| {
                name.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            })
            .collect()
    }

    #[test]
    fn every_variable_read_is_listed_here_and_in_the_readme() {
        let listed: BTreeSet<&str> = VARIABLES.iter().map(|(name, _, _)| *name).collect();
        let read = names_quoted_in_this_file();
        assert!(read.len() > 20, "the scan found the names: {read:?}");
        let unlisted: Vec<_> = read.difference(&listed).collect();
        assert!(
            unlisted.is_empty(),
            "read but not in VARIABLES: {unlisted:?}"
        );
        assert_eq!(
            readme_table(),
            listed,
            "the README's settings table lists exactly VARIABLES"
        );
    }
}
