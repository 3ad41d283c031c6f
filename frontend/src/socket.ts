// The browser's WebSocket behind the small SocketLike interface the state machine uses (the
// page's first socket, opened before the UI's code loads, is early-handshake.ts's).
import type { Handshake } from "./handshake";

export interface SocketHandlers {
  /** The socket opened; `sent` is the handshake already sent on it (early-handshake.ts), if any. */
  open(sent?: Handshake): void;
  message(data: string | ArrayBuffer): void;
  close(code: number, reason: string): void;
}

export interface SocketLike {
  send(data: string | Uint8Array<ArrayBuffer>): void;
  /** Closes and detaches the handlers. */
  close(): void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

export const browserSocket: SocketFactory = (url: string, handlers: SocketHandlers): SocketLike => adoptSocket(openSocket(url), handlers);

/** A WebSocket to `url` that takes binary frames as ArrayBuffers. */
export function openSocket(url: string): WebSocket {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  return socket;
}

/** `socket` behind the SocketLike interface, its events passed to `handlers`. */
export function adoptSocket(socket: WebSocket, handlers: SocketHandlers): SocketLike {
  socket.onopen = () => {
    handlers.open();
  };
  socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
    handlers.message(event.data);
  };
  socket.onclose = (event: CloseEvent) => {
    handlers.close(event.code, event.reason);
  };
  // An error is always followed by a close event, which carries what we need.
  socket.onerror = null;
  return {
    send(data) {
      if (socket.readyState === WebSocket.OPEN) {
        socket.send(data);
      }
    },
    close() {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.close();
    },
  };
}

/** The WebSocket URL next to the page, so the UI also works under a path prefix. */
export function webSocketUrl(page: { href: string }): string {
  const url = new URL("api/v1/ws", page.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  url.search = "";
  return url.toString();
}
