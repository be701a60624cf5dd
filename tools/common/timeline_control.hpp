#pragma once

/// What a pretend TV does to its timelines: pause, resume, jump, change speed, make a timeline
/// (un)available, switch content. Shared by ts-server and tv-device, and by the command console
/// that lets a test engineer drive tv-device from its standard input.

#include <dvbcss/clock/correlated_clock.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

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

/// One line of the command console. Positions are in seconds of the timeline; the selector names
/// a timeline ("pts", "temi:1:1" or a full selector).
namespace command {
struct pause {};

struct play {};

struct speed {
    double value = 1.0;
};

struct seek_by {
    double seconds = 0; ///< Relative jump, e.g. "seek +5" or "tweak 20ms".
};

struct availability {
    std::string selector;
    bool available = true;
};

struct content {
    std::string content_id; ///< Empty: no content (CII contentId null).
};

struct stats {}; ///< Print the wall clock server's processing delay figures, then reset them.

struct help {};

struct quit {};
} // namespace command

using console_command = std::variant<command::pause, command::play, command::speed,
                                     command::seek_by, command::availability, command::content,
                                     command::stats, command::help, command::quit>;

/// Limits of the console's jumps and speeds, so that no timeline leaves the 64-bit range the
/// protocol carries: a jump of at most a day either way, a speed of at most 100 either way.
inline constexpr double max_jump_seconds = 86400;
inline constexpr double max_speed = 100;

/// Parses one console line:
///   pause | play | speed X | seek +S / seek -S | tweak MS (milliseconds, signed)
///   unavailable SELECTOR | available SELECTOR | content ID | content (none) | stats | help |
///   quit
/// Returns nullopt and sets `error` to a one-line reason for anything else. Blank lines and lines
/// starting with '#' give nullopt with an empty error.
[[nodiscard]] std::optional<console_command> parse_console_command(std::string_view line,
                                                                   std::string& error);

/// The help text listing the console commands.
[[nodiscard]] std::string_view console_help();

} // namespace dvbcss::tools
