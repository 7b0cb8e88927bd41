// HashIndex's lookups on keys whose hashes collide: a find must compare every word of the key (the
// 1–4-word path of find() as much as readKey's loop), so two keys built to share a hash are told
// apart. The hash (FNV-1a-style words, then fmix) is invertible word by word, so colliding keys
// can be made: for words a, b and c', c = imul(A ^ b, P) ^ imul(A ^ b', P) ^ c' gives equal sums.
import assert from 'node:assert/strict';
import test from 'node:test';
import { HashIndex } from './hashIndex';
import { MapMemory } from './mapMemory';

const P = 0x01000193;

/** Two keys of `words` words (≥ 2) that differ in words j and j + 1 only and hash alike. */
function collidingKeys(words: number, j: number): [DataView, DataView] {
  const a = new DataView(new ArrayBuffer(4 * words));
  const b = new DataView(new ArrayBuffer(4 * words));
  for (let w = 0; w < words; w++) {
    a.setInt32(4 * w, 0x1000 + w, true);
    b.setInt32(4 * w, 0x1000 + w, true);
  }
  // The running sum before word j is the same for both keys, and so is the one after word j + 1.
  let h = 0x811c9dc5 ^ (4 * words);
  for (let w = 0; w < j; w++) h = Math.imul(h ^ a.getInt32(4 * w, true), P);
  const x = a.getInt32(4 * j, true);
  const y = x ^ 0x55;
  b.setInt32(4 * j, y, true);
  const next = a.getInt32(4 * (j + 1), true);
  b.setInt32(4 * (j + 1), Math.imul(h ^ x, P) ^ Math.imul(h ^ y, P) ^ next, true);
  return [a, b];
}

void test('keys of 2–5 words whose hashes collide are told apart (every word compared)', () => {
  for (const words of [2, 3, 4, 5])
    for (let j = 0; j + 1 < words; j++) {
      const [a, b] = collidingKeys(words, j);
      const idx = new HashIndex(4 * words, 16, new MapMemory(), 'h');
      const sa = idx.insert(a, 0);
      assert.equal(idx.find(b, 0), -1, `${words} words, ${j}, ${j}: the other key is absent`);
      const sb = idx.insert(b, 0);
      assert.notEqual(sa, sb);
      assert.equal(idx.find(a, 0), sa, `${words} words, ${j}, ${j}`);
      assert.equal(idx.find(b, 0), sb, `${words} words, ${j}, ${j}`);
      idx.remove(sa);
      assert.equal(idx.find(a, 0), -1, `${words} words, ${j}, ${j}: removed`);
      assert.equal(idx.find(b, 0), sb, `${words} words, ${j}, ${j}: the other stays`);
    }
});

void test('a key read at an offset inside a larger buffer (a stack slot) finds the same slot', () => {
  const idx = new HashIndex(12, 16, new MapMemory(), 'h');
  const key = new DataView(new ArrayBuffer(12));
  key.setInt32(0, 10, true);
  key.setInt32(4, 20, true);
  key.setInt32(8, 30, true);
  const s = idx.insert(key, 0);
  const frame = new DataView(new ArrayBuffer(64));
  for (let i = 0; i < 12; i++) frame.setUint8(37 + i, key.getUint8(i));
  assert.equal(idx.find(frame, 37), s);
  frame.setUint8(48, 31);
  assert.equal(idx.find(frame, 37), -1);
});
