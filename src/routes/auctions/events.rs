use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{AuctionStatus, Viewer, auction_id, engine_error, lot_status, view, viewer};
use crate::auth::MaybePrincipal;
use crate::error::{ApiError, Problem};
use crate::persistence::tenders;
use crate::state::AppState;
use crate::streams::{Full, Slot};

/// How often the stream looks at the clock (turn changes, the end) when no bid arrives.
const TICK: Duration = Duration::from_secs(1);
/// A comment line this often keeps proxies from closing an idle stream.
const HEARTBEAT_TICKS: u32 = 15;
/// Events buffered for a slow client before the stream waits for it.
const CLIENT_BUFFER: usize = 64;

/// Live updates of an auction as Server-Sent Events, filtered for the caller's role as
/// `GET /api/v1/auctions/{id}` is. Each `state` event carries the caller's whole view and
/// has the last bid's sequence number as its id; officers and auditors also get one `bid`
/// event per accepted bid. With `Last-Event-ID` (header, or `last_event_id` query
/// parameter for browsers' EventSource), the bids after it are sent first. A `closed`
/// event ends the stream; `: heartbeat` comments keep it alive. A stream ends after
/// `LICITA_SSE_MAX_AGE_S` (the client reconnects and resumes), and each client may hold
/// `LICITA_SSE_MAX_PER_CLIENT` of them at once (429 `too_many_streams` past that).
#[utoipa::path(
    get, path = "/api/v1/auctions/{id}/events", tag = "auctions",
    params(
        ("id" = Uuid, Path, description = "The auction"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this sequence number"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "`text/event-stream`: `state`, `bid` and `closed` events", content_type = "text/event-stream", body = String),
        (status = 401, description = "`invalid_token`, `token_expired`: a token was sent and is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`auction_not_public`, `not_a_participant`, `not_your_agency`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_streams`: this client (token, or address without one) or this instance has its most streams open; `Retry-After` says when to try again", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn auction_events(
    state: web::Data<AppState>,
    MaybePrincipal(identity): MaybePrincipal,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = auction_id(&path)?;
    let snapshot = state.engine.snapshot(id).await.map_err(engine_error)?;
    let tender = tenders::get(&state.db, snapshot.record.tender_id())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("auction {id}")))?;
    let who = viewer(identity.as_ref(), &snapshot, lot_status(&tender, &snapshot))?;
    let resume_after = last_event_id(&req);
    // One place under the caps, held by the stream for as long as it is open.
    let client = crate::limits::client_key(
        identity.as_ref(),
        crate::limits::request_address(&req, &state.settings.rate_limits.trusted_proxies),
    );
    let slot = state.streams.take(&client).map_err(|full| {
        ApiError::TooManyStreams(match full {
            Full::Client(n) => {
                format!("{n} event streams are open for you already: close one, or retry later")
            }
            Full::Total(_) => "this instance has its most event streams open; retry later".into(),
        })
    })?;
    let (tx, mut rx) = mpsc::channel::<web::Bytes>(CLIENT_BUFFER);
    tokio::spawn(stream_events(
        state.into_inner(),
        id,
        who,
        resume_after,
        tx,
        slot,
    ));
    let body = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|o| o.map(Ok::<_, actix_web::Error>))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

fn last_event_id(req: &HttpRequest) -> Option<i64> {
    req.headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("last_event_id").cloned())
        })
        .and_then(|v| v.trim().parse().ok())
}

/// How long a send may wait for a client that does not read (its buffer full) before the
/// stream gives up on it, and gives its place back.
const SEND_WAIT: Duration = Duration::from_secs(15);

/// Sends, unless the client is gone, or stopped reading for [`SEND_WAIT`], or the stream's
/// maximum age comes first: false then, and the stream ends.
async fn send_within(
    tx: &mpsc::Sender<web::Bytes>,
    bytes: web::Bytes,
    ends: tokio::time::Instant,
) -> bool {
    let until = ends.min(tokio::time::Instant::now() + SEND_WAIT);
    matches!(
        tokio::time::timeout_at(until, tx.send(bytes)).await,
        Ok(Ok(()))
    )
}

fn event(name: &str, id: Option<i64>, data: &impl serde::Serialize) -> web::Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    let id = id.map(|i| format!("id: {i}\n")).unwrap_or_default();
    web::Bytes::from(format!("event: {name}\n{id}data: {json}\n\n"))
}

async fn stream_events(
    state: std::sync::Arc<AppState>,
    id: Uuid,
    who: Viewer,
    resume_after: Option<i64>,
    tx: mpsc::Sender<web::Bytes>,
    _slot: Slot,
) {
    let ends = tokio::time::Instant::now() + Duration::from_secs(state.settings.streams.max_age_s);
    let mut changes = state.engine.subscribe(id);
    let mut sent_bids = resume_after.unwrap_or(0).max(0);
    let mut last_fingerprint = None;
    let mut idle_ticks = 0;
    let send = async |bytes: web::Bytes| send_within(&tx, bytes, ends).await;
    if !send(web::Bytes::from_static(b"retry: 2000\n\n")).await {
        return;
    }
    loop {
        let snapshot = match state.engine.snapshot(id).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(auction_id = %id, error = %e, "auction stream stopped");
                return;
            }
        };
        let v = view(&snapshot, &who);
        if let (Viewer::Staff, Some(history)) = (&who, &v.history) {
            for bid in history.iter().filter(|b| b.seq > sent_bids) {
                if !send(event("bid", Some(bid.seq), bid)).await {
                    return;
                }
            }
        }
        sent_bids = sent_bids.max(v.last_seq);
        let fingerprint = (
            v.last_seq,
            v.status,
            v.ends_at,
            v.turn.as_ref().map(|t| t.starts_at),
        );
        if last_fingerprint != Some(fingerprint) {
            last_fingerprint = Some(fingerprint);
            idle_ticks = 0;
            if !send(event("state", Some(v.last_seq), &v)).await {
                return;
            }
        }
        if v.status == AuctionStatus::Closed {
            send(event("closed", Some(v.last_seq), &v)).await;
            return;
        }
        if tokio::time::Instant::now() >= ends {
            // Old enough: the client reconnects (after `retry`) and resumes from its last id.
            send(web::Bytes::from_static(
                b": this stream has reached its maximum age: reconnect with Last-Event-ID\n\n",
            ))
            .await;
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(ends) => {}
            _ = changes.recv() => {}
            _ = tokio::time::sleep(TICK) => {
                idle_ticks += 1;
                if idle_ticks >= HEARTBEAT_TICKS {
                    idle_ticks = 0;
                    if !send(web::Bytes::from_static(b": heartbeat\n\n")).await {
                        return;
                    }
                }
            }
            _ = tx.closed() => return,
        }
    }
}
