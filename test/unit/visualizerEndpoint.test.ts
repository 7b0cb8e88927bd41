// The webview endpoint: two endpoints wired back to back (as host and view are), plus raw hostile
// messages fed straight into handleMessage. Timers are a manual clock, so timeouts need no sleeping.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  Endpoint,
  EndpointError,
  ErrorCodes,
  notificationType,
  requestType,
  v,
  type EndpointTimers,
  type WireMessage,
} from '../../src/protocol/webviewEndpoint';

/** A manual clock: `advance(ms)` fires what is due. */
function manualTimers(): EndpointTimers & { advance(ms: number): void; size(): number } {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    set(fn, ms) {
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clear(h) {
      due.delete(h as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, t] of [...due])
        if (t.at <= now) {
          due.delete(id);
          t.fn();
        }
    },
    size: () => due.size,
  };
}

const add = requestType('test/add', v.object({ a: v.int(), b: v.int() }), v.object({ sum: v.int() }));
const ping = notificationType('test/didPing', v.object({ text: v.string({ maxLength: 10 }) }));

function pair(timeoutMs = 1000) {
  const timers = manualTimers();
  const errors: EndpointError[] = [];
  const queue: Array<() => void> = [];
  // Deliver asynchronously like postMessage does, but drained explicitly by the test.
  const left: Endpoint = new Endpoint({
    post: (m) => queue.push(() => right.handleMessage(structuredClone(m))),
    timers,
    timeoutMs,
    onError: (e) => errors.push(e),
  });
  const right: Endpoint = new Endpoint({
    post: (m) => queue.push(() => left.handleMessage(structuredClone(m))),
    timers,
    timeoutMs,
    onError: (e) => errors.push(e),
  });
  const drain = async (): Promise<void> => {
    // Handlers may answer in a later microtask; a few turns of the loop let every reply through.
    for (let i = 0; i < 5; i++) {
      while (queue.length) queue.shift()?.();
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  return { left, right, timers, errors, drain };
}

void test('a request gets its typed result, matched by id even when replies come out of order', async () => {
  const { left, right, drain } = pair();
  const gates: Array<() => void> = [];
  right.onRequest(add, ({ a, b }) => new Promise((res) => gates.push(() => res({ sum: a + b }))));
  const p1 = left.sendRequest(add, { a: 1, b: 2 });
  const p2 = left.sendRequest(add, { a: 10, b: 20 });
  await drain();
  assert.equal(gates.length, 2);
  gates[1]?.(); // answer the second first
  gates[0]?.();
  await drain();
  assert.deepEqual(await p1, { sum: 3 });
  assert.deepEqual(await p2, { sum: 30 });
});

void test('notifications reach their handler; unknown notifications are reported, not thrown', async () => {
  const { left, right, errors, drain } = pair();
  const got: string[] = [];
  right.onNotification(ping, (p) => got.push(p.text));
  left.sendNotification(ping, { text: 'hi' });
  right.handleMessage({ type: 'notification', method: 'test/nobody', params: {} });
  await drain();
  assert.deepEqual(got, ['hi']);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.code, ErrorCodes.MethodNotFound);
  assert.match(errors[0]?.message ?? '', /test\/nobody/);
});

void test('an unknown method is rejected with MethodNotFound', async () => {
  const { left, drain } = pair();
  const p = assert.rejects(
    left.sendRequest(add, { a: 1, b: 1 }),
    (e: EndpointError) => e.code === ErrorCodes.MethodNotFound && /unknown method test\/add/.test(e.message),
  );
  await drain();
  await p;
});

void test('malformed params are rejected with InvalidParams naming the field, and the handler never runs', async () => {
  let ran = false;
  const sent: WireMessage[] = [];
  const probe = new Endpoint({ post: (m) => sent.push(m), timers: manualTimers() });
  probe.onRequest(add, () => ((ran = true), { sum: 0 }));
  probe.handleMessage({ type: 'request', id: 7, method: 'test/add', params: { a: 1, b: '2' } });
  probe.handleMessage({ type: 'request', id: 8, method: 'test/add', params: { a: 1, b: 2, evil: true } });
  probe.handleMessage({ type: 'request', id: 9, method: 'test/add', params: { a: 1.5, b: 2 } });
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(ran, false);
  const errs = sent.map((m) => ('error' in m ? `${m.id}:${m.error.code}:${m.error.message}` : 'ok'));
  assert.deepEqual(errs, [
    `7:${ErrorCodes.InvalidParams}:params.b must be a finite number, not string "2"`,
    `8:${ErrorCodes.InvalidParams}:params.evil is not a known field`,
    `9:${ErrorCodes.InvalidParams}:params.a must be an integer, not 1.5`,
  ]);
});

void test('malformed envelopes never throw: requests with an id get InvalidMessage, the rest go to onError', () => {
  const sent: WireMessage[] = [];
  const errors: EndpointError[] = [];
  const ep = new Endpoint({
    post: (m) => sent.push(m),
    timers: manualTimers(),
    onError: (e) => errors.push(e),
  });
  for (const raw of [
    null,
    42,
    'x',
    [],
    {},
    { type: 'bogus' },
    { type: 'request', id: 0, method: 'a' },
    { type: 'response', id: 'x' },
  ])
    ep.handleMessage(raw);
  ep.handleMessage({ type: 'request', id: 3, method: '' });
  ep.handleMessage({ type: 'response', id: 5, error: { code: 'nope' } });
  assert.equal(sent.length, 1);
  assert.ok('error' in (sent[0] as object));
  assert.equal((sent[0] as { id: number }).id, 3);
  assert.equal(errors.length, 9);
  assert.ok(errors.every((e) => e.code === ErrorCodes.InvalidMessage));
});

void test('a request with no reply times out, and a late reply is reported instead of resolving anything', async () => {
  const sent: WireMessage[] = [];
  const timers = manualTimers();
  const errors: EndpointError[] = [];
  const ep = new Endpoint({
    post: (m) => sent.push(m),
    timers,
    timeoutMs: 500,
    onError: (e) => errors.push(e),
  });
  const p = ep.sendRequest(add, { a: 1, b: 2 });
  timers.advance(499);
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(settled, false);
  timers.advance(1);
  await assert.rejects(
    p,
    (e: EndpointError) => e.code === ErrorCodes.Timeout && /no reply within 500 ms/.test(e.message),
  );
  const id = (sent[0] as { id: number }).id;
  ep.handleMessage({ type: 'response', id, result: { sum: 3 } });
  assert.equal(errors[0]?.code, ErrorCodes.InvalidMessage);
  assert.equal(timers.size(), 0);
});

void test('a reply whose result breaks the schema rejects with InvalidResult', async () => {
  const sent: WireMessage[] = [];
  const ep = new Endpoint({ post: (m) => sent.push(m), timers: manualTimers() });
  const p = ep.sendRequest(add, { a: 1, b: 2 });
  ep.handleMessage({ type: 'response', id: (sent[0] as { id: number }).id, result: { sum: 'three' } });
  await assert.rejects(
    p,
    (e: EndpointError) => e.code === ErrorCodes.InvalidResult && /result\.sum/.test(e.message),
  );
});

void test('handler errors become error replies; dispose rejects what is pending', async () => {
  const { left, right, drain } = pair();
  right.onRequest(add, () => {
    throw new Error('boom');
  });
  const p = assert.rejects(
    left.sendRequest(add, { a: 1, b: 2 }),
    (e: EndpointError) => e.code === ErrorCodes.InternalError && /boom/.test(e.message),
  );
  await drain();
  await p;
  const q = left.sendRequest(add, { a: 1, b: 2 });
  left.dispose();
  await assert.rejects(q, (e: EndpointError) => e.code === ErrorCodes.Disposed);
  await assert.rejects(
    left.sendRequest(add, { a: 1, b: 2 }),
    (e: EndpointError) => e.code === ErrorCodes.Disposed,
  );
});

void test('schemas: tagged unions, optional fields, open objects', () => {
  const shape = v.tagged<unknown>('k', {
    a: v.object({ k: v.literal('a'), n: v.optional(v.int(0, 3)) }),
    b: v.openObject({ k: v.literal('b') }),
  });
  assert.equal(shape.check({ k: 'a' }, 'x'), undefined);
  assert.equal(shape.check({ k: 'a', n: 4 }, 'x'), 'x.n must be ≤ 3, not 4');
  assert.equal(shape.check({ k: 'b', extra: 1 }, 'x'), undefined);
  assert.equal(shape.check({ k: 'c' }, 'x'), 'x.k must be one of a, b, not string "c"');
  assert.equal(shape.check({ k: 'constructor' }, 'x'), 'x.k must be one of a, b, not string "constructor"');
  assert.equal(v.array(v.int()).check([1, 'x'], 'arr'), 'arr[1] must be a finite number, not string "x"');
});
