#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/wc/client.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace dvbcss::wc {
namespace {

constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
    if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b) {
        return std::numeric_limits<std::int64_t>::max();
    }
    if (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b) {
        return std::numeric_limits<std::int64_t>::min();
    }
    return a + b;
}

/// A follow-up's t3 is possible only if the server's processing time it implies (t3 - t2) fits
/// within the round trip the client measured (t4 - t1).
bool followup_transmit_possible(const message& followup, std::int64_t t1, std::int64_t t4) {
    return followup.transmit_ns - followup.receive_ns <= t4 - t1;
}

} // namespace

const char* to_string(client_event_kind kind) noexcept {
    switch (kind) {
    case client_event_kind::timeout:
        return "timeout";
    case client_event_kind::sync_acquired:
        return "sync_acquired";
    case client_event_kind::sync_lost:
        return "sync_lost";
    case client_event_kind::sync_regained:
        return "sync_regained";
    }
    return "unknown";
}

client::client(clock::correlated_clock& wall_clock, std::unique_ptr<estimator> est,
               client_config config)
    : wall_clock_(wall_clock)
    , estimator_(std::move(est))
    , config_(config) {
    if (!estimator_) {
        throw std::invalid_argument("wc::client: null estimator");
    }
    if (wall_clock_.parent() == nullptr) {
        throw std::invalid_argument("wc::client: the wall clock must have a parent (local) clock");
    }
    // Unsynchronised until the first candidate is adopted.
    wall_clock_.set_correlation(
        wall_clock_.correlation().with_initial_error_ns(std::numeric_limits<double>::infinity()));
}

void client::schedule_next(std::int64_t from_ns) {
    auto delay = std::max(estimator_->next_request_delay(), std::chrono::nanoseconds::zero());
    if (consecutive_timeouts_ > 0) {
        // The retry rule (client.hpp): d * 2^(n-1), capped at max(d, max_backoff); d >= 1 ms so
        // that a zero delay never spins.
        delay = std::max<std::chrono::nanoseconds>(delay, std::chrono::milliseconds(1));
        const auto cap = std::max(delay, config_.max_backoff);
        auto backoff = delay;
        for (unsigned i = 1; i < consecutive_timeouts_ && backoff < cap; ++i) {
            backoff *= 2;
        }
        delay = std::min(backoff, cap);
    }
    next_send_ns_ = saturating_add(from_ns, delay.count());
}

void client::push_event(client_event_kind kind, std::int64_t local_ns) {
    client_event e;
    e.kind = kind;
    e.local_ns = local_ns;
    e.misses = misses_;
    e.dispersion_ns = dispersion_ns(local_ns);
    if (event_count_ == events_.size()) { // full: drop the oldest
        event_head_ = (event_head_ + 1) % events_.size();
        --event_count_;
        ++stats_.events_dropped;
    }
    events_[(event_head_ + event_count_) % events_.size()] = e;
    ++event_count_;
}

std::optional<client_event> client::next_event() noexcept {
    if (event_count_ == 0) {
        return std::nullopt;
    }
    const auto e = events_[event_head_];
    event_head_ = (event_head_ + 1) % events_.size();
    --event_count_;
    return e;
}

void client::update_sync(std::int64_t now_ns) {
    bool sync = adopted_;
    if (sync && config_.sync_lost_after_misses > 0 && misses_ >= config_.sync_lost_after_misses) {
        sync = false;
    }
    if (sync && config_.sync_lost_above_dispersion &&
        !(dispersion_ns(now_ns) <=
          static_cast<double>(config_.sync_lost_above_dispersion->count()))) {
        sync = false;
    }
    if (sync == synchronised_) {
        return;
    }
    synchronised_ = sync;
    if (!sync) {
        ++stats_.sync_losses;
        push_event(client_event_kind::sync_lost, now_ns);
    } else {
        push_event(stats_.sync_losses == 0 ? client_event_kind::sync_acquired
                                           : client_event_kind::sync_regained,
                   now_ns);
    }
}

void client::expire(std::int64_t now_ns) {
    if (held_ && now_ns >= held_->deadline) {
        // The follow-up never came: the type 2 on its own is still a valid measurement.
        const auto h = *held_;
        held_.reset();
        ++stats_.followups_missing;
        static_cast<void>(finish(h.response, h.t1, h.t4, h.deadline));
    }
    if (outstanding_ && now_ns >= outstanding_->deadline) {
        const auto deadline = outstanding_->deadline;
        timed_out_[timed_out_count_++ % timed_out_.size()] = outstanding_->originate;
        outstanding_.reset();
        ++stats_.timeouts;
        ++consecutive_timeouts_;
        ++misses_;
        estimator_->on_timeout();
        schedule_next(deadline);
        push_event(client_event_kind::timeout, deadline);
        update_sync(deadline);
    }
    update_sync(now_ns);
}

std::optional<message_bytes> client::next_request(std::int64_t now_ns) {
    expire(now_ns);
    if (outstanding_ || held_ || (started_ && now_ns < next_send_ns_)) {
        return std::nullopt;
    }
    started_ = true;
    message req;
    req.type = message_type::request;
    req.originate = raw_timestamp::from_ns(now_ns);
    outstanding_ = outstanding{req.originate, now_ns,
                               saturating_add(now_ns, config_.response_timeout.count()), now_ns};
    ++stats_.requests;
    return encode(req);
}

bool client::on_request_sent(const raw_timestamp& originate, std::int64_t actual_t1_ns) noexcept {
    const auto in_range = [&](std::int64_t read_ns, std::int64_t deadline_ns) {
        return actual_t1_ns >= read_ns && actual_t1_ns < deadline_ns;
    };
    if (outstanding_ && outstanding_->originate == originate) {
        if (in_range(outstanding_->t1_read, outstanding_->deadline)) {
            outstanding_->t1 = actual_t1_ns;
            ++stats_.transmit_times_used;
            return true;
        }
    } else if (held_ && held_->response.originate == originate) {
        // The timestamp came after the type 2 arrived: it must still precede that arrival.
        if (in_range(held_->t1_read, saturating_add(held_->t4, 1))) {
            held_->t1 = actual_t1_ns;
            ++stats_.transmit_times_used;
            return true;
        }
    }
    ++stats_.transmit_times_rejected;
    return false;
}

client_outcome client::ignore_unmatched(const raw_timestamp& originate) {
    const auto recent = std::min(timed_out_count_, timed_out_.size());
    if (last_answered_ && *last_answered_ == originate) {
        ++stats_.duplicates;
    } else if (std::find(timed_out_.begin(),
                         timed_out_.begin() + static_cast<std::ptrdiff_t>(recent),
                         originate) != timed_out_.begin() + static_cast<std::ptrdiff_t>(recent)) {
        ++stats_.late;
    } else {
        ++stats_.wrong_originate;
    }
    return client_outcome::ignored;
}

client_outcome client::on_datagram(std::span<const std::byte> datagram, std::int64_t receive_ns,
                                   bool source_matches) {
    if (!source_matches) {
        ++stats_.wrong_source;
        return client_outcome::ignored;
    }
    const auto decoded = decode(datagram);
    if (!decoded) {
        ++stats_.malformed;
        return client_outcome::ignored;
    }
    const message& m = *decoded;
    const bool matches_outstanding = outstanding_ && outstanding_->originate == m.originate;
    const bool matches_held = held_ && held_->response.originate == m.originate;
    switch (m.type) {
    case message_type::request:
        ++stats_.not_a_response;
        return client_outcome::ignored;
    case message_type::response:
        if (matches_outstanding) {
            const auto t1 = outstanding_->t1;
            outstanding_.reset();
            ++stats_.responses;
            return finish(m, t1, receive_ns, receive_ns);
        }
        if (matches_held) { // a type 1 after a type 2 for the same request: a copy at best
            ++stats_.duplicates;
            return client_outcome::ignored;
        }
        return ignore_unmatched(m.originate);
    case message_type::response_with_followup:
        if (matches_outstanding) {
            held_ = held_response{m, outstanding_->t1, outstanding_->t1_read, receive_ns,
                                  saturating_add(receive_ns, config_.followup_timeout.count())};
            outstanding_.reset();
            ++stats_.responses;
            consecutive_timeouts_ = 0;
            return client_outcome::awaiting_followup;
        }
        if (matches_held) {
            ++stats_.duplicates;
            return client_outcome::ignored;
        }
        return ignore_unmatched(m.originate);
    case message_type::followup:
        if (matches_held) {
            // t4 is the arrival of the type 2; t3 (the true transmit time) comes from here (B19),
            // unless it is distrusted or impossible (a processing time longer than the round
            // trip): then the type 2's own t3, read before it was sent, is used.
            const auto h = *held_;
            held_.reset();
            bool use_followup = config_.trust_followup_transmit;
            if (use_followup && !followup_transmit_possible(m, h.t1, h.t4)) {
                ++stats_.followup_transmits_rejected;
                use_followup = false;
            }
            return finish(use_followup ? m : h.response, h.t1, h.t4, receive_ns);
        }
        if (matches_outstanding) {
            // The type 2 was lost. Using the follow-up's arrival as t4 widens the round trip,
            // so the error bound stays valid, only looser.
            const auto t1 = outstanding_->t1;
            outstanding_.reset();
            ++stats_.responses;
            return finish(m, t1, receive_ns, receive_ns);
        }
        return ignore_unmatched(m.originate);
    }
    return client_outcome::ignored;
}

client_outcome client::finish(const message& response, std::int64_t t1, std::int64_t t4,
                              std::int64_t now_ns) {
    consecutive_timeouts_ = 0;
    last_answered_ = response.originate;
    const auto c = candidate::from_response(response, t1, t4);
    if (!c || !c->is_plausible()) {
        ++stats_.implausible;
        ++misses_;
        estimator_->on_timeout();
        schedule_next(now_ns);
        update_sync(now_ns);
        return client_outcome::ignored;
    }
    ++stats_.candidates;
    misses_ = 0;
    last_candidate_ = *c;
    // The bound the wall clock has right up to the moment a new correlation replaces it belongs
    // to the current worst-dispersion window.
    const double before_ns = estimator_->dispersion_ns(now_ns);
    const auto corr = estimator_->on_candidate(*c);
    schedule_next(now_ns);
    if (!corr) {
        update_sync(now_ns);
        return client_outcome::candidate_not_used;
    }
    estimator_->note_dispersion(before_ns);
    wall_clock_.set_correlation(*corr);
    adopted_ = true;
    ++stats_.candidates_accepted;
    update_sync(now_ns);
    return client_outcome::clock_adjusted;
}

std::int64_t client::next_wakeup_ns() const noexcept {
    if (held_) {
        return held_->deadline;
    }
    if (outstanding_) {
        return outstanding_->deadline;
    }
    if (!started_) {
        return std::numeric_limits<std::int64_t>::min();
    }
    return next_send_ns_;
}

double client::dispersion_ns(std::int64_t now_ns) const {
    const auto* local = wall_clock_.parent();
    const auto t =
        wall_clock_.from_parent_ticks(local->nanos_to_ticks(static_cast<tick_t>(now_ns)));
    return wall_clock_.dispersion_at_time(t);
}

} // namespace dvbcss::wc
