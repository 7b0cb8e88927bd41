// A kernel config opened in the playground (a copy of /boot/config-$(uname -r) or /proc/config.gz):
// the page's twin of src/node/kernelConfig.ts's readKconfigFile. A browser has no config of its own,
// so an object with a strong `extern … __kconfig` (CONFIG_HZ…) runs only once the user gives one.
import { kconfigSourceOf, type KconfigSource } from '../core/elf/kconfig';

/** The end of a strong CONFIG_ extern's message in the page: how to give a config here. */
export const PLAYGROUND_CONFIG_HINT =
  'open the kernel config in the page with "Open files…" (a copy of /boot/config-$(uname -r), or of /proc/config.gz as it is)';

/** Why a browser has none (the first half of that message). */
export const PLAYGROUND_NO_CONFIG = 'a browser has no kernel config';

/**
 * Names a kernel config goes by: config-6.18.0-1-amd64 (/boot), config.gz (/proc), .config (a
 * kernel tree), *.config, kconfig. Sources, objects and the page's own files are never configs.
 */
export function isKernelConfigName(name: string): boolean {
  if (/\.(c|h|o|json|pcap)$/i.test(name)) return false;
  return /(^|[._-])k?config([._-]|$)/i.test(name);
}

/** A config's text from the bytes of a file opened in the page (gzip or plain), or why not. */
export async function readKernelConfig(name: string, bytes: Uint8Array): Promise<KconfigSource> {
  let plain = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const out = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
      plain = new Uint8Array(await new Response(out).arrayBuffer());
    } catch (e) {
      throw new Error(
        `cannot read the kernel config ${name}: bad gzip data (${e instanceof Error ? e.message : String(e)})`,
      );
    }
  }
  const source = kconfigSourceOf(plain, name);
  // A config has CONFIG_X=… lines or "# CONFIG_X is not set" ones; a text without either was
  // opened by mistake, and would make every strong extern "not set in" it.
  if (!/^(CONFIG_\w+=|# CONFIG_\w+ is not set)/m.test(source.text))
    throw new Error(`${name} is not a kernel config: no CONFIG_X=… line in it`);
  return source;
}

/** How many options a config sets (CONFIG_X=… lines), for the page to show. */
export const kconfigOptionCount = (text: string): number => text.match(/^CONFIG_\w+=/gm)?.length ?? 0;
