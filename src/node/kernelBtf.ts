// The running kernel's BTF for CO-RE (issue 13 item 3): /sys/kernel/btf/vmlinux read once per
// process, handed to core's loader as bytes; absent (macOS, kernels without BTF) → the loader's
// bundled BTF.
import { readFileSync } from 'node:fs';

export const KERNEL_BTF_PATH = '/sys/kernel/btf/vmlinux';

let cached: { bytes: Uint8Array; name: string } | null | undefined;

/** `{ targetBtf, targetBtfName }` for loadObject, or {} when this host has no kernel BTF. */
export function kernelBtfOptions(): { targetBtf?: Uint8Array; targetBtfName?: string } {
  if (cached === undefined) {
    try {
      cached = {
        bytes: new Uint8Array(readFileSync(KERNEL_BTF_PATH)),
        name: `the running kernel's BTF (${KERNEL_BTF_PATH})`,
      };
    } catch {
      cached = null;
    }
  }
  return cached ? { targetBtf: cached.bytes, targetBtfName: cached.name } : {};
}
