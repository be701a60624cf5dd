// The HTTP GET client of DIAL discovery: Beast's HTTP parser on a plain TCP socket, one
// deadline timer for the whole exchange.
#include "http_get.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace dvbcss::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

result<http_url> parse_http_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (url.size() < scheme.size() || !iequals(url.substr(0, scheme.size()), scheme)) {
        return make_error_code(errc::bad_field_value);
    }
    for (const char c : url) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            return make_error_code(errc::bad_field_value);
        }
    }
    url.remove_prefix(scheme.size());
    if (const auto hash = url.find('#'); hash != std::string_view::npos) {
        url = url.substr(0, hash);
    }
    const auto path_start = url.find_first_of("/?");
    const auto authority = url.substr(0, path_start);
    http_url out;
    if (path_start != std::string_view::npos) {
        out.target = std::string(url.substr(path_start));
        if (out.target.front() == '?') {
            out.target.insert(0, "/");
        }
    }
    if (authority.find('@') != std::string_view::npos) {
        return make_error_code(errc::bad_field_value);
    }
    std::string_view host;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return make_error_code(errc::bad_field_value);
        }
        host = authority.substr(1, close - 1);
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return make_error_code(errc::bad_field_value);
            }
            port = rest.substr(1);
        }
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
        }
    }
    if (host.empty()) {
        return make_error_code(errc::bad_field_value);
    }
    out.host = std::string(host);
    if (!port.empty()) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
            return make_error_code(errc::value_out_of_range);
        }
        out.port = static_cast<std::uint16_t>(value);
    }
    return out;
}

std::string http_get_response::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (iequals(n, name)) {
            return v;
        }
    }
    return {};
}

struct http_get::state {
    explicit state(const asio::any_io_executor& executor)
        : socket(executor)
        , resolver(executor)
        , deadline(executor) {}

    tcp::socket socket;
    tcp::resolver resolver;
    asio::steady_timer deadline;
    http_get_handler done;
    bool timed_out = false;
    bool cancelled = false;

    void stop_io() {
        boost::system::error_code ignored;
        resolver.cancel();
        socket.close(ignored);
    }

    void finish(error_code ec, http_get_response response) {
        deadline.cancel();
        stop_io();
        if (cancelled) {
            ec = asio::error::operation_aborted;
        } else if (timed_out) {
            ec = make_error_code(errc::timeout);
        }
        if (auto f = std::move(done)) {
            done = nullptr;
            f(ec, std::move(response));
        }
    }
};

namespace {

asio::awaitable<void> run_get(std::shared_ptr<http_get::state> s, http_url url,
                              http_get_options options) {
    http_get_response response;
    boost::system::error_code ec;
    tcp::resolver::results_type endpoints;
    boost::system::error_code parse_ec;
    const auto literal = asio::ip::make_address(url.host, parse_ec);
    if (!parse_ec) {
        endpoints = tcp::resolver::results_type::create(tcp::endpoint(literal, url.port), url.host,
                                                        std::to_string(url.port));
    } else {
        std::tie(ec, endpoints) =
            co_await s->resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
        if (ec || s->cancelled || s->timed_out) {
            s->finish(ec ? ec : asio::error::operation_aborted, std::move(response));
            co_return;
        }
    }
    tcp::endpoint peer;
    std::tie(ec, peer) = co_await asio::async_connect(s->socket, endpoints, use_tuple);
    if (ec || s->cancelled || s->timed_out) {
        s->finish(ec ? ec : asio::error::operation_aborted, std::move(response));
        co_return;
    }
    response.peer = peer;

    http::request<http::empty_body> request{http::verb::get, url.target, 11};
    const bool bracket = literal.is_v6() && !parse_ec;
    std::string host_header = bracket ? "[" + url.host + "]" : url.host;
    if (url.port != 80) {
        host_header += ":" + std::to_string(url.port);
    }
    request.set(http::field::host, host_header);
    if (!options.user_agent.empty()) {
        request.set(http::field::user_agent, options.user_agent);
    }
    request.set(http::field::connection, "close");
    std::size_t written = 0;
    std::tie(ec, written) = co_await http::async_write(s->socket, request, use_tuple);
    if (ec || s->cancelled || s->timed_out) {
        s->finish(ec ? ec : asio::error::operation_aborted, std::move(response));
        co_return;
    }

    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    beast::flat_buffer buffer(options.max_header_bytes + options.max_body_bytes + 1024);
    std::size_t read = 0;
    std::tie(ec, read) = co_await http::async_read(s->socket, buffer, parser, use_tuple);
    if (ec == http::error::body_limit || ec == http::error::header_limit ||
        ec == http::error::buffer_overflow) {
        ec = make_error_code(errc::message_too_large);
    } else if (ec && ec.category() == make_error_code(http::error::bad_version).category()) {
        ec = make_error_code(errc::bad_message_type); // not HTTP, or malformed HTTP
    }
    if (!ec) {
        auto message = parser.release();
        response.status = message.result_int();
        for (const auto& field : message) {
            response.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
        }
        response.body = std::move(message.body());
    }
    s->finish(ec, std::move(response));
}

} // namespace

std::shared_ptr<http_get> http_get::start(const asio::any_io_executor& executor, std::string url,
                                          const http_get_options& options, http_get_handler done) {
    auto s = std::make_shared<state>(executor);
    s->done = std::move(done);
    auto handle = std::shared_ptr<http_get>(new http_get(s));
    auto parsed = parse_http_url(url);
    if (!parsed) {
        asio::post(executor, [s, ec = parsed.error()] { s->finish(ec, {}); });
        return handle;
    }
    s->deadline.expires_after(options.timeout);
    s->deadline.async_wait([weak = std::weak_ptr<state>(s)](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        if (auto locked = weak.lock()) {
            locked->timed_out = true;
            locked->stop_io();
        }
    });
    asio::co_spawn(executor, run_get(s, std::move(*parsed), options), asio::detached);
    return handle;
}

void http_get::cancel() {
    state_->cancelled = true;
    state_->stop_io();
    state_->deadline.cancel();
}

} // namespace dvbcss::net::detail
