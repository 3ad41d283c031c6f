// A stand-in for the browser's WebSocket, as far as socket.ts and early-handshake.ts use it, for
// their tests: it records what is sent and closed, and `accept()` opens it.

export class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;
  static created: FakeWebSocket[] = [];

  binaryType = "blob";
  readyState = FakeWebSocket.CONNECTING;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string | ArrayBuffer }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = () => undefined;
  sent: (string | Uint8Array)[] = [];
  closeCalls = 0;

  constructor(readonly url: string) {
    FakeWebSocket.created.push(this);
  }

  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }

  close(): void {
    this.closeCalls += 1;
  }

  accept(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
  }
}
