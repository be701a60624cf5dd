// ts-client: a companion that synchronises a wall clock (CSS-WC) and follows one timeline of the
// TV (CSS-TS), printing where the timeline is now (the reference's examples/TSClient.py).
//
//   ts-client tsUrl wcUrl contentIdStem timelineSelector timelineFreq [wc_bindaddr] [wc_bindport]
//   ts-client --cii ciiUrl [timelineSelector]
//   ts-client --discover --interface IFACE [--name NAME] [timelineSelector]
//     --json              one JSON object per line (status and events), units in field names
//     --interval S        status line period (default 0.4 s)
//     --duration S        stop after S seconds (> 0; exit 0 if the job was done)
//     --threshold-ms MS   apply a control timestamp when it moves the timeline by more (default 1)
//     --stem STEM         with --cii: the content id stem (default: the whole content id)
//     --wcloglevel LEVEL  log level of the wall clock client (default warning)
//     --play FILE_OR_URI  also play this media in step with the TV (its pipeline clock is the
//                         wall clock estimate); --audio-sink DESC, --video-sink DESC (GStreamer
//                         bin descriptions, default automatic (video: "none" without a
//                         display), "none" renders nothing) and
//                         --render-delay MS (render each moment MS later than the TV; negative:
//                         earlier) tune it. --json status lines then carry "offset_ms" (player
//                         position minus the timeline's, > 0 ahead) and each correction is a
//                         "player_action" event
//     --reconnect         when the TV goes away (or cannot be reached), keep trying to connect
//                         again (0.5 s, then every 1 s) instead of exiting, and follow it again
//                         when it returns
//     -q, --loglevel, --version, --help
//
// With --cii it reads the TV's CII first and takes tsUrl, wcUrl, the content id and the
// timeline's tick rate from it (the first timeline if no selector is given), as a real companion
// does. With --discover it first finds the TV by DIAL on IFACE (the first one with a CSS-CII
// URL, or the one whose friendly name is NAME; --mx and --discover-timeout tune the search) and
// reads the CII at its InterDevSync URL the same way.
//
// With --reconnect a lost connection makes the timeline unavailable ("timeline became
// unavailable", then "disconnected" with its close code); each failed attempt is a
// "connect_failed" event (with "error" and "retry_in_ns"); the return is "connected", and the
// first control timestamp makes the timeline available again. The wall clock keeps its last
// estimate meanwhile: a silent wall clock server is asked again at least every 1.5 s, and --json
// shows its synchronisation as "wall_clock_sync_acquired", "wall_clock_sync_lost" (3 requests
// in a row unanswered) and "wall_clock_sync_regained" events.
//
// Exit status: 0 done, 1 failed (never connected; lost the TV and, with --reconnect, not
// connected again at the end), 2 usage error.

#include "common/cli.hpp"
#include "common/discover_options.hpp"
#include "common/play_session.hpp"
#include "common/reconnect_policy.hpp"
#include "common/stop_signals.hpp"

#include <dvbcss/cii/client.hpp>
#include <dvbcss/cii/message.hpp>
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/net/websocket_url.hpp>
#include <dvbcss/net/ws_client_adapter.hpp>
#include <dvbcss/ts/clock_controller.hpp>
#include <dvbcss/ts/message.hpp>
#include <dvbcss/wc/estimator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace {

using namespace dvbcss;
using namespace std::chrono_literals;

struct client_options {
    tools::common_options common{false, "info"};
    std::vector<std::string> positional;
    std::string cii_url;
    tools::discover_options discover;
    std::string stem;
    bool json = false;
    double interval_s = 0.4;
    double duration_s = 0;
    double threshold_ms = 1.0;
    double apt_ept_lpt_s = 0; ///< Send an actual presentation timestamp this often (0: never).
    std::string wc_log_level = "warning";
    bool reconnect = false;
    tools::play_options play; ///< --play and its tuning; play.uri empty: no player.
};

/// What the companion follows, from the command line or from the TV's CII.
struct target {
    std::string ts_url;
    std::string wc_host;
    std::uint16_t wc_port = 0;
    std::string stem;
    std::string selector;
    double tick_rate = 0;
    std::string bind_address = "0.0.0.0";
    std::uint16_t bind_port = 0;
};

/// Splits "udp://host:port" ("udp://[v6]:port"). False if it is not of that form.
bool parse_udp_url(std::string_view url, std::string& host, std::uint16_t& port) {
    constexpr std::string_view scheme = "udp://";
    if (url.substr(0, scheme.size()) != scheme) {
        return false;
    }
    url.remove_prefix(scheme.size());
    std::string_view h;
    std::string_view p;
    if (!url.empty() && url.front() == '[') {
        const auto close = url.find(']');
        if (close == std::string_view::npos || close + 1 >= url.size() || url[close + 1] != ':') {
            return false;
        }
        h = url.substr(1, close - 1);
        p = url.substr(close + 2);
    } else {
        const auto colon = url.rfind(':');
        if (colon == std::string_view::npos) {
            return false;
        }
        h = url.substr(0, colon);
        p = url.substr(colon + 1);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (h.empty() || ec != std::errc() || end != p.data() + p.size() || value == 0 ||
        value > 65535) {
        return false;
    }
    host = std::string(h);
    port = static_cast<std::uint16_t>(value);
    return true;
}

/// Reads the wall clock and the timeline at one instant of CLOCK_MONOTONIC.
struct reading {
    std::int64_t monotonic_ns = 0;
    std::int64_t wall_clock_ns = 0;
    std::optional<std::int64_t> content_time;
    double position_s = 0;
    double speed = 0;
    double dispersion_ns = 0;
};

reading read_now(const clock::clock_base& wall_clock, const clock::clock_base& timeline) {
    reading r;
    r.monotonic_ns = clock::monotonic_time_source::instance().now_ns();
    const auto root = static_cast<tick_t>(r.monotonic_ns); // the root ticks at 1e9
    r.wall_clock_ns = static_cast<std::int64_t>(std::floor(wall_clock.from_root_ticks(root)));
    if (timeline.is_available()) {
        const auto ticks = timeline.from_root_ticks(root);
        r.content_time = static_cast<std::int64_t>(std::floor(ticks));
        r.position_s = static_cast<double>(ticks) / timeline.tick_rate();
        r.speed = timeline.effective_speed() / wall_clock.effective_speed();
        r.dispersion_ns = timeline.dispersion_at_time(ticks);
    } else {
        r.dispersion_ns = wall_clock.dispersion_at_time(wall_clock.from_root_ticks(root));
    }
    return r;
}

std::string json_number(double v) {
    if (!std::isfinite(v)) {
        return "null";
    }
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return buffer;
}

void print_json_event(std::string_view name, const std::string& extra = {}) {
    std::printf("{\"event\":\"%.*s\",\"monotonic_ns\":%lld%s}\n", static_cast<int>(name.size()),
                name.data(),
                static_cast<long long>(clock::monotonic_time_source::instance().now_ns()),
                extra.c_str());
    std::fflush(stdout);
}

class companion {
public:
    companion(boost::asio::io_context& io, const client_options& o)
        : io_(io)
        , o_(o)
        , sys_(clock::monotonic_time_source::instance(), 1e9, 500)
        , wall_clock_(sys_, 1e9)
        , status_timer_(io)
        , end_timer_(io) {}

    /// --play: makes the player and checks the media can be played. An exit status if not.
    std::optional<int> enable_play() {
        if (o_.play.uri.empty()) {
            return std::nullopt;
        }
        std::string error;
        play_ = tools::make_play_session(io_, wall_clock_, o_.play, error);
        if (!play_) {
            return fail_usage(error);
        }
        if (auto problem = play_->check({})) {
            std::fprintf(stderr, "ts-client: %s\n", problem->c_str());
            return tools::exit_status::failed;
        }
        play_->on_failure([this](const std::string& why) { fail_play(why); });
        return std::nullopt;
    }

    /// Starts following `t`. Returns an exit status if it cannot start.
    std::optional<int> follow(const target& t) {
        target_ = t;
        if (play_) {
            if (auto problem = play_->check(t.selector)) {
                std::fprintf(stderr, "ts-client: %s\n", problem->c_str());
                play_failed_ = true;
                return tools::exit_status::failed;
            }
        }
        auto server = net::resolve_udp_endpoint(t.wc_host, t.wc_port);
        if (!server) {
            return fail_usage("cannot resolve the wall clock server " + t.wc_host);
        }
        auto bind_address = t.bind_address;
        if (server->address().is_v6() && bind_address == "0.0.0.0") {
            bind_address = "::";
        }
        auto bind = net::resolve_udp_endpoint(bind_address, t.bind_port);
        if (!bind) {
            return fail_usage("cannot resolve the bind address " + bind_address);
        }
        timeline_ = std::make_unique<clock::correlated_clock>(wall_clock_, t.tick_rate);
        timeline_->set_availability(false);

        wc::estimator_options est;
        est.repeat_interval = 1s;
        est.retry_interval = 500ms;
        net::wall_clock_client_config wc_config;
        wc_config.server = *server;
        wc_config.bind = *bind;
        wc_config.core.response_timeout = 500ms;
        // A silent server is asked again at least every 0.5 + 1 s: a TV whose wall clock returns
        // is heard again within 1.5 s (the library's 2 s cap would make it 2.5 s).
        wc_config.core.max_backoff = 1s;
        wc_ = std::make_unique<net::wall_clock_client>(
            io_.get_executor(), wall_clock_,
            wc::make_estimator("lowest-dispersion", wall_clock_, est), wc_config);
        wc_->on_event([this](const net::wall_clock_client_event& e) {
            start_player_when_synchronised();
            // People see these in the wall clock client's own log lines ("wc.client").
            if (!o_.json || !e.status || e.status->kind == wc::client_event_kind::timeout) {
                return;
            }
            event(std::string("wall_clock_") + wc::to_string(e.status->kind), std::nullopt, {},
                  ",\"dispersion_ns\":" + json_number(e.status->dispersion_ns));
        });
        if (auto ec = wc_->start()) {
            std::fprintf(stderr, "ts-client: cannot bind the wall clock client to %s port %u: %s\n",
                         bind_address.c_str(), static_cast<unsigned>(t.bind_port),
                         ec.message().c_str());
            return tools::exit_status::failed;
        }

        ts::setup_data setup{t.stem, t.selector, std::nullopt};
        ts::clock_controller_options controller;
        controller.threshold_ns = static_cast<std::int64_t>(o_.threshold_ms * 1e6);
        ts::client_handlers client_callbacks;
        client_callbacks.connected = [this] {
            connected_once_ = true;
            lost_ = false;
            event("connected");
        };
        client_callbacks.disconnected = [this](std::uint16_t code, std::string_view reason) {
            event("disconnected", code, reason);
            if (play_) {
                // No TV, no timeline: the player pauses until one is followed again.
                play_->on_control_timestamp(ts::control_timestamp::unavailable(0));
            }
            if (!finishing_) {
                lost_ = true;
            }
        };
        client_callbacks.control_timestamp = [this](const ts::control_timestamp& ct) {
            if (play_) {
                play_->on_control_timestamp(ct);
            }
        };
        client_callbacks.protocol_error = [](error_code error, std::string_view text) {
            net::log::write(net::log::level::warning, "ts-client",
                            "ignored a message (" + error.message() +
                                "): " + std::string(text.substr(0, 80)));
        };
        ts::clock_controller_handlers clock_callbacks;
        clock_callbacks.available = [this] {
            event("timeline became available");
        };
        clock_callbacks.unavailable = [this] {
            event("timeline became unavailable");
        };
        clock_callbacks.timing_change = [this](bool speed_changed) {
            event(speed_changed ? "change in timing and play speed" : "change in timing");
        };
        net::websocket_client_config ws;
        ws.url = t.ts_url;
        ws.connect_timeout = 10s;
        if (o_.reconnect) {
            tools::use_companion_reconnect(ws);
        }
        net::ws_client_events events;
        events.connect_failed = [this](const net::connect_failure& f) {
            last_failure_ = f.message; // said in the exit line
            connect_failed(f);
        };
        events.finished = [this] {
            stop();
        };
        net::ws_client_adapter_options adapter_options;
        adapter_options.logger = "ts-client";
        ts_ = std::make_unique<net::ws_client_adapter<ts::timeline_follower>>(
            io_.get_executor(), std::move(ws), std::move(events), adapter_options, std::in_place,
            std::move(setup), *timeline_, controller, std::move(client_callbacks),
            std::move(clock_callbacks));
        if (auto ec = ts_->start()) {
            return fail_usage("bad CSS-TS URL " + t.ts_url + ": " + ec.message());
        }
        if (!o_.json && !o_.common.quiet) {
            std::printf("Connecting, requesting timeline for:\n"
                        "   Any contentId beginning with: %s\n"
                        "   and using timeline selector:  %s\n\n",
                        t.stem.c_str(), t.selector.c_str());
            std::fflush(stdout);
        }
        schedule_status();
        return std::nullopt;
    }

    void start_duration() {
        if (o_.duration_s <= 0) {
            return;
        }
        end_timer_.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(o_.duration_s)));
        end_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) {
                stop();
            }
        });
    }

    /// Called once when the run ends (the program cancels its signal handling then).
    void on_stopped(std::function<void()> f) { on_stopped_ = std::move(f); }

    /// Ends the run: closes the connection (1000) and stops the timers.
    void stop() {
        if (finishing_) {
            return;
        }
        finishing_ = true;
        if (on_stopped_) {
            on_stopped_();
        }
        status_timer_.cancel();
        end_timer_.cancel();
        if (play_) {
            play_->stop();
        }
        if (ts_) {
            ts_->close(net::close_codes::normal);
        }
        if (wc_) {
            if (wc_->synchronised()) {
                wall_clock_synchronised_ = true;
            }
            wc_->stop();
        }
        if (cii_) {
            cii_->close(net::close_codes::normal);
        }
    }

    /// Exit status once the io_context has run out of work.
    [[nodiscard]] int exit_status() const {
        if (usage_error_) {
            return tools::exit_status::usage;
        }
        if (play_failed_) {
            return tools::exit_status::failed; // the line was printed when it happened
        }
        if (!connected_once_) {
            if (cii_seen_ && !cii_missing_.empty()) {
                std::fprintf(stderr,
                             "ts-client: the TV's CII never said enough to follow a "
                             "timeline (%s)\n",
                             cii_missing_.c_str());
            } else if (!last_failure_.empty()) {
                std::fprintf(stderr, "ts-client: never connected to the TV (%s)\n",
                             last_failure_.c_str());
            } else {
                std::fprintf(stderr, "ts-client: never connected to the TV\n");
            }
            return tools::exit_status::failed;
        }
        if (lost_) {
            std::fprintf(stderr, "ts-client: lost the connection to the TV\n");
            return tools::exit_status::failed;
        }
        if (!wall_clock_synchronised_) {
            std::fprintf(stderr,
                         "ts-client: the wall clock never synchronised with %s port %u: "
                         "no timeline position could be trusted\n",
                         target_.wc_host.c_str(), static_cast<unsigned>(target_.wc_port));
            return tools::exit_status::failed;
        }
        return tools::exit_status::done;
    }

    /// --cii: reads the CII, then follows the chosen timeline.
    std::optional<int> follow_cii(const std::string& url, std::string selector) {
        cii::client_handlers handlers;
        handlers.changed = [this, selector](const cii::property_set&, const cii::message& m) {
            if (ts_ || finishing_) {
                return;
            }
            const auto* ts_url = m.ts_url.get_if();
            const auto* wc_url = m.wc_url.get_if();
            const auto* content = m.content_id.get_if();
            const auto* timelines = m.timelines.get_if();
            cii_seen_ = true;
            if (ts_url == nullptr || wc_url == nullptr || content == nullptr ||
                timelines == nullptr) {
                // Wait for a CII that says enough; say once what is missing.
                std::string missing;
                for (const auto& [present, name] :
                     {std::pair{ts_url != nullptr, "tsUrl"}, std::pair{wc_url != nullptr, "wcUrl"},
                      std::pair{content != nullptr, "contentId"},
                      std::pair{timelines != nullptr, "timelines"}}) {
                    if (!present) {
                        missing += (missing.empty() ? "" : ", ") + std::string(name);
                    }
                }
                missing += " null or absent";
                if (missing != cii_missing_) {
                    cii_missing_ = missing;
                    net::log::write(net::log::level::warning, "ts-client",
                                    "waiting for a CII with content to follow: " + missing);
                }
                return;
            }
            target t;
            t.ts_url = *ts_url;
            if (!parse_udp_url(*wc_url, t.wc_host, t.wc_port)) {
                std::fprintf(stderr, "ts-client: the CII's wcUrl is not udp://host:port: %s\n",
                             wc_url->c_str());
                usage_error_ = true;
                stop();
                return;
            }
            t.stem = o_.stem.empty() ? *content : o_.stem;
            const cii::timeline_option* chosen = nullptr;
            for (const auto& option : *timelines) {
                if (selector.empty() || option.timeline_selector == selector) {
                    chosen = &option;
                    break;
                }
            }
            if (chosen == nullptr) {
                std::fprintf(stderr, "ts-client: the TV offers no timeline %s\n", selector.c_str());
                usage_error_ = true;
                stop();
                return;
            }
            t.selector = chosen->timeline_selector;
            t.tick_rate = chosen->timeline_properties.tick_rate();
            if (o_.json) {
                print_json_event("cii", ",\"ts_url\":\"" + t.ts_url + "\",\"wc_url\":\"" + *wc_url +
                                            "\",\"selector\":\"" + t.selector +
                                            "\",\"tick_rate\":" + json_number(t.tick_rate));
            } else if (!o_.common.quiet) {
                std::printf("CII: tsUrl %s, wcUrl %s, content id %s, timeline %s at %g ticks/s\n",
                            t.ts_url.c_str(), wc_url->c_str(), content->c_str(), t.selector.c_str(),
                            t.tick_rate);
                std::fflush(stdout);
            }
            if (auto status = follow(t)) {
                if (*status == tools::exit_status::failed) {
                    play_failed_ = true;
                }
                stop();
            }
        };
        net::websocket_client_config ws;
        ws.url = url;
        if (o_.reconnect) {
            tools::use_companion_reconnect(ws);
        }
        net::ws_client_events events;
        events.connect_failed = [this](const net::connect_failure& f) {
            last_failure_ = "reading the CII: " + f.message;
            connect_failed(f);
        };
        events.finished = [this] {
            if (!ts_) {
                stop();
            }
        };
        cii_ = std::make_unique<net::ws_client_adapter<cii::client>>(
            io_.get_executor(), std::move(ws), std::move(events), net::ws_client_adapter_options{},
            std::in_place, std::move(handlers));
        if (auto ec = cii_->start()) {
            return fail_usage("bad CII URL " + url + ": " + ec.message());
        }
        return std::nullopt;
    }

private:
    /// The player starts once the wall clock is synchronised: its pipeline clock is the
    /// estimate, and the first estimate may be far from the unsynchronised clock.
    void start_player_when_synchronised() {
        if (!play_ || play_->started() || finishing_ || !wc_ || !wc_->synchronised()) {
            return;
        }
        if (auto problem = play_->start(target_.selector)) {
            fail_play(*problem);
        }
    }

    void fail_play(const std::string& why) {
        if (play_failed_) {
            return;
        }
        std::fprintf(stderr, "ts-client: %s\n", why.c_str());
        play_failed_ = true;
        // Not inside the pipeline's own event: stop on the next turn.
        boost::asio::post(io_, [this] { stop(); });
    }

    std::optional<int> fail_usage(const std::string& why) {
        std::fprintf(stderr, "ts-client: %s\n", why.c_str());
        usage_error_ = true;
        return tools::exit_status::usage;
    }

    /// One event: a --json line (with `json_extra`, ",name:value..."), else a log line.
    void event(std::string_view what, std::optional<std::uint16_t> code = std::nullopt,
               std::string_view reason = {}, const std::string& json_extra = {}) {
        if (o_.common.quiet) {
            return;
        }
        if (o_.json) {
            std::string extra;
            if (code) {
                extra = ",\"code\":" + std::to_string(*code);
            }
            print_json_event(what, extra + json_extra);
            return;
        }
        if (code) {
            net::log::write(net::log::level::info, "TSClient",
                            std::string(what) + " (" + std::to_string(*code) +
                                (reason.empty() ? "" : " " + std::string(reason)) + ")");
        } else {
            net::log::write(net::log::level::info, "TSClient", std::string(what));
        }
    }

    /// With --reconnect, each failed attempt is an event (the transport's own retry log line,
    /// rate-limited, says it for people); without, the exit line says why.
    void connect_failed(const net::connect_failure& f) {
        if (!o_.reconnect || !o_.json || o_.common.quiet) {
            return;
        }
        const nlohmann::json error = f.message;
        const auto retry_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(f.retry_in).count();
        print_json_event("connect_failed",
                         ",\"error\":" + error.dump() + ",\"retry_in_ns\":" +
                             (retry_ns > 0 ? std::to_string(retry_ns) : std::string("null")));
    }

    void schedule_status() {
        if (finishing_) {
            return;
        }
        status_timer_.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(o_.interval_s)));
        // A handler already queued when stop() cancelled the timer still sees success: it must
        // not re-arm the timer, or io_context::run never runs out of work and the run never ends.
        status_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || finishing_) {
                return;
            }
            print_status();
            send_presentation_timestamp();
            schedule_status();
        });
    }

    /// --apt-ept-lpt: tells the TV where this companion presents the timeline (actual, with
    /// earliest and latest at minus and plus infinity: it can present anything).
    void send_presentation_timestamp() {
        if (o_.apt_ept_lpt_s <= 0 || !ts_ || !timeline_->is_available()) {
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now < next_apt_ept_lpt_) {
            return;
        }
        next_apt_ept_lpt_ = now + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::duration<double>(o_.apt_ept_lpt_s));
        ts_->with_core(
            [](ts::timeline_follower& f) { static_cast<void>(f.send_apt_ept_lpt(true)); });
    }

    void print_status() {
        if (wc_ && wc_->synchronised()) {
            wall_clock_synchronised_ = true;
        }
        if (wc_ && !wall_clock_synchronised_ && !warned_unsynchronised_ &&
            std::chrono::steady_clock::now() - started_ > std::chrono::seconds(5)) {
            warned_unsynchronised_ = true;
            net::log::write(net::log::level::warning, "ts-client",
                            "no answer from the wall clock server " + target_.wc_host + " port " +
                                std::to_string(target_.wc_port) +
                                " yet: positions have no known error bound");
        }
        if (o_.common.quiet || !ts_) {
            return;
        }
        const auto r = read_now(wall_clock_, *timeline_);
        if (o_.json) {
            std::printf(
                "{\"monotonic_ns\":%lld,\"wall_clock_ns\":%lld,\"content_time\":%s,"
                "\"position_s\":%s,\"speed\":%s,\"available\":%s,\"tick_rate\":%s,"
                "\"dispersion_ns\":%s,\"wall_clock_dispersion_ns\":%s%s}\n",
                static_cast<long long>(r.monotonic_ns), static_cast<long long>(r.wall_clock_ns),
                r.content_time ? std::to_string(*r.content_time).c_str() : "null",
                r.content_time ? json_number(r.position_s).c_str() : "null",
                r.content_time ? json_number(r.speed).c_str() : "null",
                r.content_time ? "true" : "false", json_number(timeline_->tick_rate()).c_str(),
                json_number(r.dispersion_ns).c_str(), json_number(wc_->dispersion_ns()).c_str(),
                play_ ? play_->json_fields().c_str() : "");
        } else {
            std::printf("%s   Uncertainty (dispersion) = +/- %0.3f milliseconds%s\n",
                        ts_->core().status_summary().c_str(), wc_->dispersion_ns() / 1e6,
                        play_ ? play_->text_status().c_str() : "");
        }
        std::fflush(stdout);
    }

    boost::asio::io_context& io_;
    const client_options& o_;
    target target_;
    clock::sys_clock sys_;
    clock::correlated_clock wall_clock_;
    std::unique_ptr<clock::correlated_clock> timeline_;
    std::unique_ptr<net::wall_clock_client> wc_;
    std::unique_ptr<net::ws_client_adapter<ts::timeline_follower>> ts_;
    std::unique_ptr<net::ws_client_adapter<cii::client>> cii_;
    std::unique_ptr<tools::play_session> play_;
    bool play_failed_ = false;
    boost::asio::steady_timer status_timer_;
    boost::asio::steady_timer end_timer_;
    bool connected_once_ = false;
    bool lost_ = false;
    bool finishing_ = false;
    bool usage_error_ = false;
    bool cii_seen_ = false;
    std::string last_failure_; ///< Why the last connection attempt failed.
    std::string cii_missing_;
    bool wall_clock_synchronised_ = false;
    bool warned_unsynchronised_ = false;
    std::function<void()> on_stopped_;
    std::chrono::steady_clock::time_point next_apt_ept_lpt_{};
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

/// True if the host of ws:// URL `url` resolves (a typo in a host name is a usage error).
bool host_resolves(boost::asio::io_context& io, const std::string& url) {
    const auto parsed = net::parse_websocket_url(url);
    if (!parsed) {
        return false;
    }
    boost::asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    const auto found = resolver.resolve(parsed->host, std::to_string(parsed->port), ec);
    return !ec && !found.empty();
}

int run(client_options o) {
    boost::asio::io_context io;
    // The stop request (SIGINT, SIGTERM: blocked since main, pending ones kept), before any thread.
    dvbcss::tools::stop_signals signals(io);
    if (o.discover.discover) {
        if (o.positional.size() > 1) {
            std::fprintf(stderr,
                         "ts-client: with --discover, only a timeline selector may follow\n");
            return tools::exit_status::usage;
        }
        auto found =
            tools::discover_first_tv(io, "ts-client", o.discover, !o.json && !o.common.quiet);
        if (const auto* status = std::get_if<int>(&found)) {
            return *status;
        }
        o.cii_url = *std::get<net::discovered_tv>(found).inter_dev_sync_url;
        if (const auto problem = tools::websocket_url_problem(o.cii_url); !problem.empty()) {
            std::fprintf(stderr, "ts-client: the TV's InterDevSync URL %s: %s\n", o.cii_url.c_str(),
                         problem.c_str());
            return tools::exit_status::failed;
        }
    }
    const auto& first_url =
        o.cii_url.empty() ? (o.positional.empty() ? std::string() : o.positional[0]) : o.cii_url;
    if (!first_url.empty() && tools::websocket_url_problem(first_url).empty() &&
        !host_resolves(io, first_url)) {
        std::fprintf(stderr, "ts-client: cannot resolve the host of %s\n", first_url.c_str());
        return tools::exit_status::usage;
    }
    companion c(io, o);
    if (auto status = c.enable_play()) {
        return *status;
    }
    std::optional<int> early;
    if (!o.cii_url.empty()) {
        if (o.positional.size() > 1) {
            std::fprintf(stderr, "ts-client: with --cii, only a timeline selector may follow\n");
            return tools::exit_status::usage;
        }
        early = c.follow_cii(o.cii_url, o.positional.empty() ? std::string() : o.positional[0]);
    } else {
        if (o.positional.size() < 5 || o.positional.size() > 7) {
            std::fprintf(stderr, "ts-client: needs tsUrl wcUrl contentIdStem timelineSelector "
                                 "timelineFreq [wc_bindaddr] [wc_bindport], or --cii ciiUrl "
                                 "(see --help)\n");
            return tools::exit_status::usage;
        }
        target t;
        t.ts_url = o.positional[0];
        if (const auto problem = tools::websocket_url_problem(t.ts_url); !problem.empty()) {
            std::fprintf(stderr, "ts-client: tsUrl %s\n", problem.c_str());
            return tools::exit_status::usage;
        }
        if (!parse_udp_url(o.positional[1], t.wc_host, t.wc_port)) {
            std::fprintf(stderr, "ts-client: wcUrl must be udp://host:port, not %s\n",
                         o.positional[1].c_str());
            return tools::exit_status::usage;
        }
        t.stem = o.positional[2];
        t.selector = o.positional[3];
        double freq = 0;
        const auto& f = o.positional[4];
        const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), freq);
        if (ec != std::errc() || end != f.data() + f.size() || !(freq > 0) ||
            !std::isfinite(freq)) {
            std::fprintf(stderr,
                         "ts-client: timelineFreq must be a positive number of ticks "
                         "per second, not %s\n",
                         f.c_str());
            return tools::exit_status::usage;
        }
        t.tick_rate = freq;
        if (o.positional.size() > 5) {
            t.bind_address = o.positional[5];
        }
        if (o.positional.size() > 6 && o.positional[6] != "random") {
            unsigned port = 0;
            const auto& p = o.positional[6];
            const auto [pend, pec] = std::from_chars(p.data(), p.data() + p.size(), port);
            if (pec != std::errc() || pend != p.data() + p.size() || port > 65535) {
                std::fprintf(stderr, "ts-client: wc_bindport must be 0..65535 or random, not %s\n",
                             p.c_str());
                return tools::exit_status::usage;
            }
            t.bind_port = static_cast<std::uint16_t>(port);
        }
        early = c.follow(t);
    }
    if (early) {
        return *early;
    }
    c.on_stopped([&signals] { signals.cancel(); });
    c.start_duration();
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            c.stop();
        }
    });
    io.run();
    return c.exit_status();
}

/// --wcloglevel: lines from the wall clock client ("wc.*" loggers) below this level are dropped.
void apply_wc_log_level(const client_options& o) {
    if (o.common.quiet) {
        return;
    }
    const auto main_level =
        net::log::parse_level(o.common.log_level).value_or(net::log::level::info);
    const auto wc_level = net::log::parse_level(o.wc_log_level).value_or(net::log::level::warning);
    net::log::set_level(std::min(main_level, wc_level));
    tools::filter_logs([main_level, wc_level](net::log::level l, std::string_view logger) {
        return l >= (logger.substr(0, 3) == "wc." ? wc_level : main_level);
    });
}

} // namespace

int main(int argc, char** argv) {
    dvbcss::tools::block_stop_signals(); // a signal from now on waits for stop_signals
    return tools::run_main([&]() -> int {
        client_options o;
        CLI::App app{"CSS-TS companion: follows a TV's timeline over CSS-WC and CSS-TS",
                     "ts-client"};
        app.footer(std::string("Example: ts-client ws://127.0.0.1:7681/ts udp://127.0.0.1:6677 "
                               "\"dvb://\" urn:dvb:css:timeline:pts 90000\n"
                               "         ts-client --cii ws://127.0.0.1:7681/cii\n"
                               "         ts-client --discover --interface eth0\n") +
                   tools::exit_status_help);
        tools::add_common_options(app, o.common);
        app.add_option("args", o.positional,
                       "tsUrl wcUrl contentIdStem timelineSelector timelineFreq [wc_bindaddr] "
                       "[wc_bindport] (or, with --cii, an optional timelineSelector)");
        app.add_option("--cii", o.cii_url,
                       "Read tsUrl, wcUrl, content id and tick rate from "
                       "this CII URL (ws://host:port/cii)")
            ->check(tools::websocket_url_argument());
        app.add_flag("--discover", o.discover.discover,
                     "Find the TV by DIAL on --interface and read its CII (as --cii)");
        tools::add_discover_options(app, o.discover, "--discover-timeout");
        app.add_option("--stem", o.stem, "With --cii: content id stem (default the content id)");
        app.add_flag("--json", o.json, "One JSON object per line; units in the field names");
        app.add_option("--interval", o.interval_s, "Seconds between status lines (default 0.4)")
            ->check(tools::number_between(0.01, 3600.0));
        app.add_option("--duration", o.duration_s, tools::duration_help)
            ->check(tools::duration_seconds());
        app.add_option("--threshold-ms", o.threshold_ms,
                       "Apply a control timestamp that moves the timeline by more than this "
                       "(default 1 ms)")
            ->check(tools::number_between(0.0, 1e6));
        app.add_option("--apt-ept-lpt", o.apt_ept_lpt_s,
                       "Every S seconds, tell the TV the actual presentation timestamp (AptEptLpt; "
                       "sent at most once per status line)")
            ->check(tools::number_between(0.01, 3600.0));
        app.add_option("--play", o.play.uri,
                       "Also play this file or URI in step with the TV (GStreamer)");
        app.add_option("--audio-sink", o.play.audio_sink,
                       "With --play: audio sink, a GStreamer bin description (default automatic; "
                       "\"none\": render nothing)");
        app.add_option("--video-sink", o.play.video_sink,
                       "With --play: video sink, a GStreamer bin description (default automatic; "
                       "\"none\": render nothing)");
        app.add_option("--render-delay", o.play.render_delay_ms,
                       "With --play: render each moment MS later than the TV (negative: earlier)")
            ->check(tools::number_between(-10000.0, 10000.0));
        app.add_flag("--reconnect", o.reconnect,
                     "Keep reconnecting to the TV (0.5 s, then every 1 s) when the connection "
                     "fails or ends, and follow it again when it returns");
        app.add_option("--wcloglevel", o.wc_log_level,
                       "Log level of the wall clock client (default warning)")
            ->check([](const std::string& v) -> std::string {
                return net::log::parse_level(v) ? std::string{} : "unknown log level: " + v;
            });
        if (const auto exit_code = tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        if (o.discover.discover && o.positional.size() > 1) {
            std::fprintf(stderr,
                         "ts-client: with --discover, only a timeline selector may follow\n");
            return tools::exit_status::usage;
        }
        const bool has_url = !o.cii_url.empty() || (o.discover.discover ? o.positional.size() > 1
                                                                        : !o.positional.empty());
        // Neither a URL nor --discover: the usage line below says what is needed.
        if (const auto problem =
                o.discover.discover || has_url
                    ? tools::discover_usage_problem(o.discover, has_url, "tsUrl ... or --cii")
                    : std::string();
            !problem.empty()) {
            std::fprintf(stderr, "ts-client: %s\n", problem.c_str());
            return tools::exit_status::usage;
        }
        if (o.play.uri.empty() && (!o.play.audio_sink.empty() || !o.play.video_sink.empty() ||
                                   o.play.render_delay_ms != 0)) {
            std::fprintf(stderr, "ts-client: --audio-sink, --video-sink and --render-delay need "
                                 "--play\n");
            return tools::exit_status::usage;
        }
        o.play.json = o.json;
        o.play.quiet = o.common.quiet;
        apply_wc_log_level(o);
        return run(o);
    });
}
