#include <dvbcss/clock/range_correlated_clock.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dvbcss::clock {
namespace {

void check(double tick_rate, const correlation& c1, const correlation& c2) {
    if (!std::isfinite(tick_rate) || tick_rate <= 0) {
        throw std::invalid_argument("range_correlated_clock: tick rate must be finite and > 0");
    }
    if (c1.parent_ticks == c2.parent_ticks) {
        throw std::invalid_argument(
            "range_correlated_clock: the correlations must have different parent tick values");
    }
}

} // namespace

range_correlated_clock::range_correlated_clock(clock_base& parent, double tick_rate,
                                               const correlation& c1, const correlation& c2)
    : parent_(&parent)
    , tick_rate_(tick_rate)
    , c1_(c1)
    , c2_(c2) {
    check(tick_rate, c1, c2);
    parent_->bind(*this);
}

range_correlated_clock::~range_correlated_clock() {
    parent_->unbind(*this);
}

std::optional<tick_t> range_correlated_clock::to_parent_ticks(tick_t t) const {
    const tick_t dc = c2_.child_ticks - c1_.child_ticks;
    if (dc == 0) {
        if (t == c1_.child_ticks) {
            return c1_.parent_ticks;
        }
        return std::nullopt;
    }
    return (t - c1_.child_ticks) * (c2_.parent_ticks - c1_.parent_ticks) / dc + c1_.parent_ticks;
}

tick_t range_correlated_clock::from_parent_ticks(tick_t t) const {
    return (t - c1_.parent_ticks) * (c2_.child_ticks - c1_.child_ticks) /
               (c2_.parent_ticks - c1_.parent_ticks) +
           c1_.child_ticks;
}

void range_correlated_clock::set_correlation1(const correlation& c) {
    set_correlations(c, c2_);
}

void range_correlated_clock::set_correlation2(const correlation& c) {
    set_correlations(c1_, c);
}

void range_correlated_clock::set_correlations(const correlation& c1, const correlation& c2) {
    check(tick_rate_, c1, c2);
    c1_ = c1;
    c2_ = c2;
    notify_dependents();
}

void range_correlated_clock::set_parent(clock_base& p) {
    change_parent(parent_, p);
}

double range_correlated_clock::own_error_at(tick_t /*t*/, tick_t parent_t) const {
    const auto parent_rate = static_cast<tick_t>(parent_->tick_rate());
    auto error_of = [&](const correlation& c) {
        const tick_t delta_ns = std::fabs(parent_t - c.parent_ticks) * 1e9L / parent_rate;
        return c.initial_error_ns + static_cast<double>(delta_ns * c.error_growth_rate);
    };
    return std::min(error_of(c1_), error_of(c2_));
}

} // namespace dvbcss::clock
