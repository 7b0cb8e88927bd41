// The playground's shareable state: program, scenario, opened objects and kernel config, saved to a file
// (*.xdplab.json) and, when small enough, encoded in the URL fragment (#s=…, deflate + base64url).
// Reading is validation: a file or a link is untrusted input, and every failure names what is wrong.

export interface PlaygroundState {
  program: { name: string; text: string };
  scenario: { name: string; text: string };
  /** Objects the user opened (examples are referenced by name, not copied). */
  objects: { name: string; bytes: Uint8Array }[];
  example?: string;
  /** A kernel config the user opened (its text, gunzipped): what `.kconfig` externs read. */
  kconfig?: { name: string; text: string };
}

export const STATE_FORMAT = 'xdp-lab-playground';
/** Longest fragment written: beyond it browsers and chat tools start truncating links. */
export const MAX_FRAGMENT_CHARS = 8000;
const MAX_TEXT = 1 << 20;
const MAX_OBJECT = 8 << 20;

const fileName = /^[\w.+-]{1,128}$/;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function stateToJson(state: PlaygroundState): string {
  return JSON.stringify({
    format: STATE_FORMAT,
    version: 1,
    ...(state.example ? { example: state.example } : {}),
    program: state.program,
    scenario: state.scenario,
    objects: state.objects.map((o) => ({ name: o.name, base64: toBase64(o.bytes) })),
    ...(state.kconfig ? { kconfig: state.kconfig } : {}),
  });
}

export function stateFromJson(text: string): PlaygroundState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const o = raw as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || o.format !== STATE_FORMAT)
    throw new Error(`not a saved playground (expected "format": "${STATE_FORMAT}")`);
  if (o.version !== 1)
    throw new Error(`version ${String(o.version)} is not supported (this page reads version 1)`);
  const doc = (key: string): { name: string; text: string } => {
    const d = o[key] as { name?: unknown; text?: unknown } | undefined;
    if (!d || typeof d !== 'object' || typeof d.name !== 'string' || !fileName.test(d.name))
      throw new Error(`${key}.name must be a plain file name`);
    if (typeof d.text !== 'string' || d.text.length > MAX_TEXT)
      throw new Error(`${key}.text must be a string of at most 1 MiB`);
    return { name: d.name, text: d.text };
  };
  const objects = Array.isArray(o.objects) ? o.objects : [];
  if (objects.length > 32) throw new Error('objects: more than 32');
  return {
    program: doc('program'),
    scenario: doc('scenario'),
    ...(typeof o.example === 'string' && fileName.test(o.example) ? { example: o.example } : {}),
    // Optional (files saved before it existed have none); when present it is checked like the others.
    ...(o.kconfig !== undefined ? { kconfig: doc('kconfig') } : {}),
    objects: objects.map((x: unknown, i: number) => {
      const ob = x as { name?: unknown; base64?: unknown };
      if (typeof ob?.name !== 'string' || !fileName.test(ob.name))
        throw new Error(`objects[${i}].name must be a plain file name`);
      if (typeof ob.base64 !== 'string' || ob.base64.length > (MAX_OBJECT * 4) / 3 + 4)
        throw new Error(`objects[${i}].base64 must be base64 of at most 8 MiB`);
      try {
        return { name: ob.name, bytes: fromBase64(ob.base64) };
      } catch {
        throw new Error(`objects[${i}].base64 is not base64`);
      }
    }),
  };
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/** `s=<deflate-raw, base64url>`, or undefined when the state is too big for a link. */
export async function stateToFragment(state: PlaygroundState): Promise<string | undefined> {
  const packed = await pipe(
    new TextEncoder().encode(stateToJson(state)),
    new CompressionStream('deflate-raw'),
  );
  const b64 = toBase64(packed).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return b64.length + 2 <= MAX_FRAGMENT_CHARS ? `s=${b64}` : undefined;
}

export async function stateFromFragment(fragment: string): Promise<PlaygroundState | undefined> {
  const m = /^#?s=([A-Za-z0-9_-]+)$/.exec(fragment);
  if (!m?.[1]) return undefined;
  const b64 = m[1].replace(/-/g, '+').replace(/_/g, '/');
  let packed: Uint8Array;
  try {
    packed = fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  } catch {
    throw new Error('the link is damaged (not base64url)');
  }
  let text: string;
  try {
    text = new TextDecoder().decode(await pipe(packed, new DecompressionStream('deflate-raw')));
  } catch {
    throw new Error('the link is damaged (cannot be decompressed)');
  }
  return stateFromJson(text);
}
