#pragma once

/// Pluggable wall-clock estimators: candidates in, correlations out (cf. linuxptp's servo).
///
/// API summary
/// - `estimator`                     interface: `on_candidate(c)` -> optional<correlation> (set
///                                   the wall clock to it), `on_timeout()`, `next_request_delay()`,
///                                   `dispersion_ns(local_ns)`, `worst_dispersion_ns(local_ns)`,
///                                   `name()`.
/// - `estimator_options`             intervals, local max frequency error, filter settings.
/// - `make_estimator(name, wall_clock, options)` -> unique_ptr<estimator> for "lowest-dispersion"
///                                   (recommended), "filter-predict", "most-recent";
///                                   std::invalid_argument for another name (a configuration
///                                   error). `estimator_names()` lists the valid names.
///
/// An estimator never changes the wall clock itself; the client applies what it returns.
/// Implementations: lowest_dispersion.hpp, filter_predict.hpp, most_recent.hpp.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/correlation.hpp>
#include <dvbcss/wc/candidate.hpp>

#include <array>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>

namespace dvbcss::wc {

/// A strategy that turns measurements into wall clock correlations.
///
/// Time arguments are nanoseconds on the local clock (the wall clock's parent).
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class estimator {
public:
    estimator() = default;
    virtual ~estimator() = default;
    estimator(const estimator&) = delete;
    estimator& operator=(const estimator&) = delete;
    estimator(estimator&&) = delete;
    estimator& operator=(estimator&&) = delete;

    /// Feeds one plausible measurement. Returns the correlation the wall clock should now have,
    /// or nullopt to leave it as it is.
    [[nodiscard]] virtual std::optional<clock::correlation> on_candidate(const candidate& c) = 0;

    /// The last request got no usable response.
    virtual void on_timeout() {}

    /// How long to wait after the last candidate or timeout before the next request.
    [[nodiscard]] virtual std::chrono::nanoseconds next_request_delay() const = 0;

    /// Error bound (ns) of the estimate at local time `local_ns`, excluding the local clock's
    /// own precision; +infinity before the first estimate or when unknown.
    [[nodiscard]] virtual double dispersion_ns(std::int64_t local_ns) const = 0;

    /// The worst (largest) error bound over the window since the previous call (since
    /// construction for the first call) up to `local_ns`, ns. The window covers: the value at its
    /// start (the previous call's `local_ns`), every value noted during it (the bound just before
    /// each new estimate replaced the old one, and the new estimate's), and the value at
    /// `local_ns`. Because a bound only grows between estimates, that is the maximum over the
    /// whole window. A window that was unsynchronised (infinite) at any point reports +infinity:
    /// the first window starts unsynchronised, and a window that starts where the previous one
    /// ended unsynchronised does too (the reference's unsynchronised start made a later window
    /// read e.g. 0.011 ms instead of infinity). Consistently ns (fix of the reference's B17).
    [[nodiscard]] double worst_dispersion_ns(std::int64_t local_ns);

    /// Records an error bound (ns) that held at some instant of the current window (NaN is
    /// ignored). Implementations call it with every dispersion they compute or adopt; the client
    /// calls it with the estimate's bound at the moment just before it applies a new correlation.
    void note_dispersion(double ns) noexcept;

    /// The name `make_estimator` knows this estimator by.
    [[nodiscard]] virtual std::string_view name() const noexcept = 0;

private:
    // Worst bound of the current window; the first window starts unsynchronised.
    double worst_ns_ = std::numeric_limits<double>::infinity();
};

/// Settings shared by the estimators; each uses the ones that apply to it.
///
/// Thread safety: a value type.
struct estimator_options {
    /// Delay before the next request after a candidate was used (the reference's repeatSecs).
    std::chrono::nanoseconds repeat_interval = std::chrono::seconds(1);
    /// Delay before the next request after a candidate was not used or a request timed out
    /// (lowest-dispersion; the reference sleeps its timeout).
    std::chrono::nanoseconds retry_interval = std::chrono::milliseconds(200);
    /// Local oscillator's max frequency error, ppm; default: the wall clock root's.
    std::optional<double> local_max_freq_error_ppm;
    /// filter-predict: reject candidates with a round trip above this (ns); nullopt: no such
    /// filter.
    std::optional<std::chrono::nanoseconds> rtt_threshold;
    /// filter-predict: also keep only candidates that lower the dispersion.
    bool lowest_dispersion_filter = true;
};

/// Names accepted by `make_estimator`.
[[nodiscard]] std::array<std::string_view, 3> estimator_names() noexcept;

/// Creates the estimator called `name` for `wall_clock` (which must have a parent and outlive
/// the estimator). Throws std::invalid_argument for an unknown name.
[[nodiscard]] std::unique_ptr<estimator> make_estimator(std::string_view name,
                                                        const clock::clock_base& wall_clock,
                                                        const estimator_options& options = {});

} // namespace dvbcss::wc
