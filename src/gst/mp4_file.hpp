#pragma once
/// Reads the tracks of a local MP4 file's `moov` box (bounded reads; media/mp4_timescale.hpp
/// parses the bytes).
#include <dvbcss/media/mp4_timescale.hpp>

#include <string>
#include <vector>

namespace dvbcss::gst {

/// The tracks of the MP4 file at `path`; empty if it cannot be read, has no `moov` among its
/// first 4096 top-level boxes, or its `moov` is larger than 64 MiB.
[[nodiscard]] std::vector<media::mp4_track> read_mp4_tracks(const std::string& path);

} // namespace dvbcss::gst
