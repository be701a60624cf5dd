#pragma once

/// A time source for tests: time stands still until the test moves it, or advances by a fixed step
/// on every read (the reference's MockTime auto-increment, which makes precision measurement
/// deterministic).

#include <dvbcss/clock/time_source.hpp>

#include <cstdint>

namespace dvbcss::test {

/// Settable, optionally self-advancing nanosecond time. Not thread-safe.
class fake_time_source final : public clock::time_source {
public:
    explicit fake_time_source(std::int64_t start_ns = 0)
        : now_(start_ns) {}

    [[nodiscard]] std::int64_t now_ns() const override {
        const auto t = now_;
        now_ += auto_step_;
        return t;
    }

    void set_ns(std::int64_t t) { now_ = t; }

    void advance_ns(std::int64_t d) { now_ += d; }

    void set_seconds(double s) { now_ = static_cast<std::int64_t>(s * 1e9); }

    void advance_seconds(double s) { now_ += static_cast<std::int64_t>(s * 1e9); }

    /// Every read advances time by `step_ns` after returning (0 = frozen).
    void set_auto_increment_ns(std::int64_t step_ns) { auto_step_ = step_ns; }

private:
    mutable std::int64_t now_;
    std::int64_t auto_step_ = 0;
};

} // namespace dvbcss::test
