// The running kernel's BTF for CO-RE (issue 13 item 3): /sys/kernel/btf/vmlinux, read once per
// process and only when an object has a CO-RE relocation that needs it (the read costs ~0.2 s),
// handed to core's loader as bytes; absent (macOS, kernels without BTF) → the bundled BTF.
import { existsSync, readFileSync } from 'node:fs';
import type { KconfigSource, KernelFacts } from '../core/elf/kconfig';
import { kernelConfigOptions } from './kernelConfig';

export const KERNEL_BTF_PATH = '/sys/kernel/btf/vmlinux';

let cached: Uint8Array | null | undefined;

function readKernelBtf(): Uint8Array | undefined {
  if (cached === undefined) {
    try {
      cached = new Uint8Array(readFileSync(KERNEL_BTF_PATH));
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

/**
 * What loadObject/verifyObject take from the running kernel: `{ targetBtf, targetBtfName }` (a lazy
 * reader; absent when this host has no kernel BTF) and the config `.kconfig` externs read
 * (kernelConfig.ts: `kconfigFile` when the user gave one, else the running kernel's).
 */
export function kernelBtfOptions(kconfigFile?: string): {
  targetBtf?: () => Uint8Array | undefined;
  targetBtfName?: string;
  kconfig: () => KconfigSource | undefined;
  kconfigExtra?: KconfigSource;
  kernelFacts: KernelFacts;
} {
  const config = kernelConfigOptions(kconfigFile);
  if (cached === null || !existsSync(KERNEL_BTF_PATH)) return config;
  return {
    targetBtf: readKernelBtf,
    targetBtfName: `the running kernel's BTF (${KERNEL_BTF_PATH})`,
    ...config,
  };
}
