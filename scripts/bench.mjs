// `npm run bench`: runs every bench/*.bench.ts (each exports `runBench(): Promise<Row[]>`) in its own
// Node process (so one bench's JIT state never colours another's), prints one table and writes
// bench-results/bench.json. Rows: {name, value, unit, target?, kernel?, ratio?, pairs?}. Targets are
// printed, never asserted (house style: performance belongs in benchmarks, not in tests). A row with
// `pairs` (bench/lib/pairedRounds.ts) took its ratio as the median of paired kernel/our rounds: the
// table prints "median (min–max)". Each file's line on stderr says what the machine was doing: the
// load average when it started, and how many cores other processes kept busy while it ran (this
// machine's 2 cores are shared), so a row read on a busy machine can be told from a quiet one.
// Usage: node scripts/bench.mjs [--json] [FILTER]   (FILTER matches bench file names)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);

if (argv[0] === '--one') {
  // Child mode: run one bench file and print its rows as the last stdout line.
  const mod = await import(pathToFileURL(path.resolve(argv[1])).href);
  if (typeof mod.runBench !== 'function') {
    console.log(JSON.stringify({ error: `${argv[1]} does not export runBench()` }));
    process.exit(0);
  }
  const rows = await mod.runBench();
  console.log('\n' + JSON.stringify({ rows }));
  process.exit(0);
}

const json = argv.includes('--json');
const filter = argv.find((a) => !a.startsWith('--'));
const dir = path.join(root, 'bench');
const files = fs.existsSync(dir)
  ? fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
      .sort()
  : [];
/** Busy and total jiffies of all CPUs (/proc/stat's first line: user nice system idle iowait irq softirq steal). */
function cpuJiffies() {
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = v[3] + v[4];
  return { busy: v.reduce((a, b) => a + b, 0) - idle, steal: v[7] };
}
/** CPU jiffies of this process's waited-for children (/proc/self/stat cutime + cstime). */
function childJiffies() {
  const f = fs.readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[13]) + Number(rest[14]);
}
/** Processes started by bench file `f`'s run that are still alive (they carry its marker in their
 * environment, which children inherit): they would load the next file's measurements. */
function leftovers(marker) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(marker)) continue;
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const state = fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z') out.push(`${d} ${cmd.slice(0, 100)}`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}
const HZ = 100; // USER_HZ: /proc/stat and /proc/PID/stat count in 1/100 s
const cores = os.cpus().length;

const results = [];
const fileStats = [];
for (const f of files) {
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  if (!json) process.stderr.write(`bench: ${f} … (load average ${load.join(' ')}, ${cores} cores)\n`);
  const cpu0 = cpuJiffies();
  const child0 = childJiffies();
  const t0 = performance.now();
  const marker = `XDP_LAB_BENCH_RUN=${process.pid}:${f}`;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/bench.mjs'), '--one', path.join(dir, f)],
    {
      cwd: root,
      env: { ...process.env, XDP_LAB_BENCH_RUN: marker.slice(marker.indexOf('=') + 1) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuJiffies();
  // Others' CPU while the file ran: the machine's busy time less this file's own processes'.
  const own = (childJiffies() - child0) / HZ;
  const others = Math.max(0, (cpu1.busy - cpu0.busy) / HZ - own);
  const stat = {
    file: f,
    loadAverage: load,
    seconds: Number(seconds.toFixed(1)),
    ownCpuSeconds: Number(own.toFixed(2)),
    /** Cores other processes kept busy, on average, while this file ran (0 … cores). */
    otherCores: Number((others / seconds).toFixed(2)),
    stealSeconds: (cpu1.steal - cpu0.steal) / HZ,
  };
  fileStats.push(stat);
  if (!json)
    process.stderr.write(
      `bench: ${f}: ${stat.seconds} s, own CPU ${stat.ownCpuSeconds} s, others kept ${stat.otherCores} of ${cores} cores busy, steal ${stat.stealSeconds} s\n`,
    );
  // Give a file's children that are on their way out 5 s to go before the next file starts.
  let left = leftovers(marker);
  for (let i = 0; i < 50 && left.length; i++) {
    await new Promise((res) => setTimeout(res, 100));
    left = leftovers(marker);
  }
  if (left.length) {
    stat.leftRunning = left;
    process.stderr.write(`bench: ${f} left processes running:\n  ${left.join('\n  ')}\n`);
  }
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let parsed;
  try {
    parsed = JSON.parse(last);
  } catch {
    parsed = { error: `exited ${r.status} without rows` };
  }
  if (parsed.error) results.push({ file: f, name: f, error: parsed.error });
  else for (const row of parsed.rows) results.push({ file: f, ...row });
}

/** Higher is better for rates (unit ends in "/s"), lower for times and ratios. */
const meets = (row) =>
  (row.target === undefined ? '' : /\/s$/.test(row.unit) ? row.value >= row.target : row.value <= row.target)
    ? 'yes'
    : 'no';
const fmt = (v) =>
  v === undefined
    ? ''
    : typeof v === 'number'
      ? Math.abs(v) >= 100
        ? v.toFixed(0)
        : v.toPrecision(3)
      : String(v);

/** A paired ratio: "median (min–max)" of its pairs. */
const spread = (median, p) => `${fmt(median)} (${fmt(p.min)}–${fmt(p.max)})`;

fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true });
const doc = { date: new Date().toISOString(), node: process.version, files: fileStats, rows: results };
fs.writeFileSync(path.join(root, 'bench-results/bench.json'), JSON.stringify(doc, null, 2) + '\n');
if (json) {
  process.stdout.write(JSON.stringify(doc) + '\n');
} else {
  const table = [['bench', 'figure', 'value', 'unit', 'target', 'meets', 'kernel', 'ratio']];
  for (const r of results) {
    if (r.error) table.push([r.file, r.name, 'ERROR', r.error, '', '', '', '']);
    else
      table.push([
        r.file.replace(/\.bench\.ts$/, ''),
        r.name,
        r.pairs && r.unit === '×' ? spread(r.value, r.pairs) : fmt(r.value),
        r.unit,
        fmt(r.target),
        r.target === undefined ? '' : meets(r),
        fmt(r.kernel),
        r.ratio === undefined ? '' : r.pairs ? `${spread(r.ratio, r.pairs)}×` : `${fmt(r.ratio)}×`,
      ]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
  for (const row of table)
    console.log(
      row
        .map((c, i) => String(c).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  console.log(`\nwrote bench-results/bench.json (${results.length} rows)`);
}
process.exit(results.some((r) => r.error) ? 1 : 0);
