#pragma once

/// The recommended CSS-WC estimator (TS 103 286-2 Annex C; the reference's
/// LowestDispersionCandidate): adopt a candidate only when it bounds the wall clock's error more
/// tightly than the current estimate does, both evaluated at the same local time.
///
/// API summary
/// - `lowest_dispersion(wall_clock, options)`   an `estimator` (see estimator.hpp).
/// - `best()`                                   the correlation currently adopted, if any.
///
/// Fixes relative to the reference: B18 (the candidate's dispersion was evaluated at the old
/// clock's tick value, overstating it by |offset| * growth on large corrections: here both
/// dispersions are evaluated at the candidate's arrival time t4 on the local clock) and B17
/// (worst dispersion mixed seconds and ns: here everything is ns).

#include <dvbcss/wc/estimator.hpp>

namespace dvbcss::wc {

/// Keeps the candidate with the lowest error bound, letting the bound of the adopted one grow
/// with time (mfe_local + mfe_server), so a fresh candidate eventually wins.
///
/// Pacing: `repeat_interval` after adopting a candidate, `retry_interval` otherwise.
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class lowest_dispersion final : public estimator {
public:
    /// `wall_clock` must have a parent (the local clock) and outlive this object.
    explicit lowest_dispersion(const clock::clock_base& wall_clock, estimator_options options = {});

    [[nodiscard]] std::optional<clock::correlation> on_candidate(const candidate& c) override;
    void on_timeout() override;
    [[nodiscard]] std::chrono::nanoseconds next_request_delay() const override;
    [[nodiscard]] double dispersion_ns(std::int64_t local_ns) const override;

    [[nodiscard]] std::string_view name() const noexcept override { return "lowest-dispersion"; }

    /// The adopted correlation (nullopt before the first candidate).
    [[nodiscard]] const std::optional<clock::correlation>& best() const noexcept { return best_; }

private:
    const clock::clock_base& wall_clock_;
    estimator_options options_;
    std::optional<clock::correlation> best_;
    bool last_adopted_ = false;
};

} // namespace dvbcss::wc
