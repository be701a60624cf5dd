#pragma once

/// A CSS-WC server on a thread of its own, so that no WebSocket or timeline work on the program's
/// main executor ever delays a wall clock reply (docs/architecture.md, "one owner").

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/wall_clock_server.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <optional>
#include <thread>

namespace dvbcss::tools {

/// Runs a `net::wall_clock_server` on a private io_context and thread, reading a private wall
/// clock: a 1 GHz `correlated_clock` over a `sys_clock` on CLOCK_MONOTONIC. The owner's wall clock
/// is built the same way; when the owner changes its correlation it calls `publish`, which hands
/// the new (immutable) correlation to the WC thread. Nothing else crosses between the threads.
///
/// Thread safety: construct, start, stop and destroy from the owner's thread; `publish`,
/// `statistics` and `processing_delay_percentile_ns` from any thread (they post to the WC thread;
/// the two queries wait for its answer).
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

    /// Gives the WC thread's wall clock a new correlation and speed (the owner changed its own).
    void publish(const clock::correlation& c, double speed);

    [[nodiscard]] net::wall_clock_server_statistics statistics();
    [[nodiscard]] std::optional<std::int64_t> processing_delay_percentile_ns(double p);
    void reset_processing_delay();

private:
    boost::asio::io_context io_;
    clock::sys_clock sys_;
    clock::correlated_clock wall_;
    net::wall_clock_server server_;
    net::udp_socket::endpoint local_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread thread_;
};

} // namespace dvbcss::tools
