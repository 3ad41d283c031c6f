// The browser's WebSocket behind the small SocketLike interface the state machine uses.
import type { SocketFactory, SocketHandlers, SocketLike } from "./reconnect";

export const browserSocket: SocketFactory = (url: string, handlers: SocketHandlers): SocketLike => adopt(openSocket(url), handlers);

function openSocket(url: string): WebSocket {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  return socket;
}

/**
 * A factory whose first socket for `url` is opened now, before the caller asks: the page opens its
 * WebSocket first of all, so that the handshake (and the server starting the shell) overlaps
 * building the terminal. Later sockets, and one for another address, are opened when asked for;
 * so is the first if the early one has closed meanwhile.
 */
export function earlySocketFactory(url: string, open: (url: string) => WebSocket = openSocket): SocketFactory {
  let early: WebSocket | null = open(url);
  return (asked, handlers) => {
    const socket = early !== null && asked === url && early.readyState <= WebSocket.OPEN ? early : null;
    early = null;
    if (socket === null) {
      return adopt(open(asked), handlers);
    }
    const adopted = adopt(socket, handlers);
    // Opened before anyone listened (only if the caller waited a task): say so now.
    if (socket.readyState === WebSocket.OPEN) {
      queueMicrotask(() => {
        handlers.open();
      });
    }
    return adopted;
  };
}

function adopt(socket: WebSocket, handlers: SocketHandlers): SocketLike {
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
