//! Rate limits on every request of the public listener, per client: a verified token's
//! role and subject, or the address the request came from without one (an IPv6 address
//! by its /64, the network one host is given). Bids, other writes and reads have budgets
//! of their own (`LICITA_RATE_BIDS`, `LICITA_RATE_WRITES`, `LICITA_RATE_READS`).
//!
//! Without Redis the budgets are kept in this instance ([`governor`]); with Redis they are
//! one GCRA state per client and budget in Redis (`limits.lua`), shared by every instance
//! on it. If Redis does not answer within 250 ms, the instance applies its own budgets for
//! a few seconds before asking Redis again, rather than refusing everyone (the limits
//! protect the service; a Redis outage is answered where it matters, the bids, with 503)
//! or making every request wait for Redis to fail.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use tokio::sync::{mpsc, oneshot};

use crate::auth::Identity;
use crate::error::ApiError;
use crate::redis_link::RedisLink;
use crate::state::AppState;

/// A budget: so many requests a second, with bursts of up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Budget {
    /// `RATE` (bursts of twice that) or `RATE:BURST`, both whole numbers above 0.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let number = |s: &str| {
            s.trim()
                .parse::<u32>()
                .ok()
                .and_then(NonZeroU32::new)
                .ok_or("use RATE or RATE:BURST (requests a second; whole numbers above 0), or off")
        };
        let (rate, burst) = match raw.split_once(':') {
            Some((rate, burst)) => (number(rate)?, number(burst)?),
            None => {
                let rate = number(raw)?;
                (
                    rate,
                    rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN)),
                )
            }
        };
        if rate.get() > 1_000_000 || burst.get() > 1_000_000 {
            return Err("at most 1000000 a second and 1000000 at once");
        }
        Ok(Self {
            per_second: rate,
            burst,
        })
    }

    /// The time one request uses of the budget, in microseconds.
    fn interval_us(self) -> u64 {
        (1_000_000 / u64::from(self.per_second.get())).max(1)
    }
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.per_second, self.burst)
    }
}

/// What a request spends: the three budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `POST …/bids`: a bid in an auction, or a sealed bid.
    Bid,
    /// Any other request that may change something.
    Write,
    /// `GET`, `HEAD` and `OPTIONS`.
    Read,
}

impl Class {
    pub fn of(method: &Method, path: &str) -> Self {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            Class::Read
        } else if *method == Method::POST && path.trim_end_matches('/').ends_with("/bids") {
            Class::Bid
        } else {
            Class::Write
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Bid => "bids",
            Class::Write => "writes",
            Class::Read => "reads",
        }
    }
}

/// The budgets (`None`: that class is not limited) and whose addresses to see through.
#[derive(Debug, Clone, Default)]
pub struct RateLimitSettings {
    pub bids: Option<Budget>,
    pub writes: Option<Budget>,
    pub reads: Option<Budget>,
    /// Proxies whose `X-Forwarded-For` is believed (`LICITA_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<Cidr>,
}

impl RateLimitSettings {
    fn budget(&self, class: Class) -> Option<Budget> {
        match class {
            Class::Bid => self.bids,
            Class::Write => self.writes,
            Class::Read => self.reads,
        }
    }
}

/// An address, or a network of them (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr.parse::<IpAddr>().ok()?, prefix.parse::<u8>().ok()?),
            None => {
                let addr = raw.parse::<IpAddr>().ok()?;
                (addr, if addr.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then(|| Self {
            network: masked(addr, prefix),
            prefix,
        })
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        addr.is_ipv4() == self.network.is_ipv4() && masked(addr, self.prefix) == self.network
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`) is the IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// The first `prefix` bits of `addr`, the rest zero.
fn masked(addr: IpAddr, prefix: u8) -> IpAddr {
    match canonical(addr) {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4((bits & mask).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6((bits & mask).into())
        }
    }
}

/// The address a request came from: the peer's, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one (a client can write anything at
/// the start of the header, so it is read from the right).
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    let is_trusted = |a: IpAddr| trusted.iter().any(|c| c.contains(a));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut nearest = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        let Some(addr) = forwarded_hop(hop) else {
            // Not an address (`unknown`, a port, garbage): nothing left of it is believed.
            break;
        };
        nearest = canonical(addr);
        if !is_trusted(nearest) {
            break;
        }
    }
    Some(nearest)
}

/// Who a request counts against: a token's role and subject, or an address (an IPv6 one
/// by its /64).
pub fn client_key(identity: Option<&Identity>, address: Option<IpAddr>) -> String {
    match (identity, address) {
        (Some(i), _) => format!("{}:{}", i.role.as_str(), i.sub),
        (None, Some(IpAddr::V4(v4))) => format!("ip:{v4}"),
        (None, Some(v6)) => format!("ip:{}/64", masked(v6, 64)),
        (None, None) => "ip:unknown".into(),
    }
}

/// The address of a request, as [`client_address`] judges it.
/// Every `X-Forwarded-For` line counts, in order: a proxy may add a line of its own
/// rather than extend the client's.
pub fn request_address(req: &actix_web::HttpRequest, trusted: &[Cidr]) -> Option<IpAddr> {
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = forwarded.join(",");
    client_address(
        req.peer_addr().map(|a| a.ip()),
        (!forwarded.is_empty()).then_some(forwarded.as_str()),
        trusted,
    )
}

/// One hop of `X-Forwarded-For`: an address, with or without its port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn forwarded_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(addr) = hop.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok())
}

/// A token the rate-limit check verified, for the extractors to reuse.
#[derive(Debug, Clone)]
pub struct Verified(pub Identity);

/// How long a client must wait before its budget has room again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub class: Class,
    pub retry_after: Duration,
}

/// Budgets kept in this instance, one keyed limiter per class.
struct Local {
    limiters: [Option<DefaultKeyedRateLimiter<String>>; 3],
}

impl Local {
    fn new(settings: &RateLimitSettings) -> Self {
        let limiter = |class| {
            settings.budget(class).map(|b: Budget| {
                DefaultKeyedRateLimiter::keyed(Quota::per_second(b.per_second).allow_burst(b.burst))
            })
        };
        Self {
            limiters: [
                limiter(Class::Bid),
                limiter(Class::Write),
                limiter(Class::Read),
            ],
        }
    }

    fn limiter(&self, class: Class) -> Option<&DefaultKeyedRateLimiter<String>> {
        let index = match class {
            Class::Bid => 0,
            Class::Write => 1,
            Class::Read => 2,
        };
        self.limiters.get(index).and_then(Option::as_ref)
    }

    fn check(&self, class: Class, key: &str) -> Result<(), Duration> {
        let Some(limiter) = self.limiter(class) else {
            return Ok(());
        };
        limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets the clients whose budgets are full again; their state is the default.
    fn forget_idle(&self) -> usize {
        self.limiters
            .iter()
            .flatten()
            .map(|l| {
                l.retain_recent();
                l.shrink_to_fit();
                l.len()
            })
            .sum()
    }
}

const SCRIPT: &str = include_str!("limits.lua");

/// The rate limits of this service: [`Limiter::check`] for each request.
pub struct Limiter {
    settings: RateLimitSettings,
    local: Local,
    shared: Option<Shared>,
}

struct Shared {
    link: RedisLink,
    sha: Arc<str>,
    /// Whether Redis failed a moment ago, and is let be for now.
    rest: Arc<Rest>,
    /// Each worker thread's queue of checks, sent to Redis in batches by a task of its own.
    queues: Mutex<HashMap<ThreadId, mpsc::Sender<Pending>>>,
}

/// One check waiting for its batch.
struct Pending {
    key: String,
    interval_us: u64,
    tolerance_us: u64,
    reply: oneshot::Sender<Result<u64, String>>,
}

/// The most checks one script call judges.
const MAX_BATCH: usize = 256;

/// Until when Redis is not asked, after it failed.
struct Rest {
    /// Milliseconds since `started`.
    until_ms: AtomicU64,
    started: Instant,
}

impl Rest {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn is_resting(&self) -> bool {
        self.now_ms() < self.until_ms.load(Ordering::Relaxed)
    }

    /// Lets Redis be for [`REST`]; true for the caller that started this rest.
    fn start(&self) -> bool {
        let now = self.now_ms();
        let until = now + u64::try_from(REST.as_millis()).unwrap_or(u64::MAX);
        self.until_ms.swap(until, Ordering::Relaxed) <= now
    }
}

/// How long a check waits for Redis's answer before this instance's budgets decide.
const CHECK_WAIT: Duration = Duration::from_millis(250);

/// After Redis fails to answer a check, how long the instance keeps its own budgets
/// before asking Redis again: an outage costs the checks of one 250 ms wait, not all.
const REST: Duration = Duration::from_secs(5);

impl Limiter {
    pub fn new(settings: RateLimitSettings, redis: Option<RedisLink>) -> Arc<Self> {
        Arc::new(Self {
            local: Local::new(&settings),
            shared: redis.map(|link| Shared {
                link,
                sha: hex::encode(sha1_smol::Sha1::from(SCRIPT).digest().bytes()).into(),
                rest: Arc::new(Rest {
                    until_ms: AtomicU64::new(0),
                    started: Instant::now(),
                }),
                queues: Mutex::new(HashMap::new()),
            }),
            settings,
        })
    }

    pub fn settings(&self) -> &RateLimitSettings {
        &self.settings
    }

    /// Spends one request of `key`'s budget for `class`, or says how long to wait.
    pub async fn check(&self, class: Class, key: &str) -> Result<(), Exhausted> {
        let Some(budget) = self.settings.budget(class) else {
            return Ok(());
        };
        let exhausted = |retry_after| Exhausted { class, retry_after };
        if let Some(shared) = &self.shared
            && !shared.rest.is_resting()
        {
            match shared.check(class, budget, key).await {
                Ok(wait) => return wait.map_or(Ok(()), |w| Err(exhausted(w))),
                Err(e) => {
                    if shared.rest.start() {
                        tracing::warn!(
                            error = %format!("{e:#}"),
                            "the shared rate limits did not answer; this instance's own apply for {} s",
                            REST.as_secs()
                        )
                    }
                }
            }
        }
        self.local.check(class, key).map_err(exhausted)
    }

    /// Drops the state of clients that are idle; run now and then.
    pub fn forget_idle(&self) -> usize {
        self.local.forget_idle()
    }
}

impl Shared {
    /// `Some(wait)` when the budget is spent. The check joins this thread's queue: while
    /// one batch is in Redis the next gathers, so that under load one script call judges
    /// many requests (each still in the order it came).
    async fn check(
        &self,
        class: Class,
        budget: Budget,
        key: &str,
    ) -> anyhow::Result<Option<Duration>> {
        // One hash tag for every budget: a batch is one script call, on one node of a
        // cluster.
        let key = format!("{{{}}}:{}:{key}", self.link.key("rl"), class.as_str());
        let interval_us = budget.interval_us();
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            key,
            interval_us,
            tolerance_us: interval_us.saturating_mul(u64::from(budget.burst.get()) - 1),
            reply,
        };
        self.queue()
            .send(pending)
            .await
            .map_err(|_| anyhow::anyhow!("the rate-limit queue of this thread is closed"))?;
        let wait_us = tokio::time::timeout(CHECK_WAIT, answer)
            .await
            .map_err(|_| {
                anyhow::anyhow!("Redis did not judge the rate limit within {CHECK_WAIT:?}")
            })?
            .map_err(|_| anyhow::anyhow!("the rate-limit batch was dropped"))?
            .map_err(|e| anyhow::anyhow!(e))?;
        Ok((wait_us > 0).then(|| Duration::from_micros(wait_us)))
    }

    /// This thread's queue, and its task, started on first use (again if it ended).
    fn queue(&self) -> mpsc::Sender<Pending> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        let thread = std::thread::current().id();
        if let Some(queue) = queues.get(&thread)
            && !queue.is_closed()
        {
            return queue.clone();
        }
        let (queue, pending) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run_batches(
            self.link.clone(),
            self.sha.clone(),
            self.rest.clone(),
            pending,
        ));
        queues.insert(thread, queue.clone());
        queue
    }
}

/// Judges the queued checks in batches of up to [`MAX_BATCH`], one script call each.
async fn run_batches(
    link: RedisLink,
    sha: Arc<str>,
    rest: Arc<Rest>,
    mut queue: mpsc::Receiver<Pending>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Redis failed a moment ago: what queued meanwhile is answered at once, not sent.
        let judged = if rest.is_resting() {
            Err(anyhow::anyhow!("Redis is let be after a failure"))
        } else {
            judge(&link, &sha, &batch).await
        };
        match judged {
            Ok(waits) if waits.len() == batch.len() => {
                for (pending, wait) in batch.drain(..).zip(waits) {
                    let _ = pending.reply.send(Ok(wait));
                }
            }
            other => {
                let why = match other {
                    Err(e) => format!("{e:#}"),
                    Ok(waits) => format!("{} answers for {} checks", waits.len(), batch.len()),
                };
                for pending in batch.drain(..) {
                    let _ = pending.reply.send(Err(why.clone()));
                }
            }
        }
    }
}

/// Runs the script on a batch: EVALSHA, and EVAL where it is not cached yet.
async fn judge(link: &RedisLink, sha: &str, batch: &[Pending]) -> anyhow::Result<Vec<u64>> {
    use anyhow::Context as _;
    let mut conn = link.connection();
    let run = |command: &str, body: &str| {
        let mut cmd = redis::cmd(command);
        cmd.arg(body).arg(batch.len());
        for p in batch {
            cmd.arg(&p.key);
        }
        for p in batch {
            cmd.arg(p.interval_us).arg(p.tolerance_us);
        }
        cmd
    };
    match run("EVALSHA", sha).query_async(&mut conn).await {
        Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
            run("EVAL", SCRIPT).query_async(&mut conn).await
        }
        other => other,
    }
    .context("running the rate-limit script")
}

/// The middleware: classifies the request, finds its client, and answers 429
/// `rate_limited` with `Retry-After` when that client's budget is spent.
pub async fn enforce<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    // The path as the router reads it (escaped unreserved characters decoded): `…/bid%73`
    // is the bids route, and a bid.
    let class = Class::of(req.method(), req.match_info().as_str());
    if state.limits.settings().budget(class).is_none() {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let identity = crate::auth::bearer(req.headers()).and_then(|t| state.tokens.verify(t).ok());
    let address = request_address(req.request(), &state.limits.settings().trusted_proxies);
    let key = client_key(identity.as_ref(), address);
    if let Some(identity) = identity {
        req.extensions_mut().insert(Verified(identity));
    }
    match state.limits.check(class, &key).await {
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Err(exhausted) => {
            tracing::info!(client = %key, class = class.as_str(), "rate limited");
            state.metrics.rate_limited(class.as_str());
            let error = ApiError::RateLimited {
                class: exhausted.class.as_str(),
                retry_after: exhausted.retry_after,
            };
            Ok(req
                .into_response(error.error_response())
                .map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_with_or_without_a_burst() {
        let b = Budget::parse("20").unwrap();
        assert_eq!((b.per_second.get(), b.burst.get()), (20, 40));
        let b = Budget::parse(" 5:100 ").unwrap();
        assert_eq!((b.per_second.get(), b.burst.get()), (5, 100));
        for bad in ["0", "-1", "x", "5:0", "5:", ":5", "2000000"] {
            assert!(Budget::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn requests_fall_in_their_class() {
        assert_eq!(Class::of(&Method::GET, "/api/v1/tenders"), Class::Read);
        assert_eq!(Class::of(&Method::HEAD, "/healthz"), Class::Read);
        assert_eq!(
            Class::of(&Method::POST, "/api/v1/auctions/x/bids"),
            Class::Bid
        );
        assert_eq!(
            Class::of(&Method::POST, "/api/v1/tenders/x/bids/"),
            Class::Bid
        );
        assert_eq!(Class::of(&Method::POST, "/api/v1/tenders"), Class::Write);
        assert_eq!(
            Class::of(&Method::PATCH, "/api/v1/auctions/x/bids"),
            Class::Write
        );
        assert_eq!(Class::of(&Method::DELETE, "/api/v1/x"), Class::Write);
    }

    #[test]
    fn networks_contain_their_addresses_and_no_others() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let one = Cidr::parse("192.0.2.7").unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert_eq!(v6.to_string(), "2001:db8::/32");
        assert_eq!(Cidr::parse("10.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
        for bad in ["10.0.0.0/33", "::/129", "example.com", "10.0.0/8", ""] {
            assert!(Cidr::parse(bad).is_none(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        let peer = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // Straight from the client: the header is whatever the client wrote.
        assert_eq!(
            client_address(peer("203.0.113.9"), Some("1.2.3.4"), &trusted),
            ip("203.0.113.9")
        );
        // Through the proxy: the nearest address it did not add itself.
        assert_eq!(
            client_address(
                peer("10.0.0.2"),
                Some("1.2.3.4, 198.51.100.7, 10.0.0.5"),
                &trusted
            ),
            ip("198.51.100.7")
        );
        // A proxy that sent no header, or one the service can't read: the proxy itself.
        assert_eq!(
            client_address(peer("10.0.0.2"), None, &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(peer("10.0.0.2"), Some("garbage, 10.0.0.3"), &trusted),
            ip("10.0.0.3")
        );
        // Ports are read past, in both forms.
        assert_eq!(
            client_address(peer("10.0.0.2"), Some("198.51.100.7:5678"), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(
                peer("10.0.0.2"),
                Some("[2001:db8::9]:443, 10.0.0.3"),
                &trusted
            ),
            ip("2001:db8::9")
        );
        // Nothing trusted: the peer, always.
        assert_eq!(
            client_address(peer("10.0.0.2"), Some("1.2.3.4"), &[]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn an_ipv6_client_counts_by_its_network_and_a_token_by_its_subject() {
        let a = client_key(None, "2001:db8:1:2:aaaa::1".parse().ok());
        let b = client_key(None, "2001:db8:1:2:bbbb::9".parse().ok());
        let c = client_key(None, "2001:db8:1:3::1".parse().ok());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, "ip:2001:db8:1:2::/64");
        assert_eq!(client_key(None, "192.0.2.1".parse().ok()), "ip:192.0.2.1");
        let identity = Identity {
            sub: "ACM010101AB0".into(),
            role: crate::auth::Role::Supplier,
            agency: None,
        };
        assert_eq!(
            client_key(Some(&identity), "192.0.2.1".parse().ok()),
            "supplier:ACM010101AB0"
        );
    }

    #[test]
    fn a_local_budget_allows_its_burst_then_says_how_long_to_wait() {
        let settings = RateLimitSettings {
            writes: Some(Budget::parse("2:3").unwrap()),
            ..Default::default()
        };
        let local = Local::new(&settings);
        for _ in 0..3 {
            assert!(local.check(Class::Write, "a").is_ok());
        }
        let wait = local.check(Class::Write, "a").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(local.check(Class::Write, "b").is_ok(), "another client");
        assert!(
            local.check(Class::Read, "a").is_ok(),
            "reads are not limited here"
        );
        assert_eq!(local.forget_idle(), 2);
    }
}
