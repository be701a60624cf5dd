// Cost of the CSS-WC codec (Google Benchmark): encode, decode, field encodings.
#include <dvbcss/wc/message.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace dvbcss;

wc::message sample() {
    wc::message m;
    m.type = wc::message_type::response;
    m.precision = -20;
    m.max_freq_error = 12800;
    m.originate = wc::raw_timestamp{1234, 567890};
    m.receive_ns = 1'700'000'000'123'456'789LL;
    m.transmit_ns = 1'700'000'000'123'466'789LL;
    return m;
}

void bm_encode(benchmark::State& state) {
    auto m = sample();
    for (auto _ : state) {
        benchmark::DoNotOptimize(m);
        auto b = wc::encode(m);
        benchmark::DoNotOptimize(b);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_encode);

void bm_decode(benchmark::State& state) {
    const auto bytes = wc::encode(sample());
    for (auto _ : state) {
        auto m = wc::decode(bytes);
        benchmark::DoNotOptimize(m);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_decode);

void bm_decode_rejected(benchmark::State& state) {
    auto bytes = wc::encode(sample());
    bytes[0] = std::byte{1};
    for (auto _ : state) {
        auto m = wc::decode(bytes);
        benchmark::DoNotOptimize(m);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_decode_rejected);

void bm_encode_precision(benchmark::State& state) {
    double ns = 12'345.0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(ns);
        auto p = wc::encode_precision_ns(ns);
        benchmark::DoNotOptimize(p);
    }
}

BENCHMARK(bm_encode_precision);

void bm_encode_max_freq_error(benchmark::State& state) {
    double ppm = 500.0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(ppm);
        auto v = wc::encode_max_freq_error(ppm);
        benchmark::DoNotOptimize(v);
    }
}

BENCHMARK(bm_encode_max_freq_error);

} // namespace

BENCHMARK_MAIN();
