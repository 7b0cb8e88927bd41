import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameQueue } from './frameQueue';

describe('FrameQueue (ptr_ring of frame references)', () => {
  it('keeps FIFO order across the wrap and refuses a push when full', () => {
    const q = new FrameQueue<number>(3);
    assert.equal(q.push(1) && q.push(2) && q.push(3), true);
    assert.equal(q.push(4), false, 'a full ring refuses (veth: peer_ring_full)');
    assert.equal(q.shift(), 1);
    assert.equal(q.push(4), true);
    const out: number[] = [];
    assert.equal(q.takeInto(out, 8), 3);
    assert.deepEqual(out, [2, 3, 4]);
    assert.equal(q.length, 0);
  });

  it('a growing ring (the backlog) doubles instead of refusing, order kept', () => {
    const q = new FrameQueue<number>(2, true);
    q.push(1);
    q.push(2);
    assert.equal(q.shift(), 1);
    for (let i = 3; i <= 6; i++) assert.equal(q.push(i), true);
    assert.equal(q.capacity >= 5, true);
    const out: number[] = [];
    assert.equal(q.takeInto(out, 2), 2);
    assert.deepEqual(out, [2, 3]);
    assert.equal(q.length, 3);
  });
});
