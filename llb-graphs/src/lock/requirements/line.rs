//! Logical lines of a requirements file, as pip builds them (`pip/_internal/req/req_file.py`:
//! `join_lines` then `ignore_comments`), each with a byte map back into the file.

/// One logical line: the joined text, and for each byte of it the byte offset in the file.
#[derive(Debug, Default)]
pub struct Logical {
    /// Joined text with continuations removed and the comment stripped.
    pub text: String,
    offsets: Vec<usize>,
    /// File offset just past the line, for positions at the end.
    end: usize,
}

impl Logical {
    /// File offset of byte `i` of [`Logical::text`] (the end of the line when past it).
    pub fn at(&self, i: usize) -> usize {
        self.offsets.get(i).copied().unwrap_or(self.end)
    }

    fn push(&mut self, s: &str, file_offset: usize) {
        self.text.push_str(s);
        self.offsets.extend((0..s.len()).map(|i| file_offset + i));
        self.end = file_offset + s.len();
    }

    /// pip's `COMMENT_RE = (^|\s+)#.*$`: cut at the first `#` at the start or after whitespace,
    /// together with the whitespace before it; then drop trailing whitespace.
    fn strip_comment(mut self) -> Self {
        let b = self.text.as_bytes();
        let hash = (0..b.len()).find(|&i| b[i] == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()));
        let mut cut = hash.unwrap_or(b.len());
        while cut > 0 && b[cut - 1].is_ascii_whitespace() {
            cut -= 1;
        }
        self.text.truncate(cut);
        self.offsets.truncate(cut);
        self
    }
}

/// Splits `src` into logical lines. A line ending in `\` continues on the next one unless it
/// is a comment line; a comment line ends a continuation (pip prefixes it with a space so the
/// comment regex still matches after joining).
pub fn logical_lines(src: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut cur: Option<Logical> = None;
    let mut offset = 0;
    for raw in src.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let is_comment = line.trim_start().starts_with('#');
        let continues = line.ends_with('\\') && !is_comment;
        let l = cur.get_or_insert_with(Logical::default);
        if is_comment && !l.text.is_empty() {
            l.push(" ", start);
        }
        l.push(if continues { line.trim_end_matches('\\') } else { line }, start);
        if !continues {
            out.extend(cur.take().map(Logical::strip_comment));
        }
    }
    // A file that ends inside a continuation.
    out.extend(cur.map(Logical::strip_comment));
    out
}

/// A whitespace-separated token: its text and byte range in the logical line.
#[derive(Clone, Copy, Debug)]
pub struct Token<'a> {
    /// The token.
    pub text: &'a str,
    /// Start byte in the logical line.
    pub start: usize,
    /// End byte (exclusive) in the logical line.
    pub end: usize,
}

/// Splits a logical line on ASCII whitespace.
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_ascii_whitespace(), start) {
            (true, Some(s)) => {
                out.push(Token { text: &text[s..i], start: s, end: i });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}
