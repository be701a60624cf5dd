#pragma once

/// One CSS-WC request/response exchange and the maths of TS 103 286-2 §8 and Annex C.
///
/// API summary
/// - `candidate`                 t1..t4 (int64 ns) + the server's precision and max frequency
/// error.
/// - `candidate::from_response(response, t1_ns, t4_ns)` -> result<candidate>
///                               (errc::not_a_response for a request).
/// - `offset_ns()`, `rtt_ns()`, `is_plausible()`.
/// - `dispersion_ns(local_mfe_ppm)`  error bound at the correlation point, ns.
/// - `correlation_for(wall_clock, local_mfe_ppm?)`  -> clock::correlation for a wall clock whose
///                               parent is the local clock t1/t4 were read from.
/// - `correlation_error_at(corr, local_clock, local_ns)` error of a correlation at a local time.
///
/// Time bases: t1 and t4 are nanoseconds on the LOCAL clock (the wall clock's parent); t2 and t3
/// are nanoseconds on the SERVER's wall clock, as carried on the wire (0 .. max_wire_ns).
/// Preconditions for overflow-free arithmetic: t1, t4 in [0, 2^62).
///
/// Follow-up (fix of the reference's B19): when a type-2 response is followed by a type-3
/// follow-up, t4 is the arrival of the type 2 and t3 is taken from the follow-up.

#include <dvbcss/clock/clock_base.hpp>
#include <dvbcss/clock/correlation.hpp>
#include <dvbcss/error.hpp>
#include <dvbcss/wc/message.hpp>

#include <cstdint>
#include <optional>

namespace dvbcss::wc {

/// The four timestamps of one exchange plus what the server said about its clock quality.
///
/// Thread safety: a value type.
struct candidate {
    std::int64_t t1 = 0;                  ///< Request sent, local clock ns (the originate field).
    std::int64_t t2 = 0;                  ///< Request received, server wall clock ns.
    std::int64_t t3 = 0;                  ///< Response sent, server wall clock ns.
    std::int64_t t4 = 0;                  ///< Response received, local clock ns.
    double server_precision_ns = 0;       ///< Server's dispersion (decoded precision field), ns.
    double server_max_freq_error_ppm = 0; ///< Server's max frequency error, ppm.

    /// A candidate from a response (types 1..3) whose request left at `t1_ns` and which arrived
    /// at `t4_ns` (local ns). errc::not_a_response for a request.
    [[nodiscard]] static result<candidate>
    from_response(const message& response, std::int64_t t1_ns, std::int64_t t4_ns) noexcept;

    /// Server time minus local time at the exchange's midpoint, ns:
    /// floor(((t3 + t2) - (t4 + t1)) / 2). Positive: the server's clock is ahead of the local one.
    [[nodiscard]] std::int64_t offset_ns() const noexcept;

    /// Round-trip time excluding the server's turnaround, ns: (t4 - t1) - (t3 - t2).
    [[nodiscard]] std::int64_t rtt_ns() const noexcept;

    /// False for exchanges no honest server/network can produce: t4 < t1, t3 < t2, or rtt < 0.
    [[nodiscard]] bool is_plausible() const noexcept;

    /// Error bound of the correlation this candidate gives, at its correlation point, ns:
    /// server precision + rtt/2 + mfe_local * (t4 - t1) + mfe_server * (t3 - t2)  (Annex C),
    /// with negative intervals counted as 0. The local clock's own precision is not included: it
    /// comes from the local clock's dispersion.
    [[nodiscard]] double dispersion_ns(double local_max_freq_error_ppm) const noexcept;

    /// Growth of that error bound away from the correlation point: (mfe_local + mfe_server) / 1e6,
    /// seconds of error per second (dimensionless).
    [[nodiscard]] double error_growth_rate(double local_max_freq_error_ppm) const noexcept;

    /// The correlation for `wall_clock` (tick rate any; its parent is the local clock whose ns
    /// t1/t4 are): parent point (t1 + t4) / 2 on the parent, child point (t2 + t3) / 2 on the
    /// wall clock, error `dispersion_ns`, growth `error_growth_rate`. `local_max_freq_error_ppm`
    /// defaults to the wall clock root's. Precondition: `wall_clock` has a parent.
    [[nodiscard]] clock::correlation
    correlation_for(const clock::clock_base& wall_clock,
                    std::optional<double> local_max_freq_error_ppm = std::nullopt) const;

    friend bool operator==(const candidate&, const candidate&) = default;
};

/// Error bound (ns) of correlation `c` (of a clock whose parent is `local_clock`) at the local
/// time `local_ns` (nanoseconds on `local_clock`): initial error + growth * |local - parent point|.
/// Excludes `local_clock`'s own dispersion.
[[nodiscard]] double correlation_error_at(const clock::correlation& c,
                                          const clock::clock_base& local_clock,
                                          std::int64_t local_ns) noexcept;

} // namespace dvbcss::wc
