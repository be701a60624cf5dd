// Fuzz target: any datagram parses to an SSDP message or to one of the library's errors, never
// throws or reads past its end; what parses formats without throwing (no CR or LF can survive
// parsing) and re-parses to the same message kind with the same fields.
#include <dvbcss/dial/ssdp.hpp>
#include <dvbcss/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

using namespace dvbcss::dial;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// Formatted text can only be larger than the input by the fields the formatter adds.
ssdp_limits roomy() {
    ssdp_limits limits;
    limits.max_datagram_bytes = 64 * 1024;
    return limits;
}

void check_search(const ssdp_search& first) {
    check(first.mx_s >= 1 && first.mx_s <= 5);
    check(!first.search_target.empty());
    const auto again = parse_ssdp(format_ssdp(first), roomy());
    check(again && std::holds_alternative<ssdp_search>(*again));
    const auto& second = std::get<ssdp_search>(*again);
    check(second.search_target == first.search_target && second.mx_s == first.mx_s &&
          second.user_agent == first.user_agent);
}

void check_response(const ssdp_search_response& first) {
    check(first.max_age_s >= 0);
    const auto again = parse_ssdp(format_ssdp(first), roomy());
    check(again && std::holds_alternative<ssdp_search_response>(*again));
    const auto& second = std::get<ssdp_search_response>(*again);
    check(second.location == first.location && second.search_target == first.search_target &&
          second.usn == first.usn && second.max_age_s == first.max_age_s &&
          second.server == first.server);
}

void check_notify(const ssdp_notify& first) {
    check(first.max_age_s >= 0);
    check(first.alive || first.location.empty());
    const auto again = parse_ssdp(format_ssdp(first), roomy());
    check(again && std::holds_alternative<ssdp_notify>(*again));
    const auto& second = std::get<ssdp_notify>(*again);
    check(second.alive == first.alive && second.notification_type == first.notification_type &&
          second.usn == first.usn && second.location == first.location &&
          second.max_age_s == first.max_age_s && second.server == first.server);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view datagram(reinterpret_cast<const char*>(data), size);
    const auto parsed = parse_ssdp(datagram);
    if (!parsed) {
        check(parsed.error().category() == dvbcss::error_category());
        check(parsed.error() == dvbcss::condition::bad_message ||
              parsed.error() == dvbcss::errc::message_too_large);
        return 0;
    }
    const ssdp_limits limits;
    check(size <= limits.max_datagram_bytes);
    std::visit(
        [](const auto& message) {
            check(message.headers.fields.size() <= ssdp_limits{}.max_headers);
            for (const auto& [name, value] : message.headers.fields) {
                check(!name.empty() && value.size() <= ssdp_limits{}.max_header_value_bytes);
            }
        },
        *parsed);
    if (const auto* search = std::get_if<ssdp_search>(&*parsed)) {
        check_search(*search);
    } else if (const auto* response = std::get_if<ssdp_search_response>(&*parsed)) {
        check_response(*response);
    } else {
        check_notify(std::get<ssdp_notify>(*parsed));
    }
    return 0;
}
