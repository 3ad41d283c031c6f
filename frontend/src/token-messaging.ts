// Where new tokens come from while the UI runs: the fragment at start-up and whenever it changes,
// and messages from an embedding page, judged by the UI configuration once it has arrived. The
// rules themselves are the pure functions of token.ts.
import { requestToken, takeFragmentToken, TOKEN_KEY, tokenFromMessage, type KeyValueStore, type UiConfig } from "./token";

/** Enough for a page that posts its token more than once before the configuration arrives. */
const MAX_EARLY_MESSAGES = 8;

/** The parts of the window that tokens arrive through. */
export type TokenWindow = Pick<Window, "location" | "history" | "addEventListener">;

export interface TokenMessagingOptions {
  /** Where the token is kept for this tab. */
  store: KeyValueStore;
  /** The embedding page's window, or null when the UI is not in a frame. */
  parent: Window | null;
  /** The server's UI configuration: which origins may hand over tokens. */
  uiConfig: Promise<UiConfig>;
  /** A new token has arrived: `token` returns it. */
  tokenAvailable(): void;
  /** Whether the connection waits for a new token (the server answered 4401). */
  waitingForToken(): boolean;
}

export class TokenMessaging {
  private readonly options: TokenMessagingOptions;
  private currentToken: string | null;
  private config: UiConfig | null = null;
  /** Messages that arrived before the configuration could judge them. */
  private readonly earlyMessages: MessageEvent[] = [];

  /** Takes the token out of the address bar at once, so construct this before anything else. */
  constructor(view: TokenWindow, options: TokenMessagingOptions) {
    this.options = options;
    this.currentToken = takeFragmentToken(view.location, view.history, options.store);

    // A token pasted into the address bar of an open tab only changes the fragment: take it too.
    view.addEventListener("hashchange", () => {
      const fresh = takeFragmentToken(view.location, view.history, options.store);
      if (fresh !== null && fresh !== this.currentToken) {
        this.currentToken = fresh;
        options.tokenAvailable();
      }
    });

    view.addEventListener("message", (event) => {
      if (this.config === null) {
        if (this.earlyMessages.length < MAX_EARLY_MESSAGES) {
          this.earlyMessages.push(event);
        }
        return;
      }
      this.accept(event);
    });

    void options.uiConfig.then((config) => {
      this.config = config;
      for (const event of this.earlyMessages.splice(0)) {
        this.accept(event);
      }
      // A 4401 that came before the configuration could not ask anyone yet.
      if (options.waitingForToken()) {
        requestToken(options.parent, config.embedOrigins);
      }
    });
  }

  /** The token to sign in with, if any. */
  get token(): string | null {
    return this.currentToken;
  }

  /** Asks the embedding page for a fresh token (none until the configuration says whom to ask). */
  requestToken(): void {
    requestToken(this.options.parent, this.config?.embedOrigins ?? []);
  }

  private accept(event: MessageEvent): void {
    if (this.options.parent === null || this.config === null) {
      return;
    }
    const fresh = tokenFromMessage(event, this.config.embedOrigins, this.options.parent);
    if (fresh !== null) {
      this.currentToken = fresh;
      this.options.store.set(TOKEN_KEY, fresh);
      this.options.tokenAvailable();
    }
  }
}
