'use strict';
// The herd: N tablets (PouchDB, memory adapter) of one server, driven by
// herd_bench.py. Payload on stdin:
//   {tablets: [{url, username, password, pair, writer, visits: [...], writes: [...]}],
//    live_seconds, warmup_seconds, write_every_ms, cpu: {pids, hz},
//    replicate_options (of the first sync and the push; {} for PouchDB's defaults)}
// Phases: first sync (one pull each, all at once), morning push (10 visits
// each, all at once), then live sync (every tablet syncing both ways, live;
// writers write into their grid and their grid's second tablet times when
// each write arrives). Prints one JSON line of raw figures.

const fs = require('fs');
const { PouchDB, memoryDb } = require('./lib');

const now = () => Number(process.hrtime.bigint()) / 1e6;

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

// A remote database whose requests are counted and timed, by phase.
function countedRemote(spec, stats) {
  const opts = {
    fetch(url, options) {
      if (spec.token) options.headers.set('Authorization', `Bearer ${spec.token}`);
      const started = now();
      const phase = stats.phase;
      const live = String(url).includes('feed=longpoll');
      stats.requests[phase] = (stats.requests[phase] || 0) + 1;
      if (stats.trace && phase !== 'live') {
        const u = new URL(String(url));
        stats.trace.push(`${phase} ${(options && options.method) || 'GET'} ${u.pathname}${u.search}`);
      }
      return PouchDB.fetch(url, options).then((resp) => {
        if (!live) stats.latency.push([phase, started, now() - started]);
        return resp;
      });
    },
  };
  if (spec.username) opts.auth = { username: spec.username, password: spec.password };
  return new PouchDB(spec.url, opts);
}

function pct(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
}

async function all(tablets, fn) {
  const t0 = now();
  const ms = await Promise.all(tablets.map(async (t) => {
    const started = now();
    await fn(t);
    return now() - started;
  }));
  return { ms, wall: now() - t0 };
}

async function run(payload) {
  const tablets = payload.tablets.map((spec, i) => {
    const stats = { phase: 'first', requests: {}, latency: [], trace: i === 0 ? [] : null };
    return { spec, stats, local: memoryDb('herd'), remote: countedRemote(spec, stats) };
  });
  const out = {};

  const first = await all(tablets, async (t) => {
    const res = await PouchDB.replicate(t.remote, t.local, payload.replicate_options);
    if (!res.ok || res.doc_write_failures) throw new Error(`first sync: ${JSON.stringify(res)}`);
    t.firstDocs = res.docs_written;
  });
  out.first = { ms: first.ms, wall: first.wall,
                requests: tablets.map((t) => t.stats.requests.first || 0),
                docs: tablets.map((t) => t.firstDocs) };

  for (const t of tablets) t.stats.phase = 'push';
  const push = await all(tablets, async (t) => {
    await t.local.bulkDocs(t.spec.visits);
    const res = await PouchDB.replicate(t.local, t.remote, payload.replicate_options);
    if (!res.ok || res.doc_write_failures) throw new Error(`push: ${JSON.stringify(res)}`);
  });
  out.trace = tablets[0].stats.trace;
  out.push = { ms: push.ms, wall: push.wall,
               requests: tablets.map((t) => t.stats.requests.push || 0) };

  // Live: everyone syncs both ways; the second tablet of a pair listens.
  for (const t of tablets) t.stats.phase = 'live';
  const writtenAt = new Map();
  const visible = [];
  let warm = false;
  const syncs = tablets.map((t) => t.local.sync(t.remote, { live: true, retry: true }));
  const listeners = tablets.filter((t) => t.spec.second).map((t) => t.local.changes({
    live: true, since: 'now',
  }).on('change', (change) => {
    const at = writtenAt.get(change.id);
    if (at !== undefined) {
      visible.push([at.warm, now() - at.t]);
      writtenAt.delete(change.id);
    }
  }));
  await new Promise((resolve) => { setTimeout(resolve, 2000); });   // every longpoll waiting
  const writers = tablets.filter((t) => t.spec.writer);
  let writes = 0;
  let cpu0 = null;
  let warmWrites = 0;
  const timers = writers.map((t, i) => {
    let next = 0;
    const tick = () => {
      const doc = t.spec.writes[next++ % t.spec.writes.length];
      const copy = Object.assign({}, doc, { _id: `${doc._id}-${next}` });
      writtenAt.set(copy._id, { t: now(), warm });
      writes++;
      if (warm) warmWrites++;
      t.local.put(copy).catch((err) => { process.stderr.write(`write: ${err}\n`); });
    };
    // spread the writers over the interval
    return new Promise((resolve) => {
      setTimeout(() => resolve(setInterval(tick, payload.write_every_ms)),
        (payload.write_every_ms * i) / writers.length);
    });
  });
  const intervals = await Promise.all(timers);
  await new Promise((resolve) => { setTimeout(resolve, payload.warmup_seconds * 1000); });
  warm = true;
  const warmAt = now();
  cpu0 = serverCpuMs(payload.cpu);
  await new Promise((resolve) => {
    setTimeout(resolve, (payload.live_seconds - payload.warmup_seconds) * 1000);
  });
  const cpu1 = serverCpuMs(payload.cpu);
  const warmSeconds = (now() - warmAt) / 1000;
  for (const handle of intervals) clearInterval(handle);
  await new Promise((resolve) => { setTimeout(resolve, 3000); });   // let the last writes land
  for (const s of syncs) s.cancel();
  for (const l of listeners) l.cancel();
  const liveLatency = [];
  for (const t of tablets) {
    for (const [phase, started, ms] of t.stats.latency) {
      if (phase === 'live' && started >= warmAt) liveLatency.push(ms);
    }
  }
  const warmVisible = visible.filter(([w]) => w).map(([, ms]) => ms);
  out.live = {
    writes, warm_writes: warmWrites, warm_seconds: warmSeconds,
    seen: visible.length, lost: writtenAt.size,
    visible_p50: pct(warmVisible, 0.5), visible_p95: pct(warmVisible, 0.95),
    visible_all_p95: pct(visible.map(([, ms]) => ms), 0.95),
    request_p95: pct(liveLatency, 0.95), request_p50: pct(liveLatency, 0.5),
    requests: liveLatency.length,
    cpu_ms: cpu1 - cpu0,
    cpu_ms_per_write: warmWrites ? (cpu1 - cpu0) / warmWrites : null,
  };
  return out;
}

run(require("./lib").readPayload()).then((out) => {
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);
}, (err) => {
  process.stderr.write(`${(err && err.stack) || err}\n`);
  process.exit(1);
});
