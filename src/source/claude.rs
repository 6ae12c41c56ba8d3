//! Where Claude Code keeps its data, for runs given no path.
//!
//! Owns: the config directory (`$CLAUDE_CONFIG_DIR`, a comma-separated list as
//! ccusage reads it, else `~/.claude`), the project slug of a working directory
//! (claude-code.md §1: every character other than an ASCII letter or digit becomes
//! `-`), and which session, team and task folders belong to a project.
//! Must not: open telemetry files (discovery walks what this returns).

use std::path::{Path, PathBuf};

/// The Claude Code config directories: `$CLAUDE_CONFIG_DIR` (comma-separated
/// paths), else `$HOME/.claude`. Empty when neither is set.
pub fn config_dirs() -> Vec<PathBuf> {
    if let Some(v) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|v| !v.is_empty()) {
        return v
            .to_string_lossy()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| vec![PathBuf::from(h).join(".claude")])
        .unwrap_or_default()
}

/// The project folder name Claude Code uses for a working directory:
/// `/home/u/my_proj.v2` → `-home-u-my-proj-v2`.
pub fn project_slug(cwd: &Path) -> String {
    cwd.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// What [`roots`] found, and every place it looked (for the "nothing found" error).
#[derive(Debug, Default)]
pub struct Found {
    /// Directories to walk.
    pub roots: Vec<PathBuf>,
    /// Every place looked at, as displayed.
    pub looked: Vec<String>,
}

/// The Claude Code data of the project in `cwd` (or of every project with
/// `all_projects`) in every config directory: the project's session folder,
/// and the teams (and their task folders) whose lead session is one of the
/// project's sessions or whose members work in `cwd`.
pub fn roots(cwd: &Path, all_projects: bool) -> Found {
    let mut found = Found::default();
    let dirs = config_dirs();
    if dirs.is_empty() {
        found
            .looked
            .push("$CLAUDE_CONFIG_DIR and $HOME (neither is set)".into());
    }
    for dir in dirs {
        let projects = dir.join("projects");
        if all_projects {
            for sub in ["projects", "teams", "tasks"] {
                let p = dir.join(sub);
                found.looked.push(p.display().to_string());
                if p.is_dir() {
                    found.roots.push(p);
                }
            }
            continue;
        }
        let exact = projects.join(project_slug(cwd));
        found.looked.push(exact.display().to_string());
        let project = if exact.is_dir() {
            Some(exact)
        } else {
            // The slug is lossy: match on the `cwd` field inside the sessions.
            found.looked.push(format!(
                "{} (sessions whose cwd is {})",
                projects.display(),
                cwd.display()
            ));
            find_by_cwd(&projects, cwd)
        };
        let sessions: Vec<String> = project.as_deref().map(session_ids).unwrap_or_default();
        if let Some(p) = project {
            found.roots.push(p);
        }
        let teams = dir.join("teams");
        found.looked.push(teams.display().to_string());
        for team in sorted_dirs(&teams) {
            if team_belongs(&team.join("config.json"), cwd, &sessions) {
                if let Some(name) = team.file_name() {
                    let tasks = dir.join("tasks").join(name);
                    found.roots.push(team.clone());
                    if tasks.is_dir() {
                        found.roots.push(tasks);
                    }
                }
            }
        }
    }
    found
}

fn sorted_dirs(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// Session ids of a project folder (its `*.jsonl` file stems).
fn session_ids(project: &Path) -> Vec<String> {
    std::fs::read_dir(project)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            if p.extension()? != "jsonl" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect()
}

/// The project folder one of whose sessions starts in `cwd`: the first
/// 64 KiB of one session file per folder are searched for `"cwd":"<cwd>"`.
fn find_by_cwd(projects: &Path, cwd: &Path) -> Option<PathBuf> {
    let want = serde_json::to_string(&cwd.to_string_lossy()).ok()?;
    let needles = [format!("\"cwd\":{want}"), format!("\"cwd\": {want}")];
    for dir in sorted_dirs(projects) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        files.sort();
        if let Some(f) = files.first() {
            let head = read_head(f, 64 << 10);
            if needles
                .iter()
                .any(|n| memchr::memmem::find(&head, n.as_bytes()).is_some())
            {
                return Some(dir);
            }
        }
    }
    None
}

fn read_head(p: &Path, n: u64) -> Vec<u8> {
    use std::io::Read;
    let mut v = Vec::new();
    if let Ok(f) = std::fs::File::open(p) {
        let _ = f.take(n).read_to_end(&mut v);
    }
    v
}

/// A team belongs to the project when its lead session is one of the
/// project's sessions or one of its members works in `cwd`.
fn team_belongs(config: &Path, cwd: &Path, sessions: &[String]) -> bool {
    let head = read_head(config, 4 << 20);
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&head) else {
        return false;
    };
    let lead = v.get("leadSessionId").and_then(|s| s.as_str());
    if lead.is_some_and(|l| sessions.iter().any(|s| s == l)) {
        return true;
    }
    let cwd = cwd.to_string_lossy();
    v.get("members")
        .and_then(|m| m.as_array())
        .is_some_and(|ms| {
            ms.iter()
                .any(|m| m.get("cwd").and_then(|c| c.as_str()) == Some(&*cwd))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_replace_everything_but_ascii_letters_and_digits() {
        assert_eq!(
            project_slug(Path::new("/home/u/my_proj.v2")),
            "-home-u-my-proj-v2"
        );
        assert_eq!(project_slug(Path::new("/tmp/é x")), "-tmp---x");
    }
}
