//! Pinning to one CPU core: the server to one, the load generator to the other, so
//! neither steals the other's time and each one's CPU use is its own.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The CPU set holding only `cpu`.
fn single_cpu_set(cpu: usize) -> io::Result<libc::cpu_set_t> {
    // CPU_SET indexes a fixed-size bit array; refuse what does not fit.
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no CPU {cpu}"),
        ));
    }
    // SAFETY: cpu_set_t is a plain bit array, all zeroes is the empty set, and
    // `cpu` was checked to be within it.
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    };
    Ok(set)
}

fn set_affinity(set: &libc::cpu_set_t) -> io::Result<()> {
    // SAFETY: pid 0 is the calling thread; the set is a valid, initialized cpu_set_t.
    let result = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Pins the calling thread (and the threads it starts afterwards) to `cpu`.
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    set_affinity(&single_cpu_set(cpu)?)
        .map_err(|e| io::Error::new(e.kind(), format!("pinning to CPU {cpu}: {e}")))
}

/// Makes `command`'s process start pinned to `cpu`.
pub fn pin_command(command: &mut Command, cpu: usize) -> io::Result<()> {
    let set = single_cpu_set(cpu)?;
    // SAFETY: the closure runs between fork and exec; it only makes the
    // sched_setaffinity system call on a set prepared before the fork, which is
    // async-signal-safe (no allocation, no locks).
    unsafe {
        command.pre_exec(move || set_affinity(&set));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_cpus_are_refused() {
        assert!(single_cpu_set(usize::MAX).is_err());
        assert!(single_cpu_set(libc::CPU_SETSIZE as usize).is_err());
        assert!(single_cpu_set(0).is_ok());
    }

    #[test]
    fn a_pinned_child_runs() {
        let mut command = Command::new("true");
        pin_command(&mut command, 0).unwrap();
        assert!(command.status().unwrap().success());
    }
}
