#pragma once

/// A CSS-WC server on a thread of its own, so that no WebSocket or timeline work on the program's
/// main executor ever delays a wall clock reply (docs/architecture.md, "one owner").

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/wall_clock_server.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace dvbcss::tools {

/// What a wall clock server did recently, for status pages: the request rate and the processing
/// delay t3 - t2 (receive timestamp to transmit stamp, wall clock ns) over a recent window.
///
/// Thread safety: a value type.
struct wall_clock_activity {
    /// Requests answered since the server started.
    std::uint64_t requests_answered = 0;
    /// The span the figures below cover, ns: the whole slices (cut when queried, at least
    /// 250 ms apart) that end within the window asked for, plus the time since the last cut.
    /// It can exceed the window asked for right after a long time without queries.
    std::int64_t window_ns = 0;
    /// Requests answered within `window_ns`.
    std::uint64_t window_requests = 0;
    /// window_requests / window_ns in requests per second; nullopt if window_ns is 0.
    std::optional<double> requests_per_s;
    /// Processing delay samples within the window (0 if the server does not record them).
    std::uint64_t delay_samples = 0;
    /// Percentiles of the processing delay within the window (histogram bins' lower edges: 10 ns
    /// resolution below 100 µs, 1 µs up to 10 ms); nullopt without samples.
    std::optional<std::int64_t> processing_delay_p50_ns;
    std::optional<std::int64_t> processing_delay_p99_ns;
    std::optional<std::int64_t> processing_delay_max_ns;
};

/// Runs a `net::wall_clock_server` on a private io_context and thread, reading a private wall
/// clock: a 1 GHz `correlated_clock` over a `sys_clock` on CLOCK_MONOTONIC. The owner's wall clock
/// is built the same way; when the owner changes its correlation it calls `publish`, which hands
/// the new (immutable) correlation to the WC thread. Nothing else crosses between the threads.
///
/// Thread safety: construct, start, stop and destroy from the owner's thread; `publish`,
/// `statistics`, `processing_delay_percentile_ns`, `reset_processing_delay` and `recent_activity`
/// from any thread (they post to the WC thread; the queries wait for its answer).
class wall_clock_thread {
public:
    /// `max_freq_error_ppm` is the oscillator's bound, as the owner's sys_clock.
    wall_clock_thread(net::wall_clock_server_config config, double max_freq_error_ppm);
    ~wall_clock_thread();
    wall_clock_thread(const wall_clock_thread&) = delete;
    wall_clock_thread& operator=(const wall_clock_thread&) = delete;

    /// Binds on the calling thread (so a bind failure is reported here), then starts the thread.
    [[nodiscard]] error_code start();

    /// Stops the server and joins the thread. Idempotent.
    void stop();

    [[nodiscard]] net::udp_socket::endpoint local_endpoint() const { return local_; }

    /// The WC thread's time slice (`request_time_slice`), so that a request preempts threads
    /// busy with other work on every core.
    static constexpr std::chrono::microseconds wall_clock_time_slice{100};

    /// True once `start` has run if the kernel gave the WC thread its short time slice; false on
    /// kernels without custom slices (before Linux 6.12), where a program that keeps every core
    /// busy should lower the priority of that work instead (tv-device's session threads).
    [[nodiscard]] bool short_slices() const noexcept { return short_slices_; }

    /// Gives the WC thread's wall clock a new correlation and speed (the owner changed its own).
    void publish(const clock::correlation& c, double speed);

    [[nodiscard]] net::wall_clock_server_statistics statistics();

    /// The processing delay (ns) below which a fraction `p` of replies fell since the last
    /// `reset_processing_delay` (tv-device's `stats` command); nullopt without samples.
    /// `kind` as `net::wall_clock_server::processing_delay_percentile_ns` (t3 - t2 by default;
    /// `since_dequeue` leaves out the socket queue and the thread's wake-up).
    [[nodiscard]] std::optional<std::int64_t> processing_delay_percentile_ns(
        double p, net::processing_delay kind = net::processing_delay::since_receive);

    /// Starts a new period for `processing_delay_percentile_ns`. `recent_activity` is not
    /// affected: the samples taken out are kept for its window.
    void reset_processing_delay();

    /// The request rate and processing delay over about the last `window` (see
    /// `wall_clock_activity`), without disturbing `processing_delay_percentile_ns` and its reset.
    /// Each call may cut a slice (at most one per 250 ms; at most 64 slices are kept). It runs on
    /// the WC thread and takes a few microseconds there (one pass over the server's histogram),
    /// so a reply may be that much later once per call.
    [[nodiscard]] wall_clock_activity
    recent_activity(std::chrono::nanoseconds window = std::chrono::seconds(10));

    /// Delay histogram as (bin's lower edge ns, count), sorted by delay, no zero counts.
    using delay_bins = std::vector<std::pair<std::int64_t, std::uint64_t>>;

private:
    struct slice {
        std::int64_t start_ns = 0; // CLOCK_MONOTONIC
        std::int64_t end_ns = 0;
        std::uint64_t answered = 0;
        delay_bins delays;
    };

    /// The samples of the current slice (WC thread).
    [[nodiscard]] delay_bins current_slice_delays() const;

    boost::asio::io_context io_;
    clock::sys_clock sys_;
    clock::correlated_clock wall_;
    net::wall_clock_server server_;
    net::udp_socket::endpoint local_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread thread_;
    bool short_slices_ = false;

    // Windows of `recent_activity`; touched on the WC thread only (or before it starts).
    std::deque<slice> slices_;
    delay_bins baseline_; // the server's bins when the current slice started (or at its reset)
    delay_bins carried_;  // samples of the current slice that a reset took out of the server
    std::int64_t slice_start_ns_ = 0;
    std::uint64_t answered_at_slice_start_ = 0;
};

} // namespace dvbcss::tools
