// Minimal typings for the parts of xmpp.js 0.14 we compose (it ships none).
declare module "@xmpp/client-core" {
  import { EventEmitter } from "node:events";
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Array<Element | string | undefined | null>): Element;
  export class Client extends EventEmitter {
    constructor(options: { domain: string; service?: string; lang?: string; timeout?: number });
    transports: unknown[];
    jid: { toString(): string } | null;
    status: string;
    socket: any;
    options: { domain: string; service?: string; lang?: string };
    timeout: number;
    start(): Promise<unknown>;
    /** start()'s two steps: the socket, then the stream. */
    connect(service?: string): Promise<unknown>;
    open(options: { domain: string; lang?: string | undefined }): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    restart(): Promise<unknown>;
    isSecure(): boolean;
    _attachSocket(socket: unknown): void;
    _detachSocket(): void;
  }
}
declare module "@xmpp/connection-tcp" {
  const ConnectionTCP: any;
  export default ConnectionTCP;
}
declare module "@xmpp/tls/lib/Connection.js" {
  const ConnectionTLS: any;
  export default ConnectionTLS;
}
declare module "@xmpp/tls/lib/Socket.js" {
  const Socket: any;
  export default Socket;
}
declare module "@xmpp/middleware" {
  export default function middleware(deps: { entity: unknown }): {
    use(fn: (ctx: any, next: () => Promise<unknown>) => unknown): unknown;
    filter(fn: (ctx: any, next: () => Promise<unknown>) => unknown): unknown;
  };
}
declare module "@xmpp/stream-features" {
  export default function streamFeatures(deps: { middleware: unknown }): {
    use(name: string, xmlns: string, handler: (ctx: any, next: () => Promise<unknown>, feature: any) => unknown): unknown;
  };
}
declare module "@xmpp/iq/caller.js" {
  export default function iqCaller(deps: { middleware: unknown; entity: unknown }): {
    request(stanza: any, timeoutMs?: number): Promise<any>;
  };
}
declare module "@xmpp/iq/callee.js" {
  export default function iqCallee(deps: { middleware: unknown; entity: unknown }): {
    get(ns: string, name: string, handler: (ctx: any) => unknown): void;
    set(ns: string, name: string, handler: (ctx: any) => unknown): void;
  };
}
declare module "@xmpp/sasl" {
  export default function sasl(
    deps: { streamFeatures: unknown; saslFactory: unknown },
    onAuthenticate: (authenticate: (credentials: unknown, mechanism: string) => Promise<void>, mechanisms: string[]) => Promise<void>,
  ): void;
}
declare module "@xmpp/resource-binding" {
  export default function resourceBinding(deps: { streamFeatures: unknown; iqCaller: unknown }, resource?: string): void;
}
declare module "@xmpp/sasl-plain" {
  export default function plain(factory: unknown): void;
}
declare module "saslmechanisms" {
  export default class SASLFactory {
    use(mech: unknown): this;
    use(name: string, mech: unknown): this;
  }
}
declare module "@xmpp/sasl/lib/SASLError.js" {
  export default class SASLError extends Error {
    condition: string;
  }
}
declare module "@xmpp/connection/lib/StreamError.js" {
  export default class StreamError extends Error {
    condition: string;
  }
}
declare module "@xmpp/events" {
  import type { EventEmitter } from "node:events";
  export class TimeoutError extends Error {}
  /** Resolves on `event`, rejects on `rejectEvent` ("error" unless told) or after `timeout` ms. */
  export function promise(target: EventEmitter, event: string, rejectEvent?: string, timeout?: number): Promise<unknown>;
}
declare module "@xmpp/middleware/lib/StanzaError.js" {
  export default class StanzaError extends Error {
    condition: string;
  }
}

/** The XML stream parser the tests use to read stanzas as a server sends them. */
declare module "@xmpp/xml" {
  import type { EventEmitter } from "node:events";
  export class Parser extends EventEmitter {
    write(data: string): void;
    end(data?: string): void;
  }
}
