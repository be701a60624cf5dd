// tv-device's status board over loopback: a websocket_server with the CSS-CII and CSS-TS adapters,
// a WebSocket wall clock and the /status.json route, real companions connecting, and the
// document read over a real socket: companions with their addresses, the TS set-up and the last
// AptEptLpt, timelines, events (a bounded ring), a companion that leaves disappears, methods
// other than GET/HEAD get 405. Also the UDP wall clock's recent window, which the console's
// `stats` reset does not disturb.
#include "common/wall_clock_thread.hpp"
#include "tv/status_board.hpp"
#include "websocket_test_support.hpp"

#include <dvbcss/cii/server.hpp>
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/net/wall_clock_ws_server.hpp>
#include <dvbcss/net/ws_server_adapter.hpp>
#include <dvbcss/ts/clock_timeline_source.hpp>
#include <dvbcss/ts/message.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace dvbcss::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

constexpr const char* pts_selector = "urn:dvb:css:timeline:pts";
constexpr const char* content = "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M";

/// Runs `f` on the io_context's thread and waits for its result.
template <class F>
auto on_owner(asio::io_context& io, F f) {
    using result = decltype(f());
    std::promise<std::conditional_t<std::is_void_v<result>, int, result>> done;
    auto answer = done.get_future();
    asio::post(io, [&] {
        if constexpr (std::is_void_v<result>) {
            f();
            done.set_value(0);
        } else {
            done.set_value(f());
        }
    });
    return answer.get();
}

/// One HTTP exchange on a fresh connection.
struct http_answer {
    unsigned status = 0;
    std::string content_type;
    std::string cache_control;
    std::string allow;
    std::string body;
};

http_answer http_exchange(const tcp::endpoint& where, http::verb method,
                          const std::string& target) {
    asio::io_context context;
    tcp::socket socket(context);
    socket.connect(where);
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "localhost");
    request.set(http::field::connection, "close");
    request.prepare_payload();
    http::write(socket, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(4 * 1024 * 1024);
    if (method == http::verb::head) {
        parser.skip(true);
    }
    http::read(socket, buffer, parser);
    const auto& r = parser.get();
    http_answer a;
    a.status = r.result_int();
    a.content_type = std::string(r[http::field::content_type]);
    a.cache_control = std::string(r[http::field::cache_control]);
    a.allow = std::string(r[http::field::allow]);
    a.body = r.body();
    return a;
}

cii::server_config cii_config() {
    cii::server_config config;
    config.initial_cii.protocol_version = std::string(cii::protocol_version_1_1);
    config.initial_cii.content_id = std::string(content);
    config.initial_cii.content_id_status = cii::id_status::final;
    config.initial_cii.presentation_status = std::vector<std::string>{"okay"};
    return config;
}

/// A pretend TV in process: the owner is the single io thread, as in tv-device.
class status_board_test : public ::testing::Test {
protected:
    status_board_test()
        : sys_(clock::monotonic_time_source::instance(), 1e9, 500)
        , wall_clock_(sys_, 1e9)
        , pts_(wall_clock_, 90000, {wall_clock_.ticks(), 0})
        , pts_source_(pts_selector, wall_clock_, pts_)
        , server_(io_.context.get_executor(), server_config())
        , cii_(server_, "/cii", io_.context.get_executor(), adapter_options("cii"), std::in_place,
               cii_config())
        , ts_(server_, "/ts", io_.context.get_executor(), adapter_options("ts"), std::in_place,
              wall_clock_)
        , wc_ws_(server_, "/wc", wall_clock_)
        , board_(io_.context.get_executor(), wall_clock_, board_options()) {
        on_owner(io_.context, [this] {
            ts_.core().attach(pts_source_);
            ts_.core().set_content_id(std::string(content));
            board_.watch_cii(cii_);
            board_.watch_ts(ts_);
            board_.watch_wall_clock_websocket([this] {
                const auto s = wc_ws_.statistics();
                return tools::wc_websocket_figures{wc_ws_.endpoint().connection_count(),
                                                   s.binary_requests, s.json_requests, s.ignored};
            });
            board_.set_timelines([this] {
                return std::vector<tools::timeline_status>{
                    {pts_selector, 90000, pts_.is_available(),
                     pts_source_.control_timestamp_for(pts_selector), std::nullopt},
                };
            });
            ts_.core().set_apt_ept_lpt_handler(board_.apt_ept_lpt_recorder(
                [this](net::connection_id, const ts::apt_ept_lpt&) { ++handled_apts_; }));
        });
        server_.add_http_route("/status.json", board_.json_handler());
        EXPECT_FALSE(server_.start());
        where_ = server_.local_endpoint();
    }

    ~status_board_test() override {
        server_.stop();
        io_.stop(500ms);
        clients_.clear(); // once their io_context no longer runs
    }

    status_board_test(const status_board_test&) = delete;
    status_board_test& operator=(const status_board_test&) = delete;
    status_board_test(status_board_test&&) = delete;
    status_board_test& operator=(status_board_test&&) = delete;

    static net::websocket_server_config server_config() {
        net::websocket_server_config c;
        c.address = asio::ip::make_address("127.0.0.1");
        c.port = 0;
        return c;
    }

    static net::ws_server_adapter_options adapter_options(const std::string& logger) {
        net::ws_server_adapter_options o;
        o.logger = logger;
        return o;
    }

    static tools::status_board_options board_options() {
        tools::status_board_options o;
        o.max_events = 50;
        o.max_event_bytes = 100;
        return o;
    }

    recording_client& connect(const std::string& path) {
        net::websocket_client_config config;
        config.url = url_of(server_, path);
        auto& c = *clients_.emplace_back(
            std::make_unique<recording_client>(io_.context, std::move(config)));
        EXPECT_FALSE(c.client->start());
        EXPECT_TRUE(eventually([&] { return c.opens() == 1; }));
        return c;
    }

    json status() {
        const auto a = http_exchange(where_, http::verb::get, "/status.json");
        EXPECT_EQ(a.status, 200U) << a.body;
        EXPECT_EQ(a.content_type, "application/json");
        EXPECT_EQ(a.cache_control, "no-store");
        return json::parse(a.body);
    }

    /// The TS companion with `id`'s entry in a document, or null.
    static json ts_companion(const json& doc, std::uint64_t id) {
        for (const auto& c : doc["companions"]["ts"]) {
            if (c["id"] == id) {
                return c;
            }
        }
        return nullptr;
    }

    io_threads io_;
    clock::sys_clock sys_;
    clock::correlated_clock wall_clock_;
    clock::correlated_clock pts_;
    ts::clock_timeline_source pts_source_;
    net::websocket_server server_;
    net::ws_server_adapter<cii::server> cii_;
    net::ws_server_adapter<ts::server> ts_;
    net::wall_clock_ws_server wc_ws_;
    tools::status_board board_;
    tcp::endpoint where_;
    std::vector<std::unique_ptr<recording_client>> clients_;
    int handled_apts_ = 0; // owner only
};

TEST_F(status_board_test, ShowsCompanionsTimelinesAndEvents) {
    auto& cii_client = connect("/cii");
    auto& ts_client = connect("/ts");
    ASSERT_TRUE(ts_client.client->send_text(
        ts::encode(ts::setup_data{"dvb://233a", pts_selector, std::nullopt})));
    // The server answers the setup with a control timestamp: the set-up has been handled.
    ASSERT_TRUE(eventually([&] { return ts_client.text_count() >= 1; }));
    const ts::apt_ept_lpt presented{
        ts::presentation_timestamp{450000, ts::wall_time::at(5'000'000'000)},
        ts::presentation_timestamp{449000, ts::wall_time::at(4'900'000'000)},
        ts::presentation_timestamp{451000, ts::wall_time::plus_infinity()}};
    ASSERT_TRUE(ts_client.client->send_text(ts::encode(presented)));
    ASSERT_TRUE(
        eventually([&] { return on_owner(io_.context, [&] { return handled_apts_; }) == 1; }));
    on_owner(io_.context, [&] {
        board_.record_event("paused");
        board_.record_event("content id " + std::string(content));
    });

    const auto before_ns = clock::monotonic_time_source::instance().now_ns();
    const json doc = status();
    EXPECT_EQ(doc["schema"], "dvbcss-status/1");
    EXPECT_GE(doc["monotonic_ns"].get<std::int64_t>(), before_ns);
    EXPECT_TRUE(doc["wall_clock_ns"].is_number_integer());
    EXPECT_EQ(doc["content"]["content_id"], content);
    EXPECT_EQ(doc["content"]["content_id_status"], "final");
    EXPECT_EQ(doc["content"]["presentation_status"], json::array({"okay"}));

    ASSERT_EQ(doc["companions"]["cii"].size(), 1U) << doc.dump(2);
    const auto& cii_entry = doc["companions"]["cii"][0];
    EXPECT_TRUE(cii_entry["address"].get<std::string>().starts_with("127.0.0.1:"));
    EXPECT_LE(cii_entry["since_monotonic_ns"].get<std::int64_t>(), before_ns);
    EXPECT_GE(cii_entry["connected_s"].get<double>(), 0.0);
    EXPECT_LT(cii_entry["connected_s"].get<double>(), 60.0);

    ASSERT_EQ(doc["companions"]["ts"].size(), 1U) << doc.dump(2);
    const auto& t = doc["companions"]["ts"][0];
    EXPECT_TRUE(t["address"].get<std::string>().starts_with("127.0.0.1:"));
    EXPECT_NE(t["address"], cii_entry["address"]); // two connections, two source ports
    EXPECT_EQ(t["set_up"], true);
    EXPECT_EQ(t["content_id_stem"], "dvb://233a");
    EXPECT_EQ(t["timeline_selector"], pts_selector);
    EXPECT_EQ(t["stem_matches"], true);
    EXPECT_TRUE(t["last_control_timestamp_sent"]["content_time"].is_number_integer());
    EXPECT_EQ(t["last_control_timestamp_sent"]["timeline_speed_multiplier"], 1.0);
    const auto& apt = t["last_apt_ept_lpt"];
    EXPECT_EQ(apt["actual"]["content_time"], 450000);
    EXPECT_EQ(apt["actual"]["wall_clock_time_ns"], 5'000'000'000);
    EXPECT_EQ(apt["earliest"]["content_time"], 449000);
    EXPECT_EQ(apt["earliest"]["wall_clock_time_ns"], 4'900'000'000);
    EXPECT_EQ(apt["latest"]["content_time"], 451000);
    EXPECT_EQ(apt["latest"]["wall_clock_time_ns"], "plusinfinity");
    EXPECT_EQ(t["apt_ept_lpts_received"], 1);
    EXPECT_LE(t["last_apt_ept_lpt_received_monotonic_ns"].get<std::int64_t>(), before_ns);
    EXPECT_GE(t["last_apt_ept_lpt_received_monotonic_ns"].get<std::int64_t>(),
              t["since_monotonic_ns"].get<std::int64_t>());

    ASSERT_EQ(doc["timelines"].size(), 1U);
    const auto& timeline = doc["timelines"][0];
    EXPECT_EQ(timeline["selector"], pts_selector);
    EXPECT_EQ(timeline["tick_rate_hz"], 90000.0);
    EXPECT_EQ(timeline["available"], true);
    EXPECT_EQ(timeline["ts_companions"], 1);
    EXPECT_TRUE(timeline["render_latency_ns"].is_null()); // a pretend timeline
    EXPECT_TRUE(timeline["control_timestamp"]["content_time"].is_number_integer());
    EXPECT_TRUE(timeline["control_timestamp"]["wall_clock_time_ns"].is_number_integer());
    EXPECT_EQ(timeline["control_timestamp"]["timeline_speed_multiplier"], 1.0);
    // The companion was sent the timeline's control timestamp.
    EXPECT_EQ(timeline["control_timestamp"], t["last_control_timestamp_sent"]);

    ASSERT_EQ(doc["events"].size(), 2U);
    EXPECT_EQ(doc["events"][0]["text"], "paused");
    EXPECT_EQ(doc["events"][0]["seq"], 1);
    EXPECT_EQ(doc["events"][1]["seq"], 2);
    EXPECT_TRUE(doc["events"][1]["text"].get<std::string>().starts_with("content id dvb://"));
    EXPECT_LE(doc["events"][0]["monotonic_ns"].get<std::int64_t>(), before_ns);
    EXPECT_TRUE(doc["events"][0]["wall_clock_ns"].is_number_integer());
    const auto utc = doc["events"][0]["utc"].get<std::string>();
    EXPECT_EQ(utc.size(), 24U) << utc; // 2026-12-01T03:47:10.123Z
    EXPECT_EQ(utc.back(), 'Z');

    EXPECT_EQ(doc["companions"]["wc_websocket"]["count"], 0);
    EXPECT_EQ(doc["wall_clock"]["udp"], nullptr); // not watched here
    EXPECT_EQ(doc["wall_clock"]["websocket"]["requests_answered"], 0);
    static_cast<void>(cii_client);
}

TEST_F(status_board_test, ACompanionThatLeavesDisappears) {
    auto& ts_client = connect("/ts");
    auto& second = connect("/ts");
    ASSERT_TRUE(
        ts_client.client->send_text(ts::encode(ts::setup_data{"", pts_selector, std::nullopt})));
    ASSERT_TRUE(eventually([&] { return ts_client.text_count() >= 1; }));
    json doc = status();
    ASSERT_EQ(doc["companions"]["ts"].size(), 2U) << doc.dump(2);
    // The second never sent a setup-data: listed, not set up.
    const auto& waiting = doc["companions"]["ts"][1];
    EXPECT_EQ(waiting["set_up"], false);
    EXPECT_EQ(waiting["timeline_selector"], nullptr);
    EXPECT_EQ(waiting["last_apt_ept_lpt"], nullptr);
    EXPECT_EQ(waiting["apt_ept_lpts_received"], 0);
    EXPECT_EQ(doc["timelines"][0]["ts_companions"], 1);
    const auto leaving = doc["companions"]["ts"][0]["id"].get<std::uint64_t>();

    ts_client.client->close();
    ASSERT_TRUE(eventually([&] { return status()["companions"]["ts"].size() == 1; }));
    doc = status();
    EXPECT_EQ(ts_companion(doc, leaving), nullptr);
    EXPECT_EQ(doc["timelines"][0]["ts_companions"], 0);
    static_cast<void>(second);
}

TEST_F(status_board_test, EventsAreARingAndTheDocumentStaysBounded) {
    on_owner(io_.context, [&] {
        for (int i = 1; i <= 5000; ++i) {
            board_.record_event("event " + std::to_string(i) + " " + std::string(500, 'x'));
        }
    });
    const auto a = http_exchange(where_, http::verb::get, "/status.json");
    ASSERT_EQ(a.status, 200U);
    EXPECT_LT(a.body.size(), 16U * 1024U);
    const auto doc = json::parse(a.body);
    ASSERT_EQ(doc["events"].size(), 50U);
    EXPECT_EQ(doc["events"][0]["seq"], 4951);
    EXPECT_EQ(doc["events"][49]["seq"], 5000);
    const auto text = doc["events"][49]["text"].get<std::string>();
    EXPECT_LE(text.size(), 100U);
    EXPECT_TRUE(text.starts_with("event 5000 x"));
    EXPECT_TRUE(text.ends_with("..."));
    EXPECT_EQ(on_owner(io_.context, [&] { return board_.events_recorded(); }), 5000U);
}

TEST_F(status_board_test, TextFromTheNetworkIsEscapedAndCutTextStaysValid) {
    // A stem with quotes, a backslash and non-ASCII text, and an event cut inside a character.
    auto& ts_client = connect("/ts");
    const std::string stem = "dvb://\"q\"\\ \xC3\xA9t\xC3\xA9";
    ASSERT_TRUE(
        ts_client.client->send_text(ts::encode(ts::setup_data{stem, pts_selector, std::nullopt})));
    ASSERT_TRUE(eventually([&] { return ts_client.text_count() >= 1; }));
    on_owner(io_.context,
             [&] { board_.record_event(std::string(96, 'a') + "\xC3\xA9\xC3\xA9\xC3\xA9"); });
    const auto doc = status(); // parses: valid JSON
    ASSERT_EQ(doc["companions"]["ts"].size(), 1U);
    EXPECT_EQ(doc["companions"]["ts"][0]["content_id_stem"], stem);
    EXPECT_EQ(doc["companions"]["ts"][0]["stem_matches"], false);
    EXPECT_EQ(doc["events"][0]["text"], std::string(96, 'a') + "...");
}

TEST_F(status_board_test, OnlyGetAndHeadAreServed) {
    const auto post = http_exchange(where_, http::verb::post, "/status.json");
    EXPECT_EQ(post.status, 405U);
    EXPECT_EQ(post.allow, "GET, HEAD");
    const auto put = http_exchange(where_, http::verb::put, "/status.json");
    EXPECT_EQ(put.status, 405U);
    const auto head = http_exchange(where_, http::verb::head, "/status.json");
    EXPECT_EQ(head.status, 200U);
    EXPECT_EQ(head.content_type, "application/json");
    EXPECT_TRUE(head.body.empty());
    const auto query = http_exchange(where_, http::verb::get, "/status.json?x=1");
    EXPECT_EQ(query.status, 200U);
    EXPECT_EQ(json::parse(query.body)["schema"], "dvbcss-status/1");
}

TEST_F(status_board_test, WebSocketWallClockCompanionsAndRate) {
    auto& wc_client = connect("/wc");
    json first = status(); // first sample: no rate yet
    EXPECT_EQ(first["companions"]["wc_websocket"]["count"], 1);
    EXPECT_EQ(first["wall_clock"]["websocket"]["requests_per_s"], nullptr);
    const wc::message request{};
    const auto bytes = wc::encode(request);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(wc_client.client->send_binary(
            std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
    }
    ASSERT_TRUE(eventually([&] { return wc_client.binaries().size() == 5; }));
    std::this_thread::sleep_for(300ms); // the next snapshot is a new sample
    const json doc = status();
    const auto& w = doc["wall_clock"]["websocket"];
    EXPECT_EQ(w["companions"], 1);
    EXPECT_EQ(w["requests_answered"], 5);
    EXPECT_EQ(w["binary_requests"], 5);
    EXPECT_EQ(w["json_requests"], 0);
    ASSERT_TRUE(w["requests_per_s"].is_number()) << doc.dump(2);
    EXPECT_GT(w["requests_per_s"].get<double>(), 0.0);
    EXPECT_LT(w["requests_per_s"].get<double>(), 5.0 / 0.25);
}

/// Sends `count` CSS-WC requests to `server` and waits for each response.
void exchange_udp(const asio::ip::udp::endpoint& server, int count) {
    asio::io_context context;
    asio::ip::udp::socket socket(context, asio::ip::udp::endpoint(asio::ip::udp::v4(), 0));
    const auto bytes = wc::encode(wc::message{});
    for (int i = 0; i < count; ++i) {
        socket.send_to(asio::buffer(bytes.data(), bytes.size()), server);
        std::array<std::byte, 64> reply{};
        asio::ip::udp::endpoint from;
        ASSERT_EQ(socket.receive_from(asio::buffer(reply), from), wc::message_size);
    }
}

TEST(wall_clock_thread_window, StatsResetDoesNotDisturbTheWindow) {
    net::wall_clock_server_config config;
    config.bind = {asio::ip::make_address("127.0.0.1"), 0};
    config.record_processing_delay = true;
    tools::wall_clock_thread wc(config, 500);
    ASSERT_FALSE(wc.start());
    const asio::ip::udp::endpoint where(wc.local_endpoint().address(), wc.local_endpoint().port());

    exchange_udp(where, 20);
    auto a = wc.recent_activity();
    EXPECT_EQ(a.requests_answered, 20U);
    EXPECT_EQ(a.window_requests, 20U);
    EXPECT_EQ(a.delay_samples, 20U);
    ASSERT_TRUE(a.processing_delay_p50_ns && a.processing_delay_p99_ns &&
                a.processing_delay_max_ns);
    EXPECT_LE(*a.processing_delay_p50_ns, *a.processing_delay_p99_ns);
    EXPECT_LE(*a.processing_delay_p99_ns, *a.processing_delay_max_ns);
    EXPECT_GE(*a.processing_delay_p50_ns, 0);
    EXPECT_GT(a.window_ns, 0);
    ASSERT_TRUE(a.requests_per_s);
    EXPECT_GT(*a.requests_per_s, 0.0);

    // The console's `stats`: read, then reset. Its next period starts empty; the window keeps
    // every sample.
    EXPECT_TRUE(wc.processing_delay_percentile_ns(0.5).has_value());
    wc.reset_processing_delay();
    EXPECT_FALSE(wc.processing_delay_percentile_ns(0.5).has_value());
    exchange_udp(where, 10);
    a = wc.recent_activity();
    EXPECT_EQ(a.requests_answered, 30U);
    EXPECT_EQ(a.window_requests, 30U);
    EXPECT_EQ(a.delay_samples, 30U);
    std::this_thread::sleep_for(300ms); // the next query cuts a slice
    a = wc.recent_activity();
    EXPECT_EQ(a.delay_samples, 30U);
    wc.reset_processing_delay();
    exchange_udp(where, 5);
    a = wc.recent_activity();
    EXPECT_EQ(a.delay_samples, 35U);
    EXPECT_EQ(a.window_requests, 35U);
    EXPECT_EQ(wc.statistics().core.answered, 35U);

    // Samples in slices that ended before the window are forgotten: the slice holding the last
    // five is cut by the first query below at the latest, and is over 100 ms old at the second.
    std::this_thread::sleep_for(300ms);
    a = wc.recent_activity(std::chrono::milliseconds(100));
    EXPECT_LE(a.delay_samples, 5U);
    std::this_thread::sleep_for(300ms);
    a = wc.recent_activity(std::chrono::milliseconds(100));
    EXPECT_EQ(a.delay_samples, 0U);
    EXPECT_EQ(a.window_requests, 0U);
    EXPECT_FALSE(a.processing_delay_p50_ns.has_value());
    EXPECT_EQ(a.requests_answered, 35U);
    wc.stop();
}

TEST(status_board_alone, UnwatchedPartsAreNullAndUdpFiguresAppear) {
    net::wall_clock_server_config config;
    config.bind = {asio::ip::make_address("127.0.0.1"), 0};
    config.record_processing_delay = true;
    tools::wall_clock_thread wc(config, 500);
    ASSERT_FALSE(wc.start());
    const asio::ip::udp::endpoint where(wc.local_endpoint().address(), wc.local_endpoint().port());
    exchange_udp(where, 3);

    asio::io_context owner;
    clock::sys_clock sys(clock::monotonic_time_source::instance(), 1e9, 500);
    clock::correlated_clock wall_clock(sys, 1e9);
    tools::status_board board(owner.get_executor(), wall_clock);
    json doc = json::parse(board.snapshot_text());
    EXPECT_EQ(doc["schema"], "dvbcss-status/1");
    EXPECT_EQ(doc["content"], nullptr);
    EXPECT_EQ(doc["timelines"], nullptr);
    EXPECT_EQ(doc["companions"]["cii"], nullptr);
    EXPECT_EQ(doc["companions"]["ts"], nullptr);
    EXPECT_EQ(doc["companions"]["wc_websocket"], nullptr);
    EXPECT_EQ(doc["wall_clock"]["udp"], nullptr);
    EXPECT_EQ(doc["wall_clock"]["websocket"], nullptr);
    EXPECT_EQ(doc["events"], json::array());

    board.watch_wall_clock_udp(wc);
    doc = json::parse(board.snapshot_text());
    const auto& udp = doc["wall_clock"]["udp"];
    EXPECT_EQ(udp["requests_answered"], 3);
    EXPECT_EQ(udp["window_requests"], 3);
    EXPECT_EQ(udp["processing_delay_samples"], 3);
    EXPECT_TRUE(udp["processing_delay_p50_ns"].is_number_integer());
    EXPECT_TRUE(udp["processing_delay_p99_ns"].is_number_integer());
    EXPECT_TRUE(udp["processing_delay_max_ns"].is_number_integer());
    EXPECT_TRUE(udp["requests_per_s"].is_number());
    EXPECT_GT(udp["window_s"].get<double>(), 0.0);
    wc.stop();
}

TEST(status_board_alone, ARequestAfterTheBoardIsGoneGets503) {
    // The server runs on its own thread; the owner is an io_context this test runs by hand, so
    // the request's work waits on the owner while the board is destroyed.
    io_threads io;
    asio::io_context owner;
    net::websocket_server_config config;
    config.address = asio::ip::make_address("127.0.0.1");
    net::websocket_server server(io.context.get_executor(), config);
    clock::sys_clock sys(clock::monotonic_time_source::instance(), 1e9, 500);
    clock::correlated_clock wall_clock(sys, 1e9);
    auto board = std::make_unique<tools::status_board>(owner.get_executor(), wall_clock);
    std::atomic<bool> queued{false};
    net::http_function_handler route([&](const net::http_request& r, net::http_responder respond) {
        board->json_handler().on_request(r, std::move(respond)); // posts to the owner
        queued = true;
    });
    server.add_http_route("/status.json", route);
    ASSERT_FALSE(server.start());
    const auto where = server.local_endpoint();

    auto answer = std::async(std::launch::async,
                             [&] { return http_exchange(where, http::verb::get, "/status.json"); });
    ASSERT_TRUE(eventually([&] { return queued.load(); }));
    board.reset(); // the owner is not running: allowed
    owner.run();   // the queued work finds the board gone
    const auto a = answer.get();
    EXPECT_EQ(a.status, 503U);
    EXPECT_EQ(a.cache_control, "no-store");
    server.stop();
    io.stop(500ms);
}

} // namespace
} // namespace dvbcss::test
