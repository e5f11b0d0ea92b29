//! The connection to Redis, when `REDIS_URL` is set: one multiplexed connection that
//! reconnects by itself, to a single server (`redis://host:port`) or to a Redis Cluster
//! (a comma-separated list of node URLs). It is created lazily, so the service starts (and
//! reports not-ready) while Redis is down.

use std::time::Duration;

use anyhow::Context;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

/// Time allowed to open a connection, and for one command to answer.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to a single Redis or to a cluster; cheap to clone.
#[derive(Clone)]
pub enum RedisConnection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            RedisConnection::Single(c) => c.req_packed_command(cmd),
            RedisConnection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            RedisConnection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            RedisConnection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RedisConnection::Single(c) => c.get_db(),
            RedisConnection::Cluster(c) => c.get_db(),
        }
    }
}

#[derive(Clone)]
pub struct RedisLink {
    connection: RedisConnection,
    prefix: String,
}

impl RedisLink {
    /// `url` is one `redis://` URL, or several separated by commas for a cluster.
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let nodes: Vec<&str> = url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        let connection = if nodes.len() > 1 {
            let client = ClusterClient::builder(nodes)
                .build()
                .context("REDIS_URL is not a valid list of Redis Cluster nodes")?;
            let config = redis::cluster::ClusterConfig::new()
                .set_connection_timeout(REDIS_TIMEOUT)
                .set_response_timeout(REDIS_TIMEOUT);
            RedisConnection::Cluster(client.get_pending_async_connection_with_config(config))
        } else {
            let client =
                redis::Client::open(url.trim()).context("REDIS_URL is not a valid Redis URL")?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(REDIS_TIMEOUT))
                .set_response_timeout(Some(REDIS_TIMEOUT))
                .set_number_of_retries(2);
            RedisConnection::Single(
                ConnectionManager::new_lazy_with_config(client, config)
                    .context("setting up the Redis connection")?,
            )
        };
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
        })
    }

    /// A handle to send commands on (cheap to clone).
    pub fn connection(&self) -> RedisConnection {
        self.connection.clone()
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self.connection, RedisConnection::Cluster(_))
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
