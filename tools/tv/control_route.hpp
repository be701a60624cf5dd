#pragma once

/// tv-device's `POST /control`: a test harness drives the pretend TV step by step with the
/// scenario's change objects (docs/scenarios.md).

#include <dvbcss/net/http_route.hpp>
#include <dvbcss/net/ws_adapter.hpp>
#include <dvbcss/tv/scenario.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dvbcss::tools {

/// What the owner answers to a set of changes.
struct control_answer {
    /// The first reason the changes cannot all be applied (then none is), in the scenario
    /// parser's style ("[1].timeline: no timeline ..."); nothing when they were applied.
    std::optional<std::string> refused;
    std::string body; ///< When applied: the JSON body of the 200 answer.
};

/// Serves `POST /control`. The body is one change object or an array of them; they are applied
/// all or nothing.
///
/// Answers: 200 with `apply`'s JSON body; 400 `{"error":"<path>: <reason>"}` for a body that does
/// not parse (same text as the scenario parser) or changes `apply` refuses; 403 for a peer that
/// is not on a loopback address (unless `from_anywhere`); 405 with "Allow: POST" for any other
/// method. Every refusal is logged, rate-limited (logger "control").
///
/// Thread safety: requests arrive on connection strands; everything, `apply` included, runs on
/// the `owner` executor (the one that owns the TV's state), which answers.
class control_route final : public net::http_handler {
public:
    /// Checks and applies `changes` (all or nothing). `indexed`: they came as an array, so paths
    /// in a refusal start "[i].". Runs on the owner.
    using apply_function =
        std::function<control_answer(const std::vector<tv::change>& changes, bool indexed)>;

    control_route(boost::asio::any_io_executor owner, apply_function apply, bool from_anywhere);

    void on_request(const net::http_request& request, net::http_responder respond) override;

    /// The answer to `request`, computed on the owner (public for tests that need no socket).
    [[nodiscard]] net::http_response answer(const net::http_request& request);

private:
    boost::asio::any_io_executor owner_;
    apply_function apply_;
    bool from_anywhere_;
    net::detail::limited_log log_; // owner only
};

} // namespace dvbcss::tools
