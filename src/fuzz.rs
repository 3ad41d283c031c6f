//! A mutational fuzzer that runs on stable Rust inside the unit tests: no nightly, no external
//! engine. Each target (`targets.rs`: parsers and the terminal model; `http.rs`; `loaders.rs`:
//! the configuration) has seeds (valid inputs), a dictionary (JSON keys, escape sequences, TOML
//! and YAML keys, routes) and a function that runs one input through the real code and panics on
//! a bug; the driver here mutates (`mutate.rs`) and runs each input under `catch_unwind`.
//!
//! There is no coverage feedback: instead each run returns a signature of its outcome (which
//! message, status or error), and an input with a signature not seen before joins the corpus,
//! so inputs that get further (a valid message, a loadable configuration, a live session's
//! route) are mutated further.
//!
//! A panic is a crash: its input is written to `tests/fuzz-regressions/<target>/` and the test
//! fails naming the target and the file. Every file there is replayed first on every run, so a
//! crash found once stays a regression test. `smoke` runs every target briefly in `make test`;
//! `make fuzz` runs the `#[ignore]`d `long` test (`FUZZ_EXECS`, 10 million by default;
//! `FUZZ_SEED` repeats a run). `docs/testing.md` has the results.

mod http;
mod loaders;
mod mutate;
mod targets;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mutate::{Mutator, Rng};

/// One thing to fuzz.
trait Target {
    /// Names the target and its folder of regressions.
    fn name(&self) -> &'static str;
    /// Valid inputs to start from.
    fn seeds(&self) -> Vec<Vec<u8>>;
    /// Tokens worth inserting.
    fn dictionary(&self) -> Vec<Vec<u8>>;
    /// Longest input tried.
    fn max_len(&self) -> usize;
    /// Runs one input; panics on a bug. Returns a signature of the outcome: inputs with a new one
    /// join the corpus.
    fn run(&mut self, input: &[u8]) -> u64;
}

/// Most inputs kept per target.
const MAX_CORPUS: usize = 512;

/// What one target's run did.
#[derive(Debug)]
struct Stats {
    name: &'static str,
    execs: u64,
    elapsed: Duration,
    corpus: usize,
    regressions: usize,
}

/// A panic: the target, the file holding the input, and the panic's message.
#[derive(Debug)]
struct Crash {
    target: &'static str,
    file: PathBuf,
    message: String,
}

impl std::fmt::Display for Crash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fuzz target `{}` panicked: {}\n  input: {}\n  (replayed by every fuzz run; \
             rerun with RUST_BACKTRACE=1 for the stack trace)",
            self.target,
            self.message,
            self.file.display()
        )
    }
}

fn regressions_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target)
}

/// Runs `input`, turning a panic into its message.
fn run_caught(target: &mut dyn Target, input: &[u8]) -> Result<u64, String> {
    catch_unwind(AssertUnwindSafe(|| target.run(input))).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "(a panic without a message)".to_owned())
    })
}

/// Replays the target's regressions and seeds, then runs `execs` mutants from `seed`.
fn fuzz(target: &mut dyn Target, execs: u64, seed: u64) -> Result<Stats, Crash> {
    let name = target.name();
    let started = Instant::now();
    let mut regressions = 0;
    let dir = regressions_dir(name);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut files: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        files.sort();
        for file in files {
            let input = std::fs::read(&file).expect("a regression input is readable");
            if let Err(message) = run_caught(target, &input) {
                return Err(Crash {
                    target: name,
                    file,
                    message,
                });
            }
            regressions += 1;
        }
    }
    let mutator = Mutator {
        dictionary: target.dictionary(),
        max_len: target.max_len(),
    };
    let mut corpus = target.seeds();
    let seeds = corpus.len();
    let mut seen = HashSet::new();
    let crash = |input: &[u8], message: String| {
        let file = dir.join(format!("crash-{:016x}", fnv(input)));
        std::fs::create_dir_all(&dir).expect("the regressions folder can be created");
        std::fs::write(&file, input).expect("the crash input can be written");
        Crash {
            target: name,
            file,
            message,
        }
    };
    for input in &corpus {
        match run_caught(target, input) {
            Ok(signature) => seen.insert(signature),
            Err(message) => return Err(crash(input, message)),
        };
    }
    let mut rng = Rng::new(seed ^ fnv(name.as_bytes()));
    for _ in 0..execs {
        // The seeds a quarter of the time, the newest entries (those that reached a new
        // outcome) a quarter, else any.
        let index = match rng.below(4) {
            0 => rng.below(seeds),
            1 => corpus.len() - 1 - rng.below(corpus.len().min(8)),
            _ => rng.below(corpus.len()),
        };
        let other = rng.below(corpus.len());
        let input = mutator.mutate(&mut rng, &corpus[index], &corpus[other]);
        match run_caught(target, &input) {
            Ok(signature) => {
                if seen.insert(signature) && corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                }
            }
            Err(message) => return Err(crash(&input, message)),
        }
    }
    Ok(Stats {
        name,
        execs,
        elapsed: started.elapsed(),
        corpus: corpus.len(),
        regressions,
    })
}

/// FNV-1a, for signatures and crash file names.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The signature of an error or answer text: its first words, without the numbers (line and
/// column, timestamps, ids) and without what it quotes back between backticks or quotes.
fn text_signature(text: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut quoted = false;
    for byte in text.bytes().take(48) {
        if byte == b'`' || byte == b'"' {
            quoted = !quoted;
            continue;
        }
        if quoted || byte.is_ascii_digit() {
            continue;
        }
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Every target, with its share of a run's executions (per mille).
fn targets() -> Vec<(Box<dyn Target>, u64)> {
    vec![
        (Box::new(targets::Protocol) as Box<dyn Target>, 300),
        (Box::new(targets::Names), 250),
        (Box::new(targets::Terminal), 100),
        (Box::new(http::Http::new()), 150),
        (Box::new(loaders::ServerConfig), 100),
        (Box::new(loaders::Auth::new()), 100),
    ]
}

/// Runs every target with its share of `total` executions; panics with every crash found.
fn run_all(total: u64, seed: u64) {
    eprintln!("fuzz: seed {seed} (FUZZ_SEED={seed} repeats this run)");
    let mut crashes = Vec::new();
    let mut all = Vec::new();
    for (mut target, share) in targets() {
        match fuzz(target.as_mut(), total * share / 1000, seed) {
            Ok(stats) => {
                eprintln!(
                    "fuzz: {:<10} {:>10} execs in {:>7.2} s = {:>9.0}/s; corpus {}, {} regressions replayed",
                    stats.name,
                    stats.execs,
                    stats.elapsed.as_secs_f64(),
                    stats.execs as f64 / stats.elapsed.as_secs_f64(),
                    stats.corpus,
                    stats.regressions,
                );
                all.push(stats);
            }
            Err(crash) => crashes.push(crash.to_string()),
        }
    }
    let execs: u64 = all.iter().map(|stats| stats.execs).sum();
    let seconds: f64 = all.iter().map(|stats| stats.elapsed.as_secs_f64()).sum();
    eprintln!(
        "fuzz: total {execs} execs in {seconds:.1} s = {:.0}/s",
        execs as f64 / seconds
    );
    assert!(crashes.is_empty(), "{}", crashes.join("\n"));
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

fn seed() -> u64 {
    env_number("FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64)
    })
}

#[test]
fn smoke() {
    // A few seconds in a debug build: thousands of inputs per target, and every regression.
    run_all(env_number("FUZZ_SMOKE_EXECS").unwrap_or(12_000), seed());
}

#[test]
#[ignore = "minutes long: `make fuzz` runs it in a release build"]
fn long() {
    run_all(env_number("FUZZ_EXECS").unwrap_or(10_000_000), seed());
}
