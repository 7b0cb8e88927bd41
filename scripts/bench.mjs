// `npm run bench`: runs every bench/*.bench.ts (each exports `runBench(): Promise<Row[]>`) in its own
// Node process (so one bench's JIT state never colours another's), prints one table and writes
// bench-results/bench.json. Rows: {name, value, unit, target?, kernel?, ratio?}. Targets are printed,
// never asserted (house style: performance belongs in benchmarks, not in tests).
// Usage: node scripts/bench.mjs [--json] [FILTER]   (FILTER matches bench file names)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
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
const results = [];
for (const f of files) {
  if (!json) process.stderr.write(`bench: ${f} …\n`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/bench.mjs'), '--one', path.join(dir, f)],
    {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    },
  );
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

fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true });
const doc = { date: new Date().toISOString(), node: process.version, rows: results };
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
        fmt(r.value),
        r.unit,
        fmt(r.target),
        r.target === undefined ? '' : meets(r),
        fmt(r.kernel),
        r.ratio === undefined ? '' : `${fmt(r.ratio)}×`,
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
