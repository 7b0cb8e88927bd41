// webviewPage: the one HTML shell of XDP Lab's panels — an inlined bundle cannot end its <script> early.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { scriptText, webviewPage } from './webviewPage';

const base = {
  title: 't',
  csp: "default-src 'none'; script-src 'nonce-abcdefghijklmnop'",
  nonce: 'abcdefghijklmnop',
};

void test('a bundle is loaded from its URI, or inlined with the nonce when its text is given', () => {
  const linked = webviewPage({ ...base, scriptUri: 'https://x/runResult.js' });
  assert.match(linked, /<script nonce="abcdefghijklmnop" src="https:\/\/x\/runResult.js"><\/script>/);
  const inlined = webviewPage({ ...base, scriptUri: 'https://x/runResult.js', inlineBundle: 'go(1)' });
  assert.match(inlined, /<script nonce="abcdefghijklmnop">go\(1\)<\/script>/);
  assert.doesNotMatch(inlined, /src="https:\/\/x\/runResult.js"/);
});

void test('script text: an end tag or a comment opener inside strings is escaped, the code means the same', () => {
  const js = 'globalThis.v = ["</script>", "</SCRIPT >", "<!--"];';
  const safe = scriptText(js);
  assert.doesNotMatch(safe, /<\/script|<!--/i);
  const v = JSON.parse(runInNewContext(`${safe} JSON.stringify(globalThis.v);`) as string) as string[];
  assert.deepEqual(v, ['</script>', '</SCRIPT >', '<!--']);
});
