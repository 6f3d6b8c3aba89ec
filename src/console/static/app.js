// Brook console: a hash-routed single page over the JSON API (/api/...). No dependencies.
// Every value from the server is put in the page as text (textContent), never as HTML.
"use strict";

const POLL_MS = 5000;
/** Samples of /api/metrics kept for rates and the sparkline: ten minutes at POLL_MS. */
const HISTORY_MAX = 120;

const history = [];
let timer = null;

// ---- helpers ---------------------------------------------------------------------------------

function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path) {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = new Error(body.message || `${res.status} ${res.statusText}`);
    error.status = res.status;
    throw error;
  }
  return body;
}

const fmtInt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));

function fmtBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

function fmtDuration(ms) {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hrs = Math.floor(s / 3600);
  s -= hrs * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return d > 0 ? `${d}d ${hrs}h ${m}m` : hrs > 0 ? `${hrs}h ${m}m ${s}s` : `${m}m ${s}s`;
}

const fmtAgo = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s ago` : `${fmtDuration(ms)} ago`);

const fmtRate = (n) => (n === null ? "–" : n < 10 ? n.toFixed(2) : n.toFixed(1));

function table(columns, rows, rowClass) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null }, c.title)))),
    h(
      "tbody",
      {},
      rows.length === 0
        ? h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, "none"))
        : rows.map((r) => h("tr", { class: rowClass ? rowClass(r) : null }, columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell(r))))),
    ),
  );
}

const card = (label, value) => h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
const link = (href, text) => h("a", { href }, text);
/** A count that should be 0: shown as a tag of the given kind (warn, bad) when it is not. */
const count = (n, kind) => (n > 0 ? h("span", { class: `tag ${kind}` }, fmtInt(n)) : fmtInt(n));

function setStatus(text, isError) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = isError ? "status error" : "status";
}

// ---- metrics history and rates ---------------------------------------------------------------

async function pollMetrics() {
  const last = history[history.length - 1];
  // A view change polls too; samples closer than a second apart would make noisy rates.
  if (last !== undefined && Date.now() - last.receivedMs < 1000) return last;
  const m = await api("/api/metrics");
  m.receivedMs = Date.now();
  history.push(m);
  if (history.length > HISTORY_MAX) history.shift();
  return m;
}

/** Per-second rates between the last two samples, per API and in total. */
function rates() {
  if (history.length < 2) return null;
  const a = history[history.length - 2];
  const b = history[history.length - 1];
  const seconds = Math.max(0.001, (b.timestampMs - a.timestampMs) / 1000);
  const before = new Map(a.requests.map((r) => [r.api, r]));
  const apis = b.requests.map((r) => {
    const p = before.get(r.api) || { count: 0, errors: 0, totalMs: 0 };
    const count = r.count - p.count;
    return {
      api: r.api,
      total: r.count,
      perSecond: count / seconds,
      errorsPerSecond: (r.errors - p.errors) / seconds,
      avgMs: count > 0 ? (r.totalMs - p.totalMs) / count : null,
    };
  });
  const cpu = b.process.cpuUserSeconds + b.process.cpuSystemSeconds - a.process.cpuUserSeconds - a.process.cpuSystemSeconds;
  return {
    apis,
    requestsPerSecond: apis.reduce((s, r) => s + r.perSecond, 0),
    bytesInPerSecond: (b.network.bytesInTotal - a.network.bytesInTotal) / seconds,
    bytesOutPerSecond: (b.network.bytesOutTotal - a.network.bytesOutTotal) / seconds,
    cpuPercent: (100 * cpu) / seconds,
  };
}

function sparkline(values, width, height) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(" ");
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points);
  svg.append(line);
  return svg;
}

function requestRateSeries() {
  const out = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1];
    const b = history[i];
    const sum = (m) => m.requests.reduce((s, r) => s + r.count, 0);
    out.push((sum(b) - sum(a)) / Math.max(0.001, (b.timestampMs - a.timestampMs) / 1000));
  }
  return out;
}

// ---- views -----------------------------------------------------------------------------------

async function overview() {
  const [cluster, brokers] = await Promise.all([api("/api/cluster"), api("/api/brokers")]);
  const r = rates();
  const m = history[history.length - 1];
  return [
    h("h1", {}, "Cluster ", h("code", {}, cluster.clusterId)),
    h(
      "div",
      { class: "cards" },
      card("Node", cluster.nodeId),
      card("Version", cluster.version),
      card("Uptime", fmtDuration(cluster.uptimeMs)),
      card("Active controller", cluster.activeControllerId < 0 ? h("span", { class: "tag bad" }, "electing") : cluster.activeControllerId),
      card("Brokers live / fenced", [cluster.liveBrokerCount, " / ", count(cluster.fencedBrokerCount, "bad")]),
      card("Topics", cluster.topicCount),
      card("Partitions", cluster.partitionCount),
      card("Under-replicated", count(cluster.underReplicatedPartitions, "warn")),
      card("Under min ISR", count(cluster.underMinIsrPartitions, "bad")),
      card("Offline", count(cluster.offlinePartitions, "bad")),
      card("Connections", m ? m.network.connectionCount : "–"),
      card("Requests/s", r ? fmtRate(r.requestsPerSecond) : "…"),
      card("In / out", r ? `${fmtBytes(r.bytesInPerSecond)}/s / ${fmtBytes(r.bytesOutPerSecond)}/s` : "…"),
      card("Memory (RSS)", m ? fmtBytes(m.process.residentMemoryBytes) : "–"),
    ),
    h("h2", {}, "Brokers"),
    table(
      [
        { title: "Id", cell: (b) => [b.id, b.local ? " " : "", b.local ? h("span", { class: "tag" }, "this node") : ""] },
        { title: "Address", cell: (b) => b.endpoints.map((e) => `${e.host}:${e.port}`).join(", ") },
        {
          title: "Schema Registry",
          cell: (b) =>
            b.schemaRegistryUrl
              ? [link(b.schemaRegistryUrl, b.schemaRegistryUrl), b.schemaRegistryLeader ? " " : "", b.schemaRegistryLeader ? h("span", { class: "tag" }, "takes writes") : ""]
              : "–",
        },
        { title: "Rack", cell: (b) => b.rack ?? "–" },
        { title: "State", cell: (b) => (b.fenced ? h("span", { class: "tag bad" }, "fenced") : "live") },
        { title: "Controller", cell: (b) => (b.activeController ? h("span", { class: "tag" }, "active controller") : "") },
        { title: "Leaders", num: true, cell: (b) => fmtInt(b.leaderCount) },
        { title: "Replicas", num: true, cell: (b) => fmtInt(b.replicaCount) },
      ],
      brokers,
      (b) => (b.fenced ? "fenced" : null),
    ),
    h("h2", {}, "Listeners"),
    table(
      [
        { title: "Name", cell: (l) => l.name },
        { title: "Bound", cell: (l) => l.bound },
        { title: "Advertised", cell: (l) => l.advertised },
      ],
      listenerRows(cluster),
    ),
    h("h2", {}, "Log directories"),
    table(
      [
        { title: "Path", cell: (d) => h("code", {}, d.path) },
        { title: "State", cell: (d) => (d.offline ? h("span", { class: "tag bad" }, "offline") : "online") },
        { title: "Partitions", num: true, cell: (d) => fmtInt(d.partitions) },
        { title: "Size", num: true, cell: (d) => fmtBytes(d.sizeBytes) },
        { title: "Free", num: true, cell: (d) => fmtBytes(d.freeBytes) },
        { title: "Disk", num: true, cell: (d) => fmtBytes(d.totalBytes) },
      ],
      cluster.logDirs,
    ),
  ];
}

function listenerRows(cluster) {
  const kafka = cluster.listeners.map((l) => {
    const adv = cluster.advertisedListeners.find((a) => a.name === l.name);
    return { name: l.name, bound: `${l.host || "*"}:${l.port}`, advertised: adv ? `${adv.host}:${adv.port}` : "–" };
  });
  const web = cluster.console.map((url) => ({ name: "CONSOLE", bound: url, advertised: link(url, url) }));
  const registry = cluster.schemaRegistry
    ? [{ name: "SCHEMA_REGISTRY", bound: cluster.schemaRegistry, advertised: link(cluster.schemaRegistry, cluster.schemaRegistry) }]
    : [];
  return kafka.concat(web, registry);
}

async function topics() {
  const list = await api("/api/topics");
  const showInternal = location.hash.includes("internal");
  const shown = list.filter((t) => showInternal || !t.internal);
  return [
    h("h1", {}, "Topics"),
    h("p", { class: "muted" }, `${shown.length} shown of ${list.length} · `, showInternal ? link("#/topics", "hide internal topics") : link("#/topics?internal", "show internal topics")),
    table(
      [
        { title: "Name", cell: (t) => [link(`#/topics/${encodeURIComponent(t.name)}`, t.name), t.internal ? " " : "", t.internal ? h("span", { class: "tag" }, "internal") : ""] },
        { title: "Partitions", num: true, cell: (t) => t.partitionCount },
        { title: "Replication", num: true, cell: (t) => t.replicationFactor },
        { title: "Under-replicated", num: true, cell: (t) => count(t.underReplicatedPartitions, "warn") },
        { title: "Under min ISR", num: true, cell: (t) => count(t.underMinIsrPartitions, "bad") },
        { title: "Offline", num: true, cell: (t) => count(t.offlinePartitions, "bad") },
        { title: "Records", num: true, cell: (t) => fmtInt(t.records) },
        { title: "Size", num: true, cell: (t) => fmtBytes(t.sizeBytes) },
      ],
      shown,
    ),
  ];
}

/** The topic views' tabs: its partitions and configuration, and its records. */
function topicTabs(name, current) {
  const base = `#/topics/${encodeURIComponent(name)}`;
  return h(
    "nav",
    { class: "tabs" },
    h("a", { href: base, class: current === "overview" ? "active" : null }, "Overview"),
    h("a", { href: `${base}/messages`, class: current === "messages" ? "active" : null }, "Messages"),
  );
}

async function topicDetail(name) {
  const t = await api(`/api/topics/${encodeURIComponent(name)}`);
  return [
    h("h1", {}, link("#/topics", "Topics"), " / ", t.name),
    topicTabs(t.name, "overview"),
    h(
      "div",
      { class: "cards" },
      card("Topic id", t.id),
      card("Partitions", t.partitionCount),
      card("Replication", t.replicationFactor),
      card("Min ISR", t.minInsyncReplicas),
      card("Under-replicated", count(t.underReplicatedPartitions, "warn")),
      card("Under min ISR", count(t.underMinIsrPartitions, "bad")),
      card("Offline", count(t.offlinePartitions, "bad")),
      card("Records", fmtInt(t.records)),
      card("Size", fmtBytes(t.sizeBytes)),
    ),
    h("h2", {}, "Partitions"),
    table(
      [
        { title: "#", num: true, cell: (p) => p.partition },
        { title: "Leader", num: true, cell: (p) => (p.leader < 0 ? h("span", { class: "tag bad" }, "none") : p.leader) },
        { title: "Epoch", num: true, cell: (p) => p.leaderEpoch },
        { title: "Replicas", cell: (p) => p.replicas.join(", ") },
        { title: "ISR", cell: (p) => (p.isr.length > 0 ? p.isr.join(", ") : "–") },
        { title: "ELR", cell: (p) => (p.elr.length > 0 ? p.elr.join(", ") : "–") },
        { title: "Offline replicas", cell: (p) => (p.offlineReplicas.length > 0 ? p.offlineReplicas.join(", ") : "–") },
        { title: "State", cell: partitionState },
        { title: "Log start", num: true, cell: (p) => fmtInt(p.logStartOffset) },
        { title: "High watermark", num: true, cell: (p) => fmtInt(p.highWatermark) },
        { title: "Log end", num: true, cell: (p) => fmtInt(p.logEndOffset) },
        { title: "Size", num: true, cell: (p) => fmtBytes(p.sizeBytes) },
        { title: "Segments", num: true, cell: (p) => fmtInt(p.segments) },
      ],
      t.partitions,
    ),
    followersSection(t.partitions),
    h("h2", {}, "Configuration"),
    table(
      [
        { title: "Name", cell: (c) => h("code", { title: c.documentation ?? "" }, c.name) },
        { title: "Value", cell: (c) => (c.sensitive ? "(hidden)" : (c.value ?? "null")) },
        { title: "Source", cell: (c) => h("span", { class: "tag" }, c.source) },
      ],
      t.configs,
      (c) => (c.source === "DYNAMIC_TOPIC_CONFIG" ? "override" : null),
    ),
  ];
}

/** A partition's health: offline, under min ISR, under-replicated, or in sync. */
function partitionState(p) {
  if (p.offline) return h("span", { class: "tag bad" }, "offline");
  const tags = [];
  if (p.underMinIsr) tags.push(h("span", { class: "tag bad" }, "under min ISR"));
  if (p.underReplicated) tags.push(h("span", { class: "tag warn" }, "under-replicated"));
  return tags.length > 0 ? tags : "in sync";
}

/** The followers of the partitions this node leads, as the leader sees their fetches. */
function followersSection(partitions) {
  const rows = partitions.flatMap((p) => (p.followers || []).map((f) => ({ partition: p.partition, ...f })));
  if (rows.length === 0) return null;
  return [
    h("h2", {}, "Followers of the partitions this node leads"),
    table(
      [
        { title: "#", num: true, cell: (f) => f.partition },
        { title: "Follower", num: true, cell: (f) => f.id },
        { title: "In ISR", cell: (f) => (f.inIsr ? "yes" : h("span", { class: "tag warn" }, "no")) },
        { title: "Log end", num: true, cell: (f) => fmtInt(f.logEndOffset) },
        { title: "Lag", num: true, cell: (f) => fmtInt(f.lag) },
        { title: "Caught up", num: true, cell: (f) => (f.caughtUpMsAgo === null ? "never" : fmtAgo(f.caughtUpMsAgo)) },
      ],
      rows,
    ),
  ];
}

// ---- message browser -------------------------------------------------------------------------

/** The browser's query lives in the hash (#/topics/t/messages?partition=0&offset=10): links and reloads keep it. */
const BROWSE_PARAMS = ["partition", "offset", "timestamp", "limit", "isolation", "maxValueBytes"];
const BROWSE_LIMIT_DEFAULT = 50;
/** Characters of a key or value shown in the table; a click on the row shows all of it. */
const PREVIEW_CHARS = 80;

function browseParams() {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  const out = new URLSearchParams();
  for (const name of BROWSE_PARAMS) if (query.get(name)) out.set(name, query.get(name));
  return out;
}

function messagesHash(name, params) {
  const query = params.toString();
  return `#/topics/${encodeURIComponent(name)}/messages${query ? `?${query}` : ""}`;
}

async function topicMessages(name) {
  const params = browseParams();
  const t = await api(`/api/topics/${encodeURIComponent(name)}`);
  let page = null;
  let failure = null;
  try {
    page = await api(`/api/topics/${encodeURIComponent(name)}/messages?${params}`);
  } catch (error) {
    failure = error.message || String(error);
  }
  return [
    h("h1", {}, link("#/topics", "Topics"), " / ", t.name),
    topicTabs(t.name, "messages"),
    browseForm(t, params),
    failure === null ? null : h("p", { class: "error-box" }, failure),
    page === null ? null : browseNotes(page),
    page === null ? null : recordsTable(page),
    page === null ? null : pager(t, page, params),
  ];
}

/** Partition, start (latest, earliest, an offset, a time), limit and isolation; Load puts them in the hash. */
function browseForm(t, params) {
  const partition = h("select", { name: "partition" }, h("option", { value: "" }, "All (merged by time)"), t.partitions.map((p) => h("option", { value: String(p.partition) }, `${p.partition}`)));
  partition.value = params.get("partition") || "";
  const start = h(
    "select",
    { name: "start" },
    h("option", { value: "latest" }, "Latest"),
    h("option", { value: "earliest" }, "Earliest"),
    h("option", { value: "offset" }, "Offset"),
    h("option", { value: "timestamp" }, "Time"),
  );
  const offsetParam = params.get("offset");
  start.value = params.get("timestamp") ? "timestamp" : offsetParam === "earliest" ? "earliest" : offsetParam && offsetParam !== "latest" ? "offset" : "latest";
  const offset = h("input", { name: "offset", type: "number", min: "0", placeholder: "offset", class: "offset" });
  offset.value = start.value === "offset" ? offsetParam : "";
  const time = h("input", { name: "timestamp", type: "datetime-local", step: "1" });
  time.value = params.get("timestamp") ? localDateTime(Number(params.get("timestamp"))) : "";
  const limit = h("input", { name: "limit", type: "number", min: "1", max: "500", class: "limit" });
  limit.value = params.get("limit") || String(BROWSE_LIMIT_DEFAULT);
  const isolation = h("select", { name: "isolation" }, h("option", { value: "read_uncommitted" }, "read_uncommitted"), h("option", { value: "read_committed" }, "read_committed"));
  isolation.value = params.get("isolation") || "read_uncommitted";
  const showInputs = () => {
    offset.hidden = start.value !== "offset";
    time.hidden = start.value !== "timestamp";
  };
  start.addEventListener("change", showInputs);
  showInputs();
  const form = h(
    "form",
    { class: "browse" },
    h("label", {}, "Partition ", partition),
    h("label", {}, "Start ", start, " ", offset, time),
    h("label", {}, "Limit ", limit),
    h("label", {}, "Isolation ", isolation),
    h("button", { type: "submit" }, "Load"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (partition.value !== "") next.set("partition", partition.value);
    if (start.value === "earliest") next.set("offset", "earliest");
    if (start.value === "offset") next.set("offset", offset.value || "0");
    if (start.value === "timestamp" && time.value) next.set("timestamp", String(new Date(time.value).getTime()));
    next.set("limit", limit.value || String(BROWSE_LIMIT_DEFAULT));
    if (isolation.value !== "read_uncommitted") next.set("isolation", isolation.value);
    go(messagesHash(t.name, next));
  });
  return form;
}

/** Moves to a hash, reloading the view when it is already there (Load twice reads again). */
function go(hash) {
  if (location.hash === hash) schedule();
  else location.hash = hash;
}

/** A time as datetime-local inputs take it: the local wall clock, to the second. */
function localDateTime(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

function browseNotes(page) {
  const lines = page.notes.slice();
  for (const u of page.unavailable) lines.push(u.message);
  const read = page.partitions.map((p) => `${p.partition}: ${fmtInt(p.startOffset)}–${fmtInt(p.nextOffset)}`).join(", ");
  return [
    h("p", { class: "muted" }, `${page.records.length} records (${page.isolation}), ${fmtBytes(page.bytesRead)} read`, read ? ` · offsets read ${read}` : ""),
    lines.length === 0 ? null : h("ul", { class: "notes" }, lines.map((line) => h("li", {}, line))),
  ];
}

function recordsTable(page) {
  const columns = ["Offset", "Partition", "Time", "Key", "Value", "Headers"];
  const rows = [];
  for (const r of page.records) {
    const row = h(
      "tr",
      { class: r.aborted ? "record aborted" : "record", title: "click to show the whole record" },
      h("td", { class: "num" }, fmtInt(r.offset)),
      h("td", { class: "num" }, r.partition),
      h("td", {}, fmtTime(r.timestamp), r.timestampType === "LogAppendTime" ? [" ", h("span", { class: "tag" }, "log append")] : ""),
      h("td", {}, preview(r.key)),
      h("td", {}, preview(r.value), r.aborted ? [" ", h("span", { class: "tag warn" }, "aborted")] : ""),
      h("td", { class: "num" }, r.headers.length),
    );
    let detail = null;
    row.addEventListener("click", () => {
      if (detail !== null) {
        detail.remove();
        detail = null;
        return;
      }
      detail = h("tr", { class: "record-detail" }, h("td", { colspan: columns.length }, recordDetail(r)));
      row.after(detail);
    });
    rows.push(row);
  }
  return h(
    "table",
    { class: "records" },
    h("thead", {}, h("tr", {}, columns.map((c, i) => h("th", { class: i < 2 ? "num" : null }, c)))),
    h("tbody", {}, rows.length === 0 ? h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, "no records")) : rows),
  );
}

const fmtTime = (ms) => (ms < 0 ? "–" : new Date(Number(ms)).toLocaleString());

/** One line of a key or value: its decoded JSON, its text, or how many bytes of binary. */
function preview(bytes) {
  if (bytes === null) return h("span", { class: "muted" }, "null");
  const schema = bytes.schema && !bytes.schema.error ? h("span", { class: "tag" }, bytes.schema.type) : null;
  if (bytes.decoded !== undefined) return [schema, " ", clipText(JSON.stringify(bytes.decoded))];
  if (bytes.encoding === "base64") return [h("span", { class: "tag" }, "binary"), " ", `${fmtBytes(bytes.size)}`];
  return clipText(bytes.data);
}

const clipText = (text) => (text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text);

/** The whole record: key and value (JSON pretty-printed), schema, headers, timestamp and flags. */
function recordDetail(r) {
  return h(
    "div",
    { class: "detail" },
    h("p", {}, `Partition ${r.partition}, offset ${r.offset} · ${r.timestamp < 0 ? "no timestamp" : new Date(Number(r.timestamp)).toISOString()} (${r.timestampType})`, r.transactional ? " · transactional" : "", r.aborted ? " · aborted" : ""),
    h("h3", {}, "Key"),
    fullBytes(r.key),
    h("h3", {}, "Value"),
    fullBytes(r.value),
    h("h3", {}, `Headers (${r.headers.length})`),
    r.headers.length === 0
      ? h("p", { class: "muted" }, "none")
      : table(
          [
            { title: "Key", cell: (x) => h("code", {}, x.key) },
            { title: "Value", cell: (x) => (x.value === null ? h("span", { class: "muted" }, "null") : [x.value.encoding === "base64" ? h("span", { class: "tag" }, "base64") : "", " ", h("code", {}, x.value.data)]) },
          ],
          r.headers,
        ),
  );
}

function fullBytes(bytes) {
  if (bytes === null) return h("p", { class: "muted" }, "null");
  const facts = [`${fmtInt(bytes.size)} bytes`, bytes.encoding === "base64" ? "not UTF-8: shown in base64" : "UTF-8"];
  if (bytes.truncated) facts.push(`cut to the first ${fmtInt(bytes.encoding === "base64" ? Math.floor((bytes.data.length * 3) / 4) : bytes.data.length)} (maxValueBytes)`);
  const s = bytes.schema;
  const schema = s === undefined ? null : h("p", { class: s.error ? "error-box" : "schema" }, s.error ? `Schema id ${s.id}: ${s.error}` : `Schema id ${s.id}, ${s.type}${s.subject ? `, subject ${s.subject} version ${s.version}` : ""}`);
  let shown = bytes.data;
  if (bytes.decoded !== undefined) shown = JSON.stringify(bytes.decoded, null, 2);
  else if (bytes.decodedSize !== undefined) facts.push(`decoded value (${fmtBytes(bytes.decodedSize)} of JSON) longer than maxValueBytes`);
  else if (bytes.encoding === "utf8" && !bytes.truncated) shown = prettyJson(bytes.data);
  return [schema, h("p", { class: "muted" }, facts.join(" · ")), h("pre", {}, shown)];
}

/** Text that is JSON, indented; other text as it is. */
function prettyJson(text) {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return text;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return text;
  }
}

/** Older and newer pages of one partition, by offset. */
function pager(t, page, params) {
  if (page.partition === null) return null;
  const p = page.partitions[0];
  if (p === undefined) return null;
  const limit = Number(params.get("limit") || BROWSE_LIMIT_DEFAULT);
  // Offsets past 2^53 come as strings; pages there are off by a little, which paging survives.
  const end = Number(page.isolation === "read_committed" ? p.lastStableOffset : p.highWatermark);
  const [logStart, startOffset, nextOffset] = [p.logStartOffset, p.startOffset, p.nextOffset].map(Number);
  const at = (offset) => {
    const next = new URLSearchParams(params);
    next.delete("timestamp");
    next.set("offset", String(offset));
    return messagesHash(t.name, next);
  };
  return h(
    "p",
    { class: "pager" },
    startOffset > logStart ? link(at(Math.max(logStart, startOffset - limit)), "← Older") : h("span", { class: "muted" }, "← Older"),
    " · ",
    nextOffset < end ? link(at(nextOffset), "Newer →") : h("span", { class: "muted" }, "Newer →"),
  );
}

async function groups() {
  const [list, cluster] = await Promise.all([api("/api/groups"), api("/api/cluster")]);
  return [
    h("h1", {}, "Consumer groups"),
    cluster.groupCoordinator ? null : h("p", { class: "muted" }, "This broker does not expose its group coordinator to the console."),
    table(
      [
        { title: "Group", cell: (g) => link(`#/groups/${encodeURIComponent(g.groupId)}`, g.groupId) },
        { title: "State", cell: (g) => h("span", { class: "tag" }, g.state) },
        { title: "Protocol", cell: (g) => g.protocol || "–" },
        { title: "Members", num: true, cell: (g) => g.memberCount },
        { title: "Partitions", num: true, cell: (g) => g.partitionCount },
        { title: "Lag", num: true, cell: (g) => fmtInt(g.totalLag) },
      ],
      list,
    ),
  ];
}

async function groupDetail(id) {
  const g = await api(`/api/groups/${encodeURIComponent(id)}`);
  return [
    h("h1", {}, link("#/groups", "Consumer groups"), " / ", g.groupId),
    h("div", { class: "cards" }, card("State", g.state), card("Protocol", g.protocol || "–"), card("Members", g.members.length), card("Total lag", fmtInt(g.totalLag))),
    h("h2", {}, "Members"),
    table(
      [
        { title: "Member", cell: (m) => h("code", {}, m.memberId) },
        { title: "Instance", cell: (m) => m.groupInstanceId ?? "–" },
        { title: "Client", cell: (m) => `${m.clientId} (${m.clientHost})` },
        { title: "Assignment", cell: (m) => (m.assignment === null ? "unknown" : m.assignment.map((a) => `${a.topic}[${a.partitions.join(",")}]`).join(" ")) },
      ],
      g.members,
    ),
    h("h2", {}, "Partitions"),
    table(
      [
        { title: "Topic", cell: (p) => link(`#/topics/${encodeURIComponent(p.topic)}`, p.topic) },
        { title: "#", num: true, cell: (p) => p.partition },
        { title: "Committed", num: true, cell: (p) => (p.committedOffset < 0 ? "–" : fmtInt(p.committedOffset)) },
        { title: "High watermark", num: true, cell: (p) => fmtInt(p.highWatermark) },
        { title: "Lag", num: true, cell: (p) => fmtInt(p.lag) },
        { title: "Consumer", cell: (p) => p.clientId ?? "–" },
      ],
      g.partitions,
    ),
  ];
}

async function transactions() {
  const list = await api("/api/transactions");
  return [
    h("h1", {}, "Transactions"),
    h("p", { class: "muted" }, "Transactional ids this broker coordinates (kafka-transactions.sh list / describe), open ones first."),
    table(
      [
        { title: "Transactional id", cell: (t) => h("code", {}, t.transactionalId) },
        { title: "State", cell: (t) => h("span", { class: "tag" }, t.state) },
        { title: "Producer", cell: (t) => `${t.producerId} / epoch ${t.producerEpoch}` },
        { title: "Running for", num: true, cell: (t) => (t.durationMs === null ? "–" : fmtDuration(t.durationMs)) },
        { title: "Timeout", num: true, cell: (t) => fmtDuration(t.timeoutMs) },
        { title: "Partitions", cell: (t) => (t.partitions.length === 0 ? "–" : t.partitions.map((p) => `${p.topic}[${p.partitions.join(",")}]`).join(" ")) },
        { title: "Version", num: true, cell: (t) => (t.transactionVersion >= 2 ? "TV2" : "classic") },
      ],
      list,
    ),
  ];
}

async function requests() {
  const r = rates();
  const m = history[history.length - 1];
  if (r === null || m === undefined) return [h("h1", {}, "Requests"), h("p", { class: "muted" }, `Measuring: rates appear after two samples (${POLL_MS / 1000} s apart).`)];
  return [
    h("h1", {}, "Requests"),
    h(
      "div",
      { class: "cards" },
      card("Requests/s", fmtRate(r.requestsPerSecond)),
      card("Bytes in/s", fmtBytes(r.bytesInPerSecond)),
      card("Bytes out/s", fmtBytes(r.bytesOutPerSecond)),
      card("Connections", m.network.connectionCount),
      card("CPU", `${r.cpuPercent.toFixed(1)} %`),
      card("Heap used", fmtBytes(m.process.heapUsedBytes)),
    ),
    h("h2", {}, `Requests per second, last ${Math.round(((history.length - 1) * POLL_MS) / 60000) || 1} min`),
    sparkline(requestRateSeries(), 600, 80),
    h("h2", {}, "By API"),
    table(
      [
        { title: "API", cell: (a) => a.api },
        { title: "Per second", num: true, cell: (a) => fmtRate(a.perSecond) },
        { title: "Errors/s", num: true, cell: (a) => (a.errorsPerSecond > 0 ? h("span", { class: "tag bad" }, fmtRate(a.errorsPerSecond)) : "0") },
        { title: "Avg latency (ms)", num: true, cell: (a) => (a.avgMs === null ? "–" : a.avgMs.toFixed(2)) },
        { title: "Total", num: true, cell: (a) => fmtInt(a.total) },
      ],
      r.apis,
    ),
  ];
}

// ---- router ----------------------------------------------------------------------------------

function route() {
  const path = location.hash.replace(/^#/, "").split("?")[0] || "/";
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  // The message browser is not polled: a page of records stays put while it is read and expanded.
  if (parts[0] === "topics" && parts.length === 3 && parts[2] === "messages")
    return { nav: "topics", poll: false, render: () => topicMessages(parts[1]) };
  if (parts[0] === "topics" && parts.length === 2) return { nav: "topics", render: () => topicDetail(parts[1]) };
  if (parts[0] === "topics") return { nav: "topics", render: topics };
  if (parts[0] === "groups" && parts.length === 2) return { nav: "groups", render: () => groupDetail(parts[1]) };
  if (parts[0] === "groups") return { nav: "groups", render: groups };
  if (parts[0] === "transactions") return { nav: "transactions", render: transactions };
  if (parts[0] === "metrics") return { nav: "metrics", render: requests };
  return { nav: "overview", render: overview };
}

async function refresh() {
  const current = route();
  for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("active", a.dataset.view === current.nav);
  const main = document.getElementById("main");
  try {
    await pollMetrics().catch(() => {});
    const content = await current.render();
    main.replaceChildren(...content.flat().filter((c) => c !== null && c !== undefined));
    setStatus(`updated ${new Date().toLocaleTimeString()}`, false);
  } catch (error) {
    main.replaceChildren(h("p", { class: "error-box" }, error.message || String(error)));
    setStatus("error", true);
  }
}

function schedule() {
  clearTimeout(timer);
  refresh().finally(() => {
    // Asked when the refresh ends: the user may have moved to a view that is not polled meanwhile.
    if (route().poll !== false) {
      clearTimeout(timer);
      timer = setTimeout(schedule, POLL_MS);
    }
  });
}

window.addEventListener("hashchange", schedule);
schedule();
