//! Embeds the built UI into the binary.
//!
//! The UI comes from the directory named by `WEB_TERMINAL_UI_DIST` (the Nix build passes its own
//! build of `frontend/` this way), else from `frontend/dist` when `npm run build` has made it.
//! With neither, the binary serves a placeholder page that says how to build the UI, so a plain
//! `cargo build` of a fresh clone still works.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-env-changed=WEB_TERMINAL_UI_DIST");
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let local_dist = manifest_dir.join("frontend/dist");
    // Rebuild when the UI is built or rebuilt (cargo watches a directory's mtime, and Vite
    // recreates the directory).
    println!("cargo:rerun-if-changed={}", local_dist.display());
    let dist = match env::var_os("WEB_TERMINAL_UI_DIST") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => local_dist
            .join("index.html")
            .is_file()
            .then_some(local_dist),
    };
    let mut files = Vec::new();
    if let Some(dist) = &dist {
        assert!(
            dist.join("index.html").is_file(),
            "WEB_TERMINAL_UI_DIST={} has no index.html",
            dist.display()
        );
        collect(dist, dist, &mut files);
        files.sort();
    }
    let mut code = String::from(
        "/// Files of the built UI: (path relative to the UI root, contents, ETag).\n\
         pub(crate) static UI_FILES: &[(&str, &[u8], &str)] = &[\n",
    );
    for (relative, absolute) in &files {
        println!("cargo:rerun-if-changed={}", absolute.display());
        let contents = fs::read(absolute).expect("UI file is readable");
        writeln!(
            code,
            "    ({relative:?}, include_bytes!({:?}), \"\\\"{:016x}\\\"\"),",
            absolute.display().to_string(),
            fnv1a(&contents)
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("ui_files.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}

/// Every file under `dir`, as (path relative to `root` with `/` separators, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in fs::read_dir(dir).expect("UI directory is readable") {
        let path = entry.expect("UI directory entry is readable").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under root");
            let relative = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((relative, path));
        }
    }
}

/// A content hash for ETags (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
