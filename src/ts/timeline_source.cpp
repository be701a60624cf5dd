#include <dvbcss/ts/timeline_source.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace dvbcss::ts {

namespace {

template <class T>
bool contains(const std::vector<T*>& v, const T* x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

template <class T>
void remove(std::vector<T*>& v, const T* x) {
    v.erase(std::remove(v.begin(), v.end(), x), v.end());
}

} // namespace

timeline_sink::~timeline_sink() {
    // detach_sink edits sources_, so work on a copy.
    const auto attached = sources_;
    for (auto* source : attached) {
        source->detach_sink(*this);
    }
}

timeline_source::~timeline_source() {
    while (!sinks_.empty()) {
        auto* s = sinks_.back();
        sinks_.pop_back();
        remove(s->sources_, this);
        s->on_source_destroyed(*this);
    }
}

void timeline_source::attach_sink(timeline_sink& sink) {
    if (contains(sinks_, &sink)) {
        return;
    }
    sinks_.push_back(&sink);
    sink.sources_.push_back(this);
}

void timeline_source::detach_sink(timeline_sink& sink) {
    if (!contains(sinks_, &sink)) {
        return;
    }
    remove(sinks_, &sink);
    remove(sink.sources_, this);
}

bool timeline_source::has_sink(const timeline_sink& sink) const noexcept {
    return contains(sinks_, &sink);
}

void timeline_source::notify_changed(std::string_view selector) {
    notify(selector);
}

void timeline_source::notify_changed() {
    notify(std::nullopt);
}

void timeline_source::notify(std::optional<std::string_view> selector) {
    // A sink may detach itself (or another) while it is told; skip those no longer attached.
    const auto targets = sinks_;
    for (auto* s : targets) {
        if (contains(sinks_, s)) {
            s->on_timeline_changed(*this, selector);
        }
    }
}

bool well_formed(const control_timestamp& ct) noexcept {
    if (ct.content_time.has_value() != ct.timeline_speed_multiplier.has_value()) {
        return false;
    }
    return !ct.timeline_speed_multiplier || std::isfinite(*ct.timeline_speed_multiplier);
}

std::optional<std::int64_t> whole_ticks(tick_t t) noexcept {
    if (!std::isfinite(t)) {
        return std::nullopt;
    }
    // 2^63 is exact in long double; [-2^63, 2^63) is the int64 range.
    constexpr tick_t limit = 9223372036854775808.0L;
    const tick_t f = std::floor(t);
    if (f < -limit || f >= limit) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(f);
}

namespace {

std::optional<control_timestamp> checked(std::optional<control_timestamp> ct) {
    if (ct && !well_formed(*ct)) {
        throw std::invalid_argument(
            "ts::simple_timeline_source: content time and speed must be both set (finite speed) "
            "or both empty");
    }
    return ct;
}

} // namespace

simple_timeline_source::simple_timeline_source(std::string selector,
                                               std::optional<control_timestamp> ct)
    : selector_(std::move(selector))
    , ct_(checked(std::move(ct))) {}

bool simple_timeline_source::recognises(std::string_view selector) const {
    return selector == selector_;
}

std::optional<control_timestamp>
simple_timeline_source::control_timestamp_for(std::string_view /*selector*/) {
    return ct_;
}

void simple_timeline_source::set_control_timestamp(std::optional<control_timestamp> ct) {
    ct_ = checked(std::move(ct));
    notify_changed(selector_);
}

} // namespace dvbcss::ts
