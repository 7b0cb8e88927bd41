// Runs one debug session of the core adapter (core/debug/dapSession.ts) over a pair of byte streams:
// `xdp-lab debug-adapter` on stdin/stdout. Requests are handled one at a time, in order; the
// promise settles when the client disconnects or closes the input.
import type { Readable, Writable } from 'node:stream';
import { DapSession } from '../../core/debug/dapSession';
import type { LaunchArguments } from '../../core/debug/dapMessages';
import type { ClangOptions } from '../clang';
import { prepareLaunch } from './debugLaunch';
import { DapDecoder, encodeDapMessage } from './dapStdio';
import { IdleWork } from './idleWork';

export interface DapServerOptions {
  cwd?: string;
  clang?: ClangOptions;
  /** Where protocol problems are reported (stderr for the CLI). */
  log?: (line: string) => void;
}

export function serveDap(input: Readable, output: Writable, opts: DapServerOptions = {}): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      idle.dispose();
      input.off('data', onData);
      input.pause(); // lets the process exit once the last response is written
      resolve();
    };
    const session = new DapSession({
      prepare: (args: LaunchArguments) =>
        prepareLaunch(args, {
          ...(opts.cwd ? { cwd: opts.cwd } : {}),
          ...(opts.clang ? { clang: opts.clang } : {}),
        }),
      send: (m) => {
        if (!output.destroyed) output.write(encodeDapMessage(m));
      },
    });
    // The Registers' verifier walks run when the client is quiet, not on its first request.
    const idle = new IdleWork(() => session.idle());
    let chain = Promise.resolve();
    const decoder = new DapDecoder(
      (msg) => {
        idle.poke();
        chain = chain.then(async () => {
          await session.handle(msg);
          idle.poke();
          const cmd = (msg as { command?: unknown }).command;
          if (cmd === 'disconnect') finish();
        });
      },
      (why) => opts.log?.(`xdp-lab debug-adapter: ${why}`),
    );
    const onData = (chunk: Buffer): void => decoder.push(chunk);
    // A client that dies leaves a closed pipe: the next write fails (EPIPE). Unhandled, that error
    // killed the adapter with a stack trace; it ends the session instead, said once on the log.
    output.on('error', (e: Error) => {
      if (!done) opts.log?.(`xdp-lab debug-adapter: the client went away (${e.message}); session ended`);
      finish();
    });
    input.on('data', onData);
    input.once('end', () => void chain.then(finish));
    input.once('close', () => void chain.then(finish));
  });
}
