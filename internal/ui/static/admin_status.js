// The capacity page: redraws the alerts and four small charts of the last
// hour from GET /api/v1/admin/status every 10 seconds. Charts are inline
// SVG drawn here (no library); each has its values as text beside it and
// a label saying what it shows, for screen readers.

import { api } from "./api.js";

const REFRESH_MS = 10_000;
const HOUR_MS = 3_600_000;
const SVG = "http://www.w3.org/2000/svg";
const W = 300;
const H = 80;

const LABELS = {
  high_cpu: "CPU",
  high_memory: "Memory",
  too_many_connections: "Connections",
  slow_response: "Response time (p99)",
  low_success_rate: "Success rate",
};

const pct = (f) => `${(f * 100).toFixed(1)}%`;
const ms = (f) => `${f.toFixed(1)} ms`;
const mib = (b) => `${Math.round(b / 1048576)} MiB`;
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: "numeric", minute: "2-digit", second: "2-digit" });

function formatAlert(a) {
  switch (a.name) {
    case "too_many_connections":
      return [String(Math.round(a.value)), String(Math.round(a.threshold))];
    case "slow_response":
      return [ms(a.value), ms(a.threshold)];
    default:
      return [pct(a.value), pct(a.threshold)];
  }
}

// charts say what each chart plots from a sample, and its threshold line.
const charts = {
  connections: {
    title: "Connections",
    value: (s) => s.connections,
    text: (v) => String(Math.round(v)),
    limit: (st) => st.thresholds.max_connections,
  },
  posts: {
    title: "Posts per second",
    value: (s) => s.posts_per_second,
    text: (v) => v.toFixed(1),
    limit: () => null,
  },
  p99: {
    title: "Response time (p99)",
    value: (s) => s.p99_ms,
    text: ms,
    limit: (st) => st.thresholds.max_response_time_ms,
  },
  memory: {
    title: "Memory",
    value: (s) => s.memory_bytes / 1048576,
    text: (v) => `${Math.round(v)} MiB`,
    limit: (st) => (st.latest && st.latest.memory_limit_bytes > 0 ? (st.latest.memory_limit_bytes * st.thresholds.max_memory) / 1048576 : null),
  },
};

function spanText(ms) {
  const min = Math.round(ms / 60_000);
  if (min >= 60) return "hour";
  if (min >= 2) return `${min} minutes`;
  return `${Math.max(1, Math.round(ms / 1000))} seconds`;
}

function el(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function drawChart(fig, spec, st) {
  const plot = fig.querySelector("[data-chart-plot]");
  const now = fig.querySelector("[data-chart-now]");
  const points = st.history.map((s) => [Date.parse(s.at), spec.value(s)]);
  const limit = spec.limit(st);
  const latest = st.latest ? spec.value(st.latest) : null;
  now.textContent =
    (latest === null ? "no sample yet" : `now ${spec.text(latest)}`) + (limit ? ` (threshold ${spec.text(limit)})` : "");
  plot.replaceChildren();
  if (points.length < 2) {
    const p = document.createElement("p");
    p.className = "status-chart__empty";
    p.textContent = "Not enough samples yet.";
    plot.append(p);
    return;
  }
  // The x axis spans the samples there are, up to an hour: a server that
  // started minutes ago gets a readable chart, not a sliver at the right.
  const end = points[points.length - 1][0];
  const start = Math.max(points[0][0], end - HOUR_MS);
  const span = Math.max(end - start, 1);
  const values = points.map((p) => p[1]);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // Scale to the data; show the threshold only when it is in view, so a
  // quiet server's line is not flattened against a far-off limit.
  const top = Math.max(hi * 1.2, 1e-9, limit && limit <= hi * 2 ? limit * 1.1 : 0);
  const x = (t) => (((t - start) / span) * W).toFixed(1);
  const y = (v) => (H - (v / top) * H).toFixed(1);
  const line = points.map(([t, v]) => `${x(t)},${y(v)}`).join(" ");
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img" });
  const label = `${spec.title} over the last ${spanText(span)}: lowest ${spec.text(lo)}, highest ${spec.text(hi)}, now ${spec.text(values[values.length - 1])}`;
  svg.setAttribute("aria-label", label);
  const title = el("title", {});
  title.textContent = label;
  svg.append(title);
  svg.append(el("polygon", { class: "status-chart__area", points: `${x(points[0][0])},${H} ${line} ${x(end)},${H}` }));
  svg.append(el("polyline", { class: "status-chart__line", points: line }));
  svg.append(el("line", { class: "status-chart__axis", x1: 0, x2: W, y1: H, y2: H }));
  if (limit && limit <= top) {
    svg.append(el("line", { class: "status-chart__limit", x1: 0, x2: W, y1: y(limit), y2: y(limit) }));
  }
  plot.append(svg);
}

function drawAlerts(list, st) {
  const items = st.alerts.map((a) => {
    const li = document.createElement("li");
    li.className = a.active ? "status-alert status-alert--active" : "status-alert";
    li.dataset.alert = a.name;
    const name = document.createElement("span");
    name.className = "status-alert__name";
    name.textContent = LABELS[a.name] || a.name;
    const state = document.createElement("span");
    state.className = "status-alert__state";
    if (a.active && a.since) {
      state.append("Alert since ");
      const t = document.createElement("time");
      t.dateTime = a.since;
      t.textContent = time(a.since);
      state.append(t);
    } else {
      state.textContent = "OK";
    }
    const [value, threshold] = formatAlert(a);
    const v = document.createElement("span");
    v.className = "status-alert__value";
    v.textContent = `${value} (threshold ${threshold})`;
    li.append(name, state, v);
    return li;
  });
  // Only touch the live region when something changed, so a screen reader
  // does not re-read the list every ten seconds.
  const before = [...list.children].map((li) => li.textContent).join("|");
  const after = items.map((li) => li.textContent).join("|");
  if (before !== after) list.replaceChildren(...items);
}

function draw(root, st) {
  drawAlerts(root.querySelector("[data-status-alerts]"), st);
  const sampled = root.querySelector("[data-status-sampled]");
  sampled.textContent = (st.instance ? `Instance ${st.instance}. ` : "") +
    (st.latest ? `Sampled at ${time(st.latest.at)}; refreshed every 10 seconds.` : "No sample yet.");
  for (const fig of root.querySelectorAll("[data-chart]")) {
    const spec = charts[fig.dataset.chart];
    if (spec) drawChart(fig, spec, st);
  }
}

function start() {
  const root = document.querySelector("[data-status]");
  if (!root) return;
  let timer = 0;
  const refresh = async () => {
    clearTimeout(timer);
    if (!document.hidden) {
      try {
        draw(root, await api("GET", "/api/v1/admin/status"));
        root.dataset.statusLoaded = "true";
      } catch (err) {
        root.querySelector("[data-status-sampled]").textContent = `Couldn't refresh: ${err.message}`;
        if (err.status === 401 || err.status === 403) return; // signed out or no longer an admin
      }
    }
    timer = setTimeout(refresh, REFRESH_MS);
  };
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
  refresh();
}

start();
