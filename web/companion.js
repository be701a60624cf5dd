// The companion page: follows a TV (tv-device) over CSS-CII, CSS-WC over WebSocket and CSS-TS,
// and shows where the TV's timeline is now, ticking in real time. Plain JavaScript, no external
// resources; the protocol logic is in companion-sync.js. See docs/companion-page.md.
//
// Query parameters: ?timeline=SELECTOR (default: the CII's first timeline, else PTS);
// ?wc=json to use the JSON form of CSS-WC in text frames instead of binary frames;
// ?interval=MS between wall clock requests (default 500, 100..5000).
//
// For tests: window.companion.sample() returns the page's current picture synchronously.

import {
    PTS_SELECTOR, WallClockEstimate, applyCii, candidateFrom, ciiSelectors, decodeControlTimestamp,
    decodeWcJsonResponse, decodeWcResponse, encodeWcJsonRequest, encodeWcRequest, formatDuration,
    formatSeconds, originateKey, positionAt, tickRateFor, wcWebSocketUrl,
} from "./companion-sync.js";

const params = new URLSearchParams(location.search);
const requestedSelector = params.get("timeline");
const wcJson = params.get("wc") === "json";
const wcIntervalMs = Math.min(5000, Math.max(100, Number(params.get("interval")) || 500));

// The local clock: performance.now() in ns. Chromium coarsens it to 100 µs (5 µs when the page
// is cross-origin isolated); that resolution counts into every exchange's dispersion.
const nowNs = () => performance.now() * 1e6;
const localPrecisionNs = self.crossOriginIsolated ? 5e3 : 100e3;
const localMfePpm = 500; // what we assume of the browser's clock, as the reference's sys clock
const FOLLOW_UP_WAIT_NS = 1e9;
const RESPONSE_TIMEOUT_NS = 2e9;
const RECONNECT_MS = 1000;
const PLOT_WINDOW_NS = 60e9;

const state = {
    cii: {},
    ciiMessages: 0,
    selector: requestedSelector,
    connected: { cii: false, ts: false, wc: false },
    wcUrl: null,
    tsUrl: null,
    wc: new WallClockEstimate(),
    wcResponses: 0,
    wcIgnored: 0,
    ct: null, // the latest control timestamp (decoded)
    controlTimestamps: 0,
    firstOffsetNs: null,
    history: [], // {localNs, dispersionNs, correctionNs}
    log: [],
};

// ---------------------------------------------------------------------------------------------
// Log lines (the last few, on the page), rate-limited per kind so a noisy peer cannot flood them.

const lastLogged = new Map();

function note(kind, text, limited = true) {
    const now = Date.now();
    const last = lastLogged.get(kind);
    if (limited && last !== undefined && now - last < 2000) {
        return;
    }
    lastLogged.set(kind, now);
    const line = `${new Date().toISOString().slice(11, 23)} ${text}`;
    state.log.unshift(line);
    state.log.length = Math.min(state.log.length, 8);
    console.info(`companion: ${text}`);
}

// ---------------------------------------------------------------------------------------------
// Sockets

/** Opens `url` and reopens it after RECONNECT_MS whenever it closes, until stopped. */
function keepOpen(name, url, handlers) {
    let socket = null;
    let stopped = false;
    const open = () => {
        if (stopped) {
            return;
        }
        try {
            socket = new WebSocket(url);
        } catch (e) {
            note(`${name}-url`, `${name}: cannot open ${url}: ${e.message}`);
            return;
        }
        socket.binaryType = "arraybuffer";
        socket.onopen = () => {
            state.connected[name] = true;
            note(`${name}-open`, `${name}: connected to ${url}`);
            handlers.open?.(socket);
        };
        socket.onmessage = (event) => handlers.message(event, socket);
        socket.onclose = (event) => {
            if (state.connected[name]) {
                note(`${name}-close`, `${name}: closed (${event.code})`);
            }
            state.connected[name] = false;
            handlers.close?.();
            setTimeout(open, RECONNECT_MS);
        };
    };
    open();
    return {
        get socket() { return socket; },
        stop() {
            stopped = true;
            socket?.close(1000);
        },
    };
}

function defaultUrl(path) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${path}`;
}

// CSS-CII --------------------------------------------------------------------------------------

let wcStarted = false;
let tsStarted = false;

keepOpen("cii", defaultUrl("/cii"), {
    message(event) {
        if (typeof event.data !== "string") {
            note("cii-binary", "cii: ignored a binary message");
            return;
        }
        const previousContentId = state.cii.contentId;
        const error = applyCii(state.cii, event.data);
        if (error) {
            note("cii-bad", `cii: ${error}`);
            return;
        }
        if (state.cii.contentId !== previousContentId) {
            note("cii-content", `content id ${state.cii.contentId ?? "none"}`, false);
        }
        state.ciiMessages++;
        if (!state.selector) {
            state.selector = ciiSelectors(state.cii)[0] ?? PTS_SELECTOR;
        }
        startWallClock(wcWebSocketUrl(state.cii) ?? defaultUrl("/wc"));
        const tsUrl = typeof state.cii.tsUrl === "string" && /^wss?:\/\//.test(state.cii.tsUrl)
                          ? state.cii.tsUrl
                          : defaultUrl("/ts");
        startTimelineSync(tsUrl);
    },
});

// Without a CII within 2 s, follow the TV at the page's own host anyway.
setTimeout(() => {
    if (!state.selector) {
        state.selector = PTS_SELECTOR;
    }
    startWallClock(defaultUrl("/wc"));
    startTimelineSync(defaultUrl("/ts"));
}, 2000);

// CSS-WC over WebSocket ------------------------------------------------------------------------

let outstanding = null; // {key, t1, sentNs, pendingFollowUp: {t4, response} | null}

function useResponse(t1, t4, response) {
    const c = candidateFrom(t1, t4, response, localPrecisionNs, localMfePpm);
    if (!c) {
        state.wcIgnored++;
        note("wc-implausible", "wc: ignored an implausible exchange");
        return;
    }
    if (state.wc.onCandidate(c) && state.firstOffsetNs === null) {
        state.firstOffsetNs = c.offsetNs;
    }
    record(t4);
}

function record(localNs) {
    const dispersionNs = state.wc.dispersionAt(localNs);
    if (!Number.isFinite(dispersionNs)) {
        return;
    }
    state.history.push({
        localNs,
        dispersionNs,
        correctionNs: state.wc.offsetNs - state.firstOffsetNs,
    });
    while (state.history.length && state.history[0].localNs < localNs - PLOT_WINDOW_NS) {
        state.history.shift();
    }
}

function startWallClock(url) {
    if (wcStarted) {
        return;
    }
    wcStarted = true;
    state.wcUrl = url;
    const connection = keepOpen("wc", url, {
        open() {
            outstanding = null;
            sendWcRequest(connection.socket);
        },
        message(event) {
            const arrival = nowNs();
            // The event's own time stamp is when the browser queued it: nearer the wire.
            const stamped = event.timeStamp * 1e6;
            const t4 = stamped > 0 && stamped <= arrival ? stamped : arrival;
            const response = typeof event.data === "string" ? decodeWcJsonResponse(event.data)
                                                            : decodeWcResponse(event.data);
            if (response.error) {
                state.wcIgnored++;
                note("wc-bad", `wc: ignored a message: ${response.error}`);
                return;
            }
            if (!outstanding || response.originate !== outstanding.key) {
                state.wcIgnored++;
                note("wc-unmatched", "wc: ignored a response to no outstanding request");
                return;
            }
            state.wcResponses++;
            if (response.type === 2) {
                outstanding.pendingFollowUp = { t4, response };
                return;
            }
            const t1 = outstanding.t1;
            const heldT4 = outstanding.pendingFollowUp?.t4;
            outstanding = null;
            // A follow-up (type 3) carries a better t3; t4 is when the type-2 response arrived.
            useResponse(t1, response.type === 3 && heldT4 !== undefined ? heldT4 : t4, response);
        },
        close() {
            outstanding = null;
        },
    });
    const tick = () => {
        // The first exchanges come quickly (100 ms apart) so that the estimate settles soon.
        setTimeout(tick, state.wc.candidates < 10 ? Math.min(100, wcIntervalMs) : wcIntervalMs);
        const socket = connection.socket;
        if (!state.connected.wc || !socket || socket.readyState !== WebSocket.OPEN) {
            return;
        }
        const now = nowNs();
        if (outstanding) {
            const held = outstanding.pendingFollowUp;
            if (held && now - held.t4 > FOLLOW_UP_WAIT_NS) {
                const t1 = outstanding.t1;
                outstanding = null;
                useResponse(t1, held.t4, held.response); // no follow-up came: use the type 2
            } else if (now - outstanding.sentNs > RESPONSE_TIMEOUT_NS) {
                outstanding = null; // lost or late: try again
            } else {
                record(now);
                return;
            }
        }
        sendWcRequest(socket);
        record(now);
    };
    tick();
}

function sendWcRequest(socket) {
    const t1 = Math.round(nowNs());
    outstanding = { key: originateKey(t1), t1, sentNs: t1, pendingFollowUp: null };
    socket.send(wcJson ? encodeWcJsonRequest(t1) : encodeWcRequest(t1));
}

// CSS-TS ---------------------------------------------------------------------------------------

function startTimelineSync(url) {
    if (tsStarted) {
        return;
    }
    tsStarted = true;
    state.tsUrl = url;
    keepOpen("ts", url, {
        open(socket) {
            socket.send(JSON.stringify({ contentIdStem: "", timelineSelector: state.selector }));
        },
        message(event) {
            if (typeof event.data !== "string") {
                note("ts-binary", "ts: ignored a binary message");
                return;
            }
            const ct = decodeControlTimestamp(event.data);
            if (ct.error) {
                note("ts-bad", `ts: ignored a message: ${ct.error}`);
                return;
            }
            const before = state.ct;
            if (!before || (before.contentTicks === null) !== (ct.contentTicks === null)) {
                note("ts-availability",
                     `timeline ${ct.contentTicks === null ? "unavailable" : "available"}`, false);
            }
            if (ct.speed !== null && ct.speed !== before?.speed) {
                note("ts-speed", `speed ${ct.speed}`, false);
            }
            state.ct = ct;
            state.controlTimestamps++;
        },
        close() {
            state.ct = null;
        },
    });
}

// ---------------------------------------------------------------------------------------------
// What the page shows, and what tests read

function tickRate() {
    return state.selector ? tickRateFor(state.cii, state.selector) : null;
}

/** The page's picture at one local instant. */
function picture(localNs) {
    const wallNs = state.wc.wallAt(localNs);
    const rate = tickRate();
    const available = state.ct ? state.ct.contentTicks !== null : null;
    return {
        connected_cii: state.connected.cii,
        connected_ts: state.connected.ts,
        connected_wc: state.connected.wc,
        content_id: typeof state.cii.contentId === "string" ? state.cii.contentId : null,
        content_id_status: state.cii.contentIdStatus ?? null,
        presentation_status: state.cii.presentationStatus ?? null,
        selector: state.selector,
        available,
        speed: available ? state.ct.speed : null,
        tick_rate: rate,
        position_ticks: available ? positionAt(state.ct, rate, wallNs) : null,
        wall_clock_ns: wallNs,
        local_ns: localNs,
        dispersion_ns: wallNs === null ? null : state.wc.dispersionAt(localNs),
        offset_ns: state.wc.offsetNs,
        samples_wc: state.wc.candidates,
        adopted_wc: state.wc.adopted,
        ignored_wc: state.wcIgnored,
        control_timestamps: state.controlTimestamps,
        synced: wallNs !== null && state.ct !== null,
    };
}

window.companion = {
    /** The page's current picture, computed now (synchronously). */
    sample: () => picture(nowNs()),
    state,
};

// ---------------------------------------------------------------------------------------------
// Rendering (every animation frame)

const $ = (id) => document.getElementById(id);
const fields = {
    contentId: $("content-id"),
    contentStatus: $("content-status"),
    timelines: $("timelines"),
    wcUrl: $("wc-url"),
    tsUrl: $("ts-url"),
    selector: $("selector"),
    positionSeconds: $("position-seconds"),
    positionTicks: $("position-ticks"),
    speed: $("speed"),
    availability: $("availability"),
    dispersion: $("dispersion"),
    offset: $("offset"),
    samples: $("samples"),
    cii: $("conn-cii"),
    wc: $("conn-wc"),
    ts: $("conn-ts"),
    log: $("log"),
    plot: $("plot"),
};

function setText(element, text) {
    if (element && element.textContent !== text) {
        element.textContent = text;
    }
}

function setConnection(element, connected, label) {
    if (!element) {
        return;
    }
    element.classList.toggle("up", connected);
    setText(element, `${label} ${connected ? "connected" : "not connected"}`);
}

function render() {
    const p = picture(nowNs());
    setText(fields.contentId, p.content_id ?? "no content id yet");
    setText(fields.contentStatus,
            [p.content_id_status, p.presentation_status].filter(Boolean).join(" · ") || "");
    const offered = ciiSelectors(state.cii).map((selector) => {
        const rate = tickRateFor(state.cii, selector);
        return `${selector.replace(/^urn:dvb:css:timeline:/, "")} (${rate ?? "?"} Hz)`;
    });
    setText(fields.timelines, offered.join(", ") || "–");
    setText(fields.wcUrl, state.wcUrl ?? "–");
    setText(fields.tsUrl, state.tsUrl ?? "–");
    setText(fields.selector, p.selector ?? "–");
    if (p.position_ticks !== null) {
        setText(fields.positionSeconds, formatSeconds(p.position_ticks / p.tick_rate));
        setText(fields.positionTicks, `${Math.floor(p.position_ticks)} ticks at ${p.tick_rate} Hz`);
    } else {
        setText(fields.positionSeconds, "–:––:––.–––");
        setText(fields.positionTicks, p.available === false ? "timeline unavailable"
                                      : p.wall_clock_ns === null ? "waiting for the wall clock"
                                      : p.tick_rate === null ? "tick rate unknown"
                                      : "waiting for a control timestamp");
    }
    setText(fields.speed, p.speed === null ? "–" : `${p.speed}×`);
    const availability = p.available === null ? "unknown" : p.available ? "available" : "unavailable";
    setText(fields.availability, availability);
    if (fields.availability) {
        fields.availability.dataset.state = availability;
    }
    document.body.dataset.paused = String(p.speed === 0);
    setText(fields.dispersion, formatDuration(p.dispersion_ns));
    setText(fields.offset, p.offset_ns === null ? "–" : formatDuration(p.offset_ns));
    setText(fields.samples, `${p.samples_wc} exchanges, ${p.adopted_wc} adopted`);
    setConnection(fields.cii, p.connected_cii, "CII");
    setConnection(fields.wc, p.connected_wc, "WC");
    setConnection(fields.ts, p.connected_ts, "TS");
    setText(fields.log, state.log.join("\n"));
    drawPlot(fields.plot, p.local_ns);
    requestAnimationFrame(render);
}

/** Two stacked panels over the last 60 s: dispersion (µs) and offset correction (µs). */
function drawPlot(canvas, nowLocalNs) {
    if (!canvas) {
        return;
    }
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const style = getComputedStyle(canvas);
    const ink = style.getPropertyValue("--plot-ink").trim() || "#888";
    const grid = style.getPropertyValue("--plot-grid").trim() || "#333";
    const colours = [style.getPropertyValue("--plot-a").trim() || "#4cc9f0",
                     style.getPropertyValue("--plot-b").trim() || "#f9c74f"];
    const left = 66;
    const right = 8;
    const gap = 18;
    const panelHeight = (height - gap * 3) / 2;
    const panels = [
        { title: "dispersion", key: "dispersionNs", top: gap, zeroBased: true },
        { title: "offset correction", key: "correctionNs", top: gap * 2 + panelHeight,
          zeroBased: false },
    ];
    const x = (localNs) =>
        left + (width - left - right) * (1 - (nowLocalNs - localNs) / PLOT_WINDOW_NS);
    g.font = "11px system-ui, sans-serif";
    panels.forEach((panel, index) => {
        const values = state.history.map((h) => h[panel.key]);
        let lo = panel.zeroBased ? 0 : Math.min(0, ...values);
        let hi = Math.max(panel.zeroBased ? 1e3 : 0, ...values);
        if (hi - lo < 1e3) {
            hi += 500;
            lo -= panel.zeroBased ? 0 : 500;
        }
        const y = (v) => panel.top + panelHeight * (1 - (v - lo) / (hi - lo));
        g.strokeStyle = grid;
        g.lineWidth = 1;
        g.strokeRect(left, panel.top, width - left - right, panelHeight);
        g.fillStyle = ink;
        g.textAlign = "right";
        g.fillText(formatDuration(hi), left - 4, panel.top + 9);
        g.fillText(formatDuration(lo), left - 4, panel.top + panelHeight);
        g.textAlign = "left";
        g.fillStyle = colours[index];
        g.fillText(panel.title, left + 6, panel.top - 4);
        if (!panel.zeroBased && lo < 0 && hi > 0) {
            g.strokeStyle = grid;
            g.beginPath();
            g.moveTo(left, y(0));
            g.lineTo(width - right, y(0));
            g.stroke();
        }
        g.strokeStyle = colours[index];
        g.lineWidth = 1.5;
        g.beginPath();
        state.history.forEach((h, i) => {
            const px = Math.max(left, x(h.localNs));
            const py = y(h[panel.key]);
            if (i === 0) {
                g.moveTo(px, py);
            } else {
                g.lineTo(px, py);
            }
        });
        g.stroke();
    });
    g.fillStyle = ink;
    g.textAlign = "right";
    g.fillText("last 60 s", width - right, height - 2);
}

requestAnimationFrame(render);
