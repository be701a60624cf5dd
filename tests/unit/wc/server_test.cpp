#include "hex.hpp"
#include "support/fake_time_source.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/wc/server.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace dvbcss::wc {
namespace {

using test::from_hex;
using test::to_hex;

message_bytes request_for(raw_timestamp originate) {
    message m;
    m.originate = originate;
    return encode(m);
}

class WcServerTest : public ::testing::Test {
protected:
    WcServerTest() { src_.set_auto_increment_ns(0); }

    dvbcss::test::fake_time_source src_{100'000'000'000};
    // Precision measured on a frozen source: one tick period (1 ns).
    clock::sys_clock local_{src_, 1e9, 45};
};

// The reference's checked server case: SysClock(1e9, 45 ppm) at 100 s.
TEST_F(WcServerTest, AnswersARequest) {
    server srv(local_);
    const auto r = srv.on_datagram(request_for({12, 345}), 100'000'000'000);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->followup);
    const auto m = decode(r->bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, message_type::response);
    EXPECT_EQ(m->max_freq_error, 11520U);
    EXPECT_EQ(m->precision, encode_precision_ns(local_.precision_ns()));
    EXPECT_EQ(m->originate, (raw_timestamp{12, 345}));
    EXPECT_EQ(m->receive_ns, 100'000'000'000);
    EXPECT_EQ(m->transmit_ns, 100'000'000'000); // until stamped
    EXPECT_EQ(srv.statistics().answered, 1U);
}

TEST_F(WcServerTest, StampsTransmitTime) {
    server srv(local_);
    auto r = srv.on_datagram(request_for({1, 2}), 5'000);
    ASSERT_TRUE(r);
    r->stamp_transmit(7'000'000'123);
    const auto m = decode(r->bytes);
    EXPECT_EQ(m->receive_ns, 5'000);
    EXPECT_EQ(m->transmit_ns, 7'000'000'123);
}

TEST_F(WcServerTest, UsesOverrides) {
    server_config cfg;
    cfg.precision_override_ns = 1e6;
    cfg.max_freq_error_override_ppm = 12.5;
    server srv(local_, cfg);
    const auto m = decode(srv.on_datagram(request_for({1, 2}), 5'000)->bytes);
    EXPECT_EQ(m->precision, -9);
    EXPECT_EQ(m->max_freq_error, 3200U);
}

TEST_F(WcServerTest, FollowupModeSendsTypeTwoThenThree) {
    server_config cfg;
    cfg.followup = true;
    server srv(local_, cfg);
    auto r = srv.on_datagram(request_for({9, 8}), 1'000);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->followup);
    r->stamp_transmit(1'500);
    EXPECT_EQ(decode(r->bytes)->type, message_type::response_with_followup);
    const auto f = decode(r->make_followup(1'400));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->type, message_type::followup);
    EXPECT_EQ(f->originate, (raw_timestamp{9, 8}));
    EXPECT_EQ(f->receive_ns, 1'000);
    EXPECT_EQ(f->transmit_ns, 1'400);
    // The type 2 itself is unchanged by making the follow-up.
    EXPECT_EQ(decode(r->bytes)->transmit_ns, 1'500);
}

TEST_F(WcServerTest, EchoesNonNormalisedOriginateBitForBit) {
    server srv(local_);
    auto req = from_hex("00000000 00000000 00000007 773593ff 00000000 00000000 00000000 00000000");
    auto r = srv.on_datagram(req, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(to_hex(std::span(r->bytes).subspan(8, 8)), "00000007773593ff");
    req = from_hex("00000000 00000000 ffffffff ffffffff 00000000 00000000 00000000 00000000");
    r = srv.on_datagram(req, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(to_hex(std::span(r->bytes).subspan(8, 8)), "ffffffffffffffff");
}

TEST_F(WcServerTest, ClearsReservedByteAndIgnoresRequestFields) {
    server srv(local_);
    auto req = from_hex("00007f5a ffffffff 00000001 00000002 ffffffff ffffffff ffffffff ffffffff");
    const auto r = srv.on_datagram(req, 42);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->bytes[3], std::byte{0});
    const auto m = decode(r->bytes);
    EXPECT_EQ(m->max_freq_error, 11520U);
    EXPECT_EQ(m->receive_ns, 42);
}

// B3: no datagram stops the server; each kind of bad input is counted.
TEST_F(WcServerTest, IgnoresAndCountsBadDatagrams) {
    server srv(local_);
    const std::string garbage = "garbage";
    EXPECT_FALSE(srv.on_datagram(std::as_bytes(std::span(garbage)), 1));
    auto bad_version = request_for({1, 1});
    bad_version[0] = std::byte{1};
    EXPECT_FALSE(srv.on_datagram(bad_version, 1));
    auto bad_type = request_for({1, 1});
    bad_type[1] = std::byte{4};
    EXPECT_FALSE(srv.on_datagram(bad_type, 1));
    for (const auto t :
         {message_type::response, message_type::response_with_followup, message_type::followup}) {
        auto resp = request_for({1, 1});
        write_type(resp, t);
        EXPECT_FALSE(srv.on_datagram(resp, 1));
    }
    std::vector<std::byte> longer(43, std::byte{0});
    EXPECT_FALSE(srv.on_datagram(longer, 1));
    EXPECT_FALSE(srv.on_datagram({}, 1));

    const auto& s = srv.statistics();
    EXPECT_EQ(s.wrong_length, 3U);
    EXPECT_EQ(s.bad_version, 1U);
    EXPECT_EQ(s.bad_message_type, 1U);
    EXPECT_EQ(s.not_a_request, 3U);
    EXPECT_EQ(s.ignored(), 8U);
    EXPECT_EQ(s.answered, 0U);
    // Still answers afterwards.
    EXPECT_TRUE(srv.on_datagram(request_for({1, 1}), 1));
    EXPECT_EQ(srv.statistics().answered, 1U);
}

TEST_F(WcServerTest, ReportsTheWallClocksDispersion) {
    // Wall clock with a 3 ms error at its correlation point growing at 1000 ppm.
    clock::correlated_clock wall(local_, 1e9, clock::correlation{100'000'000'000, 0, 3e6, 1e-3});
    server srv(wall);
    // At the correlation point: 3 ms -> ceil(log2(0.003)) = -8.
    EXPECT_EQ(srv.precision_at(0), -8);
    // 10 s later the bound is 13 ms -> -6.
    EXPECT_EQ(srv.precision_at(10'000'000'000), -6);
}

TEST_F(WcServerTest, CachedPrecisionNeverUnderstatesWithinTheWindow) {
    clock::correlated_clock wall(local_, 1e9, clock::correlation{100'000'000'000, 0, 0.9e6, 1e-3});
    server_config cfg;
    cfg.precision_cache_ns = 200'000'000; // 0.9 ms + 1000 ppm * 0.2 s = 1.1 ms at the far end
    server srv(wall, cfg);
    // 0.9 ms alone would be -10; the window's worst case (1.1 ms) is -9.
    EXPECT_EQ(srv.precision_at(0), -9);
    EXPECT_EQ(srv.precision_at(150'000'000), -9);
}

TEST_F(WcServerTest, ClockChangeInvalidatesTheCache) {
    clock::correlated_clock wall(local_, 1e9, clock::correlation{100'000'000'000, 0, 3e6, 0});
    server srv(wall);
    EXPECT_EQ(srv.precision_at(0), -8);
    wall.set_correlation(clock::correlation{100'000'000'000, 0, 100e3, 0});
    EXPECT_EQ(srv.precision_at(0), encode_precision_ns(100e3 + local_.precision_ns()));
}

TEST_F(WcServerTest, UnsynchronisedWallClockReportsWorstPrecision) {
    clock::correlated_clock wall(
        local_, 1e9, clock::correlation{0, 0, std::numeric_limits<double>::infinity(), 0});
    server srv(wall);
    EXPECT_EQ(decode(srv.on_datagram(request_for({1, 1}), 5)->bytes)->precision, 127);
}

TEST_F(WcServerTest, MaxFreqErrorComesFromTheRoot) {
    clock::correlated_clock wall(local_, 1e9);
    server srv(wall);
    EXPECT_EQ(srv.max_freq_error(), 11520U);
}

} // namespace
} // namespace dvbcss::wc
