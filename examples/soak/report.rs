//! The soak run's verdict, `docs/soak.md` and its plots: hand-written SVG polylines.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::{Params, RunResult, Sample, quantile};

/// RSS is flat when the mean of the last quarter of the samples is at most this much above the
/// mean of the second quarter (the first quarter is the warm-up: allocator arenas, caches).
const RSS_GROWTH_LIMIT: f64 = 0.10;
/// The same for open file descriptors.
const FDS_GROWTH_LIMIT: f64 = 0.05;
/// Echo latency p99 over the whole run must stay below this.
const P99_LIMIT_MS: f64 = 2.0;

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(sum, count), v| (sum + v, count + 1));
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The second and last quarters of the samples.
fn quarters(samples: &[Sample]) -> (&[Sample], &[Sample]) {
    let n = samples.len();
    (&samples[n / 4..n / 2], &samples[n - n / 4..])
}

pub(crate) fn verdict(params: &Params, result: &RunResult) -> Value {
    let (second, last) = quarters(&result.samples);
    let growth = |pick: fn(&Sample) -> f64| {
        let (before, after) = (mean(second.iter().map(pick)), mean(last.iter().map(pick)));
        (before, after, after / before - 1.0)
    };
    let (rss_q2, rss_q4, rss_growth) = growth(|s| s.rss as f64);
    let (fds_q2, fds_q4, fds_growth) = growth(|s| s.fds as f64);
    let latencies = &result.latencies;
    let p = |q| {
        if latencies.is_empty() {
            f64::NAN
        } else {
            quantile(latencies, q)
        }
    };
    let worst_window = result
        .samples
        .iter()
        .filter_map(|s| s.echo_p99_ms)
        .fold(0.0, f64::max);
    let enough = result.samples.len() >= 4 && !latencies.is_empty();
    let checks = json!({
        "rss_flat": enough && rss_growth <= RSS_GROWTH_LIMIT,
        "fds_flat": enough && fds_growth <= FDS_GROWTH_LIMIT,
        "echo_p99_under_2ms": enough && p(0.99) < P99_LIMIT_MS,
        "no_lost_echoes_or_errors": result.lost_echoes == 0 && result.typist_errors == 0,
        "churn_without_failures": result.churn_failures == 0,
    });
    let pass = checks
        .as_object()
        .unwrap()
        .values()
        .all(|v| v == &json!(true));
    json!({
        "full_run": params.is_full(),
        "sessions": params.sessions,
        "seconds": params.seconds,
        "rss_bytes": {"before_sessions": result.rss_before, "second_quarter_mean": rss_q2.round(),
                      "last_quarter_mean": rss_q4.round(), "growth": round(rss_growth)},
        "fds": {"before_sessions": result.fds_before, "second_quarter_mean": round(fds_q2),
                "last_quarter_mean": round(fds_q4), "growth": round(fds_growth)},
        "echo_ms": {"samples": latencies.len(), "p50": round(p(0.5)), "p99": round(p(0.99)),
                    "max": round(p(1.0)), "worst_window_p99": round(worst_window)},
        "lost_echoes": result.lost_echoes,
        "typist_errors": result.typist_errors,
        "churned_sessions": result.churned,
        "churn_failures": result.churn_failures,
        "flood_bytes": result.flood_bytes,
        "open_seconds": round(result.open_seconds),
        "checks": checks,
        "pass": pass,
    })
}

/// Writes the report and its three plots beside it.
pub(crate) fn write(params: &Params, result: &RunResult, verdict: &Value) {
    let dir = params.out.parent().unwrap_or(Path::new("."));
    let t = |s: &Sample| s.at_seconds;
    let plots = [
        (
            "soak-rss.svg",
            "Server RSS (MiB)",
            result
                .samples
                .iter()
                .map(|s| (t(s), s.rss as f64 / 1048576.0))
                .collect::<Vec<_>>(),
            None,
        ),
        (
            "soak-fds.svg",
            "Server open file descriptors",
            result
                .samples
                .iter()
                .map(|s| (t(s), s.fds as f64))
                .collect(),
            None,
        ),
        (
            "soak-p99.svg",
            "Echo latency p99 per sample window (ms); dashed: the 2 ms bound",
            result
                .samples
                .iter()
                .filter_map(|s| Some((t(s), s.echo_p99_ms?)))
                .collect(),
            Some(P99_LIMIT_MS),
        ),
    ];
    for (file, title, points, limit) in &plots {
        std::fs::write(dir.join(file), svg(title, points, *limit)).unwrap();
    }
    std::fs::write(&params.out, markdown(params, result, verdict)).unwrap();
}

fn markdown(params: &Params, result: &RunResult, v: &Value) -> String {
    let mut md = String::new();
    let pass = if v["pass"] == json!(true) {
        "PASS"
    } else {
        "FAIL"
    };
    let _ = writeln!(md, "# Soak run\n");
    let _ = writeln!(
        md,
        "Written by `make soak` (`examples/soak/`); `docs/testing.md` says how to run it.\n"
    );
    if !params.is_full() {
        let _ = writeln!(
            md,
            "**A short run:** {} sessions for {} s, not the full soak (1,000 sessions for 10 \
             minutes); its verdict says only that nothing grew or slowed in this short window.\n",
            params.sessions, params.seconds
        );
    }
    let _ = writeln!(md, "**Verdict: {pass}**\n");
    let _ = writeln!(md, "## Parameters\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let rows = [
        ("Sessions typing (`cat`)", params.sessions.to_string()),
        ("Duration", format!("{} s", params.seconds)),
        (
            "Keystrokes",
            format!(
                "one key and its DEL per session every {} ms, each waiting for its echo",
                params.type_interval_ms
            ),
        ),
        (
            "Churn",
            format!(
                "{} new sessions a second, each types a line then exits or drops its connection \
                 (grace period {} s)",
                params.churn_per_second,
                super::GRACE_SECONDS
            ),
        ),
        (
            "Flood",
            format!(
                "one session running `yes`, read one frame every {} ms",
                params.flood_read_delay_ms
            ),
        ),
        ("Sample interval", format!("{} s", params.sample_seconds)),
        (
            "Machine",
            format!(
                "{}, {} cores (load average at the end: {})",
                v_str(&result.machine["cpu"]),
                result.machine["cores"],
                v_str(&result.machine["load_average"])
            ),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(md, "| {name} | {value} |");
    }
    let _ = writeln!(md, "\n## Verdict\n");
    let _ = writeln!(
        md,
        "*Flat* means: the mean of the last quarter of the samples is at most {:.0} % (RSS) and \
         {:.0} % (file descriptors) above the mean of the second quarter (the first quarter is \
         the warm-up). The echo latency p99 over the run after its first {} s (a tenth, at most \
         30 s: fresh sessions' first keystrokes are slow) must be under {P99_LIMIT_MS} ms, and \
         no echo may be lost (none waits over 5 s) and no churn session may fail to open.\n",
        RSS_GROWTH_LIMIT * 100.0,
        FDS_GROWTH_LIMIT * 100.0,
        params.warm_up().as_secs()
    );
    let mib = |value: &Value| value.as_f64().unwrap_or(f64::NAN) / 1048576.0;
    let ok = |name: &str| {
        if v["checks"][name] == json!(true) {
            "pass"
        } else {
            "FAIL"
        }
    };
    let _ = writeln!(md, "| Check | Measured | |\n|---|---|---|");
    let _ = writeln!(
        md,
        "| RSS flat | {:.1} MiB → {:.1} MiB ({:+.1} %; {:.1} MiB before the sessions) | {} |",
        mib(&v["rss_bytes"]["second_quarter_mean"]),
        mib(&v["rss_bytes"]["last_quarter_mean"]),
        v["rss_bytes"]["growth"].as_f64().unwrap_or(f64::NAN) * 100.0,
        mib(&v["rss_bytes"]["before_sessions"]),
        ok("rss_flat")
    );
    let _ = writeln!(
        md,
        "| File descriptors flat | {:.0} → {:.0} ({:+.1} %; {} before the sessions) | {} |",
        v["fds"]["second_quarter_mean"].as_f64().unwrap_or(f64::NAN),
        v["fds"]["last_quarter_mean"].as_f64().unwrap_or(f64::NAN),
        v["fds"]["growth"].as_f64().unwrap_or(f64::NAN) * 100.0,
        v["fds"]["before_sessions"],
        ok("fds_flat")
    );
    let _ = writeln!(
        md,
        "| Echo p99 < 2 ms | p50 {} ms, p99 {} ms, max {} ms over {} echoes (worst window's p99 \
         {} ms) | {} |",
        v["echo_ms"]["p50"],
        v["echo_ms"]["p99"],
        v["echo_ms"]["max"],
        v["echo_ms"]["samples"],
        v["echo_ms"]["worst_window_p99"],
        ok("echo_p99_under_2ms")
    );
    let _ = writeln!(
        md,
        "| No lost echoes or errors | {} lost, {} errors | {} |",
        v["lost_echoes"],
        v["typist_errors"],
        ok("no_lost_echoes_or_errors")
    );
    let _ = writeln!(
        md,
        "| Churn | {} sessions churned, {} failed to open | {} |",
        v["churned_sessions"],
        v["churn_failures"],
        ok("churn_without_failures")
    );
    let _ = writeln!(
        md,
        "\nThe {} sessions opened in {} s; the flood delivered {:.1} MB.\n",
        params.sessions,
        v["open_seconds"],
        v["flood_bytes"].as_f64().unwrap_or(0.0) / 1e6
    );
    let _ = writeln!(md, "## Over time\n");
    let _ = writeln!(md, "![Server RSS](soak-rss.svg)\n");
    let _ = writeln!(md, "![Server open file descriptors](soak-fds.svg)\n");
    let _ = writeln!(md, "![Echo latency p99](soak-p99.svg)\n");
    let _ = writeln!(md, "<details><summary>Every sample</summary>\n");
    let _ = writeln!(
        md,
        "| Time (s) | RSS (MiB) | fds | echo p99 (ms) | echoes |\n|---:|---:|---:|---:|---:|"
    );
    for s in &result.samples {
        let _ = writeln!(
            md,
            "| {:.0} | {:.1} | {} | {} | {} |",
            s.at_seconds,
            s.rss as f64 / 1048576.0,
            s.fds,
            s.echo_p99_ms.map_or("-".to_owned(), |p| format!("{p:.3}")),
            s.echoes
        );
    }
    let _ = writeln!(md, "\n</details>");
    md
}

fn v_str(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// A line plot of `points` (time in seconds, value), from zero, with an optional dashed limit.
fn svg(title: &str, points: &[(f64, f64)], limit: Option<f64>) -> String {
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 32.0;
    const BOTTOM: f64 = 36.0;
    let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let y_max = points
        .iter()
        .map(|p| p.1)
        .chain(limit)
        .fold(f64::MIN_POSITIVE, f64::max)
        * 1.1;
    let x = |t: f64| LEFT + t / x_max * (W - LEFT - RIGHT);
    let y = |v: f64| H - BOTTOM - v / y_max * (H - TOP - BOTTOM);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"20\" font-size=\"14\">{}</text>\n",
        escape(title)
    );
    // Axes, with ticks at a quarter of the range each.
    let _ = writeln!(
        svg,
        "<polyline points=\"{LEFT},{TOP} {LEFT},{} {},{}\" fill=\"none\" stroke=\"#444\"/>",
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM
    );
    for i in 0..=4 {
        let fraction = f64::from(i) / 4.0;
        let value = y_max * fraction;
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{4}</text>",
            y(value),
            W - RIGHT,
            LEFT - 6.0,
            y(value) + 4.0,
            tick(value)
        );
        let seconds = x_max * fraction;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{:.0} s</text>",
            x(seconds),
            H - BOTTOM + 16.0,
            seconds
        );
    }
    if let Some(limit) = limit {
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#c00\" \
             stroke-dasharray=\"6 4\"/>",
            y(limit),
            W - RIGHT
        );
    }
    let line: Vec<String> = points
        .iter()
        .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
        .collect();
    let _ = writeln!(
        svg,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\"/>",
        line.join(" ")
    );
    svg.push_str("</svg>\n");
    svg
}

fn tick(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
