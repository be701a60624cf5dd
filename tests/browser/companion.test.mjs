// The companion page (web/index.html, served by tv-device at "/") in headless Chromium, checked
// against tv-device's own truth: the position it shows, its wall clock estimate, a pause, an
// unavailable timeline and its return.
//
//   node companion.test.mjs <directory holding tv-device>
//
// Environment:
//   DVBCSS_ARTIFACT_DIR  where to save companion-page.png (default: the current directory)
//   CHROMIUM             the browser (default /usr/bin/chromium; never downloaded)
//   CI=true              a missing browser fails the test instead of skipping it
//   COMPANION_SAMPLES    how many samples to compare with the truth (default 50)
//
// Truth: tv-device --json prints each timeline change against its wall clock, which is
// CLOCK_MONOTONIC in ns; Node's process.hrtime.bigint() reads the same clock. Each sample is
// bracketed by two readings of it, so the page's wall clock estimate can be checked against the
// real wall clock (within the bracket), and its position against the truth at that estimate.
//
// Exits 0 on success, 1 on failure (reasons on stderr), 77 when skipped (no browser, not CI).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
    binDirArgument, poll, sleep, spawnTvDevice, stopProgram,
} from "../interop/support.mjs";

const binDir = binDirArgument("companion.test.mjs");
const SKIP = 77;
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
const underCi = process.env.CI === "true";
if (!fs.existsSync(chromium)) {
    const message = `${chromium} not found (install Debian's chromium: scripts/install-deps.sh)`;
    if (underCi) {
        console.error(`FAIL ${message}; CI=true requires the browser test to run`);
        process.exit(1);
    }
    console.log(`SKIP ${message}`);
    process.exit(SKIP);
}
const puppeteer = (await import("puppeteer-core")).default;

const artifactDir = process.env.DVBCSS_ARTIFACT_DIR || process.cwd();
const sampleCount = Number(process.env.COMPANION_SAMPLES) || 50;
const PTS = "urn:dvb:css:timeline:pts";
const TICK_RATE = 90000;
const LIMIT_MS = 5; // position error allowed on loopback
const LIMIT_TICKS = LIMIT_MS * TICK_RATE / 1000;

const monoNs = () => Number(process.hrtime.bigint());
const failures = [];
const fail = (text) => {
    failures.push(text);
    console.error(`FAIL ${text}`);
};
const quantile = (values, q) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

// ---------------------------------------------------------------------------------------------
// tv-device and its truth

const device = spawnTvDevice(binDir);
const tv = device.child;

let browser = null;
let userDataDir = null;
const overall = setTimeout(async () => {
    console.error("FAIL timed out");
    tv.kill("SIGKILL");
    await browser?.close().catch(() => {});
    process.exit(1);
}, 100000);

function httpBase() {
    return poll(() => {
        const m = device.output().match(/CSS-CII endpoint URL: ws:\/\/([^/\s]+)\/cii/);
        return m ? `http://${m[1]}` : null;
    }, () => `no banner from tv-device: ${device.output()}`, () => device.exited() !== null);
}

/** Every truth line for PTS so far, oldest first. */
function truthLines() {
    const lines = [];
    for (const line of device.output().split("\n")) {
        if (!line.startsWith("{")) {
            continue;
        }
        try {
            const j = JSON.parse(line);
            if (j.event === "timeline" && j.selector === PTS) {
                lines.push(j);
            }
        } catch {
            // a line still being written
        }
    }
    return lines;
}

/** The truth in force at wall clock time `wallNs`: the last change at or before it. */
function truthAt(wallNs) {
    let found = null;
    for (const t of truthLines()) {
        if (t.wall_clock_ns <= wallNs || found === null) {
            found = t;
        }
    }
    return found;
}

/** The true position (ticks) at wall clock `wallNs`, or null when unavailable. */
function truePosition(wallNs) {
    const t = truthAt(wallNs);
    if (!t || !t.available) {
        return null;
    }
    return t.content_time + (wallNs - t.wall_clock_ns) * t.speed * t.tick_rate / 1e9;
}

/** Sends one change to the pretend TV and waits for its truth line. */
async function control(command, isDone) {
    const before = truthLines().length;
    tv.stdin.write(`${command}\n`);
    for (let i = 0; i < 50; i++) {
        const lines = truthLines();
        if (lines.length > before && isDone(lines[lines.length - 1])) {
            return lines[lines.length - 1];
        }
        await sleep(100);
    }
    throw new Error(`tv-device printed no truth line for "${command}"`);
}

// ---------------------------------------------------------------------------------------------
// The page

async function sample(page) {
    const before = monoNs();
    const s = await page.evaluate(() => window.companion.sample());
    const after = monoNs();
    return { s, before, after };
}

async function waitFor(page, what, predicate, timeoutMs = 10000) {
    const end = Date.now() + timeoutMs;
    let last = null;
    while (Date.now() < end) {
        last = (await sample(page)).s;
        if (predicate(last)) {
            return last;
        }
        await sleep(50);
    }
    throw new Error(`the page never showed ${what}; last sample: ${JSON.stringify(last)}`);
}

/** Position error (ms) of one sample against the truth at the page's own wall clock estimate,
 *  and how far (ms) that estimate lies outside the bracket of real wall clock readings. */
function judge({ s, before, after }) {
    const truth = truePosition(s.wall_clock_ns);
    const modelMs = truth === null || s.position_ticks === null
                        ? Infinity
                        : Math.abs(s.position_ticks - truth) * 1000 / TICK_RATE;
    const outsideNs = Math.max(0, before - s.wall_clock_ns, s.wall_clock_ns - after);
    const t = truthAt(s.wall_clock_ns);
    const speed = t && t.available ? Math.abs(t.speed) : 0;
    return {
        modelMs,
        outsideMs: outsideNs / 1e6,
        // The worst the shown position can be from the truth at the real instant of the sample.
        worstMs: modelMs + speed * outsideNs / 1e6,
        bracketMs: (after - before) / 1e6,
        midErrorMs: (s.wall_clock_ns - (before + after) / 2) / 1e6,
    };
}

const pageErrors = [];
try {
    const base = await httpBase();
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dvbcss-chromium-"));
    browser = await puppeteer.launch({
        executablePath: chromium,
        headless: true,
        userDataDir,
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"],
    });
    const page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
        if (m.type() === "error") {
            pageErrors.push(m.text());
        }
    });
    await page.setViewport({ width: 1200, height: 820 });
    const response = await page.goto(`${base}/?timeline=${encodeURIComponent(PTS)}`);
    if (!response || !response.ok()) {
        throw new Error(`GET ${base}/ answered ${response?.status()}`);
    }

    // Synced: the CII, a wall clock estimate refined by a few exchanges, a control timestamp.
    const first = await waitFor(page, "a synchronised timeline",
                                (s) => s.synced && s.available === true && s.samples_wc >= 6,
                                20000);
    console.log(`synced: content ${first.content_id}, dispersion ` +
                `${(first.dispersion_ns / 1e3).toFixed(1)} µs after ${first.samples_wc} exchanges`);
    if (first.content_id === null) fail("the page shows no content id");
    if (first.selector !== PTS) fail(`the page follows ${first.selector}, not ${PTS}`);
    if (first.tick_rate !== TICK_RATE) fail(`tick rate ${first.tick_rate}`);
    if (!first.connected_cii || !first.connected_ts || !first.connected_wc) {
        fail(`not every connection is up: ${JSON.stringify(first)}`);
    }

    // Playing: N samples against the truth.
    const judged = [];
    const dispersions = [];
    for (let i = 0; i < sampleCount; i++) {
        const one = await sample(page);
        const j = judge(one);
        judged.push(j);
        dispersions.push(one.s.dispersion_ns / 1e3);
        if (!(j.worstMs < LIMIT_MS)) {
            fail(`sample ${i}: position error up to ${j.worstMs.toFixed(3)} ms ` +
                 `(model ${j.modelMs.toFixed(3)} ms, wall clock ${j.outsideMs.toFixed(3)} ms ` +
                 `outside the bracket)`);
        }
        await sleep(40);
    }
    const fmt = (values, digits = 3) =>
        `p50 ${quantile(values, 0.5).toFixed(digits)} max ${Math.max(...values).toFixed(digits)}`;
    console.log(`playing, ${sampleCount} samples:`);
    console.log(`  position error vs truth at the page's wall clock (ms): ` +
                `${fmt(judged.map((j) => j.modelMs))}`);
    console.log(`  worst position error at the real instant (ms):       ` +
                `${fmt(judged.map((j) => j.worstMs))}`);
    console.log(`  page wall clock - bracket midpoint (ms):              ` +
                `${fmt(judged.map((j) => Math.abs(j.midErrorMs)))}; bracket width ` +
                `${fmt(judged.map((j) => j.bracketMs))}; outside the bracket in ` +
                `${judged.filter((j) => j.outsideMs > 0).length} of ${sampleCount}`);
    console.log(`  dispersion (µs):                                      ${fmt(dispersions, 1)}`);
    const narrow = [...judged].sort((a, b) => a.bracketMs - b.bracketMs).slice(0, 10);
    console.log(`  the 10 narrowest brackets (ms): width ${fmt(narrow.map((j) => j.bracketMs))}, ` +
                `|page wall clock - midpoint| ${fmt(narrow.map((j) => Math.abs(j.midErrorMs)))}`);

    // Pause: speed 0 and a frozen position matching the truth.
    const paused = await control("pause", (t) => t.speed === 0);
    let s = await waitFor(page, "speed 0", (x) => x.speed === 0);
    const frozen = s.position_ticks;
    const pauseErrorMs = Math.abs(frozen - paused.content_time) * 1000 / TICK_RATE;
    console.log(`paused: page at ${(frozen / TICK_RATE).toFixed(4)} s, ` +
                `truth ${(paused.content_time / TICK_RATE).toFixed(4)} s, ` +
                `error ${pauseErrorMs.toFixed(3)} ms`);
    if (!(pauseErrorMs < LIMIT_MS)) fail(`paused position error ${pauseErrorMs} ms`);
    await sleep(300);
    s = (await sample(page)).s;
    if (s.position_ticks !== frozen) fail(`the paused position moved: ${frozen} -> ${s.position_ticks}`);

    // Unavailable, then available again (still paused), then playing.
    await control("unavailable pts", (t) => t.available === false);
    s = await waitFor(page, "an unavailable timeline", (x) => x.available === false);
    console.log("unavailable: the page shows it");
    if (s.position_ticks !== null || s.speed !== null) {
        fail(`an unavailable timeline still has a position or speed: ${JSON.stringify(s)}`);
    }
    await control("available pts", (t) => t.available === true);
    await waitFor(page, "the timeline available again", (x) => x.available === true);
    await control("play", (t) => t.speed === 1);
    await waitFor(page, "speed 1", (x) => x.speed === 1);
    const resumed = [];
    for (let i = 0; i < 10; i++) {
        resumed.push(judge(await sample(page)).worstMs);
        await sleep(40);
    }
    console.log(`available and playing again: position error ${fmt(resumed)} ms`);
    if (!(Math.max(...resumed) < LIMIT_MS)) fail(`after resuming, error up to ${Math.max(...resumed)} ms`);

    // The picture after ~15 s of following the TV: pause, unavailability and return in the log.
    await sleep(1500);
    const screenshot = path.join(artifactDir, "companion-page.png");
    await page.screenshot({ path: screenshot });
    console.log(`screenshot: ${screenshot}`);

    // The JSON form of the wall clock protocol (text frames), in a second page.
    const jsonPage = await browser.newPage();
    jsonPage.on("pageerror", (e) => pageErrors.push(String(e)));
    await jsonPage.goto(`${base}/?wc=json`);
    const j0 = await waitFor(jsonPage, "a synchronised timeline with ?wc=json",
                             (x) => x.synced && x.available === true && x.samples_wc >= 6, 20000);
    const jsonErrors = [];
    for (let i = 0; i < 10; i++) {
        jsonErrors.push(judge(await sample(jsonPage)).worstMs);
        await sleep(40);
    }
    console.log(`wall clock in JSON text frames: dispersion ${(j0.dispersion_ns / 1e3).toFixed(1)} µs, ` +
                `position error ${fmt(jsonErrors)} ms`);
    if (j0.selector !== PTS) fail(`with no ?timeline the page follows ${j0.selector}, not the CII's first`);
    if (!(Math.max(...jsonErrors) < LIMIT_MS)) fail(`?wc=json: error up to ${Math.max(...jsonErrors)} ms`);
    await jsonPage.close();

    if (pageErrors.length > 0) fail(`errors in the page: ${pageErrors.join(" | ")}`);
} catch (e) {
    fail(e.stack || String(e));
}

await browser?.close().catch(() => {});
if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
if (!device.exited()) {
    await stopProgram(tv);
}
const tvExited = device.exited();
if (tvExited && tvExited.code !== 0 && tvExited.signal === null) {
    fail(`tv-device exit status ${tvExited.code}`);
}
clearTimeout(overall);
if (failures.length > 0) {
    process.exit(1);
}
console.log("PASS");
process.exit(0);
