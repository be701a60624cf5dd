#pragma once
/// Reads the TEMI timelines of a local MPEG transport stream file (bounded reads;
/// media/pts_scanner.hpp and media/temi_timelines.hpp parse them): its first bytes before serving,
/// the rest in the background.
#include <dvbcss/media/temi_timelines.hpp>

#include <cstddef>
#include <fstream>
#include <string>

namespace dvbcss::gst {

/// The first bytes of a file read for its TEMI timelines before serving (16 MiB: 44 s at
/// 3 Mbit/s).
inline constexpr std::size_t ts_temi_scan_bytes = std::size_t{16} << 20;

/// Reads a transport stream file for its TEMI timelines, as far as asked, and on from there when
/// asked again.
///
/// Thread safety: distinct objects safe; shared objects unsafe (one thread reads at a time).
class ts_temi_reader {
public:
    /// Opens `path`; a file that cannot be read reads as empty.
    explicit ts_temi_reader(const std::string& path);

    /// Reads at most `max_bytes` more. Returns true once the file has ended (or cannot be read).
    bool read_more(std::size_t max_bytes);

    /// What the bytes read so far carry.
    [[nodiscard]] const media::temi_timeline_finder& timelines() const noexcept {
        return timelines_;
    }

    [[nodiscard]] std::size_t bytes_read() const noexcept { return read_; }

    [[nodiscard]] bool ended() const noexcept { return ended_; }

private:
    std::ifstream file_;
    media::pts_scanner scanner_;
    media::temi_timeline_finder timelines_;
    std::size_t read_ = 0;
    bool ended_ = false;
};

} // namespace dvbcss::gst
