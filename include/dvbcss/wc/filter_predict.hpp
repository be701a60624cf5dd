#pragma once

/// The filter-and-predict CSS-WC estimator (the reference's FilterAndPredict): candidates pass
/// through a chain of filters; the survivors feed a predictor whose output becomes the wall clock's
/// correlation.
///
/// API summary
/// - `candidate_filter`            interface: `accepts(c)`, `on_used(c)`.
/// - `rtt_threshold_filter(ns)`    keeps candidates whose round trip is <= the threshold (ns; the
///                                 reference compared ns with seconds, B6).
/// - `lowest_dispersion_filter(wall_clock, local_mfe?)`  keeps candidates that bound the error
///                                 more tightly than the last used one, at the same local time.
/// - `predictor`                   interface: `add(c)`, `predict()`, `dispersion_ns(local_ns)`.
/// - `predict_simple(wall_clock, local_mfe?)`  the correlation of the latest candidate.
/// - `filter_predict(wall_clock, filters, predictor, options)`  the `estimator`. A candidate is
///                                 used only if EVERY filter accepts it (the reference never
///                                 rejected anything, B5).

#include <dvbcss/wc/estimator.hpp>

#include <memory>
#include <vector>

namespace dvbcss::wc {

/// Decides whether a candidate may be used.
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class candidate_filter {
public:
    candidate_filter() = default;
    virtual ~candidate_filter() = default;
    candidate_filter(const candidate_filter&) = delete;
    candidate_filter& operator=(const candidate_filter&) = delete;
    candidate_filter(candidate_filter&&) = delete;
    candidate_filter& operator=(candidate_filter&&) = delete;

    /// True if `c` may be used. Must not change the filter's state.
    [[nodiscard]] virtual bool accepts(const candidate& c) const = 0;

    /// `c` passed every filter and was given to the predictor.
    virtual void on_used(const candidate& c) { static_cast<void>(c); }
};

/// Keeps candidates whose round-trip time is at most a threshold.
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class rtt_threshold_filter final : public candidate_filter {
public:
    /// `threshold`: largest acceptable `candidate::rtt_ns()`.
    explicit rtt_threshold_filter(std::chrono::nanoseconds threshold) noexcept
        : threshold_(threshold) {}

    [[nodiscard]] bool accepts(const candidate& c) const override;

private:
    std::chrono::nanoseconds threshold_;
};

/// Keeps candidates whose error bound at their arrival time t4 is below that of the last used
/// candidate's correlation at the same local time.
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class lowest_dispersion_filter final : public candidate_filter {
public:
    /// `wall_clock` must have a parent and outlive this object.
    explicit lowest_dispersion_filter(const clock::clock_base& wall_clock,
                                      std::optional<double> local_max_freq_error_ppm = {});

    [[nodiscard]] bool accepts(const candidate& c) const override;
    void on_used(const candidate& c) override;

private:
    const clock::clock_base& wall_clock_;
    std::optional<double> local_mfe_ppm_;
    std::optional<clock::correlation> last_;
};

/// Turns the candidates that passed the filters into a correlation.
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class predictor {
public:
    predictor() = default;
    virtual ~predictor() = default;
    predictor(const predictor&) = delete;
    predictor& operator=(const predictor&) = delete;
    predictor(predictor&&) = delete;
    predictor& operator=(predictor&&) = delete;

    virtual void add(const candidate& c) = 0;

    /// The correlation to apply now; nullopt if none is known yet.
    [[nodiscard]] virtual std::optional<clock::correlation> predict() const = 0;

    /// Error bound (ns) of `predict()` at local time `local_ns`; +infinity if unknown.
    [[nodiscard]] virtual double dispersion_ns(std::int64_t local_ns) const = 0;
};

/// Predicts the correlation of the most recent candidate.
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class predict_simple final : public predictor {
public:
    /// `wall_clock` must have a parent and outlive this object.
    explicit predict_simple(const clock::clock_base& wall_clock,
                            std::optional<double> local_max_freq_error_ppm = {});

    void add(const candidate& c) override;

    [[nodiscard]] std::optional<clock::correlation> predict() const override { return latest_; }

    [[nodiscard]] double dispersion_ns(std::int64_t local_ns) const override;

private:
    const clock::clock_base& wall_clock_;
    std::optional<double> local_mfe_ppm_;
    std::optional<clock::correlation> latest_;
};

/// Filters, then predicts. Requests every `repeat_interval`.
///
/// Thread safety: distinct objects safe; a shared object unsafe.
class filter_predict final : public estimator {
public:
    /// `wall_clock` must have a parent and outlive this object. A null `predictor_impl` means
    /// `predict_simple`.
    filter_predict(const clock::clock_base& wall_clock,
                   std::vector<std::unique_ptr<candidate_filter>> filters,
                   std::unique_ptr<predictor> predictor_impl, estimator_options options = {});

    /// The filters `options` asks for: rtt_threshold_filter if `rtt_threshold` is set, then
    /// lowest_dispersion_filter if `lowest_dispersion_filter`; predict_simple.
    filter_predict(const clock::clock_base& wall_clock, estimator_options options);

    [[nodiscard]] std::optional<clock::correlation> on_candidate(const candidate& c) override;
    [[nodiscard]] std::chrono::nanoseconds next_request_delay() const override;
    [[nodiscard]] double dispersion_ns(std::int64_t local_ns) const override;

    [[nodiscard]] std::string_view name() const noexcept override { return "filter-predict"; }

    /// Candidates rejected by at least one filter.
    [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_; }

private:
    estimator_options options_;
    std::vector<std::unique_ptr<candidate_filter>> filters_;
    std::unique_ptr<predictor> predictor_;
    std::uint64_t rejected_ = 0;
};

} // namespace dvbcss::wc
