// Fuzz target: the CSS-WC server core never fails on any datagram; a reply is produced exactly for
// valid requests, is a 32-byte response of the configured type and echoes the originate field.
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/wc/server.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

namespace {

struct fixture {
    dvbcss::clock::sys_clock local{dvbcss::clock::monotonic_time_source::instance(), 1e9, 50};
    dvbcss::clock::correlated_clock wall{local, 1e9, dvbcss::clock::correlation{0, 0, 1e5, 1e-4}};
    dvbcss::wc::server plain{wall};
    dvbcss::wc::server with_followup{wall, dvbcss::wc::server_config{true, {}, {}, 100'000'000}};
};

fixture& the_fixture() {
    static fixture f;
    return f;
}

void check(dvbcss::wc::server& srv, const std::uint8_t* data, std::size_t size, bool followup) {
    using namespace dvbcss::wc;
    const auto bytes = std::as_bytes(std::span(data, size));
    // Receive time from the input too, so odd values (0, huge) are exercised.
    std::int64_t rx = 0;
    if (size >= 8) {
        std::memcpy(&rx, data + size - 8, sizeof rx);
    }
    auto r = srv.on_datagram(bytes, rx);
    const bool valid_request = size == message_size && data[0] == 0 && data[1] == 0;
    if (r.has_value() != valid_request) {
        std::abort();
    }
    if (!r) {
        return;
    }
    r->stamp_transmit(rx);
    if (r->bytes.size() != message_size || r->followup != followup ||
        std::memcmp(r->bytes.data() + originate_offset, data + originate_offset, 8) != 0) {
        std::abort();
    }
    const auto m = decode(r->bytes);
    const auto want = followup ? message_type::response_with_followup : message_type::response;
    if (!m || m->type != want) {
        std::abort();
    }
    if (followup) {
        const auto f = decode(r->make_followup(rx));
        if (!f || f->type != message_type::followup || !(f->originate == m->originate)) {
            std::abort();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& f = the_fixture();
    check(f.plain, data, size, false);
    check(f.with_followup, data, size, true);
    return 0;
}
