// The XDP C language server, Node entry (dist/server.js): stdio or IPC as the client chooses
// (--stdio / --node-ipc), with clang, bpftool and the uapi header available.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createNodeServices } from './node/nodeServices';
import { startServer } from './startServer';

startServer(createConnection(ProposedFeatures.all), createNodeServices());
