//! The reverse auction (SPEC §4) as a pure state machine over integer money and a time
//! given by the caller: no I/O, no clock of its own. The Redis and in-process engines both
//! apply these rules; they decide only where the state lives.
//!
//! Two formats:
//! - `continuous` (reverse English): bid any time until the end; a bid accepted in the last
//!   `soft_close_s` seconds moves the end to `now + extension_s`, at most `max_extensions`
//!   times.
//! - `rounds` (subsequent-discount offers): N rounds; in each, every participant has one
//!   turn of `turn_s` seconds, in order from the highest current price to the lowest (as the
//!   prices stand when the round starts).

use super::code::Code;
use chrono::{DateTime, Duration, Utc};

use super::money::Money;

/// Basis points in 100 %.
const BASIS_POINTS: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Continuous {
        duration_s: i64,
        soft_close_s: i64,
        extension_s: i64,
        max_extensions: u32,
    },
    Rounds {
        rounds: u32,
        turn_s: i64,
    },
}

/// The least a bid must lower the bidder's own price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decrement {
    Amount(Money),
    /// Basis points of the bidder's own current price (250 = 2.5 %), rounded up to the centavo.
    Percent(u32),
}

impl Decrement {
    /// The highest price a bidder at `current` may offer.
    pub fn limit(self, current: Money) -> i64 {
        let step = match self {
            Decrement::Amount(m) => m.centavos(),
            Decrement::Percent(bp) => {
                let num = i128::from(current.centavos()) * i128::from(bp);
                i64::try_from((num + i128::from(BASIS_POINTS) - 1) / i128::from(BASIS_POINTS))
                    .unwrap_or(i64::MAX)
            }
        };
        current.centavos().saturating_sub(step.max(1))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub format: Format,
    pub decrement: Decrement,
    pub must_beat_best: bool,
    /// The reference value (or the framework price): no bid above it.
    pub ceiling: Money,
    pub starts_at: DateTime<Utc>,
}

/// Why a bid is refused; each has the API's stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotOpen,
    Closed,
    NotYourTurn,
    NotAParticipant,
    DecrementTooSmall {
        limit: i64,
    },
    AboveCeiling {
        ceiling: i64,
    },
    /// `best` is the price to beat; `None` where the auction's visibility hides it.
    MustBeatBest {
        best: Option<i64>,
    },
    /// The auction is paused: its tender is suspended by an admitted complaint.
    Suspended,
}

impl Refusal {
    pub fn code(self) -> Code {
        match self {
            Refusal::NotOpen => Code::AuctionNotOpen,
            Refusal::Closed => Code::AuctionClosed,
            Refusal::NotYourTurn => Code::NotYourTurn,
            Refusal::NotAParticipant => Code::NotAParticipant,
            Refusal::DecrementTooSmall { .. } => Code::DecrementTooSmall,
            Refusal::AboveCeiling { .. } => Code::AboveCeiling,
            Refusal::MustBeatBest { .. } => Code::MustBeatBest,
            Refusal::Suspended => Code::TenderSuspended,
        }
    }

    /// The refusal as a bidder may be told it: the best price only where the auction's
    /// visibility shows it.
    pub fn as_seen(self, shows_best: bool) -> Self {
        match self {
            Refusal::MustBeatBest { .. } if !shows_best => Refusal::MustBeatBest { best: None },
            other => other,
        }
    }
}

/// An accepted bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub participant: usize,
    pub amount: Money,
    pub at: DateTime<Utc>,
    /// 1 = best.
    pub rank: usize,
    pub best: Money,
    pub ends_at: DateTime<Utc>,
    /// Whether this bid moved the end (soft close).
    pub extended: bool,
}

/// One auction's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auction {
    pub rules: Rules,
    /// Participants' ids (RFCs), in the order given.
    pub participants: Vec<String>,
    /// Each participant's sealed total: its starting price.
    pub start_prices: Vec<Money>,
    /// Accepted bids, in order.
    pub bids: Vec<Accepted>,
    pub extensions: u32,
    pub ends_at: DateTime<Utc>,
    /// Each participant's current price and when it was given (kept as bids apply).
    current: Vec<Money>,
    priced_at: Vec<DateTime<Utc>>,
    /// Rounds: the latest round in which a bid was applied, and the prices as it began
    /// (which set its turn order), so a bid is checked without walking the history.
    round_open: Option<(i64, Vec<Money>)>,
    /// Since when the auction is paused (its tender suspended): its clock stands still
    /// there, and no bid is accepted, until [`Auction::resume`].
    pub paused: Option<DateTime<Utc>>,
}

impl Auction {
    pub fn new(rules: Rules, participants: Vec<(String, Money)>) -> Self {
        let ends_at = scheduled_end(&rules, participants.len());
        let (ids, prices): (Vec<String>, Vec<Money>) = participants.into_iter().unzip();
        let sealed_at = rules.starts_at - Duration::seconds(1);
        Self {
            priced_at: vec![sealed_at; ids.len()],
            current: prices.clone(),
            rules,
            participants: ids,
            start_prices: prices,
            bids: Vec::new(),
            extensions: 0,
            ends_at,
            round_open: None,
            paused: None,
        }
    }

    /// Pauses the auction at `at` (its tender is suspended): from then its clock stands
    /// still — no bid is accepted, it does not end, a turn does not pass. Pausing a paused
    /// auction changes nothing.
    pub fn pause(&mut self, at: DateTime<Utc>) {
        self.paused.get_or_insert(at);
    }

    /// Resumes a paused auction at `at`, keeping the time it had left: everything from the
    /// pause on moves forward by the part of the pause after the start — the start itself
    /// (when it was still to come, or was passed), the end and the turns, and the times of
    /// the bids before the pause, so that the rules (soft close, the turn order of a round)
    /// read them as before. Returns how far it moved (zero for a pause that ended before
    /// the start or began once it had ended, or for an auction not paused).
    pub fn resume(&mut self, at: DateTime<Utc>) -> Duration {
        let Some(from) = self.paused.take() else {
            return Duration::zero();
        };
        if from >= self.ends_at {
            return Duration::zero();
        }
        let shift = (at - from.max(self.rules.starts_at)).max(Duration::zero());
        if shift > Duration::zero() {
            self.rules.starts_at += shift;
            self.ends_at += shift;
            for bid in &mut self.bids {
                bid.at += shift;
                bid.ends_at += shift;
            }
            for t in &mut self.priced_at {
                *t += shift;
            }
        }
        shift
    }

    /// The auction's own time at `now`: `now`, or the moment it was paused.
    fn clock(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.paused.map_or(now, |p| now.min(p))
    }

    /// Each participant's current price (its last accepted bid, or its sealed total).
    pub fn prices(&self) -> Vec<Money> {
        self.current.clone()
    }

    /// When each participant's current price was given (a sealed total: a second before
    /// the start).
    pub fn priced_at(&self) -> &[DateTime<Utc>] {
        &self.priced_at
    }

    /// In rounds, while open: the round under way (0-based) and the prices as it began,
    /// which set its turn order.
    pub fn round_start_prices(&self, now: DateTime<Utc>) -> Option<(i64, Vec<Money>)> {
        let now = self.clock(now);
        let Format::Rounds { turn_s, .. } = self.rules.format else {
            return None;
        };
        let n = self.participants.len() as i64;
        if !self.is_open(now) || n == 0 || turn_s <= 0 {
            return None;
        }
        let round = (now - self.rules.starts_at).num_seconds() / turn_s / n;
        let round_start = self.rules.starts_at + Duration::seconds(round * n * turn_s);
        Some((round, self.state_before(round_start).0))
    }

    pub fn participant(&self, id: &str) -> Option<usize> {
        self.participants.iter().position(|p| p == id)
    }

    /// Prices and the times they were given, counting only bids made before `before`.
    fn state_before(&self, before: DateTime<Utc>) -> (Vec<Money>, Vec<DateTime<Utc>>) {
        let mut prices = self.start_prices.clone();
        let mut priced_at = vec![self.rules.starts_at - Duration::seconds(1); prices.len()];
        for bid in self.bids.iter().take_while(|b| b.at < before) {
            if let (Some(p), Some(t)) = (
                prices.get_mut(bid.participant),
                priced_at.get_mut(bid.participant),
            ) {
                *p = bid.amount;
                *t = bid.at;
            }
        }
        (prices, priced_at)
    }

    /// Participants from the best price down: lowest price first, the earlier price
    /// winning a tie (a sealed total counts as given at the start, and among sealed totals
    /// the order given wins).
    pub fn ladder(&self) -> Vec<usize> {
        ladder(&self.current, &self.priced_at)
    }

    pub fn rank_of(&self, participant: usize) -> usize {
        rank_in(&self.ladder(), participant)
    }

    pub fn best(&self) -> Option<Money> {
        self.current.iter().min().copied()
    }

    /// Whether its end has passed (a paused auction's clock stands still).
    pub fn is_closed(&self, now: DateTime<Utc>) -> bool {
        self.clock(now) >= self.ends_at
    }

    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.clock(now) >= self.rules.starts_at && !self.is_closed(now)
    }

    /// Whose turn it is at `now` (rounds), and when that turn started and ends.
    pub fn turn(&self, now: DateTime<Utc>) -> Option<Turn> {
        let now = self.clock(now);
        let Format::Rounds { turn_s, .. } = self.rules.format else {
            return None;
        };
        let n = self.participants.len() as i64;
        if !self.is_open(now) || n == 0 || turn_s <= 0 {
            return None;
        }
        let index = (now - self.rules.starts_at).num_seconds() / turn_s;
        let round = index / n;
        let slot = usize::try_from(index % n).ok()?;
        let round_start = self.rules.starts_at + Duration::seconds(round * n * turn_s);
        // Highest price first, as the prices stood when the round started.
        let (prices, _) = self.state_before(round_start);
        let mut order: Vec<usize> = (0..self.participants.len()).collect();
        order.sort_by(|a, b| prices.get(*b).cmp(&prices.get(*a)).then(a.cmp(b)));
        let starts_at = self.rules.starts_at + Duration::seconds(index * turn_s);
        order.get(slot).map(|p| Turn {
            participant: *p,
            round: u32::try_from(round + 1).unwrap_or(u32::MAX),
            starts_at,
            ends_at: starts_at + Duration::seconds(turn_s),
        })
    }

    /// What `viewer` may know at `now`: its own current price, and everyone else's as
    /// revealed (in rounds a bid is revealed when its turn ends; in a continuous auction at
    /// once). Returns its rank and the best price under that view.
    pub fn view_of(&self, viewer: usize, now: DateTime<Utc>) -> (usize, Money) {
        let now = self.clock(now);
        let (mut prices, mut priced_at) = match self.turn(now) {
            Some(turn) => self.state_before(turn.starts_at),
            None => (self.current.clone(), self.priced_at.clone()),
        };
        if let (Some(p), Some(t), Some(own), Some(own_at)) = (
            prices.get_mut(viewer),
            priced_at.get_mut(viewer),
            self.current.get(viewer),
            self.priced_at.get(viewer),
        ) {
            *p = *own;
            *t = *own_at;
        }
        let best = prices.iter().min().copied().unwrap_or_default();
        (rank_in(&ladder(&prices, &priced_at), viewer), best)
    }

    /// The highest amount `participant` could bid at `now` and have accepted: at most its
    /// own price minus the least decrement, the ceiling and (when it must beat the best)
    /// one centavo under the best price. `None` when no bid of its own would be accepted
    /// now (not open, closed, not its turn, nothing left to lower), or when the amount
    /// would reveal a best price that `best_visible` says the bidder may not see.
    pub fn max_next_bid(
        &self,
        participant: usize,
        now: DateTime<Utc>,
        best_visible: bool,
    ) -> Option<Money> {
        let id = self.participants.get(participant)?;
        let own = self.current.get(participant)?;
        let mut max = self
            .rules
            .decrement
            .limit(*own)
            .min(self.rules.ceiling.centavos());
        if self.rules.must_beat_best {
            // Whether the best price is below its own limit would itself say something
            // about a hidden best price: nothing is stated then.
            if !best_visible {
                return None;
            }
            if let Some(best) = self.best() {
                max = max.min(best.centavos() - 1);
            }
        }
        let amount = Money::from_centavos(max)
            .ok()
            .filter(|m| *m > Money::ZERO)?;
        self.decide(id, amount, now).ok().map(|a| a.amount)
    }

    /// Checks one bid at `now` without changing anything: the bid as it would be accepted.
    pub fn decide(
        &self,
        participant_id: &str,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<Accepted, Refusal> {
        let participant = self
            .participant(participant_id)
            .ok_or(Refusal::NotAParticipant)?;
        if self.paused.is_some() {
            return Err(Refusal::Suspended);
        }
        if now < self.rules.starts_at {
            return Err(Refusal::NotOpen);
        }
        if self.is_closed(now) {
            return Err(Refusal::Closed);
        }
        if let Format::Rounds { .. } = self.rules.format
            && !self.holds_turn(participant, now)
        {
            return Err(Refusal::NotYourTurn);
        }
        if amount > self.rules.ceiling {
            return Err(Refusal::AboveCeiling {
                ceiling: self.rules.ceiling.centavos(),
            });
        }
        let own = self
            .current
            .get(participant)
            .copied()
            .ok_or(Refusal::NotAParticipant)?;
        let limit = self.rules.decrement.limit(own);
        if amount.centavos() > limit {
            return Err(Refusal::DecrementTooSmall { limit });
        }
        let best = self.best().unwrap_or(amount);
        if self.rules.must_beat_best && amount >= best {
            return Err(Refusal::MustBeatBest {
                best: Some(best.centavos()),
            });
        }
        let mut ends_at = self.ends_at;
        if let Format::Continuous {
            soft_close_s,
            extension_s,
            max_extensions,
            ..
        } = self.rules.format
            && self.ends_at - now <= Duration::seconds(soft_close_s)
            && self.extensions < max_extensions
        {
            ends_at = ends_at.max(now + Duration::seconds(extension_s));
        }
        // Its place on the ladder after the bid, as `ladder` orders it (price, then the
        // time it was given, then position), counted without copying or sorting.
        let ahead = self
            .current
            .iter()
            .zip(&self.priced_at)
            .enumerate()
            .filter(|&(p, (price, at))| {
                p != participant && (*price, *at, p) < (amount, now, participant)
            })
            .count();
        Ok(Accepted {
            participant,
            amount,
            at: now,
            rank: ahead + 1,
            best: amount.min(best),
            extended: ends_at != self.ends_at,
            ends_at,
        })
    }

    /// Applies a bid that [`Auction::decide`] accepted (or one read back from storage).
    pub fn apply(&mut self, accepted: Accepted) {
        if let Some(round) = self.round_index(accepted.at)
            && self.round_open.as_ref().is_none_or(|(r, _)| *r != round)
        {
            // Every bid applied so far came before this round began.
            self.round_open = Some((round, self.current.clone()));
        }
        if let (Some(price), Some(at)) = (
            self.current.get_mut(accepted.participant),
            self.priced_at.get_mut(accepted.participant),
        ) {
            *price = accepted.amount;
            *at = accepted.at;
        }
        if accepted.ends_at > self.ends_at {
            self.ends_at = accepted.ends_at;
            self.extensions += 1;
        }
        self.bids.push(accepted);
    }

    /// Checks and applies one bid at `now`; on refusal nothing changes.
    pub fn place(
        &mut self,
        participant_id: &str,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<Accepted, Refusal> {
        let accepted = self.decide(participant_id, amount, now)?;
        self.apply(accepted.clone());
        Ok(accepted)
    }

    /// Rounds: the round (0-based) under way at `at`, from the start on.
    fn round_index(&self, at: DateTime<Utc>) -> Option<i64> {
        let Format::Rounds { turn_s, .. } = self.rules.format else {
            return None;
        };
        let n = self.participants.len() as i64;
        if n == 0 || turn_s <= 0 || at < self.rules.starts_at {
            return None;
        }
        Some((at - self.rules.starts_at).num_seconds() / turn_s / n)
    }

    /// Rounds, while open: whether `now` is `participant`'s turn — what [`Auction::turn`]
    /// says, without copying the prices or sorting them.
    fn holds_turn(&self, participant: usize, now: DateTime<Utc>) -> bool {
        let Format::Rounds { turn_s, .. } = self.rules.format else {
            return false;
        };
        let (Some(round), true) = (self.round_index(now), self.is_open(now)) else {
            return false;
        };
        let prices = match &self.round_open {
            Some((r, prices)) if *r == round => prices,
            // No bid yet in this round: every bid came before it began.
            Some((r, _)) if *r < round => &self.current,
            None => &self.current,
            // A time before the latest bid's round: take the long way.
            Some(_) => return self.turn(now).map(|t| t.participant) == Some(participant),
        };
        let n = self.participants.len() as i64;
        let slot = (now - self.rules.starts_at).num_seconds() / turn_s % n;
        // Turns go from the highest price down, the earlier position first on a tie.
        let Some(&mine) = prices.get(participant) else {
            return false;
        };
        let ahead = prices
            .iter()
            .enumerate()
            .filter(|&(q, price)| *price > mine || (*price == mine && q < participant))
            .count();
        ahead as i64 == slot
    }
}

/// Whose turn it is in a rounds auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    pub participant: usize,
    /// 1-based.
    pub round: u32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The end before any extension.
pub fn scheduled_end(rules: &Rules, participants: usize) -> DateTime<Utc> {
    match rules.format {
        Format::Continuous { duration_s, .. } => rules.starts_at + Duration::seconds(duration_s),
        Format::Rounds { rounds, turn_s } => {
            rules.starts_at + Duration::seconds(turn_s * i64::from(rounds) * participants as i64)
        }
    }
}

fn ladder(prices: &[Money], priced_at: &[DateTime<Utc>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..prices.len()).collect();
    order.sort_by(|a, b| {
        prices
            .get(*a)
            .cmp(&prices.get(*b))
            .then(priced_at.get(*a).cmp(&priced_at.get(*b)))
            .then(a.cmp(b))
    });
    order
}

fn rank_in(ladder: &[usize], participant: usize) -> usize {
    ladder
        .iter()
        .position(|p| *p == participant)
        .map_or(0, |r| r + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn m(c: i64) -> Money {
        Money::from_centavos(c).unwrap()
    }

    fn continuous(must_beat_best: bool) -> Auction {
        Auction::new(
            Rules {
                format: Format::Continuous {
                    duration_s: 600,
                    soft_close_s: 60,
                    extension_s: 120,
                    max_extensions: 2,
                },
                decrement: Decrement::Amount(m(100)),
                must_beat_best,
                ceiling: m(100_000),
                starts_at: t(0),
            },
            vec![
                ("A".into(), m(90_000)),
                ("B".into(), m(95_000)),
                ("C".into(), m(99_000)),
            ],
        )
    }

    #[test]
    fn each_refusal_has_its_code() {
        let mut a = continuous(true);
        assert_eq!(
            a.place("Z", m(1), t(10)).map_err(Refusal::code),
            Err(Code::NotAParticipant)
        );
        assert_eq!(
            a.place("A", m(1), t(-1)).map_err(Refusal::code),
            Err(Code::AuctionNotOpen)
        );
        assert_eq!(
            a.place("A", m(89_901), t(10)).map_err(Refusal::code),
            Err(Code::DecrementTooSmall)
        );
        assert_eq!(
            a.place("B", m(90_000), t(10)).map_err(Refusal::code),
            Err(Code::MustBeatBest)
        );
        assert_eq!(
            a.place("A", m(1), t(600)).map_err(Refusal::code),
            Err(Code::AuctionClosed)
        );
        let mut high = continuous(false);
        high.rules.ceiling = m(80_000);
        assert_eq!(
            high.place("A", m(85_000), t(10)).map_err(Refusal::code),
            Err(Code::AboveCeiling)
        );
        assert_eq!(a.bids.len(), 0, "refusals change nothing");
    }

    #[test]
    fn the_max_next_bid_is_always_accepted_and_never_states_a_hidden_best() {
        // A at 90,000, B at 95,000, C at 99,000; the best is A's.
        let a = continuous(true);
        // B must beat 90,000: 89,999.99 is the most it may bid, though its own limit is
        // 94,999.
        assert_eq!(a.max_next_bid(1, t(10), true), Some(m(89_999)));
        assert!(a.decide("B", m(89_999), t(10)).is_ok());
        assert_eq!(
            a.decide("B", m(90_000), t(10)).map_err(Refusal::code),
            Err(Code::MustBeatBest)
        );
        // A holds the best: its own decrement is the limit.
        assert_eq!(a.max_next_bid(0, t(10), true), Some(m(89_900)));
        // Hidden best: nothing stated.
        assert_eq!(a.max_next_bid(1, t(10), false), None);
        assert_eq!(a.max_next_bid(0, t(10), false), None);
        // Without must_beat_best the own decrement (and the ceiling) decide.
        let free = continuous(false);
        assert_eq!(free.max_next_bid(2, t(10), false), Some(m(98_900)));
        let mut low = continuous(false);
        low.rules.ceiling = m(97_000);
        assert_eq!(low.max_next_bid(2, t(10), false), Some(m(97_000)));
        // Nothing is accepted before the start or after the end.
        assert_eq!(free.max_next_bid(0, t(-1), true), None);
        assert_eq!(free.max_next_bid(0, t(600), true), None);
        assert_eq!(free.max_next_bid(9, t(10), true), None);
    }

    #[test]
    fn refusals_as_seen_hide_a_best_price_the_visibility_hides() {
        let refusal = Refusal::MustBeatBest { best: Some(9) };
        assert_eq!(refusal.as_seen(true), refusal);
        assert_eq!(refusal.as_seen(false), Refusal::MustBeatBest { best: None });
        let ceiling = Refusal::AboveCeiling { ceiling: 5 };
        assert_eq!(ceiling.as_seen(false), ceiling);
    }

    #[test]
    fn ranks_follow_prices_and_the_earlier_price_wins_a_tie() {
        let mut a = continuous(false);
        let first = a.place("B", m(89_000), t(10)).unwrap();
        assert_eq!((first.rank, first.best), (1, m(89_000)));
        let tie = a.place("C", m(89_000), t(20)).unwrap();
        assert_eq!(tie.rank, 2, "B priced 89,000.00 first");
        assert_eq!(a.ladder(), vec![1, 2, 0]);
    }

    #[test]
    fn soft_close_extends_a_limited_number_of_times() {
        let mut a = continuous(false);
        assert_eq!(
            a.place("A", m(89_000), t(500)).unwrap().ends_at,
            t(600),
            "not in the last minute"
        );
        assert_eq!(a.place("A", m(88_000), t(550)).unwrap().ends_at, t(670));
        assert_eq!(a.place("A", m(87_000), t(660)).unwrap().ends_at, t(780));
        assert_eq!(
            a.place("A", m(86_000), t(770)).unwrap().ends_at,
            t(780),
            "no third extension"
        );
        assert!(a.place("A", m(85_000), t(780)).is_err());
    }

    #[test]
    fn percent_decrements_round_up_to_the_centavo() {
        assert_eq!(Decrement::Percent(250).limit(m(10_001)), 10_001 - 251);
        assert_eq!(
            Decrement::Percent(0).limit(m(500)),
            499,
            "at least one centavo"
        );
    }

    #[test]
    fn rounds_give_turns_from_the_highest_price_down() {
        let mut a = Auction::new(
            Rules {
                format: Format::Rounds {
                    rounds: 2,
                    turn_s: 60,
                },
                decrement: Decrement::Amount(m(100)),
                must_beat_best: false,
                ceiling: m(100_000),
                starts_at: t(0),
            },
            vec![
                ("A".into(), m(90_000)),
                ("B".into(), m(95_000)),
                ("C".into(), m(99_000)),
            ],
        );
        assert_eq!(a.ends_at, t(360));
        assert_eq!(
            a.turn(t(0)).map(|t| t.participant),
            Some(2),
            "C, the highest, goes first"
        );
        assert_eq!(
            a.place("A", m(80_000), t(10)).map_err(Refusal::code),
            Err(Code::NotYourTurn)
        );
        a.place("C", m(85_000), t(10)).unwrap();
        assert_eq!(a.turn(t(60)).map(|t| t.participant), Some(1));
        assert_eq!(a.turn(t(120)).map(|t| t.participant), Some(0));
        // Round two: B (95,000) highest, then A (90,000), then C (85,000).
        assert_eq!(
            a.turn(t(180)).map(|t| (t.participant, t.round, t.ends_at)),
            Some((1, 2, t(240)))
        );
        assert_eq!(a.turn(t(300)).map(|t| t.participant), Some(2));
        assert_eq!(a.turn(t(360)), None);
    }

    #[test]
    fn a_paused_auction_stands_still_and_resumes_with_the_time_it_had_left() {
        let mut a = continuous(false);
        a.place("C", m(98_000), t(100)).unwrap();
        a.pause(t(500));
        // Paused: every bid refused, its end passes and it is not closed, the clock held.
        assert_eq!(
            a.place("B", m(94_000), t(510)).map_err(Refusal::code),
            Err(Code::TenderSuspended)
        );
        assert_eq!(
            a.place("Z", m(1), t(510)).map_err(Refusal::code),
            Err(Code::NotAParticipant),
            "an outsider is told it is no participant, paused or not"
        );
        assert!(!a.is_closed(t(5_000)));
        assert!(a.is_open(t(5_000)));
        assert_eq!(a.max_next_bid(1, t(510), true), None);
        a.pause(t(700));
        assert_eq!(a.paused, Some(t(500)), "a second pause changes nothing");
        // Resumed at 2,000 s: the 100 s it had left, and its earlier bid moved with it.
        assert_eq!(a.resume(t(2_000)), Duration::seconds(1_500));
        assert_eq!(a.ends_at, t(2_100));
        assert_eq!(a.rules.starts_at, t(1_500));
        assert_eq!(a.bids[0].at, t(1_600));
        assert_eq!(
            a.resume(t(3_000)),
            Duration::zero(),
            "not paused: nothing moves"
        );
        // In its last 60 s again: a bid extends it as it would have at 560 s.
        let late = a.place("B", m(94_000), t(2_060)).unwrap();
        assert!(late.extended);
        assert_eq!(late.ends_at, t(2_180));
        assert!(a.is_closed(t(2_180)));
    }

    #[test]
    fn a_pause_before_the_start_moves_the_start_only_by_what_it_overlaps() {
        let mut a = continuous(false);
        a.rules.starts_at = t(1_000);
        a.ends_at = t(1_600);
        a.pause(t(0));
        assert_eq!(a.resume(t(400)), Duration::zero(), "over before the start");
        assert_eq!((a.rules.starts_at, a.ends_at), (t(1_000), t(1_600)));
        a.pause(t(1_600));
        assert_eq!(
            a.resume(t(1_700)),
            Duration::zero(),
            "paused once it had ended"
        );
        a.pause(t(900));
        assert_eq!(
            a.resume(t(1_300)),
            Duration::seconds(300),
            "it starts at the resumption, with its whole duration"
        );
        assert_eq!((a.rules.starts_at, a.ends_at), (t(1_300), t(1_900)));
    }

    #[test]
    fn a_paused_round_keeps_its_turn_and_the_order_it_began_with() {
        let mut a = Auction::new(
            Rules {
                format: Format::Rounds {
                    rounds: 2,
                    turn_s: 60,
                },
                decrement: Decrement::Amount(m(100)),
                must_beat_best: false,
                ceiling: m(100_000),
                starts_at: t(0),
            },
            vec![
                ("A".into(), m(90_000)),
                ("B".into(), m(95_000)),
                ("C".into(), m(99_000)),
            ],
        );
        // Round one: C, then B (who bids under A), then A; paused 20 s into A's turn.
        a.place("C", m(85_000), t(10)).unwrap();
        a.place("B", m(80_000), t(70)).unwrap();
        a.pause(t(140));
        let held = a.turn(t(9_999)).unwrap();
        assert_eq!((held.participant, held.ends_at), (0, t(180)));
        a.resume(t(1_140));
        let turn = a.turn(t(1_140)).unwrap();
        assert_eq!(
            (turn.participant, turn.round, turn.ends_at),
            (0, 1, t(1_180)),
            "A's turn, with its 40 s left"
        );
        a.place("A", m(79_000), t(1_150)).unwrap();
        // Round two goes from the highest as it began: C (85,000), B (80,000), A (79,000).
        assert_eq!(a.turn(t(1_180)).map(|t| t.participant), Some(2));
        assert_eq!(a.turn(t(1_240)).map(|t| t.participant), Some(1));
        assert_eq!(a.ends_at, t(1_360));
        // The same bids and pause applied to a fresh auction give the same state.
        let mut again = Auction::new(
            Rules {
                starts_at: t(0),
                ..a.rules.clone()
            },
            a.participants
                .iter()
                .cloned()
                .zip(a.start_prices.clone())
                .collect(),
        );
        again.place("C", m(85_000), t(10)).unwrap();
        again.place("B", m(80_000), t(70)).unwrap();
        again.pause(t(140));
        again.resume(t(1_140));
        again.place("A", m(79_000), t(1_150)).unwrap();
        assert_eq!(again, a);
    }

    #[test]
    fn an_extension_never_moves_the_end_back() {
        let mut a = continuous(false);
        a.rules.format = Format::Continuous {
            duration_s: 600,
            soft_close_s: 120,
            extension_s: 30,
            max_extensions: 5,
        };
        let bid = a.place("A", m(89_000), t(500)).unwrap();
        assert_eq!((bid.ends_at, bid.extended), (t(600), false));
        let late = a.place("A", m(88_000), t(590)).unwrap();
        assert_eq!((late.ends_at, late.extended), (t(620), true));
        assert_eq!(a.extensions, 1);
    }

    #[test]
    fn deciding_changes_nothing_and_replaying_rebuilds_the_state() {
        let mut a = continuous(false);
        let before = a.clone();
        let decided = a.decide("B", m(80_000), t(30)).unwrap();
        assert_eq!(a, before);
        a.apply(decided);
        a.place("C", m(79_000), t(590)).unwrap();
        let mut again = before.clone();
        for bid in a.bids.clone() {
            again.apply(bid);
        }
        assert_eq!(again, a);
    }

    #[test]
    fn in_rounds_a_bid_is_revealed_when_its_turn_ends() {
        let mut a = Auction::new(
            Rules {
                format: Format::Rounds {
                    rounds: 1,
                    turn_s: 60,
                },
                decrement: Decrement::Amount(m(100)),
                must_beat_best: false,
                ceiling: m(100_000),
                starts_at: t(0),
            },
            vec![("A".into(), m(90_000)), ("B".into(), m(95_000))],
        );
        // B (the highest) goes first and undercuts A.
        a.place("B", m(85_000), t(10)).unwrap();
        assert_eq!(a.view_of(0, t(20)), (1, m(90_000)), "A can't see it yet");
        assert_eq!(a.view_of(1, t(20)), (1, m(85_000)), "B sees its own price");
        assert_eq!(
            a.view_of(0, t(60)),
            (2, m(85_000)),
            "revealed when B's turn ends"
        );
        assert_eq!(a.rank_of(1), 1, "officers see it at once");
    }

    proptest! {
        /// The quick checks of `decide` (the turn, the rank) say what `turn` and `ladder`
        /// say, whatever the history, in both formats.
        #[test]
        fn quick_checks_agree_with_the_turn_order_and_the_ladder(
            attempts in proptest::collection::vec((0usize..3, 0i64..100_000, 0i64..800), 0..60),
            in_rounds: bool,
        ) {
            let mut a = continuous(false);
            if in_rounds {
                a = Auction::new(
                    Rules { format: Format::Rounds { rounds: 4, turn_s: 60 }, ..a.rules.clone() },
                    vec![("A".into(), m(90_000)), ("B".into(), m(95_000)), ("C".into(), m(99_000))],
                );
            }
            let mut attempts = attempts;
            attempts.sort_by_key(|(_, _, at)| *at);
            for (who, amount, at) in attempts {
                for p in 0..3 {
                    prop_assert_eq!(
                        a.holds_turn(p, t(at)),
                        a.turn(t(at)).map(|turn| turn.participant) == Some(p)
                    );
                }
                if let Ok(accepted) = a.place(["A", "B", "C"][who], m(amount), t(at)) {
                    prop_assert_eq!(accepted.rank, a.rank_of(accepted.participant));
                }
            }
        }

        /// Whatever the history, the advertised max_next_bid is accepted, and a centavo more
        /// is refused (or passes the ceiling).
        #[test]
        fn the_max_next_bid_is_the_highest_bid_accepted(
            attempts in proptest::collection::vec((0usize..3, 0i64..100_000, 0i64..800), 0..40),
            must_beat_best: bool,
            in_rounds: bool,
            probe_at in 0i64..800,
        ) {
            let mut a = continuous(must_beat_best);
            if in_rounds {
                a = Auction::new(
                    Rules { format: Format::Rounds { rounds: 4, turn_s: 60 }, ..a.rules.clone() },
                    vec![("A".into(), m(90_000)), ("B".into(), m(95_000)), ("C".into(), m(99_000))],
                );
            }
            let mut attempts = attempts;
            attempts.sort_by_key(|(_, _, at)| *at);
            for (who, amount, at) in attempts {
                let _ = a.place(["A", "B", "C"][who], m(amount), t(at));
            }
            let now = t(probe_at.max(a.bids.last().map_or(0, |b| (b.at - t(0)).num_seconds())));
            for p in 0..3 {
                let id = ["A", "B", "C"][p];
                if let Some(max) = a.max_next_bid(p, now, true) {
                    prop_assert!(a.decide(id, max, now).is_ok());
                    prop_assert!(a.decide(id, m(max.centavos() + 1), now).is_err());
                }
            }
        }

        /// Whatever is attempted, the state keeps its invariants: every accepted bid lowers
        /// its bidder's price by at least the decrement and stays under the ceiling, the end
        /// never moves back, and extensions never pass the limit.
        #[test]
        fn accepted_bids_always_respect_the_rules(
            attempts in proptest::collection::vec((0usize..4, 0i64..110_000, 0i64..900), 0..60),
            soft_close_s in 0i64..200,
            extension_s in 1i64..200,
        ) {
            let mut a = continuous(false);
            a.rules.format = Format::Continuous { duration_s: 600, soft_close_s, extension_s, max_extensions: 2 };
            let mut attempts = attempts;
            attempts.sort_by_key(|(_, _, at)| *at);
            let mut last_end = a.ends_at;
            for (who, amount, at) in attempts {
                let id = ["A", "B", "C", "Z"][who];
                let before = a.prices();
                match a.place(id, m(amount), t(at)) {
                    Ok(accepted) => {
                        prop_assert!(amount <= 100_000);
                        prop_assert!(amount <= before[accepted.participant].centavos() - 100);
                        prop_assert!(t(at) < last_end);
                    }
                    Err(_) => prop_assert_eq!(a.prices(), before),
                }
                prop_assert!(a.ends_at >= last_end);
                prop_assert!(a.extensions <= 2);
                last_end = a.ends_at;
            }
        }
    }
}
