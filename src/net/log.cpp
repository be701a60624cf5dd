#include <dvbcss/net/log.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <string>

namespace dvbcss::net::log {
namespace {

std::atomic<level> g_level{level::warning};
std::mutex g_mutex;
sink g_sink; // guarded by g_mutex

void default_sink(level l, std::string_view logger, std::string_view message) {
    std::string line;
    line.reserve(logger.size() + message.size() + 16);
    line.append(level_name(l)).append(":").append(logger).append(":").append(message).append("\n");
    std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace

void set_level(level l) {
    g_level.store(l, std::memory_order_relaxed);
}

level current_level() {
    return g_level.load(std::memory_order_relaxed);
}

bool enabled(level l) {
    return l >= current_level() && l != level::off;
}

void set_sink(sink s) {
    const std::lock_guard lock(g_mutex);
    g_sink = std::move(s);
}

void write(level l, std::string_view logger, std::string_view message) {
    if (!enabled(l)) {
        return;
    }
    const std::lock_guard lock(g_mutex);
    if (g_sink) {
        g_sink(l, logger, message);
    } else {
        default_sink(l, logger, message);
    }
}

std::optional<level> parse_level(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "debug") {
        return level::debug;
    }
    if (lower == "info") {
        return level::info;
    }
    if (lower == "warning" || lower == "warn") {
        return level::warning;
    }
    if (lower == "error") {
        return level::error;
    }
    if (lower == "critical") {
        return level::critical;
    }
    if (lower == "off" || lower == "none") {
        return level::off;
    }
    return std::nullopt;
}

std::string_view level_name(level l) {
    switch (l) {
    case level::debug:
        return "DEBUG";
    case level::info:
        return "INFO";
    case level::warning:
        return "WARNING";
    case level::error:
        return "ERROR";
    case level::critical:
        return "CRITICAL";
    case level::off:
        return "OFF";
    }
    return "?";
}

} // namespace dvbcss::net::log
