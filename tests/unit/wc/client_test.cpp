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

TEST_F(WcClientTest, BacksOffWhileTheServerIsSilent) {
    std::vector<std::int64_t> sent;
    for (std::int64_t now = 100 * s; now < 400 * s;) {
        if (client_->next_request(now)) {
            sent.push_back(now);
        }
        now = std::max(now + 1, client_->next_wakeup_ns());
    }
    ASSERT_GE(sent.size(), 5U);
    // 300 s at the reference's pace (a request every 0.2 s timeout + 0.2 s) would be 750.
    EXPECT_LT(sent.size(), 30U);
    std::int64_t previous_gap = 0;
    for (std::size_t i = 1; i < sent.size(); ++i) {
        const auto gap = sent[i] - sent[i - 1];
        EXPECT_GE(gap, previous_gap) << i;
        EXPECT_LE(gap, 16 * s + 200 * ms) << i; // capped
        previous_gap = gap;
    }
    EXPECT_EQ(previous_gap, 16 * s + 200 * ms);
    EXPECT_GE(client_->consecutive_timeouts(), 5U);

    // One answer restores the normal pace.
    const auto t1 = client_->next_wakeup_ns();
    const auto req = *client_->next_request(t1);
    client_->on_datagram(answer(req, t1, ms), t1 + 2 * ms, true);
    EXPECT_EQ(client_->consecutive_timeouts(), 0U);
    EXPECT_EQ(client_->next_wakeup_ns(), t1 + 2 * ms + s);
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
