// The page's entry: opens the WebSocket, with its handshake where it can go early
// (early-handshake.ts), then runs the UI (main.ts, which index.html has the browser fetch
// meanwhile). The UI's code holds the main thread for a while once it runs, and the socket's
// `open` event, upon which the handshake is sent, would wait for it: so the UI runs once the
// socket has opened, or after EARLY_OPEN_WAIT_MS should that take longer (a distant server).
import "@xterm/xterm/css/xterm.css";
import "./style.css";
import { startEarlyHandshake } from "./early-handshake";
import { loadWebgl, webglAtOpen } from "./renderer";
import { storageStore } from "./token";

const EARLY_OPEN_WAIT_MS = 50;

const early = startEarlyHandshake(window);
// The WebGL addon is fetched alongside the UI where the terminal opens with it, and the UI runs
// once it is here, so that the terminal opens and fits at WebGL's cell size; elsewhere it is
// fetched only if the browser turns out to draw WebGL on a GPU (renderer.ts).
const webgl = webglAtOpen(window.location.search, storageStore(() => window.sessionStorage))
  ? loadWebgl().then(
      () => undefined,
      () => undefined, // The DOM renderer, then.
    )
  : undefined;
const opened = Promise.race([early.settled, new Promise((resolve) => setTimeout(resolve, EARLY_OPEN_WAIT_MS))]);
void Promise.all([opened, webgl]).then(() => import("./main"));
