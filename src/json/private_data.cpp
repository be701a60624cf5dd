#include "json/detail/codec.hpp"

#include <dvbcss/json/private_data.hpp>

namespace dvbcss::json {

private_data::private_data()
    : json_(std::string("[]"), detail::trusted_text_tag{}) {}

result<private_data> private_data::parse(std::string_view text) {
    auto parsed = detail::parse_bounded(text);
    if (!parsed)
        return parsed.error();
    return detail::to_private_data(*parsed);
}

} // namespace dvbcss::json
