#include <dvbcss/clock/time_source.hpp>

#include <chrono>
#include <ctime>

namespace dvbcss::clock {

std::int64_t monotonic_time_source::now_ns() const {
#if defined(CLOCK_MONOTONIC)
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 +
           static_cast<std::int64_t>(ts.tv_nsec);
#else
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
#endif
}

const monotonic_time_source& monotonic_time_source::instance() noexcept {
    static const monotonic_time_source source;
    return source;
}

} // namespace dvbcss::clock
