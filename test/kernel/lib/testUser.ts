// A real, key-only login user and its sudoers drop-in for the remote tests that log in as non-root
// (remoteSudo, remoteVerify): created for one test, removed in cleanup even after a crashed run.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { run } from './exec';
import { waitFor } from '../../fixtures/capture/remoteHost';

export class TestUser {
  /** `sudoers`: the drop-in's path under /etc/sudoers.d (no dot in its name: sudo ignores those). */
  constructor(
    readonly name: string,
    readonly sudoers: string,
  ) {}

  /** Without a home and without a password: only the test's key logs in. */
  create(): void {
    run(['useradd', '-M', '-d', '/nonexistent', '-s', '/bin/sh', this.name]);
    run(['usermod', '-p', '*', this.name]); // not locked, no password: key login only
  }

  /** A sudoers rule, checked by visudo before sudo ever reads it (a broken one would lock sudo out). */
  writeSudoers(rule: string): void {
    const tmp = `${this.sudoers}.tmp`; // sudo ignores names with a dot
    fs.writeFileSync(tmp, `${rule}\n`, { mode: 0o440 });
    const check = run(['visudo', '-cf', tmp], { allowFailure: true });
    if (check.status !== 0) {
      fs.rmSync(tmp, { force: true });
      assert.fail(`visudo rejected the test's sudoers rule: ${check.stdout}${check.stderr}`);
    }
    fs.renameSync(tmp, this.sudoers);
  }

  /** Removes the drop-in and the user (once its last sshd session has exited: userdel refuses before). */
  async remove(): Promise<void> {
    fs.rmSync(this.sudoers, { force: true });
    fs.rmSync(`${this.sudoers}.tmp`, { force: true });
    if (run(['id', this.name], { allowFailure: true }).status !== 0) return;
    await waitFor(
      `the sessions of ${this.name} to end`,
      () => run(['ps', '-u', this.name, '-o', 'pid='], { allowFailure: true }).stdout.trim() === '',
      15_000,
    ).catch(() => undefined); // userdel below then says what is still running
    const del = run(['userdel', this.name], { allowFailure: true });
    assert.equal(del.status, 0, `userdel ${this.name}: ${del.stderr}`);
  }
}
