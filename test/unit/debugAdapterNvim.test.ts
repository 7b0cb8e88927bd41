// docs/debugger.md's nvim-dap configuration, verbatim, in a real headless Neovim: the `lua` block is
// cut out of the doc, `xdp-lab` is the built dist/cli.js on PATH (as `npm install -g` links it), and
// a driver does what a user does — :DapToggleBreakpoint, :DapContinue, answer the frame prompt, read
// the Locals and the scopes widget, :DapContinue to the end. Needs Neovim and an nvim-dap checkout
// named by XDP_LAB_NVIM_DAP (never vendored: the project ships no third-party code); skipped otherwise.
import { strict as assert } from 'node:assert';
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildFrame } from '../../src/core/packet/frameBuilder';

const root = path.resolve(__dirname, '../..');
const nvimDap = process.env.XDP_LAB_NVIM_DAP ?? '';
const hasNvim = spawnSync('nvim', ['--version']).status === 0;
const hasClang = spawnSync('clang', ['--version']).status === 0;
const skip = !hasNvim
  ? 'Neovim is not installed'
  : !nvimDap || !fs.existsSync(path.join(nvimDap, 'lua/dap.lua'))
    ? 'XDP_LAB_NVIM_DAP does not name an nvim-dap checkout'
    : !hasClang && 'clang is not installed (the documented program is a .c file)';

/** The first ```lua block after "### nvim-dap" in docs/debugger.md. */
function docSnippet(): string {
  const doc = fs.readFileSync(path.join(root, 'docs/debugger.md'), 'utf8');
  const m = /^### nvim-dap\n[\s\S]*?^```lua\n([\s\S]*?)^```$/m.exec(doc);
  assert.ok(m?.[1], 'docs/debugger.md has no lua block under "### nvim-dap"');
  return m[1];
}

/** What the user does, logged line by line to $LOG; $ANSWER is typed at the frame prompt. */
const DRIVER = String.raw`
local dap = require('dap')
local log = assert(io.open(vim.env.LOG, 'w'))
local function say(s) log:write(s .. '\n'); log:flush() end
vim.api.nvim_win_set_cursor(0, { tonumber(vim.env.BP_LINE), 0 })
vim.cmd('DapToggleBreakpoint')
dap.listeners.after.event_stopped['xdp-lab-test'] = function(session, body)
  say('stopped ' .. body.reason)
  session:request('stackTrace', { threadId = body.threadId or 1 }, function(_, r)
    local top = r.stackFrames[1]
    say(('frame %s %d'):format(top.name, top.line))
    session:request('scopes', { frameId = top.id }, function(_, s)
      for _, sc in ipairs(s.scopes) do say('scope ' .. sc.name) end
      session:request('variables', { variablesReference = s.scopes[1].variablesReference }, function(_, v)
        for _, x in ipairs(v.variables) do say(('local %s %s = %s'):format(x.name, x.type or '?', x.value)) end
        local widgets = require('dap.ui.widgets')
        local w = widgets.centered_float(widgets.scopes)
        vim.defer_fn(function()
          for _, l in ipairs(vim.api.nvim_buf_get_lines(w.buf, 0, -1, false)) do say('widget ' .. l) end
          w.close()
          vim.cmd('DapContinue')
        end, 300)
      end)
    end)
  end)
end
-- Never hang: a stuck session fails the run (with what was logged).
vim.defer_fn(function() say('timeout'); vim.cmd('cq') end, 45000)
dap.listeners.after.event_output['xdp-lab-test'] = function(_, body) say('output ' .. body.output:gsub('\n$', '')) end
dap.listeners.after.event_terminated['xdp-lab-test'] = function()
  say('terminated')
  vim.defer_fn(function() log:close(); vim.cmd('qa!') end, 100)
end
vim.api.nvim_feedkeys((vim.env.ANSWER or '') .. vim.api.nvim_replace_termcodes('<CR>', true, false, true), 't', false)
vim.cmd('DapContinue')
`;

/** Runs nvim on examples/redirect.bpf.c with a breakpoint on `count = bpf_map_lookup_elem`. */
async function runNvim(dir: string, answer: string): Promise<string[]> {
  const src = path.join(root, 'examples/redirect.bpf.c');
  const line = fs
    .readFileSync(src, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('count = bpf_map_lookup_elem'));
  const log = path.join(dir, `log-${answer ? 'file' : 'default'}.txt`);
  const proc = spawn(
    'nvim',
    [
      '--headless',
      '-u',
      path.join(dir, 'init.lua'),
      src,
      // A Lua error in the driver quits with an error status instead of leaving nvim waiting.
      '-c',
      `lua local ok, e = pcall(dofile, ${JSON.stringify(path.join(dir, 'drive.lua'))}) if not ok then io.stderr:write(tostring(e)) vim.cmd('cq') end`,
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`,
        XDG_STATE_HOME: path.join(dir, 'state'),
        XDG_CACHE_HOME: path.join(dir, 'cache'),
        LOG: log,
        BP_LINE: String(line + 1),
        ANSWER: answer,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => proc.kill(), 60_000);
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  clearTimeout(timer);
  const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n') : [];
  assert.equal(code, 0, `nvim exited ${code}: ${stderr}\n${lines.join('\n')}`);
  return lines;
}

test(
  "nvim-dap: docs/debugger.md's configuration stops on a breakpoint, reads a local and runs to the end",
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-nvim-'));
    try {
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.symlinkSync(path.join(root, 'dist/cli.js'), path.join(dir, 'bin/xdp-lab'));
      fs.writeFileSync(path.join(dir, 'snippet.lua'), docSnippet());
      fs.writeFileSync(
        path.join(dir, 'init.lua'),
        `vim.opt.rtp:prepend(${JSON.stringify(nvimDap)})\nvim.cmd('filetype on')\ndofile(${JSON.stringify(path.join(dir, 'snippet.lua'))})\n`,
      );
      fs.writeFileSync(path.join(dir, 'drive.lua'), DRIVER);

      // Enter at the prompt: the default UDP frame, port 9 → key = 9 & 7.
      const a = await runNvim(dir, '');
      assert.ok(a.includes('stopped breakpoint'), a.join('\n'));
      assert.ok(a.includes('scope Locals') && a.includes('scope Registers'), a.join('\n'));
      assert.ok(a.includes('local key __u32 = 1'), a.join('\n'));
      assert.ok(a.includes('widget   key: 1'), a.join('\n')); // nvim-dap's own scopes widget
      assert.ok(
        a.includes('output xdp_redirect_udp: XDP_PASS (return value 2), 42 instructions'),
        a.join('\n'),
      );
      assert.equal(a.filter((l) => l === 'terminated').length, 1);

      // A frame file typed at the prompt (relative to the adapter's directory): UDP port 14 → key 6.
      fs.writeFileSync(path.join(dir, 'udp14.bin'), buildFrame({ udp: { dport: 14 } }));
      const b = await runNvim(dir, 'udp14.bin');
      assert.ok(
        b.some((l) => /^output xdp-lab: xdp_redirect_udp on udp14\.bin/.test(l)),
        b.join('\n'),
      );
      assert.ok(b.includes('local key __u32 = 6'), b.join('\n'));
      assert.ok(b.includes('terminated'), b.join('\n'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
