// The live status page of tv-device: polls /status.json (schema "dvbcss-status/1",
// docs/status.md) every 500 ms and renders it; timeline positions tick between polls by
// extrapolating each control timestamp with the page's own clock. No external resources.
"use strict";

(function () {
  const POLL_MS = 500;
  let latest = null;      // the last document
  let fetchedAt = 0;      // performance.now() when it arrived

  function $(id) { return document.getElementById(id); }

  function text(id, value) {
    const el = $(id);
    if (el.textContent !== value) el.textContent = value;
  }

  function cell(row, value, className) {
    const td = document.createElement("td");
    td.textContent = value;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function orDash(v) { return v === null || v === undefined ? "–" : String(v); }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
    const negative = seconds < 0;
    let s = Math.abs(seconds);
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const out = (h > 0 ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" +
      s.toFixed(3).padStart(6, "0");
    return negative ? "-" + out : out;
  }

  function ns(v) {
    if (v === null || v === undefined) return "–";
    if (v >= 1e6) return (v / 1e6).toFixed(2) + " ms";
    if (v >= 1e3) return (v / 1e3).toFixed(1) + " µs";
    return v + " ns";
  }

  // The document's wall clock now, in ns, from the page's monotonic clock since it arrived.
  function wallNowNs() {
    if (!latest || latest.wall_clock_ns === null) return null;
    return latest.wall_clock_ns + (performance.now() - fetchedAt) * 1e6;
  }

  function monotonicNowNs() {
    if (!latest) return null;
    return latest.monotonic_ns + (performance.now() - fetchedAt) * 1e6;
  }

  function renderTimelines() {
    const body = $("timelines");
    body.replaceChildren();
    const timelines = latest.timelines;
    if (!Array.isArray(timelines)) return;
    const wall = wallNowNs();
    for (const t of timelines) {
      const row = document.createElement("tr");
      cell(row, t.selector, "mono");
      cell(row, orDash(t.tick_rate_hz) + " Hz", "num");
      const c = t.control_timestamp;
      const available = t.available && c && c.content_time !== null;
      cell(row, available ? "yes" : "no", available ? "yes" : "no");
      let ticks = null;
      if (available && wall !== null) {
        const elapsedS = (wall - c.wall_clock_time_ns) / 1e9;
        ticks = c.content_time + elapsedS * c.timeline_speed_multiplier * t.tick_rate_hz;
      }
      cell(row, ticks === null || !t.tick_rate_hz ? "–" : duration(ticks / t.tick_rate_hz), "num mono");
      cell(row, ticks === null ? "–" : String(Math.floor(ticks)), "num mono");
      cell(row, available ? String(c.timeline_speed_multiplier) : "–", "num");
      cell(row, orDash(t.ts_companions), "num");
      body.appendChild(row);
    }
  }

  function renderCompanions() {
    const companions = latest.companions || {};
    const mono = monotonicNowNs();
    const connectedFor = (c) => duration(mono === null ? c.connected_s : (mono - c.since_monotonic_ns) / 1e9);

    const cii = $("cii");
    cii.replaceChildren();
    if (Array.isArray(companions.cii)) {
      text("cii-count", "(" + companions.cii.length + ")");
      for (const c of companions.cii) {
        const row = document.createElement("tr");
        cell(row, String(c.id), "num");
        cell(row, c.address, "mono");
        cell(row, connectedFor(c), "num");
        cii.appendChild(row);
      }
    } else {
      text("cii-count", "(not served)");
    }

    const ts = $("ts");
    ts.replaceChildren();
    if (Array.isArray(companions.ts)) {
      text("ts-count", "(" + companions.ts.length + ")");
      for (const c of companions.ts) {
        const row = document.createElement("tr");
        cell(row, String(c.id), "num");
        cell(row, c.address, "mono");
        cell(row, connectedFor(c), "num");
        cell(row, c.set_up ? c.timeline_selector : "(waiting for setup-data)", "mono");
        const stem = cell(row, c.set_up ? JSON.stringify(c.content_id_stem) : "–", "mono");
        if (c.stem_matches === false) stem.classList.add("no");
        const a = c.last_apt_ept_lpt;
        let actual = "–";
        if (a && a.actual) actual = a.actual.content_time + " @ " + a.actual.wall_clock_time_ns + " ns";
        else if (a) actual = "(no actual)";
        cell(row, actual, "mono");
        const received = c.last_apt_ept_lpt_received_monotonic_ns;
        cell(row, received === null || mono === null ? "–" :
          duration((mono - received) / 1e9) + " ago (" + orDash(c.apt_ept_lpts_received) + ")", "num");
        ts.appendChild(row);
      }
    } else {
      text("ts-count", "(not served)");
    }

    const ws = companions.wc_websocket;
    text("wcws-count", ws ? "(" + ws.count + ")" : "(not served)");
  }

  function renderWallClock() {
    const w = latest.wall_clock || {};
    const udp = w.udp;
    text("udp-answered", udp ? String(udp.requests_answered) : "–");
    text("udp-rate", udp && udp.requests_per_s !== null ?
      udp.requests_per_s.toFixed(1) + " (over " + udp.window_s.toFixed(1) + " s)" : "–");
    text("udp-delay", udp ? ns(udp.processing_delay_p50_ns) + " / " + ns(udp.processing_delay_p99_ns) +
      " / " + ns(udp.processing_delay_max_ns) : "–");
    const ws = w.websocket;
    text("ws-answered", ws ? String(ws.requests_answered) : "–");
    text("ws-rate", ws && ws.requests_per_s !== null ? ws.requests_per_s.toFixed(1) : "–");
  }

  let shownSeq = -1;
  function renderEvents() {
    const events = Array.isArray(latest.events) ? latest.events : [];
    const last = events.length ? events[events.length - 1].seq : 0;
    if (last === shownSeq) return;
    shownSeq = last;
    const list = $("events");
    list.replaceChildren();
    for (let i = events.length - 1; i >= 0; --i) {
      const e = events[i];
      const li = document.createElement("li");
      li.value = e.seq;
      const when = document.createElement("span");
      when.className = "muted mono";
      when.textContent = e.utc + "  ";
      li.appendChild(when);
      li.appendChild(document.createTextNode(e.text));
      list.appendChild(li);
    }
  }

  function render() {
    const content = latest.content;
    text("content-id", content ? orDash(content.content_id) : "–");
    text("content-id-status", content ? orDash(content.content_id_status) : "–");
    text("presentation-status", content && content.presentation_status ?
      content.presentation_status.join(" ") : "–");
    renderTimelines();
    renderCompanions();
    renderWallClock();
    renderEvents();
    text("footer", (latest.software || "") + " · " + latest.schema + " · " + latest.utc);
  }

  function setLink(ok, message) {
    const el = $("link");
    el.className = ok ? "ok" : "down";
    text("link", message);
  }

  async function poll() {
    try {
      const response = await fetch("/status.json", { cache: "no-store" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const doc = await response.json();
      if (doc.schema !== "dvbcss-status/1") throw new Error("unknown schema " + doc.schema);
      latest = doc;
      fetchedAt = performance.now();
      setLink(true, "live");
      render();
    } catch (e) {
      setLink(false, "cannot reach the TV (" + e.message + "); retrying");
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  poll();
  // Positions tick between polls.
  setInterval(() => { if (latest) renderTimelines(); }, 50);
})();
