#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_server.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <string>

#include <sys/socket.h>

namespace dvbcss::net {
namespace {

// Processing delay histogram: 10 ns bins below 100 µs, 1 µs bins from 100 µs to 10 ms, and a last
// bin for everything beyond.
constexpr std::int64_t fine_bin_ns = 10;
constexpr std::int64_t fine_limit_ns = 100'000;
constexpr std::int64_t coarse_bin_ns = 1'000;
constexpr std::int64_t coarse_limit_ns = 10'000'000;
constexpr std::size_t fine_bins = fine_limit_ns / fine_bin_ns;
constexpr std::size_t delay_bins =
    fine_bins + (coarse_limit_ns - fine_limit_ns) / coarse_bin_ns + 1;

std::size_t bin_of(std::int64_t d) {
    d = std::max<std::int64_t>(0, d);
    if (d < fine_limit_ns) {
        return static_cast<std::size_t>(d / fine_bin_ns);
    }
    if (d < coarse_limit_ns) {
        return fine_bins + static_cast<std::size_t>((d - fine_limit_ns) / coarse_bin_ns);
    }
    return delay_bins - 1;
}

/// Lower edge of bin `i`, ns.
std::int64_t value_of(std::size_t i) {
    if (i < fine_bins) {
        return static_cast<std::int64_t>(i) * fine_bin_ns;
    }
    return fine_limit_ns + static_cast<std::int64_t>(i - fine_bins) * coarse_bin_ns;
}

/// Batches drained per wake-up before yielding to other handlers.
constexpr int max_batches_per_wakeup = 8;

std::string describe(const udp_socket::endpoint& ep) {
    std::string s = ep.address().to_string();
    s.append(" port ").append(std::to_string(ep.port()));
    return s;
}

} // namespace

wall_clock_server::wall_clock_server(const boost::asio::any_io_executor& executor,
                                     clock::clock_base& wall_clock, wall_clock_server_config config)
    : config_(std::move(config))
    , wall_time_(wall_clock)
    , core_(wall_clock, config_.core)
    , socket_(executor, config_.batch_size, 256)
    , log_("wc.server")
    , alive_(std::make_shared<int>(0)) {
    pending_.reserve(config_.batch_size);
    followups_.reserve(config_.batch_size);
    outgoing_.reserve(config_.batch_size);
    if (config_.record_processing_delay) {
        delay_histogram_.assign(delay_bins, 0);
        dequeue_histogram_.assign(delay_bins, 0);
    }
}

wall_clock_server::~wall_clock_server() {
    alive_.reset();
    stop();
}

error_code wall_clock_server::start() {
    if (socket_.is_open()) {
        return {};
    }
    if (auto ec = socket_.open(config_.bind)) {
        // The caller reports the failure (start() returns it); only a trace here.
        log::write(log::level::debug, "wc.server",
                   "cannot bind " + describe(config_.bind) + ": " + ec.message());
        return ec;
    }
    if (!socket_.kernel_timestamps()) {
        log::write(log::level::warning, "wc.server",
                   "kernel receive timestamps unavailable: using user-space times");
    }
    if (config_.core.followup) {
        if (auto tx = socket_.enable_transmit_timestamps()) {
            log::write(log::level::warning, "wc.server",
                       "kernel transmit timestamps unavailable (" + tx.message() +
                           "): follow-ups carry the time the send call returned");
        }
    }
    if (config_.busy_poll && config_.busy_poll_socket_us > 0) {
        const int us = static_cast<int>(std::min<unsigned>(config_.busy_poll_socket_us, 1'000'000));
        if (::setsockopt(socket_.asio_socket().native_handle(), SOL_SOCKET, SO_BUSY_POLL, &us,
                         sizeof us) != 0) {
            log::write(log::level::warning, "wc.server",
                       "SO_BUSY_POLL refused (" +
                           error_code(errno, boost::system::system_category()).message() +
                           "): spinning in user space only");
        }
    }
    ++generation_;
    log::write(log::level::info, "wc.server",
               "listening on " + describe(local_endpoint()) +
                   (config_.busy_poll ? " (busy-poll)" : ""));
    do_wait();
    return {};
}

void wall_clock_server::stop() noexcept {
    if (socket_.is_open()) {
        socket_.close();
        log::write(log::level::info, "wc.server", "stopped");
    }
}

void wall_clock_server::do_wait() {
    if (config_.busy_poll) {
        post_poll();
        return;
    }
    socket_.async_wait_readable([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
        if (alive.expired()) {
            return;
        }
        on_readable(ec);
    });
}

void wall_clock_server::on_readable(const error_code& ec) {
    if (ec == boost::asio::error::operation_aborted || !socket_.is_open()) {
        return;
    }
    if (ec) {
        ++stats_.receive_errors;
        log_.write(log::level::warning, "wait failed: " + ec.message(), monotonic_now_ns());
    }
    drain(max_batches_per_wakeup);
    if (socket_.is_open()) {
        do_wait();
    }
}

std::size_t wall_clock_server::drain(int max_batches) {
    std::size_t handled = 0;
    for (int i = 0; i < max_batches; ++i) {
        auto batch = socket_.receive_batch();
        if (!batch) {
            ++stats_.receive_errors;
            log_.write(log::level::warning, "receive failed: " + batch.error().message(),
                       monotonic_now_ns());
            continue; // a pending error is reported once; the next call reads on
        }
        if (batch->empty()) {
            break;
        }
        handled += batch->size();
        handle_batch(*batch);
    }
    if (socket_.transmit_timestamps() && (handled > 0 || !config_.busy_poll)) {
        socket_.discard_transmit_timestamps(); // those of the last follow-ups
    }
    return handled;
}

void wall_clock_server::post_poll() {
    boost::asio::post(socket_.asio_socket().get_executor(),
                      [this, alive = std::weak_ptr<int>(alive_), generation = generation_] {
                          if (alive.expired()) {
                              return;
                          }
                          poll_turn(generation);
                      });
}

void wall_clock_server::poll_turn(std::uint64_t generation) {
    if (generation != generation_ || !socket_.is_open()) {
        return; // stopped (and maybe started again, with its own turns)
    }
    // Spin on non-blocking receive calls for one slice, then let other handlers run.
    const std::int64_t until = monotonic_now_ns() + config_.busy_poll_slice.count();
    do {
        drain(max_batches_per_wakeup);
    } while (socket_.is_open() && monotonic_now_ns() < until);
    if (socket_.is_open()) {
        post_poll();
    }
}

void wall_clock_server::handle_batch(std::span<const udp_socket::received> batch) {
    pending_.clear();
    for (const auto& d : batch) {
        ++stats_.datagrams;
        if (d.time.source == timestamp_source::kernel) {
            ++stats_.kernel_timestamps;
        } else {
            ++stats_.user_timestamps;
        }
        if (d.truncated) {
            ++stats_.truncated;
        }
        const std::int64_t t2 = wall_time_.at_monotonic(d.time.monotonic_ns);
        errc why = errc::ok;
        if (auto r = core_.on_datagram(d.bytes, t2, why)) {
            const std::int64_t dequeued =
                delay_histogram_.empty() ? t2 : wall_time_.at_monotonic(d.dequeued_ns);
            pending_.push_back({*r, d.sender, t2, dequeued});
        } else {
            log_ignored(d, why);
        }
    }
    if (!pending_.empty()) {
        send_pending();
    }
}

void wall_clock_server::send_pending() {
    // Transmit time: read once, immediately before the send call of this batch.
    outgoing_.clear();
    if (socket_.transmit_timestamps()) {
        socket_.discard_transmit_timestamps(); // those of earlier follow-ups
    }
    const std::int64_t t3 = wall_time_.now();
    for (auto& p : pending_) {
        p.reply.stamp_transmit(t3);
        outgoing_.push_back({p.reply.bytes, p.destination});
    }
    const auto report = socket_.send_batch(outgoing_);
    stats_.replies_sent += report.sent;
    stats_.send_failures += report.failed;
    if (report.failed > 0) {
        log_.write(log::level::warning,
                   std::to_string(report.failed) +
                       " replies not sent: " + report.last_error.message(),
                   monotonic_now_ns());
    }
    if (!delay_histogram_.empty()) {
        for (const auto& p : pending_) {
            ++delay_histogram_[bin_of(t3 - p.receive_ns)];
            ++dequeue_histogram_[bin_of(t3 - p.dequeued_ns)];
            ++delay_samples_;
        }
    }
    if (log::enabled(log::level::debug)) {
        for (const auto& p : pending_) {
            log::write(log::level::debug, "wc.server",
                       "responded to request from " + describe(p.destination));
        }
    }
    if (!config_.core.followup) {
        return;
    }
    // Follow-ups carry the time each reply actually left: the kernel's transmit timestamp when
    // there is one for every reply of the batch, else the time the send call returned.
    const std::int64_t sent_at = wall_time_.now();
    std::size_t kernel_count = 0;
    if (socket_.transmit_timestamps() && report.failed == 0) {
        tx_times_.resize(pending_.size());
        kernel_count = socket_.collect_transmit_timestamps(tx_times_);
    }
    const bool use_kernel = kernel_count == pending_.size();
    if (use_kernel) {
        stats_.kernel_transmit_timestamps += kernel_count;
    }
    followups_.clear();
    outgoing_.clear();
    for (std::size_t i = 0; i < pending_.size(); ++i) {
        const auto& p = pending_[i];
        if (p.reply.followup) {
            const std::int64_t left =
                use_kernel ? std::clamp(wall_time_.at_monotonic(tx_times_[i]), t3, sent_at)
                           : sent_at;
            followups_.push_back(p.reply.make_followup(left));
        }
    }
    std::size_t f = 0;
    for (const auto& p : pending_) {
        if (p.reply.followup) {
            outgoing_.push_back({followups_[f++], p.destination});
        }
    }
    const auto fr = socket_.send_batch(outgoing_);
    stats_.followups_sent += fr.sent;
    stats_.send_failures += fr.failed;
    if (fr.failed > 0) {
        log_.write(log::level::warning,
                   std::to_string(fr.failed) + " follow-ups not sent: " + fr.last_error.message(),
                   monotonic_now_ns());
    }
}

void wall_clock_server::log_ignored(const udp_socket::received& d, errc why) {
    if (!log::enabled(log::level::warning)) {
        return;
    }
    // The core's own reason (the one it counted); the transport adds only what it alone knows.
    const std::string size =
        d.truncated ? "a datagram longer than " + std::to_string(d.bytes.size()) + " bytes"
                    : "a " + std::to_string(d.bytes.size()) + "-byte datagram";
    log_.write(log::level::warning,
               "ignored " + size + " from " + describe(d.sender) + ": " +
                   make_error_code(why).message(),
               monotonic_now_ns());
}

wall_clock_server_statistics wall_clock_server::statistics() const {
    auto s = stats_;
    s.core = core_.statistics();
    return s;
}

std::optional<std::int64_t>
wall_clock_server::processing_delay_percentile_ns(double p, processing_delay kind) const {
    const auto& histogram =
        kind == processing_delay::since_receive ? delay_histogram_ : dequeue_histogram_;
    if (delay_samples_ == 0 || histogram.empty()) {
        return std::nullopt;
    }
    const double clamped = std::clamp(p, 0.0, 1.0);
    const auto target =
        static_cast<std::uint64_t>(std::ceil(clamped * static_cast<double>(delay_samples_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < histogram.size(); ++i) {
        seen += histogram[i];
        if (seen >= std::max<std::uint64_t>(1, target)) {
            return value_of(i);
        }
    }
    return value_of(delay_bins - 1);
}

std::vector<std::pair<std::int64_t, std::uint64_t>>
wall_clock_server::processing_delay_bins(processing_delay kind) const {
    const auto& histogram =
        kind == processing_delay::since_receive ? delay_histogram_ : dequeue_histogram_;
    std::vector<std::pair<std::int64_t, std::uint64_t>> bins;
    if (delay_samples_ == 0) {
        return bins;
    }
    for (std::size_t i = 0; i < histogram.size(); ++i) {
        if (histogram[i] != 0) {
            bins.emplace_back(value_of(i), histogram[i]);
        }
    }
    return bins;
}

void wall_clock_server::reset_processing_delay() {
    std::fill(delay_histogram_.begin(), delay_histogram_.end(), 0);
    std::fill(dequeue_histogram_.begin(), dequeue_histogram_.end(), 0);
    delay_samples_ = 0;
}

} // namespace dvbcss::net
