// The reference for the server's terminal model: feeds what a viewer received into xterm.js
// (headless, with the Unicode 11 widths the UI uses) and prints the terminal's state as JSON.
//
// Input on stdin: {"cols": 80, "rows": 24, "segments": [{"snapshot": true, "data": "<base64>"}, ...]}
// A snapshot segment is written as the UI writes one: the terminal is reset first. Output: the
// state (both buffers with text, attributes and wrap flags of every line, cursor, modes, title),
// plus the replies xterm.js sent while writing snapshots, which must be none.
import headless from "@xterm/headless";
import { Unicode11Addon } from "@xterm/addon-unicode11";

const { Terminal } = headless;

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));

const terminal = new Terminal({ cols: input.cols, rows: input.rows, scrollback: 100_000, allowProposedApi: true });
terminal.loadAddon(new Unicode11Addon());
terminal.unicode.activeVersion = "11";
let title = "";
terminal.onTitleChange((next) => (title = next));
let writingSnapshot = false;
const snapshotReplies = [];
terminal.onData((data) => {
  if (writingSnapshot) snapshotReplies.push(data);
});

const write = (bytes) => new Promise((resolve) => terminal.write(bytes, resolve));
for (const segment of input.segments) {
  const bytes = Buffer.from(segment.data, "base64");
  if (segment.snapshot) {
    terminal.reset();
    writingSnapshot = true;
    await write(bytes);
    writingSnapshot = false;
  } else {
    await write(bytes);
  }
}

/** One cell's attributes as a compact string, so runs of equal ones compare cheaply. */
function attributes(cell) {
  return [
    cell.getFgColorMode(), cell.getFgColor(), cell.getBgColorMode(), cell.getBgColor(),
    cell.isBold(), cell.isDim(), cell.isItalic(), cell.isUnderline(), cell.isBlink(),
    cell.isInverse(), cell.isInvisible(), cell.isStrikethrough(), cell.isOverline(),
  ].map(Number).join(",");
}

function dump(buffer) {
  const lines = [];
  const cell = buffer.getNullCell();
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    const runs = [];
    for (let x = 0; x < terminal.cols; x++) {
      line.getCell(x, cell);
      const key = `${attributes(cell)}|w${cell.getWidth()}`;
      if (runs.length === 0 || runs[runs.length - 1][1] !== key) runs.push([x, key]);
    }
    lines.push({ text: line.translateToString(true), wrapped: line.isWrapped, runs });
  }
  return lines;
}

const active = terminal.buffer.active;
const core = terminal._core;
process.stdout.write(JSON.stringify({
  active: active.type,
  normal: dump(terminal.buffer.normal),
  alternate: active.type === "alternate" ? dump(terminal.buffer.alternate) : [],
  cursor: { x: active.cursorX, y: active.cursorY, hidden: core?.coreService?.isCursorHidden ?? null },
  modes: terminal.modes,
  mouse: { protocol: core?.coreMouseService?.activeProtocol ?? null, encoding: core?.coreMouseService?.activeEncoding ?? null },
  title,
  snapshotReplies,
}));
