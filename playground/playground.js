// The playground page: an editor, and the views chainrule draws for its code. All of the
// Python (chainrule, its drawings through viz.js) runs in worker.js; this file only shows.
"use strict";

const EXAMPLES = [
  {name: "micrograd lecture: the first expression", code:
`a = Value(2.0)
b = Value(-3.0)
c = Value(10.0)
e = a * b
d = e + c
f = Value(-2.0)
L = d * f`},
  {name: "micrograd lecture: a neuron", code:
`x1 = Value(2.0)
x2 = Value(0.0)
w1 = Value(-3.0)
w2 = Value(1.0)
b = Value(6.8813735870195432)
x1w1 = x1 * w1
x2w2 = x2 * w2
x1w1x2w2 = x1w1 + x2w2
n = x1w1x2w2 + b
o = n.tanh()`},
  {name: "Chain rule, case 1: y = g(x), z = h(y)", code:
`# dz/dx = dz/dy * dy/dx: one path, one product
x = Value(0.5)
y = x ** 2
z = y.sin()`},
  {name: "Chain rule, case 2: x = g(s), y = h(s), z = k(x, y)", code:
`# dz/ds = dz/dx * dx/ds + dz/dy * dy/ds: two paths, summed
s = Value(1.5)
x = s ** 2
y = s.exp()
z = x * y`},
  {name: "Influence diagram: a sum over every path", code:
`# w reaches L by three paths; dL/dw is the sum of their products (see Paths)
w = Value(0.5)
a = w * 3
b = w.tanh()
c = a * b
L = c + w`},
  {name: "A neuron: z = w1 x1 + w2 x2 + b, a = sigmoid(z)", code:
`# dC/dw1 = dz/dw1 * dC/dz: the input on the weight, times the gradient at z
x1 = Value(1.0)
x2 = Value(-2.0)
w1 = Value(0.5)
w2 = Value(-0.3)
b = Value(0.1)
z = w1 * x1 + w2 * x2 + b
a = z.sigmoid()
C = (a - 1.0) ** 2`},
  {name: "Mazur's 2-2-2 network (step by step backpropagation)", code:
`i1, i2 = Value(0.05), Value(0.10)
w1, w2, w3, w4 = Value(0.15), Value(0.20), Value(0.25), Value(0.30)
w5, w6, w7, w8 = Value(0.40), Value(0.45), Value(0.50), Value(0.55)
b1, b2 = Value(0.35), Value(0.60)
h1 = (w1 * i1 + w2 * i2 + b1).sigmoid()
h2 = (w3 * i1 + w4 * i2 + b1).sigmoid()
o1 = (w5 * h1 + w6 * h2 + b2).sigmoid()
o2 = (w7 * h1 + w8 * h2 + b2).sigmoid()
# Mazur's numbers: E = 0.298371109, dE/dw5 = 0.082167041, dE/dw1 = 0.000438568
E = 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2`},
];

const $ = (id) => document.getElementById(id);
const code = $("code"), gutter = $("gutter"), status = $("status");
const waiting = new Map();
let worker = null, runs = 0, nextId = 0, ready = false, started = performance.now(), ran = false, restarts = 0;

// -- the worker ------------------------------------------------------------------------------
// A learner's code can loop for ever, and Python in a worker cannot be interrupted: after a
// second, Stop appears beside Run; it ends the worker, answers what was waiting with an error
// that says so, and starts Python afresh (a few seconds).
const STOP_AFTER_MS = 1000;
let stopTimer = null;
function startWorker() {
  worker = new Worker("worker.js", {type: "module"});
  worker.onmessage = onWorkerMessage;
}
function call(name, ...args) {
  return new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, {resolve, since: performance.now()});
    worker.postMessage({id, call: name, args});
    clearTimeout(stopTimer);
    stopTimer = setTimeout(() => { if (waiting.size) { $("stop").hidden = false; } }, STOP_AFTER_MS);
  }).then((text) => (typeof text === "string" ? JSON.parse(text) : {ok: false, error: "no answer from Python"}));
}
function answered(id, text) {
  waiting.get(id).resolve(text);
  waiting.delete(id);
  if (!waiting.size) { clearTimeout(stopTimer); $("stop").hidden = true; }
}
function stopPython(why) {
  worker.terminate();
  ready = false;
  $("stop").hidden = true;
  $("run").disabled = true;
  $("train").disabled = true;
  $("pause").disabled = true;
  if (document.body.dataset.training === "on" || document.body.dataset.training === "paused") {
    document.body.dataset.training = "stopped";
    $("train-status").textContent = "Stopped: the model is gone with the Python that trained it.";
  }
  for (const [id, {since}] of [...waiting]) {
    const seconds = ((performance.now() - since) / 1000).toFixed(1);
    answered(id, JSON.stringify({ok: false, error: (why || `Stopped after ${seconds} s, still running.`) +
      " Python is starting again (the names your code made are gone); then press Run."}));
  }
  restarts += 1;
  started = performance.now();
  status.textContent = "Restarting Python…";
  document.body.dataset.ready = "restarting";
  startWorker();
}

function onWorkerMessage(event) {
  const msg = event.data;
  if (msg.ready) {
    ready = true;
    const seconds = (performance.now() - started) / 1000;
    window.playgroundReady = {seconds, ...msg.ready};
    status.textContent = `Python ${msg.ready.python} and Graphviz ${msg.ready.graphviz} ` +
      `${restarts ? "restarted" : "ready"} in ${seconds.toFixed(1)} s`;
    document.body.dataset.ready = "true";
    $("run").disabled = false;
    $("train").disabled = false;
    if (!fromLink && !restarts) { run(); }
  } else if (msg.crashed !== undefined) {
    stopPython(`Python in the page failed (${msg.crashed}): a graph this large or deep is more than the ` +
      "browser's stack holds.");
  } else if (msg.failed) {
    status.textContent = "Python did not start: " + msg.failed;
    document.body.dataset.ready = "failed";
  } else if (msg.training) {
    if (msg.generation === generation) { showTraining(JSON.parse(msg.training)); }
  } else if (waiting.has(msg.id)) {
    answered(msg.id, msg.result);
  }
}
startWorker();

// -- the editor ------------------------------------------------------------------------------
function renumber() {
  const lines = code.value.split("\n").length;
  gutter.textContent = Array.from({length: lines}, (_, i) => i + 1).join("\n");
  gutter.scrollTop = code.scrollTop;
}
code.addEventListener("input", () => { renumber(); clearError(); keepInAddress(); examples.value = ""; });
code.addEventListener("scroll", () => { gutter.scrollTop = code.scrollTop; placeErrorLine(); });
code.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  else if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey) {  // four spaces, as Python is written
    e.preventDefault();
    code.setRangeText("    ", code.selectionStart, code.selectionEnd, "end");
    renumber();
  }
});

let errorLine = null;
function placeErrorLine() {
  const marker = $("error-line");
  if (errorLine === null) { marker.hidden = true; return; }
  const style = getComputedStyle(code);
  const height = parseFloat(style.lineHeight), top = parseFloat(style.paddingTop);
  marker.style.top = `${top + (errorLine - 1) * height - code.scrollTop}px`;
  marker.style.height = `${height}px`;
  marker.hidden = false;
}
function showError(message, line) {
  errorLine = line || null;
  const box = $("error");
  box.textContent = (line ? `line ${line}: ` : "") + message;
  box.hidden = false;
  box.dataset.line = line || "";
  placeErrorLine();
  $("error-line").textContent = message;
  const lines = gutter.textContent.split("\n");
  gutter.innerHTML = lines.map((n) => (Number(n) === line ? `<b class="bad">${n}</b>` : n)).join("\n");
}
function clearError() {
  errorLine = null;
  $("error").hidden = true;
  placeErrorLine();
  gutter.querySelectorAll(".bad").forEach((b) => b.classList.remove("bad"));
}

// -- the address keeps the code: #code=... -----------------------------------------------------
function keepInAddress() {
  history.replaceState(null, "", "#code=" + encodeURIComponent(code.value));
}
let brokenLink = false;  // an address whose #code= could not be read: say so, never run a stand-in
function codeInAddress() {
  const match = location.hash.match(/^#code=(.*)$/s);
  if (!match) { return null; }
  try { return decodeURIComponent(match[1]); } catch { brokenLink = true; return ""; }
}
$("share").addEventListener("click", async () => {
  keepInAddress();
  try { await navigator.clipboard.writeText(location.href); status.textContent = "Link copied."; }
  catch { status.textContent = "The link is in the address bar."; }
});

// -- the examples ------------------------------------------------------------------------------
const examples = $("examples");
examples.innerHTML = '<option value="">(your code)</option>' +
  EXAMPLES.map((e, i) => `<option value="${i}">${e.name}</option>`).join("");
examples.addEventListener("change", () => {
  if (examples.value === "") { return; }
  code.value = EXAMPLES[Number(examples.value)].code;
  renumber(); clearError(); keepInAddress();
  $("link-note").hidden = true;
  if (ready) { run(); }
});

// -- running: the graph, the variables ----------------------------------------------------------
let stale = {steps: true, paths: true};
async function run() {
  if (!ready) { return; }
  $("link-note").hidden = true;
  clearError();
  $("run").disabled = true;
  const t0 = performance.now();
  const result = await call("run", code.value);
  $("run").disabled = !ready;  // not ready: stopped, and Python is starting again
  ran = true;
  window.lastRun = {ms: performance.now() - t0, ok: result.ok};
  showOutput(result.output);
  if (!result.ok) {
    showError(result.error, result.line);
    status.textContent = `Stopped by an error${result.line ? ` on line ${result.line}` : ""}, after ${window.lastRun.ms.toFixed(0)} ms`;
    // What is still shown came from the last run that worked: say so, and grey it.
    for (const id of ["graph", "variables"]) { $(id).classList.add("stale"); }
    $("stale-note").hidden = !ran;
    runs += 1;
    document.body.dataset.ran = `error ${runs}`;  // changes on every run, for whoever waits on it
    return;
  }
  for (const id of ["graph", "variables"]) { $(id).classList.remove("stale"); }
  $("stale-note").hidden = true;
  $("graph").innerHTML = result.svg;
  const rows = result.variables.map((v) =>
    `<tr data-name="${escape(v.name)}"><td>${escape(v.name)}</td><td title="${escape(v.data_text)}">${escape(v.data_shown)}</td><td title="${escape(v.text)}">${escape(v.grad_shown)}</td></tr>`);
  $("variables").querySelector("tbody").innerHTML = rows.join("");
  $("variables").hidden = false;
  const chooser = $("path-variable"), chosen = chooser.value;
  chooser.innerHTML = result.variables.map((v) => `<option>${escape(v.name)}</option>`).join("");
  if (result.variables.some((v) => v.name === chosen)) { chooser.value = chosen; }
  stale = {steps: true, paths: true};
  status.textContent = `Ran in ${window.lastRun.ms.toFixed(0)} ms: ${result.nodes} nodes, output ${result.root}`;
  runs += 1;
  document.body.dataset.ran = String(runs);
  refreshTab();
}
$("run").addEventListener("click", run);
$("stop").addEventListener("click", () => stopPython());

function showOutput(text) {
  const box = $("output");
  box.textContent = text || "";
  box.hidden = !text;
}
function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
}

// -- tabs: steps and paths are made when they are shown --------------------------------------------
const tabs = ["graph", "steps", "paths", "train"];
let current = "graph";
tabs.forEach((name) => $(`tab-${name}`).addEventListener("click", () => {
  current = name;
  tabs.forEach((other) => {
    $(`tab-${other}`).setAttribute("aria-selected", String(other === name));
    $(`panel-${other}`).hidden = other !== name;
  });
  refreshTab();
}));
async function refreshTab() {
  if (!ran) { return; }
  if (current === "steps" && stale.steps) {
    stale.steps = false;
    const result = await call("player");
    const frame = $("player");
    frame.hidden = false;
    $("steps-hint").hidden = true;
    if (result.ok) { frame.srcdoc = result.html; frame.dataset.frames = result.captions.length; }
    else { frame.srcdoc = `<p style="font-family:sans-serif">${escape(result.error)}</p>`; }
  } else if (current === "paths" && stale.paths) {
    stale.paths = false;
    showPaths();
  }
}
$("path-variable").addEventListener("change", showPaths);
async function showPaths() {
  const name = $("path-variable").value;
  if (!name) { return; }
  const result = await call("explain", name);
  const box = $("paths");
  if (!result.ok) { box.textContent = result.error; return; }
  const items = result.paths.map((p, i) =>
    `<li><span class="route">${escape(p.route)}</span><span class="product">${escape(p.edges_shown.join(" × ") || "1")} = <b data-product="${p.product}">${escape(p.product_shown)}</b></span></li>`);
  box.innerHTML = `<ol>${items.join("")}</ol>` +
    `<p class="sum">Sum of the ${result.paths.length} products: <b id="path-sum" data-value="${result.sum}">${escape(result.sum_shown)}</b>` +
    ` — the gradient by backpropagation: <b id="path-grad" data-value="${result.grad}">${escape(result.grad_shown)}</b></p>` +
    `<details><summary>as explain_paths writes it</summary><pre>${escape(result.text)}</pre></details>`;
}

// -- training ------------------------------------------------------------------------------------
const COLOURS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea"];
const FILLS = [[37, 99, 235], [234, 88, 12], [22, 163, 74], [147, 51, 234]];
let losses = [], updates = [];
let generation = 0;  // each Train press starts one; views of an earlier one still on their way are dropped
function trainingOptions() {
  // An empty or unreadable field is an error here, never a silent 0 (a learning rate of 0 trains
  // for ever without learning).
  const words = $("hidden").value.split(/[\s,]+/).filter(Boolean);
  if (words.some((w) => !/^\d+$/.test(w))) {
    throw new Error(`Hidden: layer sizes are whole numbers separated by commas, like 8, 8; got "${$("hidden").value}"`);
  }
  const number = (id, name) => {
    const field = $(id), text = field.value.trim();
    if (text === "" || !field.validity.valid || !Number.isFinite(Number(text))) {
      throw new Error(`${name}: ${field.validationMessage || "type a number"}`);
    }
    return Number(text);
  };
  const lr = number("lr", "Learning rate");
  if (!(lr > 0)) { throw new Error(`Learning rate: a number above 0, got ${lr}`); }
  return {dataset: $("dataset").value, hidden: words.map(Number), activation: $("activation").value, lr,
          batch_size: number("batch", "Batch"), seed: number("seed", "Seed")};
}
$("train-form").addEventListener("submit", (e) => {
  e.preventDefault();
  let options;
  try { options = trainingOptions(); } catch (error) {
    $("train-status").textContent = error.message;
    $("train-status").dataset.error = "true";
    return;
  }
  delete $("train-status").dataset.error;
  losses = [];
  updates = [];
  generation += 1;
  worker.postMessage({train: "start", generation, options});
  $("pause").disabled = false;
  $("pause").textContent = "Pause";
  document.body.dataset.training = "on";
});
$("pause").addEventListener("click", () => {
  const on = document.body.dataset.training === "on";
  worker.postMessage({train: on ? "pause" : "resume"});
  $("pause").textContent = on ? "Resume" : "Pause";
  document.body.dataset.training = on ? "paused" : "on";
});
function showTraining(view) {
  if (!view.ok) {
    $("train-status").textContent = view.error;
    document.body.dataset.training = "stopped";
    $("pause").disabled = true;
    return;
  }
  updates.push(performance.now());
  losses.push(...view.new_losses);
  const last = losses.length ? losses[losses.length - 1] : NaN;
  $("train-status").textContent = `step ${view.steps}, epoch ${view.epoch}: loss ${isNaN(last) ? "–" : last.toFixed(4)}, ` +
    `accuracy ${(100 * view.accuracy).toFixed(1)}%`;
  $("train-status").dataset.steps = view.steps;
  drawBoundary(view);
  drawLoss();
  $("network").innerHTML = view.network;
}
function drawBoundary(view) {
  const canvas = $("boundary"), ctx = canvas.getContext("2d"), n = view.size;
  const w = canvas.width, h = canvas.height;
  const image = ctx.createImageData(n, n);
  view.grid.forEach(([k, p], i) => {
    const c = FILLS[k % FILLS.length], strength = 0.15 + 0.45 * Math.max(0, (p - 1 / view.k) / (1 - 1 / view.k));
    image.data.set([255 - strength * (255 - c[0]), 255 - strength * (255 - c[1]), 255 - strength * (255 - c[2]), 255], 4 * i);
  });
  const small = new OffscreenCanvas(n, n);
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, w, h);
  const [x0, x1, y0, y1] = view.box;
  view.points.forEach(([x, y, k]) => {
    ctx.beginPath();
    ctx.arc((x - x0) / (x1 - x0) * w, (y1 - y) / (y1 - y0) * h, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = COLOURS[k % COLOURS.length];
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "white";
    ctx.stroke();
  });
}
function drawLoss() {
  const canvas = $("loss"), ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 28;
  ctx.clearRect(0, 0, w, h);
  ctx.font = "11px 'Liberation Sans', Arial, Helvetica, sans-serif";
  ctx.fillStyle = "#374151";
  ctx.strokeStyle = "#9ca3af";
  ctx.strokeRect(pad, 6, w - pad - 6, h - pad - 6);
  // A long run has hundreds of thousands of losses: one point per pixel column (the mean of
  // its steps), and the largest found with a loop (spreading them into Math.max overflows).
  const columns = Math.max(1, Math.min(losses.length, w - pad - 6));
  const points = [];
  for (let c = 0; c < columns; c++) {
    const from = Math.floor(c * losses.length / columns), to = Math.max(from + 1, Math.floor((c + 1) * losses.length / columns));
    let sum = 0, n = 0;
    for (let i = from; i < to; i++) { if (Number.isFinite(losses[i])) { sum += losses[i]; n++; } }
    if (n) { points.push([c, sum / n]); }
  }
  if (!points.length) { return; }
  let top = 0;
  for (const [, l] of points) { if (l > top) { top = l; } }
  top = top * 1.05 || 1;
  ctx.fillText(top.toPrecision(2), 2, 14);
  ctx.fillText("0", 16, h - pad + 2);
  ctx.fillText(`${losses.length} steps`, w - 70, h - 8);
  ctx.beginPath();
  ctx.strokeStyle = "#dc2626";
  points.forEach(([c, l], i) => {
    const x = pad + (columns > 1 ? c / (columns - 1) : 0) * (w - pad - 6);
    const y = 6 + (1 - Math.min(l, top) / top) * (h - pad - 12);
    if (i === 0) { ctx.moveTo(x, y); } else { ctx.lineTo(x, y); }
  });
  ctx.stroke();
}
window.trainingUpdates = () => updates.slice();
window.trainingLosses = () => losses.length;
// Every address the page, its worker and the player asked for (the tests check they are all local).
async function resources() {
  const fromWorker = await new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, {resolve, since: performance.now()});
    worker.postMessage({id, resources: true});
  }).then((text) => JSON.parse(text));
  const player = $("player").contentWindow;
  const fromPlayer = player ? player.performance.getEntriesByType("resource").map((e) => e.name) : [];
  return [...performance.getEntriesByType("resource").map((e) => e.name), ...fromWorker, ...fromPlayer];
}
window.playground = {call, run, resources};  // for the tests and the benchmark

// -- start: the code from the link (shown, not run), else the first example (run) ------------------------
const linked = codeInAddress();
const fromLink = linked !== null;
code.value = fromLink ? linked : EXAMPLES[0].code;
examples.value = fromLink ? "" : "0";
$("link-note").hidden = !fromLink;
if (brokenLink) {
  $("link-note").textContent = "This link's code could not be read (its #code= part is damaged): ask for the link again.";
}
renumber();
