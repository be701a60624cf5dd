// tv-device: a pretend TV serving all three companion protocols from one process (the
// reference's examples/TVDevice.py): CSS-CII at /cii, CSS-TS at /ts and CSS-WC over WebSocket at
// /wc on one WebSocket port, CSS-WC on UDP (on its own thread), and for people and browsers on the
// same port: the companion page at /, the status page at /status (/status.json) and POST /control.
//
//   tv-device [ws_addr] [ws_port] [wc_addr] [wc_port]   defaults 0.0.0.0 7681 0.0.0.0 6677
//     --scenario FILE       what the TV shows and does (docs/scenarios.md); default: the
//                           built-in scenarios/default.json
//     --cycle S             built-in scenario only: temi:1:1 becomes unavailable for S/2 of every
//                           S seconds (default 60, as the reference; 0: never)
//     --control-from-anywhere   accept POST /control from any address (default: loopback only)
//     --max-cii N, --max-ts N   companions allowed at once per protocol (default -1: no limit)
//     --json                print one JSON line per change (the TV's truth)
//     --dial --interface IFACE [--friendly-name NAME] [--uuid UUID]
//                           be found by DIAL on IFACE (docs/dial.md, "TV side")
//     --no-console          do not read commands from standard input
//     --media FILE_OR_URI [--loop] [--audio-sink DESC] [--video-sink DESC] [--content-id ID]
//                           play the media and serve the timelines it carries (PTS and TEMI
//                           for MPEG-TS, CT for MP4) instead of the pretend ones (docs/media.md,
//                           "TV side"); the console's pause, play, speed X (or rate R), seek to
//                           S (or seek S), seek +S then steer the player
//     -Q, --quiet-transport no WebSocket/HTTP transport log lines
//     --session-threads N   threads serving the WebSocket and HTTP connections (default two per
//                           core; 0: the main thread); the protocol state stays on the main thread
//     -q, --loglevel, --version, --help
//
// The built-in scenario: urn:dvb:css:timeline:pts (90 kHz) and urn:dvb:css:timeline:temi:1:1
// (50 Hz, a child of PTS), both from 0 at start. CII's wcUrl, tsUrl and its private entry for the
// WebSocket wall clock name the address and port each companion connected to. Standard input
// takes commands (pause, play, speed X, seek +S, seek to S, tweak MS, unavailable SEL,
// available SEL, content ID, status partial|final, presentation TOKENS, stats, help, quit).

#include "common/cli.hpp"
#include "common/descriptor_limit.hpp"
#include "common/dial_options.hpp"
#include "common/heap_retention.hpp"
#include "common/net_setup.hpp"
#include "common/stop_signals.hpp"
#include "common/thread_priority.hpp"
#include "common/timeline_control.hpp"
#include "common/wall_clock_thread.hpp"
#include "common/web_assets.hpp"
#include "tv/control_route.hpp"
#include "tv/default_scenario.hpp"
#include "tv/media_jump_timer.hpp"
#include "tv/media_timeline_source.hpp"
#include "tv/screen.hpp"
#include "tv/status_board.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/cii/server.hpp>
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/json/private_data.hpp>
#include <dvbcss/net/dial_server.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/net/wall_clock_ws_server.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/net/ws_adapter.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/tv/scenario.hpp>

#ifdef DVBCSS_HAVE_MEDIA
#include <dvbcss/gst/media_pipeline.hpp>
#endif

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <istream>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <variant>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

namespace {

using namespace dvbcss;
using namespace std::chrono_literals;

/// The type of tv-device's CII private entry naming the WebSocket wall clock (docs/cii.md).
constexpr const char* wall_clock_websocket_type = "urn:x-dvbcss:wall-clock-websocket";
/// Nice value of the WebSocket session threads on kernels without custom time slices (the owner
/// and the CSS-WC thread keep 0).
constexpr int session_thread_niceness = 5;

/// The session threads by default: two per core this process may run on (at least 2, at most
/// 64). Each connection stays on the thread that accepted it, so a fan-out's writes are split
/// between the threads up front. A thread whose core is shared (with the owner computing the
/// next chunk, a CSS-WC request, another process) finishes its share late, and with one thread
/// per core nothing evens that out; with two per core the kernel moves whole threads between the
/// cores until the shares finish together (docs/architecture.md, "Two session threads per core").
int default_session_threads() {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    const int cores = ::sched_getaffinity(0, sizeof allowed, &allowed) == 0
                          ? CPU_COUNT(&allowed)
                          : static_cast<int>(std::thread::hardware_concurrency());
    return std::clamp(2 * cores, 2, 64);
}

struct device_options {
    tools::common_options common{false, "info"};
    std::string ws_address = "0.0.0.0";
    int ws_port = 7681;
    std::string wc_address = "0.0.0.0";
    int wc_port = 6677;
    std::string scenario_file;
    double cycle_s = 60;
    bool cycle_given = false;
    bool control_from_anywhere = false;
    int max_cii = -1;
    int max_ts = -1;
    bool json = false;
    bool no_console = false;
    bool quiet_transport = false;
    int session_threads = default_session_threads();
    tools::dial_options dial;
    // --media
    std::string media;
    bool loop = false;
    std::string audio_sink;
    std::string video_sink;
    std::string content_id;
};

/// The content a TV playing `uri` shows: `content_id` (else the URI), the media's timelines at
/// their tick rates, no script.
tv::scenario media_scenario(const std::string& uri, const std::string& content_id,
                            const std::vector<media::timeline_mapping>& timelines) {
    tv::scenario s;
    tv::content_spec content;
    content.id = content_id.empty() ? uri : content_id;
    for (const auto& m : timelines) {
        tv::timeline_spec t;
        t.selector = m.selector;
        t.tick_rate = m.units_per_second / m.units_per_tick;
        content.timelines.push_back(t);
    }
    s.contents.push_back(content);
    s.first = 0;
    return s;
}

/// The CII the TV starts with (URLs are rewritten per companion).
cii::server_config initial_cii(const tv::content_spec& content, std::uint16_t wc_port) {
    cii::server_config config;
    config.initial_cii = tools::cii_for(content);
    auto& m = config.initial_cii;
    m.ts_url = "ws://{{host}}:{{port}}/ts";
    m.wc_url = "udp://{{host}}:" + std::to_string(wc_port);
    m.private_data =
        json::private_data::parse(std::string(R"([{"type":")") + wall_clock_websocket_type +
                                  R"(","url":"ws://{{host}}:{{port}}/wc"}])")
            .value();
    cii::add(config.rewrite_host_port, cii::property::private_data);
    return config;
}

/// The scenario to run: FILE, or the built-in one (its script replaced by `--cycle S`'s when
/// given). Prints the one-line error and returns nothing for a bad file.
std::optional<tv::scenario> load_scenario(const device_options& o) {
    std::string error;
    if (o.scenario_file.empty()) {
        auto s = tv::parse_scenario(tools::default_scenario_text(), error);
        if (!s) {
            std::fprintf(stderr, "tv-device: the built-in scenario: %s\n", error.c_str());
            return std::nullopt;
        }
        if (o.cycle_given) {
            // The same script as scenarios/default.json's, at another period.
            s->script.clear();
            s->repeat_ns.reset();
            if (o.cycle_s > 0) {
                const auto period = std::llround(o.cycle_s * 1e9);
                for (const bool available : {false, true}) {
                    tv::script_step step;
                    step.at_ns = available ? period : period / 2;
                    step.what.kind =
                        available ? tv::change_kind::available : tv::change_kind::unavailable;
                    step.what.timeline = tools::temi_selector;
                    s->script.push_back(step);
                }
                s->repeat_ns = period;
            }
        }
        return s;
    }
    std::ifstream file(o.scenario_file, std::ios::binary);
    std::stringstream text;
    if (file) {
        // At most one byte more than the parser accepts: it then says the file is too large.
        std::string buffer(tv::scenario_limits::max_text_bytes + 1, '\0');
        file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        buffer.resize(static_cast<std::size_t>(file.gcount()));
        text << buffer;
    }
    if (!file && !file.eof()) {
        std::fprintf(stderr, "tv-device: %s: cannot be read\n", o.scenario_file.c_str());
        return std::nullopt;
    }
    auto s = tv::parse_scenario(text.str(), error);
    if (!s) {
        std::fprintf(stderr, "tv-device: %s: %s\n", o.scenario_file.c_str(), error.c_str());
    }
    return s;
}

/// "90 kHz", "50 Hz".
std::string rate_text(std::uint64_t hz) {
    for (const auto& [unit, name] : {std::pair{1'000'000'000ULL, " GHz"},
                                     std::pair{1'000'000ULL, " MHz"}, std::pair{1000ULL, " kHz"}}) {
        if (hz >= unit && hz % unit == 0) {
            return std::to_string(hz / unit) + name;
        }
    }
    return std::to_string(hz) + " Hz";
}

/// Reads console commands from standard input, one line at a time, on the owner executor.
class console {
public:
    using handler = std::function<void(const std::string& line)>;

    console(boost::asio::io_context& io, handler on_line)
        : input_(io, ::dup(STDIN_FILENO))
        , on_line_(std::move(on_line)) {}

    void start() { read(); }

    void stop() {
        boost::system::error_code ignored;
        input_.close(ignored);
    }

private:
    void read() {
        boost::asio::async_read_until(
            input_, buffer_, '\n', [this](const boost::system::error_code& ec, std::size_t) {
                if (ec == boost::asio::error::not_found) {
                    // A line longer than the buffer: drop what has arrived of it and the rest
                    // up to its end, say so, and go on reading commands.
                    buffer_.consume(buffer_.size());
                    skipping_ = true;
                    std::fprintf(stderr,
                                 "tv-device: a command line longer than %zu bytes was "
                                 "ignored\n",
                                 max_line);
                    read();
                    return;
                }
                if (ec == boost::asio::error::eof && buffer_.size() > 0 && !skipping_) {
                    // The last line had no newline ("printf quit | tv-device"): still a command.
                    std::string last(boost::asio::buffers_begin(buffer_.data()),
                                     boost::asio::buffers_end(buffer_.data()));
                    buffer_.consume(buffer_.size());
                    on_line_(last);
                    return;
                }
                if (ec) {
                    return; // EOF or closed: no more commands
                }
                std::istream in(&buffer_);
                std::string line;
                std::getline(in, line);
                if (skipping_) {
                    skipping_ = false; // the tail of the over-long line
                } else {
                    on_line_(line);
                }
                read();
            });
    }

    static constexpr std::size_t max_line = 4096;
    boost::asio::posix::stream_descriptor input_;
    boost::asio::streambuf buffer_{max_line};
    handler on_line_;
    bool skipping_ = false;
};

/// One JSON line with the wall clock server's counts and its processing delay t3 - t2 since the
/// last call (then reset): {"event":"wc_stats","answered":N,"processing_delay_p50_ns":N|null,...};
/// the `processing_delay_since_dequeue` figures leave out the time in the socket queue and the
/// thread's wake-up.
void print_wc_stats(tools::wall_clock_thread& wc) {
    const auto s = wc.statistics();
    const auto percentile = [&](double p, net::processing_delay kind) {
        const auto v = wc.processing_delay_percentile_ns(p, kind);
        return v ? std::to_string(*v) : std::string("null");
    };
    constexpr auto receive = net::processing_delay::since_receive;
    constexpr auto dequeue = net::processing_delay::since_dequeue;
    std::printf("{\"event\":\"wc_stats\",\"monotonic_ns\":%lld,\"answered\":%llu,"
                "\"processing_delay_p50_ns\":%s,\"processing_delay_p99_ns\":%s,"
                "\"processing_delay_max_ns\":%s,\"processing_delay_since_dequeue_p50_ns\":%s,"
                "\"processing_delay_since_dequeue_p99_ns\":%s,"
                "\"processing_delay_since_dequeue_max_ns\":%s}\n",
                static_cast<long long>(clock::monotonic_time_source::instance().now_ns()),
                static_cast<unsigned long long>(s.core.answered), percentile(0.5, receive).c_str(),
                percentile(0.99, receive).c_str(), percentile(1.0, receive).c_str(),
                percentile(0.5, dequeue).c_str(), percentile(0.99, dequeue).c_str(),
                percentile(1.0, dequeue).c_str());
    std::fflush(stdout);
    wc.reset_processing_delay();
}

/// One JSON line with the DIAL server's counts since start:
/// {"event":"dial_stats","searches":N,"answered":N,"dropped_full":N,...}
void print_dial_stats(const net::dial_server& dial) {
    const auto s = dial.statistics();
    const auto u = [](std::uint64_t v) {
        return static_cast<unsigned long long>(v);
    };
    std::printf("{\"event\":\"dial_stats\",\"monotonic_ns\":%lld,\"datagrams\":%llu,"
                "\"searches\":%llu,\"answered\":%llu,\"not_for_us\":%llu,\"malformed\":%llu,"
                "\"dropped_full\":%llu,\"send_errors\":%llu,\"notify_sent\":%llu,"
                "\"description_requests\":%llu,\"application_requests\":%llu,"
                "\"launch_refused\":%llu}\n",
                static_cast<long long>(clock::monotonic_time_source::instance().now_ns()),
                u(s.datagrams), u(s.searches), u(s.answered), u(s.not_for_us), u(s.malformed),
                u(s.dropped_full), u(s.send_errors), u(s.notify_sent), u(s.description_requests),
                u(s.application_requests), u(s.launch_refused));
    std::fflush(stdout);
}

/// Serves the embedded web pages: GET and HEAD only, 404 for a path with no page.
class web_pages final : public net::http_handler {
public:
    /// `fixed`: serve this asset whatever the path (e.g. "/status.html" for /status).
    explicit web_pages(std::string fixed = {})
        : fixed_(std::move(fixed)) {}

    void on_request(const net::http_request& request, net::http_responder respond) override {
        net::http_response r;
        r.headers.emplace_back("Cache-Control", "no-cache");
        if (request.method != "GET" && request.method != "HEAD") {
            r.status = 405;
            r.headers.emplace_back("Allow", "GET, HEAD");
            r.body = "GET or HEAD only\n";
        } else if (const auto asset =
                       tools::find_web_asset(fixed_.empty() ? request.path : fixed_)) {
            r.content_type = std::string(asset->content_type);
            r.body = std::string(asset->body);
        } else {
            r.status = 404;
            r.body = "no such page\n";
        }
        respond(std::move(r));
    }

private:
    std::string fixed_;
};

int run(const device_options& o, const tv::scenario& given_scenario) {
    // Every companion is a descriptor: take all this process may have, and say when the
    // companions it was told to allow cannot all fit.
    const auto descriptors = tools::raise_descriptor_limit();
    if (descriptors && o.max_cii >= 0 && o.max_ts >= 0) {
        if (const auto why = tools::descriptor_shortfall(
                *descriptors, static_cast<std::int64_t>(o.max_cii) + o.max_ts)) {
            std::fprintf(stderr, "tv-device: warning: --max-cii %d and --max-ts %d: %s\n",
                         o.max_cii, o.max_ts, why->c_str());
        }
    }
    boost::asio::io_context io;
    // The stop request (SIGINT, SIGTERM: blocked since main, pending ones kept), before any thread.
    dvbcss::tools::stop_signals signals(io);

    // --media: the player first (prerolled), so that the content's timelines are known.
    tv::scenario played;
#ifdef DVBCSS_HAVE_MEDIA
    std::function<void(const gst::media_event&)> on_media_event;
    std::unique_ptr<gst::media_pipeline> player;
    if (!o.media.empty()) {
        gst::media_pipeline_options mo;
        mo.uri = o.media;
        mo.loop = o.loop;
        mo.audio_sink = o.audio_sink;
        mo.video_sink = o.video_sink;
        try {
            player = gst::media_pipeline::create(mo, io.get_executor(),
                                                 [&on_media_event](const gst::media_event& e) {
                                                     if (on_media_event) {
                                                         on_media_event(e);
                                                     }
                                                 });
        } catch (const gst::media_error& e) {
            std::fprintf(stderr, "tv-device: %s\n", e.what());
            return e.why() == gst::media_failure::not_found ? tools::exit_status::usage
                                                            : tools::exit_status::failed;
        }
        const auto timelines = player->timelines();
        const auto kind = player->container();
        const char* expected = kind == gst::container_kind::mpeg_ts ? "urn:dvb:css:timeline:pts"
                               : kind == gst::container_kind::mp4   ? "urn:dvb:css:timeline:ct"
                                                                    : nullptr;
        if (timelines.empty()) {
            std::fprintf(stderr,
                         "tv-device: %s: %s%s; companions are told its timelines are "
                         "unavailable\n",
                         o.media.c_str(),
                         expected ? "no timeline recovered for "
                                  : "not demuxed as MPEG-TS or MP4, so no timeline we read",
                         expected ? expected : " (MPEG-TS: PTS and TEMI, MP4: CT)");
        }
        for (const auto& note : player->timeline_notes()) {
            std::fprintf(stderr, "tv-device: %s: %s\n", o.media.c_str(), note.c_str());
        }
        played = media_scenario(player->uri(), o.content_id, timelines);
    }
#endif
    const tv::scenario& scenario = o.media.empty() ? given_scenario : played;
    const auto addresses = tools::resolve_server_addresses(io, "tv-device", o.ws_address, o.ws_port,
                                                           o.wc_address, o.wc_port);
    if (!addresses) {
        return tools::exit_status::usage;
    }
    net::websocket_server_config ws_config;
    ws_config.address = addresses->websocket_address;
    ws_config.port = addresses->websocket_port;
    ws_config.session_threads = static_cast<std::size_t>(o.session_threads);
    const auto wc_endpoint = addresses->wall_clock;
    std::string dial_error;
    const auto dial_iface =
        tools::check_dial_options(o.dial, addresses->websocket_address, dial_error);
    if (!dial_error.empty()) {
        std::fprintf(stderr, "tv-device: %s\n", dial_error.c_str());
        return tools::exit_status::usage;
    }
    if (o.quiet_transport) {
        tools::quiet_transport_logs();
    }

    // The wall clock server binds first, on its own thread: the CII names its real port.
    constexpr double mfe_ppm = 500;
    net::wall_clock_server_config wc_config;
    wc_config.bind = wc_endpoint;
    wc_config.record_processing_delay = true;
    tools::wall_clock_thread wc(wc_config, mfe_ppm);
    if (auto ec = wc.start()) {
        std::fprintf(stderr, "tv-device: cannot bind the wall clock server to %s port %d: %s\n",
                     o.wc_address.c_str(), o.wc_port, ec.message().c_str());
        return tools::exit_status::failed;
    }

    // The owner (this thread): the clock tree, the protocol cores, the content state.
    clock::sys_clock sys(clock::monotonic_time_source::instance(), 1e9, mfe_ppm);
    clock::correlated_clock wall_clock(sys, 1e9);

    // A fan-out to thousands of companions keeps the session threads busy for tens of ms. The
    // CSS-WC thread must still answer at once: it asked for short time slices (Linux 6.12 and
    // later), which let it preempt them; where the kernel has none, the session threads run at
    // a lower priority instead (bench/fanout_10k measures t3 - t2 both ways).
    ws_config.session_thread_start = [lower = !wc.short_slices()](std::size_t index) {
        const auto name = "tv-ws-" + std::to_string(index);
        ::pthread_setname_np(::pthread_self(), name.c_str());
        if (lower) {
            static_cast<void>(tools::set_thread_niceness(session_thread_niceness));
        }
    };
    net::websocket_server server(io.get_executor(), ws_config);
    net::ws_server_adapter_options cii_options;
    cii_options.logger = "cii";
    cii_options.endpoint.max_connections = o.max_cii;
    net::ws_server_adapter<cii::server> cii_endpoint(
        server, "/cii", io.get_executor(), cii_options, std::in_place,
        initial_cii(scenario.contents.at(scenario.first), wc.local_endpoint().port()));
    net::ws_server_adapter_options ts_options;
    ts_options.logger = "ts";
    ts_options.endpoint.max_connections = o.max_ts;
    net::ws_server_adapter<ts::server> ts_endpoint(server, "/ts", io.get_executor(), ts_options,
                                                   std::in_place, wall_clock);
    // CSS-WC over WebSocket for browsers, answered on the session threads as soon as a request
    // is read. It reads a wall clock of its own, built as the owner's: tv-device never changes
    // the owner's correlation, so both read the same time and no session thread touches the
    // owner's clock tree.
    clock::sys_clock wc_ws_sys(clock::monotonic_time_source::instance(), 1e9, mfe_ppm);
    clock::correlated_clock wc_ws_clock(wc_ws_sys, 1e9);
    net::wall_clock_ws_server wc_ws(server, "/wc", wc_ws_clock);

    // Session threads end before the handlers above are destroyed, on every way out of here.
    const struct session_joiner {
        explicit session_joiner(net::websocket_server& s)
            : server(s) {}

        session_joiner(const session_joiner&) = delete;
        session_joiner& operator=(const session_joiner&) = delete;

        ~session_joiner() { server.join(); }

        net::websocket_server& server;
    } join_sessions(server);

    tools::tv_screen screen(scenario, wall_clock, cii_endpoint.core(), ts_endpoint.core());

    tools::status_board status(io.get_executor(), wall_clock);
    status.watch_cii(cii_endpoint);
    status.watch_ts(ts_endpoint);
    status.watch_wall_clock_udp(wc);
    status.watch_wall_clock_websocket([&wc_ws] {
        const auto s = wc_ws.statistics();
        return tools::wc_websocket_figures{wc_ws.endpoint().connection_count(), s.binary_requests,
                                           s.json_requests, s.ignored};
    });
    status.set_timelines([&screen] {
        std::vector<tools::timeline_status> out;
        for (const auto& t : screen.timelines()) {
            out.push_back({t.selector, static_cast<double>(t.tick_rate), t.clock->is_available(),
                           t.source->control_timestamp_for(t.selector), std::nullopt});
        }
        return out;
    });

    // --media: the media's timelines, attached after the screen's pretend clocks for the same
    // selectors (the last attached source wins), pushed on each pipeline event.
    std::vector<std::unique_ptr<tools::media_timeline_source>> media_sources;
#ifdef DVBCSS_HAVE_MEDIA
    if (player) {
        for (const auto& m : player->timelines()) {
            media_sources.push_back(std::make_unique<tools::media_timeline_source>(m));
            ts_endpoint.core().attach(*media_sources.back());
        }
        status.set_timelines([&media_sources, &player] {
            std::vector<tools::timeline_status> out;
            const std::int64_t latency = player->state().latency_ns;
            for (const auto& t : media_sources) {
                const auto& ct = t->current();
                out.push_back({t->mapping().selector, t->mapping().tick_rate(),
                               ct && ct->available(), ct, latency});
            }
            return out;
        });
    }
#endif

    // What companions say they present (remote input: rate-limited, 5 lines then 1 a second).
    net::detail::limited_log presented("tv-device", 5, std::chrono::seconds(1));
    ts_endpoint.core().set_apt_ept_lpt_handler(
        status.apt_ept_lpt_recorder([&presented](connection_id id, const ts::apt_ept_lpt& m) {
            if (m.actual && m.actual->wall_clock_time.finite() &&
                net::log::enabled(net::log::level::debug)) {
                presented.write(net::log::level::debug,
                                "companion " + std::to_string(id) + " presents content time " +
                                    std::to_string(m.actual->content_time) + " at wall clock " +
                                    std::to_string(m.actual->wall_clock_time.ns) + " ns");
            }
        }));
    const auto flush = [&] {
        cii_endpoint.flush();
        ts_endpoint.flush();
    };

    const auto say = [&](const std::string& line) {
        net::log::write(net::log::level::info, "tv-device", line);
        status.record_event(line);
    };
    const bool print_truth = o.json && !o.common.quiet;
    // --media: the media's timelines as the same truth lines ({"event":"timeline",...}), the
    // control timestamp each one serves now.
    const auto media_truth = [&](std::string_view cause) {
        for (const auto& t : media_sources) {
            const auto& ct = t->current();
            if (!print_truth || !ct) {
                continue;
            }
            char speed[32] = "null";
            if (ct->available()) {
                std::snprintf(speed, sizeof speed, "%.17g", *ct->timeline_speed_multiplier);
            }
            std::printf("{\"event\":\"timeline\",\"selector\":\"%s\",\"monotonic_ns\":%lld,"
                        "\"wall_clock_ns\":%lld,\"content_time\":%s,\"speed\":%s,"
                        "\"tick_rate\":%.17g,\"available\":%s,\"cause\":\"%.*s\"}\n",
                        t->mapping().selector.c_str(),
                        static_cast<long long>(clock::monotonic_time_source::instance().now_ns()),
                        static_cast<long long>(ct->wall_clock_time),
                        ct->content_time ? std::to_string(*ct->content_time).c_str() : "null",
                        speed, t->mapping().tick_rate(), ct->available() ? "true" : "false",
                        static_cast<int>(cause.size()), cause.data());
        }
        std::fflush(stdout);
    };
    const auto truth = [&](std::string_view cause) {
        if (!media_sources.empty() || !o.media.empty()) {
            media_truth(cause);
            return;
        }
        if (print_truth) {
            for (const auto& t : screen.timelines()) {
                tools::print_timeline_truth(t.selector, wall_clock, *t.clock, cause);
            }
        }
    };
    const auto content_truth = [&] {
        if (!print_truth) {
            return;
        }
        // Which companions still see the timelines depends on their stems.
        std::string tokens;
        for (const auto& t : screen.presentation_status()) {
            tokens += (tokens.empty() ? "" : " ") + t;
        }
        const auto& id = screen.content_id();
        std::printf("{\"event\":\"content\",\"monotonic_ns\":%lld,\"content_id\":%s,"
                    "\"content_id_status\":\"%s\",\"presentation_status\":%s}\n",
                    static_cast<long long>(clock::monotonic_time_source::instance().now_ns()),
                    id ? tools::json_string(*id).c_str() : "null",
                    screen.content_id_status() == cii::id_status::partial ? "partial" : "final",
                    tools::json_string(tokens).c_str());
        std::fflush(stdout);
    };
    // --media: the index in media_sources (the order of the media's timelines, as in the
    // scenario made from them) of the timeline `name` names; `screen.check` has checked it.
    const auto named_media_timeline = [&](const std::string& name) {
        return tv::find_timeline(screen.scenario().contents.at(0), name);
    };
    // --media: pause, play, speed, seek and tweak steer the player (seek positions are seconds
    // of the media from its start, or of the timeline named); the pipeline's events then move
    // every timeline together. Available and unavailable withhold one timeline or serve it
    // again.
    const auto media_change = [&](const tv::change& c) -> std::optional<std::string> {
#ifdef DVBCSS_HAVE_MEDIA
        if (!player) {
            return std::nullopt;
        }
        const auto position_s = [&] {
            return static_cast<double>(player->position_ns().value_or(0)) / 1e9;
        };
        bool ok = true;
        std::string said;
        switch (c.kind) {
        case tv::change_kind::pause:
            player->pause();
            said = "media: pause";
            break;
        case tv::change_kind::play:
        case tv::change_kind::speed: {
            const double speed = c.kind == tv::change_kind::play ? 1.0 : c.speed;
            if (speed < 0) {
                return "reverse playback is not supported with --media";
            }
            if (speed == 0) {
                player->pause();
                said = "media: pause";
                break;
            }
            // Always asked: the pipeline knows a rate given to a seek still under way, which
            // its state does not show yet ("unchanged" when it already is that rate).
            ok = player->set_rate(speed);
            player->play();
            char rate_text[32];
            std::snprintf(rate_text, sizeof rate_text, "%.9g", speed); // 1e-07, not 0.000000
            said = std::string("media: play at rate ") + rate_text;
            break;
        }
        case tv::change_kind::seek:
        case tv::change_kind::tweak: {
            double to = c.to_seconds ? *c.to_seconds : position_s() + c.by_seconds;
            said = "media: seek to " + std::to_string(std::max(0.0, to)) + " s";
            if (c.to_seconds && c.timeline) {
                // "To" seconds of the named timeline: where its ticks are to * tick rate.
                const auto& m = media_sources.at(*named_media_timeline(*c.timeline))->mapping();
                const auto ticks = std::llround(*c.to_seconds * m.tick_rate());
                // A value a jumping timeline has more than once: the one nearest the player.
                to = static_cast<double>(m.position_at(ticks, player->position_ns())) / 1e9;
                said = "media: seek to " + m.selector + " " + std::to_string(ticks) + " ticks (" +
                       std::to_string(std::max(0.0, to)) + " s of the media)";
            }
            ok = player->seek(std::llround(std::max(0.0, to) * 1e9));
            break;
        }
        case tv::change_kind::available:
        case tv::change_kind::unavailable: {
            const bool withheld = c.kind == tv::change_kind::unavailable;
            auto& source = *media_sources.at(*named_media_timeline(*c.timeline));
            source.withhold(withheld, player->state(),
                            clock::monotonic_time_source::instance().now_ns());
            said = "timeline " + source.mapping().selector +
                   (withheld ? " unavailable" : " available");
            media_truth(withheld ? "unavailable" : "available");
            break;
        }
        default:
            return std::nullopt;
        }
        if (!ok) {
            return "the player refused it (" + said + ")";
        }
        say(said);
        return std::nullopt;
#else
        static_cast<void>(c);
        return std::nullopt;
#endif
    };
    // --media: a seek "to" seconds of a named timeline must name a value the timeline has within
    // the media (a jumping TEMI timeline skips some; none has values before the media's start or
    // after its end), else the request is refused with the range it has.
    const auto check_media_seeks = [&](std::span<const tv::change> changes,
                                       bool indexed) -> std::optional<std::string> {
#ifdef DVBCSS_HAVE_MEDIA
        for (std::size_t i = 0; player && i < changes.size(); ++i) {
            const auto& c = changes[i];
            if (c.kind != tv::change_kind::seek || !c.to_seconds || !c.timeline) {
                continue;
            }
            const auto& m = media_sources.at(*named_media_timeline(*c.timeline))->mapping();
            if (auto why = tools::unreachable_ticks(m, std::llround(*c.to_seconds * m.tick_rate()),
                                                    player->position_ns(), player->duration_ns())) {
                return (indexed ? "[" + std::to_string(i) + "]." : std::string()) + "to: " + *why;
            }
        }
#else
        static_cast<void>(changes);
        static_cast<void>(indexed);
#endif
        return std::nullopt;
    };
    const auto steers_media = [&](const tv::change& c) {
        return !o.media.empty() &&
               (c.kind == tv::change_kind::pause || c.kind == tv::change_kind::play ||
                c.kind == tv::change_kind::speed || c.kind == tv::change_kind::seek ||
                c.kind == tv::change_kind::tweak || c.kind == tv::change_kind::available ||
                c.kind == tv::change_kind::unavailable);
    };
    // Every change, whatever its source: checked as a whole, applied, told, flushed once.
    const auto apply_changes = [&](std::span<const tv::change> changes,
                                   bool indexed) -> std::optional<std::string> {
        if (auto why = screen.check(changes, indexed)) {
            return why;
        }
        if (auto why = check_media_seeks(changes, indexed)) {
            return why;
        }
        for (const auto& c : changes) {
            if (steers_media(c)) {
                if (auto why = media_change(c)) {
                    return why;
                }
                continue;
            }
            const auto outcome = screen.apply(c);
            say(outcome.said);
            if (outcome.content_changed) {
                content_truth();
            }
            if (outcome.timelines_moved) {
                truth(outcome.cause);
            }
        }
        flush();
        return std::nullopt;
    };

    // POST /control's `state`: the screen's, with --media the media's timelines as they are now
    // (the control timestamp each serves, carried to this moment; a change just asked for
    // shows once the pipeline has made it).
    const auto state_json = [&]() -> std::string {
        if (media_sources.empty()) {
            return screen.state_json();
        }
        auto j = nlohmann::ordered_json::parse(screen.state_json());
        const auto now = clock::monotonic_time_source::instance().now_ns();
        auto list = nlohmann::ordered_json::array();
        for (const auto& t : media_sources) {
            nlohmann::ordered_json e;
            e["selector"] = t->mapping().selector;
            e["tick_rate"] = t->mapping().tick_rate();
            const auto& ct = t->current();
            const bool available = ct && ct->available();
            if (available) {
                const double speed = *ct->timeline_speed_multiplier;
                e["content_time"] = *ct->content_time +
                                    static_cast<std::int64_t>(
                                        std::floor(static_cast<double>(now - ct->wall_clock_time) *
                                                   speed * t->mapping().tick_rate() / 1e9));
                e["speed"] = speed;
            } else {
                e["content_time"] = nullptr;
                e["speed"] = nullptr;
            }
            e["available"] = available;
            list.push_back(std::move(e));
        }
        j["wall_clock_ns"] = now;
        j["timelines"] = std::move(list);
        return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    };
    tools::control_route control(
        io.get_executor(),
        [&](const std::vector<tv::change>& changes, bool indexed) {
            tools::control_answer answer;
            answer.refused = apply_changes(changes, indexed);
            if (!answer.refused) {
                std::string applied;
                for (const auto& c : changes) {
                    applied += (applied.empty() ? "" : ",") + tv::to_json(c);
                }
                answer.body = "{\"applied\":[" + applied + "],\"state\":" + state_json() + "}";
            }
            return answer;
        },
        o.control_from_anywhere);
    web_pages pages;
    web_pages status_page("/status.html");
    net::http_route_config prefix;
    prefix.prefix = true;
    server.add_http_route("/", pages, prefix);
    server.add_http_route("/status", status_page);
    server.add_http_route("/status.json", status.json_handler());
    server.add_http_route("/control", control);

    if (auto ec = server.start()) {
        std::fprintf(stderr, "tv-device: cannot listen on %s port %d: %s\n", o.ws_address.c_str(),
                     o.ws_port, ec.message().c_str());
        wc.stop();
        return tools::exit_status::failed;
    }

    // DIAL: the routes join the running server; SSDP on the chosen interface only.
    const auto local = server.local_endpoint();
    std::unique_ptr<net::dial_server> dial;
    if (dial_iface) {
        net::dial_server_config dial_config;
        dial_config.iface = *dial_iface;
        dial_config.http_port = local.port();
        dial_config.cii_port = local.port();
        dial_config.cii_path = "/cii";
        dial_config.uuid = o.dial.uuid;
        if (!o.dial.friendly_name.empty()) {
            dial_config.friendly_name = o.dial.friendly_name;
        }
        dial_config.user_agent = std::string("dvbcss tv-device/") + DVBCSS_VERSION_STRING;
        dial = std::make_unique<net::dial_server>(io.get_executor(), server, dial_config);
        if (auto ec = dial->start()) {
            std::fprintf(stderr, "tv-device: cannot start DIAL (SSDP) on %s: %s\n",
                         dial_iface->name.c_str(), ec.message().c_str());
            server.stop();
            wc.stop();
            return tools::exit_status::failed;
        }
    }

    const auto wc_local = wc.local_endpoint();
    if (!o.common.quiet) {
        const auto host = tools::url_host(tools::reachable_addresses(local.address()).front());
        const auto port = static_cast<unsigned>(local.port());
        const auto cii_urls = tools::endpoint_url_lines("CSS-CII endpoint URL: ", local, "/cii");
        const auto ts_urls = tools::endpoint_url_lines("CSS-TS  endpoint URL: ", local, "/ts");
        const auto wc_line = tools::udp_bound_line("CSS-WC  endpoint", wc_local);
        std::string timelines;
        for (const auto& t : screen.timelines()) {
            timelines +=
                (timelines.empty() ? "" : ", ") + t.selector + " (" + rate_text(t.tick_rate) + ")";
        }
        const auto& id = screen.content_id();
        const std::string dial_line =
            dial ? "DIAL on " + dial_iface->name + ": device description " + dial->location() +
                       " (uuid:" + dial->uuid() + "), CII for companions " + dial->cii_url() + "\n"
                 : std::string();
        const std::string descriptor_line =
            descriptors && descriptors->soft != UINT64_MAX
                ? "Descriptor limit: " + std::to_string(descriptors->soft) + " (about " +
                      std::to_string(descriptors->soft > tools::descriptors_besides_connections
                                         ? descriptors->soft -
                                               tools::descriptors_besides_connections
                                         : 0) +
                      " companions at once)\n"
                : std::string();
        std::printf("----\n%s%s%s"
                    "CSS-WC over WebSocket: ws://%s:%u/wc\n"
                    "Companion page: http://%s:%u/\n"
                    "Status: http://%s:%u/status\n"
                    "Control: POST http://%s:%u/control\n"
                    "Content ID: %s\n"
                    "Timelines: %s\n"
                    "A companion follows it with: ts-client --cii ws://%s:%u/cii\n"
                    "%s%s"
                    "----\n",
                    cii_urls.c_str(), ts_urls.c_str(), wc_line.c_str(), host.c_str(), port,
                    host.c_str(), port, host.c_str(), port, host.c_str(), port,
                    id ? id->c_str() : "(none)", timelines.empty() ? "(none)" : timelines.c_str(),
                    host.c_str(), port, descriptor_line.c_str(), dial_line.c_str());
        std::fflush(stdout);
    }
#ifdef DVBCSS_HAVE_MEDIA
    // A media timeline that jumps (TEMI across programme boundaries) gets a new control timestamp
    // when the jump is rendered.
    std::function<void()> arm_jump_timer;
    tools::media_jump_timer jump_timer(io.get_executor(), [&] {
        const auto state = player->state();
        const auto at = clock::monotonic_time_source::instance().now_ns();
        bool changed = false;
        for (const auto& t : media_sources) {
            changed = t->update(state, at) || changed;
        }
        if (changed) {
            flush();
            media_truth("timeline_jump");
        }
        arm_jump_timer();
    });
    arm_jump_timer = [&] {
        if (!player) {
            return;
        }
        std::vector<const media::timeline_mapping*> mappings;
        for (const auto& t : media_sources) {
            mappings.push_back(&t->mapping());
        }
        jump_timer.arm(player->state(), mappings,
                       clock::monotonic_time_source::instance().now_ns());
    };
    if (player) {
        on_media_event = [&](const gst::media_event& e) {
            const auto now = clock::monotonic_time_source::instance().now_ns();
            const auto st = player->state();
            if (e.kind == gst::media_event_kind::error) {
                std::fprintf(stderr, "tv-device: %s\n", e.message.c_str());
                for (const auto& t : media_sources) {
                    t->set_unavailable(now);
                }
                static_cast<void>(apply_changes(
                    std::vector<tv::change>{tv::change{tv::change_kind::presentation_status,
                                                       std::nullopt,
                                                       1.0,
                                                       std::nullopt,
                                                       0,
                                                       std::nullopt,
                                                       std::nullopt,
                                                       {"fault"}}},
                    false));
            } else {
                if (e.kind == gst::media_event_kind::timelines_updated) {
                    // What the background read of the file found: jumps, served from now on,
                    // and timelines first found there, listed in CII and served from now on
                    // (after the others: the scenario's order is media_sources' order).
                    for (const auto& m : player->timelines()) {
                        const auto known = std::find_if(
                            media_sources.begin(), media_sources.end(),
                            [&](const auto& t) { return t->mapping().selector == m.selector; });
                        if (known != media_sources.end()) {
                            (*known)->remap(m);
                            continue;
                        }
                        tv::timeline_spec spec;
                        spec.selector = m.selector;
                        spec.tick_rate = m.units_per_second / m.units_per_tick;
                        screen.add_timeline(spec);
                        media_sources.push_back(std::make_unique<tools::media_timeline_source>(m));
                        ts_endpoint.core().attach(*media_sources.back());
                    }
                    std::size_t from = 0;
                    while (from < e.message.size()) {
                        const auto end = std::min(e.message.find('\n', from), e.message.size());
                        std::fprintf(stderr, "tv-device: %s: %s\n", o.media.c_str(),
                                     e.message.substr(from, end - from).c_str());
                        from = end + 1;
                    }
                }
                for (const auto& t : media_sources) {
                    t->update(st, now);
                }
            }
            if (e.kind == gst::media_event_kind::latency_changed ||
                e.kind == gst::media_event_kind::playing) {
                status.record_event("media: render latency accounted " +
                                    std::to_string(st.latency_ns) + " ns");
            }
            if (e.kind == gst::media_event_kind::rate_changed) {
                say("media: rate_changed (" + e.message + ")");
            } else if (e.kind != gst::media_event_kind::timelines_known &&
                       e.kind != gst::media_event_kind::timelines_updated) {
                say(std::string("media: ") + gst::to_string(e.kind));
            }
            flush();
            media_truth(gst::to_string(e.kind));
            arm_jump_timer();
        };
        player->play();
    }
#endif
    truth("start");

    // The scenario's script, timed from now.
    const auto started = std::chrono::steady_clock::now();
    tv::script_cursor cursor(screen.scenario().script, screen.scenario().repeat_ns);
    boost::asio::steady_timer script_timer(io);
    std::function<void()> next_step = [&] {
        const auto due = cursor.next_due_ns();
        if (!due) {
            return;
        }
        script_timer.expires_at(started + std::chrono::nanoseconds(*due));
        script_timer.async_wait([&](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count();
            for (const auto* c : cursor.take_due(elapsed)) {
                // A step naming a timeline the content on screen lacks is skipped, and said.
                if (const auto why = apply_changes(std::span(c, 1), false)) {
                    std::fprintf(stderr, "tv-device: script step %s skipped: %s\n",
                                 tv::to_json(*c).c_str(), why->c_str());
                }
            }
            next_step();
        });
    };
    next_step();

    std::unique_ptr<console> commands;
    const auto shut_down = [&] {
        script_timer.cancel();
#ifdef DVBCSS_HAVE_MEDIA
        jump_timer.stop();
#endif
        signals.cancel();
        if (commands) {
            commands->stop();
        }
        if (dial) {
            dial->stop(); // NOTIFY byebye
        }
        server.stop();
        wc.stop();
    };
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            shut_down();
        }
    });

    const auto on_command = [&](const std::string& typed) {
        // --media's own spellings: "rate R" is "speed R", "seek S" (a number) is "seek to S".
        std::string line = typed;
        if (!o.media.empty()) {
            if (line.rfind("rate ", 0) == 0) {
                line = "speed " + line.substr(5);
            } else if (line == "rate") {
                line = "speed"; // asks for the number as speed does
            } else if (line.rfind("seek ", 0) == 0 && line.size() > 5 &&
                       (std::isdigit(static_cast<unsigned char>(line[5])) != 0 || line[5] == '.')) {
                line = "seek to " + line.substr(5);
            }
        }
        std::string error;
        const auto parsed = tv::parse_console_line(line, error);
        if (!parsed) {
            if (!error.empty()) {
                std::fprintf(stderr, "tv-device: %s\n", error.c_str());
            }
            return;
        }
        if (const auto* c = std::get_if<tv::change>(&*parsed)) {
            if (const auto why = apply_changes(std::span(c, 1), false)) {
                std::fprintf(stderr, "tv-device: %s\n", why->c_str());
            }
            return;
        }
        switch (std::get<tv::console_action>(*parsed)) {
        case tv::console_action::stats:
            print_wc_stats(wc);
            if (dial) {
                print_dial_stats(*dial);
            }
            break;
        case tv::console_action::help: {
            const auto help = tv::console_help();
            std::fwrite(help.data(), 1, help.size(), stderr);
            break;
        }
        case tv::console_action::quit:
            shut_down();
            break;
        }
    };
    // A background job that read its terminal would be stopped by SIGTTIN: only a foreground
    // process, or one whose input is not a terminal, reads commands.
    const bool foreground = ::isatty(STDIN_FILENO) == 0 || ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
    if (!o.no_console && foreground) {
        commands = std::make_unique<console>(io, on_command);
        commands->start();
    }

    io.run();
    wc.stop();
    if (!o.common.quiet) {
        const auto s = wc.statistics();
        std::printf("tv-device: wall clock requests answered=%llu\n",
                    static_cast<unsigned long long>(s.core.answered));
    }
    return tools::exit_status::done;
}

} // namespace

int main(int argc, char** argv) {
    dvbcss::tools::block_stop_signals(); // a signal from now on waits for stop_signals
    // Each change fanned out allocates and frees the same lists: keep them (heap_retention.hpp).
    static_cast<void>(dvbcss::tools::retain_freed_heap_memory());
    return tools::run_main([&]() -> int {
        device_options o;
        CLI::App app{"A pretend TV: CSS-CII, CSS-TS and CSS-WC servers in one process",
                     "tv-device"};
        app.footer(std::string("Commands on standard input: pause, play, speed X, seek +S, seek "
                               "to S, tweak MS, unavailable SEL, available SEL, content ID, "
                               "status partial|final, presentation TOKENS, stats, help, quit. "
                               "With --media also rate R (speed R) and seek S (seek to S, "
                               "seconds of the media).\n") +
                   tools::exit_status_help);
        tools::add_common_options(app, o.common);
        app.add_option("ws_addr", o.ws_address,
                       "Address for the WebSocket and HTTP server (default 0.0.0.0)")
            ->check(tools::address_argument("0.0.0.0"));
        app.add_option("ws_port", o.ws_port,
                       "TCP port for CII, TS, WC over WebSocket and the pages (default 7681; 0: "
                       "any free)")
            ->check(tools::port_number());
        app.add_option("wc_addr", o.wc_address, "Address for CSS-WC (default 0.0.0.0)")
            ->check(tools::address_argument("0.0.0.0"));
        app.add_option("wc_port", o.wc_port, "UDP port for CSS-WC (default 6677; 0: any free)")
            ->check(tools::port_number());
        app.add_option("--scenario", o.scenario_file,
                       "JSON scenario: contents, timelines and a timed script (docs/scenarios.md; "
                       "default: the built-in one)");
        auto* cycle = app.add_option("--cycle", o.cycle_s,
                                     "Built-in scenario: seconds per cycle of temi:1:1 "
                                     "availability (default 60; 0: never)")
                          ->check(tools::number_between(0.0, 86400.0));
        app.add_flag("--control-from-anywhere", o.control_from_anywhere,
                     "Accept POST /control from any address (default: loopback only)");
        app.add_option("--max-cii", o.max_cii, "CII companions allowed at once (-1: no limit)")
            ->check(tools::connection_limit());
        app.add_option("--max-ts", o.max_ts, "TS companions allowed at once (-1: no limit)")
            ->check(tools::connection_limit());
        app.add_flag("--json", o.json, "Print a JSON line for each change (the truth)");
        app.add_flag("--no-console", o.no_console, "Do not read commands from standard input");
        app.add_flag("-Q,--quiet-transport", o.quiet_transport,
                     "No WebSocket/HTTP transport log lines");
        app.add_option("--session-threads", o.session_threads,
                       "Threads serving the WebSocket and HTTP connections (default two per "
                       "core: " +
                           std::to_string(o.session_threads) +
                           " here; 0: the main thread, with the protocol state)")
            ->check(tools::integer_between(0, 64));
        tools::add_dial_options(app, o.dial);
        auto* media = app.add_option("--media", o.media,
                                     "Play this file or URI and serve the timelines it carries "
                                     "(docs/media.md)");
        app.add_flag("--loop", o.loop, "--media: play again from the start at the end")
            ->needs(media);
        app.add_option("--audio-sink", o.audio_sink,
                       "--media: GStreamer bin description of the audio output (default "
                       "autoaudiosink; none: discard)")
            ->needs(media);
        app.add_option("--video-sink", o.video_sink,
                       "--media: GStreamer bin description of the video output (default "
                       "autovideosink, or none without a display; none: discard)")
            ->needs(media);
        app.add_option("--content-id", o.content_id,
                       "--media: the CII content id (default: the media's URI)")
            ->needs(media);
        if (const auto exit_code = tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        o.cycle_given = cycle->count() > 0;
        if (!o.media.empty() && (!o.scenario_file.empty() || o.cycle_given)) {
            std::fprintf(stderr, "tv-device: --media plays real media: --scenario and --cycle "
                                 "describe pretend content and cannot be combined with it\n");
            return tools::exit_status::usage;
        }
#ifndef DVBCSS_HAVE_MEDIA
        if (!o.media.empty()) {
            std::fprintf(stderr, "tv-device: --media: this tv-device was built without "
                                 "GStreamer (scripts/install-deps.sh installs it)\n");
            return tools::exit_status::usage;
        }
#endif
        if (o.cycle_given && !o.scenario_file.empty()) {
            std::fprintf(stderr, "tv-device: --cycle applies to the built-in scenario only; "
                                 "write the cycle as the scenario's script (docs/scenarios.md)\n");
            return tools::exit_status::usage;
        }
        const auto scenario = load_scenario(o);
        if (!scenario) {
            return tools::exit_status::usage;
        }
        return run(o, *scenario);
    });
}
