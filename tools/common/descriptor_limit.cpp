#include "common/descriptor_limit.hpp"

#include <sys/resource.h>

namespace dvbcss::tools {

namespace {

std::uint64_t as_count(rlim_t value) {
    return value == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(value);
}

} // namespace

std::optional<descriptor_limit> raise_descriptor_limit() {
    rlimit limits{};
    if (::getrlimit(RLIMIT_NOFILE, &limits) != 0) {
        return std::nullopt;
    }
    descriptor_limit out;
    out.soft_before = as_count(limits.rlim_cur);
    out.hard = as_count(limits.rlim_max);
    if (limits.rlim_cur != limits.rlim_max) {
        rlimit raised = limits;
        raised.rlim_cur = limits.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            limits = raised;
        }
    }
    out.soft = as_count(limits.rlim_cur);
    return out;
}

std::optional<std::string> descriptor_shortfall(const descriptor_limit& limit,
                                                std::int64_t companions) {
    if (companions < 0 || limit.soft == UINT64_MAX) {
        return std::nullopt;
    }
    const auto needed = static_cast<std::uint64_t>(companions) + descriptors_besides_connections;
    if (needed <= limit.soft) {
        return std::nullopt;
    }
    const auto fit = limit.soft > descriptors_besides_connections
                         ? limit.soft - descriptors_besides_connections
                         : 0;
    return std::to_string(companions) + " companions need about " + std::to_string(needed) +
           " descriptors, but this process may hold " + std::to_string(limit.soft) +
           " (hard limit " + std::to_string(limit.hard) + "): about " + std::to_string(fit) +
           " can connect at once; raise the hard limit (ulimit -Hn) or allow fewer";
}

} // namespace dvbcss::tools
