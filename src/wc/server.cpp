#include <dvbcss/wc/server.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

namespace dvbcss::wc {

server::server(clock::clock_base& wall_clock, server_config config)
    : wall_clock_(wall_clock)
    , config_(config) {
    config_.precision_cache_ns = std::max<std::int64_t>(config_.precision_cache_ns, 0);
    wall_clock_.bind(*this);
}

server::~server() {
    wall_clock_.unbind(*this);
}

void server::on_clock_changed(clock::clock_base& /*cause*/) {
    cache_valid_ = false;
}

void server::refresh(std::int64_t receive_ns) noexcept {
    cached_mfe_ = encode_max_freq_error(
        config_.max_freq_error_override_ppm.value_or(wall_clock_.root_max_freq_error_ppm()));
    cache_from_ns_ = receive_ns;
    if (config_.precision_override_ns) {
        cached_precision_ = encode_precision_ns(*config_.precision_override_ns);
        cache_until_ns_ = std::numeric_limits<std::int64_t>::max();
        cache_from_ns_ = std::numeric_limits<std::int64_t>::min();
    } else {
        // A clock's error bound is a sum of |t - point| terms, convex in t, so over the window
        // [from, until] it is largest at one of the two ends: report that, and the field never
        // understates the error of a request received inside the window.
        const auto until =
            receive_ns > std::numeric_limits<std::int64_t>::max() - config_.precision_cache_ns
                ? std::numeric_limits<std::int64_t>::max()
                : receive_ns + config_.precision_cache_ns;
        const double at_from = wall_clock_.dispersion_at_time(
            wall_clock_.nanos_to_ticks(static_cast<tick_t>(receive_ns)));
        const double at_until =
            wall_clock_.dispersion_at_time(wall_clock_.nanos_to_ticks(static_cast<tick_t>(until)));
        cached_precision_ = encode_precision_ns(std::max(at_from, at_until));
        cache_until_ns_ = until;
    }
    cache_valid_ = true;
}

std::int8_t server::precision_at(std::int64_t receive_ns) noexcept {
    if (!cache_valid_ || receive_ns < cache_from_ns_ || receive_ns > cache_until_ns_) {
        refresh(receive_ns);
    }
    return cached_precision_;
}

std::uint32_t server::max_freq_error() noexcept {
    if (!cache_valid_) {
        refresh(cache_from_ns_);
    }
    return cached_mfe_;
}

std::optional<reply> server::on_datagram(std::span<const std::byte> datagram,
                                         std::int64_t receive_ns) noexcept {
    errc why = errc::ok;
    return on_datagram(datagram, receive_ns, why);
}

std::optional<reply> server::on_datagram(std::span<const std::byte> datagram,
                                         std::int64_t receive_ns, errc& why) noexcept {
    // Hand-rolled checks in decode's order: this is the hot path and only four bytes matter.
    if (datagram.size() != message_size) {
        ++stats_.wrong_length;
        why = errc::wrong_length;
        return std::nullopt;
    }
    if (datagram[version_offset] != std::byte{0}) {
        ++stats_.bad_version;
        why = errc::bad_version;
        return std::nullopt;
    }
    const auto type = std::to_integer<std::uint8_t>(datagram[type_offset]);
    if (type > static_cast<std::uint8_t>(message_type::followup)) {
        ++stats_.bad_message_type;
        why = errc::bad_message_type;
        return std::nullopt;
    }
    if (type != static_cast<std::uint8_t>(message_type::request)) {
        ++stats_.not_a_request;
        why = errc::not_a_request;
        return std::nullopt;
    }
    why = errc::ok;
    const auto precision = precision_at(receive_ns);

    reply r;
    r.followup = config_.followup;
    // Copy the request so the originate field is echoed bit for bit, then fill in the rest.
    std::memcpy(r.bytes.data(), datagram.data(), message_size);
    write_type(r.bytes,
               config_.followup ? message_type::response_with_followup : message_type::response);
    r.bytes[precision_offset] = static_cast<std::byte>(static_cast<std::uint8_t>(precision));
    r.bytes[precision_offset + 1] = std::byte{0};
    const auto mfe = cached_mfe_;
    r.bytes[max_freq_error_offset] = static_cast<std::byte>((mfe >> 24U) & 0xFFU);
    r.bytes[max_freq_error_offset + 1] = static_cast<std::byte>((mfe >> 16U) & 0xFFU);
    r.bytes[max_freq_error_offset + 2] = static_cast<std::byte>((mfe >> 8U) & 0xFFU);
    r.bytes[max_freq_error_offset + 3] = static_cast<std::byte>(mfe & 0xFFU);
    write_timestamp(r.bytes, receive_offset, receive_ns);
    // Until the transport stamps the real transmit time, it equals the receive time.
    write_timestamp(r.bytes, transmit_offset, receive_ns);
    ++stats_.answered;
    return r;
}

} // namespace dvbcss::wc
