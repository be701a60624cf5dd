#pragma once

/// The request to stop a program: SIGINT or SIGTERM, read from a signalfd on the program's
/// io_context instead of caught by a signal handler.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

#include <functional>

namespace dvbcss::tools {

/// Blocks SIGINT and SIGTERM in the calling thread (and so in the threads it starts later). A
/// program that reads them with `stop_signals` calls this first in `main`, so that a signal sent
/// while it parses its command line and sets up waits for its `stop_signals` instead of ending
/// the process (only the dynamic loading before `main` remains uncovered). Idempotent.
/// Throws `boost::system::system_error` if the mask cannot be set.
void block_stop_signals();

/// Waits for SIGINT or SIGTERM on an io_context, as `boost::asio::signal_set` does, but with no
/// signal handler: the constructor blocks both signals in the calling thread (and so in every
/// thread it starts afterwards) and reads them from a `signalfd(2)`. A signal that arrives while
/// the program is busy, or before the first `async_wait`, stays pending until it is read; one
/// that arrives after this object is gone stays pending until the process ends (it never kills
/// the process half way through its shutdown). Why not a handler: a handler that runs just before
/// the thread blocks in `epoll_wait` can be deferred past it (ThreadSanitizer's builds do), which
/// leaves an idle program deaf to the signal; a descriptor cannot miss it.
///
/// Construct it before the program starts any thread (better: call `block_stop_signals` first
/// in `main`): a thread started earlier keeps the signals unblocked and would take the default
/// action (termination) for them.
///
/// Errors: the constructor throws `boost::system::system_error` if the signalfd cannot be made.
/// Thread safety: use from the io_context's thread only.
class stop_signals {
public:
    /// `handler(ec, signal_number)`: `ec` is `operation_aborted` after `cancel()`.
    using handler_type = std::function<void(const boost::system::error_code&, int)>;

    explicit stop_signals(boost::asio::io_context& io);
    stop_signals(const stop_signals&) = delete;
    stop_signals& operator=(const stop_signals&) = delete;
    ~stop_signals();

    /// Calls `handler` once, on the io_context, for the next SIGINT or SIGTERM (or a pending
    /// one). One wait at a time. A wait still pending when this object is destroyed completes
    /// with `operation_aborted` if the io_context runs again.
    void async_wait(handler_type handler);

    /// Completes a pending wait with `operation_aborted`; later signals stay pending.
    void cancel();

private:
    boost::asio::posix::stream_descriptor descriptor_;
};

} // namespace dvbcss::tools
