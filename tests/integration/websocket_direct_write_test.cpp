// The server sessions' direct write path (src/net/websocket_direct_stream.hpp) against Beast's
// own WebSocket client over loopback: every frame length encoding, a write the socket takes only
// in part, and Beast's control frames kept whole around it.
#include "net/websocket_direct_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using dvbcss::net::detail::direct_write_stream;
using write_result = direct_write_stream::write_result;

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
    return s;
}

/// A server stream over the direct layer and Beast's client, handshaken over loopback. With
/// `small_buffers` both socket buffers are a few KiB, so large writes are taken only in part.
class DirectWriteTest : public ::testing::Test {
protected:
    void open(bool small_buffers) {
        tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        tcp::socket client_socket(io_);
        client_socket.open(tcp::v4());
        if (small_buffers) {
            client_socket.set_option(asio::socket_base::receive_buffer_size(4096));
        }
        client_socket.connect(acceptor.local_endpoint());
        tcp::socket server_socket = acceptor.accept();
        if (small_buffers) {
            server_socket.set_option(asio::socket_base::send_buffer_size(4096));
        }
        server_.emplace(std::move(server_socket));
        client_.emplace(std::move(client_socket));
        client_->read_message_max(64 << 20);
        client_->control_callback([this](websocket::frame_type kind, beast::string_view text) {
            if (kind == websocket::frame_type::ping) {
                pings_.emplace_back(text);
            }
        });
        error_code accept_error;
        error_code handshake_error;
        server_->async_accept([&](error_code ec) { accept_error = ec; });
        client_->async_handshake("127.0.0.1", "/", [&](error_code ec) { handshake_error = ec; });
        run();
        ASSERT_FALSE(accept_error) << accept_error.message();
        ASSERT_FALSE(handshake_error) << handshake_error.message();
    }

    /// Runs the io_context until it has nothing left to do (bounded).
    void run() {
        io_.restart();
        io_.run_for(std::chrono::seconds(20));
    }

    /// The next message the client reads: its text, and whether it was a text frame.
    std::optional<std::pair<std::string, bool>> read_message() {
        beast::flat_buffer buffer;
        error_code error = asio::error::would_block;
        client_->async_read(buffer, [&](error_code ec, std::size_t) { error = ec; });
        run();
        if (error) {
            ADD_FAILURE() << "client read: " << error.message();
            return std::nullopt;
        }
        return std::make_pair(beast::buffers_to_string(buffer.data()), client_->got_text());
    }

    asio::io_context io_;
    std::optional<websocket::stream<direct_write_stream>> server_;
    std::optional<websocket::stream<tcp::socket>> client_;
    std::vector<std::string> pings_;
};

TEST_F(DirectWriteTest, EveryLengthEncodingReachesBeastsClientIntact) {
    open(false);
    // 7-bit, 16-bit and 64-bit lengths, each at its edges, text and binary.
    for (const std::size_t n : {0U, 1U, 125U, 126U, 127U, 65535U, 65536U, 70000U}) {
        for (const bool binary : {false, true}) {
            const auto payload = std::make_shared<const std::string>(pattern(n));
            bool completed = false;
            const auto result = server_->next_layer().write_frame(
                binary, payload, [&](error_code ec) { completed = !ec; });
            ASSERT_NE(result, write_result::failed) << server_->next_layer().error().message();
            const auto got = read_message();
            ASSERT_TRUE(got) << n;
            EXPECT_EQ(got->first, *payload) << n << " bytes";
            EXPECT_EQ(got->second, !binary) << n << " bytes";
            EXPECT_EQ(completed, result == write_result::in_flight);
            EXPECT_TRUE(server_->next_layer().idle());
        }
    }
}

TEST_F(DirectWriteTest, APartialWriteFinishesAndBeastsPingWaitsBehindIt) {
    open(true);
    const auto payload = std::make_shared<const std::string>(pattern(4 << 20));
    std::optional<error_code> sent;
    ASSERT_EQ(server_->next_layer().write_frame(false, payload, [&](error_code ec) { sent = ec; }),
              write_result::in_flight);
    EXPECT_FALSE(server_->next_layer().idle());

    // Beast's ping, started while the rest is in flight, must not land inside the data frame.
    std::optional<error_code> pinged;
    server_->async_ping("behind", [&](error_code ec) { pinged = ec; });
    io_.restart();
    io_.poll();
    EXPECT_FALSE(sent);
    EXPECT_FALSE(pinged);

    const auto got = read_message();
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->first == *payload) << "the message arrived damaged";
    ASSERT_TRUE(sent);
    EXPECT_FALSE(*sent) << sent->message();

    // A message through Beast after it: the ping is seen first, then the message, both whole.
    std::optional<error_code> wrote;
    server_->async_write(asio::buffer(std::string_view("after")),
                         [&](error_code ec, std::size_t) { wrote = ec; });
    const auto after = read_message();
    ASSERT_TRUE(after);
    EXPECT_EQ(after->first, "after");
    ASSERT_TRUE(pinged);
    EXPECT_FALSE(*pinged) << pinged->message();
    EXPECT_EQ(pings_, std::vector<std::string>{"behind"});
    ASSERT_TRUE(wrote);
    EXPECT_FALSE(*wrote);
    EXPECT_TRUE(server_->next_layer().idle());
}

TEST_F(DirectWriteTest, AWriteOfBeastsInFlightMakesTheLayerBusyUntilItCompletes) {
    open(true);
    const std::string big = pattern(4 << 20);
    std::optional<error_code> wrote;
    server_->async_write(asio::buffer(big), [&](error_code ec, std::size_t) { wrote = ec; });
    io_.restart();
    io_.poll();
    EXPECT_FALSE(wrote);
    EXPECT_FALSE(server_->next_layer().idle()) << "a direct write now would split Beast's frame";

    const auto got = read_message();
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->first == big);
    ASSERT_TRUE(wrote);
    EXPECT_FALSE(*wrote);
    EXPECT_TRUE(server_->next_layer().idle());

    // And the direct path works again once it has.
    const auto payload = std::make_shared<const std::string>("direct");
    EXPECT_NE(server_->next_layer().write_frame(false, payload, [](error_code) {}),
              write_result::failed);
    const auto next = read_message();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->first, "direct");
}

TEST_F(DirectWriteTest, AStreamDestroyedWithBeastsWriteHeldBehindTheRestCompletesEverything) {
    open(true);
    const auto payload = std::make_shared<const std::string>(pattern(4 << 20));
    std::optional<error_code> sent;
    ASSERT_EQ(server_->next_layer().write_frame(false, payload, [&](error_code ec) { sent = ec; }),
              write_result::in_flight);
    std::optional<error_code> pinged;
    server_->async_ping("held", [&](error_code ec) { pinged = ec; });
    io_.restart();
    io_.poll();
    // The session goes away (its socket with it) while both wait: every handler still runs once,
    // with an error, and none touches the destroyed layer (AddressSanitizer checks that in CI).
    server_.reset();
    run();
    ASSERT_TRUE(sent);
    EXPECT_TRUE(*sent);
    ASSERT_TRUE(pinged);
    EXPECT_TRUE(*pinged);
}

TEST_F(DirectWriteTest, AClosedPeerMakesTheWriteFailNotHang) {
    open(false);
    client_->next_layer().close();
    const auto payload = std::make_shared<const std::string>(pattern(1 << 20));
    std::optional<error_code> sent;
    // The first write may still be taken by the kernel; a later one sees the reset.
    bool failed = false;
    for (int i = 0; i < 50 && !failed; ++i) {
        const auto result =
            server_->next_layer().write_frame(false, payload, [&](error_code ec) { sent = ec; });
        if (result == write_result::failed) {
            failed = true;
            EXPECT_TRUE(server_->next_layer().error());
        } else if (result == write_result::in_flight) {
            run();
            ASSERT_TRUE(sent);
            failed = static_cast<bool>(*sent);
        }
    }
    EXPECT_TRUE(failed);
}

} // namespace
