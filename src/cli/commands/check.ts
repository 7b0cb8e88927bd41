// `xdp-lab check FILE.c [--json]` (cli.md): the XDP C analyzer the language server uses, headless.
// Exit 1 when any error is reported, 2 for bad usage or an unreadable file.
import fs from 'node:fs';
import path from 'node:path';
import { createAnalyzer } from '../../core/analysis/analyzer';
import type { AnalysisDiagnostic } from '../../core/analysis/diagnostic';
import { parseArgs } from '../args';
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

/** The tree-sitter WASM next to dist/cli.js, or in node_modules when run from sources. */
function wasmFile(distName: string, moduleFile: string): Uint8Array {
  const candidates = [
    path.join(__dirname, distName),
    path.resolve(__dirname, '../../..', 'dist', distName),
    path.resolve(__dirname, '../../..', 'node_modules', moduleFile),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found)
    throw usageError(
      'check',
      `${distName} is missing next to the CLI (looked in ${candidates.join(', ')}); rebuild with npm run build`,
    );
  return new Uint8Array(fs.readFileSync(found));
}

export interface CheckJsonDiagnostic {
  readonly line: number;
  readonly character: number;
  readonly severity: 'error' | 'warning' | 'info';
  readonly code: string;
  readonly message: string;
}

export function toCheckJson(d: AnalysisDiagnostic): CheckJsonDiagnostic {
  const severity = d.severity === 'error' || d.severity === 'warning' ? d.severity : 'info';
  return {
    line: d.range.start.line,
    character: d.range.start.character,
    severity,
    code: d.code,
    message: d.message,
  };
}

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Run the XDP C analyzer on a file',
  usage:
    'xdp-lab check FILE.c [--json]\n\nRuns the analyzer of the XDP C language server on FILE.c and prints its diagnostics\n(human form: FILE:LINE:COL: severity: message [code], 1-based). Exit 1 when any error is reported.',
  async run(argv, io) {
    const args = parseArgs(argv, { json: 'boolean' }, 'check');
    const [file, ...extra] = args.positionals;
    if (!file) throw usageError('check', 'missing FILE.c (usage: xdp-lab check FILE.c [--json])');
    if (extra.length) throw usageError('check', `one file at a time (got ${args.positionals.length})`);
    // The analyzer reads C: anything else would "pass" with 0 errors, which tells the user nothing.
    if (!/\.[ch]$/.test(file))
      throw usageError(
        file,
        /\.o$/.test(file)
          ? 'a BPF object, not C source: check reads FILE.c (xdp-lab verify judges an object)'
          : 'not a C file (.c or .h): check runs the XDP C analyzer on source',
      );
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EISDIR')
        throw usageError(file, 'is a directory: check reads one C file');
      throw usageError(file, `cannot read it: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
    }
    const analyzer = await createAnalyzer({
      runtime: wasmFile('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm'),
      language: wasmFile('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm'),
    });
    const analysis = analyzer.analyze(text);
    const diagnostics = analysis.diagnostics.map(toCheckJson);
    analysis.dispose();
    if (args.options.get('json')) io.stdout(JSON.stringify({ diagnostics }) + '\n');
    else {
      for (const d of diagnostics)
        io.stdout(`${file}:${d.line + 1}:${d.character + 1}: ${d.severity}: ${d.message} [${d.code}]\n`);
      const errors = diagnostics.filter((d) => d.severity === 'error').length;
      io.stderr(`${file}: ${errors} error(s), ${diagnostics.length - errors} other diagnostic(s)\n`);
    }
    return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  },
};
