#pragma once

// Shared by the tests/netns programs: the refusal to run beside any interface but lo (their
// main), and a CII companion that takes the first message a TV sends.

#include "support/io_loop.hpp"

#include <dvbcss/cii/message.hpp>
#include <dvbcss/net/cii_client.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <net/if.h>

namespace dvbcss::test {

/// Runs the program's tests (gtest, `argc`/`argv`) only if the network namespace holds lo alone:
/// SSDP must never reach a real network (run_in_netns.sh makes such a namespace). Otherwise
/// returns 1 after one line on stderr naming `program` and the first other interface.
inline int run_tests_beside_lo_only(int argc, char** argv, const char* program) {
    if (auto* names = if_nameindex()) {
        for (auto* n = names; n->if_index != 0; ++n) {
            if (std::string(n->if_name) != "lo") {
                std::fprintf(stderr,
                             "%s: refusing to run: interface %s exists; "
                             "run me through tests/netns/run_in_netns.sh\n",
                             program, n->if_name);
                if_freenameindex(names);
                return 1;
            }
        }
        if_freenameindex(names);
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

/// Connects a CII client to `url` on `io` (run on the calling thread), waits up to `limit` for
/// the first CII message, closes the connection (letting `io` run 100 ms for the close) and
/// returns the message; nullopt if the client could not start or nothing came in time.
inline std::optional<cii::message> first_cii(boost::asio::io_context& io, const std::string& url,
                                             std::chrono::milliseconds limit) {
    std::optional<cii::message> first;
    cii::client_handlers handlers;
    handlers.message_received = [&](const cii::message& m) {
        if (!first) {
            first = m;
        }
    };
    net::websocket_client_config config;
    config.url = url;
    net::cii_client companion(io.get_executor(), config, handlers);
    if (companion.start()) {
        return std::nullopt;
    }
    run_until(
        io, [&] { return first.has_value(); }, limit);
    companion.close();
    run_for(io, std::chrono::milliseconds(100));
    return first;
}

} // namespace dvbcss::test
