// Signature help for BPF helper calls: the prototype with the active argument.
import { MarkupKind } from 'vscode-languageserver';
import type { Position, SignatureHelp } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { helperByName, helperPrototype } from '../core/bpf/helperCatalog';
import { callAt } from './wordAt';

export function signatureHelp(doc: TextDocument, pos: Position): SignatureHelp | null {
  const call = callAt(doc.getText(), doc.offsetAt(pos));
  if (!call) return null;
  const h = helperByName(call.name === 'bpf_printk' ? 'bpf_trace_printk' : call.name);
  if (!h || (h.name !== call.name && call.name !== 'bpf_printk')) return null;
  const label = helperPrototype(h);
  const open = label.indexOf('(') + 1;
  let at = open;
  const parameters = h.args.map((a) => {
    const text = a.type === '...' ? '...' : `${a.type}${a.type.endsWith('*') ? '' : ' '}${a.name}`;
    const start = label.indexOf(text, at);
    at = start + text.length;
    return { label: [start, start + text.length] as [number, number] };
  });
  const variadic = h.args[h.args.length - 1]?.type === '...';
  const active = Math.min(call.argIndex, Math.max(0, h.args.length - 1));
  return {
    signatures: [{ label, documentation: { kind: MarkupKind.Markdown, value: h.summary }, parameters }],
    activeSignature: 0,
    activeParameter: variadic || call.argIndex < h.args.length ? active : h.args.length,
  };
}
