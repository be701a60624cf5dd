#pragma once

// Whether this test program (and so the library and the programs it starts, built with the same
// preset) runs under AddressSanitizer or ThreadSanitizer.

namespace dvbcss::test {

/// True when built with AddressSanitizer or ThreadSanitizer. Their allocators hold freed memory
/// back (ASan's quarantine) or shadow it, so resident memory says nothing about what the library
/// keeps: tests then skip their memory bounds (ASan's leak check still runs at exit). Their
/// programs also run several times slower, so tests that bound how closely a companion follows
/// its TV widen the bound under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
#else
inline constexpr bool sanitized = false;
#endif

} // namespace dvbcss::test
