//! Peak resident memory of this process, from Linux's `/proc/self/status`.
//!
//! `VmHWM` only grows; writing `5` to `/proc/self/clear_refs` resets it, so
//! each measured run can report its own peak instead of the process's.

/// Starts a new peak. `false` where the kernel does not allow it (not Linux,
/// or a kernel without the reset): later peaks are then the process's.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The peak resident set size in KiB since the last reset (`VmHWM`).
pub fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
