// The sessions panel: a button beside the settings gear opens it; Escape, the close button or a
// click elsewhere closes it (Escape in a rename, end or share form only closes that form). It lists
// the caller's live sessions (GET /api/v1/sessions) with who is watching each, and lets them switch
// this tab to another one, rename and end one (ending asks first, here in the panel), copy a link
// to one, replay its recording, and, as its owner, share it with a user or group and take shares
// back; below, the recordings of ended sessions to replay. While open it loads the list again
// every few seconds, keeping what is half typed and where the focus is. What the API answers when
// it refuses is shown as it said it. The look is the settings panel's (style.css, `.panel`).
import { closeOnPressOutside, keepFocusInside, panelShell, textButton } from "./dialog-panel";
import { iconButton } from "./icons";
import { keepControls, restoreControls } from "./redraw-keeper";
import { replayLink } from "./session-link";
import { ROLE_TEXT, relativeTime, SHARE_ROLE_TEXT, sessionLabel, shortRef, sizeText, watcherText } from "./session-text";
import type { RecordingInfo, SessionInfo, Share, ShareRole } from "./sessions-api";

/** What the panel needs of the API (SessionApi in the page, a fake in tests). */
export interface SessionsBackend {
  list(): Promise<SessionInfo[]>;
  rename(id: string, name: string): Promise<unknown>;
  end(id: string): Promise<void>;
  share(id: string, subject: string, role: ShareRole): Promise<unknown>;
  revoke(id: string, subject: string): Promise<void>;
  /** The recordings the caller may replay ([] when the server records nothing). */
  recordings?(): Promise<RecordingInfo[]>;
}

export interface SessionsPanelOptions {
  api: SessionsBackend;
  /** The session this tab shows, if any. */
  current(): string | null;
  /** Switch this tab to `id`. */
  attach(id: string): void;
  /** The address that opens `id` (never with a token). */
  link(id: string): string;
  /** Puts text on the clipboard. */
  copy(text: string): Promise<void>;
  now(): number;
  /** The panel closed: the focus goes back where it was (the terminal, usually). */
  closed(): void;
  /** Opens the replay of `id`'s recording; by default the replay page in a new tab. */
  replay?(id: string): void;
}

/** How often the open panel loads the list again. */
export const REFRESH_MS = 5000;
/** Most recordings of ended sessions listed. */
const ENDED_LISTED = 10;

/** Names longer than this are refused by the server (docs/protocol.md). */
export const NAME_MAX_LENGTH = 64;
type Editing = { id: string; mode: "rename" | "end" | "share" } | null;

export class SessionsPanel {
  readonly button: HTMLButtonElement;
  readonly element: HTMLElement;
  private readonly options: SessionsPanelOptions;
  private readonly document: Document;
  private readonly list: HTMLUListElement;
  private readonly message: HTMLElement;
  private readonly endedList: HTMLUListElement;
  private readonly endedHeading: HTMLElement;
  private sessions: SessionInfo[] = [];
  private ended: RecordingInfo[] = [];
  /** What the last load answered, to skip drawing an unchanged list. */
  private lastAnswer = "";
  /** The live sessions' ids and the recordings when the recordings were last loaded. */
  private lastLiveIds = "";
  private lastRecordings: RecordingInfo[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private loaded = false;
  private editing: Editing = null;
  /** A request is under way: the controls wait for it. */
  private busy = false;
  /**
   * Sessions ended from here: the server may list one for a moment longer, while its shell
   * hangs up, so it is left out of the list at once.
   */
  private readonly endedHere = new Set<string>();

  constructor(document: Document, options: SessionsPanelOptions) {
    this.document = document;
    this.options = options;

    const shell = panelShell(document, "sessions", "sessions", "Sessions", "Sessions");
    const { button, panel, header } = shell;
    this.button = button;
    this.element = panel;

    const refresh = textButton(this.document, "Refresh", "Load the list again");
    refresh.classList.add("sessions-refresh");
    refresh.addEventListener("click", () => {
      void this.refresh();
    });
    const close = iconButton(document, "close", "Close (Escape)");
    close.addEventListener("click", () => {
      this.close();
    });
    header.append(refresh, close);

    this.message = document.createElement("p");
    this.message.className = "sessions-message";
    this.message.setAttribute("role", "alert");
    this.message.hidden = true;

    this.list = document.createElement("ul");
    this.list.className = "session-list";
    this.list.setAttribute("aria-label", "Live sessions");

    this.endedHeading = document.createElement("h3");
    this.endedHeading.className = "sessions-subheading";
    this.endedHeading.textContent = "Ended sessions";
    this.endedHeading.hidden = true;
    this.endedList = document.createElement("ul");
    this.endedList.className = "session-list ended-list";
    this.endedList.setAttribute("aria-label", "Recordings of ended sessions");

    panel.append(header, this.message, this.list, this.endedHeading, this.endedList);

    button.addEventListener("click", () => {
      this.toggle();
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        if (this.editing !== null) {
          this.edit(null);
        } else {
          this.close();
        }
      } else if (event.key === "Tab") {
        keepFocusInside(event, this.focusables(), this.document.activeElement);
      }
    });
    closeOnPressOutside(
      document,
      shell,
      () => this.isOpen,
      () => {
        this.close(false);
      },
    );
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  toggle(): void {
    if (this.isOpen) {
      this.close();
    } else {
      void this.open();
    }
  }

  /** Opens the panel with the focus inside it, and loads the list. */
  async open(): Promise<void> {
    this.editing = null;
    this.element.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.render();
    this.focusables()[0]?.focus();
    this.stopTimer();
    this.timer = setInterval(() => {
      void this.refresh(true);
    }, REFRESH_MS);
    await this.refresh();
  }

  close(refocus = true): void {
    if (!this.isOpen) {
      return;
    }
    this.element.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    this.editing = null;
    this.stopTimer();
    if (refocus) {
      this.options.closed();
    }
  }

  /**
   * Loads the list again and shows it; a failure is shown in its place. `background`: the timer's
   * refresh, which waits for a request under way, draws only a changed list, keeps what is typed
   * and the focus, and leaves a message the user has not read yet alone.
   */
  async refresh(background = false): Promise<void> {
    if (background && this.busy) {
      return;
    }
    try {
      // The recordings are extra: when they cannot be loaded, the live sessions still show. The
      // list of them changes when a session ends (or starts), so the timer loads it only then, as
      // reading it costs the server a look at every recording; otherwise both load side by side.
      const loadRecordings = (): Promise<RecordingInfo[]> => (this.options.api.recordings?.() ?? Promise.resolve([])).catch(() => []);
      const loadingRecordings = background ? null : loadRecordings();
      const sessions = await this.options.api.list();
      const liveIds = sessions.map((session) => session.id).join();
      const recordings = loadingRecordings !== null ? await loadingRecordings : liveIds === this.lastLiveIds ? this.lastRecordings : await loadRecordings();
      this.lastLiveIds = liveIds;
      this.lastRecordings = recordings;
      const answer = JSON.stringify([sessions, recordings]);
      if (background && answer === this.lastAnswer) {
        return;
      }
      this.lastAnswer = answer;
      this.sessions = sessions.filter((session) => !this.endedHere.has(session.id));
      const live = new Set(sessions.map((session) => session.id));
      this.ended = recordings.filter((recording) => !recording.live && !live.has(recording.id)).slice(0, ENDED_LISTED);
      this.loaded = true;
      if (!background) {
        this.showMessage(null);
      }
    } catch (error) {
      this.showMessage(errorText(error));
      if (background) {
        return;
      }
    }
    this.render(background);
  }

  /** Draws the list from what was loaded last; `keep`: with what is typed and the focus as they were. */
  render(keep = false): void {
    const kept = keep ? keepControls(this.element, this.list) : null;
    const items = this.sessions.map((session) => this.item(session));
    if (items.length === 0) {
      const empty = this.document.createElement("li");
      empty.className = "session-empty";
      empty.textContent = this.loaded ? "No live sessions." : "Loading…";
      items.push(empty);
    }
    this.list.replaceChildren(...items);
    this.endedList.replaceChildren(...this.ended.map((recording) => this.endedItem(recording)));
    this.endedHeading.hidden = this.ended.length === 0;
    if (kept !== null) {
      restoreControls(this.element, this.list, kept);
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Opens the replay of `id`. */
  private replay(id: string): void {
    if (this.options.replay !== undefined) {
      this.options.replay(id);
      return;
    }
    // A new tab with this one as its opener, so that it starts with a copy of this tab's
    // sessionStorage, and so with its token; the token never goes into the address.
    this.document.defaultView?.open(replayLink(this.document.baseURI, id), "_blank");
  }

  private replayButton(id: string): HTMLButtonElement {
    const replay = textButton(this.document, "Replay", "Play this session's recording back, with pause, seek and speed (opens a new tab)");
    replay.dataset.action = "replay";
    replay.addEventListener("click", () => {
      this.replay(id);
    });
    return replay;
  }

  private endedItem(recording: RecordingInfo): HTMLLIElement {
    const li = this.document.createElement("li");
    li.className = "session ended";
    li.dataset.session = recording.id;
    const top = this.document.createElement("div");
    top.className = "session-title";
    const name = this.document.createElement("span");
    name.className = "session-name session-id";
    name.textContent = recording.id.slice(0, 8);
    name.title = recording.id;
    top.append(name, this.tag("Ended", "tag-ended"));
    const meta = this.document.createElement("div");
    meta.className = "session-meta";
    const now = this.options.now();
    meta.textContent = `started ${relativeTime(recording.started, now)} · last output ${relativeTime(recording.lastWritten, now)} · ${sizeText(recording.bytes)}`;
    if (recording.owner !== "") {
      meta.textContent += ` · ${shortRef(recording.owner)}`;
    }
    const actions = this.document.createElement("div");
    actions.className = "session-actions";
    actions.append(this.replayButton(recording.id));
    li.append(top, meta, actions);
    return li;
  }

  private item(session: SessionInfo): HTMLLIElement {
    const current = session.id === this.options.current();
    const owner = session.role === "owner";
    const li = this.document.createElement("li");
    li.className = "session";
    li.dataset.session = session.id;
    if (current) {
      li.classList.add("current");
      li.setAttribute("aria-current", "true");
    }

    const top = this.document.createElement("div");
    top.className = "session-title";
    const name = this.document.createElement("span");
    name.className = session.name === "" ? "session-name session-id" : "session-name";
    name.textContent = sessionLabel(session);
    name.title = session.id;
    top.append(name);
    if (current) {
      top.append(this.tag("This tab", "tag-current"));
    }
    top.append(this.tag(ROLE_TEXT[session.role], `tag-${session.role}`));

    const meta = this.document.createElement("div");
    meta.className = "session-meta";
    const now = this.options.now();
    const viewers = `${String(session.viewers)} ${session.viewers === 1 ? "viewer" : "viewers"}`;
    meta.textContent = `${viewers} · started ${relativeTime(session.created, now)} · active ${relativeTime(session.lastActivity, now)}`;
    if (!owner && session.owner !== "") {
      meta.textContent += ` · ${session.owner}`;
    }
    // Who is watching, when anyone is ("0 viewers" above says it when nobody is).
    const watching = this.document.createElement("div");
    watching.className = "session-meta session-watchers";
    watching.hidden = session.watchers.length === 0;
    watching.append("Watching:");
    for (const watcher of session.watchers) {
      const chip = this.tag(watcherText(watcher, session), watcher.role === "view" ? "tag-view tag-watcher" : "tag-watcher");
      chip.title = watcher.role === null ? watcher.user : `${watcher.user}: ${watcher.role}`;
      watching.append(" ", chip);
    }

    const actions = this.document.createElement("div");
    actions.className = "session-actions";
    if (!current) {
      const attach = textButton(this.document, "Attach", "Show this session in this tab");
      attach.classList.add("primary");
      attach.addEventListener("click", () => {
        this.options.attach(session.id);
        this.close();
      });
      actions.append(attach);
    }
    const copy = textButton(this.document, "Copy link", "Copy an address that opens this session (without any token)");
    copy.addEventListener("click", () => {
      this.options.copy(this.options.link(session.id)).then(
        () => {
          this.showMessage("Link copied.", "info");
        },
        () => {
          this.showMessage(`Copying needs clipboard access; the link is ${this.options.link(session.id)}`);
        },
      );
    });
    actions.append(copy);
    if (session.recording) {
      actions.append(this.replayButton(session.id));
    }
    if (owner) {
      for (const [mode, text, help] of [
        ["rename", "Rename", "Give this session a name"],
        ["share", "Share", "Let a user or group watch or type"],
        ["end", "End", "Hang up this session's shell"],
      ] as const) {
        const toggle = textButton(this.document, text, help);
        toggle.dataset.action = mode;
        toggle.setAttribute("aria-expanded", String(this.isEditing(session.id, mode)));
        if (mode === "end") {
          toggle.classList.add("danger");
        }
        toggle.addEventListener("click", () => {
          this.edit(this.isEditing(session.id, mode) ? null : { id: session.id, mode });
        });
        actions.append(toggle);
      }
    }
    li.append(top, meta, watching, actions);

    if (this.editing?.id === session.id) {
      if (this.editing.mode === "rename") {
        li.append(this.renameForm(session));
      } else if (this.editing.mode === "end") {
        li.append(this.endConfirmation(session, current));
      } else {
        li.append(this.shareForm(session));
      }
    }
    return li;
  }

  private renameForm(session: SessionInfo): HTMLFormElement {
    const form = this.document.createElement("form");
    form.className = "session-form rename-form";
    const input = this.document.createElement("input");
    input.type = "text";
    input.name = "name";
    input.value = session.name;
    input.maxLength = NAME_MAX_LENGTH;
    input.placeholder = "Name (empty clears it)";
    input.setAttribute("aria-label", "New name");
    input.autocomplete = "off";
    const save = textButton(this.document, "Save", "Save the name");
    save.type = "submit";
    save.classList.add("primary");
    const cancel = this.cancelButton();
    form.append(input, save, cancel);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.run(() => this.options.api.rename(session.id, input.value), null);
    });
    return form;
  }

  private endConfirmation(session: SessionInfo, current: boolean): HTMLElement {
    const box = this.document.createElement("div");
    box.className = "session-form end-confirmation";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "End the session?");
    const text = this.document.createElement("p");
    text.textContent = `End “${sessionLabel(session)}”? Its shell is hung up${current ? ", here too" : ""}, and every viewer is disconnected.`;
    const confirm = textButton(this.document, "End session", "Hang up the shell now");
    confirm.classList.add("danger", "solid");
    confirm.dataset.action = "confirm-end";
    confirm.addEventListener("click", () => {
      void this.run(async () => {
        await this.options.api.end(session.id);
        this.endedHere.add(session.id);
      }, null);
    });
    box.append(text, confirm, this.cancelButton());
    return box;
  }

  private shareForm(session: SessionInfo): HTMLElement {
    const box = this.document.createElement("div");
    box.className = "session-form share-box";
    const shares = this.document.createElement("ul");
    shares.className = "share-list";
    shares.setAttribute("aria-label", "Shared with");
    for (const share of session.shares) {
      shares.append(this.shareItem(session, share));
    }
    if (session.shares.length === 0) {
      const none = this.document.createElement("li");
      none.className = "share-none";
      none.textContent = "Not shared with anyone.";
      shares.append(none);
    }

    const form = this.document.createElement("form");
    form.className = "share-form";
    const subject = this.document.createElement("input");
    subject.type = "text";
    subject.name = "subject";
    subject.placeholder = "bob or group:ops";
    subject.setAttribute("aria-label", "User or group");
    subject.autocomplete = "off";
    subject.required = true;
    const role = this.document.createElement("select");
    role.name = "role";
    role.setAttribute("aria-label", "Role");
    for (const value of ["view", "write"] as const) {
      const option = this.document.createElement("option");
      option.value = value;
      option.textContent = SHARE_ROLE_TEXT[value];
      role.append(option);
    }
    const add = textButton(this.document, "Share", "Share with this user or group");
    add.type = "submit";
    add.classList.add("primary");
    form.append(subject, role, add);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const who = subject.value.trim();
      if (who === "") {
        this.showMessage("Say whom to share with: a user (bob) or a group (group:ops).");
        return;
      }
      void this.run(() => this.options.api.share(session.id, who, role.value === "write" ? "write" : "view"), { id: session.id, mode: "share" });
    });
    box.append(shares, form, this.cancelButton("Done"));
    return box;
  }

  private shareItem(session: SessionInfo, share: Share): HTMLLIElement {
    const li = this.document.createElement("li");
    li.className = "share";
    const who = this.document.createElement("span");
    who.className = "share-subject";
    who.textContent = share.subject;
    const revoke = textButton(this.document, "Revoke", `Stop sharing with ${share.subject}`);
    revoke.dataset.action = "revoke";
    revoke.addEventListener("click", () => {
      void this.run(() => this.options.api.revoke(session.id, share.subject), { id: session.id, mode: "share" });
    });
    li.append(who, this.tag(SHARE_ROLE_TEXT[share.role], `tag-${share.role}`), revoke);
    return li;
  }

  /** Runs one request; then loads the list again with `after` open, or shows the refusal. */
  private async run(request: () => Promise<unknown>, after: Editing): Promise<void> {
    if (this.busy) {
      return;
    }
    this.busy = true;
    this.element.setAttribute("aria-busy", "true");
    try {
      await request();
      this.editing = after;
      await this.refresh();
      this.focusEditor();
    } catch (error) {
      this.showMessage(errorText(error));
    } finally {
      this.busy = false;
      this.element.removeAttribute("aria-busy");
    }
  }

  private edit(editing: Editing): void {
    const previous = this.editing;
    this.editing = editing;
    this.showMessage(null);
    this.render();
    if (editing !== null) {
      this.focusEditor();
    } else if (previous !== null) {
      this.list.querySelector<HTMLElement>(`[data-session="${previous.id}"] [data-action="${previous.mode}"]`)?.focus();
    }
  }

  private focusEditor(): void {
    const form = this.list.querySelector(".session-form");
    form?.querySelector<HTMLElement>("input, button.danger")?.focus();
  }

  private isEditing(id: string, mode: "rename" | "end" | "share"): boolean {
    return this.editing?.id === id && this.editing.mode === mode;
  }

  /** A line above the list: a refusal (in the danger colour) or a note; null hides it. */
  private showMessage(text: string | null, tone: "error" | "info" = "error"): void {
    this.message.hidden = text === null;
    this.message.textContent = text ?? "";
    this.message.dataset.tone = tone;
  }

  private cancelButton(text = "Cancel"): HTMLButtonElement {
    const cancel = textButton(this.document, text, "Close this form (Escape)");
    cancel.addEventListener("click", () => {
      this.edit(null);
    });
    return cancel;
  }

  private tag(text: string, className: string): HTMLElement {
    const tag = this.document.createElement("span");
    tag.className = `tag ${className}`;
    tag.textContent = text;
    return tag;
  }

  private focusables(): HTMLElement[] {
    return Array.from(this.element.querySelectorAll<HTMLElement>("button, select, input")).filter((element) => !(element as HTMLButtonElement).disabled);
  }

}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
