#pragma once

/// Connects any client-side protocol core (`dvbcss::client_protocol`: CSS-CII, CSS-TS) to a
/// server over a `websocket_client`, calling the core only on one owner executor.

#include <dvbcss/error.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_client.hpp>
#include <dvbcss/net/websocket_handler.hpp>
#include <dvbcss/net/ws_adapter.hpp>
#include <dvbcss/protocol.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace dvbcss::net {

/// A WebSocket client connection (one ws:// URL, optional reconnection) driving a protocol core
/// that models `dvbcss::client_protocol`. It owns the core and the `websocket_client`.
///
/// **One owner.** The transport's callbacks run on the client's strand and `dispatch` to the owner
/// executor given at construction (inline when that strand already runs on the owner's thread);
/// every call into the core happens there: `on_open`, `on_text`, `on_binary`, `on_close`, then
/// `take_pending()` until it returns nothing, each message sent with `send_text`. The owner must
/// run handlers one at a time, in order (one io_context thread or a strand). `connect_failed` and
/// `finished` also run on the owner.
///
/// Pending messages are pulled only while a connection is open; what the core holds meanwhile is
/// pulled after the next `on_open`. A message the transport refuses (outbox full: the server is
/// not reading) is dropped and logged. A message the core rejects (`on_text` / `on_binary` return
/// an error) is logged at `options.ignored_level`, rate-limited; the connection is kept (close
/// codes are the core's business, through the application).
///
/// Lifetime: destroy the adapter on the owner's thread or once the owner has stopped: the
/// transport stops, and queued work finds the adapter gone and does nothing.
template <client_protocol Core>
class ws_client_adapter {
public:
    /// Nothing happens until `start()`.
    ws_client_adapter(boost::asio::any_io_executor owner, websocket_client_config config, Core core,
                      ws_client_events events = {}, ws_client_adapter_options options = {})
        : state_(std::make_shared<state>(owner, std::move(core), std::move(events), options)) {
        make_transport(std::move(owner), std::move(config));
    }

    /// As above, but the core is built in place from `args` (for cores that cannot be moved,
    /// such as `ts::timeline_follower`, which drives a clock by reference).
    template <class... Args>
    ws_client_adapter(boost::asio::any_io_executor owner, websocket_client_config config,
                      ws_client_events events, ws_client_adapter_options options,
                      std::in_place_t /*tag*/, Args&&... args)
        : state_(std::make_shared<state>(owner, std::move(events), options, std::in_place,
                                         std::forward<Args>(args)...)) {
        make_transport(std::move(owner), std::move(config));
    }

    ws_client_adapter(const ws_client_adapter&) = delete;
    ws_client_adapter& operator=(const ws_client_adapter&) = delete;

    /// Stops the transport; queued work does nothing. Call on the owner thread or once the owner
    /// no longer runs.
    ~ws_client_adapter() {
        state_->alive.store(false);
        transport_.reset();
    }

    /// Starts connecting; returns an error if the URL is not a valid ws:// URL. Call once.
    error_code start() { return transport_->start(); }

    /// Closes the connection (1000 by default) and stops reconnecting. Safe from any thread.
    void close(std::uint16_t code = close_codes::normal, std::string reason = {}) {
        transport_->close(code, std::move(reason));
    }

    /// True while a connection is open. Safe from any thread.
    [[nodiscard]] bool is_open() const { return transport_->is_open(); }

    /// Runs `f(core)` on the owner (always posted, never inline, so it is safe to call from
    /// inside a core callback), then sends what the core has pending. Safe from any thread; `f`
    /// is dropped unrun if the adapter is destroyed first.
    template <class F>
    void with_core(F f) {
        boost::asio::post(state_->owner, [s = state_, f = std::move(f)]() mutable {
            if (!s->alive.load()) {
                return;
            }
            s->guarded("application call", [&] { f(s->core); });
            s->flush();
        });
    }

    /// Sends what the core has pending. For code already running on the owner that changed the
    /// core through `core()`.
    void flush() { state_->flush(); }

    /// The core. Use only on the owner (or once it has stopped).
    [[nodiscard]] Core& core() noexcept { return state_->core; }

    [[nodiscard]] const Core& core() const noexcept { return state_->core; }

    [[nodiscard]] const boost::asio::any_io_executor& owner() const noexcept {
        return state_->owner;
    }

private:
    // Creates the transport, whose callbacks reach the core on the owner.
    void make_transport(boost::asio::any_io_executor owner, websocket_client_config config) {
        const std::weak_ptr<state> weak = state_;
        websocket_client_callbacks callbacks;
        callbacks.on_open = [weak] {
            on_owner(weak, [](state& s) {
                s.guarded("on_open", [&] { s.core.on_open(); });
                s.flush();
            });
        };
        callbacks.on_text = [weak](std::string_view text) {
            on_owner(weak, [text = std::string(text)](state& s) {
                error_code reason;
                s.guarded("on_text", [&] { reason = s.core.on_text(text); });
                if (reason) {
                    s.rejected(std::to_string(text.size()) + "-byte message", reason);
                }
                s.flush();
            });
        };
        callbacks.on_binary = [weak](std::size_t size) {
            on_owner(weak, [size](state& s) {
                error_code reason;
                s.guarded("on_binary", [&] { reason = s.core.on_binary(size); });
                if (reason) {
                    s.rejected(std::to_string(size) + "-byte binary message", reason);
                }
                s.flush();
            });
        };
        callbacks.on_close = [weak](const close_info& info) {
            on_owner(weak, [info](state& s) {
                s.guarded("on_close", [&] { s.core.on_close(info.code, info.reason); });
            });
        };
        callbacks.on_connect_failed = [weak](const connect_failure& failure) {
            on_owner(weak, [failure](state& s) {
                if (s.events.connect_failed) {
                    s.guarded("connect_failed", [&] { s.events.connect_failed(failure); });
                }
            });
        };
        callbacks.on_finished = [weak] {
            on_owner(weak, [](state& s) {
                if (s.events.finished) {
                    s.guarded("finished", [&] { s.events.finished(); });
                }
            });
        };
        transport_ = std::make_unique<websocket_client>(std::move(owner), std::move(config),
                                                        std::move(callbacks));
        state_->transport = transport_.get();
    }

    struct state {
        state(boost::asio::any_io_executor owner_executor, Core c, ws_client_events e,
              const ws_client_adapter_options& options)
            : owner(std::move(owner_executor))
            , core(std::move(c))
            , events(std::move(e))
            , log(options.logger, options.log_burst, options.log_interval)
            , ignored_level(options.ignored_level) {}

        template <class... Args>
        state(boost::asio::any_io_executor owner_executor, ws_client_events e,
              const ws_client_adapter_options& options, std::in_place_t /*tag*/, Args&&... args)
            : owner(std::move(owner_executor))
            , core(std::forward<Args>(args)...)
            , events(std::move(e))
            , log(options.logger, options.log_burst, options.log_interval)
            , ignored_level(options.ignored_level) {}

        // Owner only: sends everything the core has pending while a connection is open.
        void flush() {
            if (transport == nullptr || !transport->is_open()) {
                return;
            }
            for (;;) {
                std::optional<std::string> text;
                guarded("take_pending", [&] { text = core.take_pending(); });
                if (!text) {
                    return;
                }
                if (!transport->send_text(std::move(*text))) {
                    log.write(log::level::warning,
                              "a message could not be sent (connection closed or the server is "
                              "not reading); dropped");
                    return;
                }
            }
        }

        // Owner only.
        void rejected(const std::string& what, const error_code& reason) {
            if (log::enabled(ignored_level)) {
                log.write(ignored_level, what + " from the server ignored: " + reason.message());
            }
        }

        // Owner only: a throwing core or event callback is a bug; log it, rate-limited, and keep
        // the exception out of the io_context.
        template <class Function>
        void guarded(std::string_view what, Function&& function) {
            try {
                std::forward<Function>(function)();
            } catch (const std::exception& e) {
                log.write(log::level::error, std::string(what) + " threw: " + e.what());
            }
        }

        const boost::asio::any_io_executor owner;
        Core core; // owner only
        ws_client_events events;
        detail::limited_log log;               // owner only
        websocket_client* transport = nullptr; // set once before start(); used on the owner
        const log::level ignored_level;
        std::atomic<bool> alive{true};
    };

    // From a transport callback: run `f(state)` on the owner if the adapter still exists then.
    template <class F>
    static void on_owner(const std::weak_ptr<state>& weak, F f) {
        const auto s = weak.lock();
        if (!s) {
            return;
        }
        boost::asio::dispatch(s->owner, [s, f = std::move(f)]() mutable {
            if (s->alive.load()) {
                f(*s);
            }
        });
    }

    std::shared_ptr<state> state_;
    std::unique_ptr<websocket_client> transport_;
};

} // namespace dvbcss::net
