#include "common/heap_retention.hpp"

#include <climits>

#include <malloc.h>

namespace dvbcss::tools {

bool retain_freed_heap_memory(std::size_t retained_bytes, std::size_t mmap_bytes) noexcept {
    const auto as_int = [](std::size_t v) {
        return v > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(v);
    };
    // mallopt returns 1 on success, 0 on error.
    const bool trim = ::mallopt(M_TRIM_THRESHOLD, as_int(retained_bytes)) == 1;
    const bool mmap = ::mallopt(M_MMAP_THRESHOLD, as_int(mmap_bytes)) == 1;
    return trim && mmap;
}

} // namespace dvbcss::tools
