// What a command says when what it needs is missing (the product rule: every path from the palette
// leads somewhere useful): the one place the wording and the offered next steps live. Pure — no
// vscode — so it is unit-tested; preconditions.ts shows these and performs the chosen step.

/** A next step a message offers as a button; preconditions.ts knows how to perform each. */
export type NextStep =
  | 'Open a Program…'
  | 'Create Example'
  | 'Open Folder…'
  | 'Create Starter Scenario'
  | 'Show Output'
  | 'Show Problems';

/** One message and the buttons it offers, in order. */
export interface Need {
  readonly message: string;
  readonly steps: readonly NextStep[];
}

/** What a file is to XDP Lab's commands. */
export type ProgramFileKind =
  /** C with a SEC("xdp…") function: every program command takes it. */
  | 'xdp-source'
  /** C without one (a tc program, a header, plain C): compile and verify take it, run does not. */
  | 'c-source'
  /** A compiled object (.o): run and debug take it. */
  | 'object'
  /** Anything else: a scenario, a capture, markdown, an output channel. */
  | 'other';

/** An XDP program's section as libbpf names them (xdp, xdp.frags, xdp/devmap, …). */
const XDP_SECTION = /\bSEC\s*\(\s*"xdp[^"]*"\s*\)/;

/** What `path` (a URI path or file name) with `text` (its contents, when text) is. */
export function programFileKind(path: string, languageId: string | undefined, text: string): ProgramFileKind {
  if (/\.o$/.test(path)) return 'object';
  if (languageId !== 'c' && !/\.[ch]$/.test(path)) return 'other';
  return XDP_SECTION.test(text) ? 'xdp-source' : 'c-source';
}

/** Whether a command that needs `wants` can take a file of `kind`. */
export function takes(wants: 'xdp' | 'c', kind: ProgramFileKind): boolean {
  return wants === 'xdp' ? kind === 'xdp-source' || kind === 'object' : kind !== 'other';
}

const baseName = (p: string): string => p.split(/[\\/]/).pop() ?? p;

/**
 * `command` (its palette title) needs a program and none is at hand. `active`: the file in the
 * editor that is not one (its path and kind), if any; `hasFolder`: a folder is open.
 */
export function missingProgram(
  command: string,
  wants: 'xdp' | 'c',
  active: { path: string; kind: ProgramFileKind } | undefined,
  hasFolder: boolean,
): Need {
  const what =
    wants === 'xdp' ? 'an XDP program (a .c file with a SEC("xdp") function, or its .o)' : 'a BPF C file';
  const why =
    active?.kind === 'c-source'
      ? `${command} needs an XDP program, and ${baseName(active.path)} has none (no SEC("xdp") function)`
      : active
        ? `${baseName(active.path)} is not ${what}`
        : hasFolder
          ? `${command} needs ${what}, and this workspace has none`
          : `${command} needs ${what}; no folder is open`;
  return {
    message: `XDP Lab: ${why}. Open one, or create the example (an XDP program and its scenarios).`,
    steps: ['Open a Program…', 'Create Example'],
  };
}

/** `command` needs a scenario (*.xdpscenario.json) and the workspace has none. */
export function missingScenario(command: string, hasFolder: boolean): Need {
  return hasFolder
    ? {
        message: `XDP Lab: ${command} needs a scenario (*.xdpscenario.json), and this workspace has none. Create a starter scenario for an XDP program, or create the example.`,
        steps: ['Create Starter Scenario', 'Create Example'],
      }
    : {
        message: `XDP Lab: ${command} needs a scenario (*.xdpscenario.json); no folder is open. Open a folder with one, or create the example.`,
        steps: ['Open Folder…', 'Create Example'],
      };
}

/** `command` writes into or reads the workspace (`why`) and no folder is open. */
export function missingFolder(command: string, why: string): Need {
  return {
    message: `XDP Lab: ${command} needs an open folder: ${why}.`,
    steps: ['Open Folder…', 'Create Example'],
  };
}

/**
 * clang refused `file`: its first error, with the file's directory left out (the path is long and
 * the user knows where the file is), e.g. `nu.bpf.c:7:18: error: expected ';' after return statement`.
 */
export function compileFailure(file: string, stderr: string): Need {
  const first =
    stderr
      .split('\n')
      .find((l) => /\berror: /.test(l))
      ?.trim() ?? '';
  const dir = file.slice(0, file.length - baseName(file).length);
  const line = dir ? first.split(dir).join('') : first;
  return {
    message: `XDP Lab: ${baseName(file)} does not compile${line ? `: ${line}` : ''}.`,
    steps: ['Show Problems', 'Show Output'],
  };
}

/** The longest capture a duration input takes: a week (a longer one is a typo, not a plan). */
export const MAX_CAPTURE_SECONDS = 7 * 24 * 3600;

/** Why `text` is not a capture duration (whole seconds, 0 = until stopped), or undefined. */
export function durationProblem(text: string): string | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return 'a whole number of seconds (0 = until stopped)';
  if (Number(t) > MAX_CAPTURE_SECONDS)
    return `at most ${MAX_CAPTURE_SECONDS} seconds (a week); 0 captures until stopped`;
  return undefined;
}
