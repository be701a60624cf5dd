// The WebSocket client: Beast stream driven by C++20 coroutines (one of the few Beast TUs).
#include "websocket_close.hpp"

#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/udp_error_log.hpp>
#include <dvbcss/net/websocket_client.hpp>
#include <dvbcss/net/websocket_url.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

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
constexpr std::string_view log_name = "websocket-client";

/// "0.5", "1", "2.25": a wait in seconds for a log line.
std::string seconds_text(std::chrono::milliseconds wait) {
    std::string text = std::to_string(wait.count() / 1000);
    auto ms = wait.count() % 1000;
    if (ms != 0) {
        std::string frac = std::to_string(ms);
        frac.insert(0, 3 - frac.size(), '0');
        while (frac.back() == '0') {
            frac.pop_back();
        }
        text += "." + frac;
    }
    return text;
}

/// One connection attempt and, if it opens, the connection: a new stream each time, because a
/// WebSocket stream cannot be reused after it closes. Used on the client's strand only.
struct connection {
    explicit connection(const asio::any_io_executor& executor)
        : ws(executor)
        , wake(executor)
        , deadline(executor) {}

    websocket::stream<beast::tcp_stream> ws;
    asio::steady_timer wake;     // the writer sleeps on it while the outbox is empty
    asio::steady_timer deadline; // connect timeout, then closing-handshake timeout
    beast::flat_buffer buffer;
    bool open = false;    // handshake done, not yet ended
    bool closing = false; // we started the closing handshake (or are about to)
    bool ended = false;   // the reader finished
    bool timed_out = false;
    close_info close_request;
};

struct outgoing_message {
    bool binary = false;
    std::string data;
};

} // namespace

struct websocket_client::impl : std::enable_shared_from_this<websocket_client::impl> {
    impl(asio::any_io_executor executor, websocket_client_config cfg,
         websocket_client_callbacks cbs)
        : strand(asio::make_strand(executor))
        , config(std::move(cfg))
        , callbacks(std::move(cbs))
        , resolver(strand)
        , retry_timer(strand)
        , session_log(std::string(log_name))
        , retry_log(std::string(log_name), 5) {}

    asio::awaitable<void> run(std::shared_ptr<impl> self);
    asio::awaitable<bool> connect_once(const std::shared_ptr<connection>& c,
                                       connect_failure& failure);
    asio::awaitable<close_info> serve(std::shared_ptr<connection> c);
    asio::awaitable<void> write_loop(std::shared_ptr<impl> self, std::shared_ptr<connection> c);
    void begin_close(const std::shared_ptr<connection>& c, close_info request);
    bool enqueue(bool binary, std::string data);

    bool stop_requested() const {
        const std::lock_guard lock(mutex);
        return close_requested;
    }

    /// Calls a user callback unless the client has been destroyed.
    template <class Callback, class... Args>
    void invoke(const Callback& callback, Args&&... args) {
        if (callback && !detached.load()) {
            try {
                callback(std::forward<Args>(args)...);
            } catch (const std::exception& e) {
                log::write(log::level::error, log_name, std::string("callback threw: ") + e.what());
            }
        }
    }

    const asio::any_io_executor strand;
    const websocket_client_config config;
    const websocket_client_callbacks callbacks;
    websocket_url url;
    std::atomic<bool> detached{false};
    std::atomic<bool> is_open{false};

    // Shared with callers' threads.
    mutable std::mutex mutex;
    std::deque<outgoing_message> outbox; // guarded by mutex
    std::size_t outbox_bytes = 0;        // guarded by mutex
    bool close_requested = false;        // guarded by mutex
    close_info close_request;            // guarded by mutex

    // Strand only.
    tcp::resolver resolver;
    asio::steady_timer retry_timer;
    std::shared_ptr<connection> current;
    udp_error_log session_log; // lines a server can cause (closes, failures), rate-limited
    udp_error_log retry_log;   // "retrying in N s", rate-limited
};

bool websocket_client::impl::enqueue(bool binary, std::string data) {
    if (!is_open.load()) {
        return false;
    }
    {
        const std::lock_guard lock(mutex);
        if (close_requested || outbox.size() + 1 > config.max_outbox_messages ||
            outbox_bytes + data.size() > config.max_outbox_bytes) {
            return false;
        }
        outbox_bytes += data.size();
        outbox.push_back({binary, std::move(data)});
    }
    asio::post(strand, [self = shared_from_this()] {
        if (self->current) {
            self->current->wake.cancel();
        }
    });
    return true;
}

void websocket_client::impl::begin_close(const std::shared_ptr<connection>& c, close_info request) {
    if (!c->open || c->closing || c->ended) {
        return;
    }
    c->closing = true;
    c->close_request = std::move(request);
    c->wake.cancel();
    c->deadline.expires_after(config.close_timeout);
    c->deadline.async_wait([c](error_code ec) {
        if (!ec && !c->ended) {
            beast::get_lowest_layer(c->ws).close();
        }
    });
}

asio::awaitable<bool> websocket_client::impl::connect_once(const std::shared_ptr<connection>& c,
                                                           connect_failure& failure) {
    // One deadline covers resolution, TCP connect and the opening handshake.
    c->deadline.expires_after(config.connect_timeout);
    c->deadline.async_wait([c, self = shared_from_this()](error_code ec) {
        if (!ec && !c->open) {
            c->timed_out = true;
            self->resolver.cancel();
            beast::get_lowest_layer(c->ws).close();
        }
    });
    const auto fail = [&](error_code ec, std::string what) {
        c->deadline.cancel();
        if (c->timed_out) {
            failure.error = make_error_code(errc::timeout);
            failure.message = what + ": no answer within " +
                              std::to_string(config.connect_timeout.count()) + " ms";
        } else {
            failure.error = ec;
            failure.message = what + ": " + ec.message();
        }
        return false;
    };

    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
    if (resolve_ec) {
        co_return fail(resolve_ec, "cannot resolve " + url.host);
    }
    auto [connect_ec, endpoint] =
        co_await beast::get_lowest_layer(c->ws).async_connect(endpoints, use_tuple);
    static_cast<void>(endpoint);
    if (connect_ec) {
        co_return fail(connect_ec, "cannot connect to " + config.url);
    }
    error_code ignored;
    beast::get_lowest_layer(c->ws).socket().set_option(tcp::no_delay(true), ignored);

    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = config.connect_timeout;
    timeouts.idle_timeout = config.idle_timeout;
    timeouts.keep_alive_pings = config.keep_alive_pings;
    c->ws.set_option(timeouts);
    c->ws.read_message_max(config.read_message_max);
    c->ws.auto_fragment(false);
    websocket::response_type response;
    auto [handshake_ec] =
        co_await c->ws.async_handshake(response, url.host_header(), url.target, use_tuple);
    if (handshake_ec) {
        if (handshake_ec == websocket::error::upgrade_declined) {
            failure.http_status = response.result_int();
            c->deadline.cancel();
            failure.error = handshake_ec;
            failure.message = "server refused the connection to " + config.url + ": HTTP " +
                              std::to_string(response.result_int()) + " " +
                              std::string(response.reason());
            co_return false;
        }
        co_return fail(handshake_ec, "WebSocket handshake with " + config.url + " failed");
    }
    c->deadline.cancel();
    co_return true;
}

asio::awaitable<void> websocket_client::impl::write_loop(std::shared_ptr<impl> self,
                                                         std::shared_ptr<connection> c) {
    static_cast<void>(self);
    while (!c->ended && !c->closing) {
        std::optional<outgoing_message> next;
        {
            const std::lock_guard lock(mutex);
            if (!outbox.empty()) {
                next = std::move(outbox.front());
                outbox.pop_front();
                outbox_bytes -= next->data.size();
            }
        }
        if (!next) {
            c->wake.expires_at(asio::steady_timer::time_point::max());
            auto [ec] = co_await c->wake.async_wait(use_tuple);
            static_cast<void>(ec); // cancelled on purpose: something to do
            continue;
        }
        c->ws.binary(next->binary);
        auto [ec, n] = co_await c->ws.async_write(asio::buffer(next->data), use_tuple);
        static_cast<void>(n);
        if (ec) {
            co_return; // the reader sees the failure too
        }
    }
    if (c->closing && !c->ended) {
        auto [ec] = co_await c->ws.async_close(wire_close(c->close_request), use_tuple);
        static_cast<void>(ec);
    }
}

asio::awaitable<close_info> websocket_client::impl::serve(std::shared_ptr<connection> c) {
    asio::co_spawn(strand, write_loop(shared_from_this(), c), [](const std::exception_ptr& e) {
        if (e) {
            log::write(log::level::error, log_name, "writer failed");
        }
    });
    error_code read_ec;
    for (;;) {
        auto [ec, n] = co_await c->ws.async_read(c->buffer, use_tuple);
        // The receive time: read before anything else once the message is complete.
        const std::int64_t received_ns = monotonic_now_ns();
        static_cast<void>(n);
        if (ec) {
            read_ec = ec;
            break;
        }
        if (callbacks.on_message) {
            if (!c->closing) {
                const incoming_message message{
                    !c->ws.got_text(),
                    std::string_view{static_cast<const char*>(c->buffer.data().data()),
                                     c->buffer.size()},
                    received_ns};
                invoke(callbacks.on_message, message);
            }
        } else if (c->ws.got_text()) {
            const std::string_view text{static_cast<const char*>(c->buffer.data().data()),
                                        c->buffer.size()};
            if (!c->closing) {
                invoke(callbacks.on_text, text);
            }
        } else if (!c->closing) {
            invoke(callbacks.on_binary, c->buffer.size());
        }
        c->buffer.consume(c->buffer.size());
    }
    c->ended = true;
    c->wake.cancel();
    c->deadline.cancel();
    if (c->closing) {
        co_return c->close_request;
    }
    auto end = classify_end(read_ec, c->ws.reason());
    if (end.kind == end_kind::failed) {
        session_log.write(log::level::warning,
                          end.info.code == close_codes::too_big
                              ? "message over " + std::to_string(config.read_message_max) +
                                    " bytes from " + config.url + "; closed with 1009"
                              : end.info.reason + " from " + config.url + "; closed with " +
                                    std::to_string(end.info.code),
                          monotonic_now_ns());
    }
    co_return std::move(end.info);
}

asio::awaitable<void> websocket_client::impl::run(std::shared_ptr<impl> self) {
    static_cast<void>(self);
    // `delay` is the wait before the next attempt. It grows after every wait and returns to the
    // initial delay only when a connection ends after it has been open for the stable time: a
    // server that accepts and closes at once gets ever longer gaps, not a retry every 0.5 s.
    auto delay = config.reconnect_initial_delay;
    unsigned failures_in_a_row = 0;
    for (;;) {
        if (stop_requested()) {
            break;
        }
        const auto c = std::make_shared<connection>(strand);
        current = c;
        connect_failure failure;
        const bool opened = co_await connect_once(c, failure);
        bool failed_attempt = true;
        std::string what; // what happened, for the retry line
        if (opened) {
            c->open = true;
            {
                const std::lock_guard lock(mutex);
                outbox.clear();
                outbox_bytes = 0;
            }
            is_open.store(true);
            const auto opened_at = std::chrono::steady_clock::now();
            session_log.write(log::level::info, "connected to " + config.url, monotonic_now_ns());
            invoke(callbacks.on_open);
            if (stop_requested()) {
                close_info request;
                {
                    const std::lock_guard lock(mutex);
                    request = close_request;
                }
                begin_close(c, std::move(request));
            }
            const auto info = co_await serve(c);
            is_open.store(false);
            {
                const std::lock_guard lock(mutex);
                outbox.clear();
                outbox_bytes = 0;
            }
            const bool stable =
                std::chrono::steady_clock::now() - opened_at >= reconnect_stable_time(config);
            if (stable) {
                delay = config.reconnect_initial_delay;
            }
            failed_attempt = !stable;
            // "Right after opening" explains a retry back-off: not said of a close we asked for.
            const bool early = !stable && config.reconnect && !stop_requested();
            what = "connection to " + config.url + " closed " +
                   (early ? std::string("right after opening ") : std::string()) + "(" +
                   describe(info) + ")";
            session_log.write(log::level::info, what, monotonic_now_ns());
            invoke(callbacks.on_close, info);
        } else {
            if (stop_requested()) {
                break; // cancelled by close(): not a failure to report
            }
            failure.retry_in = config.reconnect ? delay : std::chrono::milliseconds{0};
            session_log.write(log::level::debug, failure.message, monotonic_now_ns());
            what = failure.message;
            invoke(callbacks.on_connect_failed, failure);
        }
        current.reset();
        if (!config.reconnect || stop_requested()) {
            break;
        }
        failures_in_a_row = failed_attempt ? failures_in_a_row + 1 : 0;
        retry_log.write(log::level::warning, what + "; retrying in " + seconds_text(delay) + " s",
                        monotonic_now_ns());
        invoke(callbacks.on_retry,
               reconnect_notice{delay, failed_attempt, failures_in_a_row, what});
        retry_timer.expires_after(delay);
        auto [ec] = co_await retry_timer.async_wait(use_tuple);
        static_cast<void>(ec);
        const auto grown = std::chrono::duration_cast<std::chrono::milliseconds>(
            delay * config.reconnect_multiplier);
        delay = std::min(std::max(grown, delay), config.reconnect_max_delay);
    }
    current.reset();
    invoke(callbacks.on_finished);
}

websocket_client::websocket_client(boost::asio::any_io_executor executor,
                                   websocket_client_config config,
                                   websocket_client_callbacks callbacks)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config), std::move(callbacks))) {}

websocket_client::~websocket_client() {
    impl_->detached.store(true);
    close(close_codes::going_away, "client going away");
}

error_code websocket_client::start() {
    auto parsed = parse_websocket_url(impl_->config.url);
    if (!parsed) {
        return parsed.error();
    }
    impl_->url = std::move(*parsed);
    asio::co_spawn(impl_->strand, impl_->run(impl_), [](const std::exception_ptr& e) {
        if (e) {
            log::write(log::level::error, log_name, "client failed");
        }
    });
    return {};
}

bool websocket_client::send_text(std::string text) {
    return impl_->enqueue(false, std::move(text));
}

bool websocket_client::send_binary(std::string data) {
    return impl_->enqueue(true, std::move(data));
}

void websocket_client::close(std::uint16_t code, std::string reason) {
    close_info request{code, std::move(reason)};
    if (!sendable_close_code(code) && code != close_codes::no_status) {
        // 1006, 1015 and the like must never be sent: close without a status code instead.
        log::write(log::level::info, log_name,
                   "close code " + std::to_string(code) +
                       " may not be sent; closing without a status code (1005)");
    }
    if (!sendable_close_code(code)) {
        request = {close_codes::no_status, {}};
    }
    {
        const std::lock_guard lock(impl_->mutex);
        if (impl_->close_requested) {
            return;
        }
        impl_->close_requested = true;
        impl_->close_request = request;
    }
    asio::post(impl_->strand, [self = impl_, request = std::move(request)]() mutable {
        self->retry_timer.cancel();
        const auto c = self->current;
        if (!c) {
            return;
        }
        if (c->open) {
            self->begin_close(c, std::move(request));
        } else {
            // Still connecting: abandon the attempt.
            self->resolver.cancel();
            beast::get_lowest_layer(c->ws).close();
        }
    });
}

bool websocket_client::is_open() const {
    return impl_->is_open.load();
}

} // namespace dvbcss::net
