//! Paths as an agent named them, made comparable: `~` expanded, relative paths
//! joined to the working directory of that moment, `.` and `..` resolved
//! lexically (the file system is never asked: the record is all there is).
//!
//! Owns: normalisation, the user's home inferred from a project root, and the
//! classes of path the rules ask about (Claude Code's own files, temp dirs,
//! system dirs, credentials, guardrails). Must not: do I/O.

/// The home directory of the user whose project is `root`: `/home/X`,
/// `/Users/X` or `/root` when `root` lies under one; `None` otherwise.
pub fn home_of(root: &str) -> Option<String> {
    if root == "/root" || root.starts_with("/root/") {
        return Some("/root".into());
    }
    for base in ["/home/", "/Users/"] {
        if let Some(rest) = root.strip_prefix(base) {
            let user = rest.split('/').next().filter(|u| !u.is_empty())?;
            return Some(format!("{base}{user}"));
        }
    }
    None
}

/// `p` as an absolute, lexically normalised path: `~` and `$HOME` become
/// `home`, `~user` becomes `/home/user`, a relative path is joined to `cwd`.
/// `None` when that cannot be done (a relative path with no `cwd`, `~` with no
/// home, a path built from another variable) or `p` is empty.
pub fn normalise(p: &str, cwd: Option<&str>, home: Option<&str>) -> Option<String> {
    let p = p.trim();
    if p.is_empty() || p.contains('\0') {
        return None;
    }
    let joined: String = if let Some(rest) = p
        .strip_prefix("$HOME")
        .or_else(|| p.strip_prefix("${HOME}"))
        .filter(|r| r.is_empty() || r.starts_with('/'))
    {
        format!("{}{rest}", home?)
    } else if let Some(rest) = p.strip_prefix('~') {
        if rest.is_empty() || rest.starts_with('/') {
            format!("{}{rest}", home?)
        } else {
            let (user, tail) = rest.split_once('/').unwrap_or((rest, ""));
            if user == "root" {
                format!("/root/{tail}")
            } else {
                format!("/home/{user}/{tail}")
            }
        }
    } else if p.starts_with('/') {
        p.to_string()
    } else if p.starts_with('$') {
        return None;
    } else {
        format!("{}/{p}", cwd.filter(|c| c.starts_with('/'))?)
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// True when `path` is `root` or lies below it (both normalised).
pub fn inside(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    root.is_empty()
        || path == root
        || (path.starts_with(root) && path.as_bytes().get(root.len()) == Some(&b'/'))
}

/// Claude Code's own files, which every session reads and writes: plans, its
/// session transcripts and todos under `~/.claude/`, and its per-user task
/// output folder under the temp dir (`/tmp/claude-<uid>/…`,
/// `/private/tmp/claude-…`, `/var/folders/…/T/claude-…`).
pub fn is_claude_own(path: &str, home: Option<&str>) -> bool {
    if let Some(h) = home {
        for sub in [".claude/plans", ".claude/projects", ".claude/todos"] {
            if inside(path, &format!("{h}/{sub}")) {
                return true;
            }
        }
    }
    let tmp_claude = |rest: &str| rest.starts_with("claude-") || rest.starts_with("claude/");
    path.strip_prefix("/tmp/")
        .or_else(|| path.strip_prefix("/private/tmp/"))
        .is_some_and(tmp_claude)
        || (path.starts_with("/var/folders/") && path.split("/T/").nth(1).is_some_and(tmp_claude))
}

/// Scratch space: the temp directories, and the devices every shell uses
/// (`/dev/null`, `/dev/stdout`, …).
pub fn is_scratch(path: &str) -> bool {
    [
        "/tmp",
        "/var/tmp",
        "/private/tmp",
        "/private/var/folders",
        "/var/folders",
    ]
    .iter()
    .any(|r| inside(path, r))
        || matches!(
            path,
            "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/stdin" | "/dev/tty" | "/dev/zero"
        )
        || inside(path, "/dev/fd")
        || inside(path, "/proc/self")
}

/// System locations: writing there needs root and changes the machine.
pub fn is_system(path: &str) -> bool {
    [
        "/etc", "/usr", "/bin", "/sbin", "/boot", "/lib", "/lib64", "/opt", "/var/lib", "/System",
        "/Library",
    ]
    .iter()
    .any(|r| inside(path, r))
}

/// A block device (`/dev/sda`, `/dev/nvme0n1`, `/dev/disk2`, …).
pub fn is_device(path: &str) -> bool {
    path.strip_prefix("/dev/").is_some_and(|d| {
        [
            "sd", "hd", "vd", "xvd", "nvme", "disk", "mmcblk", "md", "dm-", "loop",
        ]
        .iter()
        .any(|p| d.starts_with(p))
    })
}

/// What kind of credential or key `path` holds, when it holds one.
pub fn sensitive_kind(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let has_dir = |d: &str| path.contains(&format!("/{d}/"));
    if name.ends_with(".pub") {
        return None;
    }
    if has_dir(".ssh") {
        return Some("ssh");
    }
    if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]
        .iter()
        .any(|k| name.starts_with(k))
    {
        return Some("ssh key");
    }
    if path.ends_with("/.aws/credentials") || path.ends_with("/.aws/config") {
        return Some("aws credentials");
    }
    if name == ".env" || name == ".envrc" || name.starts_with(".env.") {
        let example = [".example", ".sample", ".template", ".dist", ".defaults"]
            .iter()
            .any(|s| name.ends_with(s));
        return (!example).then_some("dotenv");
    }
    if [".pem", ".key", ".p12", ".pfx", ".keystore", ".jks"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        return Some("private key");
    }
    match name {
        ".git-credentials" => return Some("git credentials"),
        ".netrc" | "_netrc" => return Some("netrc"),
        ".pgpass" => return Some("postgres password"),
        ".npmrc" | ".pypirc" => return Some("registry token"),
        "kubeconfig" => return Some("kube config"),
        "application_default_credentials.json" | "credentials.db" => {
            return Some("cloud credentials")
        }
        _ => {}
    }
    if path.ends_with("/.kube/config") {
        return Some("kube config");
    }
    if path.ends_with("/.docker/config.json") {
        return Some("docker credentials");
    }
    if path.ends_with("/.config/gh/hosts.yml") {
        return Some("github cli token");
    }
    if has_dir(".gnupg") {
        return Some("gpg keyring");
    }
    if matches!(
        path,
        "/etc/shadow" | "/etc/gshadow" | "/etc/sudoers" | "/etc/master.passwd"
    ) || path.starts_with("/etc/sudoers.d/")
    {
        return Some("system passwords");
    }
    None
}

/// What guardrail `path` is, when an agent writing it changes its own rules:
/// Claude Code settings (`.claude/settings*.json`), hooks (`.claude/hooks/`,
/// `.git/hooks/`, `.husky/`), and instructions (`CLAUDE.md`). The second value
/// is true for settings and hooks (they bind the agent; instructions advise it).
pub fn guardrail_kind(path: &str) -> Option<(&'static str, bool)> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let in_claude = path.contains("/.claude/");
    if in_claude && name.starts_with("settings") && name.ends_with(".json") {
        return Some(("claude settings", true));
    }
    if path.contains("/.claude/hooks/") || path.ends_with("/.claude/hooks") {
        return Some(("claude hook", true));
    }
    if path.contains("/.git/hooks/") || path.contains("/.husky/") {
        return Some(("git hook", true));
    }
    if name == "managed-settings.json" {
        return Some(("claude settings", true));
    }
    if name == "CLAUDE.md" || name == "CLAUDE.local.md" {
        return Some(("CLAUDE.md", false));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_a_shell_would_name_it() {
        let (cwd, home) = (Some("/home/u/p/src"), Some("/home/u"));
        assert_eq!(normalise("../x", cwd, home).unwrap(), "/home/u/p/x");
        assert_eq!(
            normalise("~/.ssh/id_rsa", cwd, home).unwrap(),
            "/home/u/.ssh/id_rsa"
        );
        assert_eq!(normalise("$HOME/a", cwd, home).unwrap(), "/home/u/a");
        assert_eq!(normalise("~bob/a", cwd, home).unwrap(), "/home/bob/a");
        assert_eq!(normalise("/a/./b//c/../d", None, None).unwrap(), "/a/b/d");
        assert_eq!(normalise("/../../etc", None, None).unwrap(), "/etc");
        assert_eq!(normalise("~", cwd, home).unwrap(), "/home/u");
        assert_eq!(normalise("rel", None, home), None);
        assert_eq!(normalise("$X/a", cwd, home), None);
        assert_eq!(home_of("/Users/ann/code/x").as_deref(), Some("/Users/ann"));
        assert_eq!(home_of("/srv/x"), None);
    }

    #[test]
    fn classes_of_paths() {
        assert!(inside("/a/b", "/a") && inside("/a", "/a") && !inside("/ab", "/a"));
        assert!(is_claude_own("/home/u/.claude/plans/p.md", Some("/home/u")));
        assert!(is_claude_own(
            "/tmp/claude-1000/-home-u-p/tasks/b1.output",
            None
        ));
        assert!(!is_claude_own(
            "/home/u/.claude/settings.json",
            Some("/home/u")
        ));
        assert_eq!(sensitive_kind("/home/u/.ssh/id_ed25519"), Some("ssh"));
        assert_eq!(sensitive_kind("/p/.env.local"), Some("dotenv"));
        assert_eq!(sensitive_kind("/p/.env.example"), None);
        assert_eq!(sensitive_kind("/home/u/.ssh/id_rsa.pub"), None);
        assert_eq!(sensitive_kind("/p/src/env.rs"), None);
        assert_eq!(
            guardrail_kind("/p/.claude/settings.local.json").unwrap().0,
            "claude settings"
        );
        assert!(is_device("/dev/sda1") && !is_device("/dev/null"));
    }
}
