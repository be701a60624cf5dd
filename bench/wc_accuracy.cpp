// CSS-WC accuracy on simulated networks: for each estimator, runs the server and client cores over
// tests/support/simulated_network.hpp and prints the true error of the client's wall clock and the
// error bound it reports. Plain program; the figures go into docs/wall-clock.md.
//
// Usage: wc_accuracy [seconds=10] [seeds=20]   (-h/--help: this usage; exit 2 on a bad argument)

#include "bench_support.hpp"
#include "support/simulated_network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using dvbcss::test::network_profile;
using dvbcss::test::simulated_network;

struct scenario {
    const char* name;
    network_profile profile;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return std::nan("");
    }
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    return v[i];
}

constexpr const char* usage =
    "Usage: wc_accuracy [SECONDS] [SEEDS]\n"
    "CSS-WC accuracy of each estimator on simulated networks: the true error of the client's wall\n"
    "clock and the error bound it reports, as a table.\n"
    "  SECONDS  simulated seconds per run, a whole number > 0 (default 10)\n"
    "  SEEDS    runs per row, each with its own random seed, a whole number > 0 (default 20)\n"
    "Exit status: 0 done, 2 usage error.\n";

/// argv[i] as a whole number >= 1, or 0 if it is not one.
long long positive_argument(const char* text) {
    const long long v = dvbcss::bench::whole_argument(text);
    return v >= 1 ? v : 0;
}

} // namespace

int main(int argc, char** argv) {
    if (const int status = dvbcss::bench::help_or_too_many(
            argc, argv, 2, "wc_accuracy: at most two arguments", usage);
        status >= 0) {
        return status;
    }
    const std::int64_t seconds = argc > 1 ? positive_argument(argv[1]) : 10;
    const long long seeds_arg = argc > 2 ? positive_argument(argv[2]) : 20;
    if (seconds < 1 || seeds_arg < 1 || seeds_arg > 1'000'000) {
        std::fprintf(stderr, "wc_accuracy: SECONDS and SEEDS must be whole numbers > 0\n%s", usage);
        return 2;
    }
    const int seeds = static_cast<int>(seeds_arg);

    std::vector<scenario> scenarios;
    {
        network_profile p;
        p.delay_ns = 20'000;
        p.jitter_ns = 5'000;
        p.turnaround_ns = 2'000;
        scenarios.push_back({"loopback 20us+-5us", p});
        p.client_mfe_ppm = 50;
        scenarios.push_back({"loopback 20us+-5us, local mfe 50ppm", p});
    }
    {
        network_profile p; // 5 ms +- 2 ms
        scenarios.push_back({"jitter 5ms+-2ms", p});
        p.client_mfe_ppm = 50;
        scenarios.push_back({"jitter 5ms+-2ms, local mfe 50ppm", p});
        p.client_mfe_ppm = 500;
        p.loss = 0.1;
        p.duplicate = 0.05;
        p.reorder = 0.05;
        scenarios.push_back({"jitter 5ms+-2ms, 10% loss, dup, reorder", p});
    }

    std::printf("CSS-WC accuracy, %lld s simulated, %d seeds per row.\n",
                static_cast<long long>(seconds), seeds);
    std::printf("end |err|: true error at the end (median / max over seeds); run |err| p95: over "
                "every event after sync, all seeds; disp: reported bound at the end (median); "
                "bound ok: runs where |err| <= bound throughout.\n\n");
    std::printf("%-42s %-18s %12s %12s %14s %12s %9s\n", "network", "estimator", "end|err| med",
                "end|err| max", "run|err| p95", "disp med", "bound ok");
    for (const auto& sc : scenarios) {
        for (const auto* est : {"lowest-dispersion", "filter-predict", "most-recent"}) {
            std::vector<double> end_err;
            std::vector<double> run_err;
            std::vector<double> end_disp;
            int bound_ok = 0;
            for (int seed = 1; seed <= seeds; ++seed) {
                simulated_network net(sc.profile, static_cast<std::uint64_t>(seed), est);
                bool ok = true;
                net.run_until(seconds * 1'000'000'000, [&] {
                    const double d = net.dispersion_ns();
                    if (std::isinf(d)) {
                        return;
                    }
                    const double e = std::fabs(net.true_error_ns());
                    run_err.push_back(e);
                    if (e > d + 2.0) {
                        ok = false;
                    }
                });
                end_err.push_back(std::fabs(net.true_error_ns()));
                end_disp.push_back(net.dispersion_ns());
                bound_ok += ok ? 1 : 0;
            }
            std::printf("%-42s %-18s %9.1f us %9.1f us %11.1f us %9.1f us %6d/%d\n", sc.name, est,
                        percentile(end_err, 0.5) / 1e3, percentile(end_err, 1.0) / 1e3,
                        percentile(run_err, 0.95) / 1e3, percentile(end_disp, 0.5) / 1e3, bound_ok,
                        seeds);
        }
    }
    return 0;
}
