#pragma once

/// How a server program asks the C library's allocator to keep memory it has freed (glibc).

#include <cstddef>

namespace dvbcss::tools {

/// Asks glibc's malloc to keep up to `retained_bytes` of freed heap memory instead of handing it
/// back to the kernel (`M_TRIM_THRESHOLD`), and to take blocks below `mmap_bytes` from the heap
/// (`M_MMAP_THRESHOLD`). A server that fans one change out to thousands of connections allocates
/// and frees the same few hundred KiB of lists every change; by default glibc returned them and
/// the next change faulted them back in (about 60 page faults per change to 10 000 companions on
/// the owner thread of `tv-device`, about 8 % of its time: docs/architecture.md). Returns false
/// if the allocator refused either setting (other allocators ignore them and report success or
/// failure as they do).
///
/// Thread safety: process-wide; call once at start, before threads allocate.
bool retain_freed_heap_memory(std::size_t retained_bytes = std::size_t{64} << 20,
                              std::size_t mmap_bytes = std::size_t{4} << 20) noexcept;

} // namespace dvbcss::tools
