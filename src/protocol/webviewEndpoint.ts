// A small, pure message endpoint for webview ⇄ extension host: typed request/notification
// descriptors, request ids, timeouts and error replies (the shape of vscode-hexeditor's
// shared/protocol.ts with GitLens-style descriptors). Runs unchanged on both sides: the shell passes
// `post` (webview.postMessage / vscode api) and timers, and feeds every inbound message to
// `handleMessage`, which treats it as untrusted — unknown methods and malformed payloads are
// answered with an error reply (requests) or reported through `onError` (everything else).

// ---- schemas: validators that also carry the static type --------------------------------------

/** Checks an untrusted value; returns undefined when it conforms, else why not (naming the path). */
export interface Schema<T> {
  check(value: unknown, path: string): string | undefined;
  /** Phantom field: the type this schema accepts (never set at run time). */
  readonly _type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'an object'
        : `${typeof v} ${JSON.stringify(v)}`;

const schema = <T>(check: (value: unknown, path: string) => string | undefined): Schema<T> => ({ check });

/** Validator combinators (a tiny subset of what zod/superstruct offer; no dependency needed). */
export const v = {
  string(opts: { maxLength?: number } = {}): Schema<string> {
    const max = opts.maxLength ?? 1 << 24;
    return schema((x, p) =>
      typeof x !== 'string'
        ? `${p} must be a string, not ${describe(x)}`
        : x.length > max
          ? `${p} is longer than ${max} characters`
          : undefined,
    );
  },
  number(opts: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
    return schema((x, p) => {
      if (typeof x !== 'number' || !Number.isFinite(x))
        return `${p} must be a finite number, not ${describe(x)}`;
      if (opts.integer && !Number.isInteger(x)) return `${p} must be an integer, not ${x}`;
      if (opts.min !== undefined && x < opts.min) return `${p} must be ≥ ${opts.min}, not ${x}`;
      if (opts.max !== undefined && x > opts.max) return `${p} must be ≤ ${opts.max}, not ${x}`;
      return undefined;
    });
  },
  int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Schema<number> {
    return v.number({ min, max, integer: true });
  },
  boolean(): Schema<boolean> {
    return schema((x, p) =>
      typeof x === 'boolean' ? undefined : `${p} must be a boolean, not ${describe(x)}`,
    );
  },
  literal<L extends string | number | boolean>(...values: L[]): Schema<L> {
    return schema((x, p) =>
      (values as unknown[]).includes(x)
        ? undefined
        : `${p} must be one of ${values.map((l) => JSON.stringify(l)).join(', ')}, not ${describe(x)}`,
    );
  },
  unknown(): Schema<unknown> {
    return schema(() => undefined);
  },
  optional<T>(inner: Schema<T>): Schema<T | undefined> {
    return schema((x, p) => (x === undefined ? undefined : inner.check(x, p)));
  },
  array<T>(item: Schema<T>, opts: { maxLength?: number } = {}): Schema<T[]> {
    const max = opts.maxLength ?? 1 << 24;
    return schema((x, p) => {
      if (!Array.isArray(x)) return `${p} must be an array, not ${describe(x)}`;
      if (x.length > max) return `${p} has more than ${max} items`;
      for (let i = 0; i < x.length; i++) {
        const e = item.check(x[i], `${p}[${i}]`);
        if (e) return e;
      }
      return undefined;
    });
  },
  record<T>(value: Schema<T>): Schema<Record<string, T>> {
    return schema((x, p) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x))
        return `${p} must be an object, not ${describe(x)}`;
      for (const [k, e] of Object.entries(x)) {
        const err = value.check(e, `${p}.${k}`);
        if (err) return err;
      }
      return undefined;
    });
  },
  /** An object with exactly these fields (optional ones may be absent); unknown fields are refused. */
  object<S extends Record<string, Schema<unknown>>>(
    fields: S,
  ): Schema<
    { [K in keyof S as undefined extends Infer<S[K]> ? never : K]: Infer<S[K]> } & {
      [K in keyof S as undefined extends Infer<S[K]> ? K : never]?: Infer<S[K]>;
    }
  > {
    return schema((x, p) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x))
        return `${p} must be an object, not ${describe(x)}`;
      const rec = x as Record<string, unknown>;
      for (const k of Object.keys(rec)) if (!(k in fields)) return `${p}.${k} is not a known field`;
      for (const [k, s] of Object.entries(fields)) {
        const err = s.check(rec[k], `${p}.${k}`);
        if (err) return err;
      }
      return undefined;
    });
  },
  /**
   * Like `object`, but fields it does not name are allowed (and not checked): for payloads another
   * part owns and may extend, such as the `simulate --json` summary (cli.md: "add fields freely").
   */
  openObject<S extends Record<string, Schema<unknown>>>(fields: S): Schema<{ [K in keyof S]: Infer<S[K]> }> {
    return schema((x, p) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x))
        return `${p} must be an object, not ${describe(x)}`;
      const rec = x as Record<string, unknown>;
      for (const [k, s] of Object.entries(fields)) {
        const err = s.check(rec[k], `${p}.${k}`);
        if (err) return err;
      }
      return undefined;
    });
  },
  /** A union discriminated by the string field `tag`. */
  tagged<T>(tag: string, variants: Record<string, Schema<unknown>>): Schema<T> {
    return schema((x, p) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x))
        return `${p} must be an object, not ${describe(x)}`;
      const t = (x as Record<string, unknown>)[tag];
      const s =
        typeof t === 'string' && Object.prototype.hasOwnProperty.call(variants, t) ? variants[t] : undefined;
      if (!s) return `${p}.${tag} must be one of ${Object.keys(variants).join(', ')}, not ${describe(t)}`;
      return s.check(x, p);
    });
  },
  /** Narrows a schema's static type to a declared interface (the check stays the schema's). */
  as<T>(s: Schema<unknown>): Schema<T> {
    return s as Schema<T>;
  },
};

// ---- descriptors -----------------------------------------------------------------------------

/** A request: the sender waits for a result (or an error reply). */
export interface RequestType<P, R> {
  readonly kind: 'request';
  readonly method: string;
  readonly params: Schema<P>;
  readonly result: Schema<R>;
}

/** A notification: fire and forget. Host→view notifications are named `…/did…` (house style). */
export interface NotificationType<P> {
  readonly kind: 'notification';
  readonly method: string;
  readonly params: Schema<P>;
}

export function requestType<P, R>(method: string, params: Schema<P>, result: Schema<R>): RequestType<P, R> {
  return { kind: 'request', method, params, result };
}

export function notificationType<P>(method: string, params: Schema<P>): NotificationType<P> {
  return { kind: 'notification', method, params };
}

// ---- the wire --------------------------------------------------------------------------------

/** Error codes of error replies (JSON-RPC's numbers where one fits). */
export const ErrorCodes = {
  InvalidMessage: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Local only: no reply within the timeout. */
  Timeout: -32000,
  /** Local only: the endpoint was disposed while waiting. */
  Disposed: -32001,
  /** A reply whose result does not match the request's result schema. */
  InvalidResult: -32002,
} as const;

export type WireMessage =
  | { type: 'request'; id: number; method: string; params: unknown }
  | { type: 'response'; id: number; result: unknown }
  | { type: 'response'; id: number; error: { code: number; message: string } }
  | { type: 'notification'; method: string; params: unknown };

export class EndpointError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'EndpointError';
  }
}

/** Timers come from the shell: protocol code has no globals (house style). */
export interface EndpointTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface EndpointOptions {
  /** Sends one message to the other side (webview.postMessage, vscode api postMessage). */
  post(message: WireMessage): void;
  timers: EndpointTimers;
  /** How long a request waits for its reply; default 10 s. */
  timeoutMs?: number;
  /** Inbound problems that have no one to reply to (malformed messages, bad notifications, late replies). */
  onError?(error: EndpointError): void;
}

export interface Disposable {
  dispose(): void;
}

interface Pending {
  method: string;
  result: Schema<unknown>;
  timer: unknown;
  resolve(value: unknown): void;
  reject(error: EndpointError): void;
}

type RequestHandler = (params: unknown) => unknown;
type NotificationHandler = (params: unknown) => void;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class Endpoint {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly requests = new Map<
    string,
    { type: RequestType<unknown, unknown>; handler: RequestHandler }
  >();
  private readonly notifications = new Map<
    string,
    { type: NotificationType<unknown>; handler: NotificationHandler }
  >();
  private disposed = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: EndpointOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  onRequest<P, R>(type: RequestType<P, R>, handler: (params: P) => R | Promise<R>): Disposable {
    this.requests.set(type.method, {
      type: type,
      handler: handler as RequestHandler,
    });
    return { dispose: () => void this.requests.delete(type.method) };
  }

  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): Disposable {
    this.notifications.set(type.method, {
      type: type,
      handler: handler as NotificationHandler,
    });
    return { dispose: () => void this.notifications.delete(type.method) };
  }

  sendNotification<P>(type: NotificationType<P>, params: P): void {
    if (this.disposed) return;
    this.options.post({ type: 'notification', method: type.method, params });
  }

  sendRequest<P, R>(type: RequestType<P, R>, params: P): Promise<R> {
    if (this.disposed)
      return Promise.reject(new EndpointError(ErrorCodes.Disposed, `${type.method}: endpoint disposed`));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = this.options.timers.set(() => {
        this.pending.delete(id);
        reject(new EndpointError(ErrorCodes.Timeout, `${type.method}: no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, {
        method: type.method,
        result: type.result,
        timer,
        resolve: resolve,
        reject,
      });
      try {
        this.options.post({ type: 'request', id, method: type.method, params });
      } catch (e) {
        this.settle(id);
        reject(new EndpointError(ErrorCodes.InternalError, `${type.method}: could not send: ${message(e)}`));
      }
    });
  }

  /** The one entry point for inbound messages. Never throws: problems become replies or onError. */
  handleMessage(raw: unknown): void {
    if (this.disposed) return;
    const shape = checkWire(raw);
    if (typeof shape === 'string') {
      // A malformed request that still carries an id gets an error reply; anything else is reported.
      const id = idOf(raw);
      if (id !== undefined) this.reply(id, undefined, { code: ErrorCodes.InvalidMessage, message: shape });
      else this.report(ErrorCodes.InvalidMessage, shape);
      return;
    }
    const msg = shape;
    switch (msg.type) {
      case 'request':
        this.handleRequest(msg.id, msg.method, msg.params);
        return;
      case 'notification': {
        const entry = this.notifications.get(msg.method);
        if (!entry) return this.report(ErrorCodes.MethodNotFound, `unknown notification ${msg.method}`);
        const err = entry.type.params.check(msg.params, 'params');
        if (err) return this.report(ErrorCodes.InvalidParams, `${msg.method}: ${err}`);
        try {
          entry.handler(msg.params);
        } catch (e) {
          this.report(ErrorCodes.InternalError, `${msg.method}: ${message(e)}`);
        }
        return;
      }
      case 'response': {
        const p = this.settle(msg.id);
        if (!p)
          return this.report(ErrorCodes.InvalidMessage, `reply to unknown or expired request ${msg.id}`);
        if ('error' in msg)
          return p.reject(new EndpointError(msg.error.code, `${p.method}: ${msg.error.message}`));
        const err = p.result.check(msg.result, 'result');
        if (err) return p.reject(new EndpointError(ErrorCodes.InvalidResult, `${p.method}: ${err}`));
        p.resolve(msg.result);
        return;
      }
    }
  }

  /** Rejects every waiting request and ignores everything after. */
  dispose(): void {
    this.disposed = true;
    for (const id of [...this.pending.keys()]) {
      const p = this.settle(id);
      p?.reject(new EndpointError(ErrorCodes.Disposed, `${p.method}: endpoint disposed`));
    }
    this.requests.clear();
    this.notifications.clear();
  }

  private handleRequest(id: number, method: string, params: unknown): void {
    const entry = this.requests.get(method);
    if (!entry)
      return this.reply(id, undefined, {
        code: ErrorCodes.MethodNotFound,
        message: `unknown method ${method}`,
      });
    const err = entry.type.params.check(params, 'params');
    if (err) return this.reply(id, undefined, { code: ErrorCodes.InvalidParams, message: err });
    let out: unknown;
    try {
      out = entry.handler(params);
    } catch (e) {
      return this.reply(id, undefined, { code: ErrorCodes.InternalError, message: message(e) });
    }
    Promise.resolve(out).then(
      (result) => this.reply(id, result),
      (e: unknown) =>
        this.reply(id, undefined, {
          code: e instanceof EndpointError ? e.code : ErrorCodes.InternalError,
          message: message(e),
        }),
    );
  }

  private reply(id: number, result: unknown, error?: { code: number; message: string }): void {
    if (this.disposed) return;
    try {
      this.options.post(
        error ? { type: 'response', id, error } : { type: 'response', id, result: result ?? null },
      );
    } catch (e) {
      this.report(ErrorCodes.InternalError, `could not send reply ${id}: ${message(e)}`);
    }
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.options.timers.clear(p.timer);
    return p;
  }

  private report(code: number, text: string): void {
    this.options.onError?.(new EndpointError(code, text));
  }
}

const isId = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;

function idOf(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  return r.type === 'request' && isId(r.id) ? r.id : undefined;
}

/** Validates the envelope (not the payload, which the descriptor's schema checks). */
function checkWire(raw: unknown): WireMessage | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return `message must be an object, not ${describe(raw)}`;
  const r = raw as Record<string, unknown>;
  const method = (): string | undefined =>
    typeof r.method === 'string' && r.method.length > 0 && r.method.length <= 200
      ? undefined
      : 'message.method must be a non-empty string';
  switch (r.type) {
    case 'request':
      if (!isId(r.id)) return 'message.id must be a positive integer';
      return method() ?? (raw as WireMessage);
    case 'notification':
      return method() ?? (raw as WireMessage);
    case 'response': {
      if (!isId(r.id)) return 'message.id must be a positive integer';
      if ('error' in r) {
        const e = r.error as Record<string, unknown> | null;
        if (
          typeof e !== 'object' ||
          e === null ||
          typeof e.code !== 'number' ||
          typeof e.message !== 'string'
        )
          return 'message.error must be {code: number, message: string}';
      }
      return raw as WireMessage;
    }
    default:
      return `message.type must be "request", "response" or "notification", not ${describe(r.type)}`;
  }
}
