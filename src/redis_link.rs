//! The connection to Redis, when `REDIS_URL` is set: one multiplexed connection that
//! reconnects by itself, to a single server (`redis://host:port`) or to a Redis Cluster
//! (a comma-separated list of node URLs). It is created lazily, so the service starts (and
//! reports not-ready) while Redis is down.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
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

/// What the connections are opened to.
enum Target {
    Single(redis::Client, ConnectionManagerConfig),
    Cluster(ClusterClient, redis::cluster::ClusterConfig),
}

impl Target {
    /// A new lazy connection: it connects (and spawns its driver task on the runtime of
    /// the caller) on first use, and reconnects by itself.
    fn open(&self) -> anyhow::Result<RedisConnection> {
        Ok(match self {
            Target::Single(client, config) => RedisConnection::Single(
                ConnectionManager::new_lazy_with_config(client.clone(), config.clone())
                    .context("setting up the Redis connection")?,
            ),
            Target::Cluster(client, config) => RedisConnection::Cluster(
                client.get_pending_async_connection_with_config(config.clone()),
            ),
        })
    }
}

#[derive(Clone)]
pub struct RedisLink {
    target: Arc<Target>,
    /// One connection per thread that uses the link: each actix worker (a runtime on one
    /// thread) talks to Redis on a connection whose driver runs on its own thread, so a
    /// command never waits for another thread to be scheduled to write or read it.
    by_thread: Arc<Mutex<HashMap<ThreadId, RedisConnection>>>,
    /// The connection opened at startup (that thread's, and the fallback).
    first: RedisConnection,
    prefix: String,
    /// Where to subscribe: the server, or a cluster's first node (a `PUBLISH` reaches
    /// every node of a cluster).
    subscriber: redis::Client,
}

impl RedisLink {
    /// `url` is one `redis://` URL, or several separated by commas for a cluster.
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let nodes: Vec<&str> = url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        let subscriber = redis::Client::open(nodes.first().copied().unwrap_or(url.trim()))
            .context("REDIS_URL is not a valid Redis URL")?;
        let target = if nodes.len() > 1 {
            let client = ClusterClient::builder(nodes)
                .build()
                .context("REDIS_URL is not a valid list of Redis Cluster nodes")?;
            let config = redis::cluster::ClusterConfig::new()
                .set_connection_timeout(REDIS_TIMEOUT)
                .set_response_timeout(REDIS_TIMEOUT);
            Target::Cluster(client, config)
        } else {
            let client =
                redis::Client::open(url.trim()).context("REDIS_URL is not a valid Redis URL")?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(REDIS_TIMEOUT))
                .set_response_timeout(Some(REDIS_TIMEOUT))
                .set_number_of_retries(2);
            Target::Single(client, config)
        };
        // The first connection now: a setting it refuses is an error at startup.
        let first = target.open()?;
        let by_thread = HashMap::from([(std::thread::current().id(), first.clone())]);
        Ok(Self {
            target: Arc::new(target),
            by_thread: Arc::new(Mutex::new(by_thread)),
            first,
            prefix: prefix.to_owned(),
            subscriber,
        })
    }

    /// A connection of its own for subscribing to channels.
    pub async fn pubsub(&self) -> anyhow::Result<redis::aio::PubSub> {
        tokio::time::timeout(REDIS_TIMEOUT, self.subscriber.get_async_pubsub())
            .await
            .context("connecting to subscribe")?
            .context("connecting to subscribe")
    }

    /// A handle to send commands on (cheap to clone): this thread's connection.
    pub fn connection(&self) -> RedisConnection {
        let mut by_thread = self.by_thread.lock().unwrap_or_else(|p| p.into_inner());
        let thread = std::thread::current().id();
        if let Some(connection) = by_thread.get(&thread) {
            return connection.clone();
        }
        // Opening a lazy connection with settings accepted at startup does not fail; if it
        // ever did, any existing connection still works.
        let connection = match self.target.open() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "opening a Redis connection for this thread failed");
                return self.first.clone();
            }
        };
        by_thread.insert(thread, connection.clone());
        connection
    }

    pub fn is_cluster(&self) -> bool {
        matches!(*self.target, Target::Cluster(..))
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
