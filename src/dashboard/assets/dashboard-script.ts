/**
 * The dashboard's browser script, served from the handler (the CSP allows only scripts of the page's own
 * origin, and no inline code). Plain DOM, text set with textContent only (principals, user agents and
 * session values are untrusted), charts drawn as SVG elements.
 */
export const DASHBOARD_SCRIPT = String.raw`"use strict";
(() => {
  const base = document.querySelector('meta[name="sk-base"]').content;
  const csrf = document.querySelector('meta[name="sk-csrf"]').content;
  const main = document.getElementById("main");
  const SVG = "http://www.w3.org/2000/svg";
  let stopView = () => {};

  function build(doc, tag, attrs, children) {
    const node = doc(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  const el = (tag, attrs, ...children) => build((t) => document.createElement(t), tag, attrs, children);
  const svg = (tag, attrs, ...children) => build((t) => document.createElementNS(SVG, t), tag, attrs, children);

  async function api(path, body) {
    const init = body === undefined
      ? { headers: { accept: "application/json" } }
      : { method: "POST", headers: { accept: "application/json", "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(body) };
    const response = await fetch(base + "/api/" + path, Object.assign({ credentials: "same-origin" }, init));
    const json = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(json.error || response.status + " " + response.statusText);
    return json;
  }

  function bytes(n) {
    if (n < 1024) return n + " B";
    const units = ["KB", "MB", "GB", "TB"];
    let value = n / 1024, i = 0;
    while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
    return value.toFixed(value < 10 ? 1 : 0) + " " + units[i];
  }
  function duration(ms) {
    const steps = [[86400000, "d"], [3600000, "h"], [60000, "m"], [1000, "s"]];
    for (const [size, unit] of steps) if (ms >= size) return Math.round(ms / size) + unit;
    return ms + "ms";
  }
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "-");

  function histogram(title, h, format) {
    const width = 380, height = 130, barWidth = (width - 10) / h.buckets.length;
    const max = Math.max(1, ...h.buckets.map((b) => b.count));
    const chart = svg("svg", { viewBox: "0 0 " + width + " " + (height + 18), class: "chart", role: "img", "aria-label": title });
    h.buckets.forEach((b, i) => {
      const barHeight = Math.round((b.count / max) * (height - 16));
      const x = 5 + i * barWidth;
      const label = b.le === null ? "more" : "\u2264" + format(b.le);
      chart.append(svg("rect", { x: x + 2, y: height - barHeight, width: barWidth - 4, height: barHeight, class: "bar" }, svg("title", {}, label + ": " + b.count)));
      if (b.count > 0) chart.append(svg("text", { x: x + barWidth / 2, y: height - barHeight - 3, class: "count" }, String(b.count)));
      chart.append(svg("text", { x: x + barWidth / 2, y: height + 13 }, label));
    });
    return el("figure", {}, el("figcaption", {}, title + " (" + h.count + " sessions)"), chart);
  }

  function card(id, label, value) {
    return el("div", { class: "card" }, el("div", { class: "value", id }, value), el("div", { class: "label" }, label));
  }

  async function overview() {
    main.replaceChildren(el("h1", {}, "Overview"), el("p", { class: "muted" }, "Scanning the namespace..."));
    const o = await api("overview");
    main.replaceChildren(
      el("h1", {}, "Overview of namespace ", el("code", {}, o.namespace)),
      el("div", { class: "cards" },
        card("stat-sessions", "sessions", String(o.sessions)),
        card("stat-principals", "principals", String(o.principals)),
        card("stat-memory", "memory" + (o.estimated ? " (estimated)" : ""), bytes(o.bytes)),
        card("stat-bytes-per-session", "bytes per session", bytes(o.bytesPerSession)),
        card("stat-events", "events in stream", String(o.events.length))),
      el("h2", {}, "Distributions"),
      el("div", { class: "charts" },
        histogram("Remaining TTL", o.histograms.ttl, duration),
        histogram("Idle time", o.histograms.idle, duration),
        histogram("Record size (bytes)", o.histograms.size, (n) => (n < 1024 ? String(n) : n / 1024 + "K"))),
      el("h2", {}, "Doctor"),
      el("table", { id: "doctor" },
        el("tr", {}, el("th", {}, "check"), el("th", {}, "status"), el("th", {}, "message")),
        o.doctor.map((c) => el("tr", {}, el("td", {}, c.name), el("td", { class: "status-" + c.status }, c.status), el("td", {}, c.message)))));
  }

  function sessionTable(rows, onRevoked) {
    if (rows.length === 0) return el("p", { id: "no-results", class: "muted" }, "No session found.");
    return el("table", { id: "results" },
      el("tr", {}, ["handle", "principal", "created", "last access", "device", ""].map((h) => el("th", {}, h))),
      rows.map((s) => {
        const link = "#/session?handle=" + encodeURIComponent(s.handle) + (s.principal ? "&principal=" + encodeURIComponent(s.principal) : "");
        const revoke = el("button", { class: "danger revoke", "data-handle": s.handle, onclick: async () => {
          await api("revoke", { handle: s.handle, principal: s.principal || undefined });
          onRevoked();
        } }, "Revoke");
        return el("tr", { class: "session-row" },
          el("td", {}, el("a", { href: link }, el("code", {}, s.handle.slice(0, 16) + "\u2026"))),
          el("td", {}, s.principal || "-"), el("td", {}, when(s.createdAt)), el("td", {}, when(s.lastAccessAt)),
          el("td", { class: "device" }, (s.userAgent || "unknown device") + (s.ip ? " (" + s.ip + ")" : "")),
          el("td", {}, revoke));
      }));
  }

  async function search(params) {
    const by = params.get("by") || "principal";
    const query = params.get("q") || "";
    const input = el("input", { name: "q", id: "search-query", size: 48, placeholder: "principal, cookie value, or handle", value: query, required: true });
    const select = el("select", { name: "by", id: "search-by" },
      el("option", { value: "principal", selected: by === "principal" }, "principal"),
      el("option", { value: "session", selected: by === "session" }, "cookie value / handle"));
    const results = el("div", {});
    const form = el("form", { class: "search", onsubmit: (event) => {
      event.preventDefault();
      // A cookie value is a credential: it is not put in the address bar.
      if (select.value === "session") return run(select.value, input.value);
      location.hash = "#/search?by=principal&q=" + encodeURIComponent(input.value);
    } }, select, input, el("button", { type: "submit", id: "search-button" }, "Search"));
    main.replaceChildren(el("h1", {}, "Search sessions"), form, results);
    async function run(kind, text) {
      const found = await api("search", { by: kind, query: text.trim() });
      const again = () => run(kind, text);
      const all = kind === "principal" && found.sessions.length > 0
        ? el("button", { class: "danger", id: "revoke-all", onclick: async () => {
            await api("revoke", { principal: text.trim(), all: true });
            again();
          } }, "Revoke all sessions of " + text.trim())
        : null;
      results.replaceChildren(el("p", { id: "result-count" }, found.sessions.length + " session(s)"), sessionTable(found.sessions, again), all);
    }
    if (query) await run(by, query);
  }

  async function session(params) {
    const reveal = params.get("reveal") === "1";
    const query = new URLSearchParams({ handle: params.get("handle") || "" });
    if (params.get("principal")) query.set("principal", params.get("principal"));
    if (reveal) query.set("reveal", "1");
    const { session: s } = await api("session?" + query.toString());
    const toggle = new URLSearchParams(params);
    if (reveal) toggle.delete("reveal"); else toggle.set("reveal", "1");
    const rows = [["handle", s.handle], ["key", s.key], ["principal", s.meta.principal || "-"], ["created", when(s.meta.createdAt)],
      ["last access", when(s.meta.lastAccessAt)], ["absolute deadline", when(s.meta.absoluteDeadline)],
      ["TTL", duration(s.ttlMs)], ["user agent", s.meta.userAgent || "-"], ["IP", s.meta.ip || "-"]];
    main.replaceChildren(
      el("h1", {}, "Session ", el("code", {}, s.handle.slice(0, 16) + "\u2026")),
      el("table", { id: "session-meta" }, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))),
      el("h2", {}, reveal ? "Data" : "Data (values redacted: type and size)"),
      el("pre", { id: "session-data" }, JSON.stringify(s.data, null, 2)),
      el("p", {}, el("a", { href: "#/session?" + toggle.toString(), id: "reveal" }, reveal ? "Hide values" : "Show values"), " ",
        el("button", { class: "danger", id: "revoke-session", onclick: async () => {
          await api("revoke", { handle: s.handle, principal: s.meta.principal });
          main.replaceChildren(el("h1", {}, "Session revoked"), el("p", { id: "revoked" }, "The session ended; its browser is anonymous now."));
        } }, "Revoke this session")));
  }

  function events() {
    const list = el("ul", { id: "event-list" });
    const status = el("p", { id: "event-status", class: "muted" }, "Connecting...");
    main.replaceChildren(el("h1", {}, "Live events"), status, list);
    const source = new EventSource(base + "/api/events");
    source.onopen = () => { status.textContent = "Listening: new events appear here."; };
    source.onerror = () => { status.textContent = "Disconnected; retrying..."; };
    source.onmessage = (message) => {
      const e = JSON.parse(message.data);
      list.prepend(el("li", { class: "event" }, new Date(e.at).toLocaleTimeString() + " ", el("strong", {}, e.type),
        e.reason ? " (" + e.reason + ")" : "", " ", e.principal || "anonymous", " ", el("code", {}, e.handle.slice(0, 12))));
    };
    return () => source.close();
  }

  async function ttl() {
    const run = el("button", { id: "run-audit", onclick: async () => {
      out.replaceChildren(el("p", { class: "muted" }, "Scanning every key..."));
      const r = await api("ttl-audit");
      out.replaceChildren(
        el("p", { id: "audit-summary" }, r.scanned + " keys scanned, " + r.withoutTtl + " without a TTL (" + r.elapsedMs + " ms). Fix them with the CLI: sessionkit ttl-audit --fix-ttl."),
        el("table", { id: "audit-groups" }, el("tr", {}, el("th", {}, "key pattern"), el("th", {}, "keys"), el("th", {}, "memory")),
          r.groups.map((g) => el("tr", {}, el("td", {}, el("code", {}, g.pattern)), el("td", {}, String(g.keys)), el("td", {}, bytes(g.bytes))))));
    } }, "Run the TTL audit (dry run)");
    const out = el("div", {});
    main.replaceChildren(el("h1", {}, "Keys without a TTL"), el("p", { class: "muted" }, "Scans the whole Redis (every primary), grouped by key pattern."), run, out);
  }

  async function show() {
    stopView();
    stopView = () => {};
    const [path, query] = (location.hash.slice(1) || "/overview").split("?");
    const params = new URLSearchParams(query || "");
    for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.getAttribute("href") === "#" + path);
    try {
      if (path === "/search") await search(params);
      else if (path === "/session") await session(params);
      else if (path === "/events") stopView = events();
      else if (path === "/ttl") await ttl();
      else await overview();
    } catch (error) {
      main.replaceChildren(el("p", { class: "error", id: "error" }, String(error.message || error)));
    }
  }
  window.addEventListener("hashchange", show);
  show();
})();
`;
