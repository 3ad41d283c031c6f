// The on-screen keyboard. Phones show it over the page: the layout viewport keeps its height and
// only the visual viewport shrinks (iOS always; Android unless the page asks for
// `interactive-widget=resizes-content`, as index.html does). This keeps two CSS variables on an
// element in step with the visual viewport, for touch-ui.css: `--keyboard-inset`, how much of the
// layout viewport's bottom is hidden, and `--viewport-top`, where the visible part starts. The
// terminal's box follows them, and main.ts's ResizeObserver refits the terminal to it, so its
// cursor line stays above the keyboard and the key bar.

/** What this reads of `window.visualViewport`. */
export interface VisualViewportLike extends EventTarget {
  readonly height: number;
  readonly offsetTop: number;
  readonly scale: number;
}

/**
 * Follows `viewport`'s resize and scroll events from now on; `layoutHeight` is the layout
 * viewport's height (`window.innerHeight`). Sets `data-keyboard="open"` on `target` while
 * something hides the bottom. Returns the update, for a caller that knows of a change first.
 */
export function followVisualViewport(viewport: VisualViewportLike, layoutHeight: () => number, target: HTMLElement): () => void {
  const update = (): void => {
    // Pinch-zoomed: the user is looking closer, and nothing needs to move.
    if (Math.abs(viewport.scale - 1) > 0.01) {
      return;
    }
    const top = Math.max(0, Math.round(viewport.offsetTop));
    const hidden = Math.max(0, Math.round(layoutHeight() - viewport.offsetTop - viewport.height));
    target.style.setProperty("--viewport-top", `${top}px`);
    target.style.setProperty("--keyboard-inset", `${hidden}px`);
    if (hidden > 0) {
      target.dataset.keyboard = "open";
    } else {
      delete target.dataset.keyboard;
    }
  };
  viewport.addEventListener("resize", update);
  viewport.addEventListener("scroll", update);
  update();
  return update;
}
