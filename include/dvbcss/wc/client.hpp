#pragma once

/// CSS-WC client state machine without I/O: paces requests, matches responses to them, builds
/// candidates, runs an estimator and applies its correlations to the wall clock.
///
/// API summary
/// - `client_config`   response timeout, follow-up timeout, back-off cap when the server is silent,
///                     when synchronisation counts as lost, whether to trust follow-up t3.
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
/// - `next_event()` -> optional<client_event>: timeouts and synchronisation transitions
///                     (acquired, lost, regained), oldest first; poll after each call above.
/// - `statistics()`, `dispersion_ns(now_ns)`, `synchronised()`, `current_estimator()`,
///                     `last_candidate()`.
///
/// Retry rule (one rule for every estimator; `d` = the estimator's `next_request_delay()`, read
/// after it was told what happened, never below 1 ms after a timeout):
/// - after a response has been handled at local time T, the next request goes at T + d;
/// - after the n-th consecutive timeout (n >= 1) of a request whose deadline was D, the next
///   request goes at D + min(d * 2^(n-1), max(d, max_backoff)).
/// So the first retry costs nothing extra, a silent server is polled ever more slowly, but never
/// less often than once per response_timeout + max(d, max_backoff): with the defaults (200 ms
/// timeout, lowest-dispersion's 200 ms retry, 2 s cap) a returning server is noticed within
/// 2.2 s. Example, timeout 0.5 s, d = 0.5 s, cap 2 s: requests at 0, 1, 2.5, 5, 7.5, 10, ... s.
///
/// Synchronisation: the client is synchronised once a correlation has been adopted, until
/// `sync_lost_after_misses` consecutive requests in a row yield no usable measurement (timed out
/// or implausible) or, if `sync_lost_above_dispersion` is set, the wall clock's dispersion
/// exceeds it. It is synchronised again at the next usable measurement with the dispersion
/// within the bound. Each transition is queued as a `client_event`.
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
    /// Cap of the back-off after consecutive timeouts: after the n-th, the next request waits
    /// min(d * 2^(n-1), max(d, max_backoff)) from the timed-out request's deadline, where d is
    /// the estimator's `next_request_delay()` (at least 1 ms). See the retry rule above.
    std::chrono::nanoseconds max_backoff = std::chrono::seconds(2);
    /// Synchronisation is lost after this many consecutive requests without a usable measurement
    /// (timeouts or implausible answers). 0: never on that ground.
    unsigned sync_lost_after_misses = 3;
    /// Synchronisation is also lost while the wall clock's dispersion (as `dispersion_ns`) exceeds
    /// this; nullopt: no such bound. Checked whenever the client is called (at least at every
    /// wakeup), so a crossing is noticed at most one request interval late.
    std::optional<std::chrono::nanoseconds> sync_lost_above_dispersion;
    /// Take t3 from the follow-up (the spec: it is the true transmit time of the type 2). A
    /// follow-up t3 that makes the server's processing time longer than the whole round trip
    /// (t3 - t2 > t4 - t1) is impossible: it is discarded, the type 2's own t3 is used and
    /// `followup_transmits_rejected` counts it. Set false for servers whose follow-up carries a
    /// time read AFTER sending (pydvbcss does): such a t3 is later than the real departure and,
    /// when not late enough to be impossible, still puts the true offset outside the error
    /// bound. The type 2's own transmit time (read before sending, so never after the departure)
    /// is then always used, and the follow-up only confirms it.
    bool trust_followup_transmit = true;
};

/// What a `client_event` reports.
enum class client_event_kind {
    timeout,       ///< A request got no usable response within `response_timeout`.
    sync_acquired, ///< Synchronised for the first time (the first adopted correlation).
    sync_lost,     ///< No longer synchronised (see the synchronisation rule above).
    sync_regained, ///< Synchronised again after a loss.
};

/// The event's name in snake case: "timeout", "sync_acquired", "sync_lost", "sync_regained".
[[nodiscard]] const char* to_string(client_event_kind kind) noexcept;

/// Something a transport may want to log: a timeout or a synchronisation transition.
///
/// Thread safety: a value type.
struct client_event {
    client_event_kind kind = client_event_kind::timeout;
    /// Local clock ns at which it happened: a timed-out request's deadline, otherwise the time of
    /// the call that noticed the transition.
    std::int64_t local_ns = 0;
    /// Consecutive requests without a usable measurement at that moment.
    unsigned misses = 0;
    /// The wall clock's dispersion at `local_ns`, ns (+infinity when unknown).
    double dispersion_ns = 0;
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
    /// Follow-ups whose t3 was impossible (t3 - t2 > t4 - t1): the type 2's t3 was used instead.
    std::uint64_t followup_transmits_rejected = 0;
    std::uint64_t sync_losses = 0;    ///< Transitions to "not synchronised" (sync_lost events).
    std::uint64_t events_dropped = 0; ///< Events not polled before the queue (16) overflowed.
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

    /// The oldest queued event, removed from the queue; nullopt when there is none. The queue
    /// holds 16 events; older ones are dropped (and counted) when nobody polls. Never throws.
    [[nodiscard]] std::optional<client_event> next_event() noexcept;

    /// True while synchronised (see the synchronisation rule above), as of the latest call.
    [[nodiscard]] bool synchronised() const noexcept { return synchronised_; }

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

    /// Consecutive requests without a usable measurement (timed out or implausible).
    [[nodiscard]] unsigned consecutive_misses() const noexcept { return misses_; }

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
    void push_event(client_event_kind kind, std::int64_t local_ns);
    void update_sync(std::int64_t now_ns);

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
    unsigned misses_ = 0;
    bool adopted_ = false;      // a correlation has been adopted
    bool synchronised_ = false; // as of the latest update_sync
    std::array<client_event, 16> events_{};
    std::size_t event_head_ = 0; // index of the oldest
    std::size_t event_count_ = 0;
};

} // namespace dvbcss::wc
