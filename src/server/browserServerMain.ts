// Entry of dist/server-web.js: the browser-worker language server with the parser WASM beside it.
import { startBrowserServer } from './browserServer';

startBrowserServer({ treeSitterRuntime: 'tree-sitter.wasm', treeSitterC: 'tree-sitter-c.wasm' });
