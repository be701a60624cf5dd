/// ns per operation of the clock model: reading ticks through a 4-deep tree
/// (sys -> correlated -> tunable -> correlated), converting between clocks up the tree and across
/// branches, and reading the root itself.

#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/tunable_clock.hpp>

#include <benchmark/benchmark.h>

namespace {

using dvbcss::tick_t;
using namespace dvbcss::clock;

/// sys -> wall (correlated, 1 GHz) -> media (tunable, 90 kHz) -> subtitle (correlated, 1 kHz),
/// plus a second branch sys -> wall -> other (correlated, 25 Hz).
struct tree {
    sys_clock sys{};
    correlated_clock wall{sys, 1e9, {sys.ticks(), 1'000'000'000'000}};
    tunable_clock media{wall, 90'000, 12'345};
    correlated_clock subtitle{media, 1000, {12'345, 0}, 1.0};
    correlated_clock other{wall, 25, {1'000'000'000'000, 0}};

    tree() { media.set_slew(3); }
};

tree& shared_tree() {
    static tree t;
    return t;
}

void sys_clock_ticks(benchmark::State& state) {
    auto& t = shared_tree();
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.sys.ticks());
    }
}

BENCHMARK(sys_clock_ticks);

void sys_clock_ticks_at(benchmark::State& state) {
    auto& t = shared_tree();
    std::int64_t ns = 86'400'000'000'000;
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.sys.ticks_at(ns));
        ++ns;
    }
}

BENCHMARK(sys_clock_ticks_at);

void depth4_ticks(benchmark::State& state) {
    auto& t = shared_tree();
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.subtitle.ticks());
    }
}

BENCHMARK(depth4_ticks);

void depth4_to_root(benchmark::State& state) {
    auto& t = shared_tree();
    tick_t x = 5000;
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.subtitle.to_other_clock_ticks(t.sys, x));
        x += 1;
    }
}

BENCHMARK(depth4_to_root);

void depth4_from_root(benchmark::State& state) {
    auto& t = shared_tree();
    tick_t x = t.sys.ticks();
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.sys.to_other_clock_ticks(t.subtitle, x));
        x += 1;
    }
}

BENCHMARK(depth4_from_root);

void across_branches(benchmark::State& state) {
    auto& t = shared_tree();
    tick_t x = 5000;
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.subtitle.to_other_clock_ticks(t.other, x));
        x += 1;
    }
}

BENCHMARK(across_branches);

void depth4_calc_when(benchmark::State& state) {
    auto& t = shared_tree();
    tick_t x = t.subtitle.ticks();
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.subtitle.calc_when(x));
        x += 1;
    }
}

BENCHMARK(depth4_calc_when);

void depth4_dispersion(benchmark::State& state) {
    auto& t = shared_tree();
    tick_t x = t.subtitle.ticks();
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.subtitle.dispersion_at_time(x));
        x += 1;
    }
}

BENCHMARK(depth4_dispersion);

} // namespace

BENCHMARK_MAIN();
