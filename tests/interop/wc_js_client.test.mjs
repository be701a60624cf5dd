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

import { spawn } from "node:child_process";
import dgram from "node:dgram";
import path from "node:path";
import protocols from "dvbcss-protocols";
import clocks from "dvbcss-clocks";

const binDir = process.argv[2];
if (!binDir) {
    console.error("usage: node wc_js_client.test.mjs <bin-dir>");
    process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts wallclock-server on a free loopback port; resolves to { child, port }. */
function startServer(extraArgs) {
    return new Promise((resolve, reject) => {
        const child = spawn(path.join(binDir, "wallclock-server"),
                            ["127.0.0.1", "0", "--loglevel", "warning", ...extraArgs],
                            { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
            out += d;
            const m = out.match(/on port (\d+)/);
            if (m && !child.portFound) {
                child.portFound = true;
                resolve({ child, port: Number(m[1]), output: () => out, errors: () => err });
            }
        });
        child.stderr.on("data", (d) => { err += d; });
        child.on("error", reject);
        child.on("exit", (code) => {
            if (!child.portFound) {
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
    client.stop();
    socket.close();
    const exitCode = await stopServer(server.child);
    const summary = server.output().split("\n").find((l) => l.startsWith("wallclock-server:"));

    console.log(`${name}: dispersion ${dispersionMs.toFixed(3)} ms, ` +
                `worst |wall clock - CLOCK_MONOTONIC| ${worstErrorMs.toFixed(3)} ms, ` +
                `available ${available}, server exit ${exitCode}`);
    console.log(`${name}: ${summary ?? "(no server summary)"}`);

    const failures = [];
    if (!available) failures.push("the JS wall clock never became available");
    if (!(dispersionMs < 20)) failures.push(`dispersion ${dispersionMs} ms is not below 20 ms`);
    // The truth itself is read with Date.now()'s 1 ms granularity on the JS side: allow 1 ms.
    if (!(worstErrorMs <= dispersionMs + 1)) {
        failures.push(`error ${worstErrorMs} ms exceeds the dispersion ${dispersionMs} ms + 1 ms`);
    }
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
if (failures.length > 0) {
    for (const f of failures) console.error(`FAIL ${f}`);
    process.exit(1);
}
console.log("PASS");
