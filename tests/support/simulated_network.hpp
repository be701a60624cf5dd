#pragma once

/// An in-process CSS-WC test bed: a `wc::server` core and a `wc::client` core joined by a seeded
/// network model (delay, jitter, asymmetry, loss, duplication, reordering), on clocks driven by
/// fake time sources. No sockets, no threads, fully deterministic for a given seed.
///
/// True time is an int64 nanosecond counter owned by the simulation. The server's local clock
/// reads true time + `server_offset_ns`; the client's local clock reads
/// `client_offset_ns + true * (1 + client_drift_ppm / 1e6)`. Both wall clocks tick at 1e9 Hz, so
/// the true error of the client's estimate is `client_wall.ticks() - server_wall.ticks()` ns.

#include "fake_time_source.hpp"

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/wc/client.hpp>
#include <dvbcss/wc/estimator.hpp>
#include <dvbcss/wc/server.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace dvbcss::test {

/// Parameters of one simulated network and pair of clocks.
struct network_profile {
    std::int64_t delay_ns = 5'000'000;     ///< Mean one-way delay, client -> server, ns.
    std::int64_t jitter_ns = 2'000'000;    ///< Each one-way delay varies uniformly by +-jitter, ns.
    std::int64_t asymmetry_ns = 0;         ///< Added to the server -> client delay, ns.
    std::int64_t turnaround_ns = 20'000;   ///< Server receive -> transmit, ns.
    std::int64_t followup_gap_ns = 50'000; ///< Type 2 sent -> type 3 sent, ns.
    double loss = 0;                       ///< Probability a packet is dropped.
    double duplicate = 0;                  ///< Probability a packet is delivered twice.
    double reorder = 0;                    ///< Probability a packet is held back by `reorder_ns`.
    std::int64_t reorder_ns = 30'000'000;
    std::int64_t server_offset_ns = 1'234'567'890'123; ///< Server local = true + this.
    std::int64_t client_offset_ns = 77'000'000'000;    ///< Client local = this + true * rate.
    double client_drift_ppm = 0; ///< Client local clock runs fast by this (|.| <= mfe).
    double server_mfe_ppm = 50;  ///< Server's advertised max frequency error.
    double client_mfe_ppm = 500; ///< Client's local max frequency error.
    bool followup = false;       ///< Server sends follow-ups.
    /// The follow-up's transmit time is read this long after the type 2 really left (0: exact, as
    /// with a kernel transmit timestamp; > 0: a server that reads its clock after sending).
    std::int64_t followup_stamp_late_ns = 0;
};

/// The test bed. Not thread-safe.
class simulated_network {
public:
    simulated_network(const network_profile& p, std::uint64_t seed, const std::string& estimator,
                      wc::client_config client_config = {}, wc::estimator_options options = {})
        : profile_(p)
        , rng_(seed)
        , server_src_(0)
        , client_src_(0)
        , server_local_(server_src_, 1e9, p.server_mfe_ppm)
        , server_wall_(server_local_, 1e9, clock::correlation{0, 0, 0, 0})
        , client_local_(client_src_, 1e9, p.client_mfe_ppm)
        , client_wall_(client_local_, 1e9) {
        sync_sources();
        wc::server_config sc;
        sc.followup = p.followup;
        server_ = std::make_unique<wc::server>(server_wall_, sc);
        client_ = std::make_unique<wc::client>(
            client_wall_, wc::make_estimator(estimator, client_wall_, options), client_config);
    }

    /// Runs the simulation until true time `end_ns`. Calls `on_step` after every event.
    void run_until(std::int64_t end_ns, const std::function<void()>& on_step = {}) {
        for (std::uint64_t guard = 0; guard < 100'000'000; ++guard) {
            const std::int64_t wake = local_to_true(client_->next_wakeup_ns());
            const std::int64_t evt =
                queue_.empty() ? std::numeric_limits<std::int64_t>::max() : queue_.top().at;
            const std::int64_t t = std::max(now_, std::min(wake, evt));
            if (t > end_ns) {
                set_now(end_ns);
                return;
            }
            set_now(t);
            if (evt <= wake) {
                auto e = queue_.top();
                queue_.pop();
                deliver(e);
            } else if (auto req = client_->next_request(client_local_ns())) {
                send(*req, true, now_);
            } else if (wake <= now_) {
                // Nothing to do at the wake-up time (it was rounded): step past it.
                set_now(now_ + 1);
            }
            if (on_step) {
                on_step();
            }
        }
        throw std::logic_error("simulated_network: event loop did not terminate");
    }

    /// Injects a datagram to the client from a foreign address, delivered at `at_ns` true time.
    void inject_to_client(const std::vector<std::byte>& bytes, std::int64_t at_ns,
                          bool from_server) {
        queue_.push(event{at_ns, seq_++, false, from_server, bytes});
    }

    /// Client wall clock minus server wall clock now, ns (positive: client ahead).
    [[nodiscard]] double true_error_ns() const {
        return static_cast<double>(client_wall_.ticks() - server_wall_.ticks());
    }

    /// The client's reported error bound now, ns.
    [[nodiscard]] double dispersion_ns() const { return client_->dispersion_ns(client_local_ns()); }

    [[nodiscard]] std::int64_t now_ns() const { return now_; }

    [[nodiscard]] std::int64_t client_local_ns() const {
        return static_cast<std::int64_t>(client_local_.ticks());
    }

    [[nodiscard]] wc::client& client() { return *client_; }

    [[nodiscard]] wc::server& server() { return *server_; }

    [[nodiscard]] clock::correlated_clock& client_wall() { return client_wall_; }

    [[nodiscard]] clock::correlated_clock& server_wall() { return server_wall_; }

    /// Packets the network dropped / duplicated.
    [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

    [[nodiscard]] std::uint64_t duplicated() const { return duplicated_; }

private:
    struct event {
        std::int64_t at = 0;
        std::uint64_t seq = 0;
        bool to_server = false;
        bool from_server = true;
        std::vector<std::byte> bytes;
    };

    struct later {
        bool operator()(const event& a, const event& b) const {
            return a.at != b.at ? a.at > b.at : a.seq > b.seq;
        }
    };

    double client_rate() const { return 1.0 + profile_.client_drift_ppm * 1e-6; }

    void set_now(std::int64_t t) {
        now_ = t;
        sync_sources();
    }

    void sync_sources() {
        server_src_.set_ns(now_ + profile_.server_offset_ns);
        client_src_.set_ns(
            profile_.client_offset_ns +
            static_cast<std::int64_t>(std::floor(static_cast<long double>(now_) * client_rate())));
    }

    // Earliest true time at which the client's local clock reads >= local.
    std::int64_t local_to_true(std::int64_t local) const {
        if (local == std::numeric_limits<std::int64_t>::min()) {
            return now_;
        }
        if (local == std::numeric_limits<std::int64_t>::max()) {
            return local;
        }
        const long double t =
            std::ceil(static_cast<long double>(local - profile_.client_offset_ns) / client_rate());
        return static_cast<std::int64_t>(t);
    }

    std::int64_t one_way_delay(bool to_server) {
        std::uniform_int_distribution<std::int64_t> jitter(-profile_.jitter_ns, profile_.jitter_ns);
        std::int64_t d = profile_.delay_ns + jitter(rng_);
        if (!to_server) {
            d += profile_.asymmetry_ns;
        }
        if (profile_.reorder > 0 && chance(profile_.reorder)) {
            d += profile_.reorder_ns;
        }
        return std::max<std::int64_t>(d, 1'000);
    }

    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

    void send(std::span<const std::byte> bytes, bool to_server, std::int64_t at) {
        if (profile_.loss > 0 && chance(profile_.loss)) {
            ++dropped_;
            return;
        }
        const std::vector<std::byte> copy(bytes.begin(), bytes.end());
        queue_.push(event{at + one_way_delay(to_server), seq_++, to_server, true, copy});
        if (profile_.duplicate > 0 && chance(profile_.duplicate)) {
            ++duplicated_;
            queue_.push(event{at + one_way_delay(to_server), seq_++, to_server, true, copy});
        }
    }

    std::int64_t server_wall_ns_at(std::int64_t true_ns) const {
        return true_ns + profile_.server_offset_ns; // wall = local (identity correlation)
    }

    void deliver(const event& e) {
        if (!e.to_server) {
            static_cast<void>(client_->on_datagram(e.bytes, client_local_ns(), e.from_server));
            return;
        }
        auto r = server_->on_datagram(e.bytes, static_cast<std::int64_t>(server_wall_.ticks()));
        if (!r) {
            return;
        }
        const std::int64_t tx_true = now_ + profile_.turnaround_ns;
        r->stamp_transmit(server_wall_ns_at(tx_true));
        send(r->bytes, false, tx_true);
        if (r->followup) {
            const auto f =
                r->make_followup(server_wall_ns_at(tx_true + profile_.followup_stamp_late_ns));
            send(f, false, tx_true + profile_.followup_gap_ns);
        }
    }

    network_profile profile_;
    std::mt19937_64 rng_;
    std::int64_t now_ = 0;
    std::uint64_t seq_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t duplicated_ = 0;
    fake_time_source server_src_;
    fake_time_source client_src_;
    clock::sys_clock server_local_;
    clock::correlated_clock server_wall_;
    clock::sys_clock client_local_;
    clock::correlated_clock client_wall_;
    std::unique_ptr<wc::server> server_;
    std::unique_ptr<wc::client> client_;
    std::priority_queue<event, std::vector<event>, later> queue_;
};

} // namespace dvbcss::test
