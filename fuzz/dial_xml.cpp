// Fuzz target: any text given to both DIAL XML parsers (device description, HbbTV application)
// gives a value or one of the library's errors, never throws, recurses without bound or expands
// an entity; what parses formats and re-parses to the same fields.
#include <dvbcss/dial/description.hpp>
#include <dvbcss/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace dvbcss::dial;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

void check_error(const dvbcss::error_code& error) {
    check(error == dvbcss::errc::bad_xml || error == dvbcss::errc::missing_field ||
          error == dvbcss::errc::message_too_large);
}

// Escaping can make formatted text several times larger than what was read.
xml_limits roomy() {
    xml_limits limits;
    limits.max_bytes = 1024 * 1024;
    return limits;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view xml(reinterpret_cast<const char*>(data), size);

    const auto device = parse_device_description(xml);
    if (!device) {
        check_error(device.error());
    } else {
        check(size <= xml_limits{}.max_bytes && !device->udn.empty());
        const auto again = parse_device_description(format_device_description(*device), roomy());
        check(again && again->device_type == device->device_type &&
              again->friendly_name == device->friendly_name && again->udn == device->udn &&
              again->manufacturer == device->manufacturer &&
              again->model_name == device->model_name);
    }

    const auto application = parse_hbbtv_application(xml);
    if (!application) {
        check_error(application.error());
    } else {
        check(size <= xml_limits{}.max_bytes && !application->name.empty());
        const auto again = parse_hbbtv_application(format_hbbtv_application(*application), roomy());
        check(again && again->name == application->name && again->state == application->state &&
              again->app2app_url == application->app2app_url &&
              again->inter_dev_sync_url == application->inter_dev_sync_url &&
              again->user_agent == application->user_agent);
    }
    // A refusal by the shared loader (well-formedness, DOCTYPE, depth, size) is the same for both.
    if (!device && (device.error() == dvbcss::errc::bad_xml ||
                    device.error() == dvbcss::errc::message_too_large)) {
        check(!application && application.error() == device.error());
    }
    return 0;
}
