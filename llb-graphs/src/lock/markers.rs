//! PEP 508 environment markers (§"Environment Markers"): parsed once, evaluated for a
//! [`TargetEnv`].
//!
//! Invariants: an unknown variable is a parse error at its byte offset inside the marker, so a
//! typo cannot silently evaluate to false. Evaluation is three-valued: the target fixes Python
//! only to `major.minor`, so `python_full_version` comparisons that depend on the patch level
//! (`python_full_version >= '3.11.4'` for a 3.11 target) come out [`Truth::Unknown`], and the
//! caller fails closed. `extra`, `extras` and `dependency_groups` are sets of selected names
//! (see [`super::extras::Sets`]): empty unless a lock walk passes the manifest's selection.

use super::env::TargetEnv;
use super::extras::Sets;
use super::version::{matches, parse_specifiers, Op, SpecifierError, Version};

/// A parse or evaluation error; `offset` is a byte offset into the marker text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MarkerError {
    /// Byte offset in the marker string.
    pub offset: usize,
    /// Lowercase description naming the bad token.
    pub message: String,
    /// Optional hint.
    pub help: Option<String>,
}

/// The variables of PEP 508 §"Environment Markers" that a build target determines.
pub const VARIABLES: &[&str] = &[
    "python_version",
    "python_full_version",
    "implementation_version",
    "sys_platform",
    "platform_system",
    "platform_machine",
    "os_name",
    "implementation_name",
    "platform_python_implementation",
    "extra",
    // PEP 751 §"Marker variables": sets, only used with `in` / `not in`.
    "extras",
    "dependency_groups",
];

/// Three-valued result of evaluating a marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// Holds on the target.
    True,
    /// Does not hold on the target.
    False,
    /// Depends on the Python patch version, which the target does not fix.
    Unknown,
}

impl Truth {
    /// True if every sample holds, False if none does, else Unknown.
    fn of_samples(results: &[bool]) -> Truth {
        if results.iter().all(|&b| b) {
            Truth::True
        } else if results.iter().all(|&b| !b) {
            Truth::False
        } else {
            Truth::Unknown
        }
    }

    // Kleene logic: False dominates `and`, True dominates `or`.
    fn and(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    fn or(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }
}

/// Deepest parenthesis nesting accepted: real markers nest a few levels (uv wraps each fork in
/// one more); the limit keeps parsing, evaluation and drop within a small, fixed stack.
pub const MAX_DEPTH: usize = 64;

/// A parsed marker expression. `and`/`or` chains are flat lists, so their length never becomes
/// recursion depth; only parentheses nest, at most [`MAX_DEPTH`] levels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `a and b and ...` (two or more terms).
    And(Vec<Marker>),
    /// `a or b or ...` (two or more terms).
    Or(Vec<Marker>),
    /// `lhs op rhs`; `offset` is where the comparison starts.
    Compare {
        /// Left operand.
        lhs: Operand,
        /// Operator.
        op: CmpOp,
        /// Right operand.
        rhs: Operand,
        /// Byte offset of `lhs` in the marker text.
        offset: usize,
    },
}

/// A variable (one of [`VARIABLES`]) or a quoted string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// An environment variable.
    Var(String),
    /// A quoted literal, without quotes.
    Str(String),
}

/// A marker operator: a PEP 440 comparison or (`not`) `in`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `<`, `<=`, `==`, `!=`, `>=`, `>`, `~=`, `===`.
    Version(Op),
    /// `in`.
    In,
    /// `not in`.
    NotIn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Str(String),
    Op(CmpOp),
    LParen,
    RParen,
}

fn err(offset: usize, message: impl Into<String>) -> MarkerError {
    MarkerError { offset, message: message.into(), help: None }
}

/// Splits `text` into `(offset, token)` pairs.
fn tokenize(text: &str) -> Result<Vec<(usize, Tok)>, MarkerError> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let rest = &text[i..];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'(' || c == b')' {
            out.push((i, if c == b'(' { Tok::LParen } else { Tok::RParen }));
            i += 1;
        } else if c == b'\'' || c == b'"' {
            let close = rest[1..].find(c as char).ok_or_else(|| err(i, "unterminated string in marker"))?;
            out.push((i, Tok::Str(rest[1..=close].to_string())));
            i += close + 2;
        } else if let Some((op, len)) = Op::prefix(rest) {
            out.push((i, Tok::Op(CmpOp::Version(op))));
            i += len;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let len =
                rest.find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.')).unwrap_or(rest.len());
            out.push((i, Tok::Ident(rest[..len].to_string())));
            i += len;
        } else {
            let ch = rest.chars().next().unwrap_or('?');
            return Err(err(i, format!("unexpected character `{ch}` in marker")));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    /// Open parentheses around the current position.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(o, _)| *o)
    }

    fn keyword(&mut self, word: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Ident(w)) if w == word);
        self.pos += usize::from(hit);
        hit
    }

    fn or_expr(&mut self) -> Result<Marker, MarkerError> {
        let mut terms = vec![self.and_expr()?];
        while self.keyword("or") {
            terms.push(self.and_expr()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Marker::Or(terms) })
    }

    fn and_expr(&mut self) -> Result<Marker, MarkerError> {
        let mut terms = vec![self.atom()?];
        while self.keyword("and") {
            terms.push(self.atom()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Marker::And(terms) })
    }

    fn atom(&mut self) -> Result<Marker, MarkerError> {
        if self.peek() == Some(&Tok::LParen) {
            if self.depth == MAX_DEPTH {
                let msg = format!("marker nested too deeply (more than {MAX_DEPTH} levels of parentheses)");
                return Err(err(self.offset(), msg));
            }
            self.depth += 1;
            self.pos += 1;
            let m = self.or_expr()?;
            self.depth -= 1;
            if self.peek() != Some(&Tok::RParen) {
                return Err(err(self.offset(), "expected `)` in marker"));
            }
            self.pos += 1;
            return Ok(m);
        }
        let offset = self.offset();
        let lhs = self.operand()?;
        let op = self.operator()?;
        let rhs = self.operand()?;
        Ok(Marker::Compare { lhs, op, rhs, offset })
    }

    fn operand(&mut self) -> Result<Operand, MarkerError> {
        let at = self.offset();
        match self.toks.get(self.pos).map(|(_, t)| t.clone()) {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Operand::Str(s))
            }
            Some(Tok::Ident(name)) if VARIABLES.contains(&name.as_str()) => {
                self.pos += 1;
                Ok(Operand::Var(name))
            }
            Some(Tok::Ident(name)) => Err(MarkerError {
                offset: at,
                message: format!("unknown marker variable `{name}`"),
                help: Some(format!("known variables: {}", VARIABLES.join(", "))),
            }),
            _ => Err(err(at, "expected a marker variable or a quoted string")),
        }
    }

    fn operator(&mut self) -> Result<CmpOp, MarkerError> {
        let at = self.offset();
        let op = match self.peek() {
            Some(Tok::Op(op)) => *op,
            Some(Tok::Ident(w)) if w == "in" => CmpOp::In,
            Some(Tok::Ident(w)) if w == "not" => {
                self.pos += 1;
                if !self.keyword("in") {
                    return Err(err(self.offset(), "expected `in` after `not` in marker"));
                }
                return Ok(CmpOp::NotIn);
            }
            _ => return Err(err(at, "expected a comparison operator in marker")),
        };
        self.pos += 1;
        Ok(op)
    }
}

/// Parses a marker; errors carry the byte offset of the bad token.
pub fn parse(text: &str) -> Result<Marker, MarkerError> {
    let mut p = Parser { toks: tokenize(text)?, pos: 0, end: text.len(), depth: 0 };
    let m = p.or_expr()?;
    if p.pos != p.toks.len() {
        return Err(err(p.offset(), "unexpected text after marker expression"));
    }
    Ok(m)
}

/// Parses and evaluates `text` for `env`.
pub fn evaluate(text: &str, env: &TargetEnv) -> Result<Truth, MarkerError> {
    parse(text)?.eval(env)
}

/// Parses and evaluates `text` for `env` with the selected extras and groups `sets`.
pub fn evaluate_with(text: &str, env: &TargetEnv, sets: &Sets) -> Result<Truth, MarkerError> {
    parse(text)?.eval_with(env, sets)
}

/// A resolved operand: a fixed string, or the target's `major.minor.*` full Python version.
enum Value {
    Fixed(String),
    FullPython,
}

fn resolve(o: &Operand, env: &TargetEnv) -> Value {
    let (major, minor) = env.python;
    let s = match o {
        Operand::Str(s) => s.clone(),
        Operand::Var(v) => match v.as_str() {
            "python_version" => format!("{major}.{minor}"),
            "python_full_version" | "implementation_version" => return Value::FullPython,
            "sys_platform" => "linux".into(),
            "platform_system" => "Linux".into(),
            "platform_machine" => env.platform.machine().into(),
            "os_name" => "posix".into(),
            "implementation_name" => "cpython".into(),
            "platform_python_implementation" => "CPython".into(),
            _ => String::new(), // `extra`; parse() admits only VARIABLES
        },
    };
    Value::Fixed(s)
}

/// Candidate full versions for a `major.minor` target: the patch levels around the one the
/// other operand mentions, plus 0 and a large one. Specifier results are monotone in the patch
/// level between these points, so agreement on all of them is agreement on every patch.
fn full_python_samples(env: &TargetEnv, other: &str) -> Vec<String> {
    let (major, minor) = env.python;
    let patch = other.parse::<Version>().ok().and_then(|v| v.release().get(2).copied()).unwrap_or(0);
    let mut ps = vec![0, patch.saturating_sub(1), patch, patch + 1, 10_000];
    ps.dedup();
    ps.iter().map(|p| format!("{major}.{minor}.{p}")).collect()
}

impl Marker {
    /// Evaluates the marker for `env`, with no extra or group selected.
    pub fn eval(&self, env: &TargetEnv) -> Result<Truth, MarkerError> {
        self.eval_with(env, &Sets::default())
    }

    /// Evaluates the marker for `env`; `extra`/`extras`/`dependency_groups` test `sets`.
    pub fn eval_with(&self, env: &TargetEnv, sets: &Sets) -> Result<Truth, MarkerError> {
        match self {
            // Every term is evaluated (an error anywhere is an error), folded in Kleene logic.
            Marker::And(terms) => terms.iter().try_fold(Truth::True, |t, m| Ok(t.and(m.eval_with(env, sets)?))),
            Marker::Or(terms) => terms.iter().try_fold(Truth::False, |t, m| Ok(t.or(m.eval_with(env, sets)?))),
            Marker::Compare { lhs, op, rhs, offset } => {
                if let Some(truth) = sets.compare(lhs, *op, rhs, *offset) {
                    return truth;
                }
                let (l, r) = (resolve(lhs, env), resolve(rhs, env));
                let cmp = |l: &str, r: &str| compare(l, *op, r, *offset, is_version_key(lhs, rhs));
                let results: Vec<bool> = match (l, r) {
                    (Value::Fixed(l), Value::Fixed(r)) => vec![cmp(&l, &r)?],
                    (Value::FullPython, Value::Fixed(r)) => {
                        full_python_samples(env, &r).iter().map(|l| cmp(l, &r)).collect::<Result<_, _>>()?
                    }
                    (Value::Fixed(l), Value::FullPython) => {
                        full_python_samples(env, &l).iter().map(|r| cmp(&l, r)).collect::<Result<_, _>>()?
                    }
                    (Value::FullPython, Value::FullPython) => {
                        let s = format!("{}.{}.0", env.python.0, env.python.1);
                        vec![cmp(&s, &s)?]
                    }
                };
                Ok(Truth::of_samples(&results))
            }
        }
    }
}

/// `packaging.markers.MARKERS_REQUIRING_VERSION` (of those a target determines): the
/// variables compared as PEP 440 versions.
fn is_version_key(lhs: &Operand, rhs: &Operand) -> bool {
    [lhs, rhs].iter().any(|o| {
        matches!(o, Operand::Var(v) if matches!(v.as_str(), "python_version" | "python_full_version" | "implementation_version"))
    })
}

/// One comparison, as `packaging.markers._eval_op` (packaging 26): for a version variable, a
/// PEP 440 comparison when the right side is a valid specifier for the operator; otherwise
/// strings, where `<` and `>` are false, `<=` and `>=` mean equality, and `~=`/`===` are
/// undefined (an error), as PEP 508 now specifies for non-version values.
fn compare(l: &str, op: CmpOp, r: &str, offset: usize, version_key: bool) -> Result<bool, MarkerError> {
    let op = match op {
        CmpOp::In => return Ok(r.contains(l)),
        CmpOp::NotIn => return Ok(!r.contains(l)),
        CmpOp::Version(op) => op,
    };
    // `Specifier(op + r).contains(l)`: false when `l` is no version.
    let valid_spec = || "0".parse::<Version>().is_ok_and(|zero| matches(&zero, op, r).is_ok());
    if version_key && valid_spec() {
        return Ok(l.parse::<Version>().is_ok_and(|v| matches(&v, op, r) == Ok(true)));
    }
    Ok(match op {
        Op::Eq | Op::Le | Op::Ge => l == r,
        Op::Ne => l != r,
        Op::Lt | Op::Gt => false,
        Op::Compatible | Op::Arbitrary => {
            let sym = if op == Op::Compatible { "~=" } else { "===" };
            return Err(err(offset, format!("`{sym}` needs versions, got `{l}` and `{r}`")));
        }
    })
}

/// Evaluates a `requires-python` specifier set (`>=3.10,<4`) against the target's Python.
pub fn python_satisfies(set: &str, env: &TargetEnv) -> Result<Truth, SpecifierError> {
    let mut truth = Truth::True;
    for clause in parse_specifiers(set)? {
        let err = |message: String| SpecifierError { offset: clause.offset, message };
        let mut results = Vec::new();
        for s in full_python_samples(env, &clause.version) {
            let cand: Version = s.parse().map_err(|e| err(format!("{e}")))?;
            results.push(matches(&cand, clause.op, &clause.version).map_err(|e| err(e.to_string()))?);
        }
        truth = truth.and(Truth::of_samples(&results));
    }
    Ok(truth)
}
