fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE, so `sluice bench ... | head` made the next
    // print panic on the closed pipe. Like other Unix tools, end quietly
    // when the reader of standard output goes away.
    // SAFETY: restoring a signal's default action before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    sluice::cli::main()
}
