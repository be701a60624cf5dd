// tv-device takes every descriptor it may have (soft limit raised to the hard one) and says, with
// the numbers, when the companions it was told to allow cannot all connect at once.
#include "support/child_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

namespace dvbcss::test {
namespace {

using namespace std::chrono_literals;

child_process tv_with_limits(const std::string& ulimits, std::vector<std::string> extra) {
    std::vector<std::string> args{"/bin/sh",
                                  "-c",
                                  ulimits + " && exec \"$0\" \"$@\" 2>&1",
                                  bin_dir + "/tv-device",
                                  "127.0.0.1",
                                  "0",
                                  "127.0.0.1",
                                  "0",
                                  "--cycle",
                                  "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return child_process(args, true);
}

TEST(DescriptorLimit, TheSoftLimitIsRaisedToTheHardOne) {
    auto tv = tv_with_limits("ulimit -Sn 100 && ulimit -Hn 3000", {});
    const auto limit = tv.read_until(std::regex(R"(Descriptor limit: (\d+) \(about)"), 10s);
    EXPECT_EQ(limit, "3000") << tv.output();
}

TEST(DescriptorLimit, CompanionsThatCannotFitAreNamedWithTheNumbers) {
    auto tv = tv_with_limits("ulimit -n 200", {"--max-cii", "150", "--max-ts", "100"});
    const auto line = tv.read_until(
        std::regex(
            R"(tv-device: warning: --max-cii 150 and --max-ts 100: (250 companions need about 282 descriptors, but this process may hold 200 \(hard limit 200\): about 168 can connect at once))"),
        10s);
    EXPECT_FALSE(line.empty()) << tv.output();
    // It still serves.
    EXPECT_FALSE(
        tv.read_until(std::regex(R"(Companion page: http://127\.0\.0\.1:(\d+)/)"), 10s).empty())
        << tv.output();
}

TEST(DescriptorLimit, CompanionsThatFitGetNoWarning) {
    auto tv = tv_with_limits("ulimit -n 1000", {"--max-cii", "100", "--max-ts", "100"});
    ASSERT_FALSE(tv.read_until(std::regex(R"(Descriptor limit: (\d+))"), 10s).empty())
        << tv.output();
    EXPECT_EQ(tv.output().find("warning: --max-cii"), std::string::npos) << tv.output();
}

} // namespace
} // namespace dvbcss::test
