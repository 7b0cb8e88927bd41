// The SSH_ASKPASS bridge as OpenSSH runs it: the helper program prints the editor's answer, and
// fails (so ssh gives up) when the user cancels.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { startAskpass } from './askpass';

function runHelper(
  program: string,
  env: NodeJS.ProcessEnv,
  prompt: string,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(program, [prompt], { env: { ...process.env, ...env }, encoding: 'utf8' }, (e, out) =>
      resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out }),
    );
  });
}

describe('askpass bridge', () => {
  it('answers the prompt ssh passes, and refuses when cancelled', async () => {
    const prompts: string[] = [];
    const a = await startAskpass((p) => {
      prompts.push(p);
      return Promise.resolve(p.includes('cancel') ? undefined : 'sekret with spaces');
    });
    try {
      const program = a.env.SSH_ASKPASS as string;
      assert.equal((fs.statSync(program).mode & 0o777).toString(8), '700');
      assert.deepEqual(await runHelper(program, a.env, "Enter passphrase for key '/k':"), {
        code: 0,
        out: 'sekret with spaces\n',
      });
      const cancelled = await runHelper(program, a.env, 'please cancel');
      assert.notEqual(cancelled.code, 0);
      assert.equal(cancelled.out, '');
      assert.deepEqual(prompts, ["Enter passphrase for key '/k':", 'please cancel']);
    } finally {
      await a.dispose();
    }
    assert.ok(!fs.existsSync(a.env.SSH_ASKPASS as string));
  });
});
