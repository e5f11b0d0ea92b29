//! The pure auction rules under load: how many bids one core can check
//! (`Auction::decide`) and check-and-apply (`decide` + `apply`) per second, on auctions of
//! 3, 10 and 50 participants with some bids of history, in both formats.
//!
//! `cargo bench --bench auction_rules` (add `-- decide/` or another filter to run part).
//! Results and what they mean: `load-tests/README.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use licita::domain::auction::{Auction, Decrement, Format, Rules};
use licita::domain::money::Money;

/// Participant counts: a small invitation, a busy open tender, a very large one.
const SIZES: [usize; 3] = [3, 10, 50];
/// Bids each participant has made before the measured one (continuous).
const HISTORY_PER_PARTICIPANT: usize = 10;
/// Seconds between two bids of the history.
const BID_GAP_S: i64 = 1;
/// The least decrement: one centavo, as in the HTTP load scenario.
const DECREMENT: i64 = 1;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn money(centavos: i64) -> Money {
    Money::from_centavos(centavos).unwrap()
}

fn participants(n: usize) -> Vec<(String, Money)> {
    (0..n)
        .map(|i| {
            // RFC-shaped ids, so the participant lookup compares realistic strings.
            let id = format!("PRV{:06}A{:02}", 100_000 + i, i % 100);
            // 1,000,000.00 MXN, and 1,000.00 more for each next participant.
            (id, money(100_000_000 + 100_000 * i as i64))
        })
        .collect()
}

fn rules(format: Format) -> Rules {
    Rules {
        format,
        decrement: Decrement::Amount(money(DECREMENT)),
        must_beat_best: false,
        ceiling: money(200_000_000),
        starts_at: t0(),
    }
}

/// A continuous auction of `n` participants in which each has bid
/// `HISTORY_PER_PARTICIPANT` times (round robin, one bid a second), well before its end.
/// Returns it and the time of the next bid.
fn continuous(n: usize) -> (Auction, DateTime<Utc>) {
    let mut auction = Auction::new(
        rules(Format::Continuous {
            duration_s: 3_600,
            soft_close_s: 120,
            extension_s: 120,
            max_extensions: 10,
        }),
        participants(n),
    );
    let mut now = t0();
    for _ in 0..HISTORY_PER_PARTICIPANT {
        for p in 0..n {
            now += Duration::seconds(BID_GAP_S);
            let id = auction.participants[p].clone();
            let amount = next_amount(&auction, p);
            auction.place(&id, amount, now).unwrap();
        }
    }
    (auction, now + Duration::seconds(BID_GAP_S))
}

/// A rounds auction of `n` participants (`total` rounds, 60 s turns) in its last round,
/// every earlier turn used for one bid. Returns it, the time of a bid in the current turn
/// and whose turn that is.
fn rounds(n: usize, total: u32) -> (Auction, DateTime<Utc>, usize) {
    let turn_s = 60;
    let mut auction = Auction::new(
        rules(Format::Rounds {
            rounds: total,
            turn_s,
        }),
        participants(n),
    );
    let mut now = t0();
    for _ in 0..(total as usize - 1) * n {
        let turn = auction.turn(now).unwrap();
        let id = auction.participants[turn.participant].clone();
        let amount = next_amount(&auction, turn.participant);
        auction
            .place(&id, amount, now + Duration::seconds(1))
            .unwrap();
        now = turn.ends_at;
    }
    let now = now + Duration::seconds(1);
    let turn = auction.turn(now).unwrap();
    (auction, now, turn.participant)
}

/// The participant's own current price minus the least decrement: always valid.
fn next_amount(auction: &Auction, participant: usize) -> Money {
    money(auction.prices()[participant].centavos() - DECREMENT)
}

fn decide(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(1));
    for n in SIZES {
        let (auction, now) = continuous(n);
        // A participant in the middle of the ladder undercutting itself.
        let who = n / 2;
        let id = auction.participants[who].clone();
        let amount = next_amount(&auction, who);
        group.bench_with_input(BenchmarkId::new("continuous", n), &n, |b, _| {
            b.iter(|| black_box(&auction).decide(black_box(&id), black_box(amount), now))
        });
        let (auction, now, who) = rounds(n, 3);
        let id = auction.participants[who].clone();
        let amount = next_amount(&auction, who);
        group.bench_with_input(BenchmarkId::new("rounds", n), &n, |b, _| {
            b.iter(|| black_box(&auction).decide(black_box(&id), black_box(amount), now))
        });
    }
    // The longest rounds auction allowed (20 rounds) in its last round: 950 bids of history.
    let (auction, now, who) = rounds(50, 20);
    let id = auction.participants[who].clone();
    let amount = next_amount(&auction, who);
    group.bench_function("rounds_last_of_20/50", |b| {
        b.iter(|| black_box(&auction).decide(black_box(&id), black_box(amount), now))
    });
    // The cheapest refusal: an amount above the bidder's limit (before any ranking).
    let (auction, now) = continuous(10);
    let id = auction.participants[5].clone();
    let too_high = auction.prices()[5];
    group.bench_function("continuous_refused/10", |b| {
        b.iter(|| black_box(&auction).decide(black_box(&id), black_box(too_high), now))
    });
    group.finish();
}

/// Check and apply: every participant in turn lowers its own price by the decrement, as
/// the engines do for each accepted bid. Each sample starts from a fresh copy of the
/// auction (the copy is not timed), so the history grows only by the sample's bids.
fn decide_and_apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide_apply");
    group.throughput(Throughput::Elements(1));
    for n in SIZES {
        let (template, start) = continuous(n);
        group.bench_with_input(BenchmarkId::new("continuous", n), &n, |b, _| {
            b.iter_custom(|iters| {
                let mut auction = template.clone();
                let ids = auction.participants.clone();
                let mut prices: Vec<i64> = auction.prices().iter().map(|p| p.centavos()).collect();
                // Bids a microsecond apart: all well before the soft close.
                let began = Instant::now();
                for i in 0..iters {
                    let who = (i % n as u64) as usize;
                    prices[who] -= DECREMENT;
                    let now = start + Duration::microseconds(i as i64);
                    black_box(
                        auction
                            .place(&ids[who], Money::from_centavos(prices[who]).unwrap(), now)
                            .unwrap(),
                    );
                }
                began.elapsed()
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = decide, decide_and_apply
}
criterion_main!(benches);
