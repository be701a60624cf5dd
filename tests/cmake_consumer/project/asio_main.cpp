// A consumer of the installed package that is itself an Asio program. It compiles Asio the way any
// application does by default (header-only, no Asio macro of its own) and, in one executable and
// on one io_context, runs its own steady_timer and UDP socket next to dvbcss::net's CSS-WC
// wall_clock_server and WebSocket server. Checks:
//   - it links: one copy of every Asio function, no "multiple definition";
//   - the application's socket gets a valid CSS-WC response from the library's server;
//   - error codes made inside dvbcss::net compare equal to Asio's constants here, i.e. the
//     library and the application share Asio's error categories (one Asio in the program).
// Exit status 0 on success, a distinct non-zero status per failed check.
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/net/wall_clock_server.hpp>
#include <dvbcss/net/websocket_server.hpp>
#include <dvbcss/wc/message.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;

int fail(int status, const char* what) {
    std::fprintf(stderr, "asio_consumer: %s\n", what);
    return status;
}

} // namespace

int main() {
    asio::io_context io;
    dvbcss::clock::sys_clock wall_clock;

    // The library's CSS-WC server on a free loopback port.
    dvbcss::net::wall_clock_server_config wc_config;
    wc_config.bind = udp::endpoint(asio::ip::address_v4::loopback(), 0);
    dvbcss::net::wall_clock_server wc_server(io.get_executor(), wall_clock, wc_config);
    if (const dvbcss::error_code ec = wc_server.start()) {
        return fail(1, "wall_clock_server did not start");
    }

    // The library's WebSocket server: a second start() reports Asio's already_started, an error
    // of Asio's own category (asio::error::get_misc_category), made inside the library.
    dvbcss::net::websocket_server ws_server(io.get_executor(), {});
    if (const dvbcss::error_code ec = ws_server.start()) {
        return fail(2, "websocket_server did not start");
    }
    if (ws_server.start() != asio::error::already_started) {
        return fail(3, "an Asio error from the library differs from Asio's constant here");
    }

    // The application's own UDP socket and timer on the same io_context.
    udp::socket socket(io, udp::endpoint(asio::ip::address_v4::loopback(), 0));
    asio::steady_timer deadline(io, std::chrono::seconds(5));
    bool timed_out = false;
    deadline.async_wait([&](const dvbcss::error_code& ec) {
        if (!ec) {
            timed_out = true;
            socket.close();
            ws_server.stop();
            wc_server.stop();
        }
    });

    dvbcss::wc::message request;
    request.type = dvbcss::wc::message_type::request;
    request.originate = dvbcss::wc::raw_timestamp{.seconds = 1234, .nanoseconds = 567'890};
    const dvbcss::wc::message_bytes request_bytes = dvbcss::wc::encode(request);

    std::array<std::byte, 64> reply{};
    udp::endpoint sender;
    std::size_t reply_size = 0;
    dvbcss::error_code receive_error;
    socket.async_receive_from(asio::buffer(reply), sender,
                              [&](const dvbcss::error_code& ec, std::size_t n) {
                                  receive_error = ec;
                                  reply_size = n;
                                  deadline.cancel();
                                  ws_server.stop();
                                  wc_server.stop();
                              });
    socket.async_send_to(asio::buffer(request_bytes), wc_server.local_endpoint(),
                         [](const dvbcss::error_code&, std::size_t) {});
    io.run();

    if (timed_out) {
        return fail(4, "no CSS-WC response within 5 s");
    }
    if (receive_error) {
        return fail(5, "receiving the CSS-WC response failed");
    }
    const auto response = dvbcss::wc::decode(std::span<const std::byte>(reply.data(), reply_size));
    if (!response) {
        return fail(6, "the CSS-WC response does not decode");
    }
    if (!dvbcss::wc::is_response(response->type) || response->originate != request.originate ||
        response->transmit_ns < response->receive_ns) {
        return fail(7, "the CSS-WC response does not answer the request");
    }
    std::printf("asio_consumer: CSS-WC response type %d, t3 - t2 = %lld ns\n",
                static_cast<int>(response->type),
                static_cast<long long>(response->transmit_ns - response->receive_ns));
    return 0;
}
