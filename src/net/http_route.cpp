// HTTP requests and responses as handlers see them: plain values, no Beast.
#include <dvbcss/net/http_route.hpp>

#include <algorithm>
#include <cstddef>

namespace dvbcss::net {

namespace {

char ascii_lower(char ch) {
    return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

} // namespace

std::string http_request::header(std::string_view name) const {
    for (const auto& [field, value] : headers) {
        if (equal_ignoring_case(field, name)) {
            return value;
        }
    }
    return {};
}

} // namespace dvbcss::net
