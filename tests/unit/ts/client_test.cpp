#include <dvbcss/protocol.hpp>
#include <dvbcss/ts/client.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ts = dvbcss::ts;
using dvbcss::errc;
using dvbcss::make_error_code;

namespace {

static_assert(dvbcss::client_protocol<ts::client>);

// Records every callback as a line, in order.
struct recorder {
    std::vector<std::string> events;

    ts::client_handlers handlers() {
        ts::client_handlers h;
        h.connected = [this] {
            events.emplace_back("connected");
        };
        h.disconnected = [this](std::uint16_t code, std::string_view reason) {
            events.push_back("disconnected " + std::to_string(code) + " " + std::string(reason));
        };
        h.control_timestamp = [this](const ts::control_timestamp& ct) {
            events.push_back("ct " + std::to_string(ct.wall_clock_time));
        };
        h.protocol_error = [this](dvbcss::error_code ec, std::string_view text) {
            events.push_back("error " + ec.message() + " [" + std::string(text) + "]");
        };
        return h;
    }
};

ts::setup_data pts_setup() {
    return ts::setup_data{"dvb://233a", "urn:dvb:css:timeline:pts", std::nullopt};
}

ts::apt_ept_lpt apt(std::int64_t content, std::int64_t wall) {
    ts::apt_ept_lpt m;
    m.actual = ts::presentation_timestamp{content, ts::wall_time::at(wall)};
    return m;
}

constexpr const char* available_ct =
    R"({"contentTime":"900000","wallClockTime":"10000000000","timelineSpeedMultiplier":1})";

} // namespace

TEST(TsClient, SetupDataIsTheFirstMessageOfEachConnection) {
    ts::client c(pts_setup());
    EXPECT_EQ(c.take_pending(), std::nullopt); // not connected yet
    EXPECT_FALSE(c.has_pending());
    c.on_open();
    EXPECT_TRUE(c.has_pending());
    // Queued after the set-up data, never before it.
    ASSERT_TRUE(c.send_apt_ept_lpt(apt(1, 2)));
    const auto first = c.take_pending();
    ASSERT_TRUE(first.has_value());
    const auto setup = ts::decode_setup_data(*first);
    ASSERT_TRUE(setup.has_value());
    EXPECT_EQ(*setup, pts_setup());
    const auto second = c.take_pending();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(ts::decode_apt_ept_lpt(*second).value(), apt(1, 2));
    EXPECT_EQ(c.take_pending(), std::nullopt);

    // A new connection sends the set-up data again.
    c.on_close(1000);
    c.on_open();
    EXPECT_EQ(c.take_pending(), ts::encode(pts_setup()));
    EXPECT_EQ(c.take_pending(), std::nullopt);
}

TEST(TsClient, SetupDataKeepsPrivateData) {
    auto setup = pts_setup();
    setup.private_data = dvbcss::json::private_data::parse(R"([{"type":"urn:x","v":1}])").value();
    ts::client c(setup);
    c.on_open();
    const auto text = c.take_pending();
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(ts::decode_setup_data(*text).value(), setup);
}

TEST(TsClient, ControlTimestampIsKeptCountedAndReported) {
    recorder r;
    ts::client c(pts_setup(), r.handlers());
    c.on_open();
    EXPECT_EQ(c.latest(), std::nullopt);
    EXPECT_FALSE(c.on_text(available_ct));
    ASSERT_TRUE(c.latest().has_value());
    EXPECT_EQ(*c.latest(), (ts::control_timestamp{900000, 10'000'000'000, 1.0}));
    EXPECT_FALSE(
        c.on_text(R"({"contentTime":null,"wallClockTime":"5","timelineSpeedMultiplier":null})"));
    EXPECT_EQ(*c.latest(), ts::control_timestamp::unavailable(5));
    EXPECT_EQ(c.control_timestamps_received(), 2U);
    EXPECT_EQ(c.protocol_errors(), 0U);
    EXPECT_EQ(r.events, (std::vector<std::string>{"connected", "ct 10000000000", "ct 5"}));
}

TEST(TsClient, BadControlTimestampIsReturnedAndReported) {
    recorder r;
    ts::client c(pts_setup(), r.handlers());
    c.on_open();
    ASSERT_FALSE(c.on_text(available_ct));
    r.events.clear();
    const auto ec = c.on_text("{not json");
    EXPECT_EQ(ec, make_error_code(errc::bad_json));
    ASSERT_EQ(r.events.size(), 1U);
    EXPECT_EQ(r.events[0], "error " + ec.message() + " [{not json]");
    // The latest good control timestamp survives.
    EXPECT_EQ(c.latest()->content_time, 900000);
    EXPECT_EQ(c.protocol_errors(), 1U);
    EXPECT_EQ(c.control_timestamps_received(), 1U);
    EXPECT_TRUE(c.connected());
}

TEST(TsClient, MissingKeyIsMissingFieldNotACrash) {
    recorder r;
    ts::client c(pts_setup(), r.handlers());
    c.on_open();
    const auto ec = c.on_text(R"({"contentTime":"1","timelineSpeedMultiplier":1})");
    EXPECT_EQ(ec, make_error_code(errc::missing_field));
    EXPECT_EQ(c.last_error_detail().field, "wallClockTime");
    EXPECT_EQ(r.events.back().rfind("error ", 0), 0U);
    EXPECT_EQ(c.latest(), std::nullopt);
}

TEST(TsClient, WrongTypesAndValuesAreProtocolErrors) {
    ts::client c(pts_setup());
    c.on_open();
    // A number where a decimal string is required.
    EXPECT_EQ(c.on_text(R"({"contentTime":1,"wallClockTime":"1","timelineSpeedMultiplier":1})"),
              make_error_code(errc::bad_field_type));
    // Content time without speed.
    EXPECT_EQ(
        c.on_text(R"({"contentTime":"1","wallClockTime":"1","timelineSpeedMultiplier":null})"),
        make_error_code(errc::bad_field_value));
    EXPECT_EQ(c.on_text("[]"), make_error_code(errc::bad_json));
    EXPECT_EQ(c.protocol_errors(), 3U);
}

TEST(TsClient, BinaryFrameIsReported) {
    recorder r;
    ts::client c(pts_setup(), r.handlers());
    c.on_open();
    EXPECT_EQ(c.on_binary(12), make_error_code(errc::binary_frame));
    EXPECT_EQ(r.events.back(), "error " + make_error_code(errc::binary_frame).message() + " []");
    EXPECT_EQ(c.protocol_errors(), 1U);
    EXPECT_EQ(c.latest(), std::nullopt);
}

TEST(TsClient, CloseReportsCodeAndReasonOnce) {
    recorder r;
    ts::client c(pts_setup(), r.handlers());
    c.on_close(1006); // never opened: nothing to report
    EXPECT_TRUE(r.events.empty());
    c.on_open();
    c.on_close(1001, "going away");
    c.on_close(1006);
    EXPECT_EQ(r.events, (std::vector<std::string>{"connected", "disconnected 1001 going away"}));
    EXPECT_FALSE(c.connected());
}

TEST(TsClient, AptEptLptOnlyWhileConnected) {
    ts::client c(pts_setup());
    EXPECT_FALSE(c.send_apt_ept_lpt(apt(1, 2)));
    c.on_open();
    (void)c.take_pending();
    EXPECT_TRUE(c.send_apt_ept_lpt(apt(1, 2)));
    c.on_close(1000);
    // Unsent presentation timestamps are dropped with the connection.
    c.on_open();
    EXPECT_EQ(c.take_pending(), ts::encode(pts_setup()));
    EXPECT_EQ(c.take_pending(), std::nullopt);
    c.on_close(1000);
    EXPECT_FALSE(c.send_apt_ept_lpt(apt(1, 2)));
    EXPECT_EQ(c.take_pending(), std::nullopt);
}

TEST(TsClient, AtMostOneAptEptLptIsPending) {
    ts::client c(pts_setup());
    c.on_open();
    (void)c.take_pending();
    for (std::int64_t i = 0; i < 1000; ++i)
        ASSERT_TRUE(c.send_apt_ept_lpt(apt(i, 10 * i)));
    EXPECT_EQ(c.apt_ept_lpt_replaced(), 999U);
    const auto text = c.take_pending();
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(ts::decode_apt_ept_lpt(*text).value(), apt(999, 9990)); // the newest
    EXPECT_EQ(c.take_pending(), std::nullopt);
    // The default (nothing known) form.
    ASSERT_TRUE(c.send_apt_ept_lpt(ts::apt_ept_lpt{}));
    EXPECT_EQ(ts::decode_apt_ept_lpt(c.take_pending().value()).value(), ts::apt_ept_lpt{});
}

TEST(TsClient, UnencodableAptEptLptThrowsAndKeepsThePendingOne) {
    ts::client c(pts_setup());
    c.on_open();
    (void)c.take_pending();
    ASSERT_TRUE(c.send_apt_ept_lpt(apt(1, 2)));
    ts::apt_ept_lpt bad;
    bad.actual = ts::presentation_timestamp{0, ts::wall_time::plus_infinity()};
    EXPECT_THROW((void)c.send_apt_ept_lpt(bad), std::invalid_argument);
    EXPECT_EQ(ts::decode_apt_ept_lpt(c.take_pending().value()).value(), apt(1, 2));
}

TEST(TsClient, ReopenForgetsThePreviousConnection) {
    ts::client c(pts_setup());
    c.on_open();
    (void)c.on_text(available_ct);
    (void)c.on_text("x");
    c.on_close(1006);
    EXPECT_TRUE(c.latest().has_value()); // kept until the next connection
    c.on_open();
    EXPECT_EQ(c.latest(), std::nullopt);
    EXPECT_EQ(c.control_timestamps_received(), 0U);
    EXPECT_EQ(c.protocol_errors(), 0U);
}
