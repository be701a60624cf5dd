#pragma once

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/time.hpp>

#include <cstdint>
#include <optional>

namespace dvbcss::clock {

/// The root of a clock tree: integer ticks read from a monotonic time source,
/// `ticks = floor(now_ns * tick_rate / 1e9)`, computed exactly (no floating point on the way, for
/// every tick rate a double can hold) and returned as an integer-valued `tick_t`.
///
/// Precision (nanoseconds) is measured once at construction, as the smallest positive difference
/// between two consecutive reads of `ticks()`, over min(10000, max(10, tick_rate / 10)) samples.
/// The number of reads is bounded, so a source that does not advance (a frozen fake) cannot hang
/// the constructor: if no positive difference was seen, the precision is one tick period. The
/// clock's dispersion is its precision, at every tick value. Speed is always 1 and the clock is
/// always available.
///
/// Thread safety: distinct objects safe; shared objects unsafe (reads are const and only touch the
/// time source, which for `monotonic_time_source` is safe from any thread, but the tree the clock
/// roots is confined to one thread or executor).
class sys_clock final : public clock_base {
public:
    /// `tick_rate`: ticks per second (finite, > 0, else std::invalid_argument).
    /// `max_freq_error_ppm`: the oscillator's maximum frequency error, ppm (>= 0, finite).
    /// The source must outlive the clock.
    explicit sys_clock(const clock::time_source& src = monotonic_time_source::instance(),
                       double tick_rate = 1e9, double max_freq_error_ppm = 500);

    /// floor(now_ns * tick_rate / 1e9), exact.
    [[nodiscard]] tick_t ticks() const override { return ticks_at(source_->now_ns()); }

    /// The tick value this clock shows when its source reads `ns` nanoseconds (exact floor).
    [[nodiscard]] tick_t ticks_at(std::int64_t ns) const;

    [[nodiscard]] double tick_rate() const override { return tick_rate_; }

    [[nodiscard]] clock_base* parent() const override { return nullptr; }

    /// Always nullopt: the root has no parent.
    [[nodiscard]] std::optional<tick_t> to_parent_ticks(tick_t /*t*/) const override {
        return std::nullopt;
    }

    /// Identity: the root is its own reference.
    [[nodiscard]] tick_t from_parent_ticks(tick_t t) const override { return t; }

    /// The earliest source time (nanoseconds) at which `ticks() >= t`; exact. nullopt if `t` is
    /// not finite or lies beyond the int64 nanosecond range; saturates to the int64 minimum for
    /// tick values too far in the past.
    [[nodiscard]] std::optional<std::int64_t> calc_when(tick_t t) const override;

    /// Maximum frequency error of the source's oscillator, ppm.
    [[nodiscard]] double root_max_freq_error_ppm() const override { return max_freq_error_ppm_; }

    /// Measured precision, nanoseconds (> 0).
    [[nodiscard]] double precision_ns() const { return precision_ns_; }

    /// The time source this clock reads.
    [[nodiscard]] const clock::time_source& time_source() const { return *source_; }

    /// Always throws std::logic_error: the root of a tree is always available.
    void set_availability(bool available) override;

protected:
    /// The measured precision, whatever `t`.
    [[nodiscard]] double own_error_at(tick_t t, tick_t parent_t) const override;

private:
    [[nodiscard]] double measure_precision_ns() const;

    const clock::time_source* source_;
    double tick_rate_;
    double max_freq_error_ppm_;
    // ticks = floor(ns * rate_num_ / rate_den_ * 2^rate_shift_) computed with 128-bit integers
    // (tick_rate_ / 1e9 = rate_num_ / rate_den_ * 2^rate_shift_, reduced), unless exact_ is false
    // (tick rates beyond ~1e20 Hz), when long double is used instead.
    std::int64_t rate_num_ = 1;
    std::int64_t rate_den_ = 1;
    int rate_shift_ = 0;
    bool exact_ = true;
    double precision_ns_ = 0;
};

} // namespace dvbcss::clock
