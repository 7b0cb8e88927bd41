// Messages between the page and the simulator worker (simWorker.ts). One request at a time; the page
// terminates and replaces the worker when a run exceeds its time limit (a hostile scenario cannot
// hang the page). The progress and failure shapes are the extension's worker's too
// (src/protocol/simWorkerMessages.ts).
import type { KconfigSource } from '../core/elf/kconfig';
import type { XdpSummary } from '../core/trace/summary';
import type { SimFailure, SimProgress } from '../protocol/simWorkerMessages';
import type { VisModel } from '../protocol/visualizer';

export type SimWorkerRequest =
  | {
      kind: 'simulate';
      id: number;
      scenarioName: string;
      scenarioText: string;
      /** Base name → bytes. */
      files: [string, Uint8Array][];
      maxSteps: number;
      /** A kernel config the user opened: what `.kconfig` externs read (the CLI's --kconfig FILE). */
      kconfig?: KconfigSource;
    }
  /** Loads one object as the simulator would, to tell the user at once whether it is usable. */
  | { kind: 'inspect'; id: number; name: string; bytes: Uint8Array; kconfig?: KconfigSource };

export type SimWorkerReply =
  | {
      id: number;
      ok: true;
      kind: 'simulate';
      model: VisModel;
      summary: XdpSummary;
      substituted: string[];
      /** Our verifier's verdict per program of the objects the run used. */
      verdicts: { text: string; rejected: boolean }[];
      ms: number;
    }
  /** Not a reply: a long simulate request's counts so far (any number, before its reply). */
  | ({ id: number; ok: true } & SimProgress)
  /** `needsConfig`: the object is usable once a kernel config is opened (the loader's reason why). */
  | { id: number; ok: true; kind: 'inspect'; programs: string[]; maps: string[]; needsConfig?: string }
  /** `stopped`: the user stopped the run (not a failure). */
  | ({ id: number } & SimFailure);
