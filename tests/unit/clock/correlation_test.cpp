#include <dvbcss/clock/correlation.hpp>

#include <gtest/gtest.h>

namespace dvbcss::clock {
namespace {

TEST(Correlation, TwoValuesGiveZeroError) {
    const correlation c{5, 7};
    EXPECT_EQ(c.parent_ticks, 5.0L);
    EXPECT_EQ(c.child_ticks, 7.0L);
    EXPECT_EQ(c.initial_error_ns, 0.0);
    EXPECT_EQ(c.error_growth_rate, 0.0);
}

TEST(Correlation, DefaultIsOriginToOrigin) {
    const correlation c;
    EXPECT_EQ(c, (correlation{0, 0, 0, 0}));
}

TEST(Correlation, StoresAllFourFields) {
    const correlation c{1, 2, 3, 4};
    EXPECT_EQ(c.parent_ticks, 1.0L);
    EXPECT_EQ(c.child_ticks, 2.0L);
    EXPECT_EQ(c.initial_error_ns, 3.0);
    EXPECT_EQ(c.error_growth_rate, 4.0);
}

TEST(Correlation, EqualOnlyIfAllFieldsEqual) {
    const correlation base{1, 2, 3, 4};
    EXPECT_TRUE(base == (correlation{1, 2, 3, 4}));
    EXPECT_FALSE(base != (correlation{1, 2, 3, 4}));
    for (const auto& other : {correlation{9, 2, 3, 4}, correlation{1, 9, 3, 4},
                              correlation{1, 2, 9, 4}, correlation{1, 2, 3, 9}}) {
        EXPECT_FALSE(base == other);
        EXPECT_TRUE(base != other);
    }
}

TEST(Correlation, WithReplacesOneFieldAndKeepsTheOthers) {
    const correlation base{1, 2, 3, 4};
    EXPECT_EQ(base.with_parent_ticks(10), (correlation{10, 2, 3, 4}));
    EXPECT_EQ(base.with_child_ticks(10), (correlation{1, 10, 3, 4}));
    EXPECT_EQ(base.with_initial_error_ns(10), (correlation{1, 2, 10, 4}));
    EXPECT_EQ(base.with_error_growth_rate(10), (correlation{1, 2, 3, 10}));
    EXPECT_EQ(base, (correlation{1, 2, 3, 4})) << "the original is unchanged";
}

TEST(Correlation, StructuredBindingUnpacksAllFields) {
    const correlation c{11, 22, 0.5, 0.25};
    const auto [p, ch, ie, egr] = c;
    EXPECT_EQ(p, 11.0L);
    EXPECT_EQ(ch, 22.0L);
    EXPECT_EQ(ie, 0.5);
    EXPECT_EQ(egr, 0.25);
}

} // namespace
} // namespace dvbcss::clock
