#include "tv/status_board.hpp"

#include "common/wall_clock_thread.hpp"

#include <dvbcss/clock/time_source.hpp>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <utility>

namespace dvbcss::tools {

namespace {

using json = nlohmann::ordered_json;

std::int64_t monotonic_now_ns() {
    return clock::monotonic_time_source::instance().now_ns();
}

/// The clock's time now in whole ns (a 1 GHz wall clock's ticks), or null if it does not fit.
json clock_ns(const clock::clock_base& c) {
    const auto ns = c.nanos();
    if (!std::isfinite(static_cast<double>(ns)) || std::fabs(static_cast<double>(ns)) >= 9.2e18) {
        return nullptr;
    }
    return static_cast<std::int64_t>(std::llround(static_cast<double>(ns)));
}

/// "2026-12-01T03:47:10.123Z" for the system clock's time now.
std::string utc_now() {
    const auto now = std::chrono::system_clock::now();
    const auto since_epoch = now.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
    const std::time_t t = static_cast<std::time_t>(seconds.count());
    std::tm tm{};
    if (::gmtime_r(&t, &tm) == nullptr) {
        return {};
    }
    char text[40];
    const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), text,
                  static_cast<int>(ms.count()));
    return out;
}

/// `text` cut to at most `max` bytes at a UTF-8 character boundary, with "..." when cut.
std::string bounded(std::string text, std::size_t max) {
    if (text.size() <= max) {
        return text;
    }
    std::size_t end = max >= 3 ? max - 3 : 0;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;
    }
    text.resize(end);
    text += "...";
    return text;
}

json optional_ns(const std::optional<std::int64_t>& v) {
    return v ? json(*v) : json(nullptr);
}

json seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
    return static_cast<double>(std::max<std::int64_t>(0, to_ns - from_ns)) / 1e9;
}

json control_timestamp_json(const ts::control_timestamp& c) {
    return {
        {"content_time", c.content_time ? json(*c.content_time) : json(nullptr)},
        {"wall_clock_time_ns", c.wall_clock_time},
        {"timeline_speed_multiplier",
         c.timeline_speed_multiplier ? json(*c.timeline_speed_multiplier) : json(nullptr)},
    };
}

json wall_time_json(const ts::wall_time& w) {
    switch (w.k) {
    case ts::wall_time::kind::minus_infinity:
        return "minusinfinity";
    case ts::wall_time::kind::plus_infinity:
        return "plusinfinity";
    case ts::wall_time::kind::finite:
        break;
    }
    return w.ns;
}

json presentation_timestamp_json(const ts::presentation_timestamp& p) {
    return {{"content_time", p.content_time},
            {"wall_clock_time_ns", wall_time_json(p.wall_clock_time)}};
}

json apt_ept_lpt_json(const ts::apt_ept_lpt& m) {
    return {
        {"actual", m.actual ? presentation_timestamp_json(*m.actual) : json(nullptr)},
        {"earliest", presentation_timestamp_json(m.earliest)},
        {"latest", presentation_timestamp_json(m.latest)},
    };
}

} // namespace

/// The HTTP side: runs on connection strands, touches nothing but the owner's queue.
class status_board::json_route final : public net::http_handler {
public:
    json_route(boost::asio::any_io_executor owner, status_board& board, std::weak_ptr<int> alive)
        : owner_(std::move(owner))
        , board_(&board)
        , alive_(std::move(alive)) {}

    void on_request(const net::http_request& request, net::http_responder respond) override {
        if (request.method != "GET" && request.method != "HEAD") {
            net::http_response r;
            r.status = 405;
            r.body = "Only GET and HEAD are allowed here.\n";
            r.headers = {{"Allow", "GET, HEAD"}, {"Cache-Control", "no-store"}};
            respond(std::move(r));
            return;
        }
        boost::asio::post(owner_, [board = board_, alive = alive_, respond = std::move(respond)] {
            net::http_response r;
            r.headers = {{"Cache-Control", "no-store"}};
            if (alive.expired()) {
                r.status = 503;
                r.body = "The TV is shutting down.\n";
                respond(std::move(r));
                return;
            }
            r.content_type = "application/json";
            r.body = board->snapshot_text();
            r.body += '\n';
            respond(std::move(r));
        });
    }

private:
    boost::asio::any_io_executor owner_;
    status_board* board_;
    std::weak_ptr<int> alive_;
};

status_board::status_board(boost::asio::any_io_executor owner, const clock::clock_base& wall_clock,
                           status_board_options options)
    : owner_(std::move(owner))
    , wall_clock_(wall_clock)
    , options_(options)
    , apt_arrivals_(std::make_shared<std::unordered_map<net::connection_id, apt_arrival>>())
    , alive_(std::make_shared<int>(0)) {
    route_ = std::make_unique<json_route>(owner_, *this, alive_);
}

status_board::~status_board() = default;

void status_board::watch_cii(net::ws_server_adapter<cii::server>& cii) {
    cii_ = &cii;
}

void status_board::watch_ts(net::ws_server_adapter<ts::server>& ts) {
    ts_ = &ts;
}

void status_board::watch_wall_clock_udp(wall_clock_thread& wall_clock) {
    wc_udp_ = &wall_clock;
}

void status_board::watch_wall_clock_websocket(wc_websocket_provider provider) {
    wc_websocket_ = std::move(provider);
}

void status_board::set_timelines(timeline_provider provider) {
    timelines_ = std::move(provider);
}

ts::apt_ept_lpt_handler status_board::apt_ept_lpt_recorder(ts::apt_ept_lpt_handler next) {
    return [arrivals = apt_arrivals_, next = std::move(next)](net::connection_id id,
                                                              const ts::apt_ept_lpt& m) {
        auto& a = (*arrivals)[id];
        a.monotonic_ns = monotonic_now_ns();
        ++a.count;
        if (next) {
            next(id, m);
        }
    };
}

void status_board::record_event(std::string text) {
    event e;
    e.seq = next_seq_++;
    e.monotonic_ns = monotonic_now_ns();
    if (const auto wall = clock_ns(wall_clock_); !wall.is_null()) {
        e.wall_clock_ns = wall.get<std::int64_t>();
    }
    e.utc = utc_now();
    e.text = bounded(std::move(text), options_.max_event_bytes);
    events_.push_back(std::move(e));
    while (events_.size() > options_.max_events) {
        events_.pop_front();
    }
}

net::http_handler& status_board::json_handler() noexcept {
    return *route_;
}

std::string status_board::snapshot_text() {
    return snapshot().dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

json status_board::snapshot() {
    const std::int64_t now = monotonic_now_ns();
    json doc;
    doc["schema"] = status_schema;
    doc["software"] = std::string("dvbcss tv-device ") + DVBCSS_VERSION_STRING;
    doc["monotonic_ns"] = now;
    doc["wall_clock_ns"] = clock_ns(wall_clock_);
    doc["utc"] = utc_now();
    doc["content"] = content_json();
    doc["timelines"] = timelines_json();
    doc["companions"] = companions_json(now);
    doc["wall_clock"] = wall_clock_json(now);
    doc["events"] = events_json();
    return doc;
}

json status_board::content_json() const {
    if (cii_ == nullptr) {
        return nullptr;
    }
    const auto& m = cii_->core().cii();
    json c;
    c["content_id"] = m.content_id.has_value() ? json(m.content_id.value()) : json(nullptr);
    if (m.content_id_status.has_value()) {
        c["content_id_status"] =
            m.content_id_status.value() == cii::id_status::final ? "final" : "partial";
    } else {
        c["content_id_status"] = nullptr;
    }
    c["presentation_status"] =
        m.presentation_status.has_value() ? json(m.presentation_status.value()) : json(nullptr);
    return c;
}

json status_board::timelines_json() const {
    if (!timelines_) {
        return nullptr;
    }
    json list = json::array();
    for (const auto& t : timelines_()) {
        json entry{
            {"selector", t.selector},
            {"tick_rate_hz", t.tick_rate_hz},
            {"available", t.available},
            {"control_timestamp",
             t.control_timestamp ? control_timestamp_json(*t.control_timestamp) : json(nullptr)},
            {"render_latency_ns", t.render_latency_ns ? json(*t.render_latency_ns) : json(nullptr)},
        };
        entry["ts_companions"] =
            ts_ != nullptr ? json(ts_->core().selector_use_count(t.selector)) : json(nullptr);
        list.push_back(std::move(entry));
    }
    return list;
}

json status_board::companions_json(std::int64_t now_ns) {
    json c;
    const auto describe = [&](const net::ws_connection_description& d) {
        return json{
            {"id", d.id},
            {"address", d.remote},
            {"since_monotonic_ns", d.opened_monotonic_ns},
            {"connected_s", seconds_between(d.opened_monotonic_ns, now_ns)},
        };
    };
    if (cii_ != nullptr) {
        json list = json::array();
        for (const auto& d : cii_->connections()) {
            list.push_back(describe(d));
        }
        c["cii"] = std::move(list);
    } else {
        c["cii"] = nullptr;
    }
    if (ts_ != nullptr) {
        const auto& core = ts_->core();
        json list = json::array();
        std::unordered_map<net::connection_id, apt_arrival> still_open;
        for (const auto& d : ts_->connections()) {
            auto entry = describe(d);
            const auto setup = core.setup_of(d.id);
            entry["set_up"] = setup.has_value();
            entry["content_id_stem"] = setup ? json(setup->content_id_stem) : json(nullptr);
            entry["timeline_selector"] = setup ? json(setup->timeline_selector) : json(nullptr);
            entry["stem_matches"] =
                setup ? json(ts::server::matches_stem(core.content_id(), setup->content_id_stem))
                      : json(nullptr);
            const auto sent = core.last_sent(d.id);
            entry["last_control_timestamp_sent"] =
                sent ? control_timestamp_json(*sent) : json(nullptr);
            const auto apt = core.apt_ept_lpt_of(d.id);
            entry["last_apt_ept_lpt"] = apt ? apt_ept_lpt_json(*apt) : json(nullptr);
            const auto arrival = apt_arrivals_->find(d.id);
            if (arrival != apt_arrivals_->end()) {
                entry["last_apt_ept_lpt_received_monotonic_ns"] = arrival->second.monotonic_ns;
                entry["apt_ept_lpts_received"] = arrival->second.count;
                still_open.insert(*arrival);
            } else {
                entry["last_apt_ept_lpt_received_monotonic_ns"] = nullptr;
                entry["apt_ept_lpts_received"] = apt ? json(nullptr) : json(0);
            }
            list.push_back(std::move(entry));
        }
        // Forget closed connections (ids are never reused). An AptEptLpt of a connection whose
        // open has not reached the adapter's list yet cannot exist: the core sees open first.
        apt_arrivals_->swap(still_open);
        c["ts"] = std::move(list);
    } else {
        c["ts"] = nullptr;
    }
    if (wc_websocket_) {
        c["wc_websocket"] = json{{"count", wc_websocket_().companions}};
    } else {
        c["wc_websocket"] = nullptr;
    }
    return c;
}

json status_board::wall_clock_json(std::int64_t now_ns) {
    json w;
    if (wc_udp_ != nullptr) {
        const auto a = wc_udp_->recent_activity(options_.window);
        w["udp"] = json{
            {"requests_answered", a.requests_answered},
            {"window_s", static_cast<double>(a.window_ns) / 1e9},
            {"window_requests", a.window_requests},
            {"requests_per_s", a.requests_per_s ? json(*a.requests_per_s) : json(nullptr)},
            {"processing_delay_samples", a.delay_samples},
            {"processing_delay_p50_ns", optional_ns(a.processing_delay_p50_ns)},
            {"processing_delay_p99_ns", optional_ns(a.processing_delay_p99_ns)},
            {"processing_delay_max_ns", optional_ns(a.processing_delay_max_ns)},
        };
    } else {
        w["udp"] = nullptr;
    }
    if (wc_websocket_) {
        const auto f = wc_websocket_();
        const std::uint64_t answered = f.binary_requests + f.json_requests;
        // Rate over the samples taken by earlier snapshots within the window (at least 250 ms
        // apart, at most 64 kept): null until a second snapshot.
        auto& samples = wc_websocket_samples_;
        while (!samples.empty() &&
               (samples.front().monotonic_ns < now_ns - options_.window.count() ||
                samples.size() > 64)) {
            samples.pop_front();
        }
        json rate = nullptr;
        if (!samples.empty() && now_ns > samples.front().monotonic_ns &&
            answered >= samples.front().count) {
            rate = static_cast<double>(answered - samples.front().count) * 1e9 /
                   static_cast<double>(now_ns - samples.front().monotonic_ns);
        }
        if (samples.empty() || now_ns - samples.back().monotonic_ns >= 250'000'000) {
            samples.push_back({now_ns, answered});
        }
        w["websocket"] = json{
            {"companions", f.companions},
            {"requests_answered", answered},
            {"binary_requests", f.binary_requests},
            {"json_requests", f.json_requests},
            {"ignored_messages", f.ignored_messages},
            {"requests_per_s", rate},
        };
    } else {
        w["websocket"] = nullptr;
    }
    return w;
}

json status_board::events_json() const {
    json list = json::array();
    for (const auto& e : events_) {
        list.push_back(json{
            {"seq", e.seq},
            {"monotonic_ns", e.monotonic_ns},
            {"wall_clock_ns", optional_ns(e.wall_clock_ns)},
            {"utc", e.utc},
            {"text", e.text},
        });
    }
    return list;
}

} // namespace dvbcss::tools
