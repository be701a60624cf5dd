#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address_v4.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dvbcss::net {
namespace {

const clock::clock_base& parent_of(const clock::correlated_clock& wall) {
    if (wall.parent() == nullptr) {
        throw std::invalid_argument("wall_clock_client: the wall clock must have a parent");
    }
    return *wall.parent();
}

std::string describe(const udp_socket::endpoint& ep) {
    return ep.address().to_string() + " port " + std::to_string(ep.port());
}

/// Why the core ignored a datagram: the counter it bumped (the core counts every ignored
/// datagram under exactly one reason), so the transport never decodes the datagram itself.
std::string ignored_reason(const wc::client_statistics& before,
                           const wc::client_statistics& after) {
    if (after.wrong_source != before.wrong_source) {
        return "not from the server's address and port";
    }
    if (after.malformed != before.malformed) {
        return "not a CSS-WC message (wrong length, version or type)";
    }
    if (after.not_a_response != before.not_a_response) {
        return "a request, not a response";
    }
    if (after.wrong_originate != before.wrong_originate) {
        return "its originate time matches no recent request (stale or forged)";
    }
    if (after.late != before.late) {
        return "a response to a request that had already timed out";
    }
    if (after.duplicates != before.duplicates) {
        return "a second copy of an answered response";
    }
    if (after.implausible != before.implausible) {
        return "implausible timestamps (no honest exchange gives them, e.g. a negative round "
               "trip)";
    }
    return "ignored by the core";
}

std::int64_t to_ns(tick_t v) {
    return std::isfinite(v) ? static_cast<std::int64_t>(std::floor(v)) : 0;
}

} // namespace

wall_clock_client::wall_clock_client(const boost::asio::any_io_executor& executor,
                                     clock::correlated_clock& wall_clock,
                                     std::unique_ptr<wc::estimator> est,
                                     wall_clock_client_config config)
    : wall_clock_(wall_clock)
    , config_(std::move(config))
    , local_time_(parent_of(wall_clock))
    , core_(wall_clock, std::move(est), config_.core)
    , socket_(executor, 8, 256)
    , timer_(executor)
    , log_("wc.client")
    , timeout_log_("wc.client", 3, 10'000'000'000)
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
        timer_.cancel();
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

void wall_clock_client::arm_timer() {
    const std::int64_t delay = core_.next_wakeup_ns() - local_time_.now();
    timer_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(0, delay)));
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
        if (alive.expired() || ec == boost::asio::error::operation_aborted) {
            return;
        }
        service();
    });
}

void wall_clock_client::service() {
    if (!socket_.is_open()) {
        return;
    }
    // t1 is read inside next_request, immediately before the send; the kernel's transmit
    // timestamp, when there is one, replaces it afterwards.
    if (auto request = core_.next_request(local_time_.now())) {
        if (socket_.transmit_timestamps()) {
            socket_.discard_transmit_timestamps(); // any left from earlier requests
        }
        if (auto ec = socket_.send_to(*request, config_.server)) {
            ++stats_.send_failures;
            awaiting_tx_.reset();
            log_.write(log::level::warning,
                       "request to " + describe(config_.server) + " not sent: " + ec.message(),
                       monotonic_now_ns());
        } else if (socket_.transmit_timestamps()) {
            if (auto m = wc::decode(*request)) {
                awaiting_tx_ = m->originate;
                collect_transmit_time();
            }
        }
    }
    report_core_events();
    arm_timer();
}

void wall_clock_client::report_core_events() {
    while (const auto e = core_.next_event()) {
        const auto disp = e->dispersion_ns;
        const std::string disp_text =
            std::isfinite(disp) ? std::to_string(disp / 1e6) + " ms" : std::string("unknown");
        switch (e->kind) {
        case wc::client_event_kind::timeout:
            timeout_log_.write(log::level::info,
                               "no response from " + describe(config_.server) + " (" +
                                   std::to_string(e->misses) + " in a row); dispersion " +
                                   disp_text,
                               monotonic_now_ns());
            break;
        case wc::client_event_kind::sync_lost:
            log_.write(log::level::warning,
                       "synchronisation lost (" + std::to_string(e->misses) +
                           " requests in a row without a usable response); dispersion " + disp_text,
                       monotonic_now_ns());
            break;
        case wc::client_event_kind::sync_acquired:
        case wc::client_event_kind::sync_regained:
            log_.write(log::level::info,
                       std::string(e->kind == wc::client_event_kind::sync_acquired
                                       ? "synchronised"
                                       : "synchronisation regained") +
                           "; dispersion " + disp_text,
                       monotonic_now_ns());
            break;
        }
        if (handler_) {
            wall_clock_client_event event;
            event.status = *e;
            event.local_ns = e->local_ns;
            event.offset_ns = offset_ns();
            event.dispersion_ns = e->dispersion_ns;
            handler_(event);
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
        if (core_.on_request_sent(*awaiting_tx_, local_time_.at_monotonic(times[i]))) {
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
        log_.write(log::level::warning, "wait failed: " + ec.message(), monotonic_now_ns());
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
            log_.write(log::level::warning, "receive failed: " + batch.error().message(),
                       monotonic_now_ns());
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
        timer_.cancel(); // the core may want to send at once (or later): re-arm
        service();
    }
}

void wall_clock_client::handle(const udp_socket::received& d) {
    ++stats_.datagrams;
    if (d.time.source == timestamp_source::kernel) {
        ++stats_.kernel_timestamps;
    } else {
        ++stats_.user_timestamps;
    }
    const std::int64_t t4 = local_time_.at_monotonic(d.time.monotonic_ns);
    const bool matches = from_server(d.sender);
    const auto before = core_.statistics();
    const auto outcome = core_.on_datagram(d.bytes, t4, matches);

    wall_clock_client_event event;
    event.outcome = outcome;
    event.local_ns = t4;
    if (outcome == wc::client_outcome::ignored) {
        log_.write(log::level::warning,
                   "ignored " + std::to_string(d.bytes.size()) + "-byte datagram from " +
                       describe(d.sender) + ": " + ignored_reason(before, core_.statistics()),
                   monotonic_now_ns());
    } else if (outcome == wc::client_outcome::candidate_not_used ||
               outcome == wc::client_outcome::clock_adjusted) {
        // The measurement the core made: t1 possibly from the kernel, t4 of a type 2 and t3 of
        // its follow-up.
        event.measurement = core_.last_candidate();
    }
    event.offset_ns = offset_ns();
    event.dispersion_ns = dispersion_ns();
    if (handler_) {
        handler_(event);
    }
    report_core_events();
}

double wall_clock_client::dispersion_ns() const {
    return core_.dispersion_ns(local_time_.now());
}

std::int64_t wall_clock_client::offset_ns() const {
    const auto& parent = *wall_clock_.parent();
    const tick_t p = parent.ticks();
    const tick_t w = wall_clock_.from_parent_ticks(p);
    return to_ns(wall_clock_.ticks_to_nanos(w) - parent.ticks_to_nanos(p));
}

std::int64_t wall_clock_client::wall_clock_ns() const {
    return to_ns(wall_clock_.nanos());
}

wall_clock_client_statistics wall_clock_client::statistics() const {
    auto s = stats_;
    s.core = core_.statistics();
    return s;
}

} // namespace dvbcss::net
