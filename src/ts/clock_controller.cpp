#include <dvbcss/ts/clock_controller.hpp>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace dvbcss::ts {

namespace {

constexpr double wall_clock_tick_rate = 1e9;

// The nearest int64 to `t`, or nothing if `t` is not finite or lies outside int64.
std::optional<std::int64_t> to_int64(tick_t t) {
    if (!std::isfinite(t))
        return std::nullopt;
    const tick_t r = std::nearbyint(t);
    // 2^63 is exact in long double; int64 holds [-2^63, 2^63).
    constexpr tick_t limit = 9223372036854775808.0L;
    if (r < -limit || r >= limit)
        return std::nullopt;
    return static_cast<std::int64_t>(r);
}

// `clk`'s content time at the wall clock's tick value `wall_t`, if it has one.
std::optional<std::int64_t> content_time_at(const clock::clock_base& wall,
                                            const clock::clock_base& clk, tick_t wall_t) {
    const auto t = wall.to_other_clock_ticks(clk, wall_t);
    if (!t)
        return std::nullopt;
    return to_int64(*t);
}

} // namespace

clock_controller::clock_controller(clock::correlated_clock& timeline,
                                   clock_controller_options options,
                                   clock_controller_handlers handlers)
    : timeline_(&timeline)
    , options_(options)
    , handlers_(std::move(handlers)) {
    if (timeline.parent() == nullptr || timeline.parent()->tick_rate() != wall_clock_tick_rate) {
        throw std::invalid_argument("ts::clock_controller: the timeline clock's parent must be the "
                                    "wall clock (1e9 ticks/s)");
    }
    if (options_.threshold_ns < 0)
        throw std::invalid_argument("ts::clock_controller: negative threshold");
    timeline_->set_availability(false);
}

void clock_controller::set_handlers(clock_controller_handlers handlers) {
    handlers_ = std::move(handlers);
}

error_code clock_controller::on_control_timestamp(const control_timestamp& ct) {
    const bool available = ct.available();
    if (available && !std::isfinite(*ct.timeline_speed_multiplier))
        return make_error_code(errc::bad_field_value);
    latest_ = ct;

    bool applied = false;
    bool speed_changed = false;
    if (available) {
        const double speed = *ct.timeline_speed_multiplier;
        const clock::correlation c{static_cast<tick_t>(ct.wall_clock_time),
                                   static_cast<tick_t>(*ct.content_time), 0.0, 0.0};
        speed_changed = timeline_->speed() != speed;
        applied =
            timeline_->is_change_significant(c, speed, static_cast<double>(options_.threshold_ns));
        // When the timeline becomes available, the clock's correlation is stale (left from
        // construction or an earlier period): take the TV's exactly, even within the threshold.
        const bool differs = timeline_->correlation() != c || speed_changed;
        if (applied || (!timeline_available_ && differs))
            timeline_->set_correlation_and_speed(c, speed);
        if (applied)
            ++changes_;
    }
    const bool availability_changed = available != timeline_available_;
    if (availability_changed) {
        timeline_available_ = available;
        timeline_->set_availability(available);
    }

    if (applied && handlers_.timing_change)
        handlers_.timing_change(speed_changed);
    if (availability_changed) {
        if (available && handlers_.available)
            handlers_.available();
        else if (!available && handlers_.unavailable)
            handlers_.unavailable();
    }
    return {};
}

void clock_controller::on_disconnected() {
    if (!timeline_available_)
        return;
    timeline_available_ = false;
    timeline_->set_availability(false);
    if (handlers_.unavailable)
        handlers_.unavailable();
}

apt_ept_lpt clock_controller::make_apt_ept_lpt(bool include_actual) const {
    const clock::clock_base& wall = *timeline_->parent();
    const auto wall_now = to_int64(wall.ticks());
    const tick_t wall_t = wall_now ? static_cast<tick_t>(*wall_now) : wall.ticks();
    const auto content_now =
        wall_now ? to_int64(timeline_->from_parent_ticks(wall_t)) : std::nullopt;

    apt_ept_lpt m;
    m.earliest.content_time = content_now.value_or(0);
    m.latest.content_time = content_now.value_or(0);
    if (!wall_now)
        return m;

    if (include_actual && timeline_->is_available() && content_now)
        m.actual = presentation_timestamp{*content_now, wall_time::at(*wall_now)};

    const auto bound = [&](const clock::clock_base* clk) -> std::optional<presentation_timestamp> {
        if (clk == nullptr || !clk->is_available())
            return std::nullopt;
        const auto t = content_time_at(wall, *clk, wall_t);
        if (!t)
            return std::nullopt;
        return presentation_timestamp{*t, wall_time::at(*wall_now)};
    };
    if (auto e = bound(options_.earliest))
        m.earliest = *e;
    if (auto l = bound(options_.latest))
        m.latest = *l;
    return m;
}

std::string clock_controller::status_summary() const {
    if (!latest_)
        return "Nothing received from TV yet.";
    if (!timeline_->is_available())
        return "Status: NOT available.  Speed = -----  Timeline position = ----------     ";
    const double position =
        static_cast<double>(timeline_->ticks() / static_cast<tick_t>(timeline_->tick_rate()));
    char buf[128];
    std::snprintf(buf, sizeof buf,
                  "Status: AVAILABLE.      Speed = %5.2f  Timeline position = %10.3f secs",
                  timeline_->speed(), position);
    return buf;
}

timeline_follower::timeline_follower(setup_data setup, clock::correlated_clock& timeline,
                                     clock_controller_options options,
                                     client_handlers client_callbacks,
                                     clock_controller_handlers clock_callbacks)
    : user_(std::move(client_callbacks))
    , controller_(timeline, options, std::move(clock_callbacks))
    , client_(std::move(setup)) {
    client_handlers inner;
    inner.connected = [this] {
        if (user_.connected)
            user_.connected();
    };
    inner.disconnected = [this](std::uint16_t code, std::string_view reason) {
        controller_.on_disconnected();
        if (user_.disconnected)
            user_.disconnected(code, reason);
    };
    inner.control_timestamp = [this](const control_timestamp& ct) {
        const auto ec = controller_.on_control_timestamp(ct);
        if (ec) {
            if (user_.protocol_error)
                user_.protocol_error(ec, {});
            return;
        }
        if (user_.control_timestamp)
            user_.control_timestamp(ct);
    };
    inner.protocol_error = [this](error_code ec, std::string_view text) {
        if (user_.protocol_error)
            user_.protocol_error(ec, text);
    };
    client_.set_handlers(std::move(inner));
}

bool timeline_follower::send_apt_ept_lpt(bool include_actual) {
    if (!client_.connected())
        return false;
    return client_.send_apt_ept_lpt(controller_.make_apt_ept_lpt(include_actual));
}

} // namespace dvbcss::ts
