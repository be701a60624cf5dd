#pragma once

/// The transport layer's log: one line per notable event (a bad datagram ignored, a connection
/// closed for a reason). The core never logs; it returns errors that the transport logs here.
///
/// Thread safety: every function is safe from any thread; lines are written whole.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dvbcss::net::log {

/// Severity, in increasing order (the reference's names: debug, info, warning, error, critical).
enum class level {
    debug = 10,
    info = 20,
    warning = 30,
    error = 40,
    critical = 50,
    off = 100,
};

/// Receives finished lines. The default writes "LEVEL:logger:message" to standard error.
using sink = std::function<void(level, std::string_view logger, std::string_view message)>;

/// Lines below this level are dropped (default: warning, as the reference's examples).
void set_level(level l);
[[nodiscard]] level current_level();
[[nodiscard]] bool enabled(level l);

/// Replaces the sink (nullptr restores the default).
void set_sink(sink s);

/// Writes one line if `l` is enabled.
void write(level l, std::string_view logger, std::string_view message);

/// Parses a level name case-insensitively: debug, info, warning (or warn), error, critical, off.
[[nodiscard]] std::optional<level> parse_level(std::string_view name);

[[nodiscard]] std::string_view level_name(level l);

} // namespace dvbcss::net::log
