// Interop: the BBC's JavaScript CSS-TS client with its CSS-WC client (npm dvbcss-protocols,
// dvbcss-clocks) follows our tv-device: it synchronises, follows a pause, and sees the timeline
// become unavailable.
//
//   node ts_js_client.test.mjs <directory holding tv-device>
//
// Truth: tv-device prints its timeline's correlation as JSON lines (--json) against
// CLOCK_MONOTONIC, which Node's process.hrtime.bigint() also reads. The JS wall clock runs on
// Date.now() (1 ms resolution), so positions are compared within its dispersion plus 2 ms.
// Exits 0 on success, 1 on failure (with the reasons on stderr).
import dgram from "node:dgram";
import { createRequire } from "node:module";
import protocols from "dvbcss-protocols";
import clocks from "dvbcss-clocks";
import {
    binDirArgument, finish, poll, sleep, spawnTvDevice, stopProgram,
} from "./support.mjs";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");

const binDir = binDirArgument("ts_js_client.test.mjs");
const PTS = "urn:dvb:css:timeline:pts";

const device = spawnTvDevice(binDir);
const tv = device.child;
const overall = setTimeout(() => { console.error("FAIL: timed out"); tv.kill("SIGKILL"); process.exit(1); }, 60000);

function banner() {
    return poll(() => {
        const ts = device.output().match(/CSS-TS  endpoint URL: (ws:\/\/\S+)/);
        const wc = device.output().match(/CSS-WC  endpoint bound to host \S+ on port (\d+)/);
        return ts && wc ? { tsUrl: ts[1], wcPort: Number(wc[1]) } : null;
    }, () => "no banner from tv-device: " + device.output());
}

/** The TV's latest truth for PTS: { wallNs, content, speed, available }. */
function latestTruth() {
    let latest = null;
    for (const line of device.output().split("\n")) {
        if (!line.startsWith("{")) continue;
        const j = JSON.parse(line);
        if (j.event === "timeline" && j.selector === PTS) latest = j;
    }
    return latest;
}

function expectedTicks(truth, monoNs) {
    return truth.content_time + (monoNs - truth.wall_clock_ns) * truth.speed * 90000 / 1e9;
}

const failures = [];
try {
    const { tsUrl, wcPort } = await banner();
    const socket = dgram.createSocket("udp4");
    await new Promise((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const sysClock = new clocks.DateNowClock();
    const wallClock = new clocks.CorrelatedClock(sysClock, { tickRate: 1e9 });
    const timeline = new clocks.CorrelatedClock(wallClock, { tickRate: 90000 });
    const wcClient = protocols.WallClock.createBinaryUdpClient(socket, wallClock, {
        dest: { address: "127.0.0.1", port: wcPort }, requestInterval: 200,
    });
    const ws = new WebSocket(tsUrl);
    const tsClient = protocols.TimelineSynchronisation.createTSClient(ws, timeline, {
        contentIdStem: "dvb://", timelineSelector: PTS, tickRate: 90000,
    });
    let availabilityChanges = 0;
    timeline.on("available", () => { availabilityChanges++; });
    timeline.on("unavailable", () => { availabilityChanges++; });

    const check = (label) => {
        const truth = latestTruth();
        const mono = Number(process.hrtime.bigint());
        const ticks = timeline.now();
        const dispersionMs = wallClock.dispersionAtTime(wallClock.now()) * 1e3;
        const errorMs = Math.abs(ticks - expectedTicks(truth, mono)) / 90;
        console.log(`${label}: available ${timeline.isAvailable()}, speed ${timeline.getEffectiveSpeed()}, ` +
                    `position ${(ticks / 90000).toFixed(4)} s, error ${errorMs.toFixed(3)} ms, ` +
                    `wall clock dispersion ${dispersionMs.toFixed(3)} ms`);
        return { errorMs, dispersionMs };
    };

    await sleep(3000);
    if (!timeline.isAvailable()) failures.push("the timeline never became available");
    let r = check("playing");
    if (!(r.errorMs <= r.dispersionMs + 2)) failures.push(`playing: error ${r.errorMs} ms`);

    tv.stdin.write("pause\n");
    await sleep(1000);
    r = check("paused");
    if (timeline.getEffectiveSpeed() !== 0) failures.push("the pause did not reach the JS clock");
    if (!(r.errorMs <= r.dispersionMs + 2)) failures.push(`paused: error ${r.errorMs} ms`);
    const frozen = timeline.now();
    await sleep(300);
    if (timeline.now() !== frozen) failures.push("the paused JS timeline still moves");

    tv.stdin.write("play\n");
    await sleep(1000);
    r = check("resumed");
    if (timeline.getEffectiveSpeed() !== 1) failures.push("the resume did not reach the JS clock");
    if (!(r.errorMs <= r.dispersionMs + 2)) failures.push(`resumed: error ${r.errorMs} ms`);

    tv.stdin.write("unavailable pts\n");
    await sleep(1000);
    if (timeline.isAvailable()) failures.push("the JS timeline did not become unavailable");
    console.log(`unavailable: available ${timeline.isAvailable()}`);

    tsClient.stop();
    wcClient.stop();
    ws.terminate();
    socket.close();
} catch (e) {
    failures.push(String(e));
}
const code = await stopProgram(tv);
if (code !== 0) failures.push(`tv-device exit status ${code}`);
clearTimeout(overall);
finish(failures);
