#pragma once

/// Serves any server-side protocol core (`dvbcss::server_protocol`: CSS-CII, CSS-TS) on one
/// endpoint of a `websocket_server`, calling the core only on one owner executor.

#include <dvbcss/net/log.hpp>
#include <dvbcss/net/websocket_endpoint.hpp>
#include <dvbcss/net/websocket_handler.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/net/ws_adapter.hpp>
#include <dvbcss/protocol.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dvbcss::net {

/// One open connection of a `ws_server_adapter`, as the owner knows it (for status pages).
///
/// Thread safety: a value type.
struct ws_connection_description {
    connection_id id = 0;
    /// The peer as "addr:port" ("[v6]:port" for IPv6).
    std::string remote;
    /// CLOCK_MONOTONIC nanoseconds when the session reported the connection open (read on the
    /// session's strand, before the hop to the owner).
    std::int64_t opened_monotonic_ns = 0;
};

/// The WebSocket handler of one endpoint, driving a protocol core that models
/// `dvbcss::server_protocol`. It owns the core; it never decodes a message itself.
///
/// **One owner.** Every call into the core happens on the owner executor given at construction
/// (the program's single-threaded io_context, or a strand): session callbacks `dispatch` there
/// (running inline when the session already runs on the owner's thread, as with one io_context
/// thread for everything), application changes `post` there (`with_core`). The owner must run
/// handlers one at a time and in order (one io_context thread or a strand): the core is never
/// guarded by a mutex.
///
/// **Fan-out.** After every call into the core the adapter drains `core.take_dirty()` and, still
/// on the owner, offers each dirty connection its message (`websocket_endpoint::offer`, 512
/// connections at a time): the endpoint finds them with one registry lookup and asks for the
/// message (`take_pending_shared` when the core offers it, so that connections sent the same bytes
/// share one encoded payload) only of those whose last message has been taken, leaves it with
/// the session and notifies all of them, one task per session thread. A session whose outbox
/// has drained sends it at once: one hop from the owner to each session per change, no hop back,
/// no lock. A connection still holding its last message when it changes again (a slow companion)
/// is not asked; when it takes that message the adapter computes its next one
/// (`on_ready_for_next`), from the state at that moment: several changes collapse into one message
/// and a slow companion costs one message of memory, whatever the rate of change.
///
/// A message the core does not use (`on_text` returns an error) is logged at
/// `options.ignored_level` under `options.logger`, rate-limited (a few lines, then at most one per
/// `log_interval`, with the count of those suppressed): nothing a peer sends makes the log grow
/// faster than that. A core that throws (a bug) gets the connection closed with 1011 and an error
/// line, also rate-limited.
///
/// Threads: session callbacks (`on_open`, `on_text`, `on_close`, `on_ready_for_next`) run on
/// session strands and touch only the gate (`detail::ws_server_gate`, its own mutex: the input
/// counts) and the owner queue;
/// the core, the dirty drain and the per-connection descriptions are touched only on the owner;
/// the endpoint is safe from anywhere.
///
/// Lifetime: like any handler, the adapter must outlive the server's activity (stop the server
/// and let its io_context finish before destroying the adapter). Destroy it on the owner's thread
/// or once the owner has stopped running: work already posted to the owner then finds it gone and
/// does nothing (it holds the shared state, never the adapter).
template <server_protocol Core>
class ws_server_adapter final : public websocket_handler {
public:
    /// Adds the endpoint `path` to `server` (throws as `websocket_server::add_endpoint`) and serves
    /// it with `core`, called on `owner` only.
    ws_server_adapter(websocket_server& server, std::string path,
                      boost::asio::any_io_executor owner, Core core,
                      ws_server_adapter_options options = {})
        : state_(std::make_shared<state>(std::move(owner), std::move(core), options)) {
        const auto lock = state_->gate.setup_lock();
        endpoint_ = &server.add_endpoint(std::move(path), *this, options.endpoint);
        state_->gate.publish(*endpoint_);
    }

    /// As above, but the core is built in place from `args` (for cores that cannot be moved,
    /// such as `ts::server`, whose timeline sources point back at it).
    template <class... Args>
    ws_server_adapter(websocket_server& server, std::string path,
                      boost::asio::any_io_executor owner, ws_server_adapter_options options,
                      std::in_place_t /*tag*/, Args&&... args)
        : state_(std::make_shared<state>(std::move(owner), options, std::in_place,
                                         std::forward<Args>(args)...)) {
        const auto lock = state_->gate.setup_lock();
        endpoint_ = &server.add_endpoint(std::move(path), *this, options.endpoint);
        state_->gate.publish(*endpoint_);
    }

    ws_server_adapter(const ws_server_adapter&) = delete;
    ws_server_adapter& operator=(const ws_server_adapter&) = delete;

    /// Work already queued on the owner finds the adapter gone and does nothing. Call on the owner
    /// thread or once the owner no longer runs.
    ~ws_server_adapter() override { state_->alive.store(false); }

    /// Runs `f(core)` on the owner (always posted, never inline, so it is safe to call from
    /// inside a core callback), then notifies the connections the core marked dirty. Safe from
    /// any thread. `f` is dropped unrun if the adapter is destroyed first.
    template <class F>
    void with_core(F f) {
        boost::asio::post(state_->owner, [s = state_, f = std::move(f)]() mutable {
            if (!s->alive.load()) {
                return;
            }
            s->guarded(std::nullopt, "application call", [&] { f(s->core); });
            s->flush();
        });
    }

    /// Notifies the connections the core marked dirty. For code already running on the owner
    /// that changed the core through `core()`.
    void flush() { state_->flush(); }

    /// The core. Use only on the owner (or once it has stopped).
    [[nodiscard]] Core& core() noexcept { return state_->core; }

    [[nodiscard]] const Core& core() const noexcept { return state_->core; }

    /// The endpoint: enable/disable, connection limit, connection count. Safe from any thread.
    [[nodiscard]] websocket_endpoint& endpoint() noexcept { return *endpoint_; }

    [[nodiscard]] const boost::asio::any_io_executor& owner() const noexcept {
        return state_->owner;
    }

    /// The connections the owner has seen open and not yet close, in the order they opened
    /// (increasing id). Use only on the owner (as `core()`): it reflects the `on_open` and
    /// `on_close` calls the core has had, so it agrees with the core's own per-connection state.
    [[nodiscard]] std::vector<ws_connection_description> connections() const {
        std::vector<ws_connection_description> out;
        out.reserve(state_->remotes.size());
        for (const auto& [id, known] : state_->remotes) {
            out.push_back({id, known.remote, known.opened_monotonic_ns});
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        return out;
    }

    void on_open(const connection_info& connection) override {
        state_->gate.opened(connection.id);
        boost::asio::dispatch(state_->owner, [s = state_, id = connection.id,
                                              origin = detail::origin_of(connection),
                                              opened = detail::monotonic_ns()] {
            if (!s->alive.load()) {
                return;
            }
            s->remotes[id] = {origin.remote, opened};
            s->guarded(id, "on_open", [&] { s->core.on_open(id, origin); });
            s->flush();
        });
    }

    void on_text(connection_id id, std::string_view text) override {
        if (!state_->gate.message_queued(id)) {
            state_->gate.endpoint().close(id, close_codes::policy_violation,
                                          "messages arrive faster than they are handled");
            return;
        }
        boost::asio::dispatch(state_->owner, [s = state_, id, text = std::string(text)] {
            s->gate.message_handled(id);
            if (!s->alive.load()) {
                return;
            }
            error_code reason;
            s->guarded(id, "on_text", [&] { reason = s->core.on_text(id, text); });
            if (reason) {
                s->ignored(id, text.size(), reason);
            }
            s->flush();
        });
    }

    void on_close(connection_id id, const close_info& info) override {
        static_cast<void>(info);
        state_->gate.closed(id);
        boost::asio::dispatch(state_->owner, [s = state_, id] {
            if (!s->alive.load()) {
                return;
            }
            s->remotes.erase(id);
            s->guarded(std::nullopt, "on_close", [&] { s->core.on_close(id); });
            s->flush();
        });
    }

    /// Never calls the core: the connection has taken the message the owner offered it, and
    /// changed again meanwhile; asks the owner to compute its next one.
    void on_ready_for_next(connection_id id) override {
        boost::asio::post(state_->owner, [s = state_, id] {
            if (!s->alive.load()) {
                return;
            }
            const connection_id ids[] = {id};
            s->push(ids);
            s->flush();
        });
    }

private:
    // Shared with the work queued on the owner, so that work never touches a destroyed adapter.
    struct state {
        state(boost::asio::any_io_executor owner_executor, Core c,
              const ws_server_adapter_options& options)
            : owner(std::move(owner_executor))
            , core(std::move(c))
            , gate(options.max_queued_messages, options.logger, options.log_burst,
                   options.log_interval)
            , log(options.logger, options.log_burst, options.log_interval)
            , ignored_level(options.ignored_level) {}

        template <class... Args>
        state(boost::asio::any_io_executor owner_executor, const ws_server_adapter_options& options,
              std::in_place_t /*tag*/, Args&&... args)
            : owner(std::move(owner_executor))
            , core(std::forward<Args>(args)...)
            , gate(options.max_queued_messages, options.logger, options.log_burst,
                   options.log_interval)
            , log(options.logger, options.log_burst, options.log_interval)
            , ignored_level(options.ignored_level) {}

        // Owner only. Bounded: a core whose sources mark connections while they are computed
        // gets a few rounds here; anything left is pushed by the next flush.
        void flush() {
            for (int round = 0; round < 4; ++round) {
                std::vector<connection_id> dirty;
                guarded(std::nullopt, "take_dirty", [&] { dirty = core.take_dirty(); });
                if (dirty.empty()) {
                    return;
                }
                push(dirty);
            }
        }

        // Owner only: offers `ids` their messages (computed only for those whose last one has
        // been taken), a chunk at a time, so that the first connections are being written (on
        // session threads) while the owner computes the messages of the next ones.
        void push(std::span<const connection_id> ids) {
            for (std::size_t begin = 0; begin < ids.size(); begin += push_chunk) {
                const auto chunk = ids.subspan(begin, std::min(push_chunk, ids.size() - begin));
                static_cast<void>(gate.endpoint().offer(chunk, [this](connection_id id) {
                    shared_text text;
                    guarded(id, "take_pending", [&] { text = take(id); });
                    return text;
                }));
            }
        }

        // Connections whose messages are computed before they are notified (see `push`).
        static constexpr std::size_t push_chunk = 512;

        // Owner only.
        shared_text take(connection_id id) {
            if constexpr (shared_pending_protocol<Core>) {
                return core.take_pending_shared(id);
            } else {
                auto text = core.take_pending(id);
                return text ? std::make_shared<const std::string>(std::move(*text)) : nullptr;
            }
        }

        // Owner only.
        void ignored(connection_id id, std::size_t size, const error_code& reason) {
            if (!log::enabled(ignored_level)) {
                return;
            }
            log.write(ignored_level, who(id) + ": " + std::to_string(size) +
                                         "-byte message ignored: " + reason.message());
        }

        // Owner only. A core that throws is a bug: say so (rate-limited) and close the
        // connection concerned with 1011; never let the exception escape into the io_context.
        template <class Function>
        void guarded(std::optional<connection_id> id, std::string_view what, Function&& function) {
            try {
                std::forward<Function>(function)();
            } catch (const std::exception& e) {
                log.write(log::level::error, (id ? who(*id) + ": " : std::string()) +
                                                 std::string(what) + " threw: " + e.what());
                if (id) {
                    static_cast<void>(
                        gate.endpoint().close(*id, close_codes::internal_error, "internal error"));
                }
            }
        }

        // Owner only.
        std::string who(connection_id id) const {
            const auto it = remotes.find(id);
            return "connection " + std::to_string(id) +
                   (it == remotes.end() ? std::string() : " from " + it->second.remote);
        }

        struct known_connection {
            std::string remote;
            std::int64_t opened_monotonic_ns = 0;
        };

        const boost::asio::any_io_executor owner;
        Core core;                                                   // owner only
        detail::ws_server_gate gate;                                 // any thread
        detail::limited_log log;                                     // owner only
        std::unordered_map<connection_id, known_connection> remotes; // owner only
        const log::level ignored_level;
        std::atomic<bool> alive{true};
    };

    std::shared_ptr<state> state_;
    websocket_endpoint* endpoint_ = nullptr;
};

} // namespace dvbcss::net
