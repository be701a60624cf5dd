#pragma once

// Private to dvbcss_net: the shared state behind a websocket_endpoint, and the interface through
// which it reaches sessions without knowing Beast.

#include <dvbcss/net/websocket_endpoint.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dvbcss::net::detail {

/// The one message a fan-out left for a connection (`websocket_endpoint::offer`), shared by the
/// thread that offers (the owner: one at a time) and the connection's session, without a lock:
/// the state is the only thing both touch, and the payload is handed over by it.
///
/// empty -> filling (the offerer reserved it) -> full (payload stored) -> empty (the session took
/// it). An offer that finds it full marks it full_deferred: the session, taking it, learns that a
/// newer message was refused meanwhile and has its handler asked for it.
class offer_slot {
public:
    /// Offerer: true if the slot was empty and is now reserved (`fill` or `cancel` must follow);
    /// false if it still holds a message, which is then marked deferred.
    [[nodiscard]] bool reserve() noexcept {
        auto current = state_.load(std::memory_order_acquire);
        for (;;) {
            if (current == empty) {
                if (state_.compare_exchange_weak(current, filling, std::memory_order_acquire)) {
                    return true;
                }
            } else if (current == full) {
                if (state_.compare_exchange_weak(current, full_deferred,
                                                 std::memory_order_acq_rel)) {
                    return false;
                }
            } else {
                return false; // already deferred (filling: only the offerer fills)
            }
        }
    }

    /// Offerer, after `reserve`: leaves `payload` for the session.
    void fill(std::shared_ptr<const std::string> payload) noexcept {
        payload_ = std::move(payload);
        state_.store(full, std::memory_order_release);
    }

    /// Offerer, after `reserve`: nothing to leave after all.
    void cancel() noexcept { state_.store(empty, std::memory_order_release); }

    /// Session: the message left here, or null. `deferred` is set when an offer was refused
    /// while it waited.
    [[nodiscard]] std::shared_ptr<const std::string> take(bool& deferred) noexcept {
        deferred = false;
        const auto current = state_.load(std::memory_order_acquire);
        if (current != full && current != full_deferred) {
            return nullptr;
        }
        auto payload = std::move(payload_);
        deferred = state_.exchange(empty, std::memory_order_acq_rel) == full_deferred;
        return payload;
    }

private:
    enum state : std::uint8_t {
        empty,
        filling,
        full,
        full_deferred,
    };

    std::atomic<std::uint8_t> state_{empty};
    std::shared_ptr<const std::string> payload_; // written by the offerer, read by the session
};

/// A server-side connection as the endpoint sees it. Every function posts to the session's strand.
class websocket_session_base {
public:
    websocket_session_base() = default;
    websocket_session_base(const websocket_session_base&) = delete;
    websocket_session_base& operator=(const websocket_session_base&) = delete;
    virtual ~websocket_session_base() = default;

    /// Queues one message (text, or binary when `binary`) on the session's outbox.
    virtual void post_send(std::shared_ptr<const std::string> data, bool binary) = 0;
    /// Wakes the writer: with `pull`, the handler's pending output is taken once the outbox is
    /// empty (`websocket_endpoint::notify`); without, only what `offered()` holds is sent.
    virtual void post_notify(bool pull) = 0;

    /// Sessions with the same non-null key run their handlers on one thread, so one task there
    /// can notify all of them (`post_notify_batch`). Null: each is notified on its own.
    [[nodiscard]] virtual const void* batch_key() const noexcept = 0;

    /// `post_notify(pull)` for every session of `sessions` (this one among them), all with this
    /// session's non-null `batch_key`, as one task on their thread.
    virtual void post_notify_batch(std::vector<std::shared_ptr<websocket_session_base>> sessions,
                                   bool pull) = 0;

    virtual void post_close(std::uint16_t code, std::string reason) = 0;

    /// The message a fan-out left for this connection (`websocket_endpoint::offer`).
    [[nodiscard]] offer_slot& offered() noexcept { return offered_; }

private:
    offer_slot offered_;
};

/// Registry, admission control and settings of one endpoint.
///
/// Thread safety: all members are guarded by one mutex; calls into sessions happen after it is
/// released.
class websocket_endpoint_state {
public:
    websocket_endpoint_state(std::string path, websocket_handler& handler,
                             websocket_endpoint_config config);

    enum class admission {
        accepted,
        disabled,
        full,
    };

    [[nodiscard]] const std::string& path() const { return path_; }

    [[nodiscard]] websocket_handler& handler() const { return handler_; }

    /// Reserves a connection slot for a handshake about to be answered. Exact under concurrency:
    /// slots are counted from reservation, not from registration.
    [[nodiscard]] admission try_reserve();

    /// Returns a slot reserved by `try_reserve` for a connection that never opened.
    void release_reservation();

    /// Registers an opened connection (its slot was reserved). Returns false if the endpoint was
    /// disabled meanwhile; the slot is then released.
    [[nodiscard]] bool attach(connection_id id, std::weak_ptr<websocket_session_base> session);

    /// Unregisters a connection that has ended and frees its slot.
    void detach(connection_id id);

    [[nodiscard]] std::shared_ptr<websocket_session_base> find(connection_id id) const;
    [[nodiscard]] std::vector<std::shared_ptr<websocket_session_base>> all() const;
    /// The open sessions among `ids`, each with its id, found under one lock.
    [[nodiscard]] std::vector<std::pair<connection_id, std::shared_ptr<websocket_session_base>>>
    find(std::span<const connection_id> ids) const;

    void set_enabled(bool enabled);
    [[nodiscard]] bool enabled() const;
    void set_max_connections(int max_connections);
    [[nodiscard]] int max_connections() const;
    [[nodiscard]] std::size_t open_count() const;
    [[nodiscard]] std::vector<connection_id> ids() const;

    [[nodiscard]] std::size_t max_outbox_messages() const { return max_outbox_messages_; }

    [[nodiscard]] std::size_t max_outbox_bytes() const { return max_outbox_bytes_; }

    [[nodiscard]] std::uint16_t overflow_close_code() const { return overflow_close_code_; }

    [[nodiscard]] bool accept_binary() const { return accept_binary_; }

private:
    const std::string path_;
    websocket_handler& handler_;
    const std::size_t max_outbox_messages_;
    const std::size_t max_outbox_bytes_;
    const std::uint16_t overflow_close_code_;
    const bool accept_binary_;

    mutable std::mutex mutex_;
    bool enabled_;             // guarded by mutex_
    int max_connections_;      // guarded by mutex_
    std::size_t reserved_ = 0; // slots taken by opening and open connections; guarded by mutex_
    std::unordered_map<connection_id, std::weak_ptr<websocket_session_base>>
        sessions_; // open connections; guarded by mutex_
};

} // namespace dvbcss::net::detail
