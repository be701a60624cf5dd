// Fuzz target: any text that decodes as a CII message must survive encode -> decode unchanged,
// and encoding must then be stable. Bad input must be rejected without crashing or throwing.
#include <dvbcss/cii/message.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto first = dvbcss::cii::decode_cii(text);
    if (!first)
        return 0;
    const std::string encoded = dvbcss::cii::encode(*first);
    const auto second = dvbcss::cii::decode_cii(encoded);
    if (!second || !(*second == *first)) {
        std::fprintf(stderr, "round trip changed the message:\n%s\n", encoded.c_str());
        std::abort();
    }
    if (dvbcss::cii::encode(*second) != encoded) {
        std::fprintf(stderr, "encoding is not stable:\n%s\n", encoded.c_str());
        std::abort();
    }
    return 0;
}
