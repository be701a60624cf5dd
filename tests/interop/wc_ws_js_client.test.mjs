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

import { createRequire } from "node:module";
import protocols from "dvbcss-protocols";
import clocks from "dvbcss-clocks";
import {
    binDirArgument, finish, measureWallClock, printWallClockCase, sleep, startProgram, stopProgram,
    summaryLine, wallClockFailures,
} from "./support.mjs";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");

const binDir = binDirArgument("wc_ws_js_client.test.mjs");

/** Starts wallclock-server with a WebSocket endpoint on free loopback ports; resolves to
 *  { child, url, output, errors }. */
async function startServer(extraArgs) {
    const server = await startProgram(binDir, "wallclock-server",
                                      ["127.0.0.1", "0", "--ws-port", "0", "--loglevel", "warning",
                                       ...extraArgs],
                                      /CSS-WC WebSocket endpoint URL: (ws:\/\/\S+)/);
    return { ...server, url: server.match[1] };
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
    const measured = await measureWallClock(wallClock);
    const available = wallClock.isAvailable();
    const wasOpen = !closedEarly;
    client.stop();
    webSocket.close(1000);
    await sleep(100);
    const exitCode = await stopProgram(server.child);
    const summary = summaryLine(server.output(), "wallclock-server");
    printWallClockCase(name, measured, available, exitCode, summary);

    const failures = wallClockFailures(available, measured);
    if (!wasOpen) failures.unshift("the WebSocket closed before the end");
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
finish(failures);
