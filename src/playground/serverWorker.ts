// The XDP C language server in the playground's Web Worker: the server's own browser entry
// (src/server/browserServer.ts) with the playground folder's asset names, including the helper docs
// the build parsed from the build machine's uapi header. clang, bpftool and files have no place in a
// browser, so the server answers compile/verify with its "needs the Node language server" message.
import { startBrowserServer } from '../server/browserServer';
import { playgroundAssets } from './assets';

startBrowserServer(playgroundAssets);
