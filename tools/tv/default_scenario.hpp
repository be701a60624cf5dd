#pragma once

/// tv-device's built-in scenario: the text of scenarios/default.json, compiled in at build time so
/// the program needs no file to start.

#include <string_view>

namespace dvbcss::tools {

/// The JSON text of scenarios/default.json. Thread safety: static data.
[[nodiscard]] std::string_view default_scenario_text() noexcept;

} // namespace dvbcss::tools
