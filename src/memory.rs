//! Giving freed memory back to the system. glibc's allocator keeps the freed pages of a heap for
//! reuse, so after many sessions end the server would keep the memory of its busiest moment. The
//! registry calls [`release_free_memory`] after sessions have ended.
#![allow(unsafe_code)]

/// Returns the heap's free pages to the system (glibc's `malloc_trim`); does nothing elsewhere
/// (musl returns them by itself).
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers from the caller; it only walks the allocator's own
    // arenas, each under its lock, so it is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
