// Interop: our dial-discover finds a DIAL server written with a public library, npm peer-dial
// (Fraunhofer FOKUS; SSDP by peer-ssdp, HTTP by express), that offers an "HbbTV" application
// whose additionalData names, in urn:hbbtv:HbbTVCompanionScreen:2014, the CII URL of a real
// cii-server, an App2App URL and a user agent. dial-discover --json must report peer-dial's
// friendly name, UDN, LOCATION, Application-URL (peer-dial's has no trailing slash) and the three
// HbbTV values, and the BBC's CII client must get CII at the InterDevSync URL it reports.
//
//   run_in_netns.sh node dial_peer_dial.netns.mjs <directory holding dial-discover, cii-server>
//
// Runs only in a namespace holding lo alone (checked before anything is sent). Exits 0 on
// success, 1 on failure (reasons on stderr), 2 on a usage error.
import { spawn } from "node:child_process";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { firstCii } from "./bbc_cii.mjs";
import { requireLoopbackOnlyNamespace, presentLoopbackAsExternal } from "./netns_guard.mjs";
import { binDirArgument, finish, startProgram, stopProgram } from "./support.mjs";

const script = "dial_peer_dial.netns.mjs";
const binDir = binDirArgument(script);
requireLoopbackOnlyNamespace(script);
presentLoopbackAsExternal();

const require = createRequire(import.meta.url);
const express = require("express");
const dial = require("peer-dial");

const HBBTV_NS = "urn:hbbtv:HbbTVCompanionScreen:2014";
const UUID = "0b6f3c1e-7d2a-4c59-8e4f-5a6b7c8d9e0f";
const FRIENDLY = "peer-dial TV & co";
const APP2APP = "ws://127.0.0.1:9/app2app/?a=1&b=2";
const USER_AGENT = "peer-dial-interop/1.0 (HbbTV/1.4.1)";
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); return ok; };

/** Runs a program to its end; resolves to { code, stdout, stderr, ms }. */
function run(program, args, limitMs) {
    return new Promise((resolve) => {
        const started = Date.now();
        const child = spawn(path.join(binDir, program), args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => { stdout += d; });
        child.stderr.on("data", (d) => { stderr += d; });
        const limit = setTimeout(() => child.kill("SIGKILL"), limitMs);
        child.on("exit", (code, signal) => {
            clearTimeout(limit);
            resolve({ code: code ?? signal, stdout, stderr, ms: Date.now() - started });
        });
    });
}

// A real CII server whose URL the peer-dial TV hands out.
let ciiServer;
try {
    ciiServer = await startProgram(binDir, "cii-server", ["127.0.0.1", "0", "--loglevel", "warning"],
                                   /CSS-CII endpoint URL: (ws:\/\/\S+)/);
} catch (e) {
    finish([`cii-server did not start: ${e.message}`]);
}
const ciiUrl = ciiServer.match[1];

// The peer-dial TV: express on 127.0.0.1, DIAL routes under /dial.
const app = express();
const httpServer = http.createServer(app);
await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
const port = httpServer.address().port;
let launches = 0;
const dialServer = new dial.Server({
    expressApp: app,
    port,
    prefix: "/dial",
    uuid: UUID,
    friendlyName: FRIENDLY,
    manufacturer: "interop",
    modelName: "peer-dial",
    delegate: {
        getApp: (name) => name === "HbbTV" ? {
            name: "HbbTV",
            state: "running",
            allowStop: false,
            namespaces: { hbbtv: HBBTV_NS },
            additionalData: {
                "hbbtv:X_HbbTV_App2AppURL": APP2APP,
                "hbbtv:X_HbbTV_InterDevSyncURL": ciiUrl,
                "hbbtv:X_HbbTV_UserAgent": USER_AGENT,
            },
        } : null,
        launchApp: (name, data, callback) => { launches++; callback(null); },
        stopApp: (name, pid, callback) => callback(false),
    },
});
await new Promise((resolve) => { dialServer.on("ready", resolve); dialServer.start(); });
console.log(`peer-dial: http://127.0.0.1:${port}/dial/ssdp/device-desc.xml, CII ${ciiUrl}`);

try {
    const r = await run("dial-discover", ["--interface", "lo", "--mx", "1", "--timeout", "4",
                                          "--json"], 15000);
    console.log(`dial-discover: exit ${r.code} after ${r.ms} ms\n${r.stdout}${r.stderr}`);
    check(r.code === 0, `dial-discover exited with ${r.code}`);
    const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
    check(lines.length === 1, `dial-discover printed ${lines.length} TVs, not 1`);
    let tv = null;
    try {
        tv = JSON.parse(lines[0] ?? "null");
    } catch (e) {
        failures.push(`dial-discover's line is not JSON: ${lines[0]}`);
    }
    if (check(tv !== null, "no TV object")) {
        const base = `http://127.0.0.1:${port}/dial`;
        const expect = {
            friendly_name: FRIENDLY,
            udn: `uuid:${UUID}`,
            location: `${base}/ssdp/device-desc.xml`,
            application_url: `${base}/apps`,
            inter_dev_sync_url: ciiUrl,
            app2app_url: APP2APP,
            user_agent: USER_AGENT,
            address: "127.0.0.1",
        };
        for (const [k, v] of Object.entries(expect)) {
            check(tv[k] === v, `${k} is ${JSON.stringify(tv[k])}, not ${JSON.stringify(v)}`);
        }
        check(typeof tv.found_after_s === "number" && tv.found_after_s >= 0 &&
              tv.found_after_s < 3, `found_after_s ${tv.found_after_s} (peer-dial answers at once)`);
        check(launches === 0, "dial-discover launched the application");
        if (tv.inter_dev_sync_url) {
            const cii = await firstCii(tv.inter_dev_sync_url, 5000);
            console.log(`CII at the discovered URL: ${JSON.stringify(cii)}`);
            check(cii !== null && cii.protocolVersion === "1.1" &&
                  typeof cii.contentId === "string",
                  `no CII 1.1 message with a content id from ${tv.inter_dev_sync_url}`);
        }
    }
} catch (e) {
    failures.push(`unexpected error: ${e.stack ?? e}`);
}

dialServer.stop();
httpServer.close();
const code = await stopProgram(ciiServer.child);
check(code === 0, `cii-server exited with ${code} after SIGINT`);
finish(failures);
