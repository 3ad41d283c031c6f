// The first message on a terminal socket, `open` or `attach` (docs/protocol.md), as the connection
// (reconnect.ts) and the page's early handshake (early-handshake.ts) both send it.
import type { ClientMessage } from "./generated/protocol";

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** The first message on a socket. */
export type Handshake = Extract<ClientMessage, { type: "open" } | { type: "attach" }>;

/** The first message on a socket: attach to `session`, or open a new one. */
export function handshakeMessage(session: string | null, size: TerminalSize, token: string | null): Handshake {
  const { cols, rows } = size;
  const auth = token === null ? {} : { token };
  return session === null
    ? { type: "open", cols, rows, resync: true, flow: true, draining: true, size: true, ...auth }
    : { type: "attach", session, cols, rows, resync: true, flow: true, draining: true, size: true, ...auth };
}
