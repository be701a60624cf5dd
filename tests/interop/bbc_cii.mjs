// Shared by the interop tests that check a CII URL with the BBC's CSS-CII client (npm
// dvbcss-protocols over the `ws` package, both from tests/interop/node_modules; support.mjs and
// netns_guard.mjs stay on Node built-ins).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");
const { CII } = require("dvbcss-protocols");

/** Connects the BBC CII client to `url`; resolves to the first CII message's fields, or null on a
 *  connection error or when none comes within `ms`. */
export function firstCii(url, ms) {
    return new Promise((resolve) => {
        const socket = new WebSocket(url);
        const client = CII.createCIIClient(socket, {});
        const limit = setTimeout(() => { socket.terminate(); resolve(null); }, ms);
        socket.on("error", () => { clearTimeout(limit); resolve(null); });
        client.on("change", (cii) => {
            clearTimeout(limit);
            socket.terminate();
            resolve({ ...cii });
        });
    });
}
