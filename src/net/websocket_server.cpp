// The WebSocket server's sessions: Beast streams driven by C++20 coroutines. This is one of the few
// translation units that include Beast (see docs/websocket.md for the design).
#include "websocket_close.hpp"
#include "websocket_direct_stream.hpp"
#include "websocket_endpoint_state.hpp"

#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_error_log.hpp>
#include <dvbcss/net/websocket_server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <unistd.h>

namespace dvbcss::net {

namespace {

using detail::classify_end;
using detail::describe;
using detail::end_kind;
using detail::sendable_close_code;
using detail::wire_close;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view log_name = "websocket";
constexpr std::string_view server_header = "dvbcss";
/// Requests served on one persistent HTTP connection before the server closes it.
constexpr unsigned max_requests_per_connection = 100;
/// Bytes of an unread request body the server reads and discards after refusing the request, so
/// that closing the socket does not reset the connection before the peer has read the answer.
constexpr std::size_t max_drain_bytes = 1024 * 1024;
constexpr std::chrono::milliseconds max_drain_time{2000};

/// The peer's text for a log line: bounded and stripped of control characters.
std::string printable(std::string_view text, std::size_t limit = 200) {
    std::string result(text.substr(0, limit));
    for (auto& ch : result) {
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
            ch = '?';
        }
    }
    return result;
}

/// Header fields a handler may not set: the server writes them itself.
bool reserved_response_field(std::string_view name) {
    constexpr std::array<std::string_view, 5> reserved{"server", "content-type", "content-length",
                                                       "connection", "transfer-encoding"};
    return std::any_of(reserved.begin(), reserved.end(),
                       [&](std::string_view r) { return beast::iequals(name, r); });
}

/// A field name or value that would break the response's framing.
bool unsafe_field_text(std::string_view text) {
    return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// The most a WebSocket read asks Beast to copy into the read buffer at once (a longer message is
// read in several steps): the space an idle connection's pending read holds. Beast's default would
// prepare 1536 bytes per connection; companions' messages are mostly shorter than this.
constexpr std::size_t read_chunk_bytes = 256;
// The read buffer an open connection keeps between messages; a larger one (after a large
// message) is freed, so idle connections cost little whatever they were once sent.
constexpr std::size_t retained_read_bytes = read_chunk_bytes;

/// One queued WebSocket message.
struct outgoing_message {
    bool binary = false;
    std::shared_ptr<const std::string> data; // never null; possibly shared with other sessions
};

/// The queue of messages waiting for the write in flight. It allocates nothing while empty (an
/// empty libstdc++ deque already holds a 512-byte node and its map), and an idle connection's
/// queue is empty: a message for a connection with nothing in flight is written at once.
class message_queue {
public:
    [[nodiscard]] bool empty() const noexcept { return !items_ || items_->empty(); }

    [[nodiscard]] std::size_t size() const noexcept { return items_ ? items_->size() : 0; }

    void push_back(outgoing_message message) {
        if (!items_) {
            items_ = std::make_unique<std::deque<outgoing_message>>();
        }
        items_->push_back(std::move(message));
    }

    /// The oldest message; the queue must not be empty. The last one frees the storage.
    outgoing_message pop_front() {
        outgoing_message message = std::move(items_->front());
        items_->pop_front();
        if (items_->empty()) {
            items_.reset();
        }
        return message;
    }

    void clear() noexcept { items_.reset(); }

private:
    std::unique_ptr<std::deque<outgoing_message>> items_;
};

std::string describe(const tcp::endpoint& endpoint) {
    auto text = endpoint.address().to_string();
    if (endpoint.address().is_v6()) {
        text = "[" + text + "]";
    }
    return text + ":" + std::to_string(endpoint.port());
}

} // namespace

/// Rate limits for the log lines a peer can cause at will (refusals, failed handshakes, closes,
/// misbehaviour): per kind, a burst of lines, then at most one a second carrying the count of the
/// lines dropped meanwhile. Safe from any session's strand.
class peer_event_log {
public:
    enum class kind : std::size_t {
        http,
        handshake,
        session,
        misbehaviour
    };

    void write(kind k, log::level l, std::string_view message) {
        if (!log::enabled(l)) {
            return;
        }
        const std::lock_guard lock(mutex_);
        limiters_.at(static_cast<std::size_t>(k)).write(l, message, monotonic_now_ns());
    }

private:
    static constexpr int burst = 10;

    std::mutex mutex_;
    std::array<udp_error_log, 4> limiters_{
        udp_error_log(std::string(log_name), burst), udp_error_log(std::string(log_name), burst),
        udp_error_log(std::string(log_name), burst), udp_error_log(std::string(log_name), burst)};
};

class server_session;

/// Shared state of a server: the acceptor, the endpoints by path, and every live session (so that
/// `stop` can reach handshakes in progress too).
struct websocket_server::impl : std::enable_shared_from_this<websocket_server::impl> {
    impl(asio::any_io_executor executor, websocket_server_config cfg)
        : io_executor(std::move(executor))
        , acceptor_strand(asio::make_strand(io_executor))
        , acceptor(acceptor_strand)
        , write_watch(acceptor_strand)
        , config(std::move(cfg)) {}

    asio::awaitable<void> accept_loop(std::shared_ptr<impl> self);
    /// Drops the sockets of open sessions whose write has been in flight for longer than
    /// `config.write_timeout` (peers that stopped reading), checking twice per timeout.
    asio::awaitable<void> watch_writes(std::shared_ptr<impl> self);
    void do_stop();

    std::shared_ptr<detail::websocket_endpoint_state> find_endpoint(std::string_view path) const {
        const std::lock_guard lock(mutex);
        const auto it = endpoints.find(path);
        return it == endpoints.end() ? nullptr : it->second.state;
    }

    struct route_entry {
        http_handler* handler = nullptr;
        http_route_config config;
    };

    /// The route serving `path`: an exact route, else the longest matching prefix route.
    std::optional<route_entry> find_route(std::string_view path) const {
        const std::lock_guard lock(mutex);
        if (const auto it = routes.find(path); it != routes.end()) {
            return it->second;
        }
        const route_entry* best = nullptr;
        std::size_t best_length = 0;
        for (const auto& [prefix, entry] : routes) {
            if (entry.config.prefix && prefix.size() >= best_length &&
                path.substr(0, prefix.size()) == prefix) {
                best = &entry;
                best_length = prefix.size();
            }
        }
        return best == nullptr ? std::nullopt : std::optional(*best);
    }

    /// Registers a session unless the server is stopping; returns false if it is.
    bool track(connection_id id, const std::shared_ptr<server_session>& session);
    void untrack(connection_id id);

    struct endpoint_entry {
        std::shared_ptr<detail::websocket_endpoint_state> state;
        std::unique_ptr<websocket_endpoint> handle;
    };

    /// Moves an accepted socket to the next session thread's io_context. Nothing (and the
    /// connection dropped) once `join` has closed the session threads: their io_contexts may be
    /// gone by the time a late accept completes.
    std::optional<tcp::socket> hand_to_session_thread(tcp::socket accepted) {
        const std::lock_guard lock(mutex);
        if (session_threads_closed) {
            return std::nullopt;
        }
        error_code ec;
        const auto protocol = accepted.local_endpoint(ec).protocol();
        if (ec) {
            return std::nullopt;
        }
        const auto handle = accepted.release(ec);
        if (ec) {
            return std::nullopt;
        }
        tcp::socket moved(session_executors[next_session++ % session_executors.size()]);
        moved.assign(protocol, handle, ec);
        if (ec) {
            ::close(handle);
            return std::nullopt;
        }
        return moved;
    }

    const asio::any_io_executor io_executor;
    /// The io_contexts of the session threads (set before `start`, then read only).
    std::vector<asio::any_io_executor> session_executors;
    const asio::strand<asio::any_io_executor> acceptor_strand;
    tcp::acceptor acceptor;         // used on acceptor_strand only
    asio::steady_timer write_watch; // used on acceptor_strand only
    const websocket_server_config config;
    std::atomic<connection_id> next_id{1};
    /// Sessions still in their HTTP phase (counted from accept until the upgrade completes or
    /// the connection ends); the accept loop pauses at `config.max_pending_handshakes`.
    std::atomic<std::size_t> pending_handshakes{0};
    peer_event_log peer_log;

    mutable std::mutex mutex;
    std::map<std::string, endpoint_entry, std::less<>> endpoints;              // guarded by mutex
    std::map<std::string, route_entry, std::less<>> routes;                    // guarded by mutex
    std::unordered_map<connection_id, std::weak_ptr<server_session>> sessions; // guarded by mutex
    bool stopping = false;                                                     // guarded by mutex
    bool session_threads_closed = false;                                       // guarded by mutex
    std::size_t next_session = 0;                                              // guarded by mutex
    bool started = false;                                                      // guarded by mutex
    tcp::endpoint bound;                                                       // guarded by mutex
};

/// One accepted TCP connection: the HTTP upgrade, then a WebSocket session with a reader
/// coroutine and a writer coroutine draining a bounded outbox. Everything runs on its strand.
class server_session final : public detail::websocket_session_base,
                             public std::enable_shared_from_this<server_session> {
public:
    server_session(std::shared_ptr<websocket_server::impl> server, tcp::socket socket,
                   connection_id id, const void* batch_key)
        : server_(std::move(server))
        , batch_key_(batch_key)
        , executor_(socket.get_executor())
        , ws_(std::move(socket))
        , deadline_(executor_)
        , response_timer_(executor_) {
        info_.id = id;
        server_->pending_handshakes.fetch_add(1);
    }

    ~server_session() override { leave_http_phase(); }

    server_session(const server_session&) = delete;
    server_session& operator=(const server_session&) = delete;

    /// Called by the server's write watch (any thread): drops the socket if the write in flight
    /// started before `stalled_since_ns` (monotonic ns) and is still in flight.
    void drop_if_write_stalled(std::int64_t stalled_since_ns) {
        asio::post(executor_, [self = shared_from_this(), stalled_since_ns] {
            const auto since = self->write_since_ns_.load(std::memory_order_relaxed);
            if (since == 0 || since > stalled_since_ns || self->phase_ != phase::open) {
                return;
            }
            self->peer_log(peer_event_log::kind::misbehaviour, log::level::warning,
                           self->who() + ": peer stopped reading (a write has waited " +
                               std::to_string((monotonic_now_ns() - since) / 1'000'000) +
                               " ms); dropping the socket");
            beast::get_lowest_layer(self->ws_).close();
        });
    }

    /// Monotonic ns at which the write in flight started, 0 if none (read by the write watch).
    [[nodiscard]] std::int64_t write_since_ns() const noexcept {
        return write_since_ns_.load(std::memory_order_relaxed);
    }

    void start() {
        asio::co_spawn(executor_, run(shared_from_this()),
                       [id = info_.id](const std::exception_ptr& e) {
                           if (e) {
                               log_exception(id, e);
                           }
                       });
    }

    void post_send(std::shared_ptr<const std::string> data, bool binary) override {
        asio::post(executor_,
                   [self = shared_from_this(), data = std::move(data), binary]() mutable {
                       self->enqueue(outgoing_message{binary, std::move(data)});
                   });
    }

    void post_notify(bool pull) override {
        asio::post(executor_, [self = shared_from_this(), pull] { self->notify_now(pull); });
    }

    [[nodiscard]] const void* batch_key() const noexcept override { return batch_key_; }

    void post_notify_batch(std::vector<std::shared_ptr<detail::websocket_session_base>> sessions,
                           bool pull) override {
        asio::post(executor_, [sessions = std::move(sessions), pull] {
            for (const auto& session : sessions) {
                static_cast<server_session&>(*session).notify_now(pull);
            }
        });
    }

    void post_close(std::uint16_t code, std::string reason) override {
        asio::post(executor_, [self = shared_from_this(), code, reason = std::move(reason)] {
            self->request_close(code, reason);
        });
    }

    /// Server stop: drop a handshake in progress, close an open session with 1001.
    void post_shutdown() {
        asio::post(executor_, [self = shared_from_this()] {
            if (self->phase_ == phase::http) {
                error_code ignored;
                beast::get_lowest_layer(self->ws_).socket().close(ignored);
                self->response_timer_.cancel(); // a handler's answer is no longer awaited
            } else {
                self->request_close(close_codes::going_away, "server stopping");
            }
        });
    }

private:
    enum class phase {
        http,    // reading the HTTP request or answering it
        open,    // WebSocket open: messages flow both ways
        closing, // we asked to close; waiting for the closing handshake
        ended,   // the reader has finished; no more callbacks
    };

    static void log_exception(connection_id id, const std::exception_ptr& e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log::write(log::level::error, log_name,
                       "connection " + std::to_string(id) + " failed: " + ex.what());
        } catch (...) {
            log::write(log::level::error, log_name,
                       "connection " + std::to_string(id) + " failed with an unknown exception");
        }
    }

    /// A log line a peer can cause: rate-limited per kind.
    void peer_log(peer_event_log::kind k, log::level l, std::string_view message) const {
        server_->peer_log.write(k, l, message);
    }

    std::string who() const {
        return "connection " + std::to_string(info_.id) + " from " + describe(info_.remote) +
               " on " + info_.path;
    }

    // `self` lives in the coroutine frame and keeps the session alive until the coroutine ends.
    asio::awaitable<void> run(std::shared_ptr<server_session> self) {
        const auto& config = server_->config;
        {
            error_code ec;
            info_.remote = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
            info_.local = beast::get_lowest_layer(ws_).socket().local_endpoint(ec);
        }
        if (!server_->track(info_.id, self)) {
            co_return;
        }
        // The WebSocket session runs after serve's frame (the HTTP parser's space, the routing
        // state) has been freed: an open connection keeps only what it needs.
        if (co_await serve(config)) {
            co_await run_websocket();
        }
        server_->untrack(info_.id);
    }

    /// Ends this connection's count among the server's pending handshakes (once).
    void leave_http_phase() noexcept {
        if (counted_pending_) {
            counted_pending_ = false;
            server_->pending_handshakes.fetch_sub(1);
        }
    }

    /// The HTTP phase: true once a WebSocket is open (the caller then runs it), false when the
    /// connection ended (refused, failed, or done with its HTTP requests).
    asio::awaitable<bool> serve(const websocket_server_config& config) {
        // Leaves the pending-handshake count however the HTTP phase ends.
        struct http_phase_guard {
            server_session& session;

            ~http_phase_guard() { session.leave_http_phase(); }
        } const guard{*this};

        // HTTP requests, one after another while the peer keeps the connection alive, until one
        // is a WebSocket upgrade (which ends in `open_websocket`) or the connection ends.
        for (unsigned served = 0;;) {
            // 1. The request header, bounded in size and time. A connection that stays idle
            // between two requests for the timeout is closed silently.
            http::request_parser<http::empty_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(config.max_http_header_bytes));
            parser.body_limit(boost::none); // each route sets its own, once the path is known
            beast::get_lowest_layer(ws_).expires_after(config.handshake_timeout);
            {
                auto [ec, n] =
                    co_await http::async_read_header(ws_.next_layer(), buffer_, parser, use_tuple);
                static_cast<void>(n);
                if (ec == http::error::header_limit) {
                    co_await refuse_unparsed(
                        http::status::request_header_fields_too_large,
                        "Request Header Fields Too Large",
                        "header over " + std::to_string(config.max_http_header_bytes) + " bytes");
                    co_return false;
                }
                if (is_malformed_request(ec)) {
                    co_await refuse_unparsed(http::status::bad_request,
                                             "Bad Request. Not an HTTP/1.1 request",
                                             "not HTTP: " + ec.message());
                    co_return false;
                }
                if (ec) {
                    if (served == 0 || parser.got_some()) {
                        peer_log(peer_event_log::kind::http, log::level::debug,
                                 "HTTP request from " + describe(info_.remote) +
                                     " failed: " + ec.message());
                    }
                    co_return false;
                }
            }
            const auto& request = parser.get();
            const std::string_view target{request.target().data(), request.target().size()};
            info_.path = std::string(target.substr(0, target.find('?')));

            // 2. Routing: WebSocket endpoints, then HTTP routes (exact, then longest prefix).
            endpoint_ = server_->find_endpoint(info_.path);
            if (endpoint_) {
                if (co_await open_websocket(parser, config)) {
                    break; // the parser and its header fields are freed before the session runs
                }
                co_return false;
            }
            const auto route = server_->find_route(info_.path);
            if (!route || websocket::is_upgrade(request)) {
                co_await refuse(request, http::status::not_found, "Not Found", {},
                                !parser.is_done());
                co_return false;
            }
            ++served;
            if (!co_await serve_route(std::move(parser), *route,
                                      served < max_requests_per_connection)) {
                co_return false;
            }
        }
        // What the HTTP phase read into the buffer is gone; an idle connection keeps no more
        // than the read in progress needs.
        buffer_.shrink_to_fit();
        leave_http_phase();
        co_return true;
    }

    /// True for a parse error in a request header (not HTTP, a bad request line, a bad field),
    /// false for the connection ending or timing out before a whole header arrived.
    static bool is_malformed_request(const error_code& ec) {
        if (ec.category() != make_error_code(http::error::bad_method).category()) {
            return false;
        }
        return ec != http::error::end_of_stream && ec != http::error::partial_message &&
               ec != http::error::need_more && ec != http::error::short_read;
    }

    /// Answers a request header that could not be parsed (HTTP 400) or was too large (HTTP 431)
    /// with `status` and HTTP/1.1, then a bounded drain so that the peer reads the answer rather
    /// than a reset. `why` goes to the rate-limited peer log.
    asio::awaitable<void> refuse_unparsed(http::status status, std::string_view text,
                                          const std::string& why) {
        peer_log(peer_event_log::kind::http, log::level::info,
                 "refused a request from " + describe(info_.remote) + ": HTTP " +
                     std::to_string(static_cast<unsigned>(status)) + " (" + why + ")");
        co_await write_refusal(status, 11, text, true);
    }

    /// Answers a request for a WebSocket endpoint: true once the upgrade is done and the
    /// connection registered (the caller then runs it), false after a refusal or failure.
    asio::awaitable<bool> open_websocket(const http::request_parser<http::empty_body>& parser,
                                         const websocket_server_config& config) {
        const auto& request = parser.get();
        if (!parser.is_done()) {
            // A body on an upgrade would be read as WebSocket frames: refuse it.
            if (websocket::is_upgrade(request)) {
                co_await refuse(request, http::status::bad_request,
                                "Bad Request. A WebSocket upgrade carries no body", {}, true);
            } else {
                co_await refuse(
                    request, http::status::upgrade_required,
                    "Upgrade Required. This end-point only accepts WebSocket connections", {},
                    true);
            }
            co_return false;
        }
        if (buffer_.size() != 0 && websocket::is_upgrade(request)) {
            // The client sent more right behind its request, before the server's answer
            // (RFC 6455 §4.1: it must wait for it). Those bytes cannot be handed to the
            // WebSocket stream, so they are refused rather than silently dropped.
            co_await refuse(request, http::status::bad_request,
                            "Bad Request. Data followed the WebSocket upgrade request before "
                            "the server answered it",
                            "data sent before the upgrade was answered", true);
            co_return false;
        }
        buffer_.consume(buffer_.size());
        if (!websocket::is_upgrade(request)) {
            co_await refuse(request, http::status::upgrade_required,
                            "Upgrade Required. This end-point only accepts WebSocket connections");
            co_return false;
        }
        switch (endpoint_->try_reserve()) {
        case detail::websocket_endpoint_state::admission::disabled:
            co_await refuse(request, http::status::forbidden,
                            "Forbidden. This end-point is currently unavailable");
            co_return false;
        case detail::websocket_endpoint_state::admission::full:
            co_await refuse(request, http::status::service_unavailable,
                            "Service Unavailable. No more connections to end-point permitted. "
                            "Maximum limit reached.",
                            "connection limit " + std::to_string(endpoint_->max_connections()) +
                                " reached");
            co_return false;
        case detail::websocket_endpoint_state::admission::accepted:
            break;
        }

        // 3. The WebSocket opening handshake; from here on Beast's own timers apply.
        beast::get_lowest_layer(ws_).expires_never();
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = config.handshake_timeout;
        timeouts.idle_timeout = config.idle_timeout;
        timeouts.keep_alive_pings = config.keep_alive_pings;
        ws_.set_option(timeouts);
        ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
            response.set(http::field::server, server_header);
        }));
        ws_.read_message_max(config.read_message_max);
        ws_.text(true);
        ws_.auto_fragment(false);
        {
            auto [ec] = co_await ws_.async_accept(request, use_tuple);
            if (ec) {
                endpoint_->release_reservation();
                peer_log(peer_event_log::kind::handshake, log::level::info,
                         "WebSocket handshake from " + describe(info_.remote) + " on " +
                             info_.path + " failed: " + ec.message());
                co_return false;
            }
        }
        if (!endpoint_->attach(info_.id, weak_from_this())) {
            // Disabled between admission and registration: close without involving the handler.
            auto [ec] = co_await ws_.async_close(
                websocket::close_reason(websocket::close_code::going_away, "endpoint disabled"),
                use_tuple);
            static_cast<void>(ec);
            co_return false;
        }
        phase_ = phase::open;
        co_return true;
    }

    /// The open WebSocket session: on_open, the reader here and the writer beside it, on_close.
    asio::awaitable<void> run_websocket() {
        peer_log(peer_event_log::kind::session, log::level::info, who() + " opened");
        guarded_call([&] { endpoint_->handler().on_open(info_); });

        write_next(); // anything the handler queued or left pending in on_open
        co_await read_loop();

        // 4. The end: exactly one on_close for the one on_open.
        const auto end = final_close();
        const auto& info = end.info;
        phase_ = phase::ended;
        deadline_.cancel();
        endpoint_->detach(info_.id);
        log_end(end);
        guarded_call([&] { endpoint_->handler().on_close(info_.id, info); });
    }

    asio::awaitable<void> read_loop() {
        for (;;) {
            // The message in steps of at most read_chunk_bytes, so that the pending read of an
            // idle connection holds little buffer space.
            error_code ec;
            do {
                std::tie(ec, std::ignore) =
                    co_await ws_.async_read_some(buffer_, read_chunk_bytes, use_tuple);
            } while (!ec && !ws_.is_message_done());
            // The receive time: read before anything else once the message is complete.
            const std::int64_t received_ns = monotonic_now_ns();
            if (ec) {
                read_error_ = ec;
                if (ec == beast::error::timeout) {
                    peer_log(peer_event_log::kind::misbehaviour, log::level::warning,
                             who() + ": no response within the keep-alive timeout; dropped");
                }
                co_return;
            }
            const bool binary = !ws_.got_text();
            if (binary && !endpoint_->accept_binary()) {
                buffer_.consume(buffer_.size());
                if (phase_ == phase::open) {
                    peer_log(peer_event_log::kind::misbehaviour, log::level::warning,
                             who() + ": binary frame received; closing with 1003");
                    request_close(close_codes::unsupported_data, "binary frames are not accepted");
                }
                continue;
            }
            if (phase_ == phase::open) {
                const incoming_message message{
                    binary,
                    std::string_view{static_cast<const char*>(buffer_.data().data()),
                                     buffer_.size()},
                    received_ns};
                guarded_call([&] { endpoint_->handler().on_message(info_.id, message); });
            }
            buffer_.consume(buffer_.size());
            if (buffer_.capacity() > retained_read_bytes) {
                buffer_.shrink_to_fit(); // one large message does not cost memory for good
            }
        }
    }

    // The writer: at most one write (or the closing handshake) in flight, started from whatever
    // made something sendable (a notify, a queued message, the previous write's completion), so a
    // fan-out's write goes out in the same handler as its notify.
    // Messages the socket takes at once are sent in this loop, one after the other.
    void write_next() {
        for (;;) {
            if (writing_) {
                return; // the write in flight continues here when it completes
            }
            if (phase_ == phase::closing) {
                start_close();
                return;
            }
            if (phase_ != phase::open) {
                return;
            }
            if (!outbox_.empty()) {
                outgoing_message message = outbox_.pop_front();
                outbox_bytes_ -= message.data->size();
                if (start_write(std::move(message)) != write_state::sent) {
                    return;
                }
                continue;
            }
            bool deferred = false;
            if (auto text = offered().take(deferred)) {
                if (deferred) {
                    guarded_call([&] { endpoint_->handler().on_ready_for_next(info_.id); });
                }
                if (phase_ != phase::open) {
                    return;
                }
                if (start_write(outgoing_message{false, std::move(text)}) != write_state::sent) {
                    return;
                }
                continue;
            }
            if (!pending_) {
                return;
            }
            pending_ = false;
            std::shared_ptr<const std::string> text;
            guarded_call([&] { text = endpoint_->handler().take_pending_shared(info_.id); });
            if (text && phase_ == phase::open) {
                if (start_write(outgoing_message{false, std::move(text)}) != write_state::sent) {
                    return;
                }
            }
        }
    }

    /// The handler has a message for this connection: take it (`pull`: ask for it; otherwise the
    /// one offered) when the outbox has drained.
    void notify_now(bool pull) {
        if (phase_ == phase::open) {
            pending_ = pending_ || pull;
            write_next();
        }
    }

    enum class write_state {
        sent,      ///< all of it went out at once
        in_flight, ///< writing_ is set until it completes, then write_next runs
        failed,    ///< the reader sees the failure too and ends the session
    };

    /// Writes `message` now; nothing else of ours may be in flight. A message goes out in one
    /// system call, header and payload together, when Beast is not writing (see
    /// direct_write_stream); otherwise, and for the rest of what the socket did not take at
    /// once, by an asynchronous write.
    write_state start_write(outgoing_message message) {
        auto& layer = ws_.next_layer();
        if (ws_.is_open() && layer.idle()) {
            const auto result = layer.write_frame(
                message.binary, message.data, [self = shared_from_this()](error_code ec) {
                    self->writing_ = false;
                    self->write_since_ns_.store(0, std::memory_order_relaxed);
                    if (!ec) {
                        self->write_next();
                    }
                });
            switch (result) {
            case detail::direct_write_stream::write_result::done:
                return write_state::sent;
            case detail::direct_write_stream::write_result::in_flight:
                writing_ = true;
                write_since_ns_.store(monotonic_now_ns(), std::memory_order_relaxed);
                return write_state::in_flight;
            case detail::direct_write_stream::write_result::failed:
                return write_state::failed;
            }
        }
        ws_.binary(message.binary);
        writing_ = true;
        write_since_ns_.store(monotonic_now_ns(), std::memory_order_relaxed);
        const auto& bytes = *message.data;
        ws_.async_write(asio::buffer(bytes),
                        [self = shared_from_this(),
                         data = std::move(message.data)](error_code ec, std::size_t /*n*/) {
                            self->writing_ = false;
                            self->write_since_ns_.store(0, std::memory_order_relaxed);
                            if (ec) {
                                return; // the reader sees the failure too and ends the session
                            }
                            self->write_next();
                        });
        return write_state::in_flight;
    }

    void start_close() {
        if (close_started_) {
            return;
        }
        close_started_ = true;
        writing_ = true;
        // request_close left only sendable codes, or 1005: a close frame without a code.
        ws_.async_close(wire_close(close_request_), [self = shared_from_this()](error_code ec) {
            static_cast<void>(ec); // the reader reports how the close ended
            self->writing_ = false;
        });
    }

    void enqueue(outgoing_message message) {
        if (phase_ != phase::open) {
            return;
        }
        if (outbox_.size() + 1 > endpoint_->max_outbox_messages() ||
            outbox_bytes_ + message.data->size() > endpoint_->max_outbox_bytes()) {
            const auto code = endpoint_->overflow_close_code();
            peer_log(peer_event_log::kind::misbehaviour, log::level::warning,
                     who() + ": peer is not reading (outbox full at " +
                         std::to_string(outbox_.size()) + " messages, " +
                         std::to_string(outbox_bytes_) + " bytes); closing with " +
                         std::to_string(code));
            request_close(code, "outbox overflow: peer too slow");
            return;
        }
        if (!writing_ && outbox_.empty()) {
            // Nothing waits before it: no queue needed.
            if (start_write(std::move(message)) == write_state::sent) {
                write_next(); // a pending message of the handler's, or the close, goes next
            }
            return;
        }
        outbox_bytes_ += message.data->size();
        outbox_.push_back(std::move(message));
        write_next();
    }

    void request_close(std::uint16_t code, const std::string& reason) {
        if (phase_ != phase::open) {
            return;
        }
        phase_ = phase::closing;
        close_request_ = {code, reason};
        if (!sendable_close_code(code)) {
            // 1005, 1006, 1015 and the like must never be sent: a close frame without a status
            // code says "no status", and that is what the peer (and on_close) will see.
            log::write(log::level::info, log_name,
                       who() + ": close code " + std::to_string(code) +
                           " may not be sent; closing without a status code (1005)");
            close_request_ = {close_codes::no_status, {}};
        }
        outbox_.clear();
        outbox_bytes_ = 0;
        pending_ = false;
        write_next(); // the closing handshake, now or when the write in flight completes
        // A peer that does not take the close frame (or stalls a write) is dropped.
        deadline_.expires_after(server_->config.close_timeout);
        deadline_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && self->phase_ == phase::closing) {
                self->peer_log(peer_event_log::kind::session, log::level::info,
                               self->who() + ": closing handshake timed out; dropping the socket");
                beast::get_lowest_layer(self->ws_).close();
            }
        });
    }

    detail::connection_end final_close() const {
        if (phase_ == phase::closing) {
            return {close_request_, end_kind::requested};
        }
        return classify_end(read_error_, ws_.reason());
    }

    /// One line per ended session giving the code actually exchanged and who chose it.
    void log_end(const detail::connection_end& end) const {
        switch (end.kind) {
        case end_kind::requested:
            peer_log(peer_event_log::kind::session, log::level::info,
                     who() + " closed (" + describe(end.info) + ")");
            break;
        case end_kind::received:
            peer_log(peer_event_log::kind::session, log::level::info,
                     who() + " closed by the peer (" + describe(end.info) + ")");
            break;
        case end_kind::failed:
            if (end.info.code == close_codes::too_big) {
                peer_log(peer_event_log::kind::misbehaviour, log::level::warning,
                         who() + ": message over " +
                             std::to_string(server_->config.read_message_max) +
                             " bytes; closed with 1009");
            } else {
                peer_log(peer_event_log::kind::misbehaviour, log::level::warning,
                         who() + ": " + end.info.reason + "; closed with " +
                             std::to_string(end.info.code));
            }
            break;
        case end_kind::dropped:
            peer_log(peer_event_log::kind::session, log::level::info,
                     who() + " dropped without a close frame (1006 " + end.info.reason + ")");
            break;
        }
    }

    /// Runs a handler callback; a handler that throws gets its connection closed with 1011.
    template <class Function>
    void guarded_call(Function&& function) {
        try {
            std::forward<Function>(function)();
        } catch (const std::exception& e) {
            peer_log(peer_event_log::kind::misbehaviour, log::level::error,
                     who() + ": handler threw: " + e.what() + "; closing with 1011");
            request_close(close_codes::internal_error, "internal error");
        }
    }

    /// Answers `request` with `status` and closes the connection. With `drain`, the request's
    /// unread body is read and discarded (bounded) after the answer, so that the peer reads the
    /// answer rather than a reset.
    template <class Request>
    asio::awaitable<void> refuse(const Request& request, http::status status, std::string_view text,
                                 std::string_view why = {}, bool drain = false) {
        const auto raw_target = request.target();
        peer_log(peer_event_log::kind::http, log::level::info,
                 "refused " + printable({raw_target.data(), raw_target.size()}) + " from " +
                     describe(info_.remote) + ": HTTP " +
                     std::to_string(static_cast<unsigned>(status)) +
                     (why.empty() ? std::string() : " (" + std::string(why) + ")"));
        co_await write_refusal(status, request.version(), text, drain);
    }

    /// Writes a refusal (`status`, HTTP `version`, `text` as a plain-text body, Connection:
    /// close), then ends the connection: after a bounded drain with `drain` (the peer may still
    /// be sending), else at once; at once too if the write failed.
    asio::awaitable<void> write_refusal(http::status status, unsigned version,
                                        std::string_view text, bool drain) {
        http::response<http::string_body> response{status, version};
        response.set(http::field::server, server_header);
        response.set(http::field::content_type, "text/plain");
        if (status == http::status::upgrade_required) {
            response.set(http::field::upgrade, "websocket");
            response.set(http::field::connection, "Upgrade");
        }
        response.body() = std::string(text);
        response.keep_alive(false);
        response.prepare_payload();
        beast::get_lowest_layer(ws_).expires_after(server_->config.handshake_timeout);
        auto [ec, n] = co_await http::async_write(ws_.next_layer(), response, use_tuple);
        static_cast<void>(n);
        if (!ec && drain) {
            co_await drain_and_close();
            co_return;
        }
        error_code ignored;
        beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_send, ignored);
        beast::get_lowest_layer(ws_).close();
    }

    /// Ends the connection gracefully after an answer while the peer may still be sending: stops
    /// sending, discards what arrives (at most `max_drain_bytes`, for at most `max_drain_time`)
    /// until the peer closes, then closes.
    asio::awaitable<void> drain_and_close() {
        auto& stream = beast::get_lowest_layer(ws_);
        error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream.expires_after(
            std::min<std::chrono::milliseconds>(server_->config.handshake_timeout, max_drain_time));
        std::size_t drained = buffer_.size();
        buffer_.consume(buffer_.size());
        std::array<char, 4096> scratch{};
        while (drained < max_drain_bytes) {
            auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), use_tuple);
            if (ec) {
                break;
            }
            drained += n;
        }
        stream.close();
    }

    // ---- HTTP routes ----

    /// Reads the body of a request for `route`, has the route's handler answer it and writes the
    /// answer. Returns true if the connection stays open for another request.
    asio::awaitable<bool> serve_route(http::request_parser<http::empty_body>&& header_parser,
                                      const websocket_server::impl::route_entry& route,
                                      bool may_keep_alive) {
        const auto max_body = route.config.max_body_bytes;
        http::request_parser<http::string_body> parser{std::move(header_parser)};
        if (const auto length = parser.content_length(); length && *length > max_body) {
            co_await refuse(parser.get(), http::status::payload_too_large, "Payload Too Large",
                            "body of " + std::to_string(*length) + " bytes, limit " +
                                std::to_string(max_body),
                            true);
            co_return false;
        }
        if (!parser.is_done()) {
            if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
                // The peer waits for this before it sends the body (curl does for large ones).
                http::response<http::empty_body> go_on{http::status::continue_,
                                                       parser.get().version()};
                auto [ec, n] = co_await http::async_write(ws_.next_layer(), go_on, use_tuple);
                static_cast<void>(n);
                static_cast<void>(ec); // a failed write fails the read below too
            }
            // The body, still within the time the request started with (chunked bodies are
            // bounded by the parser's limit as they arrive).
            parser.body_limit(max_body);
            auto [ec, n] = co_await http::async_read(ws_.next_layer(), buffer_, parser, use_tuple);
            static_cast<void>(n);
            if (ec == http::error::body_limit) {
                co_await refuse(parser.get(), http::status::payload_too_large, "Payload Too Large",
                                "body over " + std::to_string(max_body) + " bytes", true);
                co_return false;
            }
            if (ec) {
                peer_log(peer_event_log::kind::http, log::level::debug,
                         "HTTP request body from " + describe(info_.remote) +
                             " failed: " + ec.message());
                co_return false;
            }
        }
        beast::get_lowest_layer(ws_).expires_never();

        auto message = parser.release();
        const bool head = message.method() == http::verb::head;
        const unsigned version = message.version();
        const bool keep_alive = may_keep_alive && message.keep_alive();
        http_request request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.path = info_.path;
        if (const auto q = request.target.find('?'); q != std::string::npos) {
            request.query = request.target.substr(q + 1);
        }
        for (const auto& field : message) {
            request.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
        }
        request.body = std::move(message.body());
        request.local = info_.local;
        request.remote = info_.remote;

        // The handler answers through the responder, now or later, from any thread.
        const auto request_number = ++request_number_;
        awaiting_request_ = request_number;
        response_.reset();
        http_response answer;
        bool answered = false;
        try {
            route.handler->on_request(request, make_responder(request_number));
        } catch (const std::exception& e) {
            answer = internal_error(std::string("handler threw: ") + e.what());
            answered = true;
        } catch (...) {
            answer = internal_error("handler threw an unknown exception");
            answered = true;
        }
        if (!answered) {
            if (!response_) {
                response_timer_.expires_after(server_->config.handshake_timeout);
                auto [ec] = co_await response_timer_.async_wait(use_tuple);
                static_cast<void>(ec); // cancelled when the answer arrives (or the server stops)
            }
            if (!response_) {
                awaiting_request_ = 0;
                peer_log(peer_event_log::kind::http, log::level::debug,
                         "no answer to " + printable(request.target) + " from " +
                             describe(info_.remote) + " within the handshake timeout; dropped");
                beast::get_lowest_layer(ws_).close();
                co_return false;
            }
            answer = std::move(*response_);
        }
        awaiting_request_ = 0;
        response_.reset();
        co_return co_await write_response(std::move(answer), version, head, keep_alive);
    }

    /// The answer to a request whose handler failed, with its (rate-limited) error line.
    http_response internal_error(const std::string& what) const {
        peer_log(peer_event_log::kind::misbehaviour, log::level::error,
                 who() + ": " + what + "; answered 500");
        http_response response;
        response.status = 500;
        response.body = "Internal Server Error";
        return response;
    }

    /// A responder for request number `request_number` of this connection: hops to the session's
    /// strand. Only its first call counts; a call after the connection ended, or after the
    /// server stopped waiting for the answer, does nothing.
    http_responder make_responder(std::uint64_t request_number) {
        auto called = std::make_shared<std::atomic<bool>>(false);
        return [weak = weak_from_this(), request_number, called](http_response response) {
            if (called->exchange(true)) {
                return;
            }
            const auto self = weak.lock();
            if (!self) {
                return;
            }
            asio::post(self->executor_,
                       [self, request_number, response = std::move(response)]() mutable {
                           if (self->awaiting_request_ == request_number) {
                               self->response_ = std::move(response);
                               self->response_timer_.cancel();
                           }
                       });
        };
    }

    /// Writes a handler's answer; returns true if the connection stays open.
    asio::awaitable<bool> write_response(http_response answer, unsigned version, bool head,
                                         bool keep_alive) {
        if (answer.status < 200 || answer.status > 599) {
            answer =
                internal_error("handler answered with status " + std::to_string(answer.status));
        }
        http::response<http::string_body> response;
        response.result(answer.status);
        response.version(version);
        response.set(http::field::server, server_header);
        response.set(http::field::content_type, answer.content_type);
        for (const auto& [name, value] : answer.headers) {
            if (name.empty() || reserved_response_field(name) || unsafe_field_text(name) ||
                unsafe_field_text(value)) {
                continue;
            }
            response.insert(name, value);
        }
        response.keep_alive(keep_alive);
        const bool no_body = answer.status == 204 || answer.status == 304;
        if (!no_body) {
            response.body() = std::move(answer.body);
            response.prepare_payload(); // Content-Length: the body's size, for HEAD too
        }
        beast::get_lowest_layer(ws_).expires_after(server_->config.handshake_timeout);
        error_code ec;
        if (head || no_body) {
            http::response_serializer<http::string_body> serializer{response};
            std::tie(ec, std::ignore) =
                co_await http::async_write_header(ws_.next_layer(), serializer, use_tuple);
        } else {
            std::tie(ec, std::ignore) =
                co_await http::async_write(ws_.next_layer(), response, use_tuple);
        }
        if (ec) {
            beast::get_lowest_layer(ws_).close();
            co_return false;
        }
        if (!keep_alive) {
            error_code ignored;
            beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_send, ignored);
            beast::get_lowest_layer(ws_).close();
            co_return false;
        }
        co_return true;
    }

    const std::shared_ptr<websocket_server::impl> server_;
    const void* const batch_key_; // the session thread's io_context, null on a strand
    const asio::any_io_executor executor_;
    websocket::stream<detail::direct_write_stream> ws_;
    beast::flat_buffer buffer_;
    asio::steady_timer deadline_;       // bounds the closing handshake we start
    asio::steady_timer response_timer_; // waits for a route handler's answer
    connection_info info_;
    std::shared_ptr<detail::websocket_endpoint_state> endpoint_;
    phase phase_ = phase::http;
    message_queue outbox_;
    std::size_t outbox_bytes_ = 0;
    bool pending_ = false;        // the handler has something to take when the outbox drains
    bool writing_ = false;        // a write or the closing handshake is in flight
    bool counted_pending_ = true; // still counted in the server's pending handshakes
    std::atomic<std::int64_t> write_since_ns_{0}; // start of the message write in flight, or 0
    bool close_started_ = false;                  // the closing handshake has been started
    close_info close_request_;
    error_code read_error_;
    std::uint64_t request_number_ = 0;      // HTTP requests read on this connection
    std::uint64_t awaiting_request_ = 0;    // the request whose answer is awaited, 0 if none
    std::optional<http_response> response_; // its answer, once the responder delivered it
};

bool websocket_server::impl::track(connection_id id,
                                   const std::shared_ptr<server_session>& session) {
    const std::lock_guard lock(mutex);
    if (stopping) {
        return false;
    }
    sessions.emplace(id, session);
    return true;
}

void websocket_server::impl::untrack(connection_id id) {
    const std::lock_guard lock(mutex);
    sessions.erase(id);
}

asio::awaitable<void> websocket_server::impl::accept_loop(std::shared_ptr<impl> self) {
    asio::steady_timer backoff(acceptor_strand);
    const std::size_t max_pending = std::max<std::size_t>(config.max_pending_handshakes, 1);
    for (;;) {
        // Too many connections in their HTTP phase: stop accepting until one finishes (new ones
        // wait in the kernel's listen backlog), checking every 5 ms.
        if (pending_handshakes.load() >= max_pending) {
            peer_log.write(peer_event_log::kind::http, log::level::warning,
                           std::to_string(max_pending) +
                               " connections are in their HTTP handshake; accepting paused");
            while (pending_handshakes.load() >= max_pending && acceptor.is_open()) {
                backoff.expires_after(std::chrono::milliseconds(5));
                co_await backoff.async_wait(use_tuple);
            }
            if (!acceptor.is_open()) {
                co_return;
            }
        }
        // Each connection gets its own strand or a session thread, so sessions never need locks
        // among themselves. For a session thread the socket is accepted here and handed over
        // after: a pending accept never holds a session thread's io_context.
        const bool on_threads = !session_executors.empty();
        // A named local, not a temporary: GCC 12 mishandles temporaries in a co_await
        // expression (the heap was corrupted with the executor built inline).
        const asio::any_io_executor accept_executor =
            on_threads ? io_executor : asio::any_io_executor(asio::make_strand(io_executor));
        auto [ec, socket] = co_await acceptor.async_accept(accept_executor, use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
                co_return;
            }
            // Out of file descriptors or similar: say so once per failure and pause briefly.
            peer_log.write(peer_event_log::kind::http, log::level::warning,
                           "accept failed: " + ec.message());
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(use_tuple);
            continue;
        }
        // Control timestamps are small and time-critical: never hold one back waiting for the
        // peer's (delayed) acknowledgement of the previous one (Nagle's algorithm).
        error_code no_delay_ignored;
        socket.set_option(tcp::no_delay(true), no_delay_ignored);
        const void* batch_key = nullptr;
        if (on_threads) {
            auto handed = hand_to_session_thread(std::move(socket));
            if (!handed) {
                continue; // the session threads are closing: the connection is dropped
            }
            socket = std::move(*handed);
            // Sessions on one session thread share its io_context as their batch key.
            batch_key = &asio::query(socket.get_executor(), asio::execution::context);
        }
        const auto id = next_id.fetch_add(1);
        const auto session =
            std::make_shared<server_session>(self, std::move(socket), id, batch_key);
        session->start();
    }
}

asio::awaitable<void> websocket_server::impl::watch_writes(std::shared_ptr<impl> self) {
    static_cast<void>(self); // keeps this impl alive while the watch runs
    const auto timeout = config.write_timeout;
    const auto period = std::clamp<std::chrono::milliseconds>(
        timeout / 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
    for (;;) {
        write_watch.expires_after(period);
        auto [ec] = co_await write_watch.async_wait(use_tuple);
        if (ec) {
            co_return; // stopped
        }
        const std::int64_t stalled_since =
            monotonic_now_ns() -
            std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
        std::vector<std::shared_ptr<server_session>> stalled;
        {
            const std::lock_guard lock(mutex);
            if (stopping) {
                co_return;
            }
            for (const auto& entry : sessions) {
                if (auto session = entry.second.lock()) {
                    const auto since = session->write_since_ns();
                    if (since != 0 && since <= stalled_since) {
                        stalled.push_back(std::move(session));
                    }
                }
            }
        }
        for (const auto& session : stalled) {
            session->drop_if_write_stalled(stalled_since);
        }
    }
}

void websocket_server::impl::do_stop() {
    std::vector<std::shared_ptr<server_session>> live;
    {
        const std::lock_guard lock(mutex);
        if (stopping) {
            return;
        }
        stopping = true;
        for (const auto& entry : sessions) {
            if (auto session = entry.second.lock()) {
                live.push_back(std::move(session));
            }
        }
    }
    asio::post(acceptor_strand, [self = shared_from_this()] {
        error_code ignored;
        self->acceptor.close(ignored);
        self->write_watch.cancel();
    });
    for (const auto& session : live) {
        session->post_shutdown();
    }
}

/// The server's own session threads: one io_context each, kept running by a work guard until
/// the server stops, then until their last connection has ended.
struct websocket_server::session_threads {
    session_threads(std::size_t count, const std::function<void(std::size_t)>& on_start) {
        for (std::size_t i = 0; i < count; ++i) {
            // One thread per io_context: its scheduler needs no locking between threads.
            contexts.push_back(std::make_unique<asio::io_context>(1));
            guards.push_back(asio::make_work_guard(*contexts.back()));
        }
        for (std::size_t i = 0; i < count; ++i) {
            threads.emplace_back([&io = *contexts[i], on_start, i] {
                if (on_start) {
                    on_start(i);
                }
                io.run();
            });
        }
    }

    session_threads(const session_threads&) = delete;
    session_threads& operator=(const session_threads&) = delete;

    ~session_threads() { join(); }

    void join() {
        const std::lock_guard lock(mutex);
        guards.clear();
        for (auto& thread : threads) {
            if (thread.joinable()) {
                thread.join();
            }
        }
    }

    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    std::vector<std::thread> threads;
    std::mutex mutex; // one joiner at a time
};

websocket_server::websocket_server(boost::asio::any_io_executor executor,
                                   websocket_server_config config)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config))) {
    if (impl_->config.session_threads > 0) {
        threads_ = std::make_unique<session_threads>(impl_->config.session_threads,
                                                     impl_->config.session_thread_start);
        for (auto& context : threads_->contexts) {
            impl_->session_executors.push_back(context->get_executor());
        }
    }
}

websocket_server::~websocket_server() {
    join();
}

void websocket_server::join() {
    stop();
    if (threads_) {
        {
            const std::lock_guard lock(impl_->mutex);
            impl_->session_threads_closed = true; // no accept hands a socket to them any more
        }
        threads_->join();
    }
}

websocket_endpoint& websocket_server::add_endpoint(std::string path, websocket_handler& handler,
                                                   websocket_endpoint_config config) {
    if (path.empty() || path.front() != '/') {
        throw std::invalid_argument("WebSocket endpoint path must start with '/': " + path);
    }
    const std::lock_guard lock(impl_->mutex);
    if (impl_->endpoints.count(path) != 0) {
        throw std::invalid_argument("WebSocket endpoint path already served: " + path);
    }
    auto state = std::make_shared<detail::websocket_endpoint_state>(path, handler, config);
    auto handle = std::make_unique<websocket_endpoint>(state);
    auto& result = *handle;
    impl_->endpoints.emplace(std::move(path), impl::endpoint_entry{state, std::move(handle)});
    return result;
}

void websocket_server::add_http_route(std::string path, http_handler& handler,
                                      http_route_config config) {
    if (path.empty() || path.front() != '/') {
        throw std::invalid_argument("HTTP route path must start with '/': " + path);
    }
    const std::lock_guard lock(impl_->mutex);
    if (impl_->routes.count(path) != 0) {
        throw std::invalid_argument("HTTP route path already served: " + path);
    }
    impl_->routes.emplace(std::move(path), impl::route_entry{&handler, config});
}

error_code websocket_server::start() {
    const tcp::endpoint endpoint(impl_->config.address, impl_->config.port);
    // The mutex is held through the whole set-up: a concurrent `stop` either comes first (and
    // start refuses) or posts its acceptor close after the accept loop has been spawned, and a
    // second `start` never touches an acceptor the accept loop already owns.
    const std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) {
        return boost::asio::error::operation_aborted;
    }
    if (impl_->started) {
        return boost::asio::error::already_started;
    }
    // The acceptor is not yet shared with the accept loop, so it may be set up here directly.
    auto& acceptor = impl_->acceptor;
    error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (ec) {
        return ec;
    }
    // On Linux SO_REUSEADDR lets a restarted server bind over its predecessor's connections in
    // TIME_WAIT; it never lets two sockets listen on one port (that still fails: address_in_use).
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (endpoint.address().is_v6() && endpoint.address().to_v6().is_unspecified()) {
        acceptor.set_option(asio::ip::v6_only(false), ec);
    }
    acceptor.bind(endpoint, ec);
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        error_code ignored;
        acceptor.close(ignored);
        return ec;
    }
    impl_->bound = acceptor.local_endpoint(ec);
    impl_->started = true;
    asio::co_spawn(impl_->acceptor_strand, impl_->accept_loop(impl_),
                   [](const std::exception_ptr& e) {
                       if (e) {
                           log::write(log::level::error, log_name, "accept loop failed");
                       }
                   });
    if (impl_->config.write_timeout.count() > 0) {
        asio::co_spawn(impl_->acceptor_strand, impl_->watch_writes(impl_), asio::detached);
    }
    log::write(log::level::info, log_name, "listening on " + describe(impl_->bound));
    return {};
}

boost::asio::ip::tcp::endpoint websocket_server::local_endpoint() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->bound;
}

void websocket_server::stop() {
    impl_->do_stop();
}

} // namespace dvbcss::net
