#pragma once

// Private helper of the estimators: the wall clock's parent, checked once at construction.

#include <dvbcss/clock/clock_base.hpp>

#include <stdexcept>

namespace dvbcss::wc::detail {

inline const clock::clock_base& local_clock_of(const clock::clock_base& wall_clock) {
    const clock::clock_base* p = wall_clock.parent();
    if (p == nullptr) {
        throw std::invalid_argument(
            "wc estimator: the wall clock must have a parent (local) clock");
    }
    return *p;
}

} // namespace dvbcss::wc::detail
