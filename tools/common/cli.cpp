#include "common/cli.hpp"

#include <dvbcss/net/log.hpp>

#include <cstdio>
#include <exception>
#include <stdexcept>

namespace dvbcss::tools {

void add_common_options(CLI::App& app, common_options& options) {
    app.add_flag("-q,--quiet", options.quiet, "Suppress all output and logging");
    app.add_option("--loglevel", options.log_level,
                   "Logging level: debug, info, warning, error, critical")
        ->capture_default_str()
        ->check([](const std::string& v) -> std::string {
            return net::log::parse_level(v) ? std::string{} : "unknown log level: " + v;
        });
    app.set_version_flag("--version", std::string("dvbcss ") + DVBCSS_VERSION_STRING);
}

void apply_common_options(const common_options& options) {
    if (options.quiet) {
        net::log::set_level(net::log::level::off);
        return;
    }
    if (auto level = net::log::parse_level(options.log_level)) {
        net::log::set_level(*level);
    }
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      const common_options& options) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version end with 0; every usage error with 2 (never CLI11's own numbers).
        return app.exit(e) == 0 ? 0 : exit_status::usage;
    }
    apply_common_options(options);
    return std::nullopt;
}

void quiet_transport_logs() {
    net::log::set_sink([](net::log::level l, std::string_view logger, std::string_view message) {
        if (logger == "websocket") {
            return;
        }
        const auto name = net::log::level_name(l);
        std::fprintf(stderr, "%.*s:%.*s:%.*s\n", static_cast<int>(name.size()), name.data(),
                     static_cast<int>(logger.size()), logger.data(),
                     static_cast<int>(message.size()), message.data());
    });
}

const CLI::Validator& port_number() {
    static const CLI::Validator validator = CLI::Range(0, 65535).description("port 0..65535");
    return validator;
}

int run_main(const std::function<int()>& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

} // namespace dvbcss::tools
