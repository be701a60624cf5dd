#include "detail/local_clock.hpp"

#include <dvbcss/wc/filter_predict.hpp>

#include <limits>
#include <stdexcept>

namespace dvbcss::wc {
namespace {

std::vector<std::unique_ptr<candidate_filter>> filters_from(const clock::clock_base& wall_clock,
                                                            const estimator_options& options) {
    std::vector<std::unique_ptr<candidate_filter>> filters;
    if (options.rtt_threshold) {
        filters.push_back(std::make_unique<rtt_threshold_filter>(*options.rtt_threshold));
    }
    if (options.lowest_dispersion_filter) {
        filters.push_back(std::make_unique<lowest_dispersion_filter>(
            wall_clock, options.local_max_freq_error_ppm));
    }
    return filters;
}

} // namespace

bool rtt_threshold_filter::accepts(const candidate& c) const {
    return c.rtt_ns() <= threshold_.count();
}

lowest_dispersion_filter::lowest_dispersion_filter(const clock::clock_base& wall_clock,
                                                   std::optional<double> local_max_freq_error_ppm)
    : wall_clock_(wall_clock)
    , local_mfe_ppm_(local_max_freq_error_ppm) {
    static_cast<void>(detail::local_clock_of(wall_clock_));
}

bool lowest_dispersion_filter::accepts(const candidate& c) const {
    if (!last_) {
        return true;
    }
    const auto& local = detail::local_clock_of(wall_clock_);
    const auto proposed = c.correlation_for(wall_clock_, local_mfe_ppm_);
    return correlation_error_at(proposed, local, c.t4) < correlation_error_at(*last_, local, c.t4);
}

void lowest_dispersion_filter::on_used(const candidate& c) {
    last_ = c.correlation_for(wall_clock_, local_mfe_ppm_);
}

predict_simple::predict_simple(const clock::clock_base& wall_clock,
                               std::optional<double> local_max_freq_error_ppm)
    : wall_clock_(wall_clock)
    , local_mfe_ppm_(local_max_freq_error_ppm) {
    static_cast<void>(detail::local_clock_of(wall_clock_));
}

void predict_simple::add(const candidate& c) {
    latest_ = c.correlation_for(wall_clock_, local_mfe_ppm_);
}

double predict_simple::dispersion_ns(std::int64_t local_ns) const {
    if (!latest_) {
        return std::numeric_limits<double>::infinity();
    }
    return correlation_error_at(*latest_, detail::local_clock_of(wall_clock_), local_ns);
}

filter_predict::filter_predict(const clock::clock_base& wall_clock,
                               std::vector<std::unique_ptr<candidate_filter>> filters,
                               std::unique_ptr<predictor> predictor_impl, estimator_options options)
    : options_(options)
    , filters_(std::move(filters))
    , predictor_(std::move(predictor_impl)) {
    if (!predictor_) {
        predictor_ =
            std::make_unique<predict_simple>(wall_clock, options_.local_max_freq_error_ppm);
    }
    for (const auto& f : filters_) {
        if (!f) {
            throw std::invalid_argument("wc::filter_predict: null filter");
        }
    }
}

filter_predict::filter_predict(const clock::clock_base& wall_clock, estimator_options options)
    : filter_predict(wall_clock, filters_from(wall_clock, options), nullptr, options) {}

std::optional<clock::correlation> filter_predict::on_candidate(const candidate& c) {
    for (const auto& f : filters_) {
        if (!f->accepts(c)) {
            ++rejected_;
            return std::nullopt;
        }
    }
    for (const auto& f : filters_) {
        f->on_used(c);
    }
    note_dispersion(predictor_->dispersion_ns(c.t4)); // the bound before this candidate
    predictor_->add(c);
    auto p = predictor_->predict();
    if (p) {
        note_dispersion(predictor_->dispersion_ns(c.t4));
    }
    return p;
}

std::chrono::nanoseconds filter_predict::next_request_delay() const {
    return options_.repeat_interval;
}

double filter_predict::dispersion_ns(std::int64_t local_ns) const {
    return predictor_->dispersion_ns(local_ns);
}

} // namespace dvbcss::wc
