// `npm test`: builds, then runs the three test tiers, each printing its own summary, and ends with
// one combined "N passed, N failed, N skipped" line.
//   unit   — node:test over src/**/*.test.ts, test/unit and test/lsp (language server over LSP; clang-only
//            parts skip without clang)
//   kernel — node:test over test/kernel (real netns/veth/clang/bpftool/bpftrace); probes first and
//            skips with one line when the machine cannot run it (a failure under CI=true)
//   editor — test/e2e/run.mjs: the packaged .vsix in code-server driven by Debian's Chromium
// Usage: node scripts/test.mjs [unit|kernel|editor ...] [-- extra node --test args]
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const extra = dash >= 0 ? argv.slice(dash + 1) : [];
const wanted = (dash >= 0 ? argv.slice(0, dash) : argv).filter(Boolean);
const tiers = wanted.length ? wanted : ['unit', 'kernel', 'editor'];
const inCi = process.env.CI === 'true';

function findTests(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures') findTests(p, out);
    } else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** Runs node:test on files, streaming its output, and returns the counts from its summary. */
function runNodeTests(label, files, opts = []) {
  return new Promise((resolve) => {
    if (!files.length) {
      console.log(`${label}: no test files`);
      resolve({ passed: 0, failed: 0, skipped: 0 });
      return;
    }
    const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...opts, ...extra, ...files];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => {
      const num = (k) => Number((new RegExp(`^ℹ ${k} (\\d+)`, 'm').exec(text) ?? [])[1] ?? 0);
      const r = {
        passed: num('pass'),
        failed: num('fail') + num('cancelled'),
        skipped: num('skipped') + num('todo'),
      };
      if (code !== 0 && r.failed === 0) r.failed = 1; // a crash before the summary still fails the tier
      console.log(`${label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
      resolve(r);
    });
  });
}

function kernelProbe() {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0)
    return 'not root (the kernel lab needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)';
  for (const tool of ['clang', 'bpftool', 'bpftrace', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is missing (run scripts/install-system-deps.sh)`;
  }
  const r = spawnSync('ip', ['netns', 'list']);
  if (r.status !== 0) return 'network namespaces unavailable';
  if (
    !fs.existsSync('/sys/kernel/tracing/events/xdp') &&
    !fs.existsSync('/sys/kernel/debug/tracing/events/xdp')
  ) {
    spawnSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing']);
    if (!fs.existsSync('/sys/kernel/tracing/events/xdp'))
      return 'the xdp:* tracepoints are not available (tracefs)';
  }
  return undefined;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const add = (r) => {
  totals.passed += r.passed;
  totals.failed += r.failed;
  totals.skipped += r.skipped;
};

const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log('build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

for (const tier of tiers) {
  console.log(`\n=== ${tier} tier ===`);
  if (tier === 'unit') {
    add(
      await runNodeTests('unit', [...findTests('src'), ...findTests('test/unit'), ...findTests('test/lsp')]),
    );
  } else if (tier === 'kernel') {
    const why = kernelProbe();
    if (why) {
      console.log(`kernel: skipped — ${why}`);
      if (inCi) add({ passed: 0, failed: 1, skipped: 0 });
      continue;
    }
    add(await runNodeTests('kernel', findTests('test/kernel'), ['--test-concurrency=1']));
  } else if (tier === 'editor') {
    const runner = 'test/e2e/run.mjs';
    if (!fs.existsSync(runner)) {
      console.log('editor: no runner yet');
      continue;
    }
    // The extension in code-server, then the browser playground (issue #8) in the same Chromium.
    for (const [script, label] of [
      [runner, 'editor'],
      ['test/e2e/playground.e2e.mjs', 'playground'],
    ]) {
      const r = spawnSync(process.execPath, [script], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      process.stdout.write(r.stdout ?? '');
      const m = new RegExp(`^${label}: (\\d+) passed, (\\d+) failed(?:, (\\d+) skipped)?$`, 'm').exec(
        r.stdout ?? '',
      );
      const res = m
        ? { passed: +m[1], failed: +m[2], skipped: +(m[3] ?? 0) }
        : { passed: 0, failed: 1, skipped: 0 };
      if (r.status !== 0 && res.failed === 0) res.failed = 1;
      add(res);
    }
  } else {
    console.log(`unknown tier ${tier} (unit, kernel, editor)`);
    add({ passed: 0, failed: 1, skipped: 0 });
  }
}

console.log(`\nall tiers (${tiers.join(', ')}):`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed ? 1 : 0);
