#include "json/detail/codec.hpp"

#include <dvbcss/cii/message.hpp>

#include <stdexcept>
#include <utility>

namespace dvbcss::cii {

namespace jd = json::detail;

namespace {

// Calls f with the field(s) that hold property p in each message given: the one place that maps
// the enum to members.
template <class F, class... Messages>
decltype(auto) with_field(property p, F&& f, Messages&... m) {
    switch (p) {
    case property::protocol_version:
        return std::forward<F>(f)(m.protocol_version...);
    case property::mrs_url:
        return std::forward<F>(f)(m.mrs_url...);
    case property::content_id:
        return std::forward<F>(f)(m.content_id...);
    case property::content_id_status:
        return std::forward<F>(f)(m.content_id_status...);
    case property::presentation_status:
        return std::forward<F>(f)(m.presentation_status...);
    case property::wc_url:
        return std::forward<F>(f)(m.wc_url...);
    case property::ts_url:
        return std::forward<F>(f)(m.ts_url...);
    case property::te_url:
        return std::forward<F>(f)(m.te_url...);
    case property::timelines:
        return std::forward<F>(f)(m.timelines...);
    case property::private_data:
        return std::forward<F>(f)(m.private_data...);
    }
    throw std::logic_error("unknown cii::property");
}

// The JSON keys, next to the members they fill (see with_field), in encoder order.
constexpr std::array<std::string_view, property_count> keys{
    "protocolVersion", "mrsUrl", "contentId", "contentIdStatus", "presentationStatus",
    "wcUrl",           "tsUrl",  "teUrl",     "timelines",       "private"};

constexpr std::string_view to_string(id_status s) noexcept {
    return s == id_status::partial ? "partial" : "final";
}

bool valid_presentation_status(const std::vector<std::string>& tokens) noexcept {
    if (tokens.empty())
        return false;
    for (const auto& t : tokens) {
        if (t.empty() || t.find(' ') != std::string::npos)
            return false;
    }
    return true;
}

// ---- decoding ----

error_code decode_string(const nlohmann::json& v, json::field<std::string>& out) {
    if (v.is_null()) {
        out = json::null;
        return {};
    }
    if (!v.is_string())
        return make_error_code(errc::bad_field_type);
    out = v.get_ref<const std::string&>();
    return {};
}

error_code decode_protocol_version(const nlohmann::json& v, json::field<std::string>& out) {
    if (auto ec = decode_string(v, out))
        return ec;
    if (out.has_value() && out.value() != protocol_version_1_1)
        return make_error_code(errc::bad_version);
    return {};
}

error_code decode_id_status(const nlohmann::json& v, json::field<id_status>& out) {
    if (v.is_null()) {
        out = json::null;
        return {};
    }
    if (!v.is_string())
        return make_error_code(errc::bad_field_type);
    const auto& s = v.get_ref<const std::string&>();
    if (s == "partial")
        out = id_status::partial;
    else if (s == "final")
        out = id_status::final;
    else
        return make_error_code(errc::bad_field_value);
    return {};
}

error_code decode_presentation_status(const nlohmann::json& v,
                                      json::field<std::vector<std::string>>& out) {
    if (v.is_null()) {
        out = json::null;
        return {};
    }
    if (!v.is_string())
        return make_error_code(errc::bad_field_type);
    const std::string_view s = v.get_ref<const std::string&>();
    std::vector<std::string> tokens;
    std::size_t start = 0;
    while (true) {
        const std::size_t space = s.find(' ', start);
        tokens.emplace_back(s.substr(start, space - start));
        if (space == std::string_view::npos)
            break;
        start = space + 1;
    }
    if (!valid_presentation_status(tokens))
        return make_error_code(errc::bad_field_value);
    out = std::move(tokens);
    return {};
}

// errc::value_out_of_range if a known property holds a number beyond the range of a double.
error_code out_of_range(const nlohmann::json& v) {
    if (jd::is_out_of_range_number(v))
        return make_error_code(errc::value_out_of_range);
    return {};
}

result<timeline_option> decode_timeline_option(const nlohmann::json& v) {
    if (auto ec = out_of_range(v))
        return ec;
    if (!v.is_object())
        return make_error_code(errc::bad_field_type);
    timeline_option option;
    const auto sel = v.find("timelineSelector");
    const auto props = v.find("timelineProperties");
    if (sel == v.end() || props == v.end())
        return make_error_code(errc::missing_field);
    if (auto ec = out_of_range(*sel))
        return ec;
    if (auto ec = out_of_range(*props))
        return ec;
    if (!sel->is_string() || !props->is_object())
        return make_error_code(errc::bad_field_type);
    option.timeline_selector = sel->get_ref<const std::string&>();

    const auto upt = props->find("unitsPerTick");
    const auto ups = props->find("unitsPerSecond");
    if (upt == props->end() || ups == props->end())
        return make_error_code(errc::missing_field);
    auto ticks = jd::read_uint(*upt);
    if (!ticks)
        return ticks.error();
    auto units = jd::read_uint(*ups);
    if (!units)
        return units.error();
    option.timeline_properties.units_per_tick = *ticks;
    option.timeline_properties.units_per_second = *units;
    if (const auto acc = props->find("accuracy"); acc != props->end()) {
        if (auto ec = out_of_range(*acc))
            return ec;
        if (!acc->is_number())
            return make_error_code(errc::bad_field_type);
        option.timeline_properties.accuracy = acc->get<double>();
    }
    if (const auto priv = v.find("private"); priv != v.end()) {
        auto p = jd::to_private_data(*priv);
        if (!p)
            return p.error();
        option.private_data = std::move(*p);
    }
    if (auto ec = validate(option))
        return ec;
    return option;
}

error_code decode_timelines(const nlohmann::json& v,
                            json::field<std::vector<timeline_option>>& out) {
    if (v.is_null()) {
        out = json::null;
        return {};
    }
    if (!v.is_array())
        return make_error_code(errc::bad_field_type);
    std::vector<timeline_option> options;
    options.reserve(v.size());
    for (const auto& item : v) {
        auto option = decode_timeline_option(item);
        if (!option)
            return option.error();
        options.push_back(std::move(*option));
    }
    out = std::move(options);
    return {};
}

error_code decode_private(const nlohmann::json& v, json::field<json::private_data>& out) {
    if (v.is_null()) {
        out = json::null;
        return {};
    }
    auto p = jd::to_private_data(v);
    if (!p)
        return p.error();
    out = std::move(*p);
    return {};
}

error_code decode_property(const nlohmann::json& v, property p, message& m) {
    if (auto ec = out_of_range(v))
        return ec;
    switch (p) {
    case property::protocol_version:
        return decode_protocol_version(v, m.protocol_version);
    case property::mrs_url:
        return decode_string(v, m.mrs_url);
    case property::content_id:
        return decode_string(v, m.content_id);
    case property::content_id_status:
        return decode_id_status(v, m.content_id_status);
    case property::presentation_status:
        return decode_presentation_status(v, m.presentation_status);
    case property::wc_url:
        return decode_string(v, m.wc_url);
    case property::ts_url:
        return decode_string(v, m.ts_url);
    case property::te_url:
        return decode_string(v, m.te_url);
    case property::timelines:
        return decode_timelines(v, m.timelines);
    case property::private_data:
        return decode_private(v, m.private_data);
    }
    return make_error_code(errc::bad_field_value);
}

// ---- encoding ----

void append_value(std::string& out, const std::string& s) {
    jd::append_string(out, s);
}

void append_value(std::string& out, id_status s) {
    jd::append_string(out, to_string(s));
}

void append_value(std::string& out, const std::vector<std::string>& tokens) {
    std::string joined;
    for (const auto& t : tokens) {
        if (!joined.empty())
            joined.push_back(' ');
        joined += t;
    }
    jd::append_string(out, joined);
}

void append_value(std::string& out, const json::private_data& p) {
    out += p.text();
}

void append_value(std::string& out, const timeline_option& o) {
    out += R"({"timelineSelector":)";
    jd::append_string(out, o.timeline_selector);
    out += R"(,"timelineProperties":{"unitsPerTick":)";
    jd::append_uint(out, o.timeline_properties.units_per_tick);
    out += R"(,"unitsPerSecond":)";
    jd::append_uint(out, o.timeline_properties.units_per_second);
    if (o.timeline_properties.accuracy) {
        out += R"(,"accuracy":)";
        jd::append_double(out, *o.timeline_properties.accuracy);
    }
    out.push_back('}');
    if (o.private_data) {
        out += R"(,"private":)";
        out += o.private_data->text();
    }
    out.push_back('}');
}

void append_value(std::string& out, const std::vector<timeline_option>& options) {
    out.push_back('[');
    bool first = true;
    for (const auto& o : options) {
        if (!first)
            out.push_back(',');
        first = false;
        append_value(out, o);
    }
    out.push_back(']');
}

} // namespace

std::string_view json_key(property p) noexcept {
    return keys.at(static_cast<std::size_t>(p));
}

std::optional<property> property_from_json_key(std::string_view key) noexcept {
    for (const auto p : all_properties) {
        if (keys[static_cast<std::size_t>(p)] == key)
            return p;
    }
    return std::nullopt;
}

std::string describe(const property_set& set) {
    std::string out;
    for (const auto p : all_properties) {
        if (!contains(set, p))
            continue;
        if (!out.empty())
            out += ", ";
        out += json_key(p);
    }
    return out;
}

property_set message::defined_properties() const noexcept {
    property_set set;
    for (const auto p : all_properties) {
        if (property_state(*this, p) != json::field_state::absent_key)
            add(set, p);
    }
    return set;
}

std::optional<primary_status> message::primary() const noexcept {
    const auto* tokens = presentation_status.get_if();
    if (tokens == nullptr || tokens->empty())
        return std::nullopt;
    const auto& first = tokens->front();
    if (first == "okay")
        return primary_status::okay;
    if (first == "transitioning")
        return primary_status::transitioning;
    if (first == "fault")
        return primary_status::fault;
    return primary_status::other;
}

message message::all_null() {
    message m;
    for (const auto p : all_properties)
        set_property_null(m, p);
    return m;
}

bool same_property(const message& a, const message& b, property p) {
    return with_field(
        p, [](const auto& fa, const auto& fb) { return fa == fb; }, a, b);
}

void copy_property(message& to, const message& from, property p) {
    with_field(
        p, [](auto& ft, const auto& ff) { ft = ff; }, to, from);
}

void set_property_absent(message& m, property p) {
    with_field(
        p, [](auto& f) { f.reset(); }, m);
}

void set_property_null(message& m, property p) {
    with_field(
        p, [](auto& f) { f.set_null(); }, m);
}

json::field_state property_state(const message& m, property p) noexcept {
    switch (p) {
    case property::protocol_version:
        return m.protocol_version.state();
    case property::mrs_url:
        return m.mrs_url.state();
    case property::content_id:
        return m.content_id.state();
    case property::content_id_status:
        return m.content_id_status.state();
    case property::presentation_status:
        return m.presentation_status.state();
    case property::wc_url:
        return m.wc_url.state();
    case property::ts_url:
        return m.ts_url.state();
    case property::te_url:
        return m.te_url.state();
    case property::timelines:
        return m.timelines.state();
    case property::private_data:
        return m.private_data.state();
    }
    return json::field_state::absent_key;
}

error_code validate(const message& m) noexcept {
    if (m.protocol_version.has_value() && m.protocol_version.value() != protocol_version_1_1)
        return make_error_code(errc::bad_version);
    if (const auto* tokens = m.presentation_status.get_if();
        tokens != nullptr && !valid_presentation_status(*tokens))
        return make_error_code(errc::bad_field_value);
    if (const auto* options = m.timelines.get_if()) {
        for (const auto& o : *options) {
            if (auto ec = validate(o))
                return ec;
        }
    }
    return {};
}

result<message> decode_cii(std::string_view text) {
    auto parsed = jd::parse_bounded(text);
    if (!parsed)
        return parsed.error();
    const nlohmann::json& j = *parsed;
    if (!j.is_object())
        return make_error_code(errc::bad_field_type);
    try {
        message m;
        for (const auto p : all_properties) {
            const auto it = j.find(json_key(p));
            if (it == j.end())
                continue;
            if (auto ec = decode_property(*it, p, m))
                return ec;
        }
        return m;
    } catch (const nlohmann::json::exception&) {
        // Not expected: every access above is type-checked first. A safety net, as promised.
        return make_error_code(errc::bad_field_type);
    }
}

std::string encode(const message& m) {
    if (auto ec = validate(m))
        throw std::invalid_argument("cii::encode: invalid message: " + ec.message());
    std::string out;
    out.reserve(256);
    out.push_back('{');
    bool first = true;
    for (const auto p : all_properties) {
        with_field(
            p,
            [&](const auto& f) {
                if (f.is_absent())
                    return;
                if (!first)
                    out.push_back(',');
                first = false;
                jd::append_string(out, json_key(p));
                out.push_back(':');
                if (f.is_null())
                    out += "null";
                else
                    append_value(out, f.value());
            },
            m);
    }
    out.push_back('}');
    return out;
}

message diff(const message& old_cii, const message& new_cii) {
    message d;
    for (const auto p : all_properties) {
        const auto new_state = property_state(new_cii, p);
        if (new_state == json::field_state::absent_key) {
            if (property_state(old_cii, p) == json::field_state::value)
                set_property_null(d, p);
        } else if (!same_property(old_cii, new_cii, p)) {
            copy_property(d, new_cii, p);
        }
    }
    return d;
}

void update(message& target, const message& changes) {
    for (const auto p : all_properties) {
        if (property_state(changes, p) != json::field_state::absent_key)
            copy_property(target, changes, p);
    }
}

message combine(message base, const message& changes) {
    update(base, changes);
    return base;
}

property_set changed_properties(const message& current, const message& changes) {
    property_set set;
    for (const auto p : all_properties) {
        if (property_state(changes, p) != json::field_state::absent_key &&
            !same_property(current, changes, p))
            add(set, p);
    }
    return set;
}

} // namespace dvbcss::cii
