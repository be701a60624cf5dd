// clocks-and-tasks: the clock model and the scheduler at work, in real time (the reference's
// examples/clocksAndTasks.py, which hangs at its first sleep in every release since 0.4.1).
//
//   clocks-and-tasks [--fast | --scale N] [-q] [--loglevel L] [--version]
//
// A system clock (1 MHz) roots a tunable clock (100 Hz). The program sleeps on each, then ticks a
// 10 Hz clock (a child of the tunable clock) once per second in a second coroutine while the
// tunable clock doubles its speed halfway through: the ticks then come every 0.5 s. Finally it
// schedules callbacks on the tunable clock, once one at a time and once all in advance with a
// speed change among them. Every line starts with the real time elapsed since start, so the
// intervals can be read off. --scale N divides every wait by N (--fast is --scale 10); tick
// values are unchanged because every tick rate is multiplied by N instead.
//
// Everything runs on one io_context thread; the reference's threads become coroutines.

#include "common/cli.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/clock/tunable_clock.hpp>
#include <dvbcss/net/asio_scheduler.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

namespace {

namespace asio = boost::asio;
using dvbcss::tick_t;
using dvbcss::clock::correlated_clock;
using dvbcss::clock::correlation;
using dvbcss::clock::sys_clock;
using dvbcss::clock::tunable_clock;
using dvbcss::net::asio_scheduler;

/// Prints one line prefixed with the real time elapsed since `start_ns`, in seconds.
class printer {
public:
    printer(std::int64_t start_ns, bool quiet)
        : start_ns_(start_ns)
        , quiet_(quiet) {}

    [[gnu::format(printf, 2, 3)]] void line(const char* format, ...) const {
        if (quiet_) {
            return;
        }
        const auto elapsed = static_cast<double>(asio_scheduler::now_ns() - start_ns_) / 1e9;
        std::printf("[%8.3f s] ", elapsed);
        va_list args;
        va_start(args, format);
        std::vprintf(format, args);
        va_end(args);
        std::printf("\n");
        std::fflush(stdout);
    }

private:
    std::int64_t start_ns_;
    bool quiet_;
};

/// The state shared by the coroutines of the demonstration.
struct demo {
    double scale = 1.0;
    printer out{0, true};
    asio_scheduler& sched;
    sys_clock& sys;
    tunable_clock& t_clock;

    /// One second of the system clock, shortened by the scale.
    [[nodiscard]] tick_t sys_seconds(double s) const {
        return static_cast<tick_t>(sys.tick_rate() * s / scale);
    }

    /// The second coroutine: a 10 Hz clock under the tunable clock, ticking once per second.
    asio::awaitable<void> ticker() {
        correlated_clock c_clock(t_clock, 10 * scale, correlation{t_clock.ticks(), 0});
        for (int i = 0; i < 10; ++i) {
            co_await sched.sleep_until(c_clock, static_cast<tick_t>(i * 10));
            out.line("Tick %.2f", static_cast<double>(c_clock.ticks()));
        }
    }

    asio::awaitable<void> main_sequence() {
        for (int i = 0; i < 2; ++i) {
            out.line("Sleeping for 1 second according to sys clock");
            co_await sched.sleep_until(sys, sys.ticks() + sys_seconds(1));
            out.line("Woken");
        }
        for (int i = 3; i <= 4; ++i) {
            out.line("Sleeping for 1 second according to tunable clock");
            co_await sched.sleep_until(t_clock, static_cast<tick_t>(i * 100));
            out.line("Woken");
        }

        out.line("Starting 1 tick per second in a separate coroutine for 10 seconds");
        out.line("Will double clock speed halfway through");
        asio::co_spawn(sched.get_executor(), ticker(), [this](const std::exception_ptr& e) {
            if (e) {
                out.line("Ticker ended with an error");
            }
        });
        co_await sched.sleep_until(t_clock, t_clock.ticks() + 500);
        t_clock.set_speed(2.0);
        out.line("Speed doubled");
        co_await sched.sleep_until(t_clock, t_clock.ticks() + 600);

        out.line("Scheduling call back in 2 seconds...");
        sched.run_at(t_clock, t_clock.ticks() + 400,
                     [this] { out.line("Scheduled task ran. Message was: %s", "huzzah!"); });
        co_await sched.sleep_until(sys, sys.ticks() + sys_seconds(5));

        out.line("Now same again, but with all callbacks scheduled in advance");
        t_clock.set_slew(0); // back to speed 1
        const tick_t now = t_clock.ticks();
        for (int i = 1; i <= 10; ++i) {
            sched.run_at(t_clock, now + static_cast<tick_t>(100 * i), [this, i] {
                out.line("Scheduled task ran. Message was: Tick %d", 100 * i);
            });
        }
        sched.run_at(t_clock, now + 500, [this] {
            const double slew = t_clock.tick_rate(); // +100 Hz at the unscaled 100 Hz: speed 2
            t_clock.set_slew(slew);
            out.line("Adjusted tClock frequency by +%.0f Hz (speed %.1f)", slew / scale,
                     t_clock.speed());
        });
        co_await sched.sleep_until(sys, sys.ticks() + sys_seconds(11));
        out.line("Done");
    }
};

} // namespace

int main(int argc, char** argv) {
    return dvbcss::tools::run_main([&] {
        CLI::App app{"Clocks and scheduled tasks in real time: sleeps, ticks and callbacks on a "
                     "clock whose speed changes (the reference's clocksAndTasks example)",
                     "clocks-and-tasks"};
        app.footer(dvbcss::tools::exit_status_help);
        dvbcss::tools::common_options common;
        dvbcss::tools::add_common_options(app, common);
        bool fast = false;
        double scale = 1.0;
        auto* fast_flag =
            app.add_flag("--fast", fast, "Divide every wait by 10 (same as --scale 10)");
        app.add_option("--scale", scale, "Divide every wait by this factor (default 1)")
            ->check(dvbcss::tools::number_between(0.01, 1000.0))
            ->excludes(fast_flag);
        if (const auto exit_code = dvbcss::tools::parse_command_line(app, argc, argv, common)) {
            return *exit_code;
        }
        if (fast) {
            scale = 10.0;
        }

        asio::io_context io;
        sys_clock sys(dvbcss::clock::monotonic_time_source::instance(), 1e6);
        tunable_clock t_clock(sys, 100 * scale);
        asio_scheduler sched(io.get_executor());
        demo d{scale, printer(asio_scheduler::now_ns(), common.quiet), sched, sys, t_clock};

        std::exception_ptr failure;
        asio::co_spawn(io, d.main_sequence(), [&](const std::exception_ptr& e) {
            failure = e;
            sched.stop(); // ends anything still scheduled, so run() returns
        });
        io.run();
        if (failure) {
            std::rethrow_exception(failure);
        }
        return 0;
    });
}
