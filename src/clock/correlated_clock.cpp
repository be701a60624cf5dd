#include <dvbcss/clock/correlated_clock.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dvbcss::clock {
namespace {

constexpr long double nanos_per_second_ld = 1e9L;

void check_tick_rate(double r) {
    if (!std::isfinite(r) || r <= 0) {
        throw std::invalid_argument("correlated_clock: tick rate must be finite and > 0");
    }
}

void check_speed(double s) {
    if (!std::isfinite(s)) {
        throw std::invalid_argument("correlated_clock: speed must be finite");
    }
}

} // namespace

correlated_clock::correlated_clock(clock_base& parent, double tick_rate, clock::correlation c,
                                   double speed)
    : parent_(&parent)
    , tick_rate_(tick_rate)
    , correlation_(c)
    , speed_(speed) {
    check_tick_rate(tick_rate);
    check_speed(speed);
    parent_->bind(*this);
}

correlated_clock::~correlated_clock() {
    parent_->unbind(*this);
}

std::optional<tick_t> correlated_clock::to_parent_ticks(tick_t t) const {
    if (speed_ == 0.0) {
        if (t == correlation_.child_ticks) {
            return correlation_.parent_ticks;
        }
        return std::nullopt;
    }
    return correlation_.parent_ticks +
           (t - correlation_.child_ticks) * static_cast<tick_t>(parent_->tick_rate()) /
               static_cast<tick_t>(tick_rate_) / static_cast<tick_t>(speed_);
}

tick_t correlated_clock::from_parent_ticks(tick_t t) const {
    return correlation_.child_ticks +
           (t - correlation_.parent_ticks) * static_cast<tick_t>(tick_rate_) *
               static_cast<tick_t>(speed_) / static_cast<tick_t>(parent_->tick_rate());
}

void correlated_clock::set_correlation(const clock::correlation& c) {
    correlation_ = c;
    notify_dependents();
}

void correlated_clock::set_speed(double s) {
    check_speed(s);
    speed_ = s;
    notify_dependents();
}

void correlated_clock::set_tick_rate(double r) {
    check_tick_rate(r);
    tick_rate_ = r;
    notify_dependents();
}

void correlated_clock::set_correlation_and_speed(const clock::correlation& c, double s) {
    check_speed(s);
    correlation_ = c;
    speed_ = s;
    notify_dependents();
}

bool correlated_clock::rebase_correlation_at_ticks(tick_t t) {
    const auto pt = to_parent_ticks(t);
    if (!pt) {
        return false;
    }
    rebase_to(*pt, t);
    return true;
}

void correlated_clock::rebase_now() {
    const tick_t p = parent_->ticks();
    rebase_to(p, from_parent_ticks(p));
}

void correlated_clock::rebase_to(tick_t parent_t, tick_t child_t) {
    // The error bound at the new point is the bound the current correlation gives there, which
    // grows with the distance in EITHER direction: moving the point earlier must not shrink it.
    const double error = own_error_at(child_t, parent_t);
    correlation_ = clock::correlation{
        parent_t, child_t, std::isnan(error) ? std::numeric_limits<double>::infinity() : error,
        correlation_.error_growth_rate};
}

void correlated_clock::set_parent(clock_base& p) {
    change_parent(parent_, p);
}

double correlated_clock::quantify_change(const clock::correlation& c, double new_speed) const {
    if (new_speed != speed_) {
        return std::numeric_limits<double>::infinity();
    }
    if (new_speed != 0.0) {
        // Both relationships have the same slope, so compare them on the parent.
        const auto pt = to_parent_ticks(c.child_ticks);
        const tick_t diff = std::fabs(c.parent_ticks - *pt);
        return static_cast<double>(diff * nanos_per_second_ld /
                                   static_cast<tick_t>(parent_->tick_rate()));
    }
    // Speed 0: both hold a single value; compare those on this clock.
    const tick_t diff = std::fabs(c.child_ticks - from_parent_ticks(c.parent_ticks));
    return static_cast<double>(diff * nanos_per_second_ld / static_cast<tick_t>(tick_rate_));
}

bool correlated_clock::is_change_significant(const clock::correlation& c, double new_speed,
                                             double threshold_ns) const {
    return quantify_change(c, new_speed) > threshold_ns;
}

double correlated_clock::own_error_at(tick_t /*t*/, tick_t parent_t) const {
    const tick_t delta_ns = std::fabs(parent_t - correlation_.parent_ticks) * nanos_per_second_ld /
                            static_cast<tick_t>(parent_->tick_rate());
    return correlation_.initial_error_ns +
           static_cast<double>(delta_ns * static_cast<tick_t>(correlation_.error_growth_rate));
}

} // namespace dvbcss::clock
