// SSH_ASKPASS bridge: OpenSSH asks for passphrases and passwords by running the program named in
// SSH_ASKPASS (with SSH_ASKPASS_REQUIRE=force, even without a terminal). Ours is a two-line script
// that forwards the prompt over a private Unix socket (0700 temp dir) to the editor, which answers
// through a password input box. The answer never touches a file, an argv or a log.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Askpass {
  /** Environment for the ssh process. */
  readonly env: NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

// Runs under the editor's own Node (ELECTRON_RUN_AS_NODE): prompt in argv[2], answer on stdout.
const helperJs = `const net = require('net');
const s = net.connect(process.env.XDP_LAB_ASKPASS_SOCKET, () => s.end(JSON.stringify({ prompt: process.argv[2] || '' })));
let out = '';
s.on('data', (d) => (out += d));
s.on('end', () => { const r = JSON.parse(out || '{}'); if (typeof r.answer !== 'string') process.exit(1); process.stdout.write(r.answer + '\\n'); });
s.on('error', () => process.exit(1));
`;

/** Starts the bridge; `ask` returns the answer, or undefined when the user cancelled. */
export async function startAskpass(ask: (prompt: string) => Promise<string | undefined>): Promise<Askpass> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xdp-lab-askpass-'));
  const socket = path.join(dir, 's');
  const js = path.join(dir, 'askpass.js');
  const sh = path.join(dir, 'askpass.sh');
  await writeFile(js, helperJs, { mode: 0o600 });
  await writeFile(
    sh,
    `#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec "$XDP_LAB_ASKPASS_NODE" "$XDP_LAB_ASKPASS_JS" "$@"\n`,
    { mode: 0o700 },
  );
  // allowHalfOpen: the helper half-closes after sending its prompt and still reads the answer.
  const server = net.createServer({ allowHalfOpen: true }, (conn) => {
    let text = '';
    conn.on('data', (d) => (text += d.toString()));
    conn.on('end', () => {
      let prompt = '';
      try {
        const p = (JSON.parse(text) as { prompt?: unknown }).prompt;
        prompt = typeof p === 'string' ? p : '';
      } catch {
        conn.end('{}');
        return;
      }
      ask(prompt).then(
        (answer) => conn.end(JSON.stringify(answer === undefined ? {} : { answer })),
        () => conn.end('{}'),
      );
    });
    conn.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  return {
    env: {
      SSH_ASKPASS: sh,
      SSH_ASKPASS_REQUIRE: 'force',
      DISPLAY: process.env.DISPLAY ?? ':0',
      XDP_LAB_ASKPASS_SOCKET: socket,
      XDP_LAB_ASKPASS_NODE: process.execPath,
      XDP_LAB_ASKPASS_JS: js,
    },
    dispose: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
