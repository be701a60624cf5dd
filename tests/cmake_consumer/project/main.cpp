// A consumer of the installed dvbcss package: links dvbcss::dvbcss and uses core and net.
#include <dvbcss/error.hpp>
#include <dvbcss/net/log.hpp>

#include <cstdio>

int main() {
    const dvbcss::error_code ec = dvbcss::errc::wrong_length;
    if (ec != dvbcss::condition::bad_message) {
        return 1;
    }
    if (!dvbcss::net::log::parse_level("info")) {
        return 2;
    }
    std::puts(ec.message().c_str());
    return 0;
}
