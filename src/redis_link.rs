//! The connection to Redis, when `REDIS_URL` is set: one multiplexed connection that
//! reconnects by itself. It is created lazily, so the service starts (and reports
//! not-ready) while Redis is down.

use std::time::Duration;

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Time allowed to open a connection, and for one command to answer.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct RedisLink {
    manager: ConnectionManager,
    prefix: String,
}

impl RedisLink {
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(2);
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .context("setting up the Redis connection")?;
        Ok(Self {
            manager,
            prefix: prefix.to_owned(),
        })
    }

    /// A handle to send commands on (cheap to clone).
    pub fn connection(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// The key for `name` under this instance's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.connection();
        let pong: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .context("PING")?;
        anyhow::ensure!(pong == "PONG", "unexpected PING answer {pong:?}");
        Ok(())
    }
}
