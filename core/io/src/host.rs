//! Facts about the machine the server runs on, which the core is given rather than reads.

/// This machine's host name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`, else empty): what
/// the Admin UI shows for a server whose configuration leaves the name empty.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}
