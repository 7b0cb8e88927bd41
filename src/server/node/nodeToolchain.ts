// clang and bpftool for the language server (Node only; a browser worker has no toolchain).
// Compile: clang -O2 -g -target bpf with include paths from the settings, the workspace and the system.
// Verify: bpftool prog loadall into a temporary bpffs pin (removed afterwards), verifier log parsed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseClangOutput } from '../../core/analysis/clangOutput';
import { parseVerifierLog } from '../../core/analysis/verifierLog';
import { includeDirs as sharedIncludeDirs } from '../../node/includeDirs';
import { runProcess } from '../../node/process';
import type { LanguageSettings, VerifyResult } from '../../protocol/lsp';
import type { CompileOutcome, Toolchain } from '../services';

/** -I directories: settings first, then the file's folder and include/ folders of the workspace, then the system's asm/ dir. */
export function includeDirs(
  filePath: string,
  settings: LanguageSettings,
  workspaceFolders: readonly string[],
): string[] {
  return sharedIncludeDirs(filePath, settings.clang.includePaths, workspaceFolders);
}

const quote = (a: string): string => (/^[\w./=+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

export function createNodeToolchain(): Toolchain {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-clang-'));
  process.on('exit', () => fs.rmSync(outDir, { recursive: true, force: true }));
  let pinSeq = 0;
  return {
    async compile(filePath, settings, workspaceFolders, signal): Promise<CompileOutcome> {
      const obj = path.join(outDir, path.basename(filePath).replace(/\.c$/, '') + '.o');
      const argv = [
        settings.clang.path,
        '-O2',
        '-g',
        '-target',
        'bpf',
        '-fno-color-diagnostics',
        ...includeDirs(filePath, settings, workspaceFolders).map((d) => `-I${d}`),
        ...settings.clang.extraArgs,
        '-c',
        filePath,
        '-o',
        obj,
      ];
      let result;
      try {
        result = await runProcess(argv, { signal, cwd: path.dirname(filePath) });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES')
          return { status: 'missing', messages: [], output: `${argv.map(quote).join(' ')}\n${String(e)}` };
        throw e;
      }
      const output = `$ ${argv.map(quote).join(' ')}\n${result.stderr}${result.stdout}`;
      if (result.aborted) return { status: 'cancelled', messages: [], output };
      const messages = parseClangOutput(result.stderr);
      const ok = result.code === 0;
      return {
        status: ok ? 'ok' : 'failed',
        messages,
        objectPath: ok ? obj : undefined,
        object: ok ? new Uint8Array(fs.readFileSync(obj)) : undefined,
        output,
      };
    },

    async verify(objectPath, sourcePath, settings, signal): Promise<VerifyResult> {
      if (process.platform !== 'linux')
        return { status: 'unavailable', message: 'Verify in kernel needs Linux.', log: '' };
      if (!fs.existsSync('/sys/fs/bpf'))
        return { status: 'unavailable', message: 'bpffs is not available (/sys/fs/bpf).', log: '' };
      // bpffs names may not contain dots.
      const pin = `/sys/fs/bpf/xdplab_verify_${process.pid}_${++pinSeq}`;
      const argv = [settings.bpftool.path, 'prog', 'loadall', objectPath, pin];
      try {
        let result;
        try {
          result = await runProcess(argv, { signal });
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'EACCES')
            return {
              status: 'unavailable',
              message: `bpftool was not found (xdpLab.bpftool.path = "${settings.bpftool.path}"). Install it: sudo apt-get install bpftool (Debian/Ubuntu) or dnf install bpftool.`,
              log: String(e),
            };
          throw e;
        }
        const log = `$ ${argv.map(quote).join(' ')}\n${result.stderr}${result.stdout}`;
        if (result.code === 0)
          return {
            status: 'accepted',
            message: `The kernel verifier accepted every program in ${path.basename(sourcePath)}.`,
            log,
          };
        const rejection = parseVerifierLog(result.stderr);
        if (/Operation not permitted|EPERM/.test(result.stderr) && !rejection?.line)
          return {
            status: 'unavailable',
            message: 'Loading BPF programs needs root or CAP_BPF (+CAP_NET_ADMIN for XDP).',
            log,
          };
        if (!rejection)
          return {
            status: 'rejected',
            message: result.stderr.split('\n').find((l) => l.trim()) ?? 'bpftool failed',
            log,
          };
        return {
          status: 'rejected',
          message: `${rejection.program ?? 'program'}: ${rejection.message}`,
          program: rejection.program,
          line: rejection.line,
          log,
        };
      } finally {
        fs.rmSync(pin, { recursive: true, force: true });
      }
    },
  };
}
