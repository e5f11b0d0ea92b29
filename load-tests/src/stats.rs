//! What a closed-loop run counts: latencies, HTTP statuses (and, for refusals, their
//! problem `code`), transport errors; and how it is printed.

use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Tally {
    pub latencies_us: Vec<u32>,
    pub errors: u64,
    pub statuses: BTreeMap<u16, u64>,
    /// The `code` of each problem answer (4xx/5xx), counted.
    pub codes: BTreeMap<String, u64>,
}

impl Tally {
    pub fn record(&mut self, status: u16, started: std::time::Instant) {
        *self.statuses.entry(status).or_default() += 1;
        let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.latencies_us.push(us);
    }

    pub fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (code, n) in other.codes {
            *self.codes.entry(code).or_default() += n;
        }
    }

    /// Sorts the latencies and returns the summary over `seconds` of measuring.
    pub fn summary(&mut self, seconds: f64) -> Summary {
        self.latencies_us.sort_unstable();
        let sorted = &self.latencies_us;
        Summary {
            responses: sorted.len() as u64,
            per_s: sorted.len() as f64 / seconds,
            p50_ms: percentile(sorted, 50.0),
            p90_ms: percentile(sorted, 90.0),
            p99_ms: percentile(sorted, 99.0),
            max_ms: percentile(sorted, 100.0),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub responses: u64,
    pub per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    pub fn latency_line(&self) -> String {
        format!(
            "latency ms     p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms
        )
    }
}

/// The nearest-rank percentile `p` (0–100) of sorted microseconds, in milliseconds.
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&sorted, 50.0), 51.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&sorted, 100.0), 100.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }
}
