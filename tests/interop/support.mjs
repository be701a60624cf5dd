// Shared by the interop tests (and tests/browser/companion.test.mjs): the directory holding our
// programs, starting a program and waiting for its banner, stopping it, and judging a JavaScript
// wall clock against CLOCK_MONOTONIC. Node built-ins only, so that any test directory can import
// it whatever its node_modules hold.
import { spawn } from "node:child_process";
import path from "node:path";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The directory holding our programs, the first argument; exits 2 with a usage line if missing. */
export function binDirArgument(script) {
    const binDir = process.argv[2];
    if (!binDir) {
        console.error(`usage: node ${script} <bin-dir>`);
        process.exit(2);
    }
    return binDir;
}

/** Starts `program` from `binDir` with stdout and stderr captured; resolves, once its stdout
 *  matches `banner`, to { child, match, output, errors } (output() and errors(): all so far);
 *  rejects if it cannot start or exits first. */
export function startProgram(binDir, program, args, banner) {
    return new Promise((resolve, reject) => {
        const child = spawn(path.join(binDir, program), args,
                            { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        let found = false;
        child.stdout.on("data", (d) => {
            out += d;
            const match = out.match(banner);
            if (match && !found) {
                found = true;
                resolve({ child, match, output: () => out, errors: () => err });
            }
        });
        child.stderr.on("data", (d) => { err += d; });
        child.on("error", reject);
        child.on("exit", (code) => {
            if (!found) {
                reject(new Error(`${program} exited with ${code}: ${err}`));
            }
        });
    });
}

/** Stops a program with SIGINT; resolves to its exit code (or the signal that ended it). */
export function stopProgram(child) {
    return new Promise((resolve) => {
        child.on("exit", (code, signal) => resolve(code ?? signal));
        child.kill("SIGINT");
    });
}

/** Starts tv-device on free loopback ports with its timelines as JSON lines (--json) and no
 *  scenario cycle; stdin is a pipe (its console), stderr is inherited. Returns { child, output,
 *  exited } (exited(): { code, signal } once it has exited, else null). */
export function spawnTvDevice(binDir) {
    const child = spawn(path.join(binDir, "tv-device"),
                        ["127.0.0.1", "0", "127.0.0.1", "0", "--json", "--cycle", "0",
                         "--loglevel", "warning"],
                        { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    let exit = null;
    child.stdout.on("data", (d) => { out += d; });
    child.on("exit", (code, signal) => { exit = { code, signal }; });
    return { child, output: () => out, exited: () => exit };
}

/** Polls `find()` every 100 ms, 10 s at most, until it returns something other than null or
 *  undefined, and resolves to that; throws Error(`failure()`) if it never does or `gaveUp()`
 *  becomes true first. */
export async function poll(find, failure, gaveUp = () => false) {
    for (let i = 0; i < 100; i++) {
        const found = find();
        if (found !== null && found !== undefined) {
            return found;
        }
        if (gaveUp()) {
            break;
        }
        await sleep(100);
    }
    throw new Error(failure());
}

/** Reads a dvbcss-clocks wall clock against CLOCK_MONOTONIC (process.hrtime.bigint(), which our
 *  servers' wall clocks read) 20 times, 10 ms apart; resolves to { worstErrorMs, dispersionMs }
 *  (the worst |wall clock - truth| and the last reported dispersion, ms). */
export async function measureWallClock(wallClock) {
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
    return { worstErrorMs, dispersionMs };
}

/** What is wrong with a JS wall clock measured by measureWallClock: not available, dispersion not
 *  below 20 ms, or an error beyond its dispersion (+1 ms: the JS side reads Date.now(), 1 ms
 *  granularity). */
export function wallClockFailures(available, { worstErrorMs, dispersionMs }) {
    const failures = [];
    if (!available) failures.push("the JS wall clock never became available");
    if (!(dispersionMs < 20)) failures.push(`dispersion ${dispersionMs} ms is not below 20 ms`);
    if (!(worstErrorMs <= dispersionMs + 1)) {
        failures.push(`error ${worstErrorMs} ms exceeds the dispersion ${dispersionMs} ms + 1 ms`);
    }
    return failures;
}

/** The first line of `output` that starts with "<program>:" (a program's summary), or
 *  undefined. */
export function summaryLine(output, program) {
    return output.split("\n").find((l) => l.startsWith(`${program}:`));
}

/** Prints one case's figures (from measureWallClock) and the server's summary line. */
export function printWallClockCase(name, { worstErrorMs, dispersionMs }, available, exitCode,
                                   summary) {
    console.log(`${name}: dispersion ${dispersionMs.toFixed(3)} ms, ` +
                `worst |wall clock - CLOCK_MONOTONIC| ${worstErrorMs.toFixed(3)} ms, ` +
                `available ${available}, server exit ${exitCode}`);
    console.log(`${name}: ${summary ?? "(no server summary)"}`);
}

/** Prints the failures (exit status 1) or PASS (exit status 0) and exits. */
export function finish(failures) {
    if (failures.length > 0) {
        for (const f of failures) console.error(`FAIL ${f}`);
        process.exit(1);
    }
    console.log("PASS");
    process.exit(0);
}
