// A minimal LSP client for tests: the server runs in this process over an in-memory stream pair
// (as vscode-languageserver-node's own connection tests do), or as dist/server.js over stdio.
// Notifications are recorded so tests can wait for the event they need (no sleeps).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createNodeServices } from '../../src/server/node/nodeServices';
import { startServer } from '../../src/server/startServer';

export interface TestClient {
  readonly rpc: MessageConnection;
  /** workspace/configuration answers (section xdpLab). */
  settings: Record<string, unknown>;
  readonly infoMessages: string[];
  readonly logs: string[];
  open(uri: string, text: string, languageId?: string): Promise<void>;
  change(uri: string, version: number, text: string): Promise<void>;
  save(uri: string): Promise<void>;
  /** Resolves with the first diagnostics for uri (published after `since`) that satisfy pred. */
  diagnostics(uri: string, pred?: (d: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]>;
  /** The diagnostics last published for uri (after a request that publishes before it answers). */
  lastDiagnostics(uri: string): Diagnostic[] | undefined;
  request<R>(method: string, params: unknown): Promise<R>;
  close(): Promise<void>;
}

async function initialize(
  rpc: MessageConnection,
  client: Omit<TestClient, 'rpc'> & { rpc: MessageConnection },
  rootUri: string | null,
  stop: () => void,
): Promise<TestClient> {
  const published: PublishDiagnosticsParams[] = [];
  const waiters: (() => void)[] = [];
  rpc.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    waiters.splice(0).forEach((w) => w());
  });
  rpc.onNotification('window/showMessage', (p: { message: string }) => client.infoMessages.push(p.message));
  rpc.onRequest('window/showMessageRequest', (p: { message: string }) => {
    client.infoMessages.push(p.message);
    return null;
  });
  rpc.onNotification('xdpLab/log', (p: { text: string }) => client.logs.push(p.text));
  rpc.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
    p.items.map(() => client.settings),
  );
  rpc.onRequest('client/registerCapability', () => null);
  rpc.onRequest('window/workDoneProgress/create', () => null);
  rpc.listen();
  await rpc.sendRequest('initialize', {
    processId: null,
    rootUri,
    workspaceFolders: rootUri ? [{ uri: rootUri, name: 'ws' }] : null,
    capabilities: {
      workspace: { configuration: true },
      textDocument: { publishDiagnostics: { relatedInformation: true } },
    },
  });
  await rpc.sendNotification('initialized', {});
  return Object.assign(client, {
    async open(uri: string, text: string, languageId = 'c') {
      await rpc.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId, version: 1, text },
      });
    },
    async change(uri: string, version: number, text: string) {
      await rpc.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ text }],
      });
    },
    async save(uri: string) {
      await rpc.sendNotification('textDocument/didSave', { textDocument: { uri } });
    },
    diagnostics(uri: string, pred: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 20000) {
      let seen = 0;
      return new Promise<Diagnostic[]>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching diagnostics for ${uri} within ${timeoutMs} ms; got ${JSON.stringify(published.filter((p) => p.uri === uri).map((p) => p.diagnostics.map((d) => d.message)))}`,
              ),
            ),
          timeoutMs,
        );
        const check = () => {
          for (; seen < published.length; seen++) {
            const p = published[seen];
            if (p?.uri === uri && pred(p.diagnostics)) {
              clearTimeout(timer);
              resolve(p.diagnostics);
              return;
            }
          }
          waiters.push(check);
        };
        check();
      });
    },
    lastDiagnostics(uri: string) {
      for (let i = published.length - 1; i >= 0; i--)
        if (published[i]?.uri === uri) return published[i]?.diagnostics;
      return undefined;
    },
    request<R>(method: string, params: unknown) {
      return rpc.sendRequest<R>(method, params);
    },
    async close() {
      await rpc.sendRequest('shutdown');
      stop();
      rpc.dispose();
    },
  });
}

/** The server in this process, over a PassThrough pair. */
export function startInMemory(rootUri: string | null = null): Promise<TestClient> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  startServer(
    createConnection(
      ProposedFeatures.all,
      new StreamMessageReader(toServer),
      new StreamMessageWriter(toClient),
    ),
    createNodeServices(),
  );
  const rpc = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const base = { rpc, settings: {}, infoMessages: [], logs: [] } as unknown as TestClient;
  return initialize(rpc, base, rootUri, () => {
    toServer.end();
    toClient.end();
  });
}

/** dist/server.js as the editor runs it (needs `npm run build`). */
export function spawnServer(rootUri: string | null = null): Promise<TestClient> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.resolve(__dirname, '../../dist/server.js'), '--stdio'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  if (!child.stdout || !child.stdin) throw new Error('no stdio');
  const rpc = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const base = { rpc, settings: {}, infoMessages: [], logs: [], pid: child.pid } as unknown as TestClient;
  return initialize(rpc, base, rootUri, () => {
    rpc.sendNotification('exit').catch(() => undefined);
    child.kill();
  });
}
