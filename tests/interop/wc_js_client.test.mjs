// Interop: the BBC JavaScript CSS-WC client (dvbcss-protocols createBinaryUdpClient) against our
// wallclock-server, without and with follow-ups.
//
// Run: node wc_js_client.test.mjs <bin-dir>
//
// Truth: our server's wall clock is CLOCK_MONOTONIC in nanoseconds, and on Linux Node's
// process.hrtime.bigint() reads the same clock, so after convergence the JS client's wall clock
// must agree with process.hrtime.bigint() to within the dispersion it reports (its local clock is
// Date.now(), 1 ms resolution, so the bound is a few milliseconds). Exits non-zero on failure and
// prints the figures.

import dgram from "node:dgram";
import protocols from "dvbcss-protocols";
import clocks from "dvbcss-clocks";
import {
    binDirArgument, finish, measureWallClock, printWallClockCase, sleep, startProgram, stopProgram,
    summaryLine, wallClockFailures,
} from "./support.mjs";

const binDir = binDirArgument("wc_js_client.test.mjs");

/** Starts wallclock-server on a free loopback port; resolves to { child, port, output, errors }. */
async function startServer(extraArgs) {
    const server = await startProgram(binDir, "wallclock-server",
                                      ["127.0.0.1", "0", "--loglevel", "warning", ...extraArgs],
                                      /on port (\d+)/);
    return { ...server, port: Number(server.match[1]) };
}

async function runCase(name, serverArgs) {
    const server = await startServer(serverArgs);
    const socket = dgram.createSocket("udp4");
    await new Promise((resolve) => socket.bind(0, "127.0.0.1", resolve));

    const sysClock = new clocks.DateNowClock();
    const wallClock = new clocks.CorrelatedClock(sysClock, { tickRate: 1e9 });
    const client = protocols.WallClock.createBinaryUdpClient(socket, wallClock, {
        dest: { address: "127.0.0.1", port: server.port },
        requestInterval: 100,
    });

    await sleep(3000);
    // Compare the wall clock with CLOCK_MONOTONIC several times, keeping the worst.
    const measured = await measureWallClock(wallClock);
    const available = wallClock.isAvailable();
    client.stop();
    socket.close();
    const exitCode = await stopProgram(server.child);
    const summary = summaryLine(server.output(), "wallclock-server");
    printWallClockCase(name, measured, available, exitCode, summary);

    const failures = wallClockFailures(available, measured);
    if (exitCode !== 0) failures.push(`wallclock-server exit code ${exitCode}`);
    if (!summary || /answered=0\b/.test(summary)) failures.push("the server answered nothing");
    if (server.errors().trim() !== "") {
        failures.push(`server wrote to stderr: ${server.errors()}`);
    }
    return failures.map((f) => `${name}: ${f}`);
}

const failures = [
    ...(await runCase("js-client/our-server", [])),
    ...(await runCase("js-client/our-server (follow-ups)", ["--fr"])),
];
finish(failures);
