// follow_tv: plays a media file in step with a TV, with dvbcss's library alone.
//
//   follow_tv TS_URL WC_HOST WC_PORT SELECTOR FILE
//   e.g. follow_tv ws://127.0.0.1:7681/ts 127.0.0.1 6677 urn:dvb:css:timeline:pts clicks.ts
//
// The four parts a companion player needs, each a library class:
//   1. a wall clock estimate: a correlated clock on the system clock, kept in step with the TV's
//      wall clock by net::wall_clock_client (CSS-WC);
//   2. a GStreamer pipeline clock that reads that estimate: gst::wall_clock_gst_clock;
//   3. the player: gst::media_pipeline, created with follower::pipeline_options (that clock, base
//      time managed by the application);
//   4. gst::follower, fed the TV's control timestamps (CSS-TS, through ts::timeline_follower) and
//      the pipeline's events; it sets the base time, seeks, pauses and changes the rate.
// The player starts once the wall clock is synchronised (its first estimate may be far from the
// unsynchronised one, and a pipeline clock is never stepped back). Every object lives on one
// io_context (the owner). Ctrl-C ends it. Exit status 0, 1 (media or connection failure), 2
// (usage).
#include <dvbcss/clock/correlated_clock.hpp>
#include <dvbcss/clock/sys_clock.hpp>
#include <dvbcss/gst/follower.hpp>
#include <dvbcss/gst/media_pipeline.hpp>
#include <dvbcss/gst/wall_clock_gst_clock.hpp>
#include <dvbcss/net/udp_socket.hpp>
#include <dvbcss/net/wall_clock_client.hpp>
#include <dvbcss/net/ws_client_adapter.hpp>
#include <dvbcss/ts/clock_controller.hpp>
#include <dvbcss/wc/estimator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace dvbcss;

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: follow_tv TS_URL WC_HOST WC_PORT SELECTOR FILE\n");
        return 2;
    }
    const std::string ts_url = argv[1];
    const std::string selector = argv[4];
    boost::asio::io_context io;

    // 1. The wall clock estimate, synchronised by CSS-WC.
    clock::sys_clock sys;
    clock::correlated_clock wall_clock(sys, 1e9);
    const auto server =
        net::resolve_udp_endpoint(argv[2], static_cast<std::uint16_t>(std::stoul(argv[3])));
    const auto bind = net::resolve_udp_endpoint("0.0.0.0", 0);
    if (!server || !bind) {
        std::fprintf(stderr, "follow_tv: cannot resolve %s\n", argv[2]);
        return 2;
    }
    net::wall_clock_client_config wc_config;
    wc_config.server = *server;
    wc_config.bind = *bind;
    net::wall_clock_client wc(io.get_executor(), wall_clock,
                              wc::make_estimator("lowest-dispersion", wall_clock, {}), wc_config);

    // 2-4. Made once the wall clock is synchronised.
    std::unique_ptr<gst::wall_clock_gst_clock> pipeline_clock;
    std::unique_ptr<gst::media_pipeline> player;
    std::unique_ptr<gst::follower> follower;
    std::optional<ts::control_timestamp> latest;
    int status = 0;

    // The TV's timeline over CSS-TS; control timestamps go to the follower.
    clock::correlated_clock timeline(wall_clock, 1); // the tick rate does not matter here
    ts::client_handlers ts_events;
    ts_events.control_timestamp = [&](const ts::control_timestamp& ct) {
        latest = ct;
        if (follower) {
            follower->on_control_timestamp(ct);
        }
    };
    net::websocket_client_config ws;
    ws.url = ts_url;
    net::ws_client_adapter<ts::timeline_follower> tv(
        io.get_executor(), ws, {}, {}, std::in_place, ts::setup_data{"", selector, std::nullopt},
        timeline, ts::clock_controller_options{}, ts_events);

    wc.on_event([&](const net::wall_clock_client_event&) {
        if (follower || !wc.synchronised()) {
            return;
        }
        try {
            pipeline_clock =
                std::make_unique<gst::wall_clock_gst_clock>(wall_clock, io.get_executor());
            gst::media_pipeline_options options;
            options.uri = argv[5];
            player = gst::media_pipeline::create(
                gst::follower::pipeline_options(options, *pipeline_clock), io.get_executor(),
                [&](const gst::media_event& e) {
                    if (follower) {
                        follower->on_media_event(e);
                    }
                });
            gst::follower_options fo;
            fo.selector = selector;
            follower = std::make_unique<gst::follower>(
                *player, *pipeline_clock, io.get_executor(), fo, [](const gst::follower_report& r) {
                    if (r.plan.action != media::follow_action::nothing) {
                        std::printf("%s (offset %.3f ms)\n", media::to_string(r.plan.action),
                                    r.offset_ns ? static_cast<double>(*r.offset_ns) / 1e6 : 0.0);
                    }
                });
            if (latest) {
                follower->on_control_timestamp(*latest);
            }
        } catch (const std::exception& e) { // gst::media_error, a timeline the file lacks
            std::fprintf(stderr, "follow_tv: %s\n", e.what());
            status = 1;
            io.stop();
        }
    });

    if (wc.start() || tv.start()) {
        std::fprintf(stderr, "follow_tv: cannot start the CSS-WC or CSS-TS client\n");
        return 1;
    }
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    io.run();
    follower.reset();
    player.reset();
    return status;
}
