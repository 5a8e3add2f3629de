//! What the benchmarks read from `/proc`: CPU time and resident memory of a
//! process, and a description of the machine for the report.

use std::fs;

/// CPU time (user + system) a process has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> Result<f64, String> {
    read_cpu_seconds(&format!("/proc/{pid}/stat"))
}

/// CPU time (user + system) this process has used so far, in seconds.
pub fn own_cpu_seconds() -> Result<f64, String> {
    read_cpu_seconds("/proc/self/stat")
}

fn read_cpu_seconds(path: &str) -> Result<f64, String> {
    let stat = fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    let ticks =
        parse_stat_cpu_ticks(&stat).ok_or_else(|| format!("unexpected format of {path}"))?;
    Ok(ticks as f64 / clock_ticks_per_second())
}

/// `utime + stime` (fields 14 and 15, in clock ticks) of a `/proc/PID/stat` line.
///
/// Field 2, the command name, is in parentheses and may itself contain spaces and
/// parentheses, so the fields are counted from after its last `)`.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state), 4, 5, ...: utime is field 14.
    let mut fields = after_comm.split_ascii_whitespace().skip(14 - 3);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`), the unit of `/proc/PID/stat` times.
pub fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions; it only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    // 100 is the value on every Linux target; a failing sysconf is not expected.
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// Resident memory of a process (`VmRSS` from `/proc/PID/status`), in bytes.
pub fn resident_bytes(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    parse_vm_rss_bytes(&status).ok_or_else(|| format!("no VmRSS line in {path}"))
}

/// The `VmRSS:  1234 kB` line of a `/proc/PID/status` file, in bytes.
pub fn parse_vm_rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut words = line["VmRSS:".len()..].split_ascii_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next()? {
        "kB" => value.checked_mul(1024),
        _ => None,
    }
}

/// The CPU model named by the first `model name` line of `/proc/cpuinfo`.
pub fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| parse_cpu_model(&info))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn parse_cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, model)| model.trim().to_owned())
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`, as written there.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| {
            l.split_ascii_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The 1-minute load average now (`NaN` if it cannot be read).
pub fn load_average_1m() -> f64 {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| first_load(&text))
        .unwrap_or(f64::NAN)
}

/// The first figure of a `/proc/loadavg` line.
fn first_load(text: &str) -> Option<f64> {
    text.split_ascii_whitespace().next()?.parse().ok()
}

/// How many CPUs the machine has online (what `nproc` prints before any pinning).
pub fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions; it only reads a configuration value.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(online).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_lines() {
        assert_eq!(first_load("0.50 1.45 1.75 2/345 6789\n"), Some(0.5));
        assert_eq!(first_load(""), None);
        assert_eq!(first_load("x 1 2"), None);
    }

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let plain = "1234 (echo) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 12345 \
                     1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
        assert_eq!(parse_stat_cpu_ticks(plain), Some(325));
        // A command name with spaces and parentheses must not shift the fields.
        let tricky = "77 (a) b (c) d) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 1 1";
        assert_eq!(parse_stat_cpu_ticks(tricky), Some(10));
    }

    #[test]
    fn malformed_stat_is_none() {
        assert_eq!(parse_stat_cpu_ticks(""), None);
        assert_eq!(parse_stat_cpu_ticks("1 (x) S 1 2 3"), None);
        assert_eq!(
            parse_stat_cpu_ticks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 3"),
            None
        );
    }

    #[test]
    fn own_stat_is_readable() {
        assert!(own_cpu_seconds().unwrap() >= 0.0);
        assert!(resident_bytes(std::process::id()).unwrap() > 0);
    }

    #[test]
    fn vm_rss_is_read_in_bytes() {
        let status = "Name:\techo\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\nThreads:\t1\n";
        assert_eq!(parse_vm_rss_bytes(status), Some(5120 * 1024));
        assert_eq!(parse_vm_rss_bytes("Name:\techo\n"), None);
        assert_eq!(parse_vm_rss_bytes("VmRSS:\t12 MB\n"), None);
    }

    #[test]
    fn cpu_model_is_the_first_model_name() {
        let info = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t: x\n\nprocessor\t: 1\nmodel name\t: Other\n";
        assert_eq!(parse_cpu_model(info).as_deref(), Some("AMD EPYC"));
        assert_eq!(parse_cpu_model("processor\t: 0\n"), None);
    }
}
