// The "Run Program on a Frame" result panel's contract (issue 13 item 8): what one BPF_PROG_TEST_RUN-
// like run did — the verdict or the fault, the frame before and after (hex; the view decodes layers),
// the maps before and after, printk lines and the VM's notes (a redirect-map miss explained, …).
import { notificationType, requestType, v } from './webviewEndpoint';

export interface RunResultEntry {
  readonly key: string;
  readonly before?: string;
  readonly after?: string;
}

export interface RunResultMap {
  readonly name: string;
  readonly type: string;
  /** Entries that are non-zero before or after (changed ones first), at most MAX_SHOWN_ENTRIES. */
  readonly entries: readonly RunResultEntry[];
  /** How many entries the map holds after the run (array maps: max_entries). */
  readonly total: number;
}

export interface RunResultView {
  readonly program: string;
  readonly section: string;
  /** The object or C file run, as the user knows it (workspace-relative). */
  readonly source: string;
  readonly frameWhat: string;
  readonly outcome:
    | {
        readonly kind: 'action';
        readonly action: string;
        readonly retval: number;
        readonly redirect?: string;
      }
    | { readonly kind: 'fault'; readonly pc: number; readonly line?: string; readonly message: string };
  readonly insns: number;
  readonly frameIn: string;
  readonly frameOut: string;
  readonly maps: readonly RunResultMap[];
  readonly printk: readonly string[];
  readonly notes: readonly string[];
  /**
   * Our verifier's rejection of the program (verdictText.ts verifierWarning: "the kernel's verifier
   * would reject PROG: file:line: message"): it ran anyway, and the panel says so above the verdict.
   */
  readonly verifier?: string;
}

export const MAX_SHOWN_ENTRIES = 256;

const hexString = v.string({ maxLength: 2 * 262_144 });
const entry = v.object({ key: hexString, before: v.optional(hexString), after: v.optional(hexString) });
const text = v.string({ maxLength: 4096 });

export const runResultView = v.as<RunResultView>(
  v.object({
    program: text,
    section: text,
    source: text,
    frameWhat: text,
    outcome: v.tagged('kind', {
      action: v.object({
        kind: v.literal('action'),
        action: text,
        retval: v.number(),
        redirect: v.optional(text),
      }),
      fault: v.object({ kind: v.literal('fault'), pc: v.int(0), line: v.optional(text), message: text }),
    }),
    insns: v.int(0),
    frameIn: hexString,
    frameOut: hexString,
    maps: v.array(
      v.object({
        name: text,
        type: text,
        entries: v.array(entry, { maxLength: MAX_SHOWN_ENTRIES }),
        total: v.int(0),
      }),
      { maxLength: 1024 },
    ),
    printk: v.array(text, { maxLength: 1024 }),
    notes: v.array(text, { maxLength: 1024 }),
    verifier: v.optional(text),
  }),
);

/** view → host, first message: answered with the run's result. */
export const runResultReady = requestType('runResult/ready', v.object({}), runResultView);

/** view → host: the same result as a JSON document (the format `xdp-lab run --json` prints). */
export const runResultOpenJson = notificationType('runResult/openJson', v.object({}));

/** view → host: run the same program on the same frame again (after an edit and a save). */
export const runResultRerun = notificationType('runResult/rerun', v.object({}));

/** host → view: a new result (after Re-run). */
export const runResultDidUpdate = notificationType('runResult/didUpdate', runResultView);
