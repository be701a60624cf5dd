// HTTP routes beside WebSocket endpoints, over loopback: routing (exact, longest prefix, 404),
// HEAD, request bodies and their limit, answers given later from other threads or never,
// persistent connections, handler failures, and the log lines a peer can cause.
#include "support/captured_log.hpp"
#include "websocket_test_support.hpp"

#include <dvbcss/net/http_route.hpp>
#include <dvbcss/net/log.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dvbcss::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using response_type = http::response<http::string_body>;

/// An HTTP peer on its own io_context; every wait is bounded so a server bug fails the test
/// instead of hanging it.
class http_peer {
public:
    explicit http_peer(const tcp::endpoint& server)
        : socket_(context_) {
        socket_.connect(server);
    }

    void write(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

    /// Reads one response (`head`: a response to HEAD, which has no body); nullopt if the
    /// connection ended or nothing complete arrived within `limit`.
    std::optional<response_type> read(bool head = false, std::chrono::milliseconds limit = 10s) {
        http::response_parser<http::string_body> parser;
        parser.skip(head);
        parser.body_limit(64 * 1024 * 1024);
        boost::system::error_code result = asio::error::timed_out;
        bool done = false;
        http::async_read(socket_, buffer_, parser, [&](boost::system::error_code ec, std::size_t) {
            result = ec;
            done = true;
        });
        run(done, limit);
        if (result) {
            return std::nullopt;
        }
        return parser.release();
    }

    /// Sends `request` and reads its response.
    std::optional<response_type> exchange(const std::string& request, bool head = false) {
        write(request);
        return read(head);
    }

    /// True if the server ends the connection (EOF or reset) within `limit` without sending
    /// anything more.
    bool closed_within(std::chrono::milliseconds limit) {
        if (buffer_.size() > 0) {
            return false;
        }
        char byte = 0;
        boost::system::error_code result = asio::error::timed_out;
        bool done = false;
        socket_.async_read_some(asio::buffer(&byte, 1),
                                [&](boost::system::error_code ec, std::size_t) {
                                    result = ec;
                                    done = true;
                                });
        run(done, limit);
        return result == asio::error::eof || result == asio::error::connection_reset;
    }

    tcp::endpoint local_endpoint() const { return socket_.local_endpoint(); }

private:
    void run(bool& done, std::chrono::milliseconds limit) {
        context_.restart();
        context_.run_for(limit);
        if (!done) {
            socket_.cancel();
            context_.restart();
            context_.run();
        }
    }

    asio::io_context context_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
};

std::string get(const std::string& target, const std::string& extra_headers = {}) {
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers + "\r\n";
}

std::string post(const std::string& target, const std::string& body) {
    return "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string header_of(const response_type& response, std::string_view name) {
    const auto it = response.find(name);
    return it == response.end() ? std::string("<none>") : std::string(it->value());
}

/// A route handler that records the requests it sees and answers with its name and the path,
/// now (`answer_now`) or when the test calls a stored responder.
class recording_route final : public net::http_handler {
public:
    explicit recording_route(std::string name)
        : name_(std::move(name)) {}

    void on_request(const net::http_request& request, net::http_responder respond) override {
        {
            const std::lock_guard lock(mutex);
            requests.push_back(request);
        }
        if (throw_message) {
            throw std::runtime_error(*throw_message);
        }
        if (!answer_now) {
            const std::lock_guard lock(mutex);
            held.push_back(std::move(respond));
            return;
        }
        net::http_response response;
        response.content_type = "application/json";
        response.body = R"({"route":")" + name_ + R"(","path":")" + request.path + R"("})";
        response.headers.emplace_back("Cache-Control", "no-store");
        respond(std::move(response));
    }

    std::size_t count() const {
        const std::lock_guard lock(mutex);
        return requests.size();
    }

    std::optional<net::http_request> last() const {
        const std::lock_guard lock(mutex);
        return requests.empty() ? std::nullopt : std::optional(requests.back());
    }

    std::optional<net::http_responder> take_held() {
        const std::lock_guard lock(mutex);
        if (held.empty()) {
            return std::nullopt;
        }
        auto responder = std::move(held.front());
        held.erase(held.begin());
        return responder;
    }

    mutable std::mutex mutex;
    std::vector<net::http_request> requests;
    std::vector<net::http_responder> held;
    bool answer_now = true;
    std::optional<std::string> throw_message;

private:
    std::string name_;
};

class HttpRouteTest : public ::testing::Test {
protected:
    void start_server(net::websocket_server_config config = {}) {
        io = std::make_unique<io_threads>(1);
        server = std::make_unique<net::websocket_server>(io->context.get_executor(), config);
        server->add_endpoint("/ts", ws_handler);
        ASSERT_FALSE(server->start());
    }

    void TearDown() override { shut_down(server, io); }

    tcp::endpoint where() const { return server->local_endpoint(); }

    std::unique_ptr<io_threads> io;
    recording_handler ws_handler;
    std::unique_ptr<net::websocket_server> server;
};

// ---- routing ----

TEST_F(HttpRouteTest, GetToAnExactRouteReachesItsHandler) {
    recording_route status("status");
    start_server();
    server->add_http_route("/status.json", status); // after start: allowed
    http_peer peer(where());
    const auto response = peer.exchange(get("/status.json?verbose=1&x", "X-Probe: yes\r\n"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
    EXPECT_EQ(response->body(), R"({"route":"status","path":"/status.json"})");
    EXPECT_EQ(header_of(*response, "Content-Type"), "application/json");
    EXPECT_EQ(header_of(*response, "Content-Length"), std::to_string(response->body().size()));
    EXPECT_EQ(header_of(*response, "Server"), "dvbcss");
    EXPECT_EQ(header_of(*response, "Cache-Control"), "no-store");

    const auto request = status.last();
    ASSERT_TRUE(request);
    EXPECT_EQ(request->method, "GET");
    EXPECT_EQ(request->target, "/status.json?verbose=1&x");
    EXPECT_EQ(request->path, "/status.json");
    EXPECT_EQ(request->query, "verbose=1&x");
    EXPECT_EQ(request->header("x-probe"), "yes"); // case-insensitive
    EXPECT_EQ(request->header("HOST"), "localhost");
    EXPECT_EQ(request->header("absent"), "");
    EXPECT_TRUE(request->body.empty());
    EXPECT_EQ(request->local, where());
    EXPECT_EQ(request->remote, peer.local_endpoint());
}

TEST_F(HttpRouteTest, LongestPrefixWinsAndExactRoutesComeFirst) {
    recording_route outer("outer");
    recording_route inner("inner");
    recording_route exact("exact");
    start_server();
    net::http_route_config prefix;
    prefix.prefix = true;
    server->add_http_route("/app/", outer, prefix);
    server->add_http_route("/app/lib/", inner, prefix);
    server->add_http_route("/app/lib/special.js", exact);

    const auto fetch = [&](const std::string& target) {
        http_peer peer(where());
        return peer.exchange(get(target));
    };
    auto r = fetch("/app/index.html");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body(), R"({"route":"outer","path":"/app/index.html"})");
    r = fetch("/app/lib/x.js?v=2");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body(), R"({"route":"inner","path":"/app/lib/x.js"})");
    r = fetch("/app/lib/special.js");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body(), R"({"route":"exact","path":"/app/lib/special.js"})");
    r = fetch("/app/"); // a prefix route serves its own path too
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body(), R"({"route":"outer","path":"/app/"})");
    r = fetch("/app"); // not under the prefix
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 404U);
    r = fetch("/app/lib/special.js/more"); // exact routes serve only their own path
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body(), R"({"route":"inner","path":"/app/lib/special.js/more"})");
    EXPECT_EQ(outer.count(), 2U);
    EXPECT_EQ(inner.count(), 2U);
    EXPECT_EQ(exact.count(), 1U);
}

TEST_F(HttpRouteTest, UnknownPathGets404AndInvalidRoutesAreRejected) {
    recording_route status("status");
    start_server();
    server->add_http_route("/status.json", status);
    EXPECT_THROW(server->add_http_route("/status.json", status), std::invalid_argument);
    EXPECT_THROW(server->add_http_route("status.json", status), std::invalid_argument);
    http_peer peer(where());
    const auto response = peer.exchange(get("/nothing-here"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 404U);
    EXPECT_TRUE(peer.closed_within(5s));
    EXPECT_EQ(status.count(), 0U);
}

TEST_F(HttpRouteTest, HeadGetsTheHeadersOfGetWithoutTheBody) {
    recording_route status("status");
    start_server();
    server->add_http_route("/status.json", status);
    http_peer peer(where());
    const auto got = peer.exchange(get("/status.json"));
    ASSERT_TRUE(got);
    // On the same connection: if the HEAD answer carried body bytes, the GET after it would not
    // parse.
    const auto head =
        peer.exchange("HEAD /status.json HTTP/1.1\r\nHost: localhost\r\n\r\n", /*head=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->result_int(), 200U);
    EXPECT_TRUE(head->body().empty());
    EXPECT_EQ(header_of(*head, "Content-Length"), std::to_string(got->body().size()));
    EXPECT_EQ(header_of(*head, "Content-Type"), "application/json");
    const auto again = peer.exchange(get("/status.json"));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->body(), got->body());
    ASSERT_EQ(status.count(), 3U);
    EXPECT_EQ(status.requests[1].method, "HEAD");
}

// ---- request bodies ----

TEST_F(HttpRouteTest, PostBodyReachesTheHandlerIntact) {
    recording_route control("control");
    start_server();
    server->add_http_route("/control", control);
    std::string body;
    for (int i = 0; i < 10000; ++i) {
        body.push_back(static_cast<char>(i % 256)); // every byte value, NUL included
    }
    http_peer peer(where());
    const auto response = peer.exchange(post("/control", body));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
    const auto request = control.last();
    ASSERT_TRUE(request);
    EXPECT_EQ(request->method, "POST");
    EXPECT_EQ(request->body, body);

    // A chunked body is assembled too.
    const auto chunked = peer.exchange("POST /control HTTP/1.1\r\nHost: localhost\r\n"
                                       "Transfer-Encoding: chunked\r\n\r\n"
                                       "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    ASSERT_TRUE(chunked);
    EXPECT_EQ(chunked->result_int(), 200U);
    EXPECT_EQ(control.last()->body, "hello world");
}

TEST_F(HttpRouteTest, ExpectContinueIsAnsweredBeforeTheBody) {
    recording_route control("control");
    start_server();
    server->add_http_route("/control", control);
    http_peer peer(where());
    peer.write("POST /control HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
               "Content-Length: 5\r\n\r\n");
    const auto go_on = peer.read();
    ASSERT_TRUE(go_on);
    EXPECT_EQ(go_on->result_int(), 100U);
    const auto response = peer.exchange("hello");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
    EXPECT_EQ(control.last()->body, "hello");
}

TEST_F(HttpRouteTest, BodyOverTheLimitGets413WithoutReachingTheHandler) {
    const captured_log log;
    recording_route control("control");
    start_server();
    net::http_route_config small;
    small.max_body_bytes = 100;
    server->add_http_route("/control", control, small);
    {
        http_peer peer(where());
        const auto response = peer.exchange(post("/control", std::string(1000, 'x')));
        ASSERT_TRUE(response);
        EXPECT_EQ(response->result_int(), 413U);
        EXPECT_TRUE(peer.closed_within(5s));
    }
    {
        // A body of unknown length (chunked) is stopped once it passes the limit.
        http_peer peer(where());
        const std::string chunk(80, 'y');
        const auto response = peer.exchange("POST /control HTTP/1.1\r\nHost: localhost\r\n"
                                            "Transfer-Encoding: chunked\r\n\r\n50\r\n" +
                                            chunk + "\r\n50\r\n" + chunk + "\r\n0\r\n\r\n");
        ASSERT_TRUE(response);
        EXPECT_EQ(response->result_int(), 413U);
    }
    {
        http_peer peer(where()); // exactly at the limit is fine
        const auto response = peer.exchange(post("/control", std::string(100, 'z')));
        ASSERT_TRUE(response);
        EXPECT_EQ(response->result_int(), 200U);
    }
    EXPECT_EQ(control.count(), 1U);
    EXPECT_FALSE(log.matching("HTTP 413").empty()) << log.all();
}

// ---- answers given later, or never ----

TEST_F(HttpRouteTest, ResponderCalledLaterFromAnotherThreadAnswers) {
    recording_route slow("slow");
    slow.answer_now = false;
    start_server();
    server->add_http_route("/slow", slow);
    http_peer peer(where());
    peer.write(get("/slow"));
    ASSERT_TRUE(eventually([&] { return slow.count() == 1; }));
    std::thread owner([&] {
        std::this_thread::sleep_for(100ms);
        auto respond = slow.take_held();
        ASSERT_TRUE(respond);
        net::http_response response;
        response.body = "later";
        (*respond)(response);
        (*respond)(response); // a second call is harmless
    });
    const auto response = peer.read();
    owner.join();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
    EXPECT_EQ(response->body(), "later");
    EXPECT_EQ(header_of(*response, "Content-Type"), "text/plain; charset=utf-8");
    // Exactly one answer was written: the connection is idle and still serves requests.
    slow.answer_now = true;
    const auto next = peer.exchange(get("/slow"));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body(), R"({"route":"slow","path":"/slow"})");
}

TEST_F(HttpRouteTest, ResponderNeverCalledDropsTheConnectionAfterTheTimeout) {
    recording_route silent("silent");
    silent.answer_now = false;
    net::websocket_server_config config;
    config.handshake_timeout = 300ms;
    start_server(config);
    server->add_http_route("/silent", silent);
    http_peer peer(where());
    const auto sent = clock_type::now();
    peer.write(get("/silent"));
    EXPECT_TRUE(peer.closed_within(5s));
    EXPECT_GE(clock_type::now() - sent, 250ms);

    // Answering after the connection was dropped does nothing harmful.
    auto respond = silent.take_held();
    ASSERT_TRUE(respond);
    (*respond)(net::http_response{});
    silent.answer_now = true;
    http_peer next(where());
    const auto response = next.exchange(get("/silent"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
}

TEST_F(HttpRouteTest, ResponderCalledAfterTheServerIsGoneIsHarmless) {
    recording_route silent("silent");
    silent.answer_now = false;
    start_server();
    server->add_http_route("/silent", silent);
    {
        http_peer peer(where());
        peer.write(get("/silent"));
        ASSERT_TRUE(eventually([&] { return silent.count() == 1; }));
        server->stop(); // the session stops waiting for the answer
        EXPECT_TRUE(peer.closed_within(5s));
    }
    io->stop(1s);
    server.reset();
    auto respond = silent.take_held();
    ASSERT_TRUE(respond);
    (*respond)(net::http_response{}); // nothing left to answer: no effect, no crash
    SUCCEED();
}

// ---- persistent connections ----

TEST_F(HttpRouteTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    recording_route status("status");
    start_server();
    server->add_http_route("/status.json", status);
    http_peer peer(where());
    // Two requests written back to back (pipelined), answered in order.
    peer.write(get("/status.json?n=1") + get("/status.json?n=2"));
    const auto first = peer.read();
    const auto second = peer.read();
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_TRUE(first->keep_alive());
    EXPECT_EQ(second->result_int(), 200U);
    const auto third = peer.exchange(get("/status.json?n=3"));
    ASSERT_TRUE(third);
    ASSERT_EQ(status.count(), 3U);
    EXPECT_EQ(status.requests[0].query, "n=1");
    EXPECT_EQ(status.requests[1].query, "n=2");
    EXPECT_EQ(status.requests[2].query, "n=3");
    EXPECT_EQ(status.requests[0].remote, status.requests[2].remote);
}

TEST_F(HttpRouteTest, ConnectionCloseAndHttp10AreHonoured) {
    recording_route status("status");
    start_server();
    server->add_http_route("/status.json", status);
    {
        http_peer peer(where());
        const auto response = peer.exchange(get("/status.json", "Connection: close\r\n"));
        ASSERT_TRUE(response);
        EXPECT_FALSE(response->keep_alive());
        EXPECT_EQ(header_of(*response, "Connection"), "close");
        EXPECT_TRUE(peer.closed_within(5s));
    }
    {
        http_peer peer(where()); // HTTP/1.0 closes unless asked to keep alive
        const auto response = peer.exchange("GET /status.json HTTP/1.0\r\n\r\n");
        ASSERT_TRUE(response);
        EXPECT_EQ(response->version(), 10U);
        EXPECT_TRUE(peer.closed_within(5s));
    }
    {
        http_peer peer(where());
        const auto response =
            peer.exchange("GET /status.json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        ASSERT_TRUE(response);
        EXPECT_EQ(header_of(*response, "Connection"), "keep-alive");
        const auto again = peer.exchange("GET /status.json HTTP/1.0\r\n\r\n");
        ASSERT_TRUE(again);
        EXPECT_TRUE(peer.closed_within(5s));
    }
    EXPECT_EQ(status.count(), 4U);
}

TEST_F(HttpRouteTest, PersistentConnectionEndsAfterAHundredRequests) {
    recording_route status("status");
    start_server();
    server->add_http_route("/status.json", status);
    http_peer peer(where());
    for (int i = 1; i <= 100; ++i) {
        const auto response = peer.exchange(get("/status.json"));
        ASSERT_TRUE(response) << i;
        EXPECT_EQ(response->keep_alive(), i < 100) << i;
    }
    EXPECT_TRUE(peer.closed_within(5s));
    EXPECT_EQ(status.count(), 100U);
}

TEST_F(HttpRouteTest, IdleConnectionIsClosedSilentlyAfterTheTimeout) {
    const captured_log log(net::log::level::debug);
    recording_route status("status");
    net::websocket_server_config config;
    config.handshake_timeout = 300ms;
    start_server(config);
    server->add_http_route("/status.json", status);
    http_peer peer(where());
    ASSERT_TRUE(peer.exchange(get("/status.json")));
    const auto idle_from = clock_type::now();
    EXPECT_TRUE(peer.closed_within(5s));
    EXPECT_GE(clock_type::now() - idle_from, 250ms);
    EXPECT_TRUE(log.matching("failed").empty()) << log.all();
}

// ---- failures and refusals ----

TEST_F(HttpRouteTest, ThrowingHandlerGets500AndAnErrorLine) {
    const captured_log log(net::log::level::error);
    recording_route broken("broken");
    broken.throw_message = "out of cheese";
    start_server();
    server->add_http_route("/broken", broken);
    http_peer peer(where());
    const auto response = peer.exchange(get("/broken"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 500U);
    ASSERT_TRUE(eventually([&] { return !log.matching("out of cheese").empty(); })) << log.all();
    // The connection survives: the next request is answered too.
    const auto again = peer.exchange(get("/broken"));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->result_int(), 500U);
}

TEST_F(HttpRouteTest, WebSocketUpgradeToARoutePathGets404) {
    recording_route page("page");
    start_server();
    server->add_http_route("/index.html", page);
    raw_peer peer(where());
    const auto answer = peer.upgrade("/index.html");
    EXPECT_EQ(answer.rfind("HTTP/1.1 404", 0), 0U) << answer;
    EXPECT_EQ(page.count(), 0U);
}

TEST_F(HttpRouteTest, PlainRequestsToAWebSocketEndpointStillGet426) {
    recording_route page("page");
    start_server();
    server->add_http_route("/index.html", page);
    {
        http_peer peer(where());
        const auto response = peer.exchange(get("/ts"));
        ASSERT_TRUE(response);
        EXPECT_EQ(response->result_int(), 426U);
    }
    {
        // A request with a body is refused cleanly too: the answer arrives, then the close.
        http_peer peer(where());
        const auto response = peer.exchange(post("/ts", std::string(5000, 'b')));
        ASSERT_TRUE(response);
        EXPECT_EQ(response->result_int(), 426U);
        EXPECT_TRUE(peer.closed_within(5s));
    }
    {
        // The WebSocket endpoint still upgrades.
        raw_peer peer(where());
        const auto answer = peer.upgrade("/ts");
        EXPECT_EQ(answer.rfind("HTTP/1.1 101", 0), 0U) << answer;
    }
}

TEST_F(HttpRouteTest, FloodOfBadRequestsLogsABoundedNumberOfLines) {
    const captured_log log(net::log::level::debug);
    recording_route control("control");
    net::http_route_config small;
    small.max_body_bytes = 10;
    start_server();
    server->add_http_route("/control", control, small);
    const auto started = clock_type::now();
    for (int i = 0; i < 500; ++i) {
        http_peer peer(where());
        switch (i % 4) {
        case 0:
            peer.write(get("/nothing-here")); // 404
            break;
        case 1:
            peer.write(post("/control", std::string(50, 'x'))); // 413
            break;
        case 2:
            peer.write("NOT HTTP AT ALL\r\n\r\n"); // a failed request
            break;
        default:
            peer.write(get("/control")); // a good one: no line above debug
            break;
        }
        static_cast<void>(peer.read());
    }
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - started).count();
    const auto lines = log.matching("websocket:");
    EXPECT_LE(lines.size(), static_cast<std::size_t>(10 + seconds + 2)) << log.all();
    EXPECT_GE(lines.size(), 10U);
    EXPECT_EQ(control.count(), 125U);
}

} // namespace
} // namespace dvbcss::test
