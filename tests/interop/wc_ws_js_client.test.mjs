// Interop: the BBC JavaScript CSS-WC client over WebSocket (dvbcss-protocols) against our
// wallclock-server --ws-port, in both framings: the JSON form in text frames
// (createJsonWebSocketClient) and the 32-byte message in binary frames (WallClockClientProtocol
// with BinarySerialiser over WebSocketAdaptor), and the JSON form with follow-ups.
//
// Run: node wc_ws_js_client.test.mjs <bin-dir>
//
// Truth: our server's wall clock is CLOCK_MONOTONIC in nanoseconds, and on Linux Node's
// process.hrtime.bigint() reads the same clock, so after convergence the JS client's wall clock
// must agree with process.hrtime.bigint() to within the dispersion it reports (its local clock is
// Date.now(), 1 ms resolution, so the bound is a few milliseconds). Exits non-zero on failure and
// prints the figures.

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import protocols from "dvbcss-protocols";
import clocks from "dvbcss-clocks";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");

const binDir = process.argv[2];
if (!binDir) {
    console.error("usage: node wc_ws_js_client.test.mjs <bin-dir>");
    process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts wallclock-server with a WebSocket endpoint on free loopback ports; resolves to
 *  { child, url, output, errors }. */
function startServer(extraArgs) {
    return new Promise((resolve, reject) => {
        const child = spawn(path.join(binDir, "wallclock-server"),
                            ["127.0.0.1", "0", "--ws-port", "0", "--loglevel", "warning",
                             ...extraArgs],
                            { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
            out += d;
            const m = out.match(/CSS-WC WebSocket endpoint URL: (ws:\/\/\S+)/);
            if (m && !child.urlFound) {
                child.urlFound = true;
                resolve({ child, url: m[1], output: () => out, errors: () => err });
            }
        });
        child.stderr.on("data", (d) => { err += d; });
        child.on("error", reject);
        child.on("exit", (code) => {
            if (!child.urlFound) {
                reject(new Error(`wallclock-server exited with ${code}: ${err}`));
            }
        });
    });
}

/** Stops the server with SIGINT; resolves to its exit code. */
function stopServer(child) {
    return new Promise((resolve) => {
        child.on("exit", (code, signal) => resolve(code ?? signal));
        child.kill("SIGINT");
    });
}

/** The BBC client of the given framing on an open-or-opening WebSocket. */
function createClient(framing, webSocket, wallClock, options) {
    const WallClock = protocols.WallClock;
    if (framing === "json") {
        return WallClock.createJsonWebSocketClient(webSocket, wallClock, options);
    }
    return new protocols.SocketAdaptors.WebSocketAdaptor(
        new WallClock.WallClockClientProtocol(wallClock, WallClock.BinarySerialiser, options),
        webSocket);
}

async function runCase(name, framing, serverArgs) {
    const server = await startServer(serverArgs);
    const webSocket = new WebSocket(server.url);
    let closedEarly = false;
    webSocket.on("close", () => { closedEarly = true; });
    webSocket.on("error", (e) => console.error(`${name}: websocket error ${e.message}`));

    const sysClock = new clocks.DateNowClock();
    const wallClock = new clocks.CorrelatedClock(sysClock, { tickRate: 1e9 });
    const client = createClient(framing, webSocket, wallClock, { requestInterval: 100 });

    await sleep(3000);
    // Compare the wall clock with CLOCK_MONOTONIC several times, keeping the worst.
    let worstErrorMs = 0;
    let dispersionMs = Infinity;
    for (let i = 0; i < 20; i++) {
        const before = process.hrtime.bigint();
        const wall = wallClock.getNanos();
        const after = process.hrtime.bigint();
        const truth = Number((before + after) / 2n);
        worstErrorMs = Math.max(worstErrorMs, Math.abs(wall - truth) / 1e6);
        dispersionMs = wallClock.dispersionAtTime(wallClock.now()) * 1e3;
        await sleep(10);
    }
    const available = wallClock.isAvailable();
    const wasOpen = !closedEarly;
    client.stop();
    webSocket.close(1000);
    await sleep(100);
    const exitCode = await stopServer(server.child);
    const summary = server.output().split("\n").find((l) => l.startsWith("wallclock-server:"));

    console.log(`${name}: dispersion ${dispersionMs.toFixed(3)} ms, ` +
                `worst |wall clock - CLOCK_MONOTONIC| ${worstErrorMs.toFixed(3)} ms, ` +
                `available ${available}, server exit ${exitCode}`);
    console.log(`${name}: ${summary ?? "(no server summary)"}`);

    const failures = [];
    if (!wasOpen) failures.push("the WebSocket closed before the end");
    if (!available) failures.push("the JS wall clock never became available");
    if (!(dispersionMs < 20)) failures.push(`dispersion ${dispersionMs} ms is not below 20 ms`);
    // The truth itself is read with Date.now()'s 1 ms granularity on the JS side: allow 1 ms.
    if (!(worstErrorMs <= dispersionMs + 1)) {
        failures.push(`error ${worstErrorMs} ms exceeds the dispersion ${dispersionMs} ms + 1 ms`);
    }
    if (exitCode !== 0) failures.push(`wallclock-server exit code ${exitCode}`);
    const counted = framing === "json" ? /ws_json=([1-9]\d*)/ : /ws_binary=([1-9]\d*)/;
    if (!summary || !counted.test(summary)) {
        failures.push(`the server answered no ${framing} request`);
    }
    if (!summary || !/ws_ignored=0\b/.test(summary)) {
        failures.push("the server ignored some of the client's messages");
    }
    if (server.errors().trim() !== "") {
        failures.push(`server wrote to stderr: ${server.errors()}`);
    }
    return failures.map((f) => `${name}: ${f}`);
}

const failures = [
    ...(await runCase("js-ws-client/json", "json", [])),
    ...(await runCase("js-ws-client/binary", "binary", [])),
    ...(await runCase("js-ws-client/json (follow-ups)", "json", ["--fr"])),
];
if (failures.length > 0) {
    for (const f of failures) console.error(`FAIL ${f}`);
    process.exit(1);
}
console.log("PASS");
