#include <dvbcss/net/websocket_url.hpp>

#include <algorithm>
#include <cctype>

namespace dvbcss::net {

namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    });
}

} // namespace

std::string websocket_url::host_header() const {
    std::string result = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != 80) {
        result += ":" + std::to_string(port);
    }
    return result;
}

result<websocket_url> parse_websocket_url(std::string_view url) {
    constexpr std::string_view scheme = "ws://";
    if (!iequals_prefix(url, scheme)) {
        return make_error_code(errc::bad_field_value);
    }
    url.remove_prefix(scheme.size());
    if (const auto hash = url.find('#'); hash != std::string_view::npos) {
        url = url.substr(0, hash);
    }
    const auto path_start = url.find_first_of("/?");
    std::string_view authority = url.substr(0, path_start);
    websocket_url result;
    if (path_start != std::string_view::npos) {
        const auto rest = url.substr(path_start);
        result.target = rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
    }
    if (authority.find('@') != std::string_view::npos) {
        return make_error_code(errc::bad_field_value);
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos || close == 1) {
            return make_error_code(errc::bad_field_value);
        }
        result.host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return make_error_code(errc::bad_field_value);
            }
            port_text = after.substr(1);
        } else {
            port_text = {};
        }
        if (result.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
            return make_error_code(errc::bad_field_value);
        }
    } else {
        const auto colon = authority.find(':');
        result.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.find(':') != std::string_view::npos) {
                return make_error_code(errc::bad_field_value); // an unbracketed IPv6 literal
            }
        }
    }
    if (result.host.empty()) {
        return make_error_code(errc::bad_field_value);
    }
    if (authority.find(':') != std::string_view::npos && authority.back() == ':') {
        return make_error_code(errc::value_out_of_range); // "host:" has an empty port
    }
    if (!port_text.empty()) {
        if (port_text.size() > 5 ||
            port_text.find_first_not_of("0123456789") != std::string_view::npos) {
            return make_error_code(errc::value_out_of_range);
        }
        unsigned value = 0;
        for (const char c : port_text) {
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) {
            return make_error_code(errc::value_out_of_range);
        }
        result.port = static_cast<std::uint16_t>(value);
    }
    return result;
}

} // namespace dvbcss::net
