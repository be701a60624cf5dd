// Costs of the CSS-CII core: decoding and encoding a typical full message, diffing two messages,
// and one server update fanned out to many connections (ns per operation).
#include <dvbcss/cii/client.hpp>
#include <dvbcss/cii/message.hpp>
#include <dvbcss/cii/server.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

namespace cii = dvbcss::cii;

const std::string full_text = R"({
  "protocolVersion": "1.1",
  "mrsUrl": "http://mrs.example.com/mrs-service",
  "contentId": "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M",
  "contentIdStatus": "final",
  "presentationStatus": "okay",
  "wcUrl": "udp://192.168.1.5:6677",
  "tsUrl": "ws://192.168.1.5:7681/ts",
  "teUrl": "ws://192.168.1.5:7682/te",
  "timelines": [
    {"timelineSelector": "urn:dvb:css:timeline:pts",
     "timelineProperties": {"unitsPerTick": 1, "unitsPerSecond": 90000}},
    {"timelineSelector": "urn:dvb:css:timeline:temi:1:1",
     "timelineProperties": {"unitsPerTick": 1001, "unitsPerSecond": 30000, "accuracy": 0.2},
     "private": [{"type": "urn:example:note", "text": "TEMI"}]}
  ],
  "private": [{"type": "tag:example.com,2024:extra", "values": [1, 2, null]}]
})";

cii::message full_message() {
    return cii::decode_cii(full_text).value();
}

void decode_full(benchmark::State& state) {
    for (auto _ : state) {
        auto m = cii::decode_cii(full_text);
        benchmark::DoNotOptimize(m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * full_text.size()));
}

BENCHMARK(decode_full);

void decode_small_update(benchmark::State& state) {
    const std::string text =
        R"({"contentId":"dvb://233a.1168.122a;1aa4~20130218T0910Z--PT00H30M","contentIdStatus":"final"})";
    for (auto _ : state) {
        auto m = cii::decode_cii(text);
        benchmark::DoNotOptimize(m);
    }
}

BENCHMARK(decode_small_update);

void encode_full(benchmark::State& state) {
    const auto m = full_message();
    for (auto _ : state) {
        auto text = cii::encode(m);
        benchmark::DoNotOptimize(text);
    }
}

BENCHMARK(encode_full);

void diff_one_change(benchmark::State& state) {
    const auto a = full_message();
    auto b = a;
    b.presentation_status = std::vector<std::string>{"transitioning"};
    for (auto _ : state) {
        auto d = cii::diff(a, b);
        benchmark::DoNotOptimize(d);
    }
}

BENCHMARK(diff_one_change);

void diff_equal(benchmark::State& state) {
    const auto a = full_message();
    const auto b = a;
    for (auto _ : state) {
        auto d = cii::diff(a, b);
        benchmark::DoNotOptimize(d);
    }
}

BENCHMARK(diff_equal);

// One CII change to N connections: set_cii plus take_pending on each (diff + encode per
// connection, with {{host}} rewriting). Reported per connection.
void server_fanout(benchmark::State& state) {
    cii::server_config config;
    config.initial_cii = full_message();
    config.initial_cii.wc_url = "udp://{{host}}:6677";
    config.initial_cii.ts_url = "ws://{{host}}:{{port}}/ts";
    cii::server s(config);
    const auto n = static_cast<cii::connection_id>(state.range(0));
    for (cii::connection_id i = 0; i < n; ++i) {
        s.on_open(i, {"192.168.1." + std::to_string(i % 250), 7681, {}});
        benchmark::DoNotOptimize(s.take_pending(i));
    }
    auto a = s.cii();
    auto b = a;
    b.presentation_status = std::vector<std::string>{"transitioning"};
    bool flip = false;
    for (auto _ : state) {
        (void)s.set_cii(flip ? a : b);
        flip = !flip;
        for (cii::connection_id i = 0; i < n; ++i) {
            auto text = s.take_pending(i);
            benchmark::DoNotOptimize(text);
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(server_fanout)->Arg(1)->Arg(100)->Arg(1000);

void client_receive_update(benchmark::State& state) {
    cii::client c;
    c.on_open();
    (void)c.on_text(full_text);
    const std::string a = R"({"presentationStatus":"okay"})";
    const std::string b = R"({"presentationStatus":"transitioning"})";
    bool flip = false;
    for (auto _ : state) {
        auto r = c.on_text(flip ? a : b);
        flip = !flip;
        benchmark::DoNotOptimize(r);
    }
}

BENCHMARK(client_receive_update);

} // namespace

BENCHMARK_MAIN();
