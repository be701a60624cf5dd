// The companion page's synchronisation logic, with no DOM and no sockets: the CSS-WC message in
// its binary and JSON forms, the lowest-dispersion wall clock estimate, the CSS-CII picture, and
// the CSS-TS control timestamp and the timeline position it implies. companion.js wires it to
// WebSockets and the page; tests/browser/companion_sync.test.mjs tests it in Node.
//
// Units: every time is in nanoseconds as a JS number (exact to the nanosecond below 2^53 ns,
// about 104 days of CLOCK_MONOTONIC; beyond that to a few ns). "Local" times come from the page's
// own clock (performance.now() * 1e6); "wall" times are the TV's wall clock. Content times are
// timeline ticks. Frequency errors are in ppm, precisions in ns unless named log2.
//
// Spec: ETSI TS 103 286-2 §8 (CSS-WC message), Annex C (dispersion), §5.6 (CSS-CII), §5.7.5
// (control timestamp). Bad input from the network never throws from these functions: decoders
// return null (with a reason where the caller logs one).

/** The CII private entry that names the wall clock over WebSocket (tv-device's convention). */
export const WC_WEBSOCKET_TYPE = "urn:x-dvbcss:wall-clock-websocket";
export const PTS_SELECTOR = "urn:dvb:css:timeline:pts";

const NS_PER_S = 1e9;
const TWO_32 = 4294967296;

// ---------------------------------------------------------------------------------------------
// CSS-WC messages

/**
 * The 32-byte CSS-WC request (§8: version 0, type 0) whose originate timevalue carries `t1Ns`,
 * a non-negative local time in ns. Returns an ArrayBuffer.
 */
export function encodeWcRequest(t1Ns) {
    const buffer = new ArrayBuffer(32);
    const view = new DataView(buffer);
    const t = Math.max(0, Math.round(t1Ns));
    const secs = Math.floor(t / NS_PER_S);
    view.setUint8(0, 0); // version
    view.setUint8(1, 0); // type: request
    view.setUint32(8, secs % TWO_32);
    view.setUint32(12, t - secs * NS_PER_S);
    return buffer;
}

/** The originate timevalue a request for `t1Ns` carries, as the "secs:nanos" key responses echo. */
export function originateKey(t1Ns) {
    const t = Math.max(0, Math.round(t1Ns));
    const secs = Math.floor(t / NS_PER_S);
    return `${secs % TWO_32}:${t - secs * NS_PER_S}`;
}

/**
 * Decodes a 32-byte binary CSS-WC response (types 1, 2, 3). Returns
 * {type, originate (key), receiveNs, transmitNs, precisionNs, mfePpm} or {error: reason}.
 */
export function decodeWcResponse(buffer) {
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength !== 32) {
        return { error: `binary message of ${buffer?.byteLength ?? "?"} bytes, expected 32` };
    }
    const view = new DataView(buffer);
    const version = view.getUint8(0);
    const type = view.getUint8(1);
    if (version !== 0) {
        return { error: `version ${version}` };
    }
    if (type < 1 || type > 3) {
        return { error: `type ${type} is not a response` };
    }
    const precisionLog2 = view.getInt8(2);
    const mfe = view.getUint32(4);
    const timevalue = (offset) => view.getUint32(offset) * NS_PER_S + view.getUint32(offset + 4);
    return {
        type,
        originate: `${view.getUint32(8)}:${view.getUint32(12)}`,
        receiveNs: timevalue(16),
        transmitNs: timevalue(24),
        precisionNs: Math.pow(2, precisionLog2) * NS_PER_S,
        mfePpm: mfe / 256,
    };
}

/** The BBC JSON form of a request (text frame) for local time `t1Ns`. */
export function encodeWcJsonRequest(t1Ns) {
    const t = Math.max(0, Math.round(t1Ns));
    const secs = Math.floor(t / NS_PER_S);
    return JSON.stringify({
        v: 0, t: 0, p: 0, mfe: 0, otvs: secs % TWO_32, otvn: t - secs * NS_PER_S, rt: 0, tt: 0,
    });
}

/**
 * Decodes the BBC JSON form of a response: p in seconds, mfe in ppm, rt/tt in seconds. Returns
 * the same shape as decodeWcResponse, or {error: reason}.
 */
export function decodeWcJsonResponse(text) {
    let j;
    try {
        j = JSON.parse(text);
    } catch {
        return { error: "not JSON" };
    }
    if (j === null || typeof j !== "object") {
        return { error: "not a JSON object" };
    }
    for (const key of ["v", "t", "p", "mfe", "otvs", "otvn", "rt", "tt"]) {
        if (typeof j[key] !== "number" || !Number.isFinite(j[key])) {
            return { error: `"${key}" is not a finite number` };
        }
    }
    if (j.v !== 0) {
        return { error: `version ${j.v}` };
    }
    if (j.t < 1 || j.t > 3) {
        return { error: `type ${j.t} is not a response` };
    }
    return {
        type: j.t,
        originate: `${j.otvs}:${j.otvn}`,
        receiveNs: Math.round(j.rt * NS_PER_S),
        transmitNs: Math.round(j.tt * NS_PER_S),
        precisionNs: j.p * NS_PER_S,
        mfePpm: j.mfe,
    };
}

// ---------------------------------------------------------------------------------------------
// Wall clock estimate

/**
 * One request/response exchange: t1 and t4 local, t2 and t3 on the TV's wall clock (ns).
 * Dispersion (Annex C): server precision + local precision + rtt/2 + the frequency errors over
 * the time each side held the message. The bound grows by (local + server mfe) per ns of local
 * time away from the exchange's midpoint.
 */
export function candidateFrom(t1, t4, response, localPrecisionNs, localMfePpm) {
    const t2 = response.receiveNs;
    const t3 = response.transmitNs;
    const rtt = (t4 - t1) - (t3 - t2);
    if (!(t4 >= t1 && t3 >= t2 && rtt >= 0)) {
        return null;
    }
    const localMid = (t1 + t4) / 2;
    const wallMid = (t2 + t3) / 2;
    return {
        t1, t2, t3, t4, rtt,
        localMid,
        wallMid,
        offsetNs: wallMid - localMid,
        dispersionNs: response.precisionNs + localPrecisionNs + rtt / 2 +
                      localMfePpm * 1e-6 * (t4 - t1) + response.mfePpm * 1e-6 * (t3 - t2),
        growthPerNs: (localMfePpm + response.mfePpm) * 1e-6,
    };
}

/**
 * The lowest-dispersion estimator (TS 103 286-2 Annex C; include/dvbcss/wc/lowest_dispersion.hpp):
 * a candidate is adopted when its error bound, evaluated at its own arrival time t4, is lower than
 * the bound of the current estimate at that same time. The wall clock is taken to tick at the
 * local clock's rate (frequency 1, offset from the adopted exchange).
 */
export class WallClockEstimate {
    constructor() {
        this.best = null;
        this.candidates = 0;
        this.adopted = 0;
    }

    /** Error bound (ns) of the estimate at local time `localNs`; Infinity before any candidate. */
    dispersionAt(localNs) {
        if (!this.best) {
            return Infinity;
        }
        return this.best.dispersionNs + this.best.growthPerNs * Math.abs(localNs - this.best.localMid);
    }

    /** The TV's wall clock (ns) at local time `localNs`, or null before any candidate. */
    wallAt(localNs) {
        return this.best ? localNs + this.best.offsetNs : null;
    }

    /** wall - local (ns), or null. */
    get offsetNs() {
        return this.best ? this.best.offsetNs : null;
    }

    /** Feeds one candidate; returns true when it was adopted. */
    onCandidate(c) {
        this.candidates++;
        const current = this.dispersionAt(c.t4);
        const proposed = c.dispersionNs + c.growthPerNs * Math.abs(c.t4 - c.localMid);
        if (!(proposed < current)) {
            return false;
        }
        this.best = c;
        this.adopted++;
        return true;
    }
}

// ---------------------------------------------------------------------------------------------
// CSS-CII

/** The CII properties a companion keeps; all start null (§5.6.2). */
export const CII_PROPERTIES = [
    "protocolVersion", "mrsUrl", "contentId", "contentIdStatus", "presentationStatus", "wcUrl",
    "tsUrl", "teUrl", "timelines", "private",
];

/**
 * Applies one CII message (JSON text) to `state` (an object of CII_PROPERTIES): each property the
 * message holds replaces the old value; unknown ones are ignored. Returns null on success or a
 * reason when the text is not a JSON object (the state is left as it was).
 */
export function applyCii(state, text) {
    let j;
    try {
        j = JSON.parse(text);
    } catch {
        return "CII message is not JSON";
    }
    if (j === null || typeof j !== "object" || Array.isArray(j)) {
        return "CII message is not a JSON object";
    }
    for (const key of CII_PROPERTIES) {
        if (Object.prototype.hasOwnProperty.call(j, key)) {
            state[key] = j[key];
        }
    }
    return null;
}

/** The ws:// URL of the wall clock over WebSocket that a CII names in its private data, or null. */
export function wcWebSocketUrl(cii) {
    const entries = Array.isArray(cii.private) ? cii.private : [];
    for (const entry of entries) {
        if (entry && entry.type === WC_WEBSOCKET_TYPE && typeof entry.url === "string" &&
            /^wss?:\/\//.test(entry.url)) {
            return entry.url;
        }
    }
    return null;
}

/** The selectors a CII lists (strings only, in order). */
export function ciiSelectors(cii) {
    const timelines = Array.isArray(cii.timelines) ? cii.timelines : [];
    return timelines.map((t) => t && t.timelineSelector).filter((s) => typeof s === "string");
}

/**
 * Ticks per second of `selector`: from the CII's timelineProperties (unitsPerSecond /
 * unitsPerTick), else from the selector itself (PTS 90 kHz; mpd:period:rel:<tps>), else null.
 */
export function tickRateFor(cii, selector) {
    const timelines = Array.isArray(cii.timelines) ? cii.timelines : [];
    for (const t of timelines) {
        if (t && t.timelineSelector === selector && t.timelineProperties) {
            const ups = t.timelineProperties.unitsPerSecond;
            const upt = t.timelineProperties.unitsPerTick;
            if (typeof ups === "number" && typeof upt === "number" && ups > 0 && upt > 0) {
                return ups / upt;
            }
        }
    }
    if (selector === PTS_SELECTOR) {
        return 90000;
    }
    const m = /^urn:dvb:css:timeline:mpd:period:rel:([1-9][0-9]*)(:|$)/.exec(selector ?? "");
    return m ? Number(m[1]) : null;
}

// ---------------------------------------------------------------------------------------------
// CSS-TS

const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/**
 * Decodes a control timestamp (§5.7.5): {contentTime: "<int>"|null, wallClockTime: "<int ns>",
 * timelineSpeedMultiplier: number|null}. Returns {contentTicks: number|null, wallNs: number,
 * speed: number|null} or {error: reason}. contentTime and speed are both null (unavailable) or
 * both set.
 */
export function decodeControlTimestamp(text) {
    let j;
    try {
        j = JSON.parse(text);
    } catch {
        return { error: "control timestamp is not JSON" };
    }
    if (j === null || typeof j !== "object" || Array.isArray(j)) {
        return { error: "control timestamp is not a JSON object" };
    }
    for (const key of ["contentTime", "wallClockTime", "timelineSpeedMultiplier"]) {
        if (!Object.prototype.hasOwnProperty.call(j, key)) {
            return { error: `control timestamp lacks "${key}"` };
        }
    }
    if (typeof j.wallClockTime !== "string" || !CANONICAL_INTEGER.test(j.wallClockTime)) {
        return { error: "wallClockTime is not an integer string" };
    }
    const wallNs = Number(j.wallClockTime);
    if (j.contentTime === null && j.timelineSpeedMultiplier === null) {
        return { contentTicks: null, wallNs, speed: null };
    }
    if (typeof j.contentTime !== "string" || !CANONICAL_INTEGER.test(j.contentTime)) {
        return { error: "contentTime is neither null nor an integer string" };
    }
    if (typeof j.timelineSpeedMultiplier !== "number" ||
        !Number.isFinite(j.timelineSpeedMultiplier)) {
        return { error: "timelineSpeedMultiplier is neither null nor a finite number" };
    }
    return { contentTicks: Number(j.contentTime), wallNs, speed: j.timelineSpeedMultiplier };
}

/**
 * The timeline position (ticks, fractional) at wall clock time `wallNs` given control timestamp
 * `ct` and `tickRate` (ticks/s); null when unavailable or unknown.
 */
export function positionAt(ct, tickRate, wallNs) {
    if (!ct || ct.contentTicks === null || !tickRate || wallNs === null) {
        return null;
    }
    return ct.contentTicks + (wallNs - ct.wallNs) * ct.speed * tickRate / NS_PER_S;
}

/** "H:MM:SS.mmm" for a position in seconds (negative positions get a leading "-"). */
export function formatSeconds(seconds) {
    if (seconds === null || !Number.isFinite(seconds)) {
        return "–";
    }
    const sign = seconds < 0 ? "-" : "";
    const ms = Math.floor(Math.abs(seconds) * 1000);
    const h = Math.floor(ms / 3600000);
    const m = Math.floor(ms / 60000) % 60;
    const s = Math.floor(ms / 1000) % 60;
    const frac = ms % 1000;
    return `${sign}${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.` +
           String(frac).padStart(3, "0");
}

/** A duration in ns in a readable unit ("812 µs", "1.25 ms"); "–" for null or Infinity. */
export function formatDuration(ns) {
    if (ns === null || !Number.isFinite(ns)) {
        return "–";
    }
    const a = Math.abs(ns);
    if (a < 1e3) {
        return `${ns.toFixed(0)} ns`;
    }
    if (a < 1e6) {
        return `${(ns / 1e3).toFixed(a < 1e4 ? 2 : 1)} µs`;
    }
    if (a < 1e9) {
        return `${(ns / 1e6).toFixed(a < 1e7 ? 3 : 2)} ms`;
    }
    return `${(ns / 1e9).toFixed(3)} s`;
}
