#pragma once

/// CSS-WC server logic without I/O: turns a received datagram into the reply to send.
///
/// API summary
/// - `server_config`   follow-up mode; optional precision (ns) and max-frequency-error (ppm)
///                     overrides of what the wall clock reports.
/// - `server(wall_clock, config)`  bound to the wall clock it serves (a clock listener: a change of
///                     the clock invalidates the cached precision).
/// - `on_datagram(bytes, receive_ns)` -> `std::optional<reply>`: nullopt means ignore (counted
///                     in `statistics()` by reason). Never throws, whatever the bytes.
/// - `on_datagram(bytes, receive_ns, why)`: the same, and `why` says why an input was ignored
///                     (errc::wrong_length, bad_version, bad_message_type, not_a_request), so a
///                     transport logs the core's own reason instead of decoding the bytes again.
/// - `reply`           the encoded response (type 1, or 2 in follow-up mode). Before sending, the
///                     transport calls `reply.stamp_transmit(wall_ns)`; in follow-up mode it then
///                     sends `reply.make_followup(actual_transmit_ns)` (type 3).
/// - `statistics()`    counters: answered, wrong_length, bad_version, bad_message_type,
///                     not_a_request.
///
/// Typical transport loop:
/// ```
/// auto rx = wall_clock_ns_at(kernel_rx_timestamp);           // on the wall clock, ns
/// if (auto r = srv.on_datagram(bytes, rx)) {
///     r->stamp_transmit(wall_clock_now_ns());  send(r->bytes);
///     if (r->followup) send(r->make_followup(wall_clock_ns_at(tx_timestamp)));
/// }
/// ```

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/wc/message.hpp>

#include <cstdint>
#include <optional>
#include <span>

namespace dvbcss::wc {

/// How a server answers.
///
/// Thread safety: a value type.
struct server_config {
    /// Send type 2 then a type-3 follow-up carrying the true transmit time of the type 2.
    bool followup = false;
    /// Report this dispersion (nanoseconds, > 0) instead of the wall clock's dispersion at the
    /// receive time.
    std::optional<double> precision_override_ns;
    /// Report this maximum frequency error (ppm, >= 0) instead of the wall clock root's.
    std::optional<double> max_freq_error_override_ppm;
    /// How long (ns of wall clock time) a computed precision field may be reused. The cached value
    /// is the worst dispersion over the whole window, so it never understates the error.
    std::int64_t precision_cache_ns = 100'000'000;
};

/// What the transport must send for one request.
///
/// Thread safety: a value type.
struct reply {
    /// The response, complete except for the transmit time (set it with `stamp_transmit`).
    message_bytes bytes{};
    /// True in follow-up mode: after sending `bytes`, send `make_followup(...)`.
    bool followup = false;

    /// Writes the transmit time (wall clock ns), read as late as possible before sending.
    void stamp_transmit(std::int64_t transmit_ns) noexcept {
        write_timestamp(bytes, transmit_offset, transmit_ns);
    }

    /// The type-3 follow-up: same as `bytes` but with type 3 and `actual_transmit_ns`, the best
    /// known time (wall clock ns) at which `bytes` actually left.
    [[nodiscard]] message_bytes make_followup(std::int64_t actual_transmit_ns) const noexcept {
        auto f = bytes;
        write_type(f, message_type::followup);
        write_timestamp(f, transmit_offset, actual_transmit_ns);
        return f;
    }
};

/// Counters of a server. Monotonic; never reset by the server.
///
/// Thread safety: a value type.
struct server_statistics {
    std::uint64_t answered = 0;         ///< Requests that produced a reply.
    std::uint64_t wrong_length = 0;     ///< Datagrams not 32 bytes long.
    std::uint64_t bad_version = 0;      ///< Version byte not 0.
    std::uint64_t bad_message_type = 0; ///< Type byte > 3.
    std::uint64_t not_a_request = 0;    ///< Well-formed responses (types 1..3) sent to the server.

    /// Every datagram that was ignored.
    [[nodiscard]] std::uint64_t ignored() const noexcept {
        return wrong_length + bad_version + bad_message_type + not_a_request;
    }
};

/// A CSS-WC server bound to the wall clock it serves. Owns no socket: the transport feeds it each
/// datagram with its receive time and sends what it returns.
///
/// Precision reported = the wall clock's dispersion at the receive time (unless overridden);
/// max frequency error = the wall clock root's (unless overridden). The encoded values are cached
/// (see `server_config::precision_cache_ns`) and recomputed when the wall clock notifies a change.
///
/// Lifetime: the wall clock must outlive the server. Not copyable or movable (the clock holds a
/// pointer to it as a listener).
///
/// Thread safety: distinct objects safe; a shared object unsafe (use it from the thread or
/// executor that owns the clock tree).
class server final : private clock::clock_listener {
public:
    explicit server(clock::clock_base& wall_clock, server_config config = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    server(server&&) = delete;
    server& operator=(server&&) = delete;

    /// The reply to `datagram`, received at `receive_ns` (nanoseconds on the wall clock, read as
    /// close to the wire as possible), or nullopt if it is not a valid request (counted).
    [[nodiscard]] std::optional<reply> on_datagram(std::span<const std::byte> datagram,
                                                   std::int64_t receive_ns) noexcept;

    /// As above, and sets `why` to the reason an ignored datagram was ignored, the same reason
    /// that is counted in `statistics()`: errc::wrong_length (not 32 bytes), errc::bad_version
    /// (version byte not 0), errc::bad_message_type (type byte above 3) or errc::not_a_request (a
    /// well-formed response, type 1 to 3); errc::ok when a reply is returned.
    [[nodiscard]] std::optional<reply> on_datagram(std::span<const std::byte> datagram,
                                                   std::int64_t receive_ns, errc& why) noexcept;

    /// The encoded precision field the server would report for a request received at
    /// `receive_ns` (wall clock ns). Uses and fills the cache.
    [[nodiscard]] std::int8_t precision_at(std::int64_t receive_ns) noexcept;

    /// The encoded max-frequency-error field the server reports.
    [[nodiscard]] std::uint32_t max_freq_error() noexcept;

    [[nodiscard]] const server_statistics& statistics() const noexcept { return stats_; }

    [[nodiscard]] const server_config& config() const noexcept { return config_; }

    /// Forgets the cached precision and max frequency error (also done on clock change).
    void invalidate_cache() noexcept { cache_valid_ = false; }

private:
    void on_clock_changed(clock::clock_base& cause) override;
    void refresh(std::int64_t receive_ns) noexcept;

    clock::clock_base& wall_clock_;
    server_config config_;
    server_statistics stats_;
    bool cache_valid_ = false;
    std::int64_t cache_from_ns_ = 0;
    std::int64_t cache_until_ns_ = 0;
    std::int8_t cached_precision_ = 0;
    std::uint32_t cached_mfe_ = 0;
};

} // namespace dvbcss::wc
