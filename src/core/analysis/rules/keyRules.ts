// Hash map keys with padding. The kernel hashes and compares every byte of a key, padding included;
// a struct key filled field by field leaves its padding holding whatever was on the stack (a root-
// loaded program may read uninitialised stack), so lookups miss entries user space inserted with a
// zeroed key — the classic "my flow table never matches" bug. Zeroing the key first fixes it.
//
// Deliberately narrow, so correct programs never see it: a local `struct K k;` declared without an
// initializer, whose only uses before the map call are member assignments (`k.f = …`) and other
// map calls (which only read it), passed as
// `&k` to bpf_map_lookup/update/delete_elem of a hash-type map whose BTF key type is `struct K`
// with padding. Any other use of `k` first (memset, an initializer, `k = …`, `&k` passed elsewhere)
// counts as initialised.
import type { SyntaxNode } from '../syntaxTree';
import type { QuickFix } from '../diagnostic';
import type { HelperCall } from '../fileModel';
import type { RuleContext } from './ruleContext';

/** HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE, HASH_OF_MAPS: keys hashed/compared whole. */
const HASHED_KEY_MAPS = new Set([1, 5, 9, 10, 11, 13]);
const KEY_HELPERS = new Set([
  'bpf_map_lookup_elem',
  'bpf_map_update_elem',
  'bpf_map_delete_elem',
  'bpf_map_lookup_percpu_elem',
]);

/** The identifier `&name` points to, when the argument is exactly that. */
function addressOf(arg: SyntaxNode | undefined): SyntaxNode | undefined {
  let n: SyntaxNode | null | undefined = arg;
  while (n?.type === 'parenthesized_expression') n = n.namedChildren[0];
  if (n?.type !== 'pointer_expression' || n.child(0)?.text !== '&') return undefined;
  const target = n.childForFieldName('argument');
  return target?.type === 'identifier' ? target : undefined;
}

/** `k.f = …` (or `k.f[i] = …`, `k.a.b = …`): the identifier is the base of an assignment's target. */
function isMemberStore(id: SyntaxNode): boolean {
  let n: SyntaxNode = id;
  let sawMember = false;
  for (let p = n.parent; p; n = p, p = p.parent) {
    if (p.type === 'field_expression' && p.childForFieldName('argument')?.id === n.id) {
      if (p.child(1)?.text !== '.') return false; // k->f is not a member of k itself
      sawMember = true;
      continue;
    }
    if (p.type === 'subscript_expression' && p.childForFieldName('argument')?.id === n.id && sawMember)
      continue;
    return sawMember && p.type === 'assignment_expression' && p.childForFieldName('left')?.id === n.id;
  }
  return false;
}

/** `&k` as the key argument of another map call: map helpers only read the key. */
function isKeyArgOfMapCall(id: SyntaxNode): boolean {
  const ptr = id.parent;
  if (ptr?.type !== 'pointer_expression' || ptr.child(0)?.text !== '&') return false;
  const list = ptr.parent;
  const call = list?.parent;
  if (list?.type !== 'argument_list' || call?.type !== 'call_expression') return false;
  return (
    KEY_HELPERS.has(call.childForFieldName('function')?.text ?? '') && list.namedChildren[1]?.id === ptr.id
  );
}

export function checkMapKeyPadding(ctx: RuleContext): void {
  for (const call of ctx.model.calls) check(ctx, call);
}

function check(ctx: RuleContext, call: HelperCall): void {
  if (!KEY_HELPERS.has(call.name)) return;
  const map = ctx.mapOfArg(call.args[0]);
  if (!map?.type || !HASHED_KEY_MAPS.has(map.type.value)) return;
  const keyType = map.attrs.get('key')?.value.replace(/\s+/g, ' ').trim();
  if (!keyType?.startsWith('struct ')) return;
  const layout = ctx.model.structs.get(keyType);
  if (!layout || layout.padding <= 0) return;
  const id = addressOf(call.args[1]);
  const fn = ctx.functionAt(call.node.startIndex);
  if (!id || !fn) return;

  // The declaration: `struct K k;` in this function, before the call, without an initializer.
  let decl: SyntaxNode | undefined;
  for (const n of fn.node.descendantsOfType('declaration')) {
    if (!n || n.startIndex >= call.node.startIndex) break;
    if (n.childForFieldName('type')?.text.replace(/\s+/g, ' ') !== keyType) continue;
    for (const d of n.childrenForFieldName('declarator'))
      if (d?.type === 'identifier' && d.text === id.text) decl = n;
      else if (d?.type === 'init_declarator' && d.childForFieldName('declarator')?.text === id.text)
        decl = undefined; // initialised (= {}, = {0}, designated, …): the compiler zeroes or fills it
  }
  if (!decl) return;

  // Uses between the declaration and the call: member stores only.
  for (const n of fn.node.descendantsOfType('identifier')) {
    if (!n || n.startIndex <= decl.endIndex) continue;
    if (n.startIndex >= call.node.startIndex) break;
    if (n.text === id.text && !isMemberStore(n) && !isKeyArgOfMapCall(n)) return;
  }

  const indent = /[ \t]*$/.exec(ctx.model.text.slice(0, decl.startIndex))?.[0] ?? '';
  const memset = `__builtin_memset(&${id.text}, 0, sizeof(${id.text}));`;
  const fixes: QuickFix[] = [
    {
      title: `Zero ${id.text} after its declaration`,
      edits: [
        { range: ctx.range({ start: decl.endIndex, end: decl.endIndex }), newText: `\n${indent}${memset}` },
      ],
      preferred: true,
    },
  ];
  ctx.report(
    'map-key-padding',
    { start: call.args[1]!.startIndex, end: call.args[1]!.endIndex },
    `${keyType} has ${layout.padding} padding byte${layout.padding > 1 ? 's' : ''} and ${id.text} is filled field by field: ` +
      `the kernel hashes all ${layout.size} bytes of the key, so the padding holds stack garbage and ${call.name} ` +
      `on ${map.name} can miss entries inserted with a zeroed key. Zero it first: ${memset}`,
    { fixes },
  );
}
