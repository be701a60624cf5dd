#include "gst/ts_file.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <vector>

namespace dvbcss::gst {

ts_temi_scan read_ts_temi(const std::string& path, std::size_t max_bytes) {
    ts_temi_scan scan;
    media::pts_scanner scanner;
    std::ifstream file(path, std::ios::binary);
    std::vector<char> chunk(std::size_t{64} << 10);
    std::size_t read = 0;
    while (file && read < max_bytes) {
        file.read(chunk.data(),
                  static_cast<std::streamsize>(std::min(chunk.size(), max_bytes - read)));
        const auto got = static_cast<std::size_t>(file.gcount());
        if (got == 0) {
            break;
        }
        read += got;
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(chunk.data());
        scan.timelines.add_all(scanner.feed(std::span<const std::uint8_t>(bytes, got)), scanner);
    }
    if (read < max_bytes) {
        scan.whole_file = true; // the file ended before the bound
    }
    return scan;
}

} // namespace dvbcss::gst
