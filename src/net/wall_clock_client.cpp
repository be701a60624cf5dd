#include "wall_clock_client_driver.hpp"

#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address_v4.hpp>

#include <array>
#include <string>

namespace dvbcss::net {
namespace {

std::string describe(const udp_socket::endpoint& ep) {
    return ep.address().to_string() + " port " + std::to_string(ep.port());
}

} // namespace

wall_clock_client::wall_clock_client(const boost::asio::any_io_executor& executor,
                                     clock::correlated_clock& wall_clock,
                                     std::unique_ptr<wc::estimator> est,
                                     wall_clock_client_config config)
    : config_(std::move(config))
    , driver_(std::make_unique<detail::wall_clock_client_driver>(
          executor, "wall_clock_client", wall_clock, std::move(est), config_.core, "wc.client",
          describe(config_.server),
          detail::wall_clock_transport{[this](const wc::message_bytes& request) { send(request); },
                                       [this] {
                                           service();
                                       }}))
    , socket_(executor, 8, 256)
    , alive_(std::make_shared<int>(0)) {}

wall_clock_client::~wall_clock_client() {
    alive_.reset();
    stop();
}

error_code wall_clock_client::start() {
    if (socket_.is_open()) {
        return {};
    }
    if (auto ec = socket_.open(config_.bind)) {
        // The caller reports the failure (start() returns it); only a trace here.
        log::write(log::level::debug, "wc.client",
                   "cannot bind " + describe(config_.bind) + ": " + ec.message());
        return ec;
    }
    if (!socket_.kernel_timestamps()) {
        log::write(log::level::warning, "wc.client",
                   "kernel receive timestamps unavailable: using user-space times");
    }
    if (auto tx = socket_.enable_transmit_timestamps()) {
        log::write(log::level::info, "wc.client",
                   "kernel transmit timestamps unavailable (" + tx.message() +
                       "): t1 is the time read before the send call");
    }
    awaiting_tx_.reset();
    log::write(log::level::info, "wc.client",
               "bound to " + describe(local_endpoint()) + ", server " + describe(config_.server));
    do_wait();
    service();
    return {};
}

void wall_clock_client::stop() noexcept {
    if (socket_.is_open()) {
        socket_.close();
        driver_->cancel_timer();
        log::write(log::level::info, "wc.client", "stopped");
    }
}

void wall_clock_client::do_wait() {
    socket_.async_wait_readable([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
        if (alive.expired()) {
            return;
        }
        on_readable(ec);
    });
}

void wall_clock_client::service() {
    if (!socket_.is_open()) {
        return;
    }
    driver_->service();
}

void wall_clock_client::send(const wc::message_bytes& request) {
    // t1 is read inside the core's next_request, immediately before this send; the kernel's
    // transmit timestamp, when there is one, replaces it afterwards.
    if (socket_.transmit_timestamps()) {
        socket_.discard_transmit_timestamps(); // any left from earlier requests
    }
    if (auto ec = socket_.send_to(request, config_.server)) {
        ++stats_.send_failures;
        awaiting_tx_.reset();
        driver_->write_log(log::level::warning,
                           "request to " + describe(config_.server) + " not sent: " + ec.message());
    } else if (socket_.transmit_timestamps()) {
        if (auto m = wc::decode(request)) {
            awaiting_tx_ = m->originate;
            collect_transmit_time();
        }
    }
}

void wall_clock_client::collect_transmit_time() {
    if (!awaiting_tx_) {
        return;
    }
    // One request is in flight at a time, so at most one timestamp is expected; the core rejects
    // one that cannot belong to the request (earlier than its stamp, or after its deadline).
    std::array<std::int64_t, 4> times{};
    const auto n = socket_.collect_transmit_timestamps(times);
    for (std::size_t i = n; i-- > 0;) {
        if (driver_->core().on_request_sent(*awaiting_tx_,
                                            driver_->local_time().at_monotonic(times[i]))) {
            ++stats_.kernel_transmit_timestamps;
            awaiting_tx_.reset();
            return;
        }
    }
}

bool wall_clock_client::from_server(const udp_socket::endpoint& sender) const {
    if (sender.port() != config_.server.port()) {
        return false;
    }
    const auto a = sender.address();
    const auto b = config_.server.address();
    if (a == b) {
        return true;
    }
    // An IPv6 socket may see an IPv4 server as ::ffff:a.b.c.d.
    if (a.is_v6() && a.to_v6().is_v4_mapped() && b.is_v4()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()) == b.to_v4();
    }
    return false;
}

void wall_clock_client::on_readable(const error_code& ec) {
    if (ec == boost::asio::error::operation_aborted || !socket_.is_open()) {
        return;
    }
    if (ec) {
        ++stats_.receive_errors;
        driver_->write_log(log::level::warning, "wait failed: " + ec.message());
    }
    if (socket_.transmit_timestamps()) {
        collect_transmit_time(); // a transmit timestamp the kernel queued after the send returned
        socket_.discard_transmit_timestamps();
    }
    for (int i = 0; i < 8; ++i) {
        auto batch = socket_.receive_batch();
        if (!batch) {
            // E.g. ICMP port unreachable while the server is down: keep going.
            ++stats_.receive_errors;
            driver_->write_log(log::level::warning, "receive failed: " + batch.error().message());
            continue;
        }
        if (batch->empty()) {
            break;
        }
        for (const auto& d : *batch) {
            handle(d);
        }
    }
    if (socket_.is_open()) {
        do_wait();
        driver_->service_now();
    }
}

void wall_clock_client::handle(const udp_socket::received& d) {
    ++stats_.datagrams;
    if (d.time.source == timestamp_source::kernel) {
        ++stats_.kernel_timestamps;
    } else {
        ++stats_.user_timestamps;
    }
    driver_->handle_response(d.bytes, driver_->local_time().at_monotonic(d.time.monotonic_ns),
                             from_server(d.sender), [&d] {
                                 return std::to_string(d.bytes.size()) + "-byte datagram from " +
                                        describe(d.sender);
                             });
}

void wall_clock_client::on_event(event_handler handler) {
    driver_->on_event(std::move(handler));
}

double wall_clock_client::dispersion_ns() const {
    return driver_->dispersion_ns();
}

std::int64_t wall_clock_client::offset_ns() const {
    return driver_->offset_ns();
}

std::int64_t wall_clock_client::wall_clock_ns() const {
    return driver_->wall_clock_ns();
}

wall_clock_client_statistics wall_clock_client::statistics() const {
    auto s = stats_;
    s.core = driver_->core().statistics();
    return s;
}

bool wall_clock_client::synchronised() const noexcept {
    return driver_->core().synchronised();
}

const wc::estimator& wall_clock_client::current_estimator() const noexcept {
    return driver_->core().current_estimator();
}

wc::estimator& wall_clock_client::current_estimator() noexcept {
    return driver_->core().current_estimator();
}

} // namespace dvbcss::net
