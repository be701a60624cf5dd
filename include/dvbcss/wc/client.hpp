#pragma once

/// CSS-WC client state machine without I/O: paces requests, matches responses to them, builds
/// candidates, runs an estimator and applies its correlations to the wall clock.
///
/// API summary
/// - `client_config`   response timeout, follow-up timeout, back-off cap when the server is silent.
/// - `client(wall_clock, estimator, config)`  wall_clock: a correlated_clock whose parent is the
///                     local clock. The constructor marks the wall clock's correlation error as
///                     +infinity (unsynchronised) until the first candidate is adopted.
/// - `next_request(now_ns)` -> optional<message_bytes>: call whenever the timer set to
///                     `next_wakeup_ns()` fires (and after `on_datagram`); returns the request to
///                     send now, if any. Also expires timeouts. `now_ns` = local clock ns.
/// - `on_request_sent(originate, actual_t1_ns)`: optional; replaces the outstanding request's t1
///                     by the time it really left (e.g. the kernel's transmit timestamp).
/// - `on_datagram(bytes, receive_ns, source_matches)` -> `client_outcome`: feed every datagram
///                     received on the socket, with its receive time (local clock ns, read as close
///                     to the wire as possible) and whether it came from the server's address.
/// - `next_wakeup_ns()` local ns at which `next_request` has something to do.
/// - `statistics()`, `dispersion_ns(now_ns)`, `current_estimator()`, `last_candidate()`.
///
/// Local time = the wall clock's PARENT clock, in ns (`parent.nanos()`); t1 and t4 use it.
///
/// Transport loop:
/// ```
/// for (;;) {
///     if (auto req = cl.next_request(local_now_ns())) send(*req);
///     wait_for_datagram_until(cl.next_wakeup_ns());
///     if (got) cl.on_datagram(bytes, rx_local_ns, from == server);
/// }
/// ```

#include <dvbcss/clock/correlation.hpp>
#include <dvbcss/limits.hpp>
#include <dvbcss/wc/candidate.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/message.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace dvbcss::clock {
class correlated_clock;
} // namespace dvbcss::clock

namespace dvbcss::wc {

/// How a client paces itself.
///
/// Thread safety: a value type.
struct client_config {
    /// How long to wait for a response (type 1, or the type 2 of a follow-up pair) after sending.
    std::chrono::nanoseconds response_timeout = std::chrono::milliseconds(200);
    /// How long to hold a type-2 response waiting for its type-3 follow-up (measured from the
    /// type 2's arrival). When it expires the type 2 is used on its own.
    std::chrono::nanoseconds followup_timeout = limits::wc_followup_timeout;
    /// After n >= 1 consecutive timeouts the next request waits
    /// max(delay, min(max(delay, response_timeout) * 2^(n-1), max_backoff)), where delay is the
    /// estimator's `next_request_delay()`: the first loss costs nothing extra, a silent server is
    /// polled ever more slowly, down to one request per `max_backoff`.
    std::chrono::nanoseconds max_backoff = std::chrono::seconds(16);
    /// Take t3 from the follow-up (the spec: it is the true transmit time of the type 2). Set
    /// false for servers whose follow-up carries a time read AFTER sending (pydvbcss does): such a
    /// t3 is later than the real departure and can put the true offset outside the error bound.
    /// The type 2's own transmit time is then used, and the follow-up only confirms it.
    bool trust_followup_transmit = true;
};

/// What one datagram did.
enum class client_outcome {
    ignored,            ///< Malformed, wrong source, unmatched, duplicate, late: counted.
    awaiting_followup,  ///< A type-2 response is held until its follow-up or the timeout.
    candidate_not_used, ///< A measurement was made; the estimator kept the clock as it was.
    clock_adjusted,     ///< A measurement was made and the wall clock's correlation changed.
};

/// Counters of a client. Monotonic.
///
/// Thread safety: a value type.
struct client_statistics {
    std::uint64_t requests = 0;            ///< Requests sent.
    std::uint64_t responses = 0;           ///< Responses matched to the outstanding request.
    std::uint64_t timeouts = 0;            ///< Requests that got no usable response in time.
    std::uint64_t candidates = 0;          ///< Plausible measurements given to the estimator.
    std::uint64_t candidates_accepted = 0; ///< ... that changed the wall clock.
    std::uint64_t followups_missing = 0;   ///< Type-2 responses used alone after the timeout.
    // Ignored datagrams, by reason:
    std::uint64_t malformed = 0;       ///< Did not decode (length, version, type).
    std::uint64_t wrong_source = 0;    ///< Not from the server's address.
    std::uint64_t not_a_response = 0;  ///< A request (type 0).
    std::uint64_t wrong_originate = 0; ///< Originate matches no request we sent recently (stale
                                       ///< or forged).
    std::uint64_t late = 0;            ///< For a recent request that had already timed out.
    std::uint64_t duplicates = 0;      ///< A second copy for an already answered request.
    std::uint64_t implausible = 0;     ///< Timestamps no honest exchange gives (negative rtt...).
    std::uint64_t transmit_times_used = 0;     ///< on_request_sent calls that replaced t1.
    std::uint64_t transmit_times_rejected = 0; ///< ... ignored (no such request, out of range).

    [[nodiscard]] std::uint64_t ignored() const noexcept {
        return malformed + wrong_source + not_a_response + wrong_originate + late + duplicates +
               implausible;
    }
};

/// A CSS-WC client for one server. Owns no socket and no timer.
///
/// Lifetime: the wall clock must outlive the client. Thread safety: distinct objects safe; a
/// shared object unsafe (use it from the thread or executor that owns the clock tree).
class client {
public:
    /// `wall_clock` must have a parent (the local clock); `est` must estimate for `wall_clock`.
    /// Throws std::invalid_argument if `est` is null or the wall clock has no parent.
    client(clock::correlated_clock& wall_clock, std::unique_ptr<estimator> est,
           client_config config = {});

    /// The request to send now (local time `now_ns`), or nullopt. Expires the response and
    /// follow-up timeouts first (which may adjust the wall clock).
    [[nodiscard]] std::optional<message_bytes> next_request(std::int64_t now_ns);

    /// Tells the client when the request whose originate field is `originate` really left, local
    /// clock ns (for example the kernel's software transmit timestamp, read after the send call).
    /// The request's t1 becomes `actual_t1_ns`; the originate field on the wire stays what it was,
    /// so matching the response is unchanged. Ignored (returns false) unless the request is still
    /// outstanding or its type-2 response is held for a follow-up, and `actual_t1_ns` lies between
    /// the t1 read when the request was built (a request cannot leave before it was stamped) and
    /// that request's response deadline (a stale timestamp of an earlier request, or one on
    /// another clock, is rejected). Never throws.
    bool on_request_sent(const raw_timestamp& originate, std::int64_t actual_t1_ns) noexcept;

    /// Handles one received datagram (`receive_ns`: local clock ns; `source_matches`: it came
    /// from the server's address and port). Never throws on hostile input.
    client_outcome on_datagram(std::span<const std::byte> datagram, std::int64_t receive_ns,
                               bool source_matches);

    /// Local ns at which `next_request` should next be called.
    [[nodiscard]] std::int64_t next_wakeup_ns() const noexcept;

    /// The wall clock's current error bound at local time `now_ns`, ns, including the local
    /// clock's own dispersion; +infinity before the first adopted candidate.
    [[nodiscard]] double dispersion_ns(std::int64_t now_ns) const;

    [[nodiscard]] const client_statistics& statistics() const noexcept { return stats_; }

    [[nodiscard]] const estimator& current_estimator() const noexcept { return *estimator_; }

    [[nodiscard]] estimator& current_estimator() noexcept { return *estimator_; }

    /// The latest plausible measurement given to the estimator (nullopt before the first). With
    /// follow-ups, t4 is the type 2's arrival and t3 the follow-up's transmit time.
    [[nodiscard]] const std::optional<candidate>& last_candidate() const noexcept {
        return last_candidate_;
    }

    /// Consecutive requests that timed out (0 once a response arrives).
    [[nodiscard]] unsigned consecutive_timeouts() const noexcept { return consecutive_timeouts_; }

private:
    struct outstanding {
        raw_timestamp originate;
        std::int64_t t1 = 0;
        std::int64_t deadline = 0;
        std::int64_t t1_read = 0; // t1 as read when the request was built
    };

    struct held_response {
        message response;
        std::int64_t t1 = 0;
        std::int64_t t1_read = 0; // t1 as read when the request was built
        std::int64_t t4 = 0;
        std::int64_t deadline = 0;
    };

    client_outcome finish(const message& response, std::int64_t t1, std::int64_t t4,
                          std::int64_t now_ns);
    client_outcome ignore_unmatched(const raw_timestamp& originate);
    void expire(std::int64_t now_ns);
    void schedule_next(std::int64_t from_ns);

    clock::correlated_clock& wall_clock_;
    std::unique_ptr<estimator> estimator_;
    client_config config_;
    client_statistics stats_;
    std::optional<outstanding> outstanding_;
    std::optional<held_response> held_;
    std::optional<raw_timestamp> last_answered_;
    std::optional<candidate> last_candidate_;
    std::array<raw_timestamp, 8> timed_out_{}; // originates of the latest timed-out requests
    std::size_t timed_out_count_ = 0;
    std::int64_t next_send_ns_ = 0;
    bool started_ = false;
    unsigned consecutive_timeouts_ = 0;
};

} // namespace dvbcss::wc
