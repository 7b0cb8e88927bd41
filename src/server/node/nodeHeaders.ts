// Go to definition into headers (issue 12 item 2), Node only: clang's include search path (what
// `clang -target bpf -E -v` prints, after the -I dirs the compile uses), headers indexed lazily with
// core/analysis/headerIndex and cached per file mtime, and a breadth-first walk of the #includes.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { indexHeader } from '../../core/analysis/headerIndex';
import type { HeaderIndex } from '../../core/analysis/headerIndex';
import { runProcess } from '../../node/process';
import type { LanguageSettings } from '../../protocol/lsp';
import type { HeaderLocation, HeaderLookup, HeaderQuery } from '../services';
import { includeDirs } from './nodeToolchain';

/** Headers visited per lookup at most: vmlinux.h-free trees stay far below (bpf_helpers.h: ~10). */
const MAX_HEADERS = 400;

/** The `#include <...>` directories clang searches, from `clang -target bpf -E -v -x c /dev/null`. */
export function parseClangSearchDirs(stderr: string): string[] {
  const out: string[] = [];
  let on = false;
  for (const line of stderr.split('\n')) {
    if (/^#include .* search starts here:/.test(line)) on = true;
    else if (/^End of search list\./.test(line)) break;
    else if (on && line.startsWith(' ')) out.push(line.trim().replace(/ \(framework directory\)$/, ''));
  }
  return out;
}

export function createNodeHeaders(): HeaderLookup {
  const systemDirs = new Map<string, Promise<string[]>>();
  const indexes = new Map<string, { mtimeMs: number; index: HeaderIndex }>();

  function clangDirs(settings: LanguageSettings): Promise<string[]> {
    const argv = [
      settings.clang.path,
      '-target',
      'bpf',
      ...settings.clang.extraArgs,
      '-E',
      '-v',
      '-x',
      'c',
      '/dev/null',
      '-o',
      '/dev/null',
    ];
    const key = argv.join('\0');
    let dirs = systemDirs.get(key);
    if (!dirs) {
      dirs = runProcess(argv).then(
        (r) => parseClangSearchDirs(r.stderr),
        // No clang: the usual places, so definitions still work where headers are installed.
        () => ['/usr/local/include', '/usr/include'],
      );
      systemDirs.set(key, dirs);
    }
    return dirs;
  }

  async function indexOf(file: string): Promise<HeaderIndex | undefined> {
    try {
      const st = await fs.promises.stat(file);
      const hit = indexes.get(file);
      if (hit && hit.mtimeMs === st.mtimeMs) return hit.index;
      const index = indexHeader(await fs.promises.readFile(file, 'utf8'));
      indexes.set(file, { mtimeMs: st.mtimeMs, index });
      return index;
    } catch {
      return undefined;
    }
  }

  const exists = (p: string): boolean => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };

  function lookIn(index: HeaderIndex, q: HeaderQuery): { line: number; character: number } | undefined {
    if (q.kind === 'include') return undefined;
    if (q.kind === 'tag') return index.tags.get(q.name)?.at;
    if (q.kind === 'field') return index.tags.get(q.struct)?.fields.get(q.name);
    return index.names.get(q.name);
  }

  return {
    async find(query, includes, filePath, settings, workspaceFolders): Promise<HeaderLocation | undefined> {
      const dirs = [
        ...(filePath ? includeDirs(filePath, settings, workspaceFolders) : settings.clang.includePaths),
        ...(await clangDirs(settings)),
      ];
      const resolve = (
        inc: { path: string; system: boolean },
        from: string | undefined,
      ): string | undefined => {
        if (path.isAbsolute(inc.path)) return exists(inc.path) ? inc.path : undefined;
        // "quoted" looks beside the including file first, then the <system> path.
        if (!inc.system && from) {
          const here = path.join(path.dirname(from), inc.path);
          if (exists(here)) return here;
        }
        for (const d of dirs) {
          const p = path.join(d, inc.path);
          if (exists(p)) return p;
        }
        return undefined;
      };
      if (query.kind === 'include') {
        const f = resolve(query, filePath);
        return f ? { uri: pathToFileURL(f).href, line: 0, character: 0 } : undefined;
      }
      const start = [...includes];
      // A helper is declared in bpf_helper_defs.h even when the file reaches it another way (vmlinux.h + a local copy).
      if (query.kind === 'name' && query.name.startsWith('bpf_'))
        start.push({ path: 'bpf/bpf_helper_defs.h', system: true });
      const queue: { file: string }[] = [];
      const seen = new Set<string>();
      for (const inc of start) {
        const f = resolve(inc, filePath);
        if (f && !seen.has(f)) {
          seen.add(f);
          queue.push({ file: f });
        }
      }
      for (let i = 0; i < queue.length && i < MAX_HEADERS; i++) {
        const file = queue[i]?.file ?? '';
        const index = await indexOf(file);
        if (!index) continue;
        const at = lookIn(index, query);
        if (at) return { uri: pathToFileURL(file).href, line: at.line, character: at.character };
        for (const inc of index.includes) {
          const f = resolve(inc, file);
          if (f && !seen.has(f)) {
            seen.add(f);
            queue.push({ file: f });
          }
        }
      }
      return undefined;
    },
  };
}
