//! Prometheus metrics: requests and latency per route, and the gauges other parts set.

use std::time::Instant;

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::state::AppState;

/// Latency buckets, in seconds: sub-millisecond up to ten seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    /// Auctions open right now (counted when the metrics are read).
    pub open_auctions: IntGauge,
    /// Auction bids by outcome: `accepted`, `replayed`, or the refusal's code.
    pub auction_bids: IntCounterVec,
    /// Requests refused with 429 `rate_limited`, by budget.
    rate_limited: IntCounterVec,
    /// Complaints by status (counted when the metrics are read).
    pub complaints: IntGaugeVec,
    /// From a complaint's filing to its decision, in seconds, by outcome (`rejected`,
    /// `upheld`, `dismissed`): the time to resolution is the last two.
    pub complaint_decision_seconds: HistogramVec,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("licita".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let open_auctions = IntGauge::new("open_auctions", "Auctions open right now")?;
        let auction_bids = IntCounterVec::new(
            Opts::new(
                "auction_bids_total",
                "Auction bids by outcome: accepted, replayed, or the refusal's code",
            ),
            &["outcome"],
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limited_total",
                "Requests refused with 429 rate_limited, by budget: bids, writes or reads",
            ),
            &["budget"],
        )?;
        let complaints =
            IntGaugeVec::new(Opts::new("complaints", "Complaints by status"), &["status"])?;
        // An hour up to about four months.
        let complaint_decision_seconds = HistogramVec::new(
            HistogramOpts::new(
                "complaint_decision_seconds",
                "Time from a complaint's filing to its decision, by outcome",
            )
            .buckets(
                [1.0, 6.0, 24.0, 72.0, 168.0, 336.0, 720.0, 1440.0, 2880.0]
                    .iter()
                    .map(|h| h * 3600.0)
                    .collect(),
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(complaints.clone()))?;
        registry.register(Box::new(complaint_decision_seconds.clone()))?;
        registry.register(Box::new(auction_bids.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(open_auctions.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            open_auctions,
            auction_bids,
            rate_limited,
            complaints,
            complaint_decision_seconds,
        })
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// One more request refused for spending `budget`.
    pub fn rate_limited(&self, budget: &str) {
        self.rate_limited.with_label_values(&[budget]).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> anyhow::Result<String> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8(buffer)?)
    }
}

/// Middleware: counts and times every request under its route pattern (never the raw
/// path, so that ids do not explode the label space).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    if let Some(state) = state {
        // Asked after routing, the request knows which resource it reached: reading the
        // pattern is then a walk down the resource tree by index. Asked before, it would
        // match the path against every route's pattern again.
        let request = response.request();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "(unmatched)".into());
        state.metrics.observe(
            request.method().as_str(),
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}
