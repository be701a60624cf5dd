#pragma once

// A small HTTP/1.1 GET client for DIAL discovery (private to the library): one request, one
// connection, a deadline for the whole exchange and limits on what is read. Used to fetch a
// TV's device description and its DIAL application description.

#include <dvbcss/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dvbcss::net::detail {

/// The parts of an http:// URL a request needs.
struct http_url {
    std::string host;         ///< Name or address, without brackets for IPv6 literals.
    std::uint16_t port = 80;  ///< 80 when the URL has none.
    std::string target = "/"; ///< Path and query; "/" when the URL has none.
};

/// Parses `http://host[:port][/path][?query]` (scheme case-insensitive, IPv6 in brackets, no
/// user-info; a fragment is dropped). Errors: errc::bad_field_value (another scheme, an empty
/// host, a control character or space, user-info), errc::value_out_of_range (port outside
/// 1..65535). Never throws.
[[nodiscard]] result<http_url> parse_http_url(std::string_view url);

/// Limits and deadline of one GET.
struct http_get_options {
    /// The whole exchange (resolve, connect, write, read) must finish within this.
    std::chrono::milliseconds timeout{3000};
    std::size_t max_header_bytes = 8 * 1024; ///< Largest response header accepted.
    std::size_t max_body_bytes = 64 * 1024;  ///< Largest response body accepted.
    std::string user_agent;                  ///< User-Agent header (omitted when empty).
};

/// What came back.
struct http_get_response {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers; ///< In arrival order.
    std::string body;
    boost::asio::ip::tcp::endpoint peer; ///< The address connected to.

    /// The first value of header `name` (case-insensitive), or empty.
    [[nodiscard]] std::string header(std::string_view name) const;
};

/// Called once with the outcome, on the executor: `timeout` when the deadline passed,
/// `message_too_large` for a header or body over its limit, `bad_message_type` for a response
/// that is not HTTP, Asio's errors for resolve/connect failures, `operation_aborted` after
/// `cancel`.
using http_get_handler = std::function<void(error_code, http_get_response)>;

/// One GET in flight. Destroying the handle does not cancel it; `cancel` does.
///
/// Thread safety: use from the executor that runs it.
class http_get {
public:
    /// Starts GET `url` on `executor`. A URL that does not parse is reported through `done`
    /// (posted, never called inline).
    static std::shared_ptr<http_get> start(const boost::asio::any_io_executor& executor,
                                           std::string url, const http_get_options& options,
                                           http_get_handler done);

    /// Closes the connection now; `done` gets `operation_aborted` (if it has not run yet).
    void cancel();

    struct state;

private:
    explicit http_get(std::shared_ptr<state> s)
        : state_(std::move(s)) {}

    std::shared_ptr<state> state_;
};

} // namespace dvbcss::net::detail
