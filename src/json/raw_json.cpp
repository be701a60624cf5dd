#include "json/detail/codec.hpp"

#include <dvbcss/json/raw_json.hpp>

namespace dvbcss::json {

raw_json::raw_json()
    : text_("null") {}

result<raw_json> raw_json::parse(std::string_view text) {
    auto parsed = detail::parse_bounded(text);
    if (!parsed)
        return parsed.error();
    if (detail::contains_out_of_range_number(*parsed))
        return make_error_code(errc::value_out_of_range);
    return detail::to_raw_json(*parsed);
}

} // namespace dvbcss::json
