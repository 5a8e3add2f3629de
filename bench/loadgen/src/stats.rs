//! Latency histograms, their percentiles, and medians of rounds.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies in microseconds, 3 significant figures, from 1 µs up (it grows as needed).
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// An empty histogram.
    pub fn new() -> Latencies {
        // Starts at 1 µs .. 60 s and grows if a value is larger.
        let mut histogram = Histogram::new_with_bounds(1, 60_000_000, 3)
            .unwrap_or_else(|_| unreachable!("constant bounds are valid"));
        histogram.auto(true);
        Latencies(histogram)
    }

    /// Records one latency (clamped to at least 1 µs).
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // Auto-resizing grows the range as needed; clamp only if that fails.
        if self.0.record(micros).is_err() {
            self.0.saturating_record(micros);
        }
    }

    /// Adds another histogram's values.
    pub fn merge(&mut self, other: &Latencies) {
        // Both auto-resize, so adding cannot fail for lack of range.
        let _ = self.0.add(&other.0);
    }

    /// p50, p90, p99 and max (zero when empty).
    pub fn summary(&self) -> LatencySummary {
        if self.0.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            p50_us: self.0.value_at_quantile(0.50),
            p90_us: self.0.value_at_quantile(0.90),
            p99_us: self.0.value_at_quantile(0.99),
            max_us: self.0.max(),
        }
    }
}

/// Latency percentiles in microseconds (to the histogram's 3 significant figures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest value.
    pub max_us: u64,
}

/// CPU `seconds` spread over `count` items, in µs each (0 when there are none).
pub fn micros_each(seconds: f64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        seconds * 1e6 / count as f64
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None`
/// when empty. NaNs sort last.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(value: u64, expected: u64) -> bool {
        // Three significant figures: within 0.1 %.
        value.abs_diff(expected) * 1000 <= expected
    }

    #[test]
    fn percentiles_of_a_uniform_range() {
        let mut latencies = Latencies::new();
        for micros in 1..=10_000 {
            latencies.record(Duration::from_micros(micros));
        }
        let summary = latencies.summary();
        assert!(within(summary.p50_us, 5_000), "{summary:?}");
        assert!(within(summary.p90_us, 9_000), "{summary:?}");
        assert!(within(summary.p99_us, 9_900), "{summary:?}");
        assert!(within(summary.max_us, 10_000), "{summary:?}");
    }

    #[test]
    fn one_slow_request_in_a_hundred_is_the_p99() {
        let mut latencies = Latencies::new();
        for _ in 0..98 {
            latencies.record(Duration::from_micros(100));
        }
        latencies.record(Duration::from_micros(5_000));
        latencies.record(Duration::from_micros(80_000));
        let summary = latencies.summary();
        assert_eq!(summary.p50_us, 100);
        assert_eq!(summary.p90_us, 100);
        assert!(within(summary.p99_us, 5_000), "{summary:?}");
        assert!(within(summary.max_us, 80_000), "{summary:?}");
    }

    #[test]
    fn merging_and_extremes() {
        let mut a = Latencies::new();
        a.record(Duration::ZERO);
        let mut b = Latencies::new();
        b.record(Duration::from_secs(600));
        a.merge(&b);
        assert_eq!(a.summary().p50_us, 1);
        assert!(within(a.summary().max_us, 600_000_000));
        assert_eq!(Latencies::new().summary(), LatencySummary::default());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
