// Unit tests of the companion page's synchronisation logic (web/companion-sync.js), in Node,
// without a browser: the CSS-WC codecs, the lowest-dispersion estimate, the CII picture and the
// control timestamp maths.
//
//   node --test companion_sync.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import {
    WallClockEstimate, applyCii, candidateFrom, ciiSelectors, decodeControlTimestamp,
    decodeWcJsonResponse, decodeWcResponse, encodeWcJsonRequest, encodeWcRequest, formatDuration,
    formatSeconds, originateKey, positionAt, tickRateFor, wcWebSocketUrl,
} from "../../web/companion-sync.js";

/** A 32-byte response as a TV would send it. */
function response({ type = 1, precision = -10, mfe = 256 * 50, originate, rxNs, txNs }) {
    const buffer = new ArrayBuffer(32);
    const v = new DataView(buffer);
    v.setUint8(1, type);
    v.setInt8(2, precision);
    v.setUint32(4, mfe);
    const [os, on] = originate.split(":").map(Number);
    v.setUint32(8, os);
    v.setUint32(12, on);
    v.setUint32(16, Math.floor(rxNs / 1e9));
    v.setUint32(20, rxNs % 1e9);
    v.setUint32(24, Math.floor(txNs / 1e9));
    v.setUint32(28, txNs % 1e9);
    return buffer;
}

test("binary request carries the originate time in seconds and nanoseconds", () => {
    const buffer = encodeWcRequest(12_345_678_901);
    assert.equal(buffer.byteLength, 32);
    const v = new DataView(buffer);
    assert.equal(v.getUint8(0), 0);
    assert.equal(v.getUint8(1), 0);
    assert.equal(v.getUint32(8), 12);
    assert.equal(v.getUint32(12), 345_678_901);
    assert.equal(originateKey(12_345_678_901), "12:345678901");
});

test("binary response decodes times, precision and frequency error", () => {
    const r = decodeWcResponse(response({
        originate: "12:345678901", rxNs: 5_000_000_123, txNs: 5_000_010_456,
    }));
    assert.equal(r.error, undefined);
    assert.equal(r.type, 1);
    assert.equal(r.originate, "12:345678901");
    assert.equal(r.receiveNs, 5_000_000_123);
    assert.equal(r.transmitNs, 5_000_010_456);
    assert.ok(Math.abs(r.precisionNs - 1e9 / 1024) < 1e-6);
    assert.equal(r.mfePpm, 50);
});

test("binary messages that are not responses are refused with a reason", () => {
    assert.match(decodeWcResponse(new ArrayBuffer(31)).error, /31 bytes/);
    const request = encodeWcRequest(1);
    assert.match(decodeWcResponse(request).error, /not a response/);
    const bad = response({ originate: "0:1", rxNs: 1, txNs: 2 });
    new DataView(bad).setUint8(0, 1);
    assert.match(decodeWcResponse(bad).error, /version 1/);
});

test("JSON form round-trips the originate and reads seconds", () => {
    const req = JSON.parse(encodeWcJsonRequest(3_000_000_007));
    assert.deepEqual(req, { v: 0, t: 0, p: 0, mfe: 0, otvs: 3, otvn: 7, rt: 0, tt: 0 });
    const r = decodeWcJsonResponse(JSON.stringify(
        { v: 0, t: 1, p: 0.0001, mfe: 500, otvs: 3, otvn: 7, rt: 10.5, tt: 10.500002 }));
    assert.equal(r.originate, "3:7");
    assert.equal(r.receiveNs, 10_500_000_000);
    assert.equal(r.transmitNs, 10_500_002_000);
    assert.ok(Math.abs(r.precisionNs - 100_000) < 1e-6);
    assert.equal(r.mfePpm, 500);
    assert.match(decodeWcJsonResponse("[").error, /not JSON/);
    assert.match(decodeWcJsonResponse('{"v":0,"t":1}').error, /"p"/);
    assert.match(decodeWcJsonResponse('{"v":0,"t":0,"p":0,"mfe":0,"otvs":0,"otvn":0,"rt":0,"tt":0}')
                     .error, /not a response/);
});

test("candidate: offset, round trip and dispersion of Annex C", () => {
    // Local clock 1 s behind the wall clock; 200 µs each way; 10 µs in the server.
    const t1 = 1_000_000_000;
    const r = { receiveNs: 2_000_200_000, transmitNs: 2_000_210_000, precisionNs: 1000, mfePpm: 50 };
    const t4 = 1_000_410_000;
    const c = candidateFrom(t1, t4, r, 100, 500);
    assert.equal(c.rtt, 400_000);
    assert.equal(c.offsetNs, 1_000_000_000);
    const expected = 1000 + 100 + 200_000 + 500e-6 * 410_000 + 50e-6 * 10_000;
    assert.ok(Math.abs(c.dispersionNs - expected) < 1e-6);
    assert.ok(Math.abs(c.growthPerNs - 550e-6) < 1e-12);
    assert.equal(candidateFrom(t1, t1 - 1, r, 0, 0), null, "t4 before t1");
    assert.equal(candidateFrom(t1, t1 + 5000, r, 0, 0), null, "negative round trip");
});

test("lowest dispersion keeps the tighter bound and lets it grow with time", () => {
    const est = new WallClockEstimate();
    assert.equal(est.wallAt(0), null);
    assert.equal(est.dispersionAt(0), Infinity);
    const make = (t1, rttNs, offset) => candidateFrom(
        t1, t1 + rttNs, { receiveNs: t1 + offset + rttNs / 2, transmitNs: t1 + offset + rttNs / 2,
                          precisionNs: 0, mfePpm: 0 }, 0, 500);
    assert.equal(est.onCandidate(make(1e9, 1_000_000, 5e9)), true);
    assert.equal(est.wallAt(2e9), 7e9);
    // Slightly later, a worse exchange: refused.
    assert.equal(est.onCandidate(make(1.1e9, 4_000_000, 6e9)), false);
    assert.equal(est.offsetNs, 5e9);
    // Much later the old bound has grown (500 ppm of 10 s = 5 ms): the same worse exchange wins.
    assert.equal(est.onCandidate(make(11e9, 4_000_000, 6e9)), true);
    assert.equal(est.offsetNs, 6e9);
    assert.equal(est.candidates, 3);
    assert.equal(est.adopted, 2);
    // At the exchange's midpoint: rtt/2 + 500 ppm of the 4 ms the request was out; 1 s later
    // it has grown by 500 ppm of 1 s.
    const mid = 11e9 + 2_000_000;
    assert.ok(Math.abs(est.dispersionAt(mid) - (2_000_000 + 2_000)) < 1e-3);
    assert.ok(Math.abs(est.dispersionAt(mid + 1e9) - (2_000_000 + 2_000 + 500_000)) < 1e-3);
});

test("CII: properties replace, unknown ones and bad text are ignored", () => {
    const cii = {};
    assert.equal(applyCii(cii, JSON.stringify({
        protocolVersion: "1.1", contentId: "dvb://1", contentIdStatus: "final", vendor: 1,
        timelines: [{ timelineSelector: "urn:dvb:css:timeline:temi:1:1",
                      timelineProperties: { unitsPerTick: 1, unitsPerSecond: 50 } },
                    { timelineSelector: "urn:dvb:css:timeline:pts",
                      timelineProperties: { unitsPerTick: 1, unitsPerSecond: 90000 } }],
        private: [{ type: "urn:x-dvbcss:wall-clock-websocket", url: "ws://127.0.0.1:7681/wc" }],
    })), null);
    assert.equal(cii.vendor, undefined);
    assert.equal(applyCii(cii, '{"contentId":"dvb://2"}'), null);
    assert.equal(cii.contentId, "dvb://2");
    assert.equal(cii.contentIdStatus, "final");
    assert.match(applyCii(cii, "nope"), /not JSON/);
    assert.match(applyCii(cii, "[1]"), /not a JSON object/);
    assert.equal(cii.contentId, "dvb://2");
    assert.deepEqual(ciiSelectors(cii),
                     ["urn:dvb:css:timeline:temi:1:1", "urn:dvb:css:timeline:pts"]);
    assert.equal(wcWebSocketUrl(cii), "ws://127.0.0.1:7681/wc");
    assert.equal(wcWebSocketUrl({ private: [{ type: "x", url: "ws://a/b" }] }), null);
    assert.equal(wcWebSocketUrl({ private: "junk" }), null);
    assert.equal(tickRateFor(cii, "urn:dvb:css:timeline:temi:1:1"), 50);
    assert.equal(tickRateFor({}, "urn:dvb:css:timeline:pts"), 90000);
    assert.equal(tickRateFor({}, "urn:dvb:css:timeline:mpd:period:rel:1000:p1"), 1000);
    assert.equal(tickRateFor({}, "urn:dvb:css:timeline:temi:9:9"), null);
});

test("control timestamps: available, unavailable and malformed", () => {
    const ct = decodeControlTimestamp(
        '{"contentTime":"639231","wallClockTime":"1831635747396","timelineSpeedMultiplier":1}');
    assert.deepEqual(ct, { contentTicks: 639231, wallNs: 1831635747396, speed: 1 });
    assert.deepEqual(decodeControlTimestamp(
        '{"contentTime":null,"wallClockTime":"5","timelineSpeedMultiplier":null}'),
                     { contentTicks: null, wallNs: 5, speed: null });
    for (const bad of [
        "x", "[]", '{"contentTime":"1","wallClockTime":"2"}',
        '{"contentTime":"01","wallClockTime":"2","timelineSpeedMultiplier":1}',
        '{"contentTime":"1","wallClockTime":2,"timelineSpeedMultiplier":1}',
        '{"contentTime":null,"wallClockTime":"2","timelineSpeedMultiplier":1}',
        '{"contentTime":"1","wallClockTime":"2","timelineSpeedMultiplier":null}',
    ]) {
        assert.ok(decodeControlTimestamp(bad).error, bad);
    }
});

test("position follows the control timestamp at its speed", () => {
    const ct = { contentTicks: 900_000, wallNs: 10e9, speed: 1 };
    assert.equal(positionAt(ct, 90000, 12e9), 1_080_000);
    assert.equal(positionAt({ ...ct, speed: 0 }, 90000, 12e9), 900_000);
    assert.equal(positionAt({ ...ct, speed: 2 }, 90000, 11e9), 1_080_000);
    assert.equal(positionAt({ contentTicks: null, wallNs: 1, speed: null }, 90000, 12e9), null);
    assert.equal(positionAt(ct, null, 12e9), null);
    assert.equal(positionAt(ct, 90000, null), null);
});

test("formatting for people", () => {
    assert.equal(formatSeconds(3723.4567), "1:02:03.456");
    assert.equal(formatSeconds(-1.5), "-0:00:01.500");
    assert.equal(formatSeconds(null), "–");
    assert.equal(formatDuration(812), "812 ns");
    assert.equal(formatDuration(1500), "1.50 µs");
    assert.equal(formatDuration(250_000), "250.0 µs");
    assert.equal(formatDuration(1_250_000), "1.250 ms");
    assert.equal(formatDuration(Infinity), "–");
});
