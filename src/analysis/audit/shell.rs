//! A shell command line cut into what it runs: segments joined by `|`, `||`,
//! `&&`, `;`, `&` and newlines (outside quotes), each split into words by the
//! `shlex` crate (POSIX quoting rules), with its redirections taken out.
//!
//! Owns: [`segments`] and [`Segment`]. Must not: judge a command (the rules do).
//! Invariant: linear in the command's length (one pass to cut, one `shlex`
//! pass per segment), so a command of megabytes costs megabytes, never more;
//! at most [`MAX_SEGMENTS`] segments are read.

/// Most segments read from one command (the rest are not judged; counted).
pub const MAX_SEGMENTS: usize = 4096;

/// How a segment is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// The first segment.
    Start,
    /// `|`: its input is the previous segment's output.
    Pipe,
    /// `&&`, `||`, `;`, `&` or a newline.
    Then,
}

/// One simple command of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The segment's text as written (trimmed).
    pub text: &'a str,
    /// How it follows the previous segment.
    pub join: Join,
    /// Its words, quotes removed; redirections and leading `VAR=value`
    /// assignments are not among them.
    pub words: Vec<String>,
    /// Targets of output redirections (`>`, `>>`, `2>`, `&>`, `>|`).
    pub writes: Vec<String>,
    /// `shlex` refused the quoting (an unclosed quote): `words` were split on
    /// whitespace instead.
    pub odd_quoting: bool,
}

impl Segment<'_> {
    /// The program run (its file name: `/usr/bin/rm` → `rm`), after wrappers
    /// such as `sudo`, `env`, `nohup`, `time`, `exec`, `command`, `nice`,
    /// `timeout N` and `xargs`; with the index of its word.
    pub fn program(&self) -> Option<(usize, &str)> {
        let mut i = 0;
        while i < self.words.len() {
            let w = base(&self.words[i]);
            match w {
                "sudo" | "doas" | "env" | "nohup" | "time" | "exec" | "command" | "nice"
                | "builtin" | "xargs" | "stdbuf" => {
                    i += 1;
                    // Options of the wrapper (`sudo -u root`, `nice -n 5`, `env -i`).
                    while i < self.words.len() && self.words[i].starts_with('-') {
                        let takes_value = matches!(self.words[i].as_str(), "-u" | "-n" | "-g");
                        i += 1 + usize::from(takes_value);
                    }
                    while i < self.words.len() && is_assignment(&self.words[i]) {
                        i += 1;
                    }
                }
                "timeout" => {
                    i += 1;
                    while i < self.words.len() && self.words[i].starts_with('-') {
                        i += 1;
                    }
                    i += 1; // the duration
                }
                _ => return Some((i, w)),
            }
        }
        None
    }

    /// The words after the program.
    pub fn args(&self) -> &[String] {
        match self.program() {
            Some((i, _)) => &self.words[i + 1..],
            None => &[],
        }
    }

    /// True when `word` is one of the wrappers before the program (`sudo`, ...).
    pub fn wrapped_by(&self, word: &str) -> bool {
        let end = self.program().map_or(self.words.len(), |(i, _)| i);
        self.words[..end].iter().any(|w| base(w) == word)
    }
}

/// A path's file name (`/usr/bin/rm` → `rm`).
pub fn base(w: &str) -> &str {
    w.rsplit('/').next().unwrap_or(w)
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((k, _)) => {
            !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !k.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Cuts `cmd` into segments (see the module docs).
pub fn segments<'a>(cmd: &'a str) -> Vec<Segment<'a>> {
    let mut out = Vec::new();
    let b = cmd.as_bytes();
    let (mut i, mut start, mut join) = (0usize, 0usize, Join::Start);
    let (mut sq, mut dq, mut depth) = (false, false, 0u32);
    // Here-documents whose bodies start at the next newline: their delimiters.
    let mut heredocs: Vec<String> = Vec::new();
    let push = |from: usize, to: usize, join: Join, out: &mut Vec<Segment<'a>>| {
        let text = cmd[from..to].trim();
        if !text.is_empty() && out.len() < MAX_SEGMENTS {
            out.push(segment(text, join));
        }
    };
    while i < b.len() {
        let c = b[i];
        if sq {
            sq = c != b'\'';
            i += 1;
            continue;
        }
        match c {
            b'\\' => {
                i += 2;
                continue;
            }
            b'\'' if !dq => sq = true,
            b'<' if !dq && b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                // `<<WORD`, `<<-WORD`, `<< 'WORD'`: the body is data, not commands.
                let mut j = i + 2;
                if b.get(j) == Some(&b'-') {
                    j += 1;
                }
                while b.get(j).is_some_and(|c| *c == b' ' || *c == b'\t') {
                    j += 1;
                }
                let end = (j..b.len())
                    .find(|&k| b[k].is_ascii_whitespace() || b";|&<>()".contains(&b[k]))
                    .unwrap_or(b.len());
                let word = cmd[j..end].trim_matches(['\'', '"', '\\']);
                if !word.is_empty() {
                    heredocs.push(word.to_string());
                }
                i = end;
                continue;
            }
            b'\n' if !heredocs.is_empty() => {
                // Skip each body up to its delimiter line (or the end).
                let mut k = i + 1;
                for word in std::mem::take(&mut heredocs) {
                    loop {
                        if k >= b.len() {
                            break;
                        }
                        let line_end = memchr::memchr(b'\n', &b[k..]).map_or(b.len(), |e| k + e);
                        let line = cmd[k..line_end].trim();
                        k = line_end + 1;
                        if line == word {
                            break;
                        }
                    }
                }
                push(start, i, join, &mut out);
                join = Join::Then;
                i = k.min(b.len());
                start = i;
                continue;
            }
            b'"' => dq = !dq,
            b'(' if !dq => depth += 1,
            b')' if !dq => depth = depth.saturating_sub(1),
            b'|' | b'&' | b';' | b'\n' if !dq && depth == 0 => {
                // `2>&1`, `&>file` and `>&2` are redirections, not operators.
                let redirect =
                    c == b'&' && (i > 0 && b[i - 1] == b'>' || b.get(i + 1) == Some(&b'>'));
                if !redirect {
                    let double = b.get(i + 1) == Some(&c) && c != b'\n';
                    let next = if c == b'|' && !double {
                        Join::Pipe
                    } else {
                        Join::Then
                    };
                    push(start, i, join, &mut out);
                    join = next;
                    i += 1 + usize::from(double);
                    start = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    push(start, b.len().max(start), join, &mut out);
    out
}

fn segment(text: &str, join: Join) -> Segment<'_> {
    let (raw, odd_quoting) = match shlex::split(text) {
        Some(w) => (w, false),
        None => (text.split_whitespace().map(String::from).collect(), true),
    };
    let mut words = Vec::with_capacity(raw.len());
    let mut writes = Vec::new();
    let mut it = raw.into_iter().peekable();
    let mut leading = true;
    while let Some(w) = it.next() {
        let redirect = w
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start_matches('&');
        if let Some(target) = redirect
            .strip_prefix(">>")
            .or_else(|| redirect.strip_prefix(">|"))
            .or_else(|| redirect.strip_prefix('>'))
        {
            if target.starts_with('&') {
                continue; // `2>&1`
            }
            let target = if target.is_empty() {
                it.next().unwrap_or_default()
            } else {
                target.to_string()
            };
            if !target.is_empty() {
                writes.push(target);
            }
            continue;
        }
        if let Some(src) = w.strip_prefix('<').filter(|s| !s.starts_with('(')) {
            if src.is_empty() {
                it.next();
            }
            continue;
        }
        if leading && is_assignment(&w) {
            continue;
        }
        leading = false;
        words.push(w);
    }
    Segment {
        text,
        join,
        words,
        writes,
        odd_quoting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_operators_outside_quotes() {
        let s = segments("cd /x && curl -s 'a|b' | sh; echo \"x;y\" > out.txt 2>&1 || true");
        let texts: Vec<&str> = s.iter().map(|s| s.text).collect();
        assert_eq!(
            texts,
            [
                "cd /x",
                "curl -s 'a|b'",
                "sh",
                "echo \"x;y\" > out.txt 2>&1",
                "true"
            ]
        );
        assert_eq!(s[2].join, Join::Pipe);
        assert_eq!(s[1].words, ["curl", "-s", "a|b"]);
        assert_eq!(s[3].writes, ["out.txt"]);
        assert_eq!(s[3].words, ["echo", "x;y"]);
    }

    #[test]
    fn here_documents_are_data() {
        let s = segments("cat > /tmp/x.ts << 'EOF'\nconst a = /x/g; rm -rf /\nEOF\nnode /tmp/x.ts");
        let texts: Vec<&str> = s.iter().map(|s| s.text).collect();
        assert_eq!(texts, ["cat > /tmp/x.ts << 'EOF'", "node /tmp/x.ts"]);
    }

    #[test]
    fn finds_the_program_behind_wrappers() {
        let s = &segments("FOO=1 sudo -u root env X=2 /bin/rm -rf /")[0];
        assert_eq!(s.program(), Some((5, "rm")));
        assert_eq!(s.args(), ["-rf", "/"]);
        assert!(s.wrapped_by("sudo"));
        let s = &segments("echo 'unclosed")[0];
        assert!(s.odd_quoting);
    }

    #[test]
    fn a_huge_command_is_linear() {
        let cmd = "echo a; ".repeat(200_000);
        let t = std::time::Instant::now();
        let s = segments(&cmd);
        assert_eq!(s.len(), MAX_SEGMENTS);
        assert!(t.elapsed().as_secs() < 5);
    }
}
