#include <dvbcss/cii/timeline_option.hpp>

#include <cmath>

namespace dvbcss::cii {

error_code validate(const timeline_option& option) noexcept {
    const auto& props = option.timeline_properties;
    if (option.timeline_selector.empty() || props.units_per_tick == 0 ||
        props.units_per_second == 0)
        return make_error_code(errc::bad_field_value);
    if (props.accuracy && (!std::isfinite(*props.accuracy) || *props.accuracy < 0))
        return make_error_code(errc::bad_field_value);
    return {};
}

} // namespace dvbcss::cii
