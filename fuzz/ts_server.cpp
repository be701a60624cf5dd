// Fuzz target: the CSS-TS server core on arbitrary companion messages. The input is split at '\n'
// into messages, sent alternately on two connections. Lines starting with '#' are application
// actions instead (content id change, clock changes, time steps, reconnects), so changes of
// state interleave with the messages. After every line everything pending is pulled; the run
// aborts if an invariant breaks:
// - take_dirty names each open connection at most once and no closed one;
// - only set-up connections produce output, and every output decodes as a control timestamp;
// - what is sent differs from what was last sent on that connection (unavailable after
//   unavailable never counts as a difference), and an immediate second pull yields nothing;
// - the selector use counts add up to the number of set-up connections;
// - the sent counter matches the messages produced.
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/clock/time_source.hpp>
#include <dvbcss/ts/clock_timeline_source.hpp>
#include <dvbcss/ts/server.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace {

namespace ts = dvbcss::ts;
namespace clk = dvbcss::clock;

constexpr const char* pts_selector = "urn:dvb:css:timeline:pts";

// Time stands still unless an action moves it, so a replay is deterministic.
class manual_time final : public clk::time_source {
public:
    [[nodiscard]] std::int64_t now_ns() const override { return now; }

    std::int64_t now = 0;
};

void require(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// The root clock measures its precision when built (10000 reads): built once, and its time
// source reset for every input, so each run still starts from the same state.
struct root {
    manual_time time;
    clk::sys_clock sys{time, 1e9};
};

constexpr std::int64_t start_ns = 1'000'000'000'000;

root& fresh_root() {
    static root r;
    r.time.now = start_ns;
    return r;
}

struct harness {
    root& r = fresh_root();
    manual_time& time = r.time;
    clk::sys_clock& sys = r.sys;
    clk::correlated_clock wall{sys, 1e9};
    clk::correlated_clock pts{wall, 90000, clk::correlation{start_ns, 0}};
    clk::correlated_clock temi{pts, 1000};
    ts::clock_timeline_source pts_source{pts_selector, wall, pts};
    ts::clock_timeline_source temi_source{"urn:dvb:css:timeline:temi:1:1", wall, temi};
    ts::server srv{wall, std::string("dvb://233a.1004.1044")};

    std::set<dvbcss::connection_id> open;
    std::map<dvbcss::connection_id, std::optional<ts::control_timestamp>> last;
    std::array<dvbcss::connection_id, 2> ids{1, 2};
    dvbcss::connection_id next_id = 3;
    std::uint64_t produced = 0;

    harness() {
        srv.attach(pts_source);
        srv.attach(temi_source);
        for (const auto id : ids) {
            connect(id);
        }
    }

    void connect(dvbcss::connection_id id) {
        srv.on_open(id, dvbcss::connection_origin{"127.0.0.1", 1, "127.0.0.1:2"});
        open.insert(id);
        last[id] = std::nullopt;
    }

    void disconnect(dvbcss::connection_id id) {
        srv.on_close(id);
        open.erase(id);
        last.erase(id);
    }

    // An application action, chosen by the byte after '#'; the rest of the line is its argument.
    void act(std::string_view line) {
        if (line.size() < 2) {
            return;
        }
        const std::string_view arg = line.substr(2);
        const unsigned value = arg.empty() ? 0U : static_cast<unsigned char>(arg.front());
        switch (line[1]) {
        case 'c':
            srv.set_content_id(arg == "-" ? std::nullopt : std::optional<std::string>(arg));
            break;
        case 's':
            pts.set_speed(static_cast<double>(static_cast<int>(value) - 128) / 16.0);
            break;
        case 'a':
            pts.set_availability(!pts.is_available());
            break;
        case 'v':
            temi.set_availability((value & 1U) != 0);
            break;
        case 't':
            time.now += static_cast<std::int64_t>(value) * 1'000'003;
            break;
        case 'r':
            pts.set_correlation(clk::correlation{wall.ticks(), static_cast<dvbcss::tick_t>(value)});
            break;
        case 'd':
            srv.detach(value % 2 == 0 ? static_cast<ts::timeline_source&>(pts_source)
                                      : static_cast<ts::timeline_source&>(temi_source));
            break;
        case 'A':
            srv.attach(value % 2 == 0 ? static_cast<ts::timeline_source&>(pts_source)
                                      : static_cast<ts::timeline_source&>(temi_source));
            break;
        case 'x': { // one connection leaves, a new one takes its place
            const std::size_t slot = value % 2U;
            disconnect(ids[slot]);
            ids[slot] = next_id++;
            connect(ids[slot]);
            break;
        }
        default:
            break;
        }
    }

    void pull() {
        const auto dirty = srv.take_dirty();
        std::set<dvbcss::connection_id> seen;
        for (const auto id : dirty) {
            require(seen.insert(id).second);
            require(open.count(id) == 1);
        }
        for (const auto id : open) {
            const auto text = srv.take_pending(id);
            if (!text) {
                continue;
            }
            require(srv.setup_of(id).has_value());
            const auto ct = ts::decode_control_timestamp(*text);
            require(ct.has_value());
            const auto& prev = last[id];
            require(!prev || (*prev != *ct && (prev->available() || ct->available())));
            require(srv.last_sent(id) == *ct);
            last[id] = *ct;
            ++produced;
            require(!srv.take_pending(id).has_value());
        }
        std::size_t set_up = 0;
        for (const auto id : open) {
            set_up += srv.setup_of(id).has_value() ? 1U : 0U;
        }
        std::size_t counted = 0;
        for (const auto& selector : srv.needed_selectors()) {
            const auto n = srv.selector_use_count(selector);
            require(n > 0);
            counted += n;
        }
        require(counted == set_up);
        require(srv.stats().control_timestamps_sent == produced);
        require(srv.connection_count() == open.size());
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    harness h;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t start = 0;
    std::size_t line_no = 0;
    while (start <= input.size()) {
        auto end = input.find('\n', start);
        if (end == std::string_view::npos) {
            end = input.size();
        }
        const auto line = input.substr(start, end - start);
        if (!line.empty() && line.front() == '#') {
            h.act(line);
        } else {
            const auto id = h.ids[line_no % 2];
            const auto ec = h.srv.on_text(id, line);
            // Success only ever comes from a message that decodes as one of the two kinds.
            if (!ec) {
                require(ts::decode_setup_data(line).has_value() ||
                        ts::decode_apt_ept_lpt(line).has_value());
            }
            ++line_no;
        }
        h.pull();
        start = end + 1;
    }
    // Everything closes, as when the endpoint is disabled: no selector stays needed.
    for (const auto id : std::set<dvbcss::connection_id>(h.open)) {
        h.disconnect(id);
    }
    require(h.srv.needed_selectors().empty());
    return 0;
}
