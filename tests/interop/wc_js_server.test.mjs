// Interop: our wallclock-client (--json --duration) against the BBC JavaScript CSS-WC server
// (dvbcss-protocols createBinaryUdpServer), once per estimator.
//
// Run: node wc_js_server.test.mjs <bin-dir>
//
// Truth: the JS server's wall clock is a CorrelatedClock over Date.now() set 5e15 ns ahead of an
// arbitrary point; this script samples (JS wall clock - process.hrtime.bigint()) many times, and
// process.hrtime.bigint() is CLOCK_MONOTONIC on Linux, the clock our client's local clock reads.
// So the offset our client reports (wall clock - local clock) must match that difference to within
// the dispersion it reports (plus 1 ms for Date.now()'s granularity in the truth itself).
//
// The JS server's follow-up mode is not exercised: dvbcss-protocols 0.0.4 calls Object.clone,
// which does not exist in Node, when it builds a follow-up.

import { spawn } from "node:child_process";
import dgram from "node:dgram";
import path from "node:path";
import protocols from "dvbcss-protocols";
import clocks from "dvbcss-clocks";

const binDir = process.argv[2];
if (!binDir) {
    console.error("usage: node wc_js_server.test.mjs <bin-dir>");
    process.exit(2);
}

const socket = dgram.createSocket("udp4");
await new Promise((resolve) => socket.bind(0, "127.0.0.1", resolve));
const port = socket.address().port;

const sysClock = new clocks.DateNowClock();
const wallClock = new clocks.CorrelatedClock(sysClock, {
    tickRate: 1e9,
    correlation: { parentTime: sysClock.now(), childTime: 5e15 },
});
const server = protocols.WallClock.createBinaryUdpServer(socket, wallClock, {});

// The true offset of the JS wall clock from CLOCK_MONOTONIC, ns, averaged over the test (Date.now()
// floors to whole milliseconds, and so do t2 and t3 of the JS server: the mean is what our client
// can estimate).
const truthSamples = [];
const sampler = setInterval(() => {
    const before = process.hrtime.bigint();
    const wall = wallClock.getNanos();
    const after = process.hrtime.bigint();
    truthSamples.push(wall - Number((before + after) / 2n));
}, 7);

function runClient(algorithm) {
    return new Promise((resolve, reject) => {
        const child = spawn(path.join(binDir, "wallclock-client"),
                            ["127.0.0.1", String(port), "127.0.0.1", "0", "--json", "--duration",
                             "4", "-q", "--algorithm", algorithm],
                            { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => { out += d; });
        child.stderr.on("data", (d) => { err += d; });
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code, out, err }));
    });
}

const failures = [];
for (const algorithm of ["lowest-dispersion", "filter-predict", "most-recent"]) {
    truthSamples.length = 0;
    const { code, out, err } = await runClient(algorithm);
    const lines = out.split("\n").filter((l) => l.trim() !== "");
    let objects = [];
    try {
        objects = lines.map((l) => JSON.parse(l));
    } catch (e) {
        failures.push(`${algorithm}: output is not one JSON object per line: ${e}`);
        continue;
    }
    const summary = objects.find((o) => o.event === "summary");
    const events = objects.filter((o) => o.event !== "summary");
    const truth = truthSamples.reduce((a, b) => a + b, 0) / truthSamples.length;
    if (!summary) {
        failures.push(`${algorithm}: no summary line (exit ${code}, stderr: ${err})`);
        continue;
    }
    const dispersionMs = summary.dispersion_ns === null ? Infinity : summary.dispersion_ns / 1e6;
    const errorMs = Math.abs(summary.offset_ns - truth) / 1e6;
    const rtts = events.filter((e) => typeof e.rtt_ns === "number").map((e) => e.rtt_ns / 1e6);
    console.log(`our-client(${algorithm})/js-server: requests ${summary.requests}, responses ` +
                `${summary.responses}, accepted ${summary.candidates_accepted}, dispersion ` +
                `${dispersionMs.toFixed(3)} ms, |offset - truth| ${errorMs.toFixed(3)} ms, ` +
                `rtt ${rtts.length ? Math.min(...rtts).toFixed(3) : "-"}..` +
                `${rtts.length ? Math.max(...rtts).toFixed(3) : "-"} ms, exit ${code}`);
    if (code !== 0) failures.push(`${algorithm}: exit code ${code}`);
    if (!(summary.responses >= 3)) failures.push(`${algorithm}: only ${summary.responses} responses`);
    if (!(summary.candidates_accepted >= 1)) failures.push(`${algorithm}: no measurement accepted`);
    if (events.length === 0) failures.push(`${algorithm}: no JSON event lines`);
    if (!(dispersionMs < 20)) failures.push(`${algorithm}: dispersion ${dispersionMs} ms >= 20 ms`);
    if (!(errorMs <= dispersionMs + 1)) {
        failures.push(`${algorithm}: error ${errorMs} ms exceeds dispersion ${dispersionMs} + 1 ms`);
    }
    if (err.trim() !== "") failures.push(`${algorithm}: client wrote to stderr: ${err}`);
}

clearInterval(sampler);
server.stop();
socket.close();
if (failures.length > 0) {
    for (const f of failures) console.error(`FAIL ${f}`);
    process.exit(1);
}
console.log("PASS");
