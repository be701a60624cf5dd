#include "common/wall_clock_thread.hpp"

#include <dvbcss/clock/time_source.hpp>

#include <boost/asio/post.hpp>

#include <future>
#include <utility>

namespace dvbcss::tools {

wall_clock_thread::wall_clock_thread(net::wall_clock_server_config config,
                                     double max_freq_error_ppm)
    : sys_(clock::monotonic_time_source::instance(), 1e9, max_freq_error_ppm)
    , wall_(sys_, 1e9)
    , server_(io_.get_executor(), wall_, std::move(config)) {}

wall_clock_thread::~wall_clock_thread() {
    stop();
}

error_code wall_clock_thread::start() {
    if (auto ec = server_.start()) {
        return ec;
    }
    local_ = server_.local_endpoint();
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
    return {};
}

void wall_clock_thread::stop() {
    if (!thread_.joinable()) {
        server_.stop();
        return;
    }
    boost::asio::post(io_, [this] {
        server_.stop();
        work_.reset();
    });
    thread_.join();
}

void wall_clock_thread::publish(const clock::correlation& c, double speed) {
    boost::asio::post(io_, [this, c, speed] { wall_.set_correlation_and_speed(c, speed); });
}

namespace {

/// Runs `f` on `io`'s thread (or here if it is not running) and returns its result.
template <class F>
auto on_thread(boost::asio::io_context& io, bool running, F f) -> decltype(f()) {
    if (!running || io.stopped()) {
        return f();
    }
    std::promise<decltype(f())> done;
    auto result = done.get_future();
    boost::asio::post(io, [&] { done.set_value(f()); });
    return result.get();
}

} // namespace

net::wall_clock_server_statistics wall_clock_thread::statistics() {
    return on_thread(io_, thread_.joinable(), [this] { return server_.statistics(); });
}

std::optional<std::int64_t> wall_clock_thread::processing_delay_percentile_ns(double p) {
    return on_thread(io_, thread_.joinable(),
                     [this, p] { return server_.processing_delay_percentile_ns(p); });
}

void wall_clock_thread::reset_processing_delay() {
    on_thread(io_, thread_.joinable(), [this] {
        server_.reset_processing_delay();
        return 0;
    });
}

} // namespace dvbcss::tools
