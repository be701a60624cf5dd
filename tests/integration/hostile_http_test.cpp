// Hostile HTTP against tv-device's routes and DIAL's, over loopback:
// - tv-device as a process (no --dial): /status.json, POST /control and the companion page get
//   oversized and malformed requests, bodies over the limit, JSON the control route cannot use,
//   path tricks and slowloris requests, while a CSS-CII and a CSS-TS companion stay connected and
//   keep following the TV's changes.
// - DIAL's HTTP routes (dial_server on a pretend TV's server, never started: no SSDP is sent).
// Each checks the defined answer (an HTTP status, or a dropped connection) and that the companions
// are unaffected. docs/hostile-input.md lists the rows.
#include "hostile_support.hpp"
#include "support/child_process.hpp"

#include <dvbcss/net/dial_server.hpp>
#include <dvbcss/net/ssdp_socket.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

tcp::endpoint loopback(int port) {
    return {asio::ip::address_v4::loopback(), static_cast<std::uint16_t>(port)};
}

/// An HTTP answer: the status (0 if none came), the header block and the body.
struct http_answer {
    int status = 0;
    std::string head;
    std::string body;
};

/// Writes `request` as it is on a fresh connection and reads the answer (up to the end of the
/// connection, 10 s at most). `Connection: close` is the caller's business.
http_answer ask(const tcp::endpoint& where, const std::string& request,
                std::chrono::milliseconds timeout = 10s) {
    hostile_peer peer(where);
    http_answer answer;
    if (!peer.connected()) {
        return answer;
    }
    peer.write(request, 5s); // may be cut short when the server refuses early
    peer.closed_by_server(timeout);
    const auto& r = peer.received();
    const auto end = r.find("\r\n\r\n");
    if (r.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) {
        return answer;
    }
    answer.status = std::stoi(r.substr(9, 3));
    answer.head = r.substr(0, end);
    answer.body = r.substr(end + 4);
    return answer;
}

std::string request(const std::string& method, const std::string& target,
                    const std::string& body = {}, const std::string& extra_headers = {}) {
    return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
           extra_headers +
           (body.empty() && method == "GET"
                ? std::string()
                : "Content-Length: " + std::to_string(body.size()) + "\r\n") +
           "\r\n" + body;
}

/// tv-device on loopback (any free ports), console off; its HTTP port.
struct http_tv {
    std::unique_ptr<child_process> process;
    int port = 0;

    http_tv() {
        process = std::make_unique<child_process>(
            std::vector<std::string>{bin_dir + "/tv-device", "127.0.0.1", "0", "127.0.0.1", "0",
                                     "--cycle", "0", "--no-console", "--loglevel", "warning"});
        const auto p =
            process->read_until(std::regex(R"(Companion page: http://127\.0\.0\.1:(\d+)/)"), 10s);
        port = p.empty() ? 0 : std::stoi(p);
    }
};

/// A CII and a TS companion of a tv-device process, on their own io thread.
class tv_companions {
public:
    explicit tv_companions(int port)
        : port_(port) {
        net::websocket_client_config config;
        config.url = "ws://127.0.0.1:" + std::to_string(port) + "/cii";
        cii_ = std::make_unique<recording_client>(io_.context, config);
        config.url = "ws://127.0.0.1:" + std::to_string(port) + "/ts";
        ts_ = std::make_unique<recording_client>(io_.context, config);
        ts::setup_data s;
        s.content_id_stem = ""; // whatever the TV shows
        s.timeline_selector = pts_selector;
        ok = !cii_->client->start() && !ts_->client->start() &&
             eventually([&] { return cii_->opens() == 1 && ts_->opens() == 1; }) &&
             ts_->client->send_text(ts::encode(s)) &&
             eventually([&] { return cii_->text_count() >= 1 && ts_->text_count() >= 1; });
    }

    ~tv_companions() {
        cii_->client->close();
        ts_->client->close();
        io_.stop(1s);
    }

    tv_companions(const tv_companions&) = delete;
    tv_companions& operator=(const tv_companions&) = delete;
    tv_companions(tv_companions&&) = delete;
    tv_companions& operator=(tv_companions&&) = delete;

    /// Seeks the TV's PTS timeline through POST /control and waits until the TS companion has a
    /// control timestamp at the new position; the CII companion must still be connected.
    [[nodiscard]] bool still_served() {
        ++round_;
        const double to = 1000.0 * round_; // seconds
        const auto a =
            ask(loopback(port_),
                request("POST", "/control",
                        R"({"do":"seek","to":)" + std::to_string(static_cast<int>(to)) + "}"));
        if (a.status != 200) {
            return false;
        }
        const bool ts_ok = eventually([&] {
            const auto texts = ts_->texts();
            const auto ct = ts::decode_control_timestamp(texts.back());
            return ct && ct->content_time &&
                   std::abs(static_cast<double>(*ct->content_time) - to * 90000) < 90000 * 2.0;
        });
        return ts_ok && cii_->client->is_open() && ts_->client->is_open() &&
               cii_->closes().empty() && ts_->closes().empty();
    }

    bool ok = false;

private:
    io_threads io_{1};
    int port_;
    std::unique_ptr<recording_client> cii_;
    std::unique_ptr<recording_client> ts_;
    int round_ = 0;
};

TEST(HostileHttp, TvDeviceRoutesAnswerHostileRequestsAndCompanionsAreUnaffected) {
    http_tv tv;
    ASSERT_NE(tv.port, 0) << tv.process->output();
    const auto where = loopback(tv.port);
    tv_companions companions(tv.port);
    ASSERT_TRUE(companions.ok);

    // Slowloris: five requests dribbled a byte a second from the start; each is dropped when
    // the handshake timeout (10 s) has passed since it began, whatever it still sends.
    constexpr int slow_peers = 5;
    std::vector<std::unique_ptr<hostile_peer>> slow;
    for (int i = 0; i < slow_peers; ++i) {
        slow.push_back(std::make_unique<hostile_peer>(where));
        ASSERT_TRUE(slow.back()->connected());
    }
    std::vector<std::atomic<std::int64_t>> slow_closed_ms(slow_peers);
    std::atomic<bool> dribble{true};
    const auto slow_started = clock_type::now();
    std::thread dribbler([&] {
        const std::string text = request("GET", "/status.json");
        for (std::size_t at = 0; dribble && at < text.size(); ++at) {
            for (int i = 0; i < slow_peers; ++i) {
                if (slow_closed_ms[i] == 0 && (!slow[i]->write(text.substr(at, 1), 100ms) ||
                                               slow[i]->closed_by_server(0ms))) {
                    slow_closed_ms[i] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                            clock_type::now() - slow_started)
                                            .count();
                }
            }
            for (int t = 0; dribble && t < 10; ++t) {
                std::this_thread::sleep_for(100ms);
            }
        }
    });

    // /status.json
    EXPECT_EQ(ask(where, request("GET", "/status.json")).status, 200);
    auto a = ask(where, request("GET", "/status.json", {},
                                "X-Padding: " + std::string(100 * 1024, 'a') + "\r\n"));
    EXPECT_EQ(a.status, 431) << a.head;
    std::string many;
    for (int i = 0; i < 10000; ++i) {
        many += "X-" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
    }
    a = ask(where, request("GET", "/status.json", {}, many));
    EXPECT_EQ(a.status, 431) << a.head;
    EXPECT_EQ(ask(where, request("POST", "/status.json", "{}")).status, 405);
    EXPECT_TRUE(companions.still_served());

    // POST /control: bodies over the route's limit (64 KiB), announced or chunked.
    a = ask(where, request("POST", "/control", std::string(70 * 1024, ' ')));
    EXPECT_EQ(a.status, 413) << a.head;
    std::string chunked = "POST /control HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) {
        chunked += "1000\r\n" + std::string(0x1000, ' ') + "\r\n";
    }
    chunked += "0\r\n\r\n";
    a = ask(where, chunked);
    EXPECT_EQ(a.status, 413) << a.head;
    // JSON the control route cannot use: 400 with the reason, nothing applied.
    for (const std::string& body : std::vector<std::string>{
             std::string(40000, '['),
             std::string(R"({"do":"seek","to":1180591620717411303424})"),
             std::string(R"({"do":"speed","speed":1e400})"),
             std::string(R"({"do":5})"),
             std::string(R"({"do":"seek","to":"far"})"),
             std::string("\x00\x01\x02{}\xff", 6),
             std::string(R"("pause")"),
         }) {
        a = ask(where, request("POST", "/control", body));
        EXPECT_EQ(a.status, 400) << body.substr(0, 60) << ": " << a.head << "\n" << a.body;
        EXPECT_FALSE(a.body.empty());
    }
    EXPECT_EQ(ask(where, request("GET", "/control")).status, 405);
    EXPECT_TRUE(companions.still_served());

    // The page: path tricks find nothing; a request line that is not HTTP gets 400 (also the
    // first bytes of a TLS ClientHello), and so does a header line that is not a field.
    EXPECT_EQ(ask(where, request("GET", "/")).status, 200);
    for (const std::string& target : std::vector<std::string>{
             "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd",
             "/index.html%00.png", "/" + std::string(6000, 'a')}) {
        EXPECT_EQ(ask(where, request("GET", target)).status, 404) << target.substr(0, 40);
    }
    a = ask(where, "HELLO THERE\r\n\r\n");
    EXPECT_EQ(a.status, 400) << a.head;
    EXPECT_EQ(a.body, "Bad Request. Not an HTTP/1.1 request");
    EXPECT_EQ(ask(where, "GET / HTTP/1.1\r\nno colon here\r\n\r\n").status, 400);
    EXPECT_EQ(ask(where, "GET / HTTP/9.9\r\n\r\n").status, 400);
    EXPECT_EQ(ask(where, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)).status,
              400); // a TLS ClientHello
    EXPECT_TRUE(companions.still_served());

    // The slowloris requests were all dropped at about 10 s, none answered.
    ASSERT_TRUE(eventually(
        [&] {
            for (const auto& ms : slow_closed_ms) {
                if (ms == 0) {
                    return false;
                }
            }
            return true;
        },
        15s));
    dribble = false;
    dribbler.join();
    for (int i = 0; i < slow_peers; ++i) {
        EXPECT_GE(slow_closed_ms[i], 9000) << "peer " << i;
        EXPECT_LT(slow_closed_ms[i], 14000) << "peer " << i;
        EXPECT_EQ(slow[i]->received().find("HTTP/1.1"), std::string::npos) << "peer " << i;
    }
    EXPECT_TRUE(companions.still_served());

    tv.process->signal(SIGTERM);
    EXPECT_EQ(tv.process->wait_exit(10s), 0) << tv.process->output();
}

TEST(HostileHttp, DialRoutesAnswerHostileRequestsAndCompanionsAreUnaffected) {
    // Destroyed in reverse: the TV (its server and io thread stop), then the companions, then
    // DIAL's routes.
    std::unique_ptr<net::dial_server> dial;
    std::unique_ptr<good_companions> companions;
    pretend_tv tv;
    ASSERT_TRUE(tv.started);
    companions = std::make_unique<good_companions>(tv);
    auto& good = *companions;
    ASSERT_TRUE(good.ok);
    net::dial_server_config config;
    config.iface = net::network_interface{"lo", asio::ip::address_v4::loopback(), true};
    config.http_port = tv.endpoint().port();
    config.cii_port = tv.endpoint().port();
    // Only the HTTP routes: start() (SSDP) is never called, so nothing is multicast.
    dial = std::make_unique<net::dial_server>(tv.io.context.get_executor(), tv.server(), config);
    const auto where = tv.endpoint();

    auto a = ask(where, request("GET", "/dial/dd.xml"));
    EXPECT_EQ(a.status, 200);
    EXPECT_NE(a.head.find("Application-URL: http://127.0.0.1:"), std::string::npos) << a.head;
    // A launch body over the apps limit (4 KiB), announced or chunked: 413.
    EXPECT_EQ(ask(where, request("POST", "/apps/HbbTV", std::string(5000, 'x'))).status, 413);
    std::string chunked = "POST /apps/HbbTV HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) {
        chunked += "800\r\n" + std::string(0x800, 'x') + "\r\n";
    }
    chunked += "0\r\n\r\n";
    EXPECT_EQ(ask(where, chunked).status, 413);
    EXPECT_EQ(ask(where, request("POST", "/apps/HbbTV", "x")).status, 403);
    EXPECT_EQ(ask(where, request("DELETE", "/apps/HbbTV/run")).status, 404);
    EXPECT_EQ(ask(where, request("PUT", "/apps/HbbTV", "x")).status, 405);
    EXPECT_EQ(ask(where, request("GET", "/apps/" + std::string(4000, 'A'))).status, 404);
    EXPECT_EQ(ask(where, request("GET", "/apps/../dial/dd.xml")).status, 404);
    a = ask(where, request("GET", "/dial/dd.xml", {},
                           "X-Padding: " + std::string(100 * 1024, 'a') + "\r\n"));
    EXPECT_EQ(a.status, 431) << a.head;
    EXPECT_TRUE(good.still_served());
    const auto s = dial->statistics();
    EXPECT_EQ(s.description_requests, 1U);
    EXPECT_GE(s.launch_refused, 1U);
    tv.server().stop();
    tv.io.stop(1s);
    // While the TV's io_context exists, no longer running: the companions' clients and DIAL's
    // routes hold timers of it.
    companions.reset();
    dial.reset();
}

} // namespace
} // namespace dvbcss::test
