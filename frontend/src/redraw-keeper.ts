// What a list of session items holds that drawing it again would lose: the values typed into its
// open form and the focused control (by item and position, with the text selection). The sessions
// panel keeps them before its periodic redraw and puts them back after it.

/** What the list's controls held before it was drawn again. */
export interface Kept {
  values: Map<string, string>;
  focus: { session: string; index: number; start: number | null; end: number | null } | null;
}

const FORM_FIELDS = ".session-form [name]";

/** The form values in `list`, and the focus if it is on a control of an item (`[data-session]`) in `panel`. */
export function keepControls(panel: HTMLElement, list: HTMLElement): Kept {
  const values = new Map<string, string>();
  for (const field of list.querySelectorAll<HTMLInputElement | HTMLSelectElement>(FORM_FIELDS)) {
    values.set(field.name, field.value);
  }
  const active = panel.ownerDocument.activeElement as HTMLElement | null;
  const item = active?.closest<HTMLElement>("[data-session]") ?? null;
  if (active === null || item === null || !panel.contains(item)) {
    return { values, focus: null };
  }
  const input = active instanceof HTMLInputElement ? active : null;
  return {
    values,
    focus: {
      session: item.dataset.session ?? "",
      index: controlsOf(item).indexOf(active),
      start: input?.selectionStart ?? null,
      end: input?.selectionEnd ?? null,
    },
  };
}

/** Puts `kept` back into the newly drawn `list`: the values by field name, the focus by item and position. */
export function restoreControls(panel: HTMLElement, list: HTMLElement, kept: Kept): void {
  for (const field of list.querySelectorAll<HTMLInputElement | HTMLSelectElement>(FORM_FIELDS)) {
    const value = kept.values.get(field.name);
    if (value !== undefined) {
      field.value = value;
    }
  }
  if (kept.focus === null) {
    return;
  }
  const { session, index, start, end } = kept.focus;
  const item = panel.querySelector<HTMLElement>(`[data-session="${session}"]`);
  const target = item === null ? undefined : controlsOf(item)[index];
  if (target === undefined) {
    return;
  }
  target.focus();
  if (target instanceof HTMLInputElement && start !== null && end !== null) {
    target.setSelectionRange(start, end);
  }
}

function controlsOf(item: HTMLElement): HTMLElement[] {
  return Array.from(item.querySelectorAll<HTMLElement>("button, select, input"));
}
