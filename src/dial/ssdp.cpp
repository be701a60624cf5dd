#include "dial/ascii.hpp"

#include <dvbcss/dial/ssdp.hpp>

#include <climits>
#include <stdexcept>

namespace dvbcss::dial {
namespace {

using detail::iequals;
using detail::trim;

enum class start_kind {
    search,
    response,
    notify
};

// Printable ASCII (no space): the bytes a header name may hold.
bool is_name_byte(char c) noexcept {
    return c > 0x20 && c < 0x7f;
}

// Printable ASCII, space or tab: the bytes a header value may hold.
bool is_value_byte(char c) noexcept {
    return (c >= 0x20 && c < 0x7f) || c == '\t';
}

// Splits `text` at runs of spaces; at most `n` pieces, the last keeping the rest.
std::size_t split_words(std::string_view text, std::string_view* out, std::size_t n) {
    std::size_t count = 0;
    while (!text.empty() && count < n) {
        while (!text.empty() && text.front() == ' ') {
            text.remove_prefix(1);
        }
        if (text.empty()) {
            break;
        }
        if (count + 1 == n) {
            out[count++] = text;
            break;
        }
        const auto end = text.find(' ');
        out[count++] = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end);
    }
    return count;
}

bool is_http_version(std::string_view word) noexcept {
    return iequals(word, "HTTP/1.1") || iequals(word, "HTTP/1.0");
}

result<start_kind> parse_start_line(std::string_view line) {
    for (const char c : line) {
        if (!is_value_byte(c)) {
            return error_code(errc::bad_message_type);
        }
    }
    std::string_view words[3];
    const auto count = split_words(line, words, 3);
    if (count >= 2 && is_http_version(words[0])) {
        if (words[1] == "200") {
            return start_kind::response;
        }
        return error_code(errc::bad_message_type);
    }
    if (count == 3 && words[1] == "*" && is_http_version(trim(words[2]))) {
        if (iequals(words[0], "M-SEARCH")) {
            return start_kind::search;
        }
        if (iequals(words[0], "NOTIFY")) {
            return start_kind::notify;
        }
    }
    return error_code(errc::bad_message_type);
}

// Decimal digits only, saturating at INT_MAX. Empty or other bytes: nullopt.
std::optional<int> parse_digits(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    long long value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
        if (value > INT_MAX) {
            value = INT_MAX;
        }
    }
    return static_cast<int>(value);
}

// "max-age=N" (spaces around '=' allowed) among CACHE-CONTROL's comma-separated directives.
int parse_max_age(std::optional<std::string_view> cache_control) {
    constexpr int fallback = 1800;
    if (!cache_control) {
        return fallback;
    }
    std::string_view rest = *cache_control;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto directive = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        const auto eq = directive.find('=');
        if (eq == std::string_view::npos || !iequals(trim(directive.substr(0, eq)), "max-age")) {
            continue;
        }
        const auto value = parse_digits(trim(directive.substr(eq + 1)));
        return value && *value < INT_MAX ? *value : fallback;
    }
    return fallback;
}

// A required field: absent or empty is missing_field.
result<std::string> required(const ssdp_headers& headers, std::string_view name) {
    const auto value = headers.get(name);
    if (!value || value->empty()) {
        return error_code(errc::missing_field);
    }
    return std::string(*value);
}

std::string optional_field(const ssdp_headers& headers, std::string_view name) {
    return std::string(headers.get(name).value_or(std::string_view{}));
}

result<ssdp_message> make_search(ssdp_headers headers) {
    const auto man = headers.get("MAN");
    if (!man) {
        return error_code(errc::missing_field);
    }
    if (*man != "\"ssdp:discover\"" && *man != "ssdp:discover") {
        return error_code(errc::bad_field_value);
    }
    auto st = required(headers, "ST");
    if (!st) {
        return st.error();
    }
    int mx = 1; // MX absent (a unicast search has none): answer within 1 s.
    if (const auto mx_text = headers.get("MX")) {
        const auto value = parse_digits(*mx_text);
        if (!value) {
            return error_code(errc::bad_field_value);
        }
        mx = *value < 1 ? 1 : (*value > 5 ? 5 : *value);
    }
    ssdp_search search;
    search.search_target = std::move(*st);
    search.mx_s = mx;
    search.man = std::string(*man);
    search.host = optional_field(headers, "HOST");
    search.user_agent = optional_field(headers, "USER-AGENT");
    search.headers = std::move(headers);
    return ssdp_message(std::move(search));
}

result<ssdp_message> make_response(ssdp_headers headers) {
    auto location = required(headers, "LOCATION");
    if (!location) {
        return location.error();
    }
    auto st = required(headers, "ST");
    if (!st) {
        return st.error();
    }
    auto usn = required(headers, "USN");
    if (!usn) {
        return usn.error();
    }
    ssdp_search_response response;
    response.location = std::move(*location);
    response.search_target = std::move(*st);
    response.usn = std::move(*usn);
    response.max_age_s = parse_max_age(headers.get("CACHE-CONTROL"));
    response.server = optional_field(headers, "SERVER");
    response.headers = std::move(headers);
    return ssdp_message(std::move(response));
}

result<ssdp_message> make_notify(ssdp_headers headers) {
    auto nt = required(headers, "NT");
    if (!nt) {
        return nt.error();
    }
    const auto nts = headers.get("NTS");
    if (!nts || nts->empty()) {
        return error_code(errc::missing_field);
    }
    auto usn = required(headers, "USN");
    if (!usn) {
        return usn.error();
    }
    ssdp_notify notify;
    if (iequals(*nts, "ssdp:alive")) {
        notify.alive = true;
    } else if (iequals(*nts, "ssdp:byebye")) {
        notify.alive = false;
    } else {
        return error_code(errc::bad_field_value);
    }
    notify.notification_type = std::move(*nt);
    notify.usn = std::move(*usn);
    if (notify.alive) {
        auto location = required(headers, "LOCATION");
        if (!location) {
            return location.error();
        }
        notify.location = std::move(*location);
        notify.max_age_s = parse_max_age(headers.get("CACHE-CONTROL"));
        notify.server = optional_field(headers, "SERVER");
    }
    notify.headers = std::move(headers);
    return ssdp_message(std::move(notify));
}

// Appends "NAME: value\r\n"; CR or LF in the value would start a new header.
void append_field(std::string& out, std::string_view name, std::string_view value) {
    if (value.find_first_of("\r\n") != std::string_view::npos) {
        throw std::invalid_argument("SSDP header value contains CR or LF: " + std::string(name));
    }
    out.append(name).append(": ").append(value).append("\r\n");
}

void append_max_age(std::string& out, int max_age_s) {
    append_field(out, "CACHE-CONTROL", "max-age=" + std::to_string(max_age_s));
}

} // namespace

std::optional<std::string_view> ssdp_headers::get(std::string_view name) const {
    for (const auto& [field, value] : fields) {
        if (iequals(field, name)) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

result<ssdp_message> parse_ssdp(std::string_view datagram, const ssdp_limits& limits) {
    if (datagram.size() > limits.max_datagram_bytes) {
        return error_code(errc::message_too_large);
    }
    // Next line without its CRLF or bare LF; the last line may lack an end.
    const auto next_line = [&datagram]() {
        const auto end = datagram.find('\n');
        std::string_view line = datagram.substr(0, end);
        datagram = end == std::string_view::npos ? std::string_view{} : datagram.substr(end + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        return line;
    };
    if (datagram.empty()) {
        return error_code(errc::bad_message_type);
    }
    const auto kind = parse_start_line(next_line());
    if (!kind) {
        return kind.error();
    }
    ssdp_headers headers;
    while (!datagram.empty()) {
        const auto line = next_line();
        if (line.empty()) {
            break; // end of the header section; SSDP has no body, anything after is ignored
        }
        if (line.front() == ' ' || line.front() == '\t') {
            return error_code(errc::bad_field_value); // obsolete line folding
        }
        if (headers.fields.size() >= limits.max_headers) {
            return error_code(errc::message_too_large);
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            return error_code(errc::bad_field_value);
        }
        const auto name = trim(line.substr(0, colon));
        const auto value = trim(line.substr(colon + 1));
        if (name.empty()) {
            return error_code(errc::bad_field_value);
        }
        for (const char c : name) {
            if (!is_name_byte(c)) {
                return error_code(errc::bad_field_value);
            }
        }
        for (const char c : value) {
            if (!is_value_byte(c)) {
                return error_code(errc::bad_field_value);
            }
        }
        if (value.size() > limits.max_header_value_bytes) {
            return error_code(errc::message_too_large);
        }
        headers.fields.emplace_back(std::string(name), std::string(value));
    }
    switch (*kind) {
    case start_kind::search:
        return make_search(std::move(headers));
    case start_kind::response:
        return make_response(std::move(headers));
    case start_kind::notify:
        return make_notify(std::move(headers));
    }
    return error_code(errc::bad_message_type);
}

std::string format_ssdp(const ssdp_search& message) {
    std::string out = "M-SEARCH * HTTP/1.1\r\n";
    append_field(out, "HOST", "239.255.255.250:1900");
    append_field(out, "MAN", "\"ssdp:discover\"");
    append_field(out, "MX", std::to_string(message.mx_s));
    append_field(out, "ST", message.search_target);
    if (!message.user_agent.empty()) {
        append_field(out, "USER-AGENT", message.user_agent);
    }
    out += "\r\n";
    return out;
}

std::string format_ssdp(const ssdp_search_response& message) {
    std::string out = "HTTP/1.1 200 OK\r\n";
    append_max_age(out, message.max_age_s);
    out += "EXT:\r\n";
    append_field(out, "LOCATION", message.location);
    if (!message.server.empty()) {
        append_field(out, "SERVER", message.server);
    }
    append_field(out, "ST", message.search_target);
    append_field(out, "USN", message.usn);
    out += "\r\n";
    return out;
}

std::string format_ssdp(const ssdp_notify& message) {
    std::string out = "NOTIFY * HTTP/1.1\r\n";
    append_field(out, "HOST", "239.255.255.250:1900");
    if (message.alive) {
        append_max_age(out, message.max_age_s);
        append_field(out, "LOCATION", message.location);
    }
    append_field(out, "NT", message.notification_type);
    append_field(out, "NTS", message.alive ? "ssdp:alive" : "ssdp:byebye");
    if (message.alive && !message.server.empty()) {
        append_field(out, "SERVER", message.server);
    }
    append_field(out, "USN", message.usn);
    out += "\r\n";
    return out;
}

bool search_target_matches(std::string_view search_target, std::string_view service_type,
                           std::string_view udn) {
    if (search_target == "ssdp:all" || search_target == "upnp:rootdevice" ||
        search_target == service_type) {
        return true;
    }
    // A UUID's hex digits compare case-insensitively (RFC 4122 §3); the "uuid:" prefix exactly.
    constexpr std::string_view prefix = "uuid:";
    return udn.size() > prefix.size() && search_target.starts_with(prefix) &&
           udn.starts_with(prefix) &&
           iequals(search_target.substr(prefix.size()), udn.substr(prefix.size()));
}

} // namespace dvbcss::dial
