#include <dvbcss/net/udp_error_log.hpp>

#include <algorithm>
#include <utility>

namespace dvbcss::net {

udp_error_log::udp_error_log(std::string logger, int burst, std::int64_t interval_ns)
    : logger_(std::move(logger))
    , burst_(std::max(1, burst))
    , interval_ns_(std::max<std::int64_t>(1, interval_ns))
    , tokens_(static_cast<double>(burst_)) {}

bool udp_error_log::write(log::level l, std::string_view message, std::int64_t now_ns) {
    if (!log::enabled(l)) {
        return false;
    }
    if (started_ && now_ns > last_ns_) {
        // Refill one token per interval, up to the burst size.
        tokens_ =
            std::min(static_cast<double>(burst_), tokens_ + static_cast<double>(now_ns - last_ns_) /
                                                                static_cast<double>(interval_ns_));
    }
    started_ = true;
    last_ns_ = std::max(last_ns_, now_ns);
    if (tokens_ < 1.0) {
        ++suppressed_since_last_;
        ++suppressed_total_;
        return false;
    }
    tokens_ -= 1.0;
    if (suppressed_since_last_ > 0) {
        std::string line(message);
        line.append(" (").append(std::to_string(suppressed_since_last_));
        line.append(" lines of this kind suppressed, from any peer)");
        suppressed_since_last_ = 0;
        log::write(l, logger_, line);
    } else {
        log::write(l, logger_, message);
    }
    return true;
}

} // namespace dvbcss::net
