#include "wall_clock_client_driver.hpp"

#include <dvbcss/net/kernel_timestamps.hpp>
#include <dvbcss/net/log.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace dvbcss::net::detail {
namespace {

const clock::clock_base& parent_of(const clock::correlated_clock& wall, const char* owner) {
    if (wall.parent() == nullptr) {
        throw std::invalid_argument(std::string(owner) + ": the wall clock must have a parent");
    }
    return *wall.parent();
}

/// Why the core ignored a message: the counter it bumped (the core counts every ignored message
/// under exactly one reason), so the transport never decodes the message itself.
const char* ignored_reason(const wc::client_statistics& before,
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

std::int64_t floor_ns(tick_t v) {
    return std::isfinite(v) ? static_cast<std::int64_t>(std::floor(v)) : 0;
}

std::string dispersion_text(double ns) {
    return std::isfinite(ns) ? std::to_string(ns / 1e6) + " ms" : std::string("unknown");
}

} // namespace

wall_clock_client_driver::wall_clock_client_driver(const boost::asio::any_io_executor& executor,
                                                   const char* owner,
                                                   clock::correlated_clock& wall_clock,
                                                   std::unique_ptr<wc::estimator> est,
                                                   const wc::client_config& core,
                                                   std::string logger, std::string peer,
                                                   wall_clock_transport transport)
    : wall_clock_(wall_clock)
    , local_time_(parent_of(wall_clock, owner))
    , core_(wall_clock, std::move(est), core)
    , timer_(executor)
    , logger_(std::move(logger))
    , peer_(std::move(peer))
    , transport_(std::move(transport))
    , log_(logger_)
    , timeout_log_(logger_, 3, 10'000'000'000)
    , alive_(std::make_shared<int>(0)) {}

wall_clock_client_driver::~wall_clock_client_driver() {
    alive_.reset();
    cancel_timer();
}

void wall_clock_client_driver::cancel_timer() noexcept {
    timer_.cancel();
}

void wall_clock_client_driver::arm_timer() {
    const std::int64_t delay = core_.next_wakeup_ns() - local_time_.now();
    timer_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(0, delay)));
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
        if (alive.expired() || ec == boost::asio::error::operation_aborted) {
            return;
        }
        transport_.wakeup();
    });
}

void wall_clock_client_driver::service() {
    if (auto request = core_.next_request(local_time_.now())) {
        transport_.send(*request);
    }
    report_core_events();
    arm_timer();
}

void wall_clock_client_driver::service_now() {
    cancel_timer();
    transport_.wakeup();
}

void wall_clock_client_driver::write_log(log::level l, std::string_view message) {
    log_.write(l, message, monotonic_now_ns());
}

void wall_clock_client_driver::emit(const wall_clock_client_event& event) const {
    if (handler_) {
        handler_(event);
    }
}

void wall_clock_client_driver::handle_response(
    std::span<const std::byte> bytes, std::int64_t t4, bool from_server,
    const std::function<std::string()>& describe_message) {
    const auto before = core_.statistics();
    const auto outcome = core_.on_datagram(bytes, t4, from_server);

    wall_clock_client_event event;
    event.outcome = outcome;
    event.local_ns = t4;
    if (outcome == wc::client_outcome::ignored) {
        write_log(log::level::warning, "ignored " + describe_message() + ": " +
                                           ignored_reason(before, core_.statistics()));
    } else if (outcome == wc::client_outcome::candidate_not_used ||
               outcome == wc::client_outcome::clock_adjusted) {
        // The measurement the core made: t1 possibly from the kernel, t4 of a type 2 and t3 of
        // its follow-up.
        event.measurement = core_.last_candidate();
    }
    event.offset_ns = offset_ns();
    event.dispersion_ns = dispersion_ns();
    emit(event);
    report_core_events();
}

void wall_clock_client_driver::report_unusable(std::int64_t t4) {
    wall_clock_client_event event;
    event.local_ns = t4;
    event.offset_ns = offset_ns();
    event.dispersion_ns = dispersion_ns();
    emit(event);
}

void wall_clock_client_driver::report_core_events() {
    while (const auto e = core_.next_event()) {
        const std::string disp = dispersion_text(e->dispersion_ns);
        switch (e->kind) {
        case wc::client_event_kind::timeout:
            timeout_log_.write(log::level::info,
                               "no response from " + peer_ + " (" + std::to_string(e->misses) +
                                   " in a row); dispersion " + disp,
                               monotonic_now_ns());
            break;
        case wc::client_event_kind::sync_lost:
            write_log(log::level::warning,
                      "synchronisation lost (" + std::to_string(e->misses) +
                          " requests in a row without a usable response); dispersion " + disp);
            break;
        case wc::client_event_kind::sync_acquired:
        case wc::client_event_kind::sync_regained:
            write_log(log::level::info, std::string(e->kind == wc::client_event_kind::sync_acquired
                                                        ? "synchronised"
                                                        : "synchronisation regained") +
                                            "; dispersion " + disp);
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

double wall_clock_client_driver::dispersion_ns() const {
    return core_.dispersion_ns(local_time_.now());
}

std::int64_t wall_clock_client_driver::offset_ns() const {
    const auto& parent = *wall_clock_.parent();
    const tick_t p = parent.ticks();
    const tick_t w = wall_clock_.from_parent_ticks(p);
    return floor_ns(wall_clock_.ticks_to_nanos(w) - parent.ticks_to_nanos(p));
}

std::int64_t wall_clock_client_driver::wall_clock_ns() const {
    return floor_ns(wall_clock_.nanos());
}

} // namespace dvbcss::net::detail
