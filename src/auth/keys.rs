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
    file_secret(&secret_path(&settings.data_dir), "LICITA_JWT_SECRET")
}

/// A secret kept in a file of the data folder: read it, or create it (mode 0600) the
/// first time, with a warning naming the variable that should hold it in production.
pub fn file_secret(path: &Path, variable: &str) -> anyhow::Result<SecretString> {
    if path.exists() {
        read_secret(path)
    } else {
        create_secret(path, variable)
    }
}

fn create_secret(path: &Path, variable: &str) -> anyhow::Result<SecretString> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut bytes = [0u8; GENERATED_SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let secret = hex::encode(bytes);
    // Written in full under a private name, then linked into place: a reader never sees
    // a partial file, and when two processes race, one link wins and both use it.
    let temp = dir.join(format!(".secret.{}", hex::encode(&bytes[..8])));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temp)
        .with_context(|| format!("creating {}", temp.display()))?;
    file.write_all(secret.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temp.display()))?;
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "{variable} is unset: generated a secret and kept it in the data folder; \
                 set {variable} in production (the same value on every instance)"
            );
            Ok(SecretString::from(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_secret(path),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

fn read_secret(path: &Path) -> anyhow::Result<SecretString> {
    let existing =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let existing = existing.trim().to_owned();
    anyhow::ensure!(
        existing.len() >= MIN_SECRET_BYTES,
        "{} is shorter than {MIN_SECRET_BYTES} bytes",
        path.display()
    );
    Ok(SecretString::from(existing))
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
            // Tokens from an identity provider are accepted only for this service.
            anyhow::ensure!(
                jwt.issuer.is_some() && jwt.audience.is_some(),
                "with a public key (RS256/EdDSA), set LICITA_JWT_ISSUER and LICITA_JWT_AUDIENCE: \
                 both claims are then required in every token"
            );
            let pem = std::fs::read(file).with_context(|| {
                format!("reading LICITA_JWT_PUBLIC_KEY_FILE {}", file.display())
            })?;
            match alg {
                JwtAlgorithm::Rs256 => {
                    let bits = rsa_bits(&pem).with_context(|| {
                        format!(
                            "LICITA_JWT_PUBLIC_KEY_FILE {} is not an RSA public key",
                            file.display()
                        )
                    })?;
                    anyhow::ensure!(
                        bits >= MIN_RSA_BITS,
                        "LICITA_JWT_PUBLIC_KEY_FILE {} is a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits are required",
                        file.display()
                    );
                    (DecodingKey::from_rsa_pem(&pem)?, Algorithm::RS256)
                }
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
        (jwt.leeway_s, jwt.max_ttl_s),
    ))
}

/// The smallest RSA key accepted for RS256 (NIST SP 800-131A).
pub const MIN_RSA_BITS: usize = 2048;

/// The modulus size of an RSA public key in PEM (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC
/// KEY`).
fn rsa_bits(pem: &[u8]) -> anyhow::Result<usize> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    let text = std::str::from_utf8(pem).context("the PEM is not text")?;
    let key = rsa::RsaPublicKey::from_public_key_pem(text)
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(text))
        .context("no RSA public key in the PEM")?;
    Ok(key.size() * 8)
}

/// The issuer for `licita token`: only possible with the local HS256 secret. Unless
/// `create_secret`, a secret that is neither set nor in the data folder is an error, not a
/// new secret the running service would not know.
pub fn issuer(settings: &Settings, create_secret: bool) -> anyhow::Result<TokenIssuer> {
    anyhow::ensure!(
        settings.jwt.algorithm == JwtAlgorithm::Hs256,
        "tokens can be minted only with the local HS256 secret; with {:?} your identity \
         provider issues them",
        settings.jwt.algorithm
    );
    let path = secret_path(&settings.data_dir);
    anyhow::ensure!(
        settings.jwt.secret.is_some() || create_secret || path.exists(),
        "no JWT secret: LICITA_JWT_SECRET is unset and {} does not exist. Run this where \
         the service keeps its data, or point at it with --data-dir (or LICITA_DATA_DIR); \
         --init-secret creates a new secret there (a service already running with another \
         secret will refuse the token)",
        path.display()
    );
    let secret = hs256_secret(settings)?;
    Ok(TokenIssuer::new(
        secret.expose_secret().as_bytes(),
        settings.jwt.issuer.clone(),
        settings.jwt.audience.clone(),
    ))
}

/// The key that seals bids at rest: `LICITA_SEAL_KEY` (64 hex characters), or one kept in
/// `LICITA_DATA_DIR/seal-key`. Every instance of a deployment must share it, and losing
/// it makes the sealed bids unreadable.
pub fn sealer(settings: &Settings) -> anyhow::Result<crate::seal::Sealer> {
    let key = match &settings.seal_key {
        Some(key) => key.clone(),
        None => file_secret(&settings.data_dir.join("seal-key"), "LICITA_SEAL_KEY")?,
    };
    crate::seal::Sealer::from_hex(key.expose_secret()).context("LICITA_SEAL_KEY")
}
