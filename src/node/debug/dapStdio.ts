// The Debug Adapter Protocol's wire form (`Content-Length: N\r\n\r\n` + JSON) over a byte stream, as
// `xdp-lab debug-adapter` speaks it on stdin/stdout: a decoder that survives any chunking and bad
// input (a malformed header or body is reported and skipped, never a crash), and the encoder.

/** Frames one message. */
export function encodeDapMessage(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

/** Accumulates bytes and yields whole messages. */
export class DapDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onError: (why: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > 8192 && this.buf.indexOf('Content-Length') < 0) {
          this.onError('no Content-Length header in the first 8 KiB: input discarded');
          this.buf = Buffer.alloc(0);
        }
        return;
      }
      const header = this.buf.subarray(0, end).toString('ascii');
      const m = /(?:^|\r\n)Content-Length:\s*(\d+)/i.exec(header);
      if (!m) {
        this.onError(`header without Content-Length: ${JSON.stringify(header.slice(0, 80))}`);
        this.buf = this.buf.subarray(end + 4);
        continue;
      }
      const len = Number(m[1]);
      if (this.buf.length < end + 4 + len) return;
      const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(end + 4 + len);
      let msg: unknown;
      try {
        msg = JSON.parse(body);
      } catch (e) {
        this.onError(`a message body is not JSON (${(e as Error).message})`);
        continue;
      }
      this.onMessage(msg);
    }
  }
}
