#pragma once
/// Reads the TEMI timelines of a local MPEG transport stream file from its first bytes (bounded
/// reads; media/pts_scanner.hpp and media/temi_timelines.hpp parse them).
#include <dvbcss/media/temi_timelines.hpp>

#include <cstddef>
#include <string>

namespace dvbcss::gst {

/// The first bytes of a file read for its TEMI timelines (16 MiB: 44 s at 3 Mbit/s).
inline constexpr std::size_t ts_temi_scan_bytes = std::size_t{16} << 20;

/// What `read_ts_temi` found.
struct ts_temi_scan {
    media::temi_timeline_finder timelines;
    bool whole_file = false; ///< The file ended within the bytes read.
};

/// The TEMI timelines whose descriptors start in the first `max_bytes` of the file at `path`;
/// none if it cannot be read.
[[nodiscard]] ts_temi_scan read_ts_temi(const std::string& path,
                                        std::size_t max_bytes = ts_temi_scan_bytes);

} // namespace dvbcss::gst
