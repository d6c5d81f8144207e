'use strict';
// The herd: N tablets (PouchDB, memory adapter) of one server, driven by
// herd_bench.py. Payload on stdin:
//   {tablets: [{url, grid, token | username+password, writer, second, visits, writes}],
//    live_seconds, warmup_seconds, write_every_ms, cpu: {pids, hz}, drivers,
//    replicate_options (of the first sync and the push; {} for PouchDB's defaults)}
// Phases: first sync (one pull each, all at once), morning push (10 visits
// each, all at once), then live sync (every tablet syncing both ways, live;
// writers write into their grid and their grid's second tablet times when
// each write arrives). Prints one JSON line of raw figures.
//
// The tablets are spread over `drivers` worker threads (the two tablets of a
// grid in the same one), so that one busy event loop in this process does not
// pass for a slow server: a reply is timed when the thread that asked gets to
// it. The main thread only orders the phases and reads the server's CPU.

const fs = require('fs');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function pct(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
}

// ---------------------------------------------------------------- a driver

function driver() {
  const { PouchDB, memoryDb } = require('./lib');
  const { specs, options } = workerData;

  // A remote database whose requests are counted and timed, by phase.
  function countedRemote(spec, stats) {
    const opts = {
      fetch(url, fetchOptions) {
        if (spec.token) fetchOptions.headers.set('Authorization', `Bearer ${spec.token}`);
        const started = now();
        const phase = stats.phase;
        const live = String(url).includes('feed=longpoll');
        stats.requests[phase] = (stats.requests[phase] || 0) + 1;
        if (stats.trace && phase !== 'live') {
          const u = new URL(String(url));
          stats.trace.push(`${phase} ${(fetchOptions && fetchOptions.method) || 'GET'} ${u.pathname}${u.search}`);
        }
        const pushing = phase === 'live' && spec.writer && String(url).includes('/_bulk_docs');
        return PouchDB.fetch(url, fetchOptions).then((resp) => {
          if (!live) stats.latency.push([phase, started, now() - started]);
          if (pushing) markPush(fetchOptions.body, started, now());
          if (live && phase === 'live' && spec.second) {
            resp.clone().text().then((text) => markPulled(text, now()), () => {});
          }
          return resp;
        });
      },
    };
    if (spec.username) opts.auth = { username: spec.username, password: spec.password };
    return new PouchDB(spec.url, opts);
  }

  // Where a write's time goes, on the way to the grid's second tablet:
  // put -> _bulk_docs sent -> its answer -> the second tablet's longpoll
  // answers with it -> on that tablet (its _bulk_get and local write).
  const marks = new Map();
  function markPush(body, started, ended) {
    let docs = [];
    try { docs = JSON.parse(body).docs || []; } catch (err) { return; }
    for (const doc of docs) {
      const mark = marks.get(doc._id);
      if (mark && mark.sent === undefined) { mark.sent = started; mark.stored = ended; }
    }
  }
  function markPulled(text, at) {
    let results = [];
    try { results = JSON.parse(text).results || []; } catch (err) { return; }
    for (const row of results) {
      const mark = marks.get(row.id);
      if (mark && mark.pulled === undefined) mark.pulled = at;
    }
  }

  const tablets = specs.map((spec) => {
    const stats = { phase: 'first', requests: {}, latency: [], trace: spec.trace ? [] : null };
    return { spec, stats, local: memoryDb('herd'), remote: countedRemote(spec, stats) };
  });

  async function timed(fn) {
    return Promise.all(tablets.map(async (t) => {
      const started = now();
      await fn(t);
      return now() - started;
    }));
  }

  const live = { writtenAt: new Map(), visible: [], warm: false, warmAt: null,
                 writes: 0, warmWrites: 0, syncs: [], listeners: [], intervals: [],
                 legs: [] };

  const phases = {
    async first() {
      const ms = await timed(async (t) => {
        const res = await PouchDB.replicate(t.remote, t.local, options.replicate_options);
        if (!res.ok || res.doc_write_failures) throw new Error(`first sync: ${JSON.stringify(res)}`);
        t.firstDocs = res.docs_written;
      });
      return { ms, requests: tablets.map((t) => t.stats.requests.first || 0),
               docs: tablets.map((t) => t.firstDocs) };
    },
    async push() {
      for (const t of tablets) t.stats.phase = 'push';
      const ms = await timed(async (t) => {
        await t.local.bulkDocs(t.spec.visits);
        const res = await PouchDB.replicate(t.local, t.remote, options.replicate_options);
        if (!res.ok || res.doc_write_failures) throw new Error(`push: ${JSON.stringify(res)}`);
      });
      const traced = tablets.find((t) => t.stats.trace);
      return { ms, requests: tablets.map((t) => t.stats.requests.push || 0),
               trace: traced ? traced.stats.trace : null };
    },
    // Everyone syncs both ways; the second tablet of a pair listens.
    async listen() {
      for (const t of tablets) t.stats.phase = 'live';
      live.syncs = tablets.map((t) => t.local.sync(t.remote, { live: true, retry: true }));
      live.listeners = tablets.filter((t) => t.spec.second).map((t) => t.local.changes({
        live: true, since: 'now',
      }).on('change', (change) => {
        const at = live.writtenAt.get(change.id);
        if (at !== undefined) {
          const seen = now();
          live.visible.push([at.warm, seen - at.t]);
          live.writtenAt.delete(change.id);
          const mark = marks.get(change.id);
          if (at.warm && mark && mark.pulled !== undefined && mark.sent !== undefined) {
            live.legs.push([mark.sent - at.t, mark.stored - mark.sent,
                            mark.pulled - mark.stored, seen - mark.pulled]);
          }
          marks.delete(change.id);
        }
      }));
      return {};
    },
    async write() {
      for (const t of tablets.filter((x) => x.spec.writer)) {
        let next = 0;
        const tick = () => {
          const doc = t.spec.writes[next++ % t.spec.writes.length];
          const copy = Object.assign({}, doc, { _id: `${doc._id}-${next}` });
          live.writtenAt.set(copy._id, { t: now(), warm: live.warm });
          marks.set(copy._id, {});
          live.writes++;
          if (live.warm) live.warmWrites++;
          t.local.put(copy).catch((err) => { process.stderr.write(`write: ${err}\n`); });
        };
        // spread the writers over the interval (offset given by the main thread)
        setTimeout(() => { live.intervals.push(setInterval(tick, options.write_every_ms)); },
          t.spec.offset_ms);
      }
      return {};
    },
    async warm() {
      live.warm = true;
      live.warmAt = now();
      return {};
    },
    async stop() {
      for (const handle of live.intervals) clearInterval(handle);
      await sleep(3000);                                  // let the last writes land
      for (const s of live.syncs) s.cancel();
      for (const l of live.listeners) l.cancel();
      const latency = [];
      for (const t of tablets) {
        for (const [phase, started, ms] of t.stats.latency) {
          if (phase === 'live' && started >= live.warmAt) latency.push(ms);
        }
      }
      return { latency, visible: live.visible, legs: live.legs, writes: live.writes,
               warm_writes: live.warmWrites, lost: live.writtenAt.size };
    },
  };

  parentPort.on('message', (name) => {
    phases[name]().then((res) => parentPort.postMessage({ name, res }),
      (err) => parentPort.postMessage({ name, error: String((err && err.stack) || err) }));
  });
}

// ---------------------------------------------------------------- the main thread

function serverCpuMs(cpu) {
  let ticks = 0;
  for (const pid of cpu.pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);     // utime, stime
    } catch (err) {
      // a process that ended counts nothing more
    }
  }
  return ticks * 1000 / cpu.hz;
}

// p50 and p95 of each leg of write -> visible (see markPush in the driver).
function legs(rows) {
  const names = ['to_push', 'bulk_docs', 'to_longpoll', 'on_tablet'];
  const out = {};
  names.forEach((name, i) => {
    const values = rows.map((r) => r[i]);
    out[name] = [pct(values, 0.5), pct(values, 0.95)];
  });
  return out;
}

// The tablets in `drivers` groups, a grid's tablets together; writers spread
// over the write interval, and the first tablet traces its requests.
function groups(payload) {
  const count = Math.max(1, payload.drivers || 1);
  const byGrid = new Map();
  for (const spec of payload.tablets) {
    if (!byGrid.has(spec.grid)) byGrid.set(spec.grid, []);
    byGrid.get(spec.grid).push(spec);
  }
  const out = Array.from({ length: count }, () => []);
  [...byGrid.values()].forEach((specs, i) => out[i % count].push(...specs));
  const writers = payload.tablets.filter((s) => s.writer);
  writers.forEach((spec, i) => { spec.offset_ms = (payload.write_every_ms * i) / writers.length; });
  payload.tablets[0].trace = true;
  return out.filter((g) => g.length);
}

async function main(payload) {
  const options = { replicate_options: payload.replicate_options,
                    write_every_ms: payload.write_every_ms };
  const workers = groups(payload).map((specs) => {
    const worker = new Worker(__filename, { workerData: { specs, options } });
    const waiting = [];
    worker.on('message', (msg) => waiting.shift()(msg));
    worker.on('error', (err) => { process.stderr.write(`driver: ${err.stack || err}\n`); process.exit(1); });
    return { worker, waiting };
  });
  const phase = (name) => Promise.all(workers.map(({ worker, waiting }) => new Promise((resolve, reject) => {
    waiting.push((msg) => (msg.error ? reject(new Error(`${name}: ${msg.error}`)) : resolve(msg.res)));
    worker.postMessage(name);
  })));
  const flat = (parts, key) => parts.flatMap((p) => p[key]);
  const out = {};

  let t0 = now();
  let c0 = serverCpuMs(payload.cpu);
  const first = await phase('first');
  out.first = { ms: flat(first, 'ms'), wall: now() - t0, requests: flat(first, 'requests'),
                docs: flat(first, 'docs'), cpu_ms: serverCpuMs(payload.cpu) - c0 };
  t0 = now();
  c0 = serverCpuMs(payload.cpu);
  const push = await phase('push');
  out.push = { ms: flat(push, 'ms'), wall: now() - t0, requests: flat(push, 'requests'),
               cpu_ms: serverCpuMs(payload.cpu) - c0 };
  out.trace = (push.find((p) => p.trace) || {}).trace || [];

  await phase('listen');
  await sleep(2000);                                     // every longpoll waiting
  await phase('write');
  await sleep(payload.write_every_ms + payload.warmup_seconds * 1000);
  await phase('warm');
  const warmAt = now();
  const cpu0 = serverCpuMs(payload.cpu);
  await sleep((payload.live_seconds - payload.warmup_seconds) * 1000);
  const cpu1 = serverCpuMs(payload.cpu);
  const warmSeconds = (now() - warmAt) / 1000;
  const ends = await phase('stop');
  const visible = flat(ends, 'visible');
  const latency = flat(ends, 'latency');
  const warmWrites = ends.reduce((n, e) => n + e.warm_writes, 0);
  const warmVisible = visible.filter(([w]) => w).map(([, ms]) => ms);
  out.live = {
    drivers: workers.length,
    writes: ends.reduce((n, e) => n + e.writes, 0), warm_writes: warmWrites,
    warm_seconds: warmSeconds, seen: visible.length,
    lost: ends.reduce((n, e) => n + e.lost, 0),
    visible_p50: pct(warmVisible, 0.5), visible_p95: pct(warmVisible, 0.95),
    visible_all_p95: pct(visible.map(([, ms]) => ms), 0.95),
    request_p95: pct(latency, 0.95), request_p50: pct(latency, 0.5),
    requests: latency.length,
    legs: legs(flat(ends, 'legs')),
    cpu_ms: cpu1 - cpu0,
    cpu_ms_per_write: warmWrites ? (cpu1 - cpu0) / warmWrites : null,
  };
  for (const { worker } of workers) await worker.terminate();
  return out;
}

if (isMainThread) {
  main(require('./lib').readPayload()).then((out) => {
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(0);
  }, (err) => {
    process.stderr.write(`${(err && err.stack) || err}\n`);
    process.exit(1);
  });
} else {
  driver();
}
