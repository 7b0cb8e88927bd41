// A reader of .BTF.ext: line info (instruction → file:line:column and the source line's text) for
// faults, stepping and the visualizer, and the CO-RE relocation records the loader must vet.
import type { Btf } from './btf';
import { ElfError } from './elfFile';

export interface LineInfo {
  /** Byte offset of the instruction inside its ELF section. */
  insnOff: number;
  file: string;
  line: number;
  column: number;
  /** The source line as clang recorded it. */
  text: string;
}

export interface CoreRelo {
  insnOff: number;
  typeId: number;
  access: string;
  /** enum bpf_core_relo_kind: 0 field byte offset, … */
  kind: number;
}

export interface BtfExt {
  /** Line info per section name. */
  lines: Map<string, LineInfo[]>;
  coreRelos: Map<string, CoreRelo[]>;
}

export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const out: BtfExt = { lines: new Map(), coreRelos: new Map() };
  if (bytes.length < 24) throw new ElfError('.BTF.ext is truncated (no header)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint16(0, true) !== 0xeb9f) throw new ElfError('.BTF.ext has a bad magic');
  const hdrLen = dv.getUint32(4, true);
  const block = (
    off: number,
    len: number,
    what: string,
    each: (sec: string, rec: number, recSize: number) => void,
  ): void => {
    if (len === 0) return;
    const start = hdrLen + off;
    const end = start + len;
    if (end > bytes.length || len < 4) throw new ElfError(`.BTF.ext ${what} runs past its end (truncated)`);
    const recSize = dv.getUint32(start, true);
    if (recSize < 16) throw new ElfError(`.BTF.ext ${what} record size ${recSize} is too small`);
    let o = start + 4;
    while (o + 8 <= end) {
      const sec = btf.str(dv.getUint32(o, true));
      const n = dv.getUint32(o + 4, true);
      o += 8;
      if (o + n * recSize > end) throw new ElfError(`.BTF.ext ${what} of section '${sec}' is truncated`);
      for (let i = 0; i < n; i++, o += recSize) each(sec, o, recSize);
    }
  };
  block(dv.getUint32(16, true), dv.getUint32(20, true), 'line info', (sec, o) => {
    const lineCol = dv.getUint32(o + 12, true);
    const list = out.lines.get(sec) ?? [];
    list.push({
      insnOff: dv.getUint32(o, true),
      file: btf.str(dv.getUint32(o + 4, true)),
      text: btf.str(dv.getUint32(o + 8, true)),
      line: lineCol >>> 10,
      column: lineCol & 0x3ff,
    });
    out.lines.set(sec, list);
  });
  if (hdrLen >= 32) {
    block(dv.getUint32(24, true), dv.getUint32(28, true), 'CO-RE relocations', (sec, o) => {
      const list = out.coreRelos.get(sec) ?? [];
      list.push({
        insnOff: dv.getUint32(o, true),
        typeId: dv.getUint32(o + 4, true),
        access: btf.str(dv.getUint32(o + 8, true)),
        kind: dv.getUint32(o + 12, true),
      });
      out.coreRelos.set(sec, list);
    });
  }
  return out;
}
