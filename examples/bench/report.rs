//! `docs/performance.md` from a run's report.

use serde_json::{Value, json};

use crate::WORKLOAD_BYTES;

pub(crate) fn render_markdown(report: &Value) -> String {
    let target = |key: &str| {
        if report["targets"][key] == json!(true) {
            "met"
        } else {
            "**missed**"
        }
    };
    format!(
        "# Performance\n\n\
         Measured by `make bench` (`examples/bench.rs`): it starts the real server binary (built with the \
         `bench-fast` profile: release optimisations without LTO) and a native Rust WebSocket client on \
         loopback, and compares against numbers it measures itself in the same run. This file is \
         written by that run; do not edit it by hand.\n\n\
         Machine: {cpu}, {cores} cores, Linux {kernel}. Shared and noisy: compare ratios, not absolutes.\n\n\
         | measure | result | target | |\n|---|---|---|---|\n\
         | raw PTY drain (`cat` of {workload_mb} MB, blocking reads) | {raw} MB/s | reference | |\n\
         | PTY → WebSocket → native client, same workload, terminal model on | {ws} MB/s ({ratio} of raw); client CPU {client_cpu} s, server CPU {server_cpu} s | ≥ 0.9 of raw | {t1} |\n\
         | the same with {all_threads} runtime threads instead of {threads} (for comparison) | {ws_all} MB/s ({ratio_all} of raw); server CPU {server_cpu_all} s | | |\n\
         | keystroke echo round trip, 1 session | p50 {e1p50} ms, p99 {e1p99} ms | p99 ≤ 0.3 ms | {t2} |\n\
         | keystroke echo round trip, 200 idle sessions open | p50 {e2p50} ms, p99 {e2p99} ms | p99 ≤ 0.3 ms | {t3} |\n\
         | Ctrl-C during a `yes` flood, to the prompt (native client) | median {int} ms (max {int_max} ms); {int_kib} KiB received after Ctrl-C (median) | ≤ 5 ms | {t8} |\n\
         | new session: connect to the first prompt | median {fp} ms (max {fp_max} ms) | ≤ 10 ms | {t9} |\n\
         | snapshot of a 200×50 screen with 5000 lines of history ({snap_kb} KiB): built (server's mean) | {built} ms | ≤ 5 ms | {t10} |\n\
         | the same: from `attach` until the whole snapshot is received | median {att} ms (max {att_max} ms) | | |\n\
         | server RSS, idle | {rss_idle} KiB | ≤ 10240 KiB | {t4} |\n\
         | server RSS growth per idle 80×24 session, terminal model included (shells not counted) | {per_session:.1} KiB | ≤ 100 KiB | {t5} |\n\
         | server RSS after 200 sessions were opened and ended | {churn_before} → {churn_after} KiB | within 2048 KiB | {t11} |\n\
         | server RSS, 10 sessions flooding (`yes`) to slow readers | max {rss_flood} KiB | < 65536 KiB | {t6} |\n\
         | start to first 200 from `/ready` | median {ready} ms (max {ready_max} ms) | < 100 ms | {t7} |\n\
         | Chromium, through the UI: Ctrl-C during a `yes` flood, to the prompt drawn | {chromium_ctrl_c} | ≤ 300 ms | {t12} |\n\
         | Chromium: reload of a fully painted 200×50 screen, to the restored screen drawn | {chromium_reattach} | ≤ 150 ms | {t13} |\n\
         | the same: to the whole snapshot written, its 300 rows of history too | {chromium_reattach_whole} | | |\n\
         | Chromium: page load in a new tab (no cache), to the first prompt drawn | {chromium_page_load} | ≤ 250 ms | {t14} |\n\
         | Chromium: typing at the prompt, keydown to the echo drawn | {chromium_typing} | median ≤ 50 ms, p95 ≤ 100 ms | {t15} |\n\
         | UI bundle: JavaScript and CSS gzipped, lazily loaded chunks (search, images, WebGL) included | {bundle} | ≤ 250 KiB | {t16} |\n\n\
         How each is measured:\n\n\
         - **Throughput.** The workload is lines of 99 printable characters plus a newline. The raw rate is \
         `cat` on a bare PTY read with 64 KiB blocking reads; the server rate is the same `cat` in a session, \
         timed from the command to the last byte at the client. Five alternating rounds of each; the best \
         of each counts. CPU times (user + system) are those of the best server round.\n\
         - **Echo.** One byte is sent into `cat`'s canonical-mode line and timed until the echo arrives; then \
         a DEL, timed the same way. The first 50 pairs are warm-up.\n\
         - **Runtime threads.** The server runs with its default `worker_threads = 0`: half the CPUs, at \
         least one. The comparison row shows why: with a thread per CPU, a session's PTY pump and its \
         WebSocket task wake each other across threads, which costs CPU that `cat` and the client need.\n\
         - **Memory.** `VmRSS` of the server process from `/proc`; the shells are separate processes. Per \
         idle session: 200 sessions of 80×24 at a prompt, then all of them end, and the RSS is read again.\n\
         - **Ctrl-C.** `yes` floods a 100×50 session for 300 ms while the client reads everything; then \
         `\\x03` is sent and timed until the output ends in the shell's prompt (the output that was on its \
         way when the flood stopped is received, and counted, first). Ten rounds.\n\
         - **First prompt.** From opening the WebSocket (`open`, 80×24) to dash's `$ `. Ten rounds.\n\
         - **Snapshot.** A 200×50 session prints 5100 coloured lines; a second client attaches ten times. \
         The build time is the server's own (`web_terminal_snapshot_duration_seconds`, sum over count); \
         the attach time runs from sending `attach` until the snapshot frame has arrived.\n\
         - **Start-up.** Five starts; each is timed from `spawn` to the first HTTP 200 from `/ready`.\n\
         - **Chromium.** `frontend/bench/browser.mjs` drives headless Chromium (playwright-core) through the \
         real UI against its own server (same binary), ten rounds each after a warm-up ({chromium_version}). \
         The UI draws with WebGL only where the browser renders WebGL on a GPU, else with xterm.js's DOM \
         renderer (software WebGL, as on this GPU-less machine, is several times slower); the targets \
         count the UI's choice, and the other renderer, asked for with `?renderer=`, is shown beside it. \
         Ctrl-C: `yes` floods a 200×50 terminal for a second; from the keydown event's timestamp to the \
         first animation frame in which the cursor row is the prompt. Reattach: every cell painted, colours \
         changing every few cells, plus scrollback; from the reload's navigation start to the first frame \
         in which the screen text equals the text before the reload (page load, WebSocket handshake, \
         snapshot transfer, xterm.js writing and drawing it). The server marks which of the snapshot's \
         bytes draw the screen alone, and the UI draws those first, then writes the whole snapshot \
         (`src/screen-first.ts`); the second row times that whole write, after which each round checks \
         that the history and the screen are as they were before the reload. Page load: a fresh browser context (no \
         cache, a new session) per round; from the navigation's start to the first frame with the prompt \
         drawn (the log of the run shows where the time went: response, DOM ready, the UI running, the \
         WebSocket open, the first output); WebGL, where used, takes over after that first prompt. \
         Typing: one letter at a time at the prompt, from the keydown event's timestamp to the first \
         frame with the echo drawn; the echo comes from the shell, so each sample includes the round \
         trip to the server; median and 95th percentile of thirty letters. Bundle: every `.js` and \
         `.css` file of `frontend/dist` (what the server embeds, the replay page's included), each \
         gzipped at level 9.\n\n\
         ## Choosing the terminal model\n\n\
         Measured once on this machine (2026-11-25), outside `make bench`, with a scratch program that fed \
         100 MB of 100-column lines (CR LF) in 64 KiB chunks on one thread into each candidate at 200×50 \
         with 5000 rows of history (release build):\n\n\
         | candidate | MB/s | what it lacks for exact reattach |\n|---|---|---|\n\
         | `vte` 0.15 parser alone (no screen) | 1576 | everything but parsing |\n\
         | `vt100` 0.18 | 38.7 | the primary screen behind the alternate one, charsets, focus events |\n\
         | `avt` 0.19 | 44.5 | keypad, bracketed paste, mouse and focus modes, the title, history in its dump |\n\
         | `alacritty_terminal` 0.26 | 87.0 | a serializer; scroll region, tab stops and charsets are private |\n\
         | this project's model (`src/terminal/`, on `vte`) | 142 to 149 | reflow on resize (documented) |\n\
         | the same, holding plain text back (2026-11-26) | 760 | |\n\n\
         So the model is written on `vte`, with xterm.js's semantics, and held to them by \
         `tests/snapshot.rs`. Parsing every byte it was still slower than the pump, so it does not run on \
         the pump's path: a task of its own feeds it from the output ring, beside the pump (see \
         ARCHITECTURE.md). And during a flood of plain text (printable ASCII, CR and LF: `cat`, `yes`, \
         build logs) it holds the text back and drops, unparsed, the lines that newer ones push out of \
         the history anyway (`src/terminal/deferred.rs`); the state stays exact (a unit test compares it, \
         at random cuts of random output, with a model that parses everything); when it settles, it \
         parses at most the history's worth of lines.\n\n\
         Raw JSON of this run:\n\n```json\n{json}\n```\n",
        cpu = report["machine"]["cpu"].as_str().unwrap_or(""),
        cores = report["machine"]["cores"],
        kernel = report["machine"]["kernel"].as_str().unwrap_or(""),
        workload_mb = WORKLOAD_BYTES / 1_000_000,
        raw = report["raw_pty_drain"]["mb_per_s"],
        ws = report["websocket_throughput"]["mb_per_s"],
        ratio = report["websocket_throughput"]["ratio_to_raw"],
        client_cpu = report["websocket_throughput"]["client_cpu_s"],
        server_cpu = report["websocket_throughput"]["server_cpu_s"],
        threads = report["server_worker_threads"],
        all_threads = report["websocket_throughput_one_thread_per_cpu"]["worker_threads"],
        ws_all = report["websocket_throughput_one_thread_per_cpu"]["mb_per_s"],
        ratio_all = report["websocket_throughput_one_thread_per_cpu"]["ratio_to_raw"],
        server_cpu_all = report["websocket_throughput_one_thread_per_cpu"]["server_cpu_s"],
        e1p50 = report["echo_1_session"]["p50_ms"],
        e1p99 = report["echo_1_session"]["p99_ms"],
        e2p50 = report["echo_200_idle_sessions"]["p50_ms"],
        e2p99 = report["echo_200_idle_sessions"]["p99_ms"],
        rss_idle = report["rss_idle_bytes"].as_u64().unwrap_or(0) / 1024,
        per_session = report["rss_per_idle_session_bytes"].as_f64().unwrap_or(0.0) / 1024.0,
        rss_flood = report["rss_flood_max_bytes"].as_u64().unwrap_or(0) / 1024,
        ready = report["ready_after_start_ms"]["median"],
        ready_max = report["ready_after_start_ms"]["max"],
        t1 = target("throughput_ratio_at_least_0.9"),
        t2 = target("echo_p99_1_session_at_most_0.3ms"),
        t3 = target("echo_p99_200_idle_at_most_0.3ms"),
        t8 = target("interrupt_flood_at_most_5ms"),
        t9 = target("first_prompt_at_most_10ms"),
        t10 = target("snapshot_built_at_most_5ms"),
        built = report["snapshot_built_ms_200x50_5000_lines"],
        t11 = target("rss_after_200_sessions_within_2MiB"),
        int = report["interrupt_flood_ms"]["median"],
        int_max = report["interrupt_flood_ms"]["max"],
        int_kib = report["interrupt_flood_ms"]["drained_bytes_median"]
            .as_u64()
            .unwrap_or(0)
            / 1024,
        fp = report["first_prompt_ms"]["median"],
        fp_max = report["first_prompt_ms"]["max"],
        att = report["attach_full_screen_ms"]["median"],
        att_max = report["attach_full_screen_ms"]["max"],
        snap_kb = report["snapshot_bytes_200x50_5000_lines"]
            .as_u64()
            .unwrap_or(0)
            / 1024,
        churn_before = report["rss_200_sessions"]["before"].as_u64().unwrap_or(0) / 1024,
        churn_after = report["rss_200_sessions"]["after_closed"]
            .as_u64()
            .unwrap_or(0)
            / 1024,
        t4 = target("rss_idle_at_most_10MiB"),
        t12 = target("chromium_ctrl_c_at_most_300ms"),
        t13 = target("chromium_reattach_at_most_150ms"),
        chromium_ctrl_c = browser_cell(&report["chromium"], "ctrl_c_ms"),
        chromium_reattach = browser_cell(&report["chromium"], "reattach_ms"),
        chromium_reattach_whole = browser_cell(&report["chromium"], "reattach_whole_ms"),
        chromium_version = report["chromium"]["chromium"].as_str().unwrap_or("not run"),
        t14 = target("chromium_page_load_at_most_250ms"),
        t15 = target("chromium_typing_median_at_most_50ms_p95_at_most_100ms"),
        t16 = target("ui_bundle_at_most_250KiB_gzipped"),
        chromium_page_load = browser_cell(&report["chromium"], "page_load_ms"),
        chromium_typing = typing_cell(&report["chromium"]),
        bundle = bundle_cell(&report["chromium"]["bundle"]),
        t5 = target("rss_per_idle_session_at_most_100KiB"),
        t6 = target("rss_flood_under_64MiB"),
        t7 = target("ready_under_100ms"),
        json = serde_json::to_string_pretty(report).unwrap(),
    )
}

/// "median X ms (max Y ms)" from the browser measures, or why they are missing.
fn browser_cell(browser: &Value, key: &str) -> String {
    match (
        browser[key]["median"].as_f64(),
        browser[key]["max"].as_f64(),
    ) {
        (Some(median), Some(max)) => {
            let other = &browser["other_renderer"];
            format!(
                "median {median} ms (max {max} ms), {renderer} renderer (the UI's choice here); {other_renderer} renderer asked for: median {} ms (max {} ms)",
                other[key]["median"],
                other[key]["max"],
                renderer = browser["renderer"].as_str().unwrap_or("default"),
                other_renderer = other["renderer"].as_str().unwrap_or("other"),
            )
        }
        _ => format!(
            "not measured: {}",
            browser["error"].as_str().unwrap_or("no result")
        ),
    }
}

/// "median X ms, p95 Y ms" of typing with both renderers, or why it is missing.
fn typing_cell(browser: &Value) -> String {
    let typing = &browser["typing_ms"];
    let other = &browser["other_renderer"];
    match (typing["median"].as_f64(), typing["p95"].as_f64()) {
        (Some(median), Some(p95)) => format!(
            "median {median} ms, p95 {p95} ms (max {}), {renderer} renderer (the UI's choice here); {other_renderer} renderer asked for: median {} ms, p95 {} ms",
            typing["max"],
            other["typing_ms"]["median"],
            other["typing_ms"]["p95"],
            renderer = browser["renderer"].as_str().unwrap_or("default"),
            other_renderer = other["renderer"].as_str().unwrap_or("other"),
        ),
        _ => format!(
            "not measured: {}",
            browser["error"].as_str().unwrap_or("no result")
        ),
    }
}

/// The bundle's total, and each file, gzipped.
fn bundle_cell(bundle: &Value) -> String {
    let Some(total) = bundle["gzip_kib"].as_f64() else {
        return "not measured".to_string();
    };
    let files: Vec<String> = bundle["files"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .map(|file| {
                    format!(
                        "`{}` {:.1}",
                        file["name"].as_str().unwrap_or("?"),
                        file["gzip_bytes"].as_f64().unwrap_or(0.0) / 1024.0
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!("{total} KiB ({} KiB)", files.join(", "))
}
