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
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { createRequire } from "node:module";
import path from "node:path";
import protocols from "dvbcss-protocols";
import clocks from "dvbcss-clocks";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");

const binDir = process.argv[2];
if (!binDir) {
    console.error("usage: node ts_js_client.test.mjs <bin-dir>");
    process.exit(2);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const PTS = "urn:dvb:css:timeline:pts";

const tv = spawn(path.join(binDir, "tv-device"),
                 ["127.0.0.1", "0", "127.0.0.1", "0", "--json", "--cycle", "0",
                  "--loglevel", "warning"],
                 { stdio: ["pipe", "pipe", "inherit"] });
let out = "";
tv.stdout.on("data", (d) => { out += d; });
const overall = setTimeout(() => { console.error("FAIL: timed out"); tv.kill("SIGKILL"); process.exit(1); }, 60000);

async function banner() {
    for (let i = 0; i < 100; i++) {
        const ts = out.match(/CSS-TS  endpoint URL: (ws:\/\/\S+)/);
        const wc = out.match(/CSS-WC  endpoint bound to host \S+ on port (\d+)/);
        if (ts && wc) return { tsUrl: ts[1], wcPort: Number(wc[1]) };
        await sleep(100);
    }
    throw new Error("no banner from tv-device: " + out);
}

/** The TV's latest truth for PTS: { wallNs, content, speed, available }. */
function latestTruth() {
    let latest = null;
    for (const line of out.split("\n")) {
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
tv.kill("SIGINT");
const code = await new Promise((resolve) => tv.on("exit", (c) => resolve(c)));
if (code !== 0) failures.push(`tv-device exit status ${code}`);
clearTimeout(overall);
if (failures.length > 0) {
    for (const f of failures) console.error("FAIL " + f);
    process.exit(1);
}
console.log("PASS");
process.exit(0);
