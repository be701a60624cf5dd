#include "common/wall_clock_thread.hpp"

#include "common/thread_priority.hpp"

#include <dvbcss/clock/time_source.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cmath>
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
    slice_start_ns_ = clock::monotonic_time_source::instance().now_ns();
    work_.emplace(io_.get_executor());
    // The promise belongs to the thread: it may still be inside set_value when get returns.
    std::promise<bool> slice_applied;
    auto applied = slice_applied.get_future();
    thread_ = std::thread([this, slice = std::move(slice_applied)]() mutable {
        slice.set_value(request_time_slice(wall_clock_time_slice));
        io_.run();
    });
    short_slices_ = applied.get();
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

using delay_bins = wall_clock_thread::delay_bins;

/// a + b, bin by bin.
delay_bins added(const delay_bins& a, const delay_bins& b) {
    delay_bins out;
    out.reserve(a.size() + b.size());
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() || j < b.size()) {
        if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
            out.push_back(a[i++]);
        } else if (i == a.size() || b[j].first < a[i].first) {
            out.push_back(b[j++]);
        } else {
            out.emplace_back(a[i].first, a[i].second + b[j].second);
            ++i;
            ++j;
        }
    }
    return out;
}

/// now - then, bin by bin (`then` is an earlier reading of the same histogram, so no count
/// falls; one that would is taken as 0).
delay_bins subtracted(const delay_bins& now, const delay_bins& then) {
    delay_bins out;
    std::size_t j = 0;
    for (const auto& [edge, count] : now) {
        while (j < then.size() && then[j].first < edge) {
            ++j;
        }
        const std::uint64_t before = j < then.size() && then[j].first == edge ? then[j].second : 0;
        if (count > before) {
            out.emplace_back(edge, count - before);
        }
    }
    return out;
}

/// The lower edge of the bin holding the sample of rank ceil(p * n) (at least the first), as
/// wall_clock_server::processing_delay_percentile_ns.
std::optional<std::int64_t> percentile_of(const delay_bins& bins, std::uint64_t n, double p) {
    if (n == 0 || bins.empty()) {
        return std::nullopt;
    }
    const auto target = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(std::clamp(p, 0.0, 1.0) * static_cast<double>(n))));
    std::uint64_t seen = 0;
    for (const auto& [edge, count] : bins) {
        seen += count;
        if (seen >= target) {
            return edge;
        }
    }
    return bins.back().first;
}

constexpr std::int64_t min_slice_ns = 250'000'000;
constexpr std::size_t max_slices = 64;

} // namespace

net::wall_clock_server_statistics wall_clock_thread::statistics() {
    return on_thread(io_, thread_.joinable(), [this] { return server_.statistics(); });
}

std::optional<std::int64_t>
wall_clock_thread::processing_delay_percentile_ns(double p, net::processing_delay kind) {
    return on_thread(io_, thread_.joinable(),
                     [this, p, kind] { return server_.processing_delay_percentile_ns(p, kind); });
}

void wall_clock_thread::reset_processing_delay() {
    on_thread(io_, thread_.joinable(), [this] {
        // Keep the current slice's samples for recent_activity before the server forgets them.
        carried_ = current_slice_delays();
        baseline_.clear();
        server_.reset_processing_delay();
        return 0;
    });
}

wall_clock_thread::delay_bins wall_clock_thread::current_slice_delays() const {
    return added(carried_, subtracted(server_.processing_delay_bins(), baseline_));
}

wall_clock_activity wall_clock_thread::recent_activity(std::chrono::nanoseconds window) {
    return on_thread(io_, thread_.joinable(), [this, window] {
        const std::int64_t now = clock::monotonic_time_source::instance().now_ns();
        const std::uint64_t answered = server_.statistics().core.answered;
        auto partial = current_slice_delays();
        if (now - slice_start_ns_ >= min_slice_ns) {
            slices_.push_back(
                {slice_start_ns_, now, answered - answered_at_slice_start_, std::move(partial)});
            partial.clear();
            baseline_ = server_.processing_delay_bins();
            carried_.clear();
            slice_start_ns_ = now;
            answered_at_slice_start_ = answered;
        }
        while (!slices_.empty() &&
               (slices_.size() > max_slices || slices_.front().end_ns <= now - window.count())) {
            slices_.pop_front();
        }

        wall_clock_activity a;
        a.requests_answered = answered;
        auto delays = std::move(partial);
        a.window_requests = answered - answered_at_slice_start_;
        std::int64_t from = slice_start_ns_;
        for (const auto& s : slices_) {
            delays = added(delays, s.delays);
            a.window_requests += s.answered;
            from = std::min(from, s.start_ns);
        }
        a.window_ns = now - from;
        if (a.window_ns > 0) {
            a.requests_per_s =
                static_cast<double>(a.window_requests) * 1e9 / static_cast<double>(a.window_ns);
        }
        for (const auto& bin : delays) {
            a.delay_samples += bin.second;
        }
        a.processing_delay_p50_ns = percentile_of(delays, a.delay_samples, 0.5);
        a.processing_delay_p99_ns = percentile_of(delays, a.delay_samples, 0.99);
        a.processing_delay_max_ns = percentile_of(delays, a.delay_samples, 1.0);
        return a;
    });
}

} // namespace dvbcss::tools
