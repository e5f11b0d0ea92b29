//! The document store: where document bytes are kept, behind one trait (`object_store`'s
//! `ObjectStore`): a folder under the data directory by default, or an S3-compatible
//! bucket in production (`LICITA_DOCUMENTS=s3://…`).
//!
//! Uploads stream: the body goes to the store part by part (5 MiB at most in memory per
//! upload), hashed on the way. A folder's upload is written to a temporary file and renamed
//! into place when complete; an S3 multipart upload is invisible until completed. Either way
//! a crash mid-upload leaves no object under the document's key, and the document's row is
//! written only after the upload completed, so no half document is ever listed.

use std::ops::Range;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, WriteMultipart};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::settings::{DocumentSettings, DocumentStoreSetting};

/// Bytes a part of a multipart upload holds (S3's least part size).
const PART_BYTES: usize = 5 * 1024 * 1024;

#[derive(Clone)]
pub struct DocumentStore {
    inner: Arc<dyn ObjectStore>,
    prefix: String,
    /// What the store is, for logs: `folder:/path` or `s3://bucket/prefix`.
    pub name: String,
}

impl std::fmt::Debug for DocumentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentStore")
            .field("name", &self.name)
            .finish()
    }
}

impl DocumentStore {
    pub fn open(settings: &DocumentSettings) -> anyhow::Result<Self> {
        match &settings.store {
            DocumentStoreSetting::Folder(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating the document folder {}", dir.display()))?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .with_context(|| format!("opening the document folder {}", dir.display()))?
                    .with_automatic_cleanup(true);
                Ok(Self {
                    inner: Arc::new(store),
                    prefix: String::new(),
                    name: format!("folder:{}", dir.display()),
                })
            }
            DocumentStoreSetting::S3 {
                bucket,
                prefix,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
            } => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    // A store that does not answer is a 503 soon, not a request hanging
                    // through minutes of retries.
                    .with_retry(object_store::RetryConfig {
                        max_retries: 2,
                        retry_timeout: std::time::Duration::from_secs(10),
                        ..object_store::RetryConfig::default()
                    });
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let Some(id) = access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose_secret());
                }
                let store = builder
                    .build()
                    .context("configuring the S3 document store")?;
                Ok(Self {
                    inner: Arc::new(store),
                    prefix: prefix.clone(),
                    name: format!("s3://{bucket}/{prefix}"),
                })
            }
        }
    }

    fn path(&self, key: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{key}", self.prefix))
        }
    }

    /// Starts an upload to `key`, accepting at most `limit` bytes.
    pub async fn upload(&self, key: &str, limit: u64) -> anyhow::Result<Upload> {
        let upload = self
            .inner
            .put_multipart(&self.path(key))
            .await
            .context("starting an upload to the document store")?;
        Ok(Upload {
            writer: WriteMultipart::new_with_chunk_size(upload, PART_BYTES),
            hasher: Sha256::new(),
            size: 0,
            limit,
        })
    }

    /// The size of the object at `key`.
    pub async fn size(&self, key: &str) -> anyhow::Result<u64> {
        Ok(self
            .inner
            .head(&self.path(key))
            .await
            .context("reading a document's size")?
            .size)
    }

    /// The bytes at `key`, all of them or `range`, as a stream.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> anyhow::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        Ok(self
            .inner
            .get_opts(&self.path(key), options)
            .await
            .context("reading a document")?
            .into_stream())
    }

    /// Removes the object at `key` (an upload whose row could not be written).
    pub async fn remove(&self, key: &str) -> anyhow::Result<()> {
        self.inner
            .delete(&self.path(key))
            .await
            .context("removing a document")
    }

    /// Whether the store answers (readiness).
    pub async fn check(&self) -> anyhow::Result<()> {
        use futures_util::StreamExt;
        let mut listing = self.inner.list(Some(&self.path("_probe")));
        match listing.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(anyhow::Error::new(e).context("listing the document store")),
        }
    }
}

/// An upload in progress: bytes go to the store as they come, counted and hashed.
pub struct Upload {
    writer: WriteMultipart,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

/// Why an upload stopped.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the document exceeds {0} bytes")]
    TooLarge(u64),
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// A completed upload: its size and hex SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub size: u64,
    pub sha256: String,
}

impl Upload {
    /// Adds `chunk` (past the limit: refused; the caller aborts, and nothing is kept).
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), UploadError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(UploadError::TooLarge(self.limit));
        }
        self.hasher.update(&chunk);
        // One part in flight at most: an upload holds two parts' worth (10 MiB) at most.
        self.writer
            .wait_for_capacity(1)
            .await
            .context("writing to the document store")?;
        self.writer.put(chunk);
        Ok(())
    }

    /// Completes the upload: the object appears whole under its key. A part that failed
    /// aborts the upload, so no incomplete multipart upload is left behind.
    pub async fn finish(mut self) -> anyhow::Result<Stored> {
        let sha256 = hex::encode(self.hasher.finalize_reset());
        let size = self.size;
        if let Err(e) = self.writer.wait_for_capacity(0).await {
            self.abort().await;
            return Err(anyhow::Error::new(e).context("writing to the document store"));
        }
        self.writer
            .finish()
            .await
            .context("completing an upload to the document store")?;
        Ok(Stored { size, sha256 })
    }

    /// Gives the upload up: nothing appears under its key.
    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(error = %e, "aborting an upload");
        }
    }
}
