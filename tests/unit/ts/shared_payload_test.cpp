// CSS-TS fan-out: companions of one timeline share one encoded control timestamp.

#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/ts/server.hpp>
#include <dvbcss/ts/timeline_source.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include <support/fake_time_source.hpp>

namespace ts = dvbcss::ts;
namespace clk = dvbcss::clock;
using dvbcss::connection_id;

namespace {

constexpr const char* pts = "urn:dvb:css:timeline:pts";
constexpr const char* temi = "urn:dvb:css:timeline:temi:1:1";

// A source serving one fixed selector whose value the test sets and pushes.
class settable_source final : public ts::timeline_source {
public:
    explicit settable_source(std::string selector)
        : selector_(std::move(selector)) {}

    [[nodiscard]] bool recognises(std::string_view selector) const override {
        return selector == selector_;
    }

    [[nodiscard]] std::optional<ts::control_timestamp>
    control_timestamp_for(std::string_view /*selector*/) override {
        return ct_;
    }

    void set(ts::control_timestamp ct) {
        ct_ = ct;
        notify_changed(selector_);
    }

private:
    std::string selector_;
    std::optional<ts::control_timestamp> ct_;
};

struct fixture {
    dvbcss::test::fake_time_source time{1'000'000'000'000};
    clk::sys_clock wall{time, 1e9};
    ts::server srv{wall, std::string("dvb://a")};

    void open_and_setup(connection_id id, const char* selector) {
        srv.on_open(id, dvbcss::connection_origin{"127.0.0.1", 7681, ""});
        EXPECT_FALSE(srv.on_text(id, ts::encode(ts::setup_data{"", selector, std::nullopt})));
    }
};

} // namespace

TEST(TsSharedPayload, CompanionsOfOneTimelineShareOneEncoding) {
    fixture f;
    settable_source p(pts);
    settable_source t(temi);
    f.srv.attach(p);
    f.srv.attach(t);
    p.set({10, 20, 1.0});
    t.set({30, 40, 1.0});
    for (connection_id id = 1; id <= 200; ++id) {
        f.open_and_setup(id, id % 2 == 0 ? pts : temi);
    }
    EXPECT_EQ(f.srv.take_dirty().size(), 200U);
    const auto even = f.srv.take_pending_shared(2);
    const auto odd = f.srv.take_pending_shared(1);
    ASSERT_TRUE(even && odd);
    EXPECT_NE(even, odd);
    for (connection_id id = 3; id <= 200; ++id) {
        EXPECT_EQ(f.srv.take_pending_shared(id), id % 2 == 0 ? even : odd) << id;
    }
    EXPECT_EQ(f.srv.stats().control_timestamps_encoded, 2U);
    EXPECT_EQ(f.srv.stats().control_timestamps_sent, 200U);
    EXPECT_EQ(ts::decode_control_timestamp(*even)->content_time, 10);

    // A change of one timeline: its companions share the new encoding; the others have nothing.
    p.set({11, 21, 0.0});
    const auto dirty = f.srv.take_dirty();
    EXPECT_EQ(dirty.size(), 100U);
    const auto changed = f.srv.take_pending_shared(4);
    ASSERT_TRUE(changed);
    for (const auto id : dirty) {
        if (id != 4) {
            EXPECT_EQ(f.srv.take_pending_shared(id), changed) << id;
        }
    }
    EXPECT_EQ(f.srv.take_pending_shared(1), nullptr);
    EXPECT_EQ(f.srv.stats().control_timestamps_encoded, 3U);
}

TEST(TsSharedPayload, TakePendingGivesTheSameBytes) {
    fixture f;
    settable_source p(pts);
    f.srv.attach(p);
    p.set({10, 20, 1.5});
    f.open_and_setup(1, pts);
    f.open_and_setup(2, pts);
    const auto text = f.srv.take_pending(1);
    const auto shared = f.srv.take_pending_shared(2);
    ASSERT_TRUE(text && shared);
    EXPECT_EQ(*text, *shared);
}
