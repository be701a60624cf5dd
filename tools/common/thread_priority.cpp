#include "common/thread_priority.hpp"

#include <cstdint>

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dvbcss::tools {

namespace {

/// The kernel's `struct sched_attr` (uapi linux/sched/types.h, SCHED_ATTR_SIZE_VER1: 56 bytes),
/// whose header cannot be included beside glibc's <sched.h>.
struct sched_attr {
    std::uint32_t size = 0;
    std::uint32_t sched_policy = 0;
    std::uint64_t sched_flags = 0;
    std::int32_t sched_nice = 0;
    std::uint32_t sched_priority = 0;
    std::uint64_t sched_runtime = 0;
    std::uint64_t sched_deadline = 0;
    std::uint64_t sched_period = 0;
    std::uint32_t sched_util_min = 0;
    std::uint32_t sched_util_max = 0;
};

static_assert(sizeof(sched_attr) == 56);

} // namespace

bool request_time_slice(std::chrono::nanoseconds slice) noexcept {
    // glibc 2.36 (Debian 12) has no sched_setattr wrapper: the system calls directly.
    sched_attr attr;
    attr.size = sizeof attr;
    attr.sched_policy = SCHED_OTHER;
    attr.sched_nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    attr.sched_runtime = static_cast<std::uint64_t>(slice.count());
    if (::syscall(SYS_sched_setattr, 0, &attr, 0U) != 0) {
        return false;
    }
    // Kernels without custom slices accept and ignore sched_runtime; those with them report the
    // slice in use.
    sched_attr applied;
    if (::syscall(SYS_sched_getattr, 0, &applied, sizeof applied, 0U) != 0) {
        return false;
    }
    return applied.sched_runtime == attr.sched_runtime;
}

bool set_thread_niceness(int nice) noexcept {
    return ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice) == 0;
}

} // namespace dvbcss::tools
