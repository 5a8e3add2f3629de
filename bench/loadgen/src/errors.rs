//! Keeping the first few error reasons of a run for its report.

/// How many distinct reasons a report keeps.
const KEPT: usize = 5;

/// The first few distinct error reasons seen.
#[derive(Debug, Default)]
pub struct ErrorLog {
    /// Distinct reasons, in the order first seen, at most [`KEPT`].
    pub samples: Vec<String>,
}

impl ErrorLog {
    /// Keeps `reason` if there is room and it is new.
    pub fn record(&mut self, reason: String) {
        if self.samples.len() < KEPT && !self.samples.contains(&reason) {
            self.samples.push(reason);
        }
    }

    /// Adds another log's reasons.
    pub fn merge(&mut self, other: ErrorLog) {
        for reason in other.samples {
            self.record(reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_distinct_reasons() {
        let mut log = ErrorLog::default();
        for i in 0..20 {
            log.record(format!("reason {}", i % 7));
        }
        assert_eq!(
            log.samples,
            ["reason 0", "reason 1", "reason 2", "reason 3", "reason 4"]
        );
        let mut other = ErrorLog::default();
        other.record("reason 0".into());
        let mut empty = ErrorLog::default();
        empty.merge(other);
        assert_eq!(empty.samples, ["reason 0"]);
    }
}
