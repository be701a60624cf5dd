// dial-discover: finds HbbTV TVs on one network interface by DIAL (SSDP M-SEARCH, then the
// device description and the HbbTV application description over HTTP), as a companion app does.
//
//   dial-discover --interface IFACE [--mx S] [--timeout S] [--json] [--name NAME]
//     --interface IFACE  where to search; required (multicast goes out only there)
//     --mx S             MX of the search: TVs answer within S seconds (1..5, default 1)
//     --timeout S        how long to wait for TVs (default MX + 2 s)
//     --name NAME        only the TV with this friendly name (stops when it is found)
//     --json             one JSON object per TV per line (below), nothing else on stdout
//     -q, --loglevel, --version, --help
//
// Each TV is printed as soon as its documents are read. --json lines:
//   {"friendly_name":S|null,"udn":S,"location":S,"application_url":S|null,
//    "inter_dev_sync_url":S|null,"app2app_url":S|null,"user_agent":S|null,"address":S,
//    "found_after_s":X}
//
// Exit status: 0 at least one TV (the named one, with --name) was found; 1 none answered within
// the timeout, or the search socket could not be opened; 2 usage error (a missing or unknown
// interface: the message lists the multicast-capable ones).

#include "common/cli.hpp"
#include "common/discover_options.hpp"
#include "common/stop_signals.hpp"

#include <dvbcss/net/dial_discovery.hpp>

#include <boost/asio/io_context.hpp>

#include <csignal>
#include <cstdio>
#include <string>

namespace {

namespace tools = dvbcss::tools;
namespace net = dvbcss::net;

struct options {
    tools::common_options common{false, "warning"};
    tools::discover_options discover;
    bool json = false;
};

int run(const options& o) {
    const auto iface = tools::choose_interface("dial-discover", o.discover);
    if (!iface) {
        return tools::exit_status::usage;
    }
    boost::asio::io_context io;
    // The stop request (SIGINT, SIGTERM: blocked since main, pending ones kept), before any thread.
    dvbcss::tools::stop_signals signals(io);
    const auto config = tools::discovery_config(o.discover, *iface);
    int found = 0;
    net::dial_discovery discovery(io.get_executor(), config);
    const auto ec = discovery.start(
        [&](const net::discovered_tv& tv) {
            if (!o.discover.name.empty() && tv.friendly_name != o.discover.name) {
                return;
            }
            ++found;
            const auto text = o.json ? tools::tv_json(tv) + "\n" : tools::describe_tv(tv);
            std::fputs(text.c_str(), stdout);
            std::fflush(stdout);
            if (!o.discover.name.empty()) {
                discovery.stop();
                signals.cancel();
            }
        },
        [&] { signals.cancel(); });
    if (ec) {
        std::fprintf(stderr, "dial-discover: cannot search on %s: %s\n", iface->name.c_str(),
                     ec.message().c_str());
        return tools::exit_status::failed;
    }
    signals.async_wait([&](const boost::system::error_code& e, int) {
        if (!e) {
            discovery.stop();
        }
    });
    io.run();
    if (found == 0) {
        std::fprintf(stderr, "dial-discover: no %s answered on %s within %g s\n",
                     o.discover.name.empty() ? "TV"
                                             : ("TV named \"" + o.discover.name + "\"").c_str(),
                     iface->name.c_str(), std::chrono::duration<double>(config.timeout).count());
        return tools::exit_status::failed;
    }
    return tools::exit_status::done;
}

} // namespace

int main(int argc, char** argv) {
    dvbcss::tools::block_stop_signals(); // a signal from now on waits for stop_signals
    return tools::run_main([&]() -> int {
        options o;
        CLI::App app{"Finds HbbTV TVs by DIAL and prints their companion screen URLs",
                     "dial-discover"};
        app.footer(std::string("Example: dial-discover --interface eth0 --json\n") +
                   "Exit status: 0 a TV was found, 1 none answered in time, 2 usage error.");
        tools::add_common_options(app, o.common);
        tools::add_discover_options(app, o.discover, "--timeout");
        app.add_flag("--json", o.json, "One JSON object per TV per line (snake_case names)");
        if (const auto exit_code = tools::parse_command_line(app, argc, argv, o.common)) {
            return *exit_code;
        }
        return run(o);
    });
}
