// `xdp-lab debug-adapter` on stdio, as nvim-dap or dap-mode start it (docs/debugger.md): the built
// bundle in a child process, Content-Length framed DAP both ways, a .c program compiled by clang
// (skipped without clang) and a prebuilt object; garbage on stdin is reported, never a crash.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const fixtures = path.resolve(__dirname, '../fixtures/programs');
const hasClang = spawnSync('clang', ['--version']).status === 0;

interface Msg {
  seq: number;
  type: string;
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

/** A scripted DAP client over a child process's stdin/stdout. */
class StdioClient {
  private seq = 1;
  private buf = Buffer.alloc(0);
  private readonly seen: Msg[] = [];
  private waiters: (() => void)[] = [];
  readonly proc: ChildProcessWithoutNullStreams;
  stderr = '';

  constructor(cwd: string) {
    this.proc = spawn(process.execPath, [path.resolve('dist/cli.js'), 'debug-adapter'], { cwd });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const len = Number(/Content-Length: (\d+)/.exec(this.buf.subarray(0, end).toString())?.[1]);
        if (this.buf.length < end + 4 + len) break;
        this.seen.push(JSON.parse(this.buf.subarray(end + 4, end + 4 + len).toString()) as Msg);
        this.buf = this.buf.subarray(end + 4 + len);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  write(raw: string | Buffer): void {
    this.proc.stdin.write(raw);
  }

  send(command: string, args: Record<string, unknown> = {}): number {
    const seq = this.seq++;
    const body = Buffer.from(JSON.stringify({ seq, type: 'request', command, arguments: args }));
    // Split the frame in two writes: the adapter must reassemble it.
    const frame = Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
    this.write(frame.subarray(0, 7));
    this.write(frame.subarray(7));
    return seq;
  }

  /** Waits for the first message (from the start of the conversation) matching `pred`. */
  async waitFor(pred: (m: Msg) => boolean, from = 0): Promise<Msg> {
    for (;;) {
      const m = this.seen.slice(from).find(pred);
      if (m) return m;
      if (this.proc.exitCode !== null) throw new Error(`adapter exited: ${this.stderr}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async request(command: string, args: Record<string, unknown> = {}): Promise<Msg> {
    const seq = this.send(command, args);
    const r = await this.waitFor((m) => m.type === 'response' && m.request_seq === seq);
    return r;
  }

  get count(): number {
    return this.seen.length;
  }
}

async function session(program: string, cwd: string): Promise<void> {
  const c = new StdioClient(cwd);
  try {
    const init = await c.request('initialize', { adapterID: 'xdp-lab', linesStartAt1: true });
    assert.equal(init.body?.supportsStepBack, true);
    const launch = await c.request('launch', { program, stopOnEntry: false });
    assert.equal(launch.success, true, launch.message);
    await c.waitFor((m) => m.event === 'initialized');
    const src = path.join(fixtures, 'debugme.bpf.c');
    const line =
      fs
        .readFileSync(src, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('if (len < 60)')) + 1;
    const bp = await c.request('setBreakpoints', { source: { path: src }, breakpoints: [{ line }] });
    assert.equal((bp.body?.breakpoints as { verified: boolean }[])[0]?.verified, true);
    const mark = c.count;
    await c.request('configurationDone');
    const stopped = await c.waitFor((m) => m.event === 'stopped', mark);
    assert.equal(stopped.body?.reason, 'breakpoint');
    const st = await c.request('stackTrace', { threadId: 1 });
    const frames = st.body?.stackFrames as { name: string; line: number }[];
    assert.deepEqual(
      frames.map((f) => f.name),
      ['classify', 'xdp_debugme'],
    );
    const scopes = await c.request('scopes', { frameId: 1 });
    const locals = (scopes.body?.scopes as { name: string; variablesReference: number }[])[0];
    const vars = await c.request('variables', { variablesReference: locals?.variablesReference });
    const len = (vars.body?.variables as { name: string; value: string }[]).find((v) => v.name === 'len');
    assert.equal(len?.value, '64');
    const mark2 = c.count;
    await c.request('continue', { threadId: 1 });
    await c.waitFor((m) => m.event === 'terminated', mark2);
    const out = await c.waitFor(
      (m) => m.event === 'output' && /return value/.test(String(m.body?.output)),
      mark2,
    );
    assert.match(String(out.body?.output), /XDP_DROP/);
    await c.request('disconnect');
    const code = await new Promise<number | null>((r) => c.proc.once('exit', r));
    assert.equal(code, 0);
  } finally {
    c.proc.kill();
  }
}

test('debug-adapter on stdio: a prebuilt object, breakpoint in a bpf-to-bpf call, locals, the end', async () => {
  await session(path.join(fixtures, 'obj/debugme.bpf.o'), process.cwd());
});

test(
  'debug-adapter on stdio: a .c program is compiled with clang first',
  { skip: !hasClang && 'clang is not installed' },
  async () => {
    // Relative to the adapter's working directory, as a launch.json written by hand has it.
    await session('debugme.bpf.c', fixtures);
  },
);

test('debug-adapter: garbage on stdin is reported on stderr, a missing program is a failed launch', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-dap-'));
  const c = new StdioClient(dir);
  try {
    c.write('Content-Length: 5\r\n\r\n{nope');
    c.write('X-Nothing: 1\r\n\r\n');
    const r = await c.request('launch', { program: 'missing.o' });
    assert.equal(r.success, false);
    assert.match(r.message ?? '', /^program: cannot read .*missing\.o/);
    const f = await c.request('launch', {
      program: path.join(fixtures, 'obj/debugme.bpf.o'),
      frame: 'nope.bin',
    });
    assert.match(f.message ?? '', /^frame: cannot read/);
    assert.match(c.stderr, /not JSON/);
    assert.match(c.stderr, /without Content-Length/);
    c.proc.stdin.end();
    assert.equal(await new Promise<number | null>((res) => c.proc.once('exit', res)), 0);
  } finally {
    c.proc.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("debug-adapter: the N-th frame of a scenario runs on its receiving device with the scenario's map entries", async () => {
  const root = path.resolve(fixtures, '../../..');
  const c = new StdioClient(root);
  try {
    await c.request('initialize', { adapterID: 'xdp-lab' });
    // Frame 65 is the first of the second traffic entry: UDP to port 9 → tx_port key 1 → r3.
    const launch = await c.request('launch', {
      program: 'test/fixtures/programs/obj/redirect.bpf.o',
      function: 'xdp_redirect_udp',
      frame: { scenario: 'examples/redirect.xdpscenario.json', index: 65 },
    });
    assert.equal(launch.success, true, launch.message);
    const mark = c.count;
    await c.request('configurationDone');
    const out = await c.waitFor(
      (m) => m.event === 'output' && /return value/.test(String(m.body?.output)),
      mark,
    );
    assert.match(String(out.body?.output), /XDP_REDIRECT to map 'tx_port' key 1 \(return value 4\)/);
    const bad = await c.request('launch', {
      program: 'test/fixtures/programs/obj/redirect.bpf.o',
      frame: { scenario: 'examples/redirect.xdpscenario.json', index: 999 },
    });
    assert.match(bad.message ?? '', /^frame.index: the scenario's traffic has 80 frames, not 999/);
    await c.request('disconnect');
  } finally {
    c.proc.kill();
  }
});

test('debug-adapter: a client that drops mid-session (no disconnect) ends the adapter, never a dead session', async () => {
  // Two ways a client goes: it closes our stdin (nvim-dap's job stopped), or it dies and the next
  // reply meets a closed pipe (EPIPE) while our stdin is still open.
  for (const how of ['stdin closed', 'stdout closed, a reply due'] as const) {
    const c = new StdioClient(process.cwd());
    try {
      await c.request('initialize', { adapterID: 'xdp-lab' });
      const launch = await c.request('launch', {
        program: path.join(fixtures, 'obj/debugme.bpf.o'),
        stopOnEntry: true,
      });
      assert.equal(launch.success, true, launch.message);
      const mark = c.count;
      await c.request('configurationDone');
      await c.waitFor((m) => m.event === 'stopped', mark);
      const exited = new Promise<number | null>((r) => c.proc.once('exit', r));
      if (how === 'stdin closed') c.proc.stdin.end();
      else {
        c.proc.stdout.destroy();
        c.send('stackTrace', { threadId: 1 });
      }
      assert.equal(await exited, 0, `${how}: ${c.stderr}`);
      if (how === 'stdin closed') assert.equal(c.stderr, '');
      else
        assert.match(
          c.stderr,
          /^xdp-lab debug-adapter: the client went away \(write EPIPE\); session ended\n$/,
        );
    } finally {
      c.proc.kill();
    }
  }
});

/** One session of the kconfig fixture with `kconfig`: the result line, or the failed launch's message. */
async function kconfigRun(dir: string, kconfig: unknown): Promise<string> {
  const c = new StdioClient(dir);
  try {
    await c.request('initialize', { adapterID: 'xdp-lab' });
    const launch = await c.request('launch', { program: path.join(fixtures, 'obj/kconfig.bpf.o'), kconfig });
    if (!launch.success) return `failed: ${launch.message ?? ''}`;
    const mark = c.count;
    await c.request('configurationDone');
    const out = await c.waitFor(
      (m) => m.event === 'output' && /return value/.test(String(m.body?.output)),
      mark,
    );
    await c.request('disconnect');
    return String(out.body?.output).trim();
  } finally {
    c.proc.stdin.end();
    await new Promise<unknown>((res) => (c.proc.exitCode !== null ? res(0) : c.proc.once('exit', res)));
  }
}

test("debug-adapter: the launch's kconfig file is what .kconfig externs read, as run --kconfig reads it", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-dap-'));
  try {
    // kconfig.bpf.c: XDP_TX when CONFIG_HZ >= 1000 (and conntrack is built), XDP_PASS below.
    fs.writeFileSync(path.join(dir, 'hz1000.config'), 'CONFIG_HZ=1000\nCONFIG_NF_CONNTRACK=y\n');
    fs.writeFileSync(path.join(dir, 'hz100.config'), 'CONFIG_HZ=100\nCONFIG_NF_CONNTRACK=y\n');
    assert.match(await kconfigRun(dir, 'hz1000.config'), /XDP_TX \(return value 3\)/);
    assert.match(await kconfigRun(dir, 'hz100.config'), /XDP_PASS \(return value 2\)/);
    assert.match(
      await kconfigRun(dir, 'nope.config'),
      /^failed: kconfig: cannot read the kernel config .*nope\.config: no such file/,
    );
    assert.match(await kconfigRun(dir, 7), /^failed: kconfig: give the path of a kernel config file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
