#include <dvbcss/tv/scenario.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <utility>

namespace dvbcss::tv {

namespace lim = scenario_limits;

namespace {

using json = nlohmann::json;

/// A bad field, thrown inside this file only and turned into the one-line error.
struct bad_field {
    std::string path;
    std::string what;
};

[[noreturn]] void fail(const std::string& path, std::string what) {
    throw bad_field{path, std::move(what)};
}

std::string member(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string element(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

std::string number_text(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.15g", v);
    return buffer;
}

/// Line and column (1-based) of the byte at 0-based `index` of `text`.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t index) {
    index = std::min(index, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < index; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, index - line_start + 1};
}

std::string at_position(std::string_view text, std::size_t index, std::string_view what) {
    const auto [line, column] = line_column(text, index);
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
           std::string(what);
}

/// Parses JSON text, bounded in size and depth; errors name the line and column.
std::optional<json> parse_json(std::string_view text, std::size_t max_bytes, std::string& error) {
    if (text.size() > max_bytes) {
        error = "larger than " + std::to_string(max_bytes) + " bytes";
        return std::nullopt;
    }
    // Depth first, so that nothing deeper is ever built.
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > lim::max_depth) {
                error = at_position(
                    text, i, "nested deeper than " + std::to_string(lim::max_depth) + " levels");
                return std::nullopt;
            }
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        // e.byte: 1-based index of the last character read.
        const std::size_t index = e.byte == 0 ? 0 : e.byte - 1;
        std::string_view what = e.what();
        if (const auto column = what.find("column "); column != std::string_view::npos) {
            if (const auto colon = what.find(": ", column); colon != std::string_view::npos) {
                what.remove_prefix(colon + 2);
            }
        } else if (const auto bracket = what.find("] "); bracket != std::string_view::npos) {
            what.remove_prefix(bracket + 2);
        }
        error = at_position(text, index, what);
        return std::nullopt;
    } catch (const json::out_of_range& e) {
        // A number beyond the range of a double (e.g. 1e400): well-formed JSON that no field of
        // a scenario can hold. The library names the token ("number overflow parsing '1e400'").
        std::string_view what = e.what();
        std::string token;
        if (const auto open = what.find(" parsing '"); open != std::string_view::npos) {
            const auto start = open + 10;
            if (const auto close = what.find('\'', start); close != std::string_view::npos) {
                token = std::string(what.substr(start, close - start));
            }
        }
        const std::string message = "number " + (token.empty() ? std::string() : token + " ") +
                                    "is beyond the range of a double (value out of range)";
        const auto where = token.empty() ? std::string_view::npos : text.find(token);
        error = where == std::string_view::npos ? message : at_position(text, where, message);
        return std::nullopt;
    } catch (const json::exception& e) {
        error = std::string("not acceptable JSON: ") + e.what();
        return std::nullopt;
    }
}

/// An object's members, with the set of names it may hold.
class object_reader {
public:
    object_reader(const json& j, std::string path, std::string_view kind = "an object")
        : j_(&j)
        , path_(std::move(path)) {
        if (!j.is_object()) {
            fail(path_.empty() ? std::string("(top level)") : path_,
                 "must be " + std::string(kind));
        }
    }

    /// Fails on a member not in `allowed`.
    void only(std::initializer_list<std::string_view> allowed) const {
        for (const auto& [key, value] : j_->items()) {
            // An empty name in `allowed` stands for no field.
            if (key.empty() || std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                std::string list;
                for (const auto a : allowed) {
                    if (!a.empty()) {
                        list += (list.empty() ? "" : ", ") + std::string(a);
                    }
                }
                fail(member(path_, key), "unknown field (expected one of: " + list + ")");
            }
        }
    }

    [[nodiscard]] const json* find(std::string_view key) const {
        const auto it = j_->find(key);
        return it == j_->end() ? nullptr : &*it;
    }

    [[nodiscard]] const json& need(std::string_view key) const {
        const auto* v = find(key);
        if (v == nullptr) {
            fail(member(path_, key), "missing");
        }
        return *v;
    }

    [[nodiscard]] std::string path(std::string_view key) const { return member(path_, key); }

private:
    const json* j_;
    std::string path_;
};

double number_between(const json& j, const std::string& path, double low, double high,
                      std::string_view unit = "") {
    const auto message = [&] {
        return "must be a number between " + number_text(low) + " and " + number_text(high) +
               (unit.empty() ? "" : " (" + std::string(unit) + ")");
    };
    if (!j.is_number()) {
        fail(path, message());
    }
    const double v = j.get<double>();
    if (!std::isfinite(v) || v < low || v > high) {
        fail(path, message());
    }
    return v;
}

std::int64_t integer_between(const json& j, const std::string& path, std::int64_t low,
                             std::int64_t high) {
    const auto message =
        "must be a whole number between " + std::to_string(low) + " and " + std::to_string(high);
    if (j.is_number_unsigned()) {
        const auto v = j.get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(high) ||
            (low > 0 && v < static_cast<std::uint64_t>(low))) {
            fail(path, message);
        }
        return static_cast<std::int64_t>(v);
    }
    if (j.is_number_integer()) {
        const auto v = j.get<std::int64_t>();
        if (v < low || v > high) {
            fail(path, message);
        }
        return v;
    }
    if (j.is_number_float()) {
        const double v = j.get<double>();
        if (std::isfinite(v) && v == std::floor(v) && v >= static_cast<double>(low) &&
            v <= static_cast<double>(high)) {
            return static_cast<std::int64_t>(v);
        }
    }
    fail(path, message);
}

bool boolean(const json& j, const std::string& path) {
    if (!j.is_boolean()) {
        fail(path, "must be true or false");
    }
    return j.get<bool>();
}

/// Printable ASCII without spaces (and, if `no_quotes`, without '"' and '\').
bool printable_word(std::string_view s, bool no_quotes) {
    return std::all_of(s.begin(), s.end(), [&](char c) {
        return c > 0x20 && c < 0x7f && !(no_quotes && (c == '"' || c == '\\'));
    });
}

bool sane_selector(std::string_view s) {
    return !s.empty() && s.size() <= lim::max_selector_bytes && printable_word(s, true);
}

bool sane_content_id(std::string_view s) {
    return !s.empty() && s.size() <= lim::max_content_id_bytes && printable_word(s, false);
}

const char* selector_rule() {
    return "must be a timeline selector: 1 to 512 bytes of printable ASCII without spaces or "
           "quotes";
}

const char* content_id_rule() {
    return "must be a content id: 1 to 2048 bytes of printable ASCII without spaces";
}

std::string selector(const json& j, const std::string& path) {
    if (!j.is_string() || !sane_selector(j.get_ref<const std::string&>())) {
        fail(path, selector_rule());
    }
    return j.get<std::string>();
}

std::string content_id(const json& j, const std::string& path) {
    if (!j.is_string() || !sane_content_id(j.get_ref<const std::string&>())) {
        fail(path, content_id_rule());
    }
    return j.get<std::string>();
}

std::optional<cii::id_status> id_status_named(std::string_view s) {
    if (s == "partial") {
        return cii::id_status::partial;
    }
    if (s == "final") {
        return cii::id_status::final;
    }
    return std::nullopt;
}

cii::id_status id_status(const json& j, const std::string& path) {
    if (j.is_string()) {
        if (const auto s = id_status_named(j.get_ref<const std::string&>())) {
            return *s;
        }
    }
    fail(path, "must be \"partial\" or \"final\"");
}

/// Checks presentationStatus tokens; returns the reason they are bad, or nothing.
std::optional<std::string> bad_tokens(const std::vector<std::string>& tokens) {
    if (tokens.empty() || tokens.size() > lim::max_status_tokens) {
        return "must be 1 to " + std::to_string(lim::max_status_tokens) + " tokens";
    }
    for (const auto& t : tokens) {
        if (t.empty() || t.size() > 64 || !printable_word(t, true)) {
            return "tokens must be 1 to 64 bytes of printable ASCII without spaces or quotes";
        }
    }
    if (tokens.front() != "okay" && tokens.front() != "transitioning" &&
        tokens.front() != "fault") {
        return "must start with okay, transitioning or fault";
    }
    return std::nullopt;
}

std::vector<std::string> split_tokens(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') {
            ++i;
        }
        const auto start = i;
        while (i < s.size() && s[i] != ' ') {
            ++i;
        }
        if (i > start) {
            out.emplace_back(s.substr(start, i - start));
        }
    }
    return out;
}

std::vector<std::string> presentation_tokens(const json& j, const std::string& path) {
    std::vector<std::string> tokens;
    if (j.is_string()) {
        tokens = split_tokens(j.get_ref<const std::string&>());
    } else if (j.is_array() && j.size() <= lim::max_status_tokens) {
        for (std::size_t i = 0; i < j.size(); ++i) {
            if (!j[i].is_string()) {
                fail(element(path, i), "must be a string");
            }
            tokens.push_back(j[i].get<std::string>());
        }
    } else {
        fail(path, "must be a string of space-separated tokens or an array of at most " +
                       std::to_string(lim::max_status_tokens) + " strings");
    }
    if (const auto why = bad_tokens(tokens)) {
        fail(path, *why);
    }
    return tokens;
}

constexpr std::array<std::pair<std::string_view, change_kind>, 11> change_names{{
    {"pause", change_kind::pause},
    {"play", change_kind::play},
    {"resume", change_kind::play},
    {"speed", change_kind::speed},
    {"seek", change_kind::seek},
    {"tweak", change_kind::tweak},
    {"available", change_kind::available},
    {"unavailable", change_kind::unavailable},
    {"content", change_kind::content},
    {"content_id_status", change_kind::content_id_status},
    {"presentation_status", change_kind::presentation_status},
}};

/// One change object; in a script, with its "at" (seconds) stored in `at_ns`.
change parse_change(const json& j, const std::string& path, std::int64_t* at_ns) {
    const object_reader r(j, path, "a change object, e.g. {\"do\":\"pause\"}");
    const auto& what = r.need("do");
    std::optional<change_kind> kind;
    if (what.is_string()) {
        for (const auto& [n, k] : change_names) {
            if (n == what.get_ref<const std::string&>()) {
                kind = k;
            }
        }
    }
    if (!kind) {
        fail(r.path("do"), "must be one of pause, play, resume, speed, seek, tweak, available, "
                           "unavailable, content, content_id_status, presentation_status");
    }
    change c;
    c.kind = *kind;
    const std::string_view at = at_ns != nullptr ? "at" : "";
    switch (*kind) {
    case change_kind::pause:
    case change_kind::play:
        r.only({at, "do", "timeline"});
        c.speed = *kind == change_kind::pause ? 0.0 : 1.0;
        break;
    case change_kind::speed:
        r.only({at, "do", "timeline", "speed"});
        c.speed = number_between(r.need("speed"), r.path("speed"), -lim::max_speed, lim::max_speed);
        break;
    case change_kind::seek: {
        r.only({at, "do", "timeline", "to", "by"});
        const auto* to = r.find("to");
        const auto* by = r.find("by");
        if ((to == nullptr) == (by == nullptr)) {
            fail(path, "seek needs exactly one of \"to\" (seconds) or \"by\" (seconds)");
        }
        if (to != nullptr) {
            c.to_seconds = number_between(*to, r.path("to"), -lim::max_script_seconds * 100,
                                          lim::max_script_seconds * 100, "seconds");
        } else {
            c.by_seconds = number_between(*by, r.path("by"), -lim::max_jump_seconds,
                                          lim::max_jump_seconds, "seconds");
        }
        break;
    }
    case change_kind::tweak:
        r.only({at, "do", "timeline", "ms"});
        c.by_seconds = number_between(r.need("ms"), r.path("ms"), -lim::max_jump_seconds * 1000,
                                      lim::max_jump_seconds * 1000, "milliseconds") /
                       1000.0;
        break;
    case change_kind::available:
    case change_kind::unavailable:
        r.only({at, "do", "timeline"});
        static_cast<void>(r.need("timeline"));
        break;
    case change_kind::content: {
        r.only({at, "do", "id", "status"});
        const auto& id = r.need("id");
        if (!id.is_null()) {
            c.content_id = content_id(id, r.path("id"));
        }
        if (const auto* s = r.find("status")) {
            c.status = id_status(*s, r.path("status"));
        }
        break;
    }
    case change_kind::content_id_status:
        r.only({at, "do", "status"});
        c.status = id_status(r.need("status"), r.path("status"));
        break;
    case change_kind::presentation_status:
        r.only({at, "do", "status"});
        c.presentation_status = presentation_tokens(r.need("status"), r.path("status"));
        break;
    }
    if (const auto* t = r.find("timeline")) {
        c.timeline = selector(*t, r.path("timeline"));
    }
    if (at_ns != nullptr) {
        const double seconds =
            number_between(r.need("at"), r.path("at"), 0, lim::max_script_seconds, "seconds");
        *at_ns = std::llround(seconds * 1e9);
    }
    return c;
}

timeline_spec parse_timeline(const json& j, const std::string& path, const content_spec& content) {
    const object_reader r(j, path);
    r.only({"selector", "tick_rate", "start", "parent", "speed", "available"});
    timeline_spec t;
    t.selector = selector(r.need("selector"), r.path("selector"));
    for (const auto& other : content.timelines) {
        if (other.selector == t.selector) {
            fail(r.path("selector"), "\"" + t.selector + "\" is listed twice in this content");
        }
    }
    t.tick_rate =
        static_cast<std::uint64_t>(integer_between(r.need("tick_rate"), r.path("tick_rate"), 1,
                                                   static_cast<std::int64_t>(lim::max_tick_rate)));
    if (const auto* v = r.find("start")) {
        t.start_ticks = integer_between(*v, r.path("start"), -lim::max_ticks, lim::max_ticks);
    }
    if (const auto* v = r.find("parent")) {
        t.parent = selector(*v, r.path("parent"));
        const bool known =
            std::any_of(content.timelines.begin(), content.timelines.end(),
                        [&](const timeline_spec& o) { return o.selector == *t.parent; });
        if (!known) {
            fail(r.path("parent"), "must be the selector of a timeline listed before this one in "
                                   "the same content");
        }
    }
    if (const auto* v = r.find("speed")) {
        t.speed = number_between(*v, r.path("speed"), -lim::max_speed, lim::max_speed);
    }
    if (const auto* v = r.find("available")) {
        t.available = boolean(*v, r.path("available"));
    }
    return t;
}

content_spec parse_content(const json& j, const std::string& path) {
    const object_reader r(j, path);
    r.only({"id", "status", "presentation_status", "timelines"});
    content_spec c;
    c.id = content_id(r.need("id"), r.path("id"));
    if (const auto* v = r.find("status")) {
        c.status = id_status(*v, r.path("status"));
    }
    if (const auto* v = r.find("presentation_status")) {
        c.presentation_status = presentation_tokens(*v, r.path("presentation_status"));
    }
    const auto& timelines = r.need("timelines");
    const auto tpath = r.path("timelines");
    if (!timelines.is_array() || timelines.size() > lim::max_timelines) {
        fail(tpath,
             "must be an array of at most " + std::to_string(lim::max_timelines) + " timelines");
    }
    for (std::size_t i = 0; i < timelines.size(); ++i) {
        c.timelines.push_back(parse_timeline(timelines[i], element(tpath, i), c));
    }
    return c;
}

/// Runs `body`, turning a bad field into the one-line error.
template <typename T, typename F>
std::optional<T> guarded(std::string& error, F&& body) {
    try {
        return body();
    } catch (const bad_field& b) {
        error = b.path + ": " + b.what;
    } catch (const json::exception& e) {
        error = e.what(); // not expected: every access is checked first
    }
    return std::nullopt;
}

bool ends_with_segment(std::string_view full, std::string_view tail) {
    return full.size() > tail.size() && full.substr(full.size() - tail.size()) == tail &&
           full[full.size() - tail.size() - 1] == ':';
}

} // namespace

std::string_view name(change_kind kind) noexcept {
    for (const auto& [n, k] : change_names) {
        if (k == kind) {
            return n;
        }
    }
    return "?";
}

std::vector<std::size_t> timelines_named(const content_spec& content, std::string_view name) {
    for (std::size_t i = 0; i < content.timelines.size(); ++i) {
        if (content.timelines[i].selector == name) {
            return {i};
        }
    }
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < content.timelines.size(); ++i) {
        if (ends_with_segment(content.timelines[i].selector, name)) {
            found.push_back(i);
        }
    }
    return found;
}

std::optional<std::size_t> find_timeline(const content_spec& content, std::string_view name) {
    const auto found = timelines_named(content, name);
    if (found.size() != 1) {
        return std::nullopt; // none, or ambiguous
    }
    return found.front();
}

std::optional<std::size_t> find_content(const scenario& s, std::string_view id) {
    for (std::size_t i = 0; i < s.contents.size(); ++i) {
        if (s.contents[i].id == id) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<scenario> parse_scenario(std::string_view text, std::string& error) {
    error.clear();
    const auto j = parse_json(text, lim::max_text_bytes, error);
    if (!j) {
        return std::nullopt;
    }
    return guarded<scenario>(error, [&] {
        const object_reader r(*j, "");
        r.only({"description", "contents", "play", "script", "repeat"});
        if (const auto* d = r.find("description"); d != nullptr && !d->is_string()) {
            fail("description", "must be a string");
        }
        scenario s;
        const auto& contents = r.need("contents");
        if (!contents.is_array() || contents.empty() || contents.size() > lim::max_contents) {
            fail("contents",
                 "must be an array of 1 to " + std::to_string(lim::max_contents) + " contents");
        }
        for (std::size_t i = 0; i < contents.size(); ++i) {
            auto c = parse_content(contents[i], element("contents", i));
            if (find_content(s, c.id)) {
                fail(element("contents", i) + ".id", "\"" + c.id + "\" is listed twice");
            }
            s.contents.push_back(std::move(c));
        }
        if (const auto* p = r.find("play")) {
            const auto id = content_id(*p, "play");
            const auto index = find_content(s, id);
            if (!index) {
                fail("play", "must be the id of one of the contents");
            }
            s.first = *index;
        }
        if (const auto* v = r.find("repeat")) {
            const double seconds = number_between(*v, "repeat", lim::min_repeat_seconds,
                                                  lim::max_script_seconds, "seconds");
            s.repeat_ns = std::llround(seconds * 1e9);
        }
        if (const auto* script = r.find("script")) {
            if (!script->is_array() || script->size() > lim::max_script_steps) {
                fail("script", "must be an array of at most " +
                                   std::to_string(lim::max_script_steps) + " changes");
            }
            for (std::size_t i = 0; i < script->size(); ++i) {
                const auto path = element("script", i);
                script_step step;
                step.what = parse_change((*script)[i], path, &step.at_ns);
                if (s.repeat_ns && step.at_ns > *s.repeat_ns) {
                    fail(path + ".at", "must not be later than \"repeat\"");
                }
                if (step.what.timeline) {
                    const bool known =
                        std::any_of(s.contents.begin(), s.contents.end(), [&](const auto& c) {
                            return find_timeline(c, *step.what.timeline).has_value();
                        });
                    if (!known) {
                        fail(path + ".timeline",
                             "no content has a timeline \"" + *step.what.timeline + "\"");
                    }
                }
                s.script.push_back(std::move(step));
            }
            std::stable_sort(
                s.script.begin(), s.script.end(),
                [](const script_step& a, const script_step& b) { return a.at_ns < b.at_ns; });
        }
        return s;
    });
}

std::optional<std::vector<change>> parse_changes(std::string_view text, std::string& error) {
    error.clear();
    const auto j = parse_json(text, 64 * 1024, error);
    if (!j) {
        return std::nullopt;
    }
    return guarded<std::vector<change>>(error, [&] {
        std::vector<change> out;
        if (j->is_array()) {
            if (j->empty() || j->size() > lim::max_changes) {
                fail("(top level)", "must be a change object or an array of 1 to " +
                                        std::to_string(lim::max_changes) + " of them");
            }
            for (std::size_t i = 0; i < j->size(); ++i) {
                out.push_back(parse_change((*j)[i], element("", i), nullptr));
            }
        } else {
            out.push_back(parse_change(*j, "", nullptr));
        }
        return out;
    });
}

std::string to_json(const change& c) {
    nlohmann::ordered_json j;
    j["do"] = std::string(name(c.kind));
    switch (c.kind) {
    case change_kind::speed:
        j["speed"] = c.speed;
        break;
    case change_kind::seek:
        if (c.to_seconds) {
            j["to"] = *c.to_seconds;
        } else {
            j["by"] = c.by_seconds;
        }
        break;
    case change_kind::tweak:
        j["ms"] = c.by_seconds * 1000.0;
        break;
    case change_kind::content:
        j["id"] = c.content_id ? json(*c.content_id) : json(nullptr);
        break;
    case change_kind::presentation_status:
        j["status"] = c.presentation_status;
        break;
    default:
        break;
    }
    if (c.status) {
        j["status"] = *c.status == cii::id_status::partial ? "partial" : "final";
    }
    if (c.timeline) {
        j["timeline"] = *c.timeline;
    }
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---- console ----

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<double> parse_number(std::string_view s) {
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    double v = 0;
    const auto* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

} // namespace

std::optional<console_line> parse_console_line(std::string_view line, std::string& error) {
    error.clear();
    line = trim(line);
    if (line.empty() || line.front() == '#') {
        return std::nullopt;
    }
    const auto space = line.find(' ');
    const auto word = line.substr(0, space);
    const auto arg =
        space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
    const auto refuse = [&](std::string why) -> std::optional<console_line> {
        error = std::move(why);
        return std::nullopt;
    };
    const auto need_arg = [&](std::string_view what) {
        return refuse(std::string(word) + " needs " + std::string(what));
    };
    const auto simple = [](change_kind k) {
        change c;
        c.kind = k;
        c.speed = k == change_kind::pause ? 0.0 : 1.0;
        return console_line{c};
    };
    if (word == "pause") {
        return simple(change_kind::pause);
    }
    if (word == "play" || word == "resume") {
        return simple(change_kind::play);
    }
    if (word == "stats") {
        return console_action::stats;
    }
    if (word == "help" || word == "?") {
        return console_action::help;
    }
    if (word == "quit" || word == "exit") {
        return console_action::quit;
    }
    if (word == "speed") {
        if (arg.empty()) {
            return need_arg("a number, e.g. speed 2");
        }
        const auto v = parse_number(arg);
        if (!v) {
            return refuse("speed: not a number: " + std::string(arg));
        }
        if (std::abs(*v) > lim::max_speed) {
            return refuse("speed must be between -100 and 100");
        }
        change c;
        c.kind = change_kind::speed;
        c.speed = *v;
        return c;
    }
    if (word == "seek" || word == "tweak") {
        if (arg.empty()) {
            return need_arg(word == "seek" ? "seconds, e.g. seek +5 or seek to 60"
                                           : "milliseconds, e.g. tweak -20");
        }
        auto number = arg;
        const bool absolute = word == "seek" && number.substr(0, 3) == "to ";
        if (absolute) {
            number = trim(number.substr(3));
        }
        if (word == "tweak" && number.size() > 2 && number.substr(number.size() - 2) == "ms") {
            number.remove_suffix(2);
        }
        const auto v = parse_number(number);
        if (!v) {
            return refuse(std::string(word) + ": not a number: " + std::string(arg));
        }
        change c;
        c.kind = word == "seek" ? change_kind::seek : change_kind::tweak;
        if (absolute) {
            if (std::abs(*v) > lim::max_script_seconds * 100) {
                return refuse("seek to: at most " + number_text(lim::max_script_seconds * 100) +
                              " s either way");
            }
            c.to_seconds = *v;
            return c;
        }
        const double seconds = word == "seek" ? *v : *v / 1000.0;
        if (std::abs(seconds) > lim::max_jump_seconds) {
            return refuse(std::string(word) + ": at most 86400 s (a day) either way");
        }
        c.by_seconds = seconds;
        return c;
    }
    if (word == "unavailable" || word == "available") {
        if (arg.empty()) {
            return need_arg("a timeline selector, e.g. temi:1:1");
        }
        if (!sane_selector(arg)) {
            return refuse(std::string(word) + ": the timeline " + selector_rule());
        }
        change c;
        c.kind = word == "available" ? change_kind::available : change_kind::unavailable;
        c.timeline = std::string(arg);
        return c;
    }
    if (word == "content") {
        change c;
        c.kind = change_kind::content;
        if (!arg.empty() && arg != "(none)") {
            if (!sane_content_id(arg)) {
                return refuse(std::string("content: the id ") + content_id_rule());
            }
            c.content_id = std::string(arg);
        }
        return c;
    }
    if (word == "status") {
        const auto s = id_status_named(arg);
        if (!s) {
            return need_arg("partial or final");
        }
        change c;
        c.kind = change_kind::content_id_status;
        c.status = s;
        return c;
    }
    if (word == "presentation") {
        change c;
        c.kind = change_kind::presentation_status;
        c.presentation_status = split_tokens(arg);
        if (const auto why = bad_tokens(c.presentation_status)) {
            return refuse("presentation: " + *why + ", e.g. presentation okay");
        }
        return c;
    }
    return refuse("unknown command: " + std::string(word) + " (try help)");
}

std::string_view console_help() {
    return "commands (one per line on standard input):\n"
           "  pause | play | speed X          pause, resume, or play at speed X\n"
           "  seek +S | seek -S | seek to S   jump the timelines by S seconds, or to S seconds\n"
           "  tweak MS                        jump by MS milliseconds (signed)\n"
           "  unavailable SEL | available SEL make a timeline (un)available (pts, temi:1:1, ...)\n"
           "  content ID | content (none)     show another content id, or none\n"
           "  status partial | status final   contentIdStatus\n"
           "  presentation TOKENS             presentationStatus, e.g. presentation fault\n"
           "  stats                           wall clock server figures (JSON), then reset\n"
           "  help | quit\n";
}

// ---- script ----

script_cursor::script_cursor(const std::vector<script_step>& script,
                             std::optional<std::int64_t> repeat_ns)
    : script_(&script)
    , repeat_ns_(repeat_ns && *repeat_ns > 0 ? repeat_ns : std::nullopt) {}

std::optional<std::int64_t> script_cursor::next_due_ns() const noexcept {
    if (script_->empty()) {
        return std::nullopt;
    }
    if (index_ < script_->size()) {
        return cycle_start_ns_ + (*script_)[index_].at_ns;
    }
    if (repeat_ns_) {
        return cycle_start_ns_ + *repeat_ns_ + script_->front().at_ns;
    }
    return std::nullopt;
}

std::vector<const change*> script_cursor::take_due(std::int64_t elapsed_ns, std::size_t max_steps) {
    std::vector<const change*> out;
    while (out.size() < max_steps && !script_->empty()) {
        if (index_ == script_->size()) {
            if (!repeat_ns_) {
                break;
            }
            cycle_start_ns_ += *repeat_ns_;
            index_ = 0;
        }
        const auto& step = (*script_)[index_];
        if (cycle_start_ns_ + step.at_ns > elapsed_ns) {
            break;
        }
        out.push_back(&step.what);
        ++index_;
    }
    return out;
}

} // namespace dvbcss::tv
