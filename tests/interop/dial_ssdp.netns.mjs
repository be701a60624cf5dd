// Interop: an SSDP peer from npm (node-ssdp's Client) finds our tv-device by DIAL, as a companion
// on the home network would: M-SEARCH for the DIAL service, GET the LOCATION it answers with,
// take the Application-URL header, GET <Application-URL>HbbTV, and the X_HbbTV_InterDevSyncURL
// there must be the CII URL tv-device really serves: the BBC's CII client (dvbcss-protocols)
// connects to it and must get tv-device's content id.
//
//   run_in_netns.sh node dial_ssdp.netns.mjs <directory holding tv-device>
//
// Runs only in a namespace holding lo alone (checked before anything is sent). Exits 0 on
// success, 1 on failure (reasons on stderr), 2 on a usage error.
import { createRequire } from "node:module";
import { firstCii } from "./bbc_cii.mjs";
import { requireLoopbackOnlyNamespace, presentLoopbackAsExternal } from "./netns_guard.mjs";
import { binDirArgument, finish, sleep, startProgram, stopProgram } from "./support.mjs";

const script = "dial_ssdp.netns.mjs";
const binDir = binDirArgument(script);
requireLoopbackOnlyNamespace(script);
presentLoopbackAsExternal();

const require = createRequire(import.meta.url);
const { Client } = require("node-ssdp");

const DIAL_ST = "urn:dial-multiscreen-org:service:dial:1";
const HBBTV_NS = "urn:hbbtv:HbbTVCompanionScreen:2014";
const UUID = "6a1e0c3d-2b4f-4e8a-9c7d-11aa22bb33cc";
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); return ok; };

/** The text of the first element with this local name (any prefix), with the namespace URI its
 *  prefix is bound to in the document (or null), or null when absent. Small documents only: the
 *  answers of a TV we started ourselves. */
function element(xml, localName) {
    const m = xml.match(new RegExp(`<(?:([\\w.-]+):)?${localName}(\\s[^>]*)?>([^<]*)</`));
    if (!m) return null;
    const prefix = m[1];
    let ns = null;
    const declared = prefix ? xml.match(new RegExp(`xmlns:${prefix}="([^"]*)"`)) : null;
    if (declared) ns = declared[1];
    return { text: m[3].trim(), ns };
}

async function fetchText(url) {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, headers: r.headers, body: await r.text() };
}

/** Searches with node-ssdp until an answer for the DIAL service comes (at most `ms`); resolves
 *  to { headers, rinfo, afterMs } or null. */
function searchDial(ms) {
    return new Promise((resolve) => {
        const client = new Client({ explicitSocketBind: true });
        const started = Date.now();
        let done = false;
        const end = (value) => {
            if (done) return;
            done = true;
            clearInterval(repeat);
            clearTimeout(limit);
            client.stop();
            resolve(value);
        };
        client.on("response", (headers, statusCode, rinfo) => {
            if (statusCode === 200 && headers.ST === DIAL_ST) {
                end({ headers, rinfo, afterMs: Date.now() - started });
            }
        });
        client.search(DIAL_ST);
        // SSDP over UDP: repeat the search, as a careful client does.
        const repeat = setInterval(() => client.search(DIAL_ST), 1000);
        const limit = setTimeout(() => end(null), ms);
    });
}

let tv;
try {
    tv = await startProgram(binDir, "tv-device",
                            ["127.0.0.1", "0", "127.0.0.1", "0", "--dial", "--interface", "lo",
                             "--uuid", UUID, "--friendly-name", "interop & <TV>", "--cycle", "0",
                             "--no-console", "--loglevel", "warning"],
                            /DIAL on lo: device description (\S+) \(uuid:(\S+)\), CII for companions (\S+)\n----\n/);
} catch (e) {
    finish([`tv-device did not start: ${e.message}`]);
}
const [, bannerLocation, bannerUuid, bannerCii] = tv.match;
const servedCii = tv.output().match(/CSS-CII endpoint URL: (ws:\/\/\S+)/)?.[1];
const contentId = tv.output().match(/Content ID: (\S+)/)?.[1];
console.log(`tv-device: LOCATION ${bannerLocation}, uuid ${bannerUuid}, CII ${bannerCii}, ` +
            `serves CII at ${servedCii}`);
check(bannerUuid === UUID, `tv-device's uuid ${bannerUuid} is not the one given, ${UUID}`);

try {
    const found = await searchDial(8000);
    if (check(found !== null, "node-ssdp got no answer for the DIAL service within 8 s")) {
        const h = found.headers;
        console.log(`node-ssdp: answer from ${found.rinfo.address}:${found.rinfo.port} after ` +
                    `${found.afterMs} ms: LOCATION ${h.LOCATION}, USN ${h.USN}`);
        check(found.rinfo.address === "127.0.0.1", `answer from ${found.rinfo.address}`);
        check(h.LOCATION === bannerLocation,
              `LOCATION ${h.LOCATION} is not tv-device's ${bannerLocation}`);
        check(h.USN === `uuid:${UUID}::${DIAL_ST}`, `USN ${h.USN}`);
        check("EXT" in h, "no EXT header in the answer");
        check(/max-age\s*=\s*\d+/i.test(h["CACHE-CONTROL"] ?? ""),
              `CACHE-CONTROL ${h["CACHE-CONTROL"]} has no max-age`);
        check(found.afterMs <= 4500, `answer came after ${found.afterMs} ms (MX 3 + 1.5 s)`);

        const dd = await fetchText(h.LOCATION);
        const appUrl = dd.headers.get("application-url");
        console.log(`device description: ${dd.status}, Application-URL ${appUrl}`);
        check(dd.status === 200, `GET LOCATION gave ${dd.status}`);
        check(element(dd.body, "UDN")?.text === `uuid:${UUID}`,
              `UDN ${element(dd.body, "UDN")?.text}`);
        check(element(dd.body, "friendlyName")?.text === "interop &amp; &lt;TV&gt;",
              `friendlyName ${element(dd.body, "friendlyName")?.text} (escaped as written)`);
        check(/^urn:dial-multiscreen-org:device:dial:1$/.test(element(dd.body, "deviceType")?.text),
              `deviceType ${element(dd.body, "deviceType")?.text}`);
        if (check(appUrl, "no Application-URL header")) {
            const app = await fetchText(appUrl + (appUrl.endsWith("/") ? "" : "/") + "HbbTV");
            const sync = element(app.body, "X_HbbTV_InterDevSyncURL");
            console.log(`HbbTV application: ${app.status}, X_HbbTV_InterDevSyncURL ` +
                        `${sync?.text} in ${sync?.ns}`);
            check(app.status === 200, `GET <Application-URL>HbbTV gave ${app.status}`);
            check(element(app.body, "name")?.text === "HbbTV", "application name is not HbbTV");
            check(sync?.ns === HBBTV_NS, `X_HbbTV_InterDevSyncURL's namespace ${sync?.ns}`);
            check(sync?.text === servedCii,
                  `X_HbbTV_InterDevSyncURL ${sync?.text} is not the CII URL served, ${servedCii}`);
            check(element(app.body, "X_HbbTV_App2AppURL") === null,
                  "an App2App URL is named, but tv-device serves none");

            if (sync?.text) {
                const cii = await firstCii(sync.text, 5000);
                console.log(`CII at the discovered URL: ${JSON.stringify(cii)}`);
                if (check(cii !== null, `no CII message from ${sync.text}`)) {
                    check(cii.contentId === contentId,
                          `CII contentId ${cii.contentId} is not tv-device's ${contentId}`);
                    check(cii.protocolVersion === "1.1", `CII protocolVersion ${cii.protocolVersion}`);
                }
            }
        }
    }
} catch (e) {
    failures.push(`unexpected error: ${e.stack ?? e}`);
}

await sleep(100);
const code = await stopProgram(tv.child);
check(code === 0, `tv-device exited with ${code} after SIGINT`);
finish(failures);
