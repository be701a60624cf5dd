#pragma once

/// The web pages tv-device serves (the companion page at "/", the live status page), compiled
/// into the program from the repository's `web/` folder, so nothing is fetched or looked up at
/// run time.

#include <optional>
#include <string_view>

namespace dvbcss::tools {

/// One embedded file.
struct web_asset {
    std::string_view path;         ///< URL path, e.g. "/companion.js" ("/" for index.html).
    std::string_view content_type; ///< e.g. "text/javascript; charset=utf-8".
    std::string_view body;
};

/// The embedded file served at URL `path` ("/" and "/index.html" give the companion page), or
/// nothing. Thread safety: safe from any thread (static data).
[[nodiscard]] std::optional<web_asset> find_web_asset(std::string_view path);

} // namespace dvbcss::tools
