//! Authentication: JWT verification, the roles of SPEC §1, and token minting for people
//! trying the API.

mod extract;
pub mod keys;

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::domain::agency::AgencyCode;
use crate::domain::audit::Actor;

pub use extract::{Auditor, IctAuthority, MaybePrincipal, Officer, Principal, Registrar, Supplier};

/// The token of a well-formed `Authorization: Bearer <token>` header, if there is one
/// (the extractors say what is wrong with any other).
pub fn bearer(headers: &actix_web::http::header::HeaderMap) -> Option<&str> {
    let value = headers
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The roles of SPEC §1, as written in a token's `role` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Role {
    Supplier,
    Officer,
    IctAuthority,
    Registrar,
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supplier => "supplier",
            Role::Officer => "officer",
            Role::IctAuthority => "ict_authority",
            Role::Registrar => "registrar",
            Role::Auditor => "auditor",
        }
    }
}

/// The claims licita reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// RFC 7519 allows one audience or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Who is calling, as proven by a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub sub: String,
    pub role: Role,
    /// Present, and a valid agency code, for officers.
    pub agency: Option<AgencyCode>,
}

impl Identity {
    pub fn actor(&self) -> Actor {
        Actor {
            role: self.role.as_str().to_owned(),
            sub: self.sub.clone(),
        }
    }
}

/// The longest `sub` accepted.
const MAX_SUB_LEN: usize = 256;

/// Verifies tokens with the one configured key and algorithm.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
    /// The longest lifetime accepted (`exp` − `iat`, or `exp` − now), seconds.
    max_ttl_s: u64,
}

impl TokenVerifier {
    pub fn new(
        key: DecodingKey,
        algorithm: Algorithm,
        issuer: Option<&str>,
        audience: Option<&str>,
        (leeway_s, max_ttl_s): (u64, u64),
    ) -> Self {
        let mut validation = Validation::new(algorithm);
        // The algorithm is pinned: a token whose header names another (or `none`) fails.
        validation.algorithms = vec![algorithm];
        validation.leeway = leeway_s;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if let Some(iss) = issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        match audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self {
            key,
            validation,
            max_ttl_s,
        }
    }

    pub fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(
            |e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidSignature => TokenError::Invalid("bad signature".into()),
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    TokenError::Invalid("algorithm not accepted".into())
                }
                ErrorKind::ImmatureSignature => TokenError::Invalid("not valid yet (nbf)".into()),
                ErrorKind::InvalidIssuer => TokenError::Invalid("wrong issuer".into()),
                ErrorKind::InvalidAudience => TokenError::Invalid("wrong audience".into()),
                ErrorKind::MissingRequiredClaim(claim) => {
                    TokenError::Invalid(format!("missing claim {claim}"))
                }
                ErrorKind::Json(_) | ErrorKind::InvalidClaimFormat(_) => {
                    TokenError::Invalid("claims missing or malformed (sub, role, exp)".into())
                }
                _ => TokenError::Invalid("not a valid JWT".into()),
            },
        )?;
        let claims = data.claims;
        // A token's lifetime counts from when it was issued, or from now if it says
        // nothing (or claims to be issued later than now).
        let now = jsonwebtoken::get_current_timestamp();
        let from = claims.iat.map_or(now, |iat| iat.min(now));
        if claims.exp.saturating_sub(from) > self.max_ttl_s + self.validation.leeway {
            return Err(TokenError::Invalid(format!(
                "the token lives longer than the {} s allowed (LICITA_MAX_TOKEN_TTL)",
                self.max_ttl_s
            )));
        }
        if claims.sub.trim().is_empty() || claims.sub.len() > MAX_SUB_LEN {
            return Err(TokenError::Invalid("sub is empty or too long".into()));
        }
        // The sub is written into the audit log: nothing that spoofs it there.
        if crate::domain::text::spoofs(&claims.sub) || claims.sub.chars().any(char::is_control) {
            return Err(TokenError::Invalid(
                "sub has control, invisible or bidirectional-control characters".into(),
            ));
        }
        let agency = match (claims.role, claims.agency.as_deref()) {
            (Role::Officer, None) => {
                return Err(TokenError::Invalid(
                    "an officer token needs an agency claim".into(),
                ));
            }
            (_, None) => None,
            (_, Some(raw)) => Some(
                AgencyCode::parse(raw)
                    .map_err(|e| TokenError::Invalid(format!("agency claim: {e}")))?,
            ),
        };
        Ok(Identity {
            sub: claims.sub,
            role: claims.role,
            agency,
        })
    }
}

/// Signs HS256 tokens with the local secret (`licita token`, tests).
pub struct TokenIssuer {
    key: EncodingKey,
    issuer: Option<String>,
    audience: Option<String>,
}

impl TokenIssuer {
    pub fn new(secret: &[u8], issuer: Option<String>, audience: Option<String>) -> Self {
        Self {
            key: EncodingKey::from_secret(secret),
            issuer,
            audience,
        }
    }

    pub fn mint(
        &self,
        role: Role,
        sub: &str,
        agency: Option<&AgencyCode>,
        ttl: Duration,
        now_unix: u64,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            exp: now_unix + ttl.as_secs(),
            agency: agency.map(|a| a.as_str().to_owned()),
            iat: Some(now_unix),
            nbf: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(Audience::One),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.key,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-test-secret-test-secret";

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn verifier() -> TokenVerifier {
        TokenVerifier::new(
            DecodingKey::from_secret(SECRET),
            Algorithm::HS256,
            None,
            None,
            (0, 12 * 3600),
        )
    }

    #[test]
    fn a_minted_token_verifies_with_its_role_and_agency() {
        let issuer = TokenIssuer::new(SECRET, None, None);
        let agency = AgencyCode::parse("SEP").ok();
        let token = issuer
            .mint(
                Role::Officer,
                "ana",
                agency.as_ref(),
                Duration::from_secs(60),
                now(),
            )
            .unwrap();
        let id = verifier().verify(&token);
        assert_eq!(
            id,
            Ok(Identity {
                sub: "ana".into(),
                role: Role::Officer,
                agency
            })
        );
    }

    #[test]
    fn expired_and_forged_tokens_are_refused() {
        let issuer = TokenIssuer::new(SECRET, None, None);
        let old = issuer
            .mint(
                Role::Auditor,
                "a",
                None,
                Duration::from_secs(60),
                now() - 3600,
            )
            .unwrap();
        assert_eq!(verifier().verify(&old), Err(TokenError::Expired));
        let forged = TokenIssuer::new(b"another-secret", None, None)
            .mint(Role::Auditor, "a", None, Duration::from_secs(60), now())
            .unwrap();
        assert!(matches!(
            verifier().verify(&forged),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn an_officer_without_agency_is_refused() {
        let token = TokenIssuer::new(SECRET, None, None)
            .mint(Role::Officer, "a", None, Duration::from_secs(60), now())
            .unwrap();
        assert!(matches!(
            verifier().verify(&token),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn issuer_and_audience_are_checked_when_configured() {
        let strict = TokenVerifier::new(
            DecodingKey::from_secret(SECRET),
            Algorithm::HS256,
            Some("idp"),
            Some("licita"),
            (0, 12 * 3600),
        );
        let good = TokenIssuer::new(SECRET, Some("idp".into()), Some("licita".into()))
            .mint(Role::Auditor, "a", None, Duration::from_secs(60), now())
            .unwrap();
        assert!(strict.verify(&good).is_ok());
        let bare = TokenIssuer::new(SECRET, None, None)
            .mint(Role::Auditor, "a", None, Duration::from_secs(60), now())
            .unwrap();
        assert!(matches!(strict.verify(&bare), Err(TokenError::Invalid(_))));
    }
}
