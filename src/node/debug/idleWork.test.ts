// The debug adapter's idle work (idleWork.ts) runs once the client is quiet: a poke while it waits
// postpones it, work that says more is left runs again, and nothing runs after dispose.
import { strict as assert } from 'node:assert';
import test from 'node:test';
import { IdleWork } from './idleWork';

/** IdleWork's timers are unref'd (they never keep a process alive): the test's own handle does. */
async function alive<T>(f: () => Promise<T>): Promise<T> {
  const keep = setInterval(() => undefined, 1000);
  try {
    return await f();
  } finally {
    clearInterval(keep);
  }
}

void test('idle work runs after the quiet time, once per quiet spell, again while it says more is left', () =>
  alive(async () => {
    const runs: number[] = [];
    let left = 3;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const idle = new IdleWork(() => {
      runs.push(left);
      left--;
      if (left === 0) done();
      return left > 0;
    }, 5);
    // Three pokes in a row (a burst of requests): the timer restarts, the work is not run three times over.
    idle.poke();
    idle.poke();
    idle.poke();
    await finished;
    assert.deepEqual(runs, [3, 2, 1]);
    idle.dispose();
  }));

void test('after dispose a poke schedules nothing', () =>
  alive(async () => {
    let ran = false;
    const idle = new IdleWork(() => ((ran = true), false), 1);
    idle.poke();
    idle.dispose();
    idle.poke();
    // A timer of the same delay set after them fires after theirs would have.
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ran, false);
  }));
