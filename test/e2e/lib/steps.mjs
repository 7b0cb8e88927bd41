// The shape of a UI step file (test/e2e/ui/NN-name.ui.mjs) and the loop that runs them.
import fs from 'node:fs';
import path from 'node:path';

/**
 * @typedef {object} UiContext
 * @property {string} workspace absolute path of the scratch copy of examples/ that code-server serves
 * @property {string} baseUrl   code-server's URL
 * @property {string} root      the repository root
 */
/**
 * @typedef {object} UiStep
 * @property {string} name
 * @property {(wb: import('./workbench.mjs').Workbench, ctx: UiContext) => Promise<unknown>} run
 *   resolves (optionally with a detail string) or throws; steps of one file run in order on one page
 */

/** Loads test/e2e/ui/*.ui.mjs in name order; `filter` (a substring) narrows files. */
export async function loadUiFiles(dir, filter) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ui.mjs') && (!filter || f.includes(filter)))
    .sort();
  const out = [];
  for (const f of files) {
    const mod = await import(path.join(dir, f));
    if (!Array.isArray(mod.steps)) throw new Error(`${f} does not export "steps" (an array of {name, run})`);
    out.push({ file: f, steps: mod.steps, freshWindow: mod.freshWindow === true });
  }
  return out;
}
