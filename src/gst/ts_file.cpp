#include "gst/ts_file.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace dvbcss::gst {

ts_temi_reader::ts_temi_reader(const std::string& path)
    : file_(path, std::ios::binary) {}

bool ts_temi_reader::read_more(std::size_t max_bytes) {
    std::vector<char> chunk(std::size_t{64} << 10);
    std::size_t read = 0;
    while (!ended_ && read < max_bytes) {
        file_.read(chunk.data(),
                   static_cast<std::streamsize>(std::min(chunk.size(), max_bytes - read)));
        const auto got = static_cast<std::size_t>(file_.gcount());
        if (got == 0 || !file_) {
            ended_ = true; // a short read: the end of the file (or an error)
        }
        read += got;
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(chunk.data());
        timelines_.add_all(scanner_.feed(std::span<const std::uint8_t>(bytes, got)), scanner_);
    }
    read_ += read;
    return ended_;
}

} // namespace dvbcss::gst
