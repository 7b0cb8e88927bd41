// One frame through a program, in the kernel and in the VM, with the same outcome shape: the
// differential tests (vmDifferential) and the maps-after-runs harness (mapRuns) compare these.
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedObject } from '../../../src/core/elf/loadObject';
import { TestRunError } from '../../../src/core/vm/xdpBuffer';
import { run } from './exec';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** What one run gave: the return value and the frame out, or why there was none. */
export interface Outcome {
  retval?: number;
  dataOut?: string;
  error?: string;
}

/** `bpftool prog run` of the pinned program on CPU 0 (taskset), through files in `dir`. */
export function kernelRun(pin: string, frame: Uint8Array, dir: string): Outcome {
  const inFile = path.join(dir, 'testrun-in.bin');
  const outFile = path.join(dir, 'testrun-out.bin');
  fs.writeFileSync(inFile, frame);
  fs.rmSync(outFile, { force: true });
  const r = run(
    [
      'taskset',
      '-c',
      '0',
      'bpftool',
      'prog',
      'run',
      'pinned',
      pin,
      'data_in',
      inFile,
      'data_out',
      outFile,
      'data_size_out',
      '65536',
    ],
    { allowFailure: true },
  );
  const m = /Return value: (\d+)/.exec(r.stdout);
  if (r.status !== 0 || !m) return { error: 'refused' };
  return { retval: Number(m[1]), dataOut: hex(new Uint8Array(fs.readFileSync(outFile))) };
}

/** The VM's testRun of `prog` on CPU 0: a refusal as the kernel's 'refused', a fault by its place. */
export function vmRun(obj: LoadedObject, prog: string, frame: Uint8Array): Outcome {
  const p = obj.program(prog);
  if (!p) return { error: `no program ${prog}` };
  try {
    const r = p.testRun(frame, { cpu: 0 });
    if (r.fault) return { error: `fault: ${r.fault.message} at ${r.fault.line ?? r.fault.pc}` };
    return { retval: r.retval, dataOut: hex(r.dataOut) };
  } catch (e) {
    if (e instanceof TestRunError) return { error: 'refused' };
    throw e;
  }
}
