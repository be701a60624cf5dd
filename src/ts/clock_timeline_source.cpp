#include <dvbcss/ts/clock_timeline_source.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace dvbcss::ts {

namespace {

// Product of the speeds of `from` and its ancestors, stopping before `stop`.
double chain_speed(const clock::clock_base* from, const clock::clock_base* stop) {
    double s = 1.0;
    for (const auto* c = from; c != nullptr && c != stop; c = c->parent()) {
        s *= c->speed();
    }
    return s;
}

// Speed of `clk` relative to `wall`: the speeds below their nearest common ancestor, divided.
// nullopt if they share no ancestor or the result is not finite.
std::optional<double> speed_relative_to(const clock::clock_base& clk,
                                        const clock::clock_base& wall) {
    const auto wall_line = wall.ancestry();
    const clock::clock_base* common = nullptr;
    for (const auto* c = &clk; c != nullptr && common == nullptr; c = c->parent()) {
        if (std::find(wall_line.begin(), wall_line.end(), c) != wall_line.end()) {
            common = c;
        }
    }
    if (common == nullptr) {
        return std::nullopt;
    }
    const double s = chain_speed(&clk, common) / chain_speed(&wall, common);
    if (!std::isfinite(s)) {
        return std::nullopt;
    }
    return s == 0.0 ? 0.0 : s; // no "-0" on the wire
}

constexpr double nanos_per_second_d = 1e9;

} // namespace

clock_timeline_source::clock_timeline_source(std::string selector, clock::clock_base& wall_clock,
                                             clock::clock_base& timeline_clock)
    : clock_timeline_source(std::move(selector), wall_clock, timeline_clock, timeline_clock) {}

clock_timeline_source::clock_timeline_source(std::string selector, clock::clock_base& wall_clock,
                                             clock::clock_base& timeline_clock,
                                             clock::clock_base& speed_source)
    : selector_(std::move(selector))
    , wall_(&wall_clock)
    , timeline_(&timeline_clock)
    , speed_(&speed_source) {
    wall_->bind(*this);
    timeline_->bind(*this);
    speed_->bind(*this);
}

// The clock_listener base unbinds from every clock still bound.
clock_timeline_source::~clock_timeline_source() = default;

bool clock_timeline_source::recognises(std::string_view selector) const {
    return selector == selector_;
}

std::optional<control_timestamp>
clock_timeline_source::control_timestamp_for(std::string_view /*selector*/) {
    if (changed_) {
        cached_ = compute();
        changed_ = false;
    }
    return cached_;
}

void clock_timeline_source::on_clock_changed(clock::clock_base& /*cause*/) {
    changed_ = true;
    notify_changed(selector_);
}

void clock_timeline_source::on_clock_destroyed(clock::clock_base& clock) {
    if (wall_ == &clock) {
        wall_ = nullptr;
    }
    if (timeline_ == &clock) {
        timeline_ = nullptr;
    }
    if (speed_ == &clock) {
        speed_ = nullptr;
    }
    changed_ = true;
    notify_changed(selector_);
}

std::optional<control_timestamp> clock_timeline_source::compute() const {
    if (wall_ == nullptr) {
        return std::nullopt;
    }
    // One reading of the root; both clocks are derived from it, so they describe one instant.
    const clock::clock_base& root = wall_->root();
    const tick_t r = root.ticks();
    const tick_t w = wall_->from_root_ticks(r);
    const auto wall_ns =
        whole_ticks(wall_->tick_rate() == nanos_per_second_d ? w : wall_->ticks_to_nanos(w));
    if (!wall_ns) {
        return std::nullopt;
    }
    const auto unavailable = control_timestamp::unavailable(*wall_ns);
    if (timeline_ == nullptr || speed_ == nullptr || &timeline_->root() != &root ||
        !timeline_->is_available()) {
        return unavailable;
    }
    const auto content_time = whole_ticks(timeline_->from_root_ticks(r));
    const auto speed = speed_relative_to(*speed_, *wall_);
    if (!content_time || !speed) {
        return unavailable;
    }
    // The content time is a whole tick, reached a little before the reading. Pair it with the
    // wall clock time at which the timeline was exactly at that tick, so the correlation carries
    // no rounding error however slow the timeline ticks (a 50 Hz TEMI tick is 20 ms). At speed 0
    // every wall clock time is right, and the reading's is kept.
    if (*speed != 0) {
        if (const auto at =
                timeline_->to_other_clock_ticks(*wall_, static_cast<tick_t>(*content_time))) {
            const tick_t exact =
                wall_->tick_rate() == nanos_per_second_d ? *at : wall_->ticks_to_nanos(*at);
            if (const auto ns = whole_ticks(exact + static_cast<tick_t>(0.5))) {
                return control_timestamp{*content_time, *ns, *speed};
            }
        }
    }
    return control_timestamp{*content_time, *wall_ns, *speed};
}

} // namespace dvbcss::ts
