#pragma once

// N websocket companions of one server, for the fan-out benchmarks: our websocket_client, all on
// one io_context thread, connected in batches, each stamping (CLOCK_MONOTONIC) the first text
// message it receives in every round.

#include "bench_support.hpp"

#include <dvbcss/net/websocket_client.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dvbcss::bench {

/// `n` companions of the websocket server at `url`. The calls are made from one thread (the
/// benchmark's); the clients' callbacks run on the set's own io_context thread.
class companion_set {
public:
    /// Creates the clients (not yet connected). `on_open` (may be empty) is called on the io
    /// thread when a client's connection opens, e.g. to send its set-up data.
    companion_set(const std::string& url, std::size_t n,
                  std::function<void(net::websocket_client&)> on_open = {})
        : arrival_(n, 0)
        , seen_round_(n) {
        clients_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            net::websocket_client_config config;
            config.url = url;
            net::websocket_client_callbacks callbacks;
            callbacks.on_open = [this, i, on_open] {
                opened_.fetch_add(1, std::memory_order_relaxed);
                if (on_open) {
                    on_open(*clients_[i]);
                }
            };
            callbacks.on_text = [this, i](std::string_view) {
                const auto r = round_.load(std::memory_order_acquire);
                if (seen_round_[i].load(std::memory_order_relaxed) != r + 1) {
                    seen_round_[i].store(r + 1, std::memory_order_relaxed);
                    arrival_[i] = monotonic_ns();
                    received_.fetch_add(1, std::memory_order_release);
                }
            };
            callbacks.on_connect_failed = [this](const net::connect_failure&) {
                failed_.fetch_add(1, std::memory_order_relaxed);
            };
            callbacks.on_finished = [this] {
                finished_.fetch_add(1);
            };
            clients_.push_back(std::make_unique<net::websocket_client>(
                io_.context.get_executor(), config, std::move(callbacks)));
        }
    }

    /// Stops the io thread before the clients go.
    ~companion_set() { io_.stop(); }

    companion_set(const companion_set&) = delete;
    companion_set& operator=(const companion_set&) = delete;

    /// Connects them all, 250 at a time (inside the server's listen backlog), and waits for every
    /// companion's first message (round 0), each wait up to `timeout`. False after one line on
    /// stderr, "<program>: connections stalled at K" or "<program>: set-up failed: K opened,
    /// F failed, M <first_message>", if a batch stalls, a connection fails or a message is missing.
    bool connect(std::chrono::milliseconds timeout, const char* program,
                 const char* first_message) {
        constexpr std::size_t batch = 250;
        const auto n = clients_.size();
        for (std::size_t i = 0; i < n; ++i) {
            static_cast<void>(clients_[i]->start());
            if ((i + 1) % batch == 0 || i + 1 == n) {
                if (!wait_until([&] { return opened_.load() + failed_.load() >= i + 1; },
                                timeout)) {
                    std::fprintf(stderr, "%s: connections stalled at %zu\n", program,
                                 opened_.load());
                    return false;
                }
            }
        }
        if (!wait_all(timeout) || failed_.load() != 0) {
            std::fprintf(stderr, "%s: set-up failed: %zu opened, %zu failed, %zu %s\n", program,
                         opened_.load(), failed_.load(), received_.load(), first_message);
            return false;
        }
        return true;
    }

    /// From now on each companion's next message counts for round `r` (1, 2, ...).
    void begin_round(int r) {
        received_.store(0);
        round_.store(r, std::memory_order_release);
    }

    /// Waits up to `timeout` for every companion's message of this round.
    bool wait_all(std::chrono::milliseconds timeout) {
        return wait_until([&] { return received_.load() >= clients_.size(); }, timeout);
    }

    /// How many companions have their message of this round.
    [[nodiscard]] std::size_t received() const { return received_.load(); }

    [[nodiscard]] std::size_t size() const { return clients_.size(); }

    /// Each companion's time (ms) from `t0_ns` (CLOCK_MONOTONIC) to its message of this round, in
    /// companion order; after wait_all.
    [[nodiscard]] std::vector<double> delays_ms(std::int64_t t0_ns) const {
        std::vector<double> delays;
        delays.reserve(arrival_.size());
        for (const auto t : arrival_) {
            delays.push_back(static_cast<double>(t - t0_ns) / 1e6);
        }
        return delays;
    }

    /// Closes every connection and waits up to `timeout` for them all to finish.
    void close_all(std::chrono::milliseconds timeout) {
        for (auto& c : clients_) {
            c->close();
        }
        wait_until([&] { return finished_.load() >= clients_.size(); }, timeout);
    }

private:
    std::vector<std::int64_t> arrival_;
    std::vector<std::atomic<int>> seen_round_;
    std::atomic<int> round_{0};
    std::atomic<std::size_t> received_{0};
    std::atomic<std::size_t> opened_{0};
    std::atomic<std::size_t> failed_{0};
    std::atomic<std::size_t> finished_{0};
    io_thread io_;
    std::vector<std::unique_ptr<net::websocket_client>> clients_;
};

} // namespace dvbcss::bench
