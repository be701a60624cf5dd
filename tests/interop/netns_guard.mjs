// Shared by the *.netns.mjs interop tests, which send and receive SSDP multicast: they run only
// inside a network namespace holding nothing but lo (tests/netns/run_in_netns.sh makes one), and
// the npm SSDP libraries they use only ever pick non-loopback interfaces. Node built-ins only.
import { execFileSync } from "node:child_process";
import os from "node:os";

/** Exits 1 with one line on stderr unless the namespace holds lo and nothing else: every link
 *  `ip -o link show` lists (up or down, addressed or not) and every interface Node sees. Call it
 *  before anything is sent. */
export function requireLoopbackOnlyNamespace(script) {
    let links;
    try {
        links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map((l) => l.split(": ")[1].replace(/@.*/, ""));
    } catch (e) {
        console.error(`${script}: refusing: cannot list the network interfaces (${e.message})`);
        process.exit(1);
    }
    const others = [...new Set([...links, ...Object.keys(os.networkInterfaces())])]
        .filter((name) => name !== "lo");
    if (others.length > 0 || !links.includes("lo")) {
        console.error(`${script}: refusing: this namespace holds ${others.join(", ") || "no lo"} ` +
                      "besides lo; run me through tests/netns/run_in_netns.sh");
        process.exit(1);
    }
}

/** node-ssdp and peer-ssdp (under peer-dial) open their sockets on every IPv4 interface that
 *  os.networkInterfaces() calls non-internal, so in a lo-only namespace they would open none.
 *  After requireLoopbackOnlyNamespace, this makes lo's 127.0.0.1 read as non-internal for this
 *  process, so they use lo (the namespace's only interface, routed for 239.0.0.0/8). Their own
 *  code is unchanged: what they send and parse is theirs. */
export function presentLoopbackAsExternal() {
    const real = os.networkInterfaces.bind(os);
    os.networkInterfaces = () => {
        const interfaces = real();
        for (const name of Object.keys(interfaces)) {
            interfaces[name] = interfaces[name].map((a) =>
                (a.family === "IPv4" && a.address === "127.0.0.1") ? { ...a, internal: false } : a);
        }
        return interfaces;
    };
}
