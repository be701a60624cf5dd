#pragma once

/// The pretend programme schedule of the reference's CIIServer example: three broadcast content
/// ids in turn, each shown for a cycle that starts "transitioning" and settles to "okay".

#include <dvbcss/cii/message.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>

namespace dvbcss::tools {

/// Drives a CII through the pretend schedule with an Asio timer. For each content id in turn it
/// applies `{contentId, contentIdStatus:"final", presentationStatus:"transitioning"}`, then after
/// `transitioning` `{contentIdStatus:"final", presentationStatus:"okay"}`, then after `okay` moves
/// to the next id (defaults: 2 s and 5 s, a 7 s cycle, as the reference).
///
/// Thread safety: use from the executor's thread (start/stop may be called before it runs).
class pretend_content {
public:
    /// Receives each set of changes (apply it with `cii::update`).
    using apply_function = std::function<void(const cii::message& changes)>;

    /// The reference's three content ids.
    static constexpr std::array<std::string_view, 3> content_ids{
        "dvb://233a.1004.1044;363a~20130218T0915Z--PT00H45M",
        "dvb://233a.1168.122a;1aa4~20130218T0910Z--PT00H30M",
        "dvb://233a.1050.1008;9fd~20130218T0920Z--PT00H50M",
    };

    pretend_content(boost::asio::any_io_executor executor, apply_function apply,
                    std::chrono::milliseconds transitioning = std::chrono::seconds(2),
                    std::chrono::milliseconds okay = std::chrono::seconds(5));

    /// Applies the first step at once and schedules the rest.
    void start();

    /// Cancels the schedule.
    void stop();

    /// The changes of each step: `step` even = a new content id (transitioning), odd = okay.
    [[nodiscard]] static cii::message changes_for(std::size_t step);

private:
    void run_step();

    boost::asio::steady_timer timer_;
    apply_function apply_;
    std::chrono::milliseconds transitioning_;
    std::chrono::milliseconds okay_;
    std::size_t step_ = 0;
    bool running_ = false;
};

} // namespace dvbcss::tools
