#include "json/detail/codec.hpp"

#include <dvbcss/ts/message.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace dvbcss::ts {

namespace jd = json::detail;

namespace {

constexpr std::string_view minus_infinity_text = "minusinfinity";
constexpr std::string_view plus_infinity_text = "plusinfinity";

// A decode failure: its error and the JSON path of the property at fault ("" for the whole text).
struct failure {
    errc code = errc::ok;
    std::string field;
};

// Reports `f` through `detail` (if given) and turns it into the error code the decoders return.
error_code report(const failure& f, decode_detail* detail) {
    if (detail != nullptr)
        detail->field = f.field;
    return make_error_code(f.code);
}

std::string join(std::string_view parent, std::string_view key) {
    std::string path(parent);
    if (!path.empty())
        path.push_back('.');
    path += key;
    return path;
}

// The canonical decimal form `^(0|-?[1-9][0-9]*)$`, nothing else: no sign on zero, no leading
// zeros or '+', no whitespace, no trailing newline.
bool canonical_decimal(std::string_view s) noexcept {
    if (s == "0")
        return true;
    std::size_t i = 0;
    if (i < s.size() && s[i] == '-')
        ++i;
    if (i == s.size() || s[i] < '1' || s[i] > '9')
        return false;
    for (++i; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

// Reads a present (non-null) integer property: a canonical decimal string within int64.
errc read_int64(const nlohmann::json& v, std::int64_t& out) noexcept {
    if (jd::is_out_of_range_number(v))
        return errc::value_out_of_range;
    if (!v.is_string())
        return errc::bad_field_type;
    const std::string& s = v.get_ref<const std::string&>();
    if (!canonical_decimal(s))
        return errc::bad_field_value;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc::result_out_of_range)
        return errc::value_out_of_range;
    if (ec != std::errc{} || end != s.data() + s.size())
        return errc::bad_field_value;
    return errc::ok;
}

// Which infinity, if any, a presentation timestamp's wallClockTime may hold.
enum class allowed_infinity : std::uint8_t {
    none,
    minus,
    plus,
};

errc read_wall_time(const nlohmann::json& v, allowed_infinity allowed, wall_time& out) noexcept {
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        if (s == minus_infinity_text || s == plus_infinity_text) {
            const bool minus = s == minus_infinity_text;
            if (allowed != (minus ? allowed_infinity::minus : allowed_infinity::plus))
                return errc::bad_field_value;
            out = minus ? wall_time::minus_infinity() : wall_time::plus_infinity();
            return errc::ok;
        }
    }
    std::int64_t ns = 0;
    if (const errc e = read_int64(v, ns); e != errc::ok)
        return e;
    out = wall_time::at(ns);
    return errc::ok;
}

// Looks up a required member of `object`; `path` is the member's path for the error.
const nlohmann::json* required(const nlohmann::json& object, std::string_view key,
                               const std::string& path, failure& f) {
    const auto it = object.find(key);
    if (it == object.end()) {
        f = {errc::missing_field, path};
        return nullptr;
    }
    return &*it;
}

const nlohmann::json* optional_member(const nlohmann::json& object, std::string_view key) {
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

// Parses the text and checks that the top level is an object.
result<nlohmann::json> parse_object(std::string_view text, failure& f) {
    auto parsed = jd::parse_bounded(text);
    if (!parsed) {
        f.code = static_cast<errc>(parsed.error().value());
        return parsed.error();
    }
    if (!parsed->is_object()) {
        f.code = errc::bad_json;
        return make_error_code(errc::bad_json);
    }
    return parsed;
}

// Reads a present property that must be a string.
errc read_string(const nlohmann::json& v, std::string& out) {
    if (jd::is_out_of_range_number(v))
        return errc::value_out_of_range;
    if (!v.is_string())
        return errc::bad_field_type;
    out = v.get_ref<const std::string&>();
    return errc::ok;
}

// ---- the three messages ----

failure decode_setup(const nlohmann::json& j, setup_data& m) {
    failure f;
    for (auto [key, member] :
         {std::pair{std::string_view("contentIdStem"), &m.content_id_stem},
          std::pair{std::string_view("timelineSelector"), &m.timeline_selector}}) {
        const std::string path(key);
        const auto* v = required(j, key, path, f);
        if (v == nullptr)
            return f;
        if (const errc e = read_string(*v, *member); e != errc::ok)
            return {e, path};
    }
    if (const auto* v = optional_member(j, "private")) {
        auto p = jd::to_private_data(*v);
        if (!p)
            return {static_cast<errc>(p.error().value()), "private"};
        m.private_data = std::move(*p);
    }
    return f;
}

failure decode_control(const nlohmann::json& j, control_timestamp& m) {
    failure f;
    const auto* content = required(j, "contentTime", "contentTime", f);
    if (content == nullptr)
        return f;
    if (!content->is_null()) {
        std::int64_t ticks = 0;
        if (const errc e = read_int64(*content, ticks); e != errc::ok)
            return {e, "contentTime"};
        m.content_time = ticks;
    }

    const auto* wall = required(j, "wallClockTime", "wallClockTime", f);
    if (wall == nullptr)
        return f;
    if (const errc e = read_int64(*wall, m.wall_clock_time); e != errc::ok)
        return {e, "wallClockTime"};

    const auto* speed = required(j, "timelineSpeedMultiplier", "timelineSpeedMultiplier", f);
    if (speed == nullptr)
        return f;
    if (jd::is_out_of_range_number(*speed))
        return {errc::value_out_of_range, "timelineSpeedMultiplier"};
    if (!speed->is_null()) {
        if (!speed->is_number())
            return {errc::bad_field_type, "timelineSpeedMultiplier"};
        m.timeline_speed_multiplier = speed->get<double>();
    }

    // Both null (timeline unavailable) or neither: blame the one that is null.
    if (m.content_time.has_value() != m.timeline_speed_multiplier.has_value())
        return {errc::bad_field_value, m.content_time ? "timelineSpeedMultiplier" : "contentTime"};
    return f;
}

failure decode_presentation(const nlohmann::json& j, std::string_view key, bool required_part,
                            allowed_infinity allowed, std::optional<presentation_timestamp>& out) {
    failure f;
    const std::string path(key);
    const auto* part = required_part ? required(j, key, path, f) : optional_member(j, key);
    if (part == nullptr)
        return f;
    if (jd::is_out_of_range_number(*part))
        return {errc::value_out_of_range, path};
    if (!part->is_object())
        return {errc::bad_field_type, path};

    presentation_timestamp ts;
    const std::string content_path = join(path, "contentTime");
    const auto* content = required(*part, "contentTime", content_path, f);
    if (content == nullptr)
        return f;
    if (const errc e = read_int64(*content, ts.content_time); e != errc::ok)
        return {e, content_path};

    const std::string wall_path = join(path, "wallClockTime");
    const auto* wall = required(*part, "wallClockTime", wall_path, f);
    if (wall == nullptr)
        return f;
    if (const errc e = read_wall_time(*wall, allowed, ts.wall_clock_time); e != errc::ok)
        return {e, wall_path};
    out = ts;
    return f;
}

failure decode_aptepts(const nlohmann::json& j, apt_ept_lpt& m) {
    std::optional<presentation_timestamp> earliest;
    std::optional<presentation_timestamp> latest;
    if (auto f = decode_presentation(j, "actual", false, allowed_infinity::none, m.actual);
        f.code != errc::ok)
        return f;
    if (auto f = decode_presentation(j, "earliest", true, allowed_infinity::minus, earliest);
        f.code != errc::ok)
        return f;
    if (auto f = decode_presentation(j, "latest", true, allowed_infinity::plus, latest);
        f.code != errc::ok)
        return f;
    m.earliest = *earliest;
    m.latest = *latest;
    return {};
}

// Parses `text` and runs `decode` on the object: the part every decoder shares.
template <class Message, class Decode>
result<Message> decode_message(std::string_view text, decode_detail* detail, Decode decode) {
    if (detail != nullptr)
        detail->field.clear();
    failure f;
    auto parsed = parse_object(text, f);
    if (!parsed)
        return report(f, detail);
    try {
        Message m;
        f = decode(*parsed, m);
        if (f.code != errc::ok)
            return report(f, detail);
        return m;
    } catch (const nlohmann::json::exception&) {
        // Not expected: every access above is type-checked first. A safety net, as promised.
        return report({errc::bad_field_type, ""}, detail);
    }
}

// ---- encoding ----

void append_int64(std::string& out, std::int64_t v) {
    std::array<char, 24> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    if (ec != std::errc{})
        throw std::logic_error("to_chars failed for an integer");
    out.push_back('"');
    out.append(buf.data(), end);
    out.push_back('"');
}

void append_wall_time(std::string& out, const wall_time& t) {
    switch (t.k) {
    case wall_time::kind::finite:
        append_int64(out, t.ns);
        return;
    case wall_time::kind::minus_infinity:
        jd::append_string(out, minus_infinity_text);
        return;
    case wall_time::kind::plus_infinity:
        jd::append_string(out, plus_infinity_text);
        return;
    }
    throw std::invalid_argument("ts::encode: unknown wall_time kind");
}

void append_presentation(std::string& out, std::string_view key, const presentation_timestamp& p) {
    jd::append_string(out, key);
    out += R"(:{"contentTime":)";
    append_int64(out, p.content_time);
    out += R"(,"wallClockTime":)";
    append_wall_time(out, p.wall_clock_time);
    out.push_back('}');
}

} // namespace

result<setup_data> decode_setup_data(std::string_view text, decode_detail* detail) {
    return decode_message<setup_data>(text, detail, decode_setup);
}

result<control_timestamp> decode_control_timestamp(std::string_view text, decode_detail* detail) {
    return decode_message<control_timestamp>(text, detail, decode_control);
}

result<apt_ept_lpt> decode_apt_ept_lpt(std::string_view text, decode_detail* detail) {
    return decode_message<apt_ept_lpt>(text, detail, decode_aptepts);
}

std::string encode(const setup_data& m) {
    std::string out;
    out.reserve(64 + m.content_id_stem.size() + m.timeline_selector.size());
    out += R"({"contentIdStem":)";
    jd::append_string(out, m.content_id_stem);
    out += R"(,"timelineSelector":)";
    jd::append_string(out, m.timeline_selector);
    if (m.private_data) {
        out += R"(,"private":)";
        out += m.private_data->text();
    }
    out.push_back('}');
    return out;
}

std::string encode(const control_timestamp& m) {
    if (m.content_time.has_value() != m.timeline_speed_multiplier.has_value())
        throw std::invalid_argument(
            "ts::encode: contentTime and timelineSpeedMultiplier must be both set or both empty");
    if (m.timeline_speed_multiplier && !std::isfinite(*m.timeline_speed_multiplier))
        throw std::invalid_argument("ts::encode: timelineSpeedMultiplier is not finite");
    std::string out;
    out.reserve(96);
    out += R"({"contentTime":)";
    if (m.content_time)
        append_int64(out, *m.content_time);
    else
        out += "null";
    out += R"(,"wallClockTime":)";
    append_int64(out, m.wall_clock_time);
    out += R"(,"timelineSpeedMultiplier":)";
    if (m.timeline_speed_multiplier)
        jd::append_double(out, *m.timeline_speed_multiplier);
    else
        out += "null";
    out.push_back('}');
    return out;
}

std::string encode(const apt_ept_lpt& m) {
    if (m.actual && !m.actual->wall_clock_time.finite())
        throw std::invalid_argument("ts::encode: the actual timestamp must have a finite time");
    if (m.earliest.wall_clock_time.k == wall_time::kind::plus_infinity)
        throw std::invalid_argument("ts::encode: earliest cannot be at plus infinity");
    if (m.latest.wall_clock_time.k == wall_time::kind::minus_infinity)
        throw std::invalid_argument("ts::encode: latest cannot be at minus infinity");
    std::string out;
    out.reserve(192);
    out.push_back('{');
    if (m.actual) {
        append_presentation(out, "actual", *m.actual);
        out.push_back(',');
    }
    append_presentation(out, "earliest", m.earliest);
    out.push_back(',');
    append_presentation(out, "latest", m.latest);
    out.push_back('}');
    return out;
}

} // namespace dvbcss::ts
