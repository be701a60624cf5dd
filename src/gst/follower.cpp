#include <dvbcss/gst/follower.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <gst/gst.h>

namespace dvbcss::gst {
namespace {

media::timeline_mapping choose_timeline(const media_pipeline& pipeline,
                                        const follower_options& options) {
    if (options.timeline) {
        return *options.timeline;
    }
    std::string carried;
    for (const auto& t : pipeline.timelines()) {
        if (t.selector == options.selector) {
            return t;
        }
        carried += (carried.empty() ? "" : ", ") + t.selector;
    }
    throw std::invalid_argument("the TV's timeline " + options.selector + " is not carried by " +
                                pipeline.uri() + " (it carries " +
                                (carried.empty() ? std::string("none") : carried) + ")");
}

/// Sets the base time on the pipeline and every element inside it: a bin hands its base time to
/// its children only on PAUSED->PLAYING, and a playing sink reads its own at each buffer.
void set_base_time_everywhere(media_pipeline& pipeline, std::int64_t base_ns) {
    pipeline.set_base_time(base_ns);
    GstElement* top = pipeline.native();
    if (top == nullptr || !GST_IS_BIN(top)) {
        return;
    }
    const auto base = static_cast<GstClockTime>(base_ns);
    GstIterator* it = gst_bin_iterate_recurse(GST_BIN(top));
    GValue item = G_VALUE_INIT;
    for (;;) {
        const auto r = gst_iterator_next(it, &item);
        if (r == GST_ITERATOR_OK) {
            gst_element_set_base_time(GST_ELEMENT(g_value_get_object(&item)), base);
            g_value_reset(&item);
        } else if (r == GST_ITERATOR_RESYNC) {
            gst_iterator_resync(it);
        } else {
            break;
        }
    }
    g_value_unset(&item);
    gst_iterator_free(it);
}

bool is(const char* a, const char* b) {
    return std::strcmp(a, b) == 0;
}

} // namespace

follower::follower(media_pipeline& pipeline, wall_clock_gst_clock& clock,
                   boost::asio::any_io_executor owner, follower_options options,
                   report_handler on_report)
    : pipeline_(&pipeline)
    , clock_(&clock)
    , options_(std::move(options))
    , on_report_(std::move(on_report))
    , timeline_(choose_timeline(pipeline, options_))
    , preroll_ns_(options_.preroll_ns)
    , timeout_(owner)
    , retry_(std::move(owner)) {}

follower::~follower() {
    timeout_.cancel();
    retry_.cancel();
}

media_pipeline_options follower::pipeline_options(media_pipeline_options base,
                                                  const wall_clock_gst_clock& clock) {
    base.clock = clock.native();
    base.manage_base_time = true;
    return base;
}

void follower::on_control_timestamp(const ts::control_timestamp& ct) {
    tv_ = ct;
    plan_and_apply("control_timestamp");
}

void follower::on_media_event(const media_event& e) {
    switch (e.kind) {
    case media_event_kind::timelines_known:
    case media_event_kind::error:
        return;
    case media_event_kind::timelines_updated:
        // Jumps found later in the file: the chosen timeline with them (if not given).
        if (!options_.timeline) {
            for (const auto& t : pipeline_->timelines()) {
                if (t.selector == options_.selector) {
                    timeline_ = t;
                }
            }
        }
        plan_and_apply(to_string(e.kind));
        return;
    default:
        plan_and_apply(to_string(e.kind));
    }
}

void follower::on_wall_clock_changed() {
    plan_and_apply("wall_clock");
}

follower_report follower::make_report(const char* trigger) const {
    follower_report r;
    r.trigger = trigger;
    const auto now = clock_->now();
    r.clock_offset_ns = now.pipeline_ns - now.wall_clock_ns;
    if (!tv_) {
        return r;
    }
    media::follow_input in;
    in.tv = *tv_;
    in.timeline = timeline_;
    in.player = pipeline_->state();
    in.now_ns = now.wall_clock_ns;
    in.render_delay_ns = options_.render_delay_ns;
    in.preroll_ns = preroll_ns_;
    in.duration_ns = pipeline_->duration_ns();
    if (!in.duration_ns) {
        in.duration_ns = end_bound_ns_; // learned from a seek the media could not take
    }
    r.plan = media::plan_follow(in, options_.thresholds);
    if (r.plan.offset_ns) {
        // The pipeline renders by its own clock: ahead of the estimate by clock_offset_ns, so the
        // player is that much (times its rate) further on than the plan saw.
        const double rate = in.player.playing ? in.player.seg.effective_rate() : 0.0;
        r.offset_ns = *r.plan.offset_ns +
                      static_cast<std::int64_t>(static_cast<double>(r.clock_offset_ns) * rate);
    }
    return r;
}

follower_report follower::measure() const {
    return make_report("measure");
}

void follower::wait_for(waiting_for w) {
    waiting_ = w;
    timeout_.expires_after(std::chrono::nanoseconds(options_.settle_timeout_ns));
    timeout_.async_wait(
        [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
            if (!ec && !alive.expired() && waiting_ != waiting_for::nothing) {
                waiting_ = waiting_for::nothing;
                plan_and_apply("timeout");
            }
        });
}

void follower::plan_and_apply(const char* trigger) {
    if (!tv_) {
        return;
    }
    if (waiting_ != waiting_for::nothing) {
        // A seek, pause or rate change is under way: plan again only once the pipeline says it
        // is done (prerolled and paused for a seek or a pause, the new rate at the sink).
        const auto player = pipeline_->state();
        bool done = false;
        switch (waiting_) {
        case waiting_for::seek:
        case waiting_for::pause:
            done = (is(trigger, "seek_done") || is(trigger, "paused")) && !player.playing &&
                   player.paused_position_ns.has_value();
            break;
        case waiting_for::rate:
            done = is(trigger, "rate_changed") || is(trigger, "seek_done");
            break;
        case waiting_for::nothing:
            break;
        }
        if (!done) {
            return;
        }
        if (waiting_ == waiting_for::seek) {
            const auto took = clock_->now().wall_clock_ns - seek_started_ns_;
            preroll_ns_ = std::max(preroll_ns_, took + took / 2);
            // The seek ended well short of its target: the media ends before the target. With no
            // duration from the pipeline (a short MPEG-TS file has none), that target bounds it,
            // so a TV further on is outside the media rather than a reason to seek again.
            if (seek_target_ && player.paused_position_ns &&
                *seek_target_ - *player.paused_position_ns > unreachable_margin_ns) {
                end_bound_ns_ = std::min(end_bound_ns_.value_or(*seek_target_), *seek_target_);
            }
        }
        waiting_ = waiting_for::nothing;
        timeout_.cancel();
    }
    // The player reached its end: until a seek moves it, the TV playing on may leave the media,
    // and no pipeline event would say so.
    if (is(trigger, "end_of_stream")) {
        at_end_ = true;
        // Without a duration from the pipeline, where it ended bounds the media.
        if (const auto p = pipeline_->position_ns(); p && !pipeline_->duration_ns()) {
            end_bound_ns_ = std::min(end_bound_ns_.value_or(*p), *p);
        }
    } else if (is(trigger, "seek_done") || is(trigger, "looped")) {
        at_end_ = false;
    }
    auto report = make_report(trigger);
    const auto& plan = report.plan;
    switch (plan.action) {
    case media::follow_action::nothing:
        break;
    case media::follow_action::set_base_time:
        set_base_time_everywhere(*pipeline_, *plan.base_time_ns);
        ++rebases_;
        break;
    case media::follow_action::play:
        set_base_time_everywhere(*pipeline_, *plan.base_time_ns);
        pipeline_->play();
        ++rebases_;
        break;
    case media::follow_action::seek: {
        // Never seek in a loop: a seek within `min_seek_interval_ns` of the last one waits for
        // the rest of that interval, then the follower plans again.
        const auto now_ns = clock_->now().wall_clock_ns;
        if (seeks_ > 0 && now_ns - seek_started_ns_ < min_seek_interval_ns) {
            retry_.expires_after(
                std::chrono::nanoseconds(seek_started_ns_ + min_seek_interval_ns - now_ns));
            retry_.async_wait(
                [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
                    if (!ec && !alive.expired()) {
                        plan_and_apply("retry");
                    }
                });
            return;
        }
        pipeline_->pause();
        seek_started_ns_ = now_ns;
        seek_target_ = std::max<std::int64_t>(0, *plan.stream_time_ns);
        if (pipeline_->seek(*seek_target_, true, plan.rate)) {
            ++seeks_;
            wait_for(waiting_for::seek);
        }
        break;
    }
    case media::follow_action::pause:
        pipeline_->pause();
        break;
    case media::follow_action::pause_at:
        pipeline_->pause();
        if (plan.stream_time_ns &&
            pipeline_->seek(std::max<std::int64_t>(0, *plan.stream_time_ns), true)) {
            ++seeks_;
            wait_for(waiting_for::pause);
        }
        break;
    case media::follow_action::change_rate:
        if (pipeline_->set_rate(*plan.rate)) {
            wait_for(waiting_for::rate);
        }
        break;
    }
    if ((plan.outside_media || at_end_) && tv_->timeline_speed_multiplier > 0) {
        // Nothing else would plan again while the TV plays on towards (or away from) the media.
        retry_.expires_after(std::chrono::nanoseconds(outside_recheck_ns));
        retry_.async_wait(
            [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
                if (!ec && !alive.expired()) {
                    plan_and_apply("outside");
                }
            });
    }
    if (on_report_) {
        on_report_(report);
    }
}

} // namespace dvbcss::gst
