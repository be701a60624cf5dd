// The programs' stop request (tools/common/stop_signals): SIGINT and SIGTERM read from a signalfd
// on the io_context. A signal sent before the wait, or while the thread is busy, is not lost; the
// handler runs on the io_context; cancel ends the wait. This executable blocks the two signals in
// its own process (the object's job), so it runs alone and starts no child.
#include "common/stop_signals.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <thread>

#include <pthread.h>

namespace dvbcss::tools {
namespace {

using namespace std::chrono_literals;

struct outcome {
    boost::system::error_code ec;
    int signal_number = -1;
};

std::optional<outcome> run_wait(boost::asio::io_context& io, stop_signals& signals) {
    std::optional<outcome> result;
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        result = outcome{ec, signo};
    });
    io.run_for(5s);
    io.restart();
    return result;
}

TEST(StopSignalsTest, ASignalSentBeforeTheWaitIsDeliveredToIt) {
    boost::asio::io_context io;
    stop_signals signals(io);
    ASSERT_EQ(0, kill(getpid(), SIGTERM)); // blocked: pending, not a termination
    const auto result = run_wait(io, signals);
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->ec) << result->ec.message();
    EXPECT_EQ(SIGTERM, result->signal_number);
}

TEST(StopSignalsTest, ASignalSentWhileTheLoopWaitsWakesIt) {
    boost::asio::io_context io;
    stop_signals signals(io);
    std::thread sender([] {
        std::this_thread::sleep_for(100ms);
        kill(getpid(), SIGINT);
    });
    const auto started = std::chrono::steady_clock::now();
    const auto result = run_wait(io, signals);
    sender.join();
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->ec) << result->ec.message();
    EXPECT_EQ(SIGINT, result->signal_number);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
}

TEST(StopSignalsTest, EachSignalCompletesOneWait) {
    boost::asio::io_context io;
    stop_signals signals(io);
    kill(getpid(), SIGINT);
    auto first = run_wait(io, signals);
    ASSERT_TRUE(first);
    EXPECT_EQ(SIGINT, first->signal_number);
    kill(getpid(), SIGTERM);
    auto second = run_wait(io, signals);
    ASSERT_TRUE(second);
    EXPECT_EQ(SIGTERM, second->signal_number);
}

TEST(StopSignalsTest, CancelEndsTheWaitWithOperationAborted) {
    boost::asio::io_context io;
    stop_signals signals(io);
    std::optional<outcome> result;
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        result = outcome{ec, signo};
    });
    signals.cancel();
    io.run_for(5s);
    ASSERT_TRUE(result);
    EXPECT_EQ(boost::asio::error::operation_aborted, result->ec);
    EXPECT_EQ(0, result->signal_number);
}

TEST(StopSignalsTest, BothSignalsAreBlockedInTheConstructingThread) {
    boost::asio::io_context io;
    stop_signals signals(io);
    sigset_t mask;
    ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, nullptr, &mask));
    EXPECT_EQ(1, sigismember(&mask, SIGINT));
    EXPECT_EQ(1, sigismember(&mask, SIGTERM));
}

} // namespace
} // namespace dvbcss::tools
