#pragma once
// Transport streams the media tests make from the generated test media: TEMI timelines added by
// the add_temi tool, and null packets inserted to push what follows beyond a reader's first bytes.

#include "support/child_process.hpp"

#include <chrono>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace dvbcss::test {

/// Runs add_temi on the test media's clicks.ts into `out` with `args` (e.g. "--timeline",
/// "1:1000:0", "--jump", "1:12:500"): its exit status (-1 if it did not end within 20 s) and
/// what it printed.
inline std::pair<int, std::string> add_temi_to_clicks(const std::string& out,
                                                      const std::vector<std::string>& args) {
    std::vector<std::string> command{std::string(DVBCSS_BIN_DIR) + "/add_temi",
                                     std::string(DVBCSS_TEST_MEDIA_DIR) + "/clicks.ts", out};
    command.insert(command.end(), args.begin(), args.end());
    child_process tool(command);
    const int status = tool.wait_exit(std::chrono::seconds(20));
    return {status, tool.output()};
}

/// Copies the transport stream `in` to `out` with `bytes` of null packets (PID 0x1FFF, which a
/// demuxer skips) inserted after the first `fraction` of its packets.
inline void copy_with_null_packets(const std::string& in, const std::string& out, double fraction,
                                   std::size_t bytes) {
    constexpr std::size_t packet = 188;
    std::ifstream from(in, std::ios::binary);
    const std::string ts((std::istreambuf_iterator<char>(from)), {});
    const auto at =
        static_cast<std::size_t>(static_cast<double>(ts.size() / packet) * fraction) * packet;
    std::string null_packet(packet, '\xFF');
    null_packet.replace(0, 4, "\x47\x1F\xFF\x10", 4);
    std::ofstream to(out, std::ios::binary);
    to.write(ts.data(), static_cast<std::streamsize>(at));
    for (std::size_t written = 0; written + packet <= bytes; written += packet) {
        to.write(null_packet.data(), packet);
    }
    to.write(ts.data() + at, static_cast<std::streamsize>(ts.size() - at));
}

/// Copies the transport stream `in` to `out` with `nulls` null packets after each of its
/// packets: a file (1 + `nulls`) times as long whose bytes still advance evenly with time, as a
/// long recording's do (a demuxer's seeks, which estimate by bytes, still land where they aim).
inline void copy_spread_with_null_packets(const std::string& in, const std::string& out,
                                          std::size_t nulls) {
    constexpr std::size_t packet = 188;
    std::ifstream from(in, std::ios::binary);
    const std::string ts((std::istreambuf_iterator<char>(from)), {});
    std::string null_packet(packet, '\xFF');
    null_packet.replace(0, 4, "\x47\x1F\xFF\x10", 4);
    std::string padding;
    for (std::size_t i = 0; i < nulls; ++i) {
        padding += null_packet;
    }
    std::ofstream to(out, std::ios::binary);
    for (std::size_t at = 0; at + packet <= ts.size(); at += packet) {
        to.write(ts.data() + at, static_cast<std::streamsize>(packet));
        to.write(padding.data(), static_cast<std::streamsize>(padding.size()));
    }
}

} // namespace dvbcss::test
