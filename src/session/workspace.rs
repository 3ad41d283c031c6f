//! Where shells start: one shared folder while authentication is off, else a folder per user
//! with a safe, bounded name for any user name, created 0700 under the workspaces root and
//! checked to stay there.
//!
//! A folder name is `<slug>-<hash>`: the slug is the user ref reduced to `[a-z0-9._-]` so an
//! operator can tell whose folder it is, and the hash (the first 16 hex digits of the SHA-256 of
//! the whole normalised ref) keeps distinct users apart even when their slugs agree (look-alike
//! letters, punctuation, truncation). Because every name ends in `-` and 16 hex digits, no user's
//! folder can be `.`, `..` or [`SHARED`].

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The one workspace everybody shares while authentication is off.
const SHARED: &str = "shared";
/// Longest slug kept, in bytes; the whole name is at most this plus 17.
const MAX_SLUG: usize = 48;
/// Hex digits of the hash in a folder name (64 bits).
const HASH_DIGITS: usize = 16;

/// The workspaces root and whether each user gets a folder of their own.
#[derive(Debug, Clone)]
pub(super) struct Workspaces {
    root: PathBuf,
    per_user: bool,
}

impl Workspaces {
    /// Folders under `root`: one per user when `per_user`, else [`SHARED`] for everybody. A
    /// relative `root` is taken from the current folder now, once: shells get an absolute `HOME`
    /// (a relative one breaks `cd`, `~` in prompts and every program that saves settings).
    pub(super) fn new(root: PathBuf, per_user: bool) -> Self {
        let root = std::path::absolute(&root).unwrap_or(root);
        Self { root, per_user }
    }

    /// The folder `user`'s shells start in, created (mode 0700) if missing.
    pub(super) fn prepare(&self, user: &str) -> Result<PathBuf, WorkspaceError> {
        if self.per_user {
            return ensure(&self.root, user);
        }
        let path = self.root.join(SHARED);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&path)
            .map_err(|source| WorkspaceError::Io {
                path: path.clone(),
                source,
            })?;
        Ok(path)
    }
}

/// Why a workspace could not be prepared.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WorkspaceError {
    /// Creating or inspecting the folder failed.
    #[error("cannot prepare workspace {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The folder is a symbolic link or not a directory, or resolves outside the root.
    #[error("workspace {path} is not a directory inside the workspaces folder")]
    Escapes {
        /// The folder.
        path: PathBuf,
    },
}

/// The folder name for `user` (a normalised user ref) under the workspaces root.
pub fn folder_name(user: &str) -> String {
    let mut slug = String::with_capacity(MAX_SLUG);
    for character in user.chars() {
        if slug.len() >= MAX_SLUG {
            break;
        }
        let mapped = match character {
            'a'..='z' | '0'..='9' | '.' | '_' | '-' => character,
            'A'..='Z' => character.to_ascii_lowercase(),
            _ => '-',
        };
        // Collapse runs of separators so `user:default/x` reads `user-default-x`.
        if mapped == '-' && slug.ends_with('-') {
            continue;
        }
        slug.push(mapped);
    }
    // No leading dot (hidden, or `..`) or dash (read as an option by tools).
    let slug = slug.trim_start_matches(['.', '-']).trim_end_matches('-');
    let slug = if slug.is_empty() { "user" } else { slug };
    let hash = Sha256::digest(user.as_bytes());
    let hex: String = hash
        .iter()
        .take(HASH_DIGITS / 2)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{slug}-{hex}")
}

/// Creates (mode 0700) or reuses `<root>/<folder_name(user)>` and returns it, refusing a folder
/// that is a symbolic link or resolves outside `root`.
fn ensure(root: &Path, user: &str) -> Result<PathBuf, WorkspaceError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| WorkspaceError::Io { path, source }
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(root)
        .map_err(io(root))?;
    let path = root.join(folder_name(user));
    match std::fs::DirBuilder::new().mode(0o700).create(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(io(&path)(error)),
    }
    let metadata = std::fs::symlink_metadata(&path).map_err(io(&path))?;
    if !metadata.is_dir() {
        return Err(WorkspaceError::Escapes { path });
    }
    let real_root = root.canonicalize().map_err(io(root))?;
    let real = path.canonicalize().map_err(io(&path))?;
    if real.parent() != Some(real_root.as_path()) {
        return Err(WorkspaceError::Escapes { path });
    }
    // The umask may have widened nothing, but a folder made by an older version might be.
    if metadata.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))
            .map_err(io(&path))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::identity::{DefaultKind, normalize_ref};

    fn safe(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_SLUG + 1 + HASH_DIGITS
            && name != "."
            && name != ".."
            && name != SHARED
            && !name.starts_with(['.', '-'])
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    }

    #[test]
    fn names_are_readable_and_safe() {
        let name = folder_name("user:default/admin");
        assert!(name.starts_with("user-default-admin-"), "{name}");
        assert_eq!(name.len(), "user-default-admin-".len() + HASH_DIGITS);
        let attacks = [
            "../../etc",
            "..",
            ".",
            "/",
            "a/../../b",
            "user:default/../../root",
            "nul\0byte",
            "\0",
            "",
            "shared",
            "SHARED",
            "-rf",
            ".hidden",
            "...",
            "\u{202e}evil",
            "用户",
            "🦀🦀🦀",
            "a\\b",
            "line\nbreak",
        ];
        for user in attacks {
            let name = folder_name(user);
            assert!(safe(&name), "{user:?} gave {name:?}");
            assert!(!name.contains('/') && !name.contains('\0'));
        }
        let long = folder_name(&"a".repeat(100_000));
        assert!(safe(&long), "{long}");
    }

    #[test]
    fn distinct_users_get_distinct_folders() {
        let users = [
            "user:default/admin",
            "user:default/admin.",
            "user:default/admin-",
            "user:default/admin_",
            "user:default/ádmin",
            "user:default/\u{0430}dmin",  // Cyrillic а
            "user:default/ad\u{200b}min", // zero-width space
            "user:default/a/dmin",
            "user:other/admin",
        ];
        let names: std::collections::BTreeSet<String> =
            users.iter().map(|u| folder_name(u)).collect();
        assert_eq!(names.len(), users.len(), "{names:?}");
        // Long names that agree in their first characters still differ.
        let a = format!("user:default/{}a", "x".repeat(200));
        let b = format!("user:default/{}b", "x".repeat(200));
        assert_ne!(folder_name(&a), folder_name(&b));
    }

    #[test]
    fn case_variants_of_one_user_share_a_folder() {
        // Refs are case-insensitive, so these are one user; the folder follows the identity.
        let one = normalize_ref("User:Default/Admin", DefaultKind::User);
        let two = normalize_ref("user:default/admin", DefaultKind::User);
        assert_eq!(folder_name(&one), folder_name(&two));
        // Non-ASCII case variants are different users and get different folders.
        let upper = normalize_ref("user:default/Ádmin", DefaultKind::User);
        let lower = normalize_ref("user:default/ádmin", DefaultKind::User);
        assert_ne!(folder_name(&upper), folder_name(&lower));
    }

    #[test]
    fn a_relative_root_becomes_absolute() {
        let workspaces = Workspaces::new(PathBuf::from("data/workspaces"), false);
        assert!(
            workspaces.root.is_absolute(),
            "{}",
            workspaces.root.display()
        );
        assert!(workspaces.root.ends_with("data/workspaces"));
    }

    #[test]
    fn ensure_creates_0700_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("workspaces");
        for user in ["user:default/admin", "../../escape", "/etc/passwd", "nul\0"] {
            let path = ensure(&root, user).unwrap();
            assert_eq!(path.parent(), Some(root.as_path()));
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{user:?}");
        }
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 4);
        assert!(!dir.path().join("escape").exists());
        // Again: the same folder, still fine.
        let again = ensure(&root, "user:default/admin").unwrap();
        assert_eq!(again, root.join(folder_name("user:default/admin")));
    }

    #[test]
    fn ensure_refuses_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("workspaces");
        std::fs::create_dir(&root).unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let user = "user:default/victim";
        std::os::unix::fs::symlink(&outside, root.join(folder_name(user))).unwrap();
        assert!(matches!(
            ensure(&root, user),
            Err(WorkspaceError::Escapes { .. })
        ));
        std::fs::write(root.join(folder_name("user:default/file")), b"").unwrap();
        assert!(matches!(
            ensure(&root, "user:default/file"),
            Err(WorkspaceError::Escapes { .. })
        ));
    }
}
