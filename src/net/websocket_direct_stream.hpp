// The layer between a server session's Beast WebSocket stream and its TCP stream that lets a
// whole server-to-client message go out in one system call, without Beast's composed write.
#pragma once

#include <boost/asio/associator.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace dvbcss::net::detail {

/// The header of one unfragmented, unmasked (server-to-client) WebSocket frame carrying a whole
/// text or binary message of `payload_bytes` bytes (RFC 6455 section 5.2): 2, 4 or 10 bytes.
struct server_frame_header {
    std::array<unsigned char, 10> bytes{};
    std::size_t size = 0;

    server_frame_header(bool binary, std::uint64_t payload_bytes) {
        bytes[0] = binary ? 0x82 : 0x81; // FIN and the opcode
        if (payload_bytes < 126) {
            bytes[1] = static_cast<unsigned char>(payload_bytes);
            size = 2;
        } else if (payload_bytes <= 0xffff) {
            bytes[1] = 126;
            bytes[2] = static_cast<unsigned char>(payload_bytes >> 8);
            bytes[3] = static_cast<unsigned char>(payload_bytes);
            size = 4;
        } else {
            bytes[1] = 127;
            for (int i = 0; i < 8; ++i) {
                bytes[2 + i] = static_cast<unsigned char>(payload_bytes >> (8 * (7 - i)));
            }
            size = 10;
        }
    }
};

/// An AsyncStream over `beast::tcp_stream` that Beast's `websocket::stream` (and the HTTP phase
/// before it) uses as its next layer, plus a direct path for whole messages.
///
/// Beast's write of a message is a chain of composed operations, each allocating, around one
/// `sendmsg`; a fan-out to thousands of companions spends much of its time there. `write_frame`
/// sends the frame header and the shared payload with one non-blocking gather write instead, and
/// only when nothing of Beast's is being written: the layer counts Beast's `async_write_some`
/// calls in flight (a composed write always has one in flight until its last byte is sent, so a
/// frame of Beast's is never split). Whatever the socket does not take at once is written by an
/// `async_write` of its own; until it completes, writes Beast starts (pongs, pings, the close
/// frame) wait behind it, so the two never interleave on the wire.
///
/// Thread safety: none; used on the session's executor only, like the Beast stream it serves.
class direct_write_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using next_layer_type = boost::beast::tcp_stream;

    /// Outcome of `write_frame`.
    enum class write_result {
        done,      ///< The whole frame was sent; the completion handler is not called.
        in_flight, ///< The rest is being written; the completion handler is called once sent.
        failed,    ///< The socket refused it (`error()` says why); the handler is not called.
    };

    explicit direct_write_stream(boost::asio::ip::tcp::socket&& socket)
        : next_(std::move(socket))
        , state_(std::make_shared<shared_state>()) {
        state_->layer = this;
    }

    ~direct_write_stream() { state_->layer = nullptr; }

    direct_write_stream(const direct_write_stream&) = delete;
    direct_write_stream& operator=(const direct_write_stream&) = delete;

    executor_type get_executor() noexcept { return next_.get_executor(); }

    boost::beast::tcp_stream& next_layer() noexcept { return next_; }

    const boost::beast::tcp_stream& next_layer() const noexcept { return next_; }

    /// True when `write_frame` may be called: no write of Beast's and no rest of a direct
    /// write is in flight or waiting.
    [[nodiscard]] bool idle() const noexcept {
        return state_->beast_writes == 0 && !state_->direct_in_flight;
    }

    /// The error of the last `write_frame` that returned `failed`.
    [[nodiscard]] const boost::system::error_code& error() const noexcept { return error_; }

    /// Sends one whole message as a frame. Requires `idle()`. `payload` is kept alive until the
    /// frame is sent; `on_sent(error_code)` runs on the session's executor only when the result
    /// is `in_flight`.
    template <class Handler>
    write_result write_frame(bool binary, std::shared_ptr<const std::string> payload,
                             Handler&& on_sent) {
        auto& header = state_->header;
        header = server_frame_header(binary, payload->size());
        const std::array<boost::asio::const_buffer, 2> frame{
            boost::asio::buffer(header.bytes.data(), header.size), boost::asio::buffer(*payload)};
        const std::size_t total = header.size + payload->size();
        auto& socket = next_.socket();
        if (!socket.non_blocking()) {
            socket.non_blocking(true, error_); // write_some returns would_block, never waits
            if (error_) {
                return write_result::failed;
            }
        }
        std::size_t sent = socket.write_some(frame, error_);
        if (error_ == boost::asio::error::would_block || error_ == boost::asio::error::try_again) {
            error_.clear();
            sent = 0;
        }
        if (error_) {
            return write_result::failed;
        }
        if (sent == total) {
            return write_result::done;
        }
        state_->direct_in_flight = true;
        if (!state_->gate) { // made at the first partial write: an idle connection has no timer
            state_->gate = std::make_unique<boost::asio::steady_timer>(next_.get_executor());
            state_->gate->expires_at(boost::asio::steady_timer::time_point::max());
        }
        std::array<boost::asio::const_buffer, 2> remaining = frame;
        if (sent < header.size) {
            remaining[0] = boost::asio::buffer(header.bytes.data() + sent, header.size - sent);
        } else {
            remaining[0] = boost::asio::const_buffer();
            remaining[1] = boost::asio::buffer(*payload) + (sent - header.size);
        }
        boost::asio::async_write(next_, remaining,
                                 [state = state_, payload = std::move(payload),
                                  on_sent = std::forward<Handler>(on_sent)](
                                     boost::system::error_code ec, std::size_t) mutable {
                                     state->direct_in_flight = false;
                                     state->gate->cancel(); // Beast's writes that waited go now
                                     std::move(on_sent)(ec);
                                 });
        return write_result::in_flight;
    }

    template <class MutableBufferSequence, class ReadHandler>
    auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
        return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
    }

    template <class ConstBufferSequence, class WriteHandler>
    auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
        return boost::asio::async_initiate<WriteHandler,
                                           void(boost::system::error_code, std::size_t)>(
            [this](auto h, const ConstBufferSequence& b) {
                ++state_->beast_writes;
                counted<std::decay_t<decltype(h)>> done{state_, std::move(h)};
                if (!state_->direct_in_flight) {
                    next_.async_write_some(b, std::move(done));
                    return;
                }
                // Behind the rest of a direct write: start when it is sent (the gate's wait
                // ends with operation_aborted when write_frame's completion cancels it), unless
                // the stream is gone by then.
                state_->gate->async_wait(
                    [b, done = std::move(done)](boost::system::error_code) mutable {
                        if (auto* layer = done.state->layer) {
                            layer->next_.async_write_some(b, std::move(done));
                        } else {
                            std::move(done)(boost::asio::error::operation_aborted, 0);
                        }
                    });
            },
            handler, buffers);
    }

    /// What outlives the layer while operations still refer to it (a completion may run after
    /// the session and its streams are destroyed).
    struct shared_state {
        direct_write_stream* layer = nullptr; ///< null once the layer is destroyed
        std::size_t beast_writes = 0;
        bool direct_in_flight = false;
        server_frame_header header{false, 0}; ///< of the direct write; its rest may be in flight
        // Never expires; cancelled when the rest of a direct write is sent.
        std::unique_ptr<boost::asio::steady_timer> gate;
    };

    /// Completes one of Beast's writes: the count drops before Beast's handler runs, so a
    /// composed write that goes on calls `async_write_some` again with no gap in between.
    template <class Handler>
    struct counted {
        std::shared_ptr<shared_state> state;
        Handler handler;

        void operator()(boost::system::error_code ec, std::size_t n) {
            --state->beast_writes;
            std::move(handler)(ec, n);
        }
    };

private:
    boost::beast::tcp_stream next_;
    std::shared_ptr<shared_state> state_;
    boost::system::error_code error_;
};

/// Beast's closing handshake tears the connection down on the TCP stream underneath.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, direct_write_stream& stream,
                    TeardownHandler&& handler) {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

} // namespace dvbcss::net::detail

/// Beast's operations keep their executor, allocator and cancellation slot through the count.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<
    Associator, dvbcss::net::detail::direct_write_stream::counted<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type
    get(const dvbcss::net::detail::direct_write_stream::counted<Handler>& h,
        const DefaultCandidate& c = DefaultCandidate()) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};
