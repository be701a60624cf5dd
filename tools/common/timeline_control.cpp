#include "common/timeline_control.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace dvbcss::tools {

void pause_timeline(clock::correlated_clock& timeline) {
    set_timeline_speed(timeline, 0.0);
}

void set_timeline_speed(clock::correlated_clock& timeline, double speed) {
    // Re-correlate at the parent's current tick value, so the position is continuous.
    const auto parent_now = timeline.parent()->ticks();
    const auto here = timeline.from_parent_ticks(parent_now);
    auto c = timeline.correlation().with_parent_ticks(parent_now).with_child_ticks(here);
    timeline.set_correlation_and_speed(c, speed);
}

void jump_timeline(clock::correlated_clock& timeline, std::int64_t delta_ticks) {
    auto c = timeline.correlation();
    c.child_ticks += static_cast<tick_t>(delta_ticks);
    timeline.set_correlation(c);
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<double> parse_number(std::string_view s) {
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    double v = 0;
    const auto* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

} // namespace

std::optional<console_command> parse_console_command(std::string_view line, std::string& error) {
    error.clear();
    line = trim(line);
    if (line.empty() || line.front() == '#') {
        return std::nullopt;
    }
    const auto space = line.find(' ');
    const auto word = line.substr(0, space);
    const auto arg =
        space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
    const auto need_arg = [&](std::string_view what) {
        error = std::string(word) + " needs " + std::string(what);
        return std::nullopt;
    };
    if (word == "pause") {
        return command::pause{};
    }
    if (word == "play" || word == "resume") {
        return command::play{};
    }
    if (word == "stats") {
        return command::stats{};
    }
    if (word == "help" || word == "?") {
        return command::help{};
    }
    if (word == "quit" || word == "exit") {
        return command::quit{};
    }
    if (word == "speed") {
        if (arg.empty()) {
            return need_arg("a number, e.g. speed 2");
        }
        if (const auto v = parse_number(arg)) {
            if (std::abs(*v) > max_speed) {
                error = "speed must be between -" + std::to_string(static_cast<int>(max_speed)) +
                        " and " + std::to_string(static_cast<int>(max_speed));
                return std::nullopt;
            }
            return command::speed{*v};
        }
        error = "speed: not a number: " + std::string(arg);
        return std::nullopt;
    }
    if (word == "seek" || word == "tweak") {
        if (arg.empty()) {
            return need_arg(word == "seek" ? "seconds, e.g. seek +5"
                                           : "milliseconds, e.g. tweak -20");
        }
        auto number = arg;
        if (word == "tweak" && number.size() > 2 && number.substr(number.size() - 2) == "ms") {
            number.remove_suffix(2);
        }
        if (const auto v = parse_number(number)) {
            const double seconds = word == "seek" ? *v : *v / 1000.0;
            if (std::abs(seconds) > max_jump_seconds) {
                error = std::string(word) + ": at most " +
                        std::to_string(static_cast<long>(max_jump_seconds)) +
                        " s (a day) either way";
                return std::nullopt;
            }
            return command::seek_by{seconds};
        }
        error = std::string(word) + ": not a number: " + std::string(arg);
        return std::nullopt;
    }
    if (word == "unavailable" || word == "available") {
        if (arg.empty()) {
            return need_arg("a timeline selector, e.g. temi:1:1");
        }
        return command::availability{std::string(arg), word == "available"};
    }
    if (word == "content") {
        return command::content{arg == "(none)" ? std::string() : std::string(arg)};
    }
    error = "unknown command: " + std::string(word) + " (try help)";
    return std::nullopt;
}

std::string_view console_help() {
    return "commands (one per line on standard input):\n"
           "  pause | play | speed X          pause, resume, or play at speed X\n"
           "  seek +S | seek -S               jump the timelines by S seconds\n"
           "  tweak MS                        jump by MS milliseconds (signed)\n"
           "  unavailable SEL | available SEL make a timeline (un)available (pts, temi:1:1, ...)\n"
           "  content ID | content (none)     show another content id, or none\n"
           "  stats                           wall clock server figures (JSON), then reset\n"
           "  help | quit\n";
}

} // namespace dvbcss::tools
