#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/filter_predict.hpp>
#include <dvbcss/wc/lowest_dispersion.hpp>
#include <dvbcss/wc/most_recent.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dvbcss::wc {

void estimator::note_dispersion(double ns) noexcept {
    if (std::isnan(ns)) {
        return;
    }
    worst_ns_ = std::max(worst_ns_, ns);
}

double estimator::worst_dispersion_ns(std::int64_t local_ns) {
    const double now = dispersion_ns(local_ns);
    const double worst = std::isnan(now) ? worst_ns_ : std::max(worst_ns_, now);
    // The next window starts with the value at its start, infinite included: an unsynchronised
    // stretch at the start of a window belongs to that window.
    worst_ns_ = std::isnan(now) ? std::numeric_limits<double>::infinity() : now;
    return worst;
}

std::array<std::string_view, 3> estimator_names() noexcept {
    return {"lowest-dispersion", "filter-predict", "most-recent"};
}

std::unique_ptr<estimator> make_estimator(std::string_view name,
                                          const clock::clock_base& wall_clock,
                                          const estimator_options& options) {
    if (name == "lowest-dispersion") {
        return std::make_unique<lowest_dispersion>(wall_clock, options);
    }
    if (name == "filter-predict") {
        return std::make_unique<filter_predict>(wall_clock, options);
    }
    if (name == "most-recent") {
        return std::make_unique<most_recent>(wall_clock, options);
    }
    throw std::invalid_argument("unknown wall clock estimator '" + std::string(name) +
                                "' (expected lowest-dispersion, filter-predict or most-recent)");
}

} // namespace dvbcss::wc
