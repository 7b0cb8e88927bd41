// Run Program on a Frame, globals step (issue 13 item 4): when the object has global variables
// (.rodata knobs, .data/.bss), a quick pick lists them with their types and defaults; each one picked
// gets an input box validated by core's globalBytes, and is set before the run (as `--global` does).
import * as vscode from 'vscode';
import { GlobalError, globalBytes, globalValueText, setGlobal } from '../../core/elf/globals';
import type { GlobalVar } from '../../core/elf/globals';

/** Asks which globals to change and their values; undefined when the user cancels. */
export async function pickGlobals(
  globals: readonly GlobalVar[],
): Promise<Record<string, string> | undefined> {
  if (!globals.length) return {};
  const items = globals.map((g) => ({
    label: g.name,
    description: `${g.type} · ${g.section}`,
    detail: `default ${globalValueText(g)}`,
    g,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Set globals before the run? (pick none to run with the defaults)',
    canPickMany: true,
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  const values: Record<string, string> = {};
  for (const { g } of picked) {
    const value = await vscode.window.showInputBox({
      title: `${g.name} (${g.type})`,
      value: globalValueText(g),
      ignoreFocusOut: true,
      prompt: hint(g),
      validateInput: (text) => {
        try {
          globalBytes(g, text);
          return undefined;
        } catch (e) {
          return e instanceof GlobalError ? e.message : String(e);
        }
      },
    });
    if (value === undefined) return undefined;
    setGlobal(globals, g.name, value);
    values[g.name] = value;
  }
  return values;
}

function hint(g: GlobalVar): string {
  switch (g.shape.kind) {
    case 'int':
      return g.shape.bool
        ? 'true or false'
        : g.shape.enumerators
          ? `one of ${g.shape.enumerators.map((e) => e.name).join(', ')}, or a number`
          : 'a number (decimal or 0x hex) or an XDP action name';
    case 'chars':
      return `a string of up to ${g.shape.length} characters`;
    case 'array':
      return `up to ${g.shape.length} comma-separated numbers`;
    case 'bytes':
      return `${g.size} bytes as 0x… hex`;
  }
}
