#include "support/fake_time_source.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/wc/client.hpp>
#include <dvbcss/wc/lowest_dispersion.hpp>
#include <dvbcss/wc/most_recent.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace dvbcss::wc {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t s = 1'000'000'000;
constexpr std::int64_t server_ahead = 3600 * s;

class WcClientTest : public ::testing::Test {
protected:
    WcClientTest() { make_client("lowest-dispersion"); }

    void make_client(std::string_view estimator_name, client_config cfg = {}) {
        client_.reset();
        client_ = std::make_unique<client>(wall_, make_estimator(estimator_name, wall_), cfg);
    }

    /// The server's answer to `request`: received `delay` after t1, sent 10 us later.
    static message_bytes answer(const message_bytes& request, std::int64_t t1, std::int64_t delay,
                                message_type type = message_type::response) {
        auto m = *decode(request);
        m.type = type;
        m.precision = -20;
        m.max_freq_error = encode_max_freq_error(50);
        m.receive_ns = t1 + server_ahead + delay;
        m.transmit_ns = m.receive_ns + 10'000;
        return encode(m);
    }

    dvbcss::test::fake_time_source src_{100 * s};
    clock::sys_clock local_{src_, 1e9, 500};
    clock::correlated_clock wall_{local_, 1e9};
    std::unique_ptr<client> client_;
};

TEST_F(WcClientTest, MarksTheWallClockUnsynchronised) {
    EXPECT_TRUE(std::isinf(wall_.correlation().initial_error_ns));
    EXPECT_TRUE(std::isinf(client_->dispersion_ns(100 * s)));
}

TEST_F(WcClientTest, SendsARequestAtOnceThenWaits) {
    EXPECT_LE(client_->next_wakeup_ns(), 100 * s);
    const auto req = client_->next_request(100 * s);
    ASSERT_TRUE(req);
    const auto m = decode(*req);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, message_type::request);
    EXPECT_EQ(m->originate.to_ns(), 100 * s);
    EXPECT_FALSE(client_->next_request(100 * s + 1));
    EXPECT_EQ(client_->next_wakeup_ns(), 100 * s + 200 * ms);
    EXPECT_EQ(client_->statistics().requests, 1U);
}

TEST_F(WcClientTest, AdjustsTheWallClockFromAResponse) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    const auto outcome = client_->on_datagram(answer(req, t1, 2 * ms), t1 + 4 * ms + 10'000, true);
    EXPECT_EQ(outcome, client_outcome::clock_adjusted);
    src_.set_ns(t1 + 5 * ms);
    EXPECT_NEAR(static_cast<double>(wall_.ticks()), static_cast<double>(t1 + 5 * ms + server_ahead),
                2.0);
    const double disp = client_->dispersion_ns(t1 + 5 * ms);
    EXPECT_GT(disp, 2 * ms);
    EXPECT_LT(disp, 3 * ms);
    const auto& st = client_->statistics();
    EXPECT_EQ(st.responses, 1U);
    EXPECT_EQ(st.candidates, 1U);
    EXPECT_EQ(st.candidates_accepted, 1U);
    ASSERT_TRUE(client_->last_candidate());
    EXPECT_EQ(client_->last_candidate()->t1, t1);
    // Next request after the estimator's repeat interval.
    EXPECT_EQ(client_->next_wakeup_ns(), t1 + 4 * ms + 10'000 + s);
    EXPECT_FALSE(client_->next_request(t1 + 500 * ms));
    EXPECT_TRUE(client_->next_request(t1 + 4 * ms + 10'000 + s));
}

TEST_F(WcClientTest, IgnoresDatagramsThatMatchNothing) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    const auto good = answer(req, t1, ms);

    EXPECT_EQ(client_->on_datagram(good, t1 + 3 * ms, false), client_outcome::ignored);
    const std::string junk = "not a wall clock message";
    EXPECT_EQ(client_->on_datagram(std::as_bytes(std::span(junk)), t1 + 3 * ms, true),
              client_outcome::ignored);
    EXPECT_EQ(client_->on_datagram(req, t1 + 3 * ms, true), client_outcome::ignored);
    auto other = *decode(good);
    other.originate.nanoseconds += 1;
    EXPECT_EQ(client_->on_datagram(encode(other), t1 + 3 * ms, true), client_outcome::ignored);
    // An implausible answer (transmit before receive) for the right request.
    auto bad = *decode(good);
    bad.transmit_ns = bad.receive_ns - 1;
    EXPECT_EQ(client_->on_datagram(encode(bad), t1 + 3 * ms, true), client_outcome::ignored);
    // The request is answered now; the genuine response that follows is a duplicate.
    EXPECT_EQ(client_->on_datagram(good, t1 + 3 * ms, true), client_outcome::ignored);

    const auto& st = client_->statistics();
    EXPECT_EQ(st.wrong_source, 1U);
    EXPECT_EQ(st.malformed, 1U);
    EXPECT_EQ(st.not_a_response, 1U);
    EXPECT_EQ(st.wrong_originate, 1U);
    EXPECT_EQ(st.implausible, 1U);
    EXPECT_EQ(st.duplicates, 1U);
    EXPECT_EQ(st.ignored(), 6U);
    EXPECT_EQ(st.candidates, 0U);
    EXPECT_TRUE(std::isinf(client_->dispersion_ns(t1 + 3 * ms)));
}

TEST_F(WcClientTest, CountsDuplicatesAndLateResponses) {
    std::int64_t t1 = 100 * s;
    auto req = *client_->next_request(t1);
    const auto first = answer(req, t1, ms);
    EXPECT_EQ(client_->on_datagram(first, t1 + 2 * ms, true), client_outcome::clock_adjusted);
    EXPECT_EQ(client_->on_datagram(first, t1 + 3 * ms, true), client_outcome::ignored);
    EXPECT_EQ(client_->statistics().duplicates, 1U);

    // The next request times out; its answer arrives afterwards.
    t1 = client_->next_wakeup_ns();
    req = *client_->next_request(t1);
    EXPECT_FALSE(client_->next_request(t1 + 250 * ms));
    EXPECT_EQ(client_->statistics().timeouts, 1U);
    EXPECT_EQ(client_->on_datagram(answer(req, t1, 200 * ms), t1 + 400 * ms, true),
              client_outcome::ignored);
    EXPECT_EQ(client_->statistics().late, 1U);
}

// B19: t4 is the type 2's arrival; t3 comes from the follow-up.
TEST_F(WcClientTest, CombinesResponseAndFollowup) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    const auto type2 = answer(req, t1, ms, message_type::response_with_followup);
    auto follow = *decode(type2);
    follow.type = message_type::followup;
    follow.transmit_ns = follow.receive_ns + 4'000; // the true transmit time
    EXPECT_EQ(client_->on_datagram(type2, t1 + 2 * ms + 4'000, true),
              client_outcome::awaiting_followup);
    EXPECT_FALSE(client_->next_request(t1 + 500 * ms)); // held, not timed out
    EXPECT_EQ(client_->on_datagram(encode(follow), t1 + 7 * ms, true),
              client_outcome::clock_adjusted);
    const auto& c = client_->last_candidate();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->t4, t1 + 2 * ms + 4'000);
    EXPECT_EQ(c->t3, follow.transmit_ns);
    EXPECT_EQ(c->rtt_ns(), 2 * ms);
    EXPECT_EQ(c->offset_ns(), server_ahead);
    EXPECT_EQ(client_->statistics().responses, 1U);
    EXPECT_EQ(client_->statistics().followups_missing, 0U);
    // A second follow-up copy is a duplicate.
    EXPECT_EQ(client_->on_datagram(encode(follow), t1 + 8 * ms, true), client_outcome::ignored);
    EXPECT_EQ(client_->statistics().duplicates, 1U);
}

TEST_F(WcClientTest, CanIgnoreTheFollowupsTransmitTime) {
    client_config cfg;
    cfg.trust_followup_transmit = false;
    make_client("lowest-dispersion", cfg);
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    const auto type2 = answer(req, t1, ms, message_type::response_with_followup);
    auto follow = *decode(type2);
    follow.type = message_type::followup;
    follow.transmit_ns += 50'000; // read after sending: later than the real departure
    EXPECT_EQ(client_->on_datagram(type2, t1 + 2 * ms + 10'000, true),
              client_outcome::awaiting_followup);
    EXPECT_EQ(client_->on_datagram(encode(follow), t1 + 3 * ms, true),
              client_outcome::clock_adjusted);
    EXPECT_EQ(client_->last_candidate()->t3, decode(type2)->transmit_ns);
    EXPECT_EQ(client_->last_candidate()->t4, t1 + 2 * ms + 10'000);
}

// A follow-up t3 stamped after sending can imply a server processing time longer than the whole
// round trip: impossible, so it is discarded and the type 2's own t3 is used. Offset 0 (server
// and local clocks equal), 20 us each way, 2 us turnaround; the follow-up says 60 us later.
TEST_F(WcClientTest, DiscardsAnImpossibleFollowupTransmitTime) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    auto m = *decode(req);
    m.type = message_type::response_with_followup;
    m.precision = -30; // ~1 ns
    m.max_freq_error = encode_max_freq_error(0);
    m.receive_ns = t1 + 20'000;           // t2
    m.transmit_ns = m.receive_ns + 2'000; // t3 of the type 2: read before sending
    const std::int64_t t4 = t1 + 42'000;
    auto follow = m;
    follow.type = message_type::followup;
    follow.transmit_ns = m.transmit_ns + 60'000; // t3 - t2 = 62 us > t4 - t1 = 42 us
    ASSERT_EQ(client_->on_datagram(encode(m), t4, true), client_outcome::awaiting_followup);
    ASSERT_EQ(client_->on_datagram(encode(follow), t4 + 30'000, true),
              client_outcome::clock_adjusted);
    const auto& c = client_->last_candidate();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->t3, m.transmit_ns);
    EXPECT_EQ(c->offset_ns(), 0);
    EXPECT_EQ(c->rtt_ns(), 40'000);
    EXPECT_EQ(client_->statistics().followup_transmits_rejected, 1U);
    EXPECT_EQ(client_->statistics().implausible, 0U);
    // The bound covers the true offset (0): the wall clock reads the local clock's time.
    const double err =
        std::fabs(static_cast<double>(wall_.from_parent_ticks(local_.ticks()) - local_.ticks()));
    EXPECT_LE(err, client_->dispersion_ns(static_cast<std::int64_t>(local_.ticks())));
}

// A follow-up t3 that fits within the round trip is used (the spec's reading).
TEST_F(WcClientTest, KeepsAPossibleFollowupTransmitTime) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    auto m = *decode(req);
    m.type = message_type::response_with_followup;
    m.receive_ns = t1 + 20'000;
    m.transmit_ns = m.receive_ns + 2'000;
    auto follow = m;
    follow.type = message_type::followup;
    follow.transmit_ns = m.transmit_ns + 5'000; // 7 us <= 42 us
    ASSERT_EQ(client_->on_datagram(encode(m), t1 + 42'000, true),
              client_outcome::awaiting_followup);
    ASSERT_EQ(client_->on_datagram(encode(follow), t1 + 50'000, true),
              client_outcome::clock_adjusted);
    EXPECT_EQ(client_->last_candidate()->t3, follow.transmit_ns);
    EXPECT_EQ(client_->statistics().followup_transmits_rejected, 0U);
}

TEST_F(WcClientTest, UsesTheTypeTwoAloneWhenTheFollowupIsLost) {
    client_config cfg;
    cfg.followup_timeout = 300ms;
    make_client("lowest-dispersion", cfg);
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    const auto type2 = answer(req, t1, ms, message_type::response_with_followup);
    EXPECT_EQ(client_->on_datagram(type2, t1 + 2 * ms + 10'000, true),
              client_outcome::awaiting_followup);
    EXPECT_EQ(client_->next_wakeup_ns(), t1 + 2 * ms + 10'000 + 300 * ms);
    EXPECT_FALSE(client_->next_request(t1 + 2 * ms + 10'000 + 300 * ms));
    EXPECT_EQ(client_->statistics().followups_missing, 1U);
    EXPECT_EQ(client_->statistics().candidates_accepted, 1U);
    EXPECT_FALSE(std::isinf(client_->dispersion_ns(t1 + 400 * ms)));
}

TEST_F(WcClientTest, UsesAFollowupWhoseResponseWasLost) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    auto follow = *decode(answer(req, t1, ms, message_type::followup));
    EXPECT_EQ(client_->on_datagram(encode(follow), t1 + 3 * ms, true),
              client_outcome::clock_adjusted);
    EXPECT_EQ(client_->last_candidate()->t4, t1 + 3 * ms);
}

/// Local times (ns, relative to `from`) at which `c` sends requests until `until`, no server.
std::vector<std::int64_t> silent_send_times(client& c, std::int64_t from, std::int64_t until) {
    std::vector<std::int64_t> sent;
    for (std::int64_t now = from; now < until;) {
        if (c.next_request(now)) {
            sent.push_back(now - from);
        }
        now = std::max(now + 1, c.next_wakeup_ns());
    }
    return sent;
}

// The retry rule with the defaults: 200 ms timeout, lowest-dispersion's 200 ms retry, 2 s cap.
TEST_F(WcClientTest, RetryRuleExactSendTimesWithTheDefaults) {
    const auto sent = silent_send_times(*client_, 100 * s, 115 * s);
    const std::vector<std::int64_t> expected{0,          400 * ms,  1000 * ms, 2000 * ms,
                                             3800 * ms,  6000 * ms, 8200 * ms, 10400 * ms,
                                             12600 * ms, 14800 * ms};
    EXPECT_EQ(sent, expected);
    EXPECT_EQ(client_->statistics().timeouts, 9U); // the 10th is still outstanding
}

// wallclock-client's defaults: --timeout 0.5, --interval 1 (retry after 0.5 s), cap 2 s. The
// previous rule sent at 0, 1, 2.5, 5, 9.5, 18 s.
TEST_F(WcClientTest, RetryRuleExactSendTimesLikeTheProgram) {
    estimator_options eo;
    eo.repeat_interval = 1s;
    eo.retry_interval = 500ms;
    client_config cfg;
    cfg.response_timeout = 500ms;
    cfg.max_backoff = 2s;
    client c(wall_, make_estimator("lowest-dispersion", wall_, eo), cfg);
    const auto sent = silent_send_times(c, 100 * s, 120 * s);
    const std::vector<std::int64_t> expected{0,      1 * s,      2500 * ms, 5 * s,     7500 * ms,
                                             10 * s, 12500 * ms, 15 * s,    17500 * ms};
    EXPECT_EQ(sent, expected);
}

// An estimator whose own delay exceeds the cap is never polled faster than that delay.
TEST_F(WcClientTest, RetryRuleCapIsNeverBelowTheEstimatorsDelay) {
    estimator_options eo;
    eo.repeat_interval = 5s; // most-recent waits this after anything
    client_config cfg;
    cfg.response_timeout = 500ms;
    client c(wall_, make_estimator("most-recent", wall_, eo), cfg);
    const auto sent = silent_send_times(c, 100 * s, 130 * s);
    const std::vector<std::int64_t> expected{0, 5500 * ms, 11 * s, 16500 * ms, 22 * s, 27500 * ms};
    EXPECT_EQ(sent, expected);
}

TEST_F(WcClientTest, AReturningServerIsNoticedWithinTheCap) {
    const auto sent = silent_send_times(*client_, 100 * s, 400 * s);
    ASSERT_GE(sent.size(), 5U);
    for (std::size_t i = 1; i < sent.size(); ++i) {
        EXPECT_LE(sent[i] - sent[i - 1], 200 * ms + 2 * s) << i; // timeout + cap
    }
    EXPECT_GE(client_->consecutive_timeouts(), 5U);

    // One answer restores the normal pace.
    const auto t1 = client_->next_wakeup_ns();
    const auto req = *client_->next_request(t1);
    client_->on_datagram(answer(req, t1, ms), t1 + 2 * ms, true);
    EXPECT_EQ(client_->consecutive_timeouts(), 0U);
    EXPECT_EQ(client_->next_wakeup_ns(), t1 + 2 * ms + s);
}

std::vector<client_event> drain(client& c) {
    std::vector<client_event> out;
    while (auto e = c.next_event()) {
        out.push_back(*e);
    }
    return out;
}

TEST_F(WcClientTest, ReportsTimeoutsAndSynchronisationTransitions) {
    EXPECT_FALSE(client_->synchronised());
    // Synchronise.
    auto t1 = 100 * s;
    auto req = *client_->next_request(t1);
    ASSERT_EQ(client_->on_datagram(answer(req, t1, ms), t1 + 2 * ms, true),
              client_outcome::clock_adjusted);
    auto events = drain(*client_);
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].kind, client_event_kind::sync_acquired);
    EXPECT_EQ(events[0].local_ns, t1 + 2 * ms);
    EXPECT_TRUE(std::isfinite(events[0].dispersion_ns));
    EXPECT_TRUE(client_->synchronised());

    // The server goes silent: three timeouts, then "lost" at the third deadline.
    std::vector<std::int64_t> deadlines;
    for (int i = 0; i < 3; ++i) {
        const auto at = client_->next_wakeup_ns();
        ASSERT_TRUE(client_->next_request(at));
        deadlines.push_back(at + 200 * ms);
        static_cast<void>(client_->next_request(deadlines.back()));
    }
    events = drain(*client_);
    ASSERT_EQ(events.size(), 4U);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(events[static_cast<std::size_t>(i)].kind, client_event_kind::timeout);
        EXPECT_EQ(events[static_cast<std::size_t>(i)].local_ns,
                  deadlines[static_cast<std::size_t>(i)]);
        EXPECT_EQ(events[static_cast<std::size_t>(i)].misses, static_cast<unsigned>(i + 1));
    }
    EXPECT_EQ(events[3].kind, client_event_kind::sync_lost);
    EXPECT_EQ(events[3].local_ns, deadlines[2]);
    EXPECT_FALSE(client_->synchronised());
    EXPECT_EQ(client_->statistics().sync_losses, 1U);

    // It comes back.
    t1 = client_->next_wakeup_ns();
    req = *client_->next_request(t1);
    client_->on_datagram(answer(req, t1, ms), t1 + 2 * ms, true);
    events = drain(*client_);
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].kind, client_event_kind::sync_regained);
    EXPECT_TRUE(client_->synchronised());
    EXPECT_FALSE(client_->next_event());
}

TEST_F(WcClientTest, LosesSynchronisationAboveADispersionBound) {
    client_config cfg;
    cfg.sync_lost_above_dispersion = 5ms;
    cfg.sync_lost_after_misses = 0;
    make_client("lowest-dispersion", cfg);
    const auto t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    client_->on_datagram(answer(req, t1, ms), t1 + 2 * ms, true);
    ASSERT_TRUE(client_->synchronised());
    // 550 ppm of growth: the bound passes 5 ms about 9 s later. Nobody answers meanwhile.
    for (std::int64_t now = t1 + 2 * ms; now < t1 + 20 * s;) {
        static_cast<void>(client_->next_request(now));
        now = std::max(now + 1, client_->next_wakeup_ns());
    }
    EXPECT_FALSE(client_->synchronised());
    bool lost = false;
    for (const auto& e : drain(*client_)) {
        if (e.kind == client_event_kind::sync_lost) {
            lost = true;
            EXPECT_GT(e.dispersion_ns, 5e6);
        }
    }
    EXPECT_TRUE(lost);
}

TEST_F(WcClientTest, EventQueueDropsTheOldestWhenNobodyPolls) {
    static_cast<void>(silent_send_times(*client_, 100 * s, 200 * s)); // ~45 timeouts
    EXPECT_GT(client_->statistics().events_dropped, 0U);
    const auto events = drain(*client_);
    EXPECT_EQ(events.size(), 16U);
    for (std::size_t i = 1; i < events.size(); ++i) {
        EXPECT_GT(events[i].local_ns, events[i - 1].local_ns);
    }
}

TEST(WcClientEvents, Names) {
    EXPECT_STREQ(to_string(client_event_kind::timeout), "timeout");
    EXPECT_STREQ(to_string(client_event_kind::sync_acquired), "sync_acquired");
    EXPECT_STREQ(to_string(client_event_kind::sync_lost), "sync_lost");
    EXPECT_STREQ(to_string(client_event_kind::sync_regained), "sync_regained");
}

TEST_F(WcClientTest, SurvivesRandomDatagrams) {
    std::mt19937_64 rng(1234);
    std::int64_t now = 100 * s;
    auto req = *client_->next_request(now);
    for (int i = 0; i < 5000; ++i) {
        std::vector<std::byte> bytes(32);
        for (auto& b : bytes) {
            b = static_cast<std::byte>(rng() & 0xFFU);
        }
        if (i % 3 == 0) {
            bytes[0] = std::byte{0};
            bytes[1] = static_cast<std::byte>(1 + rng() % 3);
        }
        if (i % 7 == 0) { // right originate, arbitrary times
            std::copy(req.begin() + 8, req.begin() + 16, bytes.begin() + 8);
        }
        now += 1000;
        static_cast<void>(client_->on_datagram(bytes, now, true));
        if (auto r = client_->next_request(now)) {
            req = *r;
        }
    }
    EXPECT_GT(client_->statistics().ignored(), 4000U);
}

TEST_F(WcClientTest, TransmitTimeReplacesTOne) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    const auto originate = decode(req)->originate;
    // The request really left 40 us after t1 was read; the server got it 2 ms after t1.
    EXPECT_TRUE(client_->on_request_sent(originate, t1 + 40'000));
    const auto reply = answer(req, t1, 2 * ms);
    EXPECT_EQ(decode(reply)->originate, originate); // the wire value is unchanged
    EXPECT_EQ(client_->on_datagram(reply, t1 + 4 * ms + 10'000, true),
              client_outcome::clock_adjusted);
    ASSERT_TRUE(client_->last_candidate());
    const auto& c = *client_->last_candidate();
    EXPECT_EQ(c.t1, t1 + 40'000);
    EXPECT_EQ(c.t4, t1 + 4 * ms + 10'000);
    EXPECT_EQ(c.rtt_ns(), 4 * ms - 40'000);
    EXPECT_EQ(client_->statistics().transmit_times_used, 1U);
    EXPECT_EQ(client_->statistics().transmit_times_rejected, 0U);
}

TEST_F(WcClientTest, TransmitTimeOutOfRangeIsRejected) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    const auto originate = decode(req)->originate;
    EXPECT_FALSE(client_->on_request_sent(originate, t1 - 1));            // before it was built
    EXPECT_FALSE(client_->on_request_sent(originate, t1 + 200 * ms));     // at the deadline
    EXPECT_FALSE(client_->on_request_sent(raw_timestamp{7, 8}, t1 + 10)); // another request
    EXPECT_EQ(client_->statistics().transmit_times_rejected, 3U);
    EXPECT_EQ(client_->on_datagram(answer(req, t1, 2 * ms), t1 + 4 * ms + 10'000, true),
              client_outcome::clock_adjusted);
    EXPECT_EQ(client_->last_candidate()->t1, t1);
    // Once answered, the request is no longer outstanding: a late timestamp changes nothing.
    EXPECT_FALSE(client_->on_request_sent(originate, t1 + 10));
    EXPECT_EQ(client_->last_candidate()->t1, t1);
}

TEST_F(WcClientTest, TransmitTimeAppliesToAHeldTypeTwo) {
    const std::int64_t t1 = 100 * s;
    const auto req = *client_->next_request(t1);
    const auto originate = decode(req)->originate;
    const auto type2 = answer(req, t1, 2 * ms, message_type::response_with_followup);
    const std::int64_t t4 = t1 + 4 * ms + 10'000;
    EXPECT_EQ(client_->on_datagram(type2, t4, true), client_outcome::awaiting_followup);
    EXPECT_FALSE(client_->on_request_sent(originate, t4 + 1)); // after the response arrived
    EXPECT_TRUE(client_->on_request_sent(originate, t1 + 30'000));
    auto follow = *decode(type2);
    follow.type = message_type::followup;
    EXPECT_EQ(client_->on_datagram(encode(follow), t4 + 1000, true),
              client_outcome::clock_adjusted);
    EXPECT_EQ(client_->last_candidate()->t1, t1 + 30'000);
    EXPECT_EQ(client_->last_candidate()->t4, t4);
}

TEST_F(WcClientTest, RejectsBadConstruction) {
    EXPECT_THROW(client(wall_, nullptr), std::invalid_argument);
}

} // namespace
} // namespace dvbcss::wc
