#include "common/discover_options.hpp"

#include <dvbcss/dial/ssdp.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

namespace dvbcss::tools {

void add_discover_options(CLI::App& app, discover_options& options,
                          const std::string& timeout_option) {
    app.add_option("--interface", options.interface,
                   "Network interface to search on (multicast goes out only there), e.g. eth0");
    app.add_option("--name", options.name, "Only the TV with this friendly name");
    app.add_option("--mx", options.mx_s,
                   "MX of the search: TVs answer within this many seconds (1..5, default 1)")
        ->check(integer_between(1, 5));
    app.add_option(timeout_option, options.timeout_s,
                   "Seconds to wait for TVs (> 0; default MX + 2)")
        ->check(greater_than(0));
}

std::string discover_usage_problem(const discover_options& options, bool has_url,
                                   std::string_view url_name) {
    const std::string url(url_name);
    if (options.discover && has_url) {
        return "give either " + url + " or --discover, not both";
    }
    if (!options.discover && !has_url) {
        return "needs " + url + ", or --discover --interface IFACE to find the TV by DIAL";
    }
    if (!options.discover && (!options.interface.empty() || !options.name.empty() ||
                              options.mx_s != 1 || options.timeout_s != 0)) {
        return "--interface, --name, --mx and --discover-timeout go with --discover";
    }
    return {};
}

std::optional<net::network_interface> choose_interface(std::string_view program,
                                                       const discover_options& options) {
    const auto listed = net::describe_multicast_interfaces();
    if (options.interface.empty()) {
        std::fprintf(stderr,
                     "%.*s: --interface is required (multicast goes out only where you say); "
                     "multicast-capable interfaces: %s\n",
                     static_cast<int>(program.size()), program.data(), listed.c_str());
        return std::nullopt;
    }
    auto found = net::find_multicast_interface(options.interface);
    if (!found) {
        std::fprintf(stderr,
                     "%.*s: %s is not an interface that is up with multicast and an IPv4 address; "
                     "multicast-capable interfaces: %s\n",
                     static_cast<int>(program.size()), program.data(), options.interface.c_str(),
                     listed.c_str());
    }
    return found;
}

net::dial_discovery_config discovery_config(const discover_options& options,
                                            const net::network_interface& iface) {
    net::dial_discovery_config config;
    config.iface = iface;
    config.mx_s = options.mx_s;
    const double timeout_s = options.timeout_s > 0 ? options.timeout_s : options.mx_s + 2.0;
    config.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(timeout_s));
    return config;
}

std::variant<net::discovered_tv, int> discover_first_tv(boost::asio::io_context& io,
                                                        std::string_view program,
                                                        const discover_options& options,
                                                        bool print_found) {
    const auto iface = choose_interface(program, options);
    if (!iface) {
        return exit_status::usage;
    }
    const auto config = discovery_config(options, *iface);
    std::optional<net::discovered_tv> chosen;
    int seen = 0;
    net::dial_discovery discovery(io.get_executor(), config);
    const auto ec = discovery.start(
        [&](const net::discovered_tv& tv) {
            ++seen;
            if (chosen || !tv.inter_dev_sync_url ||
                (!options.name.empty() && tv.friendly_name != options.name)) {
                return;
            }
            chosen = tv;
            discovery.stop();
        },
        [] {});
    if (ec) {
        std::fprintf(stderr, "%.*s: cannot search on %s: %s\n", static_cast<int>(program.size()),
                     program.data(), iface->name.c_str(), ec.message().c_str());
        return exit_status::failed;
    }
    io.run();
    io.restart();
    if (!chosen) {
        const double waited = std::chrono::duration<double>(config.timeout).count();
        if (options.name.empty()) {
            std::fprintf(stderr,
                         "%.*s: no TV with a CSS-CII (InterDevSync) URL answered on %s within "
                         "%g s (%d TV(s) found)\n",
                         static_cast<int>(program.size()), program.data(), iface->name.c_str(),
                         waited, seen);
        } else {
            std::fprintf(stderr,
                         "%.*s: no TV named \"%s\" with a CSS-CII (InterDevSync) URL answered on "
                         "%s within %g s (%d TV(s) found)\n",
                         static_cast<int>(program.size()), program.data(), options.name.c_str(),
                         iface->name.c_str(), waited, seen);
        }
        return exit_status::failed;
    }
    if (print_found) {
        std::fputs(describe_tv(*chosen).c_str(), stdout);
        std::fflush(stdout);
    }
    return *chosen;
}

std::string describe_tv(const net::discovered_tv& tv) {
    const auto or_none = [](const std::optional<std::string>& v) {
        return v ? *v : std::string("(none)");
    };
    char after[32];
    std::snprintf(after, sizeof after, "%.3f", static_cast<double>(tv.found_after_ns) / 1e9);
    return "TV: " + or_none(tv.friendly_name) + "\n" +   //
           "  UDN:              " + tv.udn + "\n" +      //
           "  Location:         " + tv.location + "\n" + //
           "  Application-URL:  " + or_none(tv.application_url) + "\n" +
           "  InterDevSync URL: " + or_none(tv.inter_dev_sync_url) + "\n" +
           "  App2App URL:      " + or_none(tv.app2app_url) + "\n" +
           "  User agent:       " + or_none(tv.user_agent) + "\n" +
           "  Answered from:    " + tv.address.to_string() + " after " + after + " s\n";
}

std::string tv_json(const net::discovered_tv& tv) {
    const auto value = [](const std::optional<std::string>& v) {
        return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json();
    };
    nlohmann::ordered_json j;
    j["friendly_name"] = value(tv.friendly_name);
    j["udn"] = tv.udn;
    j["location"] = tv.location;
    j["application_url"] = value(tv.application_url);
    j["inter_dev_sync_url"] = value(tv.inter_dev_sync_url);
    j["app2app_url"] = value(tv.app2app_url);
    j["user_agent"] = value(tv.user_agent);
    j["address"] = tv.address.to_string();
    j["found_after_s"] = static_cast<double>(tv.found_after_ns) / 1e9;
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

} // namespace dvbcss::tools
