#pragma once

/// What a pretend TV does to its timeline clocks: pause, resume, jump, change speed. Shared by
/// ts-server and tv-device.

#include <dvbcss/clock/correlated_clock.hpp>

#include <cstdint>

namespace dvbcss::tools {

/// What the pretend TVs (ts-server, tv-device) show: the reference's content id and the
/// selectors of the PTS timeline and of the TEMI timeline that follows it.
inline constexpr const char* pretend_content_id =
    "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M";
inline constexpr const char* pts_selector = "urn:dvb:css:timeline:pts";
inline constexpr const char* temi_selector = "urn:dvb:css:timeline:temi:1:1";

/// Freezes `timeline` at its current position (speed 0), in one notification.
void pause_timeline(clock::correlated_clock& timeline);

/// Sets the speed of `timeline` so that it continues from its current position (a pause at speed
/// 0, playing at 1, trick play at other values), in one notification.
void set_timeline_speed(clock::correlated_clock& timeline, double speed);

/// Moves `timeline` by `delta_ticks` (positive: forwards) without changing its speed.
void jump_timeline(clock::correlated_clock& timeline, std::int64_t delta_ticks);

/// The console's commands, the scenario files and tv-device's `POST /control` share one
/// vocabulary of changes: see dvbcss/tv/scenario.hpp (`tv::parse_console_line`,
/// `tv::parse_changes`) and its limits (`tv::scenario_limits`).

} // namespace dvbcss::tools
