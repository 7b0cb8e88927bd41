// The bench's paired rounds (bench/lib/pairedRounds.ts): the order in which kernel and our rounds
// run (ABBA, round-robin over variants), which kernel round each of ours is paired with, the
// median and spread of the pair ratios, and no figure when the kernel gives none.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { median, pairedRounds, pairedVariants, pairStats } from '../../bench/lib/pairedRounds';

test('median: odd and even counts, unsorted input left alone', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('pairStats: ratio per pair, median and min–max; unequal sides refused', () => {
  const p = pairStats([20, 30, 90, 40, 50], [10, 10, 10, 10, 10]);
  assert.deepEqual(p.ratios, [2, 3, 9, 4, 5]);
  assert.equal(p.median, 4); // the 9× pair (a burst on our side) does not move it
  assert.equal(p.min, 2);
  assert.equal(p.max, 9);
  assert.throws(() => pairStats([1, 2], [1]), /2 rounds of ours against 1/);
});

test('pairedRounds: kernel and ours alternate ABBA, each pair from adjacent rounds', async () => {
  const log: string[] = [];
  // The machine slows down 2× after the first pair (two rounds): both sides of a pair see it.
  const slowdown = (): number => (log.length <= 2 ? 1 : 2);
  const p = await pairedRounds(
    () => {
      log.push('K');
      return 10 * slowdown();
    },
    () => {
      log.push('O');
      return 30 * slowdown();
    },
    4,
  );
  assert.equal(log.join(''), 'KOOKKOOK');
  assert.ok(p);
  assert.deepEqual(p.ratios, [3, 3, 3, 3]);
  assert.deepEqual(p.kernel, [10, 20, 20, 20]);
});

test('pairedVariants: round-robin over variants, one kernel round per pair', async () => {
  const log: string[] = [];
  const r = await pairedVariants(
    () => {
      log.push('K');
      return 10;
    },
    {
      js: () => {
        log.push('j');
        return 20;
      },
      wasm: () => {
        log.push('w');
        return 15;
      },
    },
    2,
  );
  assert.equal(log.join(''), 'KjwKKjwK');
  assert.equal(r?.js.median, 2);
  assert.equal(r?.wasm.median, 1.5);
  assert.equal(r?.js.ratios.length, 2);
});

test('pairedRounds: no kernel figure, no pairs', async () => {
  let ours = 0;
  const p = await pairedRounds(
    () => undefined,
    () => ++ours,
    5,
  );
  assert.equal(p, undefined);
  assert.equal(ours, 0);
});
