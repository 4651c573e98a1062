// The Python side of the playground, in a worker so that the page stays live while it runs:
// Pyodide (CPython in WebAssembly) with chainrule imported from chainrule.zip, and viz.js
// (Graphviz in WebAssembly), which every drawing goes through.
//
// Messages in:  {id, call, args}  -> app.<call>(...args), answered {id, result} (JSON text)
//               {id, resources: true} -> the addresses this worker fetched (JSON text)
//               {train: "start", options} / {train: "pause"} / {train: "resume"}
// Messages out: {ready: {...timings}}, {failed: message}, {id, result}, {training: JSON text}
import {loadPyodide} from "./pyodide.mjs";
import {instance as vizInstance} from "./viz.js";

let app = null;
let training = {on: false, timer: null, generation: 0};
const TRAIN_MS = 50;  // training between two views: with drawing the view, more than 5 views a second

async function start() {
  const t0 = performance.now();
  const [pyodide, viz, zip] = await Promise.all([
    loadPyodide({indexURL: new URL(".", import.meta.url).href, packages: []}),
    vizInstance(),
    fetch("chainrule.zip").then((r) => {
      if (!r.ok) { throw new Error("chainrule.zip: " + r.status); }
      return r.arrayBuffer();
    }),
  ]);
  const t1 = performance.now();
  pyodide.unpackArchive(zip, "zip", {extractDir: "/home/pyodide/chainrule"});
  pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide/chainrule')");
  app = pyodide.pyimport("app");
  app.use_graphviz((source, engine, format) => viz.renderString(source, {engine, format}));
  const t2 = performance.now();
  postMessage({ready: {load_ms: t1 - t0, import_ms: t2 - t1, python: pyodide.runPython("sys.version.split()[0]"),
                       graphviz: viz.graphvizVersion}});
}

function trainChunk() {
  if (!training.on) { return; }
  let result;
  try { result = app.train_for(TRAIN_MS); } catch (error) { crashed(error); return; }
  postMessage({training: result, generation: training.generation});
  if (JSON.parse(result).ok === false) { training.on = false; return; }
  training.timer = setTimeout(trainChunk, 0);  // let a pause message in between chunks
}

// Python's own errors come back as JSON from app.py; an error thrown out here means the
// interpreter itself failed (the browser's stack overflowed, say), and Pyodide cannot go on:
// the page starts a new worker.
function crashed(error, id) {
  app = null;
  training.on = false;
  postMessage({crashed: String(error && error.message || error), id});
}

const ready = start().catch((error) => postMessage({failed: String(error && error.message || error)}));

self.onmessage = async (event) => {
  await ready;
  const msg = event.data;
  if (msg.resources) {  // every address this worker has asked for (the tests check they are all local)
    postMessage({id: msg.id, result: JSON.stringify(performance.getEntriesByType("resource").map((e) => e.name))});
    return;
  }
  if (app === null) { return; }
  if (msg.train !== undefined) {
    clearTimeout(training.timer);
    training.on = false;
    if (msg.train === "start") {
      training.generation = msg.generation;
      let result;
      try { result = app.train_start(JSON.stringify(msg.options)); } catch (error) { crashed(error); return; }
      postMessage({training: result, generation: training.generation});
      if (JSON.parse(result).ok && msg.options.run !== false) { training.on = true; trainChunk(); }
    } else if (msg.train === "resume") {
      training.on = true;
      trainChunk();
    }
    return;
  }
  let result;
  try {
    result = app[msg.call](...(msg.args || []));
  } catch (error) {
    crashed(error, msg.id);
    return;
  }
  postMessage({id: msg.id, result});
};
