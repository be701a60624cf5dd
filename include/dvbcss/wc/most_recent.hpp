#pragma once

/// The simplest CSS-WC estimator (the reference's MostRecent): every plausible candidate becomes
/// the wall clock's correlation.
///
/// API summary
/// - `most_recent(wall_clock, options)`   an `estimator` (see estimator.hpp).
///
/// Differences from the reference: the local max frequency error comes from the options or the
/// clock (not a fixed 500 ppm); dispersion is reported (not an error); after a timeout the client
/// backs off instead of re-requesting at once.

#include <dvbcss/wc/estimator.hpp>

namespace dvbcss::wc {

/// Adopts every candidate; requests every `repeat_interval`.
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class most_recent final : public estimator {
public:
    /// `wall_clock` must have a parent (the local clock) and outlive this object.
    explicit most_recent(const clock::clock_base& wall_clock, estimator_options options = {});

    [[nodiscard]] std::optional<clock::correlation> on_candidate(const candidate& c) override;
    [[nodiscard]] std::chrono::nanoseconds next_request_delay() const override;
    [[nodiscard]] double dispersion_ns(std::int64_t local_ns) const override;

    [[nodiscard]] std::string_view name() const noexcept override { return "most-recent"; }

private:
    const clock::clock_base& wall_clock_;
    estimator_options options_;
    std::optional<clock::correlation> current_;
};

} // namespace dvbcss::wc
