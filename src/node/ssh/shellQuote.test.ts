// Remote quoting: whatever the argument, `sh -c 'printf %s ARG'` prints it back byte for byte.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { shQuote } from './shellQuote';
import { parseSshTarget, sshConfigHosts } from './sshTarget';

/** The refusal reason, or a marker that fails the match when the input was accepted. */
const reason = (r: unknown): string => (typeof r === 'string' ? r : '(accepted)');

describe('remote shell quoting', () => {
  it('round-trips arbitrary text through a real sh', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 0, maxLength: 40 }).filter((s) => !s.includes('\0')),
        (s) => {
          const out = execFileSync('sh', ['-c', `printf %s ${shQuote(s)}`], { encoding: 'utf8' });
          assert.equal(out, s);
        },
      ),
      { numRuns: 60 },
    );
    assert.equal(shQuote("x$(id>p)'"), `'x$(id>p)'\\'''`);
  });

  it('parses targets and refuses option injection', () => {
    assert.deepEqual(parseSshTarget('root@10.250.0.2:2222'), {
      host: '10.250.0.2',
      user: 'root',
      port: 2222,
    });
    assert.deepEqual(parseSshTarget('[fe80::1]:22'), { host: 'fe80::1', port: 22 });
    assert.deepEqual(parseSshTarget('lab-box'), { host: 'lab-box' });
    assert.match(reason(parseSshTarget('-oProxyCommand=x')), /invalid host name/);
    assert.match(reason(parseSshTarget('a b')), /invalid host name/);
    assert.match(reason(parseSshTarget('h:99999')), /out of range/);
    assert.deepEqual(sshConfigHosts('Host a b *.x\n  HostName 1\nhost=c\nMatch all\n'), ['a', 'b', 'c']);
  });
});
