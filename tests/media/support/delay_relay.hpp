#pragma once

// A loopback relay between a companion and a TV that delays everything it carries, each way, by
// a random time uniform in [mean - jitter, mean + jitter]: one TCP port (WebSocket CSS-TS/CII,
// each chunk delayed, order kept within a direction as TCP must) and one UDP port (CSS-WC, each
// datagram delayed on its own, so they may overtake each other). It stands in for a network
// with delay and jitter where the kernel offers no netem qdisc; the companion is given the
// relay's URLs instead of the TV's.
//
// The relay runs its own io_context on its own thread from construction to destruction; the
// counters may be read from any thread.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>

namespace dvbcss::test::media {

class delay_relay {
public:
    /// Relays 127.0.0.1:tcp_port() to 127.0.0.1:`tcp_target` and 127.0.0.1:udp_port() to
    /// 127.0.0.1:`udp_target`, each way delayed by `mean_ms` +- `jitter_ms` (seeded).
    delay_relay(std::uint16_t tcp_target, std::uint16_t udp_target, double mean_ms,
                double jitter_ms, unsigned seed = 7)
        : acceptor_(io_, {boost::asio::ip::address_v4::loopback(), 0})
        , front_(io_, {boost::asio::ip::address_v4::loopback(), 0})
        , back_(io_, {boost::asio::ip::address_v4::loopback(), 0})
        , tcp_target_(boost::asio::ip::address_v4::loopback(), tcp_target)
        , udp_target_(boost::asio::ip::address_v4::loopback(), udp_target)
        , random_(seed)
        , delay_ms_(std::max(0.0, mean_ms - jitter_ms), mean_ms + jitter_ms) {
        using boost::asio::detached;
        boost::asio::co_spawn(io_, accept_loop(), detached);
        boost::asio::co_spawn(io_, from_companion(), detached);
        boost::asio::co_spawn(io_, from_tv(), detached);
        thread_ = std::thread([this] { io_.run(); });
    }

    delay_relay(const delay_relay&) = delete;
    delay_relay& operator=(const delay_relay&) = delete;

    ~delay_relay() {
        io_.stop();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    [[nodiscard]] std::uint16_t tcp_port() const { return acceptor_.local_endpoint().port(); }

    [[nodiscard]] std::uint16_t udp_port() const { return front_.local_endpoint().port(); }

    [[nodiscard]] std::uint64_t tcp_bytes() const { return tcp_bytes_; }

    [[nodiscard]] std::uint64_t datagrams() const { return datagrams_; }

private:
    using tcp = boost::asio::ip::tcp;
    using udp = boost::asio::ip::udp;
    using clock = std::chrono::steady_clock;

    // One direction of one TCP connection: chunks waiting for their release time, in order.
    struct stream {
        std::deque<std::pair<clock::time_point, std::string>> queue;
        clock::time_point last_release{};
        bool closed = false;
    };

    clock::duration delay() {
        return std::chrono::duration_cast<clock::duration>(
            std::chrono::duration<double, std::milli>(delay_ms_(random_)));
    }

    boost::asio::awaitable<void> accept_loop() {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        while (true) {
            auto companion = std::make_shared<tcp::socket>(io_);
            auto [error] = co_await acceptor_.async_accept(*companion, as_tuple(use_awaitable));
            if (error) {
                co_return;
            }
            auto tv = std::make_shared<tcp::socket>(io_);
            auto [connect_error] = co_await tv->async_connect(tcp_target_, as_tuple(use_awaitable));
            if (connect_error) {
                continue;
            }
            companion->set_option(tcp::no_delay(true));
            tv->set_option(tcp::no_delay(true));
            spawn_direction(companion, tv);
            spawn_direction(tv, companion);
        }
    }

    void spawn_direction(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
        auto s = std::make_shared<stream>();
        auto wake = std::make_shared<boost::asio::steady_timer>(io_, clock::time_point::max());
        boost::asio::co_spawn(io_, read_side(std::move(from), s, wake), boost::asio::detached);
        boost::asio::co_spawn(io_, write_side(to, s, wake), boost::asio::detached);
    }

    boost::asio::awaitable<void> read_side(std::shared_ptr<tcp::socket> from,
                                           std::shared_ptr<stream> s,
                                           std::shared_ptr<boost::asio::steady_timer> wake) {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        std::array<char, 65536> buffer{};
        while (true) {
            auto [error, n] = co_await from->async_read_some(boost::asio::buffer(buffer),
                                                             as_tuple(use_awaitable));
            if (error) {
                s->closed = true;
                wake->cancel();
                co_return;
            }
            tcp_bytes_ += n;
            const auto release = std::max(clock::now() + delay(), s->last_release);
            s->last_release = release;
            s->queue.emplace_back(release, std::string(buffer.data(), n));
            wake->cancel();
        }
    }

    boost::asio::awaitable<void> write_side(std::shared_ptr<tcp::socket> to,
                                            std::shared_ptr<stream> s,
                                            std::shared_ptr<boost::asio::steady_timer> wake) {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        while (true) {
            if (s->queue.empty()) {
                if (s->closed) {
                    boost::system::error_code ignored;
                    to->shutdown(tcp::socket::shutdown_send, ignored);
                    co_return;
                }
                wake->expires_at(clock::time_point::max());
                co_await wake->async_wait(as_tuple(use_awaitable));
                continue;
            }
            boost::asio::steady_timer until(io_, s->queue.front().first);
            co_await until.async_wait(as_tuple(use_awaitable));
            const std::string chunk = std::move(s->queue.front().second);
            s->queue.pop_front();
            auto [error, n] = co_await boost::asio::async_write(*to, boost::asio::buffer(chunk),
                                                                as_tuple(use_awaitable));
            if (error) {
                co_return;
            }
        }
    }

    // Sends `datagram` from `socket` to `to` after a delay of its own.
    boost::asio::awaitable<void> send_later(udp::socket& socket, udp::endpoint to,
                                            std::string datagram) {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        boost::asio::steady_timer timer(io_, clock::now() + delay());
        co_await timer.async_wait(as_tuple(use_awaitable));
        co_await socket.async_send_to(boost::asio::buffer(datagram), to, as_tuple(use_awaitable));
    }

    boost::asio::awaitable<void> from_companion() {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        std::array<char, 2048> buffer{};
        while (true) {
            udp::endpoint sender;
            auto [error, n] = co_await front_.async_receive_from(boost::asio::buffer(buffer),
                                                                 sender, as_tuple(use_awaitable));
            if (error) {
                co_return;
            }
            companion_ = sender;
            ++datagrams_;
            boost::asio::co_spawn(io_,
                                  send_later(back_, udp_target_, std::string(buffer.data(), n)),
                                  boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> from_tv() {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        std::array<char, 2048> buffer{};
        while (true) {
            udp::endpoint sender;
            auto [error, n] = co_await back_.async_receive_from(boost::asio::buffer(buffer), sender,
                                                                as_tuple(use_awaitable));
            if (error) {
                co_return;
            }
            ++datagrams_;
            boost::asio::co_spawn(io_,
                                  send_later(front_, companion_, std::string(buffer.data(), n)),
                                  boost::asio::detached);
        }
    }

    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    udp::socket front_;
    udp::socket back_;
    tcp::endpoint tcp_target_;
    udp::endpoint udp_target_;
    udp::endpoint companion_;
    std::mt19937 random_;
    std::uniform_real_distribution<double> delay_ms_;
    std::atomic<std::uint64_t> tcp_bytes_{0};
    std::atomic<std::uint64_t> datagrams_{0};
    std::thread thread_;
};

} // namespace dvbcss::test::media
