//! Where the verifying key comes from: the configured secret, a secret generated once and
//! kept in the data folder, or an identity provider's PEM public key.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey};
use secrecy::{ExposeSecret, SecretString};

use super::{TokenIssuer, TokenVerifier};
use crate::settings::{JwtAlgorithm, Settings};

/// Bytes of randomness in a generated secret.
const GENERATED_SECRET_BYTES: usize = 32;
/// The shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

pub fn secret_path(data_dir: &Path) -> PathBuf {
    data_dir.join("jwt-secret")
}

/// The HS256 secret: `LICITA_JWT_SECRET`, or the one kept in the data folder, created
/// (mode 0600) with a warning the first time.
pub fn hs256_secret(settings: &Settings) -> anyhow::Result<SecretString> {
    if let Some(secret) = &settings.jwt.secret {
        anyhow::ensure!(
            secret.expose_secret().len() >= MIN_SECRET_BYTES,
            "LICITA_JWT_SECRET must have at least {MIN_SECRET_BYTES} bytes"
        );
        return Ok(secret.clone());
    }
    let path = secret_path(&settings.data_dir);
    match std::fs::read_to_string(&path) {
        Ok(existing) => {
            let existing = existing.trim().to_owned();
            anyhow::ensure!(
                existing.len() >= MIN_SECRET_BYTES,
                "{} is shorter than {MIN_SECRET_BYTES} bytes",
                path.display()
            );
            Ok(SecretString::from(existing))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_secret(&path),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn create_secret(path: &Path) -> anyhow::Result<SecretString> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut bytes = [0u8; GENERATED_SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let secret = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "LICITA_JWT_SECRET is unset: generated a secret and kept it in the data folder; \
                 set LICITA_JWT_SECRET (or a public key) in production"
            );
            Ok(SecretString::from(secret))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok(SecretString::from(existing.trim().to_owned()))
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// The verifier the settings describe.
pub fn verifier(settings: &Settings) -> anyhow::Result<TokenVerifier> {
    let jwt = &settings.jwt;
    let (key, algorithm) = match (jwt.algorithm, &jwt.public_key_file) {
        (JwtAlgorithm::Hs256, _) => (
            DecodingKey::from_secret(hs256_secret(settings)?.expose_secret().as_bytes()),
            Algorithm::HS256,
        ),
        (alg, Some(file)) => {
            let pem = std::fs::read(file).with_context(|| {
                format!("reading LICITA_JWT_PUBLIC_KEY_FILE {}", file.display())
            })?;
            match alg {
                JwtAlgorithm::Rs256 => (DecodingKey::from_rsa_pem(&pem)?, Algorithm::RS256),
                _ => (DecodingKey::from_ed_pem(&pem)?, Algorithm::EdDSA),
            }
        }
        (_, None) => anyhow::bail!("RS256/EdDSA needs LICITA_JWT_PUBLIC_KEY_FILE"),
    };
    Ok(TokenVerifier::new(
        key,
        algorithm,
        jwt.issuer.as_deref(),
        jwt.audience.as_deref(),
        jwt.leeway_s,
    ))
}

/// The issuer for `licita token`: only possible with the local HS256 secret.
pub fn issuer(settings: &Settings) -> anyhow::Result<TokenIssuer> {
    anyhow::ensure!(
        settings.jwt.algorithm == JwtAlgorithm::Hs256,
        "tokens can be minted only with the local HS256 secret; with {:?} your identity \
         provider issues them",
        settings.jwt.algorithm
    );
    let secret = hs256_secret(settings)?;
    Ok(TokenIssuer::new(
        secret.expose_secret().as_bytes(),
        settings.jwt.issuer.clone(),
        settings.jwt.audience.clone(),
    ))
}
