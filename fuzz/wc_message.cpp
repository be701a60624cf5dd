// Fuzz target: any bytes that decode as a CSS-WC message re-encode to bytes that decode to the
// same message, and the originate field survives bit for bit.
#include <dvbcss/wc/message.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dvbcss::wc;
    const auto bytes = std::as_bytes(std::span(data, size));
    const auto first = decode(bytes);
    if (!first) {
        // Only these three errors exist, and length is checked first.
        if (size != message_size &&
            first.error() != dvbcss::make_error_code(dvbcss::errc::wrong_length)) {
            std::abort();
        }
        return 0;
    }
    const auto encoded = encode(*first);
    const auto second = decode(encoded);
    if (!second || !(*second == *first)) {
        std::abort();
    }
    if (std::memcmp(encoded.data() + originate_offset, data + originate_offset, 8) != 0) {
        std::abort();
    }
    // Everything but the reserved byte and non-normalised receive/transmit is kept verbatim.
    if (std::memcmp(encoded.data(), data, 3) != 0 ||
        std::memcmp(encoded.data() + 4, data + 4, 12) != 0) {
        std::abort();
    }
    return 0;
}
