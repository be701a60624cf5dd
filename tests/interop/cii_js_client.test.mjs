// Interop: the BBC's JavaScript CSS-CII client (npm dvbcss-protocols, over the `ws` package)
// connects to our cii-server and must see the initial CII and at least one pushed change.
//
//   node cii_js_client.test.mjs <directory holding cii-server>
//
// Exits 0 on success, 1 on failure (with the reason on stderr).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");
const { CII } = require("dvbcss-protocols");

const binDir = process.argv[2];
if (!binDir) {
    console.error("usage: node cii_js_client.test.mjs <bin-dir>");
    process.exit(2);
}

let server;
let socket;

function finish(ok, message) {
    if (message) {
        (ok ? console.log : console.error)(message);
    }
    if (socket) {
        socket.terminate();
    }
    if (server && server.exitCode === null) {
        server.kill("SIGTERM");
    }
    process.exitCode = ok ? 0 : 1;
    setTimeout(() => process.exit(process.exitCode), 200).unref();
}

const overall = setTimeout(() => finish(false, "FAIL: timed out waiting for CII messages"), 20000);

// Start our server on a free port and read its URL from the banner.
server = spawn(path.join(binDir, "cii-server"), ["127.0.0.1", "0", "--loglevel", "warning"], {
    stdio: ["ignore", "pipe", "inherit"],
});
server.on("error", (e) => finish(false, "FAIL: cannot start cii-server: " + e.message));
server.on("exit", (code) => {
    if (process.exitCode === undefined) {
        finish(false, "FAIL: cii-server exited early with status " + code);
    }
});

let banner = "";
server.stdout.on("data", (chunk) => {
    if (socket) {
        return;
    }
    banner += chunk.toString();
    const match = banner.match(/CSS-CII endpoint URL: (ws:\/\/\S+)/);
    if (match) {
        connect(match[1]);
    }
});

function connect(url) {
    socket = new WebSocket(url);
    const client = CII.createCIIClient(socket, {});
    const changes = [];
    socket.on("error", (e) => finish(false, "FAIL: WebSocket error: " + e.message));
    client.on("change", (cii, changeNames, mask) => {
        changes.push({ cii: { ...cii }, names: Object.keys(changeNames), mask });
        console.log(`change ${changes.length}: ${JSON.stringify(cii)} (changed: ${Object.keys(changeNames).join(", ")})`);
        const first = changes[0];
        if (changes.length === 1) {
            const firstBit = CII.CIIMessage.CIIChangeMask.FIRST_CII_RECEIVED;
            if ((mask & firstBit) === 0) {
                return finish(false, "FAIL: first change is not flagged as the first CII");
            }
            if (first.cii.protocolVersion !== "1.1") {
                return finish(false, "FAIL: initial CII lacks protocolVersion 1.1");
            }
            if (typeof first.cii.contentId !== "string" || !first.cii.contentId.startsWith("dvb://")) {
                return finish(false, "FAIL: initial CII lacks a dvb:// contentId");
            }
            if (first.cii.contentIdStatus !== "final") {
                return finish(false, "FAIL: initial CII lacks contentIdStatus final");
            }
            return;
        }
        // A pushed change: presentationStatus settles or the content changes.
        const latest = changes[changes.length - 1];
        if (latest.names.length === 0) {
            return finish(false, "FAIL: change event without changed properties");
        }
        const previous = changes[changes.length - 2];
        if (latest.cii.presentationStatus === previous.cii.presentationStatus &&
            latest.cii.contentId === previous.cii.contentId) {
            return finish(false, "FAIL: pushed change changed neither presentationStatus nor contentId");
        }
        if (latest.cii.protocolVersion !== "1.1") {
            return finish(false, "FAIL: protocolVersion lost after a pushed change");
        }
        clearTimeout(overall);
        finish(true, `PASS: initial CII and ${changes.length - 1} pushed change(s) seen`);
    });
}
