#include "json/detail/codec.hpp"

#include <dvbcss/limits.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace dvbcss::json::detail {

result<nlohmann::json> parse_bounded(std::string_view text) noexcept {
    if (text.size() > limits::max_json_message_bytes)
        return make_error_code(errc::message_too_large);
    try {
        bool too_deep = false;
        // The callback sees each container start with the number of containers around it; refusing
        // one discards it (and everything inside) while the iterative parser carries on, so the
        // DOM never holds more than max_json_depth levels.
        auto limit = [&too_deep](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
            const bool opens = event == nlohmann::json::parse_event_t::object_start ||
                               event == nlohmann::json::parse_event_t::array_start;
            if (opens && depth >= limits::max_json_depth) {
                too_deep = true;
                return false;
            }
            return !too_deep;
        };
        auto j = nlohmann::json::parse(text.begin(), text.end(), limit,
                                       /*allow_exceptions=*/false, /*ignore_comments=*/false);
        if (too_deep || j.is_discarded())
            return make_error_code(errc::bad_json);
        return j;
    } catch (const nlohmann::json::exception&) {
        return make_error_code(errc::bad_json);
    } catch (const std::bad_alloc&) {
        return make_error_code(errc::message_too_large);
    }
}

raw_json to_raw_json(const nlohmann::json& bounded) {
    // Keys come out sorted (nlohmann stores objects in a std::map), without whitespace.
    return raw_json(bounded.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    trusted_text_tag{});
}

result<private_data> to_private_data(const nlohmann::json& bounded) {
    if (!bounded.is_array())
        return make_error_code(errc::bad_field_type);
    for (const auto& item : bounded) {
        if (!item.is_object())
            return make_error_code(errc::bad_field_type);
        const auto type = item.find("type");
        if (type == item.end())
            return make_error_code(errc::missing_field);
        if (!type->is_string())
            return make_error_code(errc::bad_field_type);
    }
    return private_data(to_raw_json(bounded), trusted_text_tag{});
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not one
// (overlong forms, surrogates and values above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) {
        return static_cast<unsigned char>(s[k]);
    };
    const unsigned char b0 = byte(i);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi)
        return 0;
    for (std::size_t k = 2; k < len; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    }
    return len;
}

} // namespace

void append_string(std::string& out, std::string_view s) {
    static constexpr std::array<char, 16> hex{'0', '1', '2', '3', '4', '5', '6', '7',
                                              '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t len = utf8_sequence_length(s, i);
            if (len == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(s.substr(i, len));
                i += len;
            }
            continue;
        }
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out.push_back(hex[c >> 4U]);
                out.push_back(hex[c & 0xFU]);
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
        ++i;
    }
    out.push_back('"');
}

void append_double(std::string& out, double v) {
    if (!std::isfinite(v))
        throw std::invalid_argument("JSON cannot represent a non-finite number");
    std::array<char, 32> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    if (ec != std::errc{})
        throw std::logic_error("to_chars failed for a finite double");
    out.append(buf.data(), end);
}

void append_uint(std::string& out, unsigned long long v) {
    std::array<char, 24> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    if (ec != std::errc{})
        throw std::logic_error("to_chars failed for an integer");
    out.append(buf.data(), end);
}

result<unsigned long long> read_uint(const nlohmann::json& v) noexcept {
    if (v.is_number_unsigned())
        return v.get<nlohmann::json::number_unsigned_t>();
    if (v.is_number_integer()) // signed, so negative (non-negative ones parse as unsigned)
        return make_error_code(errc::bad_field_value);
    if (v.is_number_float()) {
        // Written with a fraction or exponent ("1.0", "3e2"), or a whole number beyond what the
        // integer types hold. A whole value is accepted as the integer it equals.
        const double d = v.get<double>();
        if (std::trunc(d) != d)
            return make_error_code(errc::bad_field_type);
        if (d < 0)
            return make_error_code(errc::bad_field_value);
        if (d >= 18446744073709551616.0) // 2^64
            return make_error_code(errc::value_out_of_range);
        return static_cast<unsigned long long>(d);
    }
    return make_error_code(errc::bad_field_type);
}

} // namespace dvbcss::json::detail
