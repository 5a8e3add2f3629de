//! Pieces of the comparison report: the machine it ran on, the date, and how
//! figures are written in the table.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::procfs;

/// The machine and the moment, for the report's heading.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub date_utc: String,
    /// CPUs online (`nproc`).
    pub nproc: usize,
    /// The CPU model from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// 1, 5 and 15 minute load averages when the comparison started.
    pub load_average_at_start: String,
}

impl Machine {
    /// Reads it now.
    pub fn now() -> Machine {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            date_utc: utc_minute(seconds),
            nproc: procfs::online_cpus(),
            cpu_model: procfs::cpu_model(),
            load_average_at_start: procfs::load_average(),
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch.
pub fn utc_minute(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let minute_of_day = unix_seconds % 86_400 / 60;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A count or rate with thousands separators, rounded to a whole number.
pub fn whole(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    let rounded = value.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if rounded < 0.0 {
        grouped.insert(0, '-');
    }
    grouped
}

/// A value with one decimal below 100 and whole above, for microseconds.
pub fn micros(value: f64) -> String {
    if !value.is_finite() {
        "—".into()
    } else if value.abs() < 100.0 {
        format!("{value:.1}")
    } else {
        whole(value)
    }
}

/// A ratio with two decimals.
pub fn ratio(value: Option<f64>) -> String {
    match value {
        Some(r) if r.is_finite() => format!("{r:.2}"),
        _ => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_minute(1_709_251_199), "2024-02-29 23:59 UTC");
        assert_eq!(utc_minute(1_798_761_600 + 3_660), "2027-01-01 01:01 UTC");
    }

    #[test]
    fn numbers() {
        assert_eq!(whole(0.4), "0");
        assert_eq!(whole(999.0), "999");
        assert_eq!(whole(1_000.0), "1,000");
        assert_eq!(whole(123_456_789.4), "123,456,789");
        assert_eq!(whole(-2_048.0), "-2,048");
        assert_eq!(whole(f64::NAN), "—");
        assert_eq!(micros(21.345), "21.3");
        assert_eq!(micros(1_234.5), "1,235");
        assert_eq!(ratio(Some(0.456)), "0.46");
        assert_eq!(ratio(None), "—");
    }
}
