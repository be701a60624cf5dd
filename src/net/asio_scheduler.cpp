#include <dvbcss/net/asio_scheduler.hpp>
#include <dvbcss/net/log.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace dvbcss::net {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

// Deadlines are CLOCK_MONOTONIC nanoseconds; steady_clock counts the same nanoseconds.
static_assert(std::is_same_v<steady::duration, std::chrono::nanoseconds>,
              "steady_clock must count nanoseconds to share the clock tree's time base");

namespace {

steady::time_point to_time_point(std::int64_t ns) {
    return steady::time_point(std::chrono::nanoseconds(ns));
}

/// Tells the CPU this is a spin-wait loop (saves power, frees a hyper-thread's resources).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

[[noreturn]] void throw_aborted() {
    throw boost::system::system_error(asio::error::operation_aborted);
}

void log_task_exception(clock::task_id id, const std::exception_ptr& e) {
    std::string what = "unknown exception";
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        what = ex.what();
    } catch (...) {
    }
    log::write(log::level::error, "scheduler",
               "scheduled task " + std::to_string(id) + " threw: " + what);
}

/// One coroutine waiting in sleep_until: a timer that never expires by itself, completed early by
/// the scheduled task (success) or cancelled by stop()/per-operation cancellation (abort).
struct sleeper {
    explicit sleeper(const asio::any_io_executor& ex)
        : timer(ex, steady::time_point::max()) {}

    asio::steady_timer timer;
    bool fired = false;
    clock::task_id task = 0;
};

} // namespace

struct asio_scheduler::impl : std::enable_shared_from_this<impl> {
    impl(executor_type ex, asio_scheduler_options opts)
        : executor(std::move(ex))
        , options(opts)
        , core(opts.unavailable)
        , timer(executor) {}

    /// Points the timer at the core's earliest deadline (minus the spin stretch), unless it
    /// already waits for it.
    void rearm() {
        if (stopped) {
            return;
        }
        const auto next = core.next_deadline();
        if (next == armed) {
            return;
        }
        armed = next;
        const auto generation_now = ++generation;
        if (!next) {
            timer.cancel();
            return;
        }
        const std::int64_t spin_ns = options.spin.count() > 0 ? options.spin.count() : 0;
        // Anything at or before the epoch is simply "now"; avoids overflow for saturated values.
        const std::int64_t wake_ns = *next - spin_ns > 0 ? *next - spin_ns : 0;
        timer.expires_at(to_time_point(wake_ns));
        timer.async_wait([weak = weak_from_this(), generation_now](const error_code& ec) {
            if (auto self = weak.lock()) {
                self->on_timer(generation_now, ec);
            }
        });
    }

    void on_timer(std::uint64_t generation_then, const error_code& ec) {
        if (generation_then != generation || stopped || ec == asio::error::operation_aborted) {
            return; // superseded by a re-arm, or stopped
        }
        armed.reset();
        if (const auto next = core.next_deadline()) {
            // The timer fired up to `spin` early: poll the last stretch.
            std::int64_t now = now_ns();
            const std::int64_t remaining = *next - now;
            if (remaining > 0 && remaining <= options.spin.count()) {
                while (now < *next) {
                    if (options.spin_style == spin_wait::yield) {
                        std::this_thread::yield();
                    } else {
                        cpu_relax();
                    }
                    now = now_ns();
                }
            }
        }
        core.run_due(now_ns());
        rearm();
    }

    void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        ++generation;
        armed.reset();
        timer.cancel();
        core.clear();
        for (auto* s : sleepers) {
            s->timer.cancel();
        }
    }

    executor_type executor;
    asio_scheduler_options options;
    clock::scheduler core;
    asio::steady_timer timer;
    /// The deadline the pending timer wait serves (nullopt: none pending).
    std::optional<std::int64_t> armed;
    /// Bumped by every re-arm and by stop(), so a completion of an older wait is ignored.
    std::uint64_t generation = 0;
    bool stopped = false;
    /// Coroutines currently inside sleep_until (each removes itself on the way out).
    std::set<sleeper*> sleepers;

    /// Registers a sleeper for its whole wait; on the way out (normal, abort, or the coroutine
    /// frame destroyed unresumed) cancels its task and deregisters, if the scheduler still exists.
    class registration {
    public:
        registration(std::weak_ptr<impl> owner, sleeper& s)
            : owner_(std::move(owner))
            , sleeper_(s) {
            if (auto o = owner_.lock()) {
                o->sleepers.insert(&sleeper_);
            }
        }

        ~registration() {
            if (auto o = owner_.lock()) {
                if (sleeper_.task != 0) {
                    o->core.cancel(sleeper_.task);
                }
                o->sleepers.erase(&sleeper_);
            }
        }

        registration(const registration&) = delete;
        registration& operator=(const registration&) = delete;
        registration(registration&&) = delete;
        registration& operator=(registration&&) = delete;

    private:
        std::weak_ptr<impl> owner_;
        sleeper& sleeper_;
    };
};

asio_scheduler::asio_scheduler(executor_type executor, asio_scheduler_options options)
    : impl_(std::make_shared<impl>(std::move(executor), options)) {
    impl* raw = impl_.get();
    impl_->core.set_wakeup_changed([raw] { raw->rearm(); });
    impl_->core.set_error_handler(log_task_exception);
}

asio_scheduler::~asio_scheduler() {
    impl_->stop();
}

clock::task_id asio_scheduler::run_at(clock::clock_base& clock, tick_t when,
                                      std::function<void()> work) {
    if (impl_->stopped) {
        return 0;
    }
    return impl_->core.run_at(clock, when, std::move(work));
}

bool asio_scheduler::cancel(clock::task_id id) {
    return impl_->core.cancel(id);
}

asio::awaitable<void> asio_scheduler::sleep_until(clock::clock_base& clock, tick_t when) {
    // Everything after the first suspension goes through `owner`: the scheduler may be gone.
    const std::weak_ptr<impl> owner = impl_;
    if (impl_->stopped) {
        throw_aborted();
    }
    sleeper s(impl_->executor);
    const impl::registration registration(owner, s);
    s.task = impl_->core.run_at(clock, when, [p = &s] {
        p->fired = true;
        p->task = 0;
        // Completes a pending wait, and makes a wait not yet started complete at once.
        p->timer.expires_at(steady::time_point::min());
    });
    [[maybe_unused]] auto [ec] = co_await s.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!s.fired) {
        throw_aborted();
    }
}

asio::awaitable<void> asio_scheduler::sleep_for(clock::clock_base& clock, tick_t ticks) {
    return sleep_until(clock, clock.ticks() + ticks);
}

void asio_scheduler::stop() {
    impl_->stop();
}

bool asio_scheduler::stopped() const {
    return impl_->stopped;
}

void asio_scheduler::set_error_handler(error_handler handler) {
    impl_->core.set_error_handler(std::move(handler));
}

const clock::scheduler& asio_scheduler::core() const {
    return impl_->core;
}

asio_scheduler::executor_type asio_scheduler::get_executor() const {
    return impl_->executor;
}

const asio_scheduler_options& asio_scheduler::options() const {
    return impl_->options;
}

std::int64_t asio_scheduler::now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
        .count();
}

} // namespace dvbcss::net
