// The live feed (`/v1/ws/messages/{tenant_id}`) as an async generator that resumes: it
// remembers the id of the last event it yielded and, when the connection drops, reconnects
// and asks for everything after it — nothing missed, nothing repeated, while the server still
// keeps the events (MEMORY_EVENTS_KEEP_SECONDS). The credential travels in the first frame
// (`{"action":"auth"}`), which works in browsers too (they cannot set WebSocket headers).

import { Forbidden, MemoryMeshError, RateLimited, Unauthorized, Unavailable } from "./errors.js";

/** The part of the WebSocket API the feed uses (the browser's, or the `ws` package's). */
export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface LiveOptions {
  url: string;
  token?: string;
  /** Replay every kept event after this id first. */
  lastEventId?: string;
  /** Only this conversation's events. */
  conversationId?: string;
  /** Only these events (`message.created`, `message.embedded`, …). */
  events?: string[];
  /** First wait before reconnecting, in ms; doubles while reconnecting fails (default 1000). */
  reconnectDelayMs?: number;
  /** Reconnections in a row before giving up (default: never give up). */
  maxReconnects?: number;
  /** Where there is no global WebSocket (Node 20): `import WebSocket from "ws"`. */
  WebSocket?: WebSocketConstructor;
}

export interface LiveEvent {
  type: "event";
  event: string;
  id: string;
  tenant_id: string;
  conversation_id?: string | null;
  at: string;
  data: Record<string, unknown>;
}

type Item = { frame: Record<string, unknown> } | { closed: { code: number; reason: string } };

const final: Record<number, typeof MemoryMeshError> = { 4401: Unauthorized, 4403: Forbidden, 4029: RateLimited };

export async function* live(options: LiveOptions): AsyncGenerator<LiveEvent> {
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) throw new TypeError("no WebSocket here: pass one (on Node 20, `import WebSocket from \"ws\"`)");
  let last = options.lastEventId;
  let failures = 0;
  for (;;) {
    const ws = new Ctor(options.url);
    const queue: Item[] = [];
    let wake: (() => void) | null = null;
    const push = (item: Item) => {
      queue.push(item);
      wake?.();
      wake = null;
    };
    ws.onopen = () => {
      if (options.token) ws.send(JSON.stringify({ action: "auth", token: options.token }));
      if (options.conversationId !== undefined || options.events !== undefined) {
        ws.send(JSON.stringify({ action: "subscribe", conversation_id: options.conversationId, events: options.events }));
      }
      if (last !== undefined) ws.send(JSON.stringify({ action: "resume", last_event_id: last }));
    };
    ws.onmessage = (m) => push({ frame: JSON.parse(String(m.data)) as Record<string, unknown> });
    ws.onclose = (e) => push({ closed: { code: e.code, reason: e.reason } });
    ws.onerror = () => {}; // a close event follows
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if ("closed" in item) {
          const Kind = final[item.closed.code];
          if (Kind) throw new Kind(item.closed.code, "closed", item.closed.reason || `closed with ${item.closed.code}`);
          break;
        }
        if (item.frame.type === "event") {
          failures = 0;
          const event = item.frame as unknown as LiveEvent;
          last = event.id;
          yield event;
        }
      }
    } finally {
      if (ws.readyState <= 1) ws.close(1000);
    }
    failures += 1;
    if (options.maxReconnects !== undefined && failures > options.maxReconnects) {
      throw new Unavailable(0, "disconnected", "the live feed could not reconnect");
    }
    const wait = Math.min((options.reconnectDelayMs ?? 1000) * 2 ** (failures - 1), 30_000);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
