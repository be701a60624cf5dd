// Cost of the CSS-WC server core per datagram (Google Benchmark): a request answered (with and
// without stamping the transmit time), a follow-up built, and a rejected datagram.
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/wc/server.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace dvbcss;

struct fixture {
    clock::sys_clock local{clock::monotonic_time_source::instance(), 1e9, 50};
    clock::correlated_clock wall{local, 1e9, clock::correlation{0, 0, 2e5, 1e-4}};
    wc::message_bytes request = [] {
        wc::message m;
        m.originate = wc::raw_timestamp{1234, 567890};
        return wc::encode(m);
    }();
};

void bm_on_datagram(benchmark::State& state) {
    fixture f;
    wc::server srv(f.wall);
    std::int64_t rx = 1'000'000'000;
    for (auto _ : state) {
        auto r = srv.on_datagram(f.request, rx);
        benchmark::DoNotOptimize(r);
        rx += 1'000; // a request every microsecond: the precision cache is refreshed every 0.1 s
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_on_datagram);

void bm_on_datagram_and_stamp(benchmark::State& state) {
    fixture f;
    wc::server srv(f.wall);
    std::int64_t rx = 1'000'000'000;
    for (auto _ : state) {
        auto r = srv.on_datagram(f.request, rx);
        r->stamp_transmit(rx + 500);
        benchmark::DoNotOptimize(r);
        rx += 1'000;
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_on_datagram_and_stamp);

// Worst case: the precision is recomputed for every request (cache window 0).
void bm_on_datagram_uncached(benchmark::State& state) {
    fixture f;
    wc::server_config cfg;
    cfg.precision_cache_ns = 0;
    wc::server srv(f.wall, cfg);
    std::int64_t rx = 1'000'000'000;
    for (auto _ : state) {
        auto r = srv.on_datagram(f.request, rx);
        benchmark::DoNotOptimize(r);
        rx += 1'000;
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_on_datagram_uncached);

void bm_followup(benchmark::State& state) {
    fixture f;
    wc::server_config cfg;
    cfg.followup = true;
    wc::server srv(f.wall, cfg);
    std::int64_t rx = 1'000'000'000;
    for (auto _ : state) {
        auto r = srv.on_datagram(f.request, rx);
        r->stamp_transmit(rx + 500);
        auto follow = r->make_followup(rx + 700);
        benchmark::DoNotOptimize(follow);
        rx += 1'000;
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_followup);

void bm_rejected(benchmark::State& state) {
    fixture f;
    wc::server srv(f.wall);
    auto bad = f.request;
    bad[1] = std::byte{1}; // a response sent to the server
    for (auto _ : state) {
        auto r = srv.on_datagram(bad, 1);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_rejected);

} // namespace

BENCHMARK_MAIN();
