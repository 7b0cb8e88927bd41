// The helper table is complete, contiguous and agrees with the installed uapi header it was generated from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { helperById, helperByName, helperCatalog, helperPrototype, maxHelperId } from './helperCatalog';
import { mapTypeByName, mapTypes } from './mapTypes';
import { xdpSecInfo } from './secNames';

test('helper ids run 1..max without gaps and every helper has a summary and a version', () => {
  assert.equal(helperCatalog.length, maxHelperId);
  helperCatalog.forEach((h, i) => {
    assert.equal(h.id, i + 1);
    assert.ok(h.summary.length > 10, h.name);
    assert.match(h.since, /^\d+\.\d+$/, h.name);
  });
});

test(
  'ids and names agree with /usr/include/linux/bpf.h',
  { skip: !fs.existsSync('/usr/include/linux/bpf.h') },
  () => {
    const header = fs.readFileSync('/usr/include/linux/bpf.h', 'utf8');
    const names = [...header.matchAll(/^\s*FN\((\w+)/gm)].map((m) => m[1]);
    assert.equal(names[0], 'unspec');
    for (let id = 1; id < names.length; id++) assert.equal(helperById(id)?.name, `bpf_${names[id]}`);
  },
);

test('lookups and prototypes of the XDP helpers', () => {
  const r = helperByName('bpf_redirect_map');
  assert.ok(r);
  assert.equal(r.id, 51);
  assert.equal(r.xdp, true);
  assert.match(helperPrototype(r), /^long bpf_redirect_map\(struct bpf_map \*map, u\d+ key, u64 flags\)$/);
  assert.equal(helperByName('xdp_load_bytes')?.id, 189);
  assert.equal(helperByName('skb_store_bytes')?.xdp, false);
  assert.equal(helperByName('trace_printk')?.gplOnly, true);
  assert.equal(helperById(0), undefined);
  assert.equal(helperById(maxHelperId + 1), undefined);
});

test('map type table: numbers are indexes and redirect targets are the four of §1.3', () => {
  mapTypes.forEach((m, i) => assert.equal(m.value, i));
  assert.deepEqual(
    mapTypes.filter((m) => m.redirectTarget).map((m) => m.value),
    [14, 16, 17, 25],
  );
  assert.equal(mapTypeByName('DEVMAP_HASH')?.redirectFlags, 24);
  assert.equal(mapTypeByName('CPUMAP')?.redirectFlags, 0);
});

test('SEC names: xdp variants carry frags and attach type', () => {
  assert.deepEqual(
    [xdpSecInfo('xdp.frags/devmap')?.frags, xdpSecInfo('xdp.frags/devmap')?.attach],
    [true, 'devmap'],
  );
  assert.equal(xdpSecInfo('xdp')?.frags, false);
  assert.equal(xdpSecInfo('tc'), undefined);
});
