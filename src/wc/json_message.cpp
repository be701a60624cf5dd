#include "json/detail/codec.hpp"

#include <dvbcss/wc/json_message.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <new>

namespace dvbcss::wc {

namespace jd = dvbcss::json::detail;

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::uint64_t u32_max = 0xFFFF'FFFFU;
// 2^32 seconds: just past the largest time a u32 seconds field carries.
constexpr double wire_seconds_end = 4294967296.0;
// The largest precision the field can say: 2^127 seconds.
constexpr double max_precision_seconds = 1.7014118346046923e38;

// Reads a present integer field in 0..2^32-1.
errc read_u32(const nlohmann::json& v, std::uint32_t& out) noexcept {
    const auto r = jd::read_uint(v);
    if (!r) {
        return static_cast<errc>(r.error().value());
    }
    if (*r > u32_max) {
        return errc::value_out_of_range;
    }
    out = static_cast<std::uint32_t>(*r);
    return errc::ok;
}

// Reads a present non-negative JSON number (any spelling: integer, fraction, exponent).
errc read_non_negative(const nlohmann::json& v, double& out) noexcept {
    if (jd::is_out_of_range_number(v)) {
        return errc::value_out_of_range;
    }
    if (!v.is_number()) {
        return errc::bad_field_type;
    }
    const double d = v.get<double>();
    if (d < 0) {
        return errc::bad_field_value;
    }
    out = d == 0 ? 0.0 : d; // -0 reads as 0
    return errc::ok;
}

// Seconds (a double) to the nearest nanosecond, within [0, max_wire_ns]. Up to 2^32 s is
// accepted: the text 4294967295.999999999 (the largest wire time) reads as the double 2^32.
errc seconds_to_ns(double seconds, std::int64_t& out) noexcept {
    if (!(seconds <= wire_seconds_end)) {
        return errc::value_out_of_range;
    }
    // The whole part is exact in a double and the subtraction is exact, so only the scaling of
    // the fraction rounds (by at most half a nanosecond's worth of the double's last place).
    const double whole = std::floor(seconds);
    const double fraction = seconds - whole;
    const std::int64_t ns =
        static_cast<std::int64_t>(whole) * ns_per_s + std::llround(fraction * 1e9);
    out = std::min(ns, max_wire_ns);
    return errc::ok;
}

const nlohmann::json* find(const nlohmann::json& object, const char* key) noexcept {
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

errc decode_object(const nlohmann::json& j, message& m) noexcept {
    const auto* v = find(j, "v");
    const auto* t = find(j, "t");
    const auto* otvs = find(j, "otvs");
    const auto* otvn = find(j, "otvn");
    if (v == nullptr) {
        return errc::missing_field;
    }
    {
        const auto r = jd::read_uint(*v);
        if (!r) {
            const auto e = static_cast<errc>(r.error().value());
            return e == errc::bad_field_value ? errc::bad_version : e; // negative: not 0
        }
        if (*r != 0) {
            return errc::bad_version;
        }
    }
    if (t == nullptr) {
        return errc::missing_field;
    }
    {
        const auto r = jd::read_uint(*t);
        if (!r) {
            return static_cast<errc>(r.error().value());
        }
        if (*r > static_cast<unsigned long long>(message_type::followup)) {
            return errc::bad_message_type;
        }
        m.type = static_cast<message_type>(*r);
    }
    if (otvs == nullptr || otvn == nullptr) {
        return errc::missing_field;
    }
    if (const auto e = read_u32(*otvs, m.originate.seconds); e != errc::ok) {
        return e;
    }
    if (const auto e = read_u32(*otvn, m.originate.nanoseconds); e != errc::ok) {
        return e;
    }

    // p, mfe, rt, tt: required in a response, optional (0) in a request.
    const bool response = is_response(m.type);
    const std::array<const char*, 4> keys{"p", "mfe", "rt", "tt"};
    std::array<double, 4> values{};
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto* field = find(j, keys.at(i));
        if (field == nullptr) {
            if (response) {
                return errc::missing_field;
            }
            continue;
        }
        if (const auto e = read_non_negative(*field, values.at(i)); e != errc::ok) {
            return e;
        }
    }
    const double p = values[0];
    const double mfe = values[1];
    if (p > max_precision_seconds) {
        return errc::value_out_of_range;
    }
    m.precision = encode_precision(p);
    if (mfe * 256.0 > static_cast<double>(u32_max)) {
        return errc::value_out_of_range;
    }
    m.max_freq_error = encode_max_freq_error(mfe);
    if (const auto e = seconds_to_ns(values[2], m.receive_ns); e != errc::ok) {
        return e;
    }
    if (const auto e = seconds_to_ns(values[3], m.transmit_ns); e != errc::ok) {
        return e;
    }
    return errc::ok;
}

} // namespace

result<message> decode_json(std::string_view text) noexcept {
    if (text.size() > max_json_message_size) {
        return make_error_code(errc::message_too_large);
    }
    auto parsed = jd::parse_bounded(text);
    if (!parsed) {
        return parsed.error();
    }
    const nlohmann::json& j = *parsed;
    if (!j.is_object()) {
        return make_error_code(errc::bad_field_type);
    }
    try {
        message m;
        if (const auto e = decode_object(j, m); e != errc::ok) {
            return make_error_code(e);
        }
        return m;
    } catch (const nlohmann::json::exception&) {
        // Not expected: every access is type-checked first. A safety net, as promised.
        return make_error_code(errc::bad_field_type);
    }
}

result<message_bytes> bytes_from_json(std::string_view text) noexcept {
    auto m = decode_json(text);
    if (!m) {
        return m.error();
    }
    return encode(*m);
}

void append_seconds(std::string& out, std::int64_t ns) {
    ns = std::clamp<std::int64_t>(ns, 0, max_wire_ns);
    jd::append_uint(out, static_cast<unsigned long long>(ns / ns_per_s));
    auto fraction = static_cast<std::uint32_t>(ns % ns_per_s);
    std::array<char, 10> digits{};
    digits[0] = '.';
    for (std::size_t i = digits.size() - 1; i > 0; --i) {
        digits.at(i) = static_cast<char>('0' + fraction % 10);
        fraction /= 10;
    }
    out.append(digits.data(), digits.size());
}

std::string encode_json_head(const message& m) {
    std::string out;
    out.reserve(160);
    out += "{\"v\":0,\"t\":";
    jd::append_uint(out, static_cast<unsigned long long>(m.type));
    out += ",\"p\":";
    jd::append_double(out, decode_precision(m.precision)); // 2^-128 .. 2^127: finite, exact
    out += ",\"mfe\":";
    jd::append_double(out, decode_max_freq_error(m.max_freq_error)); // v / 256: exact
    out += ",\"otvs\":";
    jd::append_uint(out, m.originate.seconds);
    out += ",\"otvn\":";
    jd::append_uint(out, m.originate.nanoseconds);
    out += ",\"rt\":";
    append_seconds(out, m.receive_ns);
    out += ",\"tt\":";
    return out;
}

std::string encode_json(const message& m) {
    auto out = encode_json_head(m);
    append_seconds(out, m.transmit_ns);
    out.push_back('}');
    return out;
}

result<std::string> json_from_bytes(std::span<const std::byte> bytes) {
    const auto m = decode(bytes);
    if (!m) {
        return m.error();
    }
    return encode_json(*m);
}

} // namespace dvbcss::wc
