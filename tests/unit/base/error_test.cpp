#include <dvbcss/error.hpp>

#include <gtest/gtest.h>

namespace {

TEST(Error, CodesMapToTheirCondition) {
    const dvbcss::error_code bad = dvbcss::errc::wrong_length;
    EXPECT_EQ(bad, dvbcss::condition::bad_message);
    EXPECT_NE(bad, dvbcss::condition::limit_exceeded);
    const dvbcss::error_code closing = dvbcss::errc::binary_frame;
    EXPECT_EQ(closing, dvbcss::condition::protocol_violation);
    const dvbcss::error_code limit = dvbcss::errc::too_many_connections;
    EXPECT_EQ(limit, dvbcss::condition::limit_exceeded);
    const dvbcss::error_code xml = dvbcss::errc::bad_xml;
    EXPECT_EQ(xml, dvbcss::condition::bad_message);
}

TEST(Error, EveryCodeHasAMessage) {
    for (int i = 1; i <= static_cast<int>(dvbcss::errc::bad_xml); ++i) {
        const dvbcss::error_code ec = static_cast<dvbcss::errc>(i);
        EXPECT_NE(ec.message(), "unknown dvbcss error") << i;
    }
}

TEST(Error, ResultCarriesValueOrError) {
    const dvbcss::result<int> good = 5;
    ASSERT_TRUE(good.has_value());
    EXPECT_EQ(*good, 5);
    const dvbcss::result<int> bad = dvbcss::error_code(dvbcss::errc::bad_json);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error(), dvbcss::errc::bad_json);
}

} // namespace
