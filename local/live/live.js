// The live page: draws each snapshot from /events in place (elements are kept and updated, so
// keyboard focus stays where it is) and sends the controls' commands. The command controls come
// from the prompt's command table (GET /api/commands), so none is written here. Plain JS, no build step.
"use strict";
/* global document, fetch, EventSource -- it runs in the browser */

const $ = (id) => document.getElementById(id);
const tiles = new Map();
let lastEventId = 0;

const pad = (n) => String(n).padStart(2, "0");
const clock = (ms) => {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};
const perSecond = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const millis = (ms) => (ms === null ? "–" : `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

async function getJson(path) {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

async function post(path, body, method = "POST") {
  const res = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error || `HTTP ${res.status}`);
  return answer;
}

// Commands under way: a second press does nothing. (Disabling the button instead would drop its keyboard focus.)
const pending = new Set();

async function command(line) {
  if (pending.has(line)) return;
  pending.add(line);
  setText($("command-status"), `${line}…`);
  try {
    const { message } = await post("/api/command", { command: line });
    setText($("command-status"), message);
  } catch (err) {
    setText($("command-status"), `${line}: ${err.message}`);
  } finally {
    pending.delete(line);
  }
}

// A tile's buttons: the table's commands placed on tiles, each offered in the task states it lists.
let tileControls = [];

function drawControls(controls) {
  tileControls = controls.filter((c) => c.place === "tile");
  const buttons = controls
    .filter((c) => c.place === "controls")
    .map((c) => {
      const b = element("button", undefined, c.label);
      b.type = "button";
      b.dataset.command = c.command;
      if (c.title) b.title = c.title;
      b.addEventListener("click", () => command(c.command));
      return b;
    });
  $("command-buttons").replaceChildren(...buttons);
}

function createTile(task) {
  const li = element("li", "tile");
  li.dataset.task = task.id;
  li.tabIndex = -1;
  const title = element("h3");
  title.append(element("span", "id", task.id), element("span", "addr", task.address));
  const parts = {
    state: element("p", "state"),
    flags: element("p", "flags"),
    rate: element("p", "rate"),
    bar: element("div", "share-bar"),
    ejected: element("p", "ejected"),
    buttons: {},
  };
  parts.bar.setAttribute("aria-hidden", "true");
  parts.bar.append(element("span"));
  const actions = element("div", "actions");
  for (const c of tileControls) {
    const b = element("button", undefined, c.label);
    b.type = "button";
    b.dataset.verb = c.command;
    b.title = c.title;
    b.setAttribute("aria-label", `${c.label} ${task.id}`);
    b.addEventListener("click", () => command(`${c.command} ${task.id}`));
    parts.buttons[c.command] = { button: b, states: c.states };
    actions.append(b);
  }
  li.append(title, parts.state, parts.flags, parts.rate, parts.bar, parts.ejected, actions);
  tiles.set(task.id, { li, parts });
  return tiles.get(task.id);
}

function drawTask(task, now) {
  const { li, parts } = tiles.get(task.id) || createTile(task);
  li.dataset.state = task.state;
  setText(parts.state, task.exit && task.state !== "draining" ? `${task.state} (${task.exit})` : task.state);
  setText(
    parts.flags,
    `${task.registered ? "in DNS" : "not in DNS"} · ${task.inRecordSet ? "used by hello" : "not used"}`,
  );
  setText(parts.rate, `${perSecond(task.requestsPerSecond)} req/s · ${Math.round(task.share * 100)} %`);
  parts.bar.firstChild.style.width = `${(task.share * 100).toFixed(1)}%`;
  parts.ejected.hidden = !task.ejected;
  setText(parts.ejected, task.ejected ? `ejected by hello for ${seconds(now - task.ejectedSince)}` : "");
  // Only what can be done to it now is offered (a killed task has no buttons left).
  for (const { button: b, states } of Object.values(parts.buttons)) {
    const hide = !states.includes(task.state);
    // Keyboard focus on a control that goes away stays in its tile rather than jumping to the top.
    if (hide && b === document.activeElement) li.focus();
    b.hidden = hide;
  }
  return li;
}

function drawTasks(snapshot) {
  const list = $("tiles");
  snapshot.tasks.forEach((task, i) => {
    const li = drawTask(task, snapshot.at);
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
  });
  const up = snapshot.tasks.filter((t) => t.state === "running").length;
  setText($("task-count"), `(${up} running of ${snapshot.tasks.length})`);
}

function drawHello(snapshot) {
  const h = snapshot.hello;
  setText($("hello-rps"), h.up ? perSecond(h.requestsPerSecond) : "down");
  setText($("hello-p50"), millis(h.p50Ms));
  setText($("hello-p99"), millis(h.p99Ms));
  // Every failure is answered 503; notOk also counts 502s (name answered, but not 200).
  setText($("hello-failed"), String(Math.max(h.failures, h.notOk)));
  setText($("hello-retries"), String(h.retries));
  setText($("hello-ejections"), String(h.ejections));
  setText($("hello-dns"), String(h.dnsQueries));
  setText($("dns-rate"), perSecond(snapshot.dns.queriesPerSecond));
  if (h.ttlSeconds === null) {
    setText($("ttl"), h.dnsError ? `DNS: ${h.dnsError}` : "no answer from DNS yet");
    $("ttl-fill").style.width = "0";
  } else {
    setText($("ttl"), `TTL ${h.ttlSeconds} s · hello asks DNS again in ${seconds(h.ttlRemainingMs)}`);
    $("ttl-fill").style.width =
      `${Math.min(100, (h.ttlRemainingMs / (h.ttlSeconds * 1000)) * 100).toFixed(1)}%`;
  }
  const records = $("records");
  const text = h.recordSet.map((r) => `${r.task}${r.ejected ? " (ejected)" : ""}`).join("|");
  if (records.dataset.text !== text) {
    records.dataset.text = text;
    records.replaceChildren(
      ...h.recordSet.map((r) => {
        const li = element("li", undefined, r.ejected ? `${r.task} (ejected)` : r.task);
        li.title = r.address;
        li.dataset.ejected = String(r.ejected);
        return li;
      }),
    );
  }
}

function drawLoad(load, now) {
  $("load-stop").disabled = !load.running;
  setText($("load-start"), load.running ? "Restart load" : "Start load");
  let text = "Load is off.";
  if (load.running) {
    text = `Load: ${load.rate} requests/s, ${seconds(Math.max(0, load.endsAt - now))} left — sent ${load.sent}, 200 OK ${load.ok}, failed ${load.failed}`;
  } else if (load.startedAt !== null) {
    text = `Load is off. Last run: sent ${load.sent}, 200 OK ${load.ok}, failed ${load.failed}`;
  }
  if (load.skipped > 0) text += `, skipped ${load.skipped} (too many unanswered)`;
  if (load.failed > 0 && load.lastFailure) text += ` — last failure: ${load.lastFailure}`;
  setText($("load-status"), text);
}

function drawEvents(events) {
  const log = $("event-log");
  for (const e of events) {
    if (e.id <= lastEventId) continue;
    lastEventId = e.id;
    const li = element("li");
    li.dataset.kind = e.kind;
    const time = element("time", undefined, clock(e.at));
    time.dateTime = new Date(e.at).toISOString();
    li.append(time, document.createTextNode(e.text));
    log.prepend(li);
  }
  while (log.children.length > 200) log.lastChild.remove();
}

function draw(snapshot) {
  setText(
    $("about"),
    `hello ${snapshot.about.helloUrl} · DNS ${snapshot.about.dnsAddress} · ${snapshot.about.service}.${snapshot.about.namespace} TTL ${snapshot.about.ttlSeconds} s, deregistration delay ${seconds(snapshot.about.deregisterDelayMs)}`,
  );
  drawTasks(snapshot);
  drawHello(snapshot);
  drawLoad(snapshot.load, snapshot.at);
  drawEvents(snapshot.events);
  document.body.dataset.seq = String(snapshot.seq);
  setText($("connection"), `live · ${clock(snapshot.at)}`);
  $("connection").dataset.ok = "true";
}

function connect() {
  const source = new EventSource("/events");
  source.onmessage = (message) => draw(JSON.parse(message.data));
  source.onerror = () => {
    setText($("connection"), "disconnected — retrying…");
    $("connection").dataset.ok = "false";
  };
}

$("load-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { rate: Number($("load-rate").value), durationSeconds: Number($("load-duration").value) };
  try {
    await post("/api/load", body);
    setText($("command-status"), `load started: ${body.rate} requests/s for ${body.durationSeconds} s`);
  } catch (err) {
    setText($("command-status"), `load: ${err.message}`);
  }
});
$("load-stop").addEventListener("click", async () => {
  try {
    const status = await post("/api/load", undefined, "DELETE");
    setText($("command-status"), `load stopped after ${status.sent} requests`);
  } catch (err) {
    setText($("command-status"), `load: ${err.message}`);
  }
});
// The controls first, so the first tiles drawn have their buttons.
getJson("/api/commands")
  .then(drawControls)
  .catch((err) => setText($("command-status"), `controls: ${err.message}`))
  .finally(connect);
