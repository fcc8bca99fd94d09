//! Bodies of the fuzz targets. Each takes arbitrary bytes and must return without panicking;
//! the `assert!`s state invariants that hold for every input the product accepts.
//!
//! Used twice: by the libFuzzer binaries in `fuzz/fuzz_targets/` and, through a `#[path]`
//! include, by the regression replay in `frontend/tests/bad_inputs.rs`. Both crates declare the
//! gateway's option parser as `crate::options`.

use llb_graphs::diag::{Diagnostics, SourceFile};
use llb_graphs::llb::{MarshalOptions, Platform};
use llb_graphs::lower::{self, LowerOptions, ResolvedImage};
use llb_graphs::plan::{self, ImageRef};
use llb_graphs::{lint, lock, manifest};

/// Every diagnostic points inside the file it names, at a 1-based line and column.
fn assert_located(file: &SourceFile, d: &Diagnostics) {
    assert!(!d.0.is_empty(), "an Err carries at least one diagnostic");
    for x in &d.0 {
        assert!(x.line >= 1 && x.col >= 1, "{x}: line and column are 1-based");
        assert!(x.span.start <= file.text.len(), "{x}: span {:?} beyond the file ({} bytes)", x.span, file.text.len());
        assert!(!x.message.is_empty(), "{x}: empty message");
    }
}

/// bytes → `manifest::source_file` → `manifest::parse` → every target through `plan_service`,
/// `lower_service` (base unresolved, as `fleet-frontend llb` does) and `marshal`.
pub fn manifest(data: &[u8]) {
    let file = match manifest::source_file("fleet.toml", data) {
        Ok(f) => f,
        Err(d) => {
            // Rejected before parsing: located in an empty or prefix-only file, so line 1+.
            assert!(d.0.iter().all(|x| x.line >= 1 && x.col >= 1), "{d}");
            return;
        }
    };
    // Every rule runs on whatever parses as TOML (what `check` and `--print=lint` do), and every
    // finding but a note carries a rule id.
    if let Ok(raw) = manifest::parse_toml(&file) {
        let pc2 = llb_graphs::profile::builtin("pc2").and_then(Result::ok).expect("built-in pc2 profile");
        let cpu = llb_graphs::profile::Profile { gpu: None, ..pc2 };
        let all = lint::all(&file, &raw, Some(&cpu), None);
        if !all.is_empty() {
            assert_located(&file, &llb_graphs::diag::Diagnostics(all.clone()));
        }
        assert!(all.iter().all(|d| d.rule.is_some()), "a finding without a rule id");
    }
    let m = match manifest::parse(&file) {
        Ok(m) => m,
        Err(d) => return assert_located(&file, &d),
    };
    // A context where whatever path is asked for is something different, by its length.
    let kinds =
        [manifest::PathKind::Dir, manifest::PathKind::Missing, manifest::PathKind::File, manifest::PathKind::Symlink];
    let paths = manifest::check_paths(&file, &m, &|p| kinds[p.len() % kinds.len()]);
    for d in &paths {
        assert!(d.line >= 1 && d.span.start <= file.text.len(), "{d}");
    }
    let targets = plan::targets(&m);
    if let Err(d) = plan::plan_service(&file, &m, None) {
        assert_located(&file, &d);
    }
    if let Err(d) = plan::plan_service(&file, &m, Some("\u{0}no-such-target")) {
        assert_located(&file, &d);
    } else {
        panic!("an unknown target was accepted");
    }
    for t in &targets {
        let p =
            plan::plan_service(&file, &m, Some(t)).unwrap_or_else(|d| panic!("listed target `{t}` does not plan: {d}"));
        assert_eq!(&p.name, t);
        // Normalising a base twice gives the same reference (what named contexts match on).
        let once = p.family.base.value.to_string();
        let twice = ImageRef::parse(&once).map(|r| r.to_string());
        assert_eq!(twice.as_deref(), Ok(once.as_str()), "base `{}` does not normalise stably", p.family.base_written);
        for platform in ["linux/amd64", "linux/arm64"] {
            let platform = Platform::parse(platform).expect("known platform");
            if let Err(d) = plan::check_platform(&file, &p, &platform) {
                assert_located(&file, &d);
                continue;
            }
            for merge_op in [true, false] {
                let opts = LowerOptions { platform: platform.clone(), merge_op, ..Default::default() };
                let base = ResolvedImage::unresolved(p.family.base.value.clone());
                let lowered = lower::lower_service(&file, &p, &base, None, &opts)
                    .unwrap_or_else(|e| panic!("target `{t}` validated but does not lower: {e}"));
                let mo = MarshalOptions::default();
                let a = lowered.state.marshal(&mo).unwrap_or_else(|e| panic!("target `{t}`: marshal: {e}"));
                let b = lowered.state.marshal(&mo).unwrap_or_else(|e| panic!("target `{t}`: marshal: {e}"));
                assert_eq!(a.head, b.head, "marshal is not deterministic");
                assert_eq!(a.definition.def, b.definition.def, "marshal is not deterministic");
            }
        }
    }
}

/// Bytes → lines → the gateway's `options::parse` (one `key=value` entry per line, as the
/// `BUILDKIT_FRONTEND_OPT_*` values arrive). Lossy UTF-8, as env values may be anything.
pub fn options(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let entries: Vec<String> = text.split('\n').map(String::from).collect();
    let Ok(o) = crate::options::parse(entries) else { return };
    assert!(!o.manifest_local.is_empty() || o.raw.get("dockerfilekey").is_some_and(String::is_empty));
    if o.platforms.len() > 1 {
        assert!(o.multi_platform, "several platforms must give a multi-platform result");
    }
    for p in &o.platforms {
        // Only "parses again": `Platform::parse` keeps spaces, control characters and a trailing
        // empty variant (`linux/amd64\t/`), so the id need not be a fixed point. That laxness is
        // the ignored test `bad_platform_strings_are_rejected` in frontend/tests/bad_inputs.rs.
        assert!(Platform::parse(&p.id()).is_some(), "platform id {:?} does not parse back", p.id());
    }
    if let Some(t) = &o.target {
        assert!(!t.is_empty());
    }
    for (host, ip) in &o.add_hosts {
        assert!(!host.is_empty() && ip.parse::<std::net::IpAddr>().is_ok(), "add-hosts {host}={ip}");
    }
    if let Some(s) = o.args.source_date_epoch {
        assert!(s >= 0);
    }
}

/// First byte picks the format by file name (the three `lock::LockKind`s); the rest (lossy
/// UTF-8) is the file. Parsed with `lock::parse`; an accepted lock is then resolved for
/// CPython 3.11 on linux/amd64 glibc 2.36 with `lock::select`.
pub fn lockfile(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else { return };
    let name = ["requirements.txt", "pylock.toml", "uv.lock"][usize::from(which) % 3];
    let file = SourceFile::new(name, String::from_utf8_lossy(rest).into_owned());
    let parsed = match lock::parse(&file) {
        Ok(l) => l,
        Err(d) => return assert_located(&file, &d),
    };
    for p in &parsed.packages {
        assert!(!p.version.is_empty(), "package `{}` accepted without a version", p.name);
        assert!(p.span.start <= file.text.len());
    }
    let env = lock::TargetEnv { python: (3, 11), platform: lock::Platform::LinuxAmd64, libc: lock::Libc::Glibc(2, 36) };
    if let Err(d) = lock::select(&parsed, &file, &env, &lock::Selection::default()) {
        assert_located(&file, &d);
    }
}

/// The generated-text writers: any input gives text that parses back to the same value, or an
/// error. Input: `name \x00 version \x00 hash \x00 word \x00 health path` (lossy UTF-8; missing
/// parts are empty).
/// - `text::requirement_line` → one line that the requirements parser reads as exactly one pin
///   of the normalised name and version, with exactly that hash;
/// - `text::sh_quote` → a word that POSIX single-quote rules read back as the input;
/// - a health path the validator accepts → the probe's program text is the constant and the URL
///   is its last argv entry, the path unchanged.
pub fn writers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let mut next = || parts.next().unwrap_or("").to_string();
    let (name, version, hash, word, health) = (next(), next(), next(), next(), next());
    if let Ok(line) = llb_graphs::text::requirement_line(&name, &version, std::slice::from_ref(&hash)) {
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1, "{line:?} is not one line");
        let file = SourceFile::new("requirements.txt", line.clone());
        let lock = lock::parse_as(&file, lock::LockKind::Requirements)
            .unwrap_or_else(|d| panic!("written line {line:?} does not parse: {d}"));
        assert_eq!(lock.packages.len(), 1, "{line:?}");
        assert!(lock.index_urls.is_empty() && lock.find_links.is_empty(), "{line:?} set an option");
        let p = &lock.packages[0];
        assert_eq!(p.name, lock::normalize_name(&name));
        assert_eq!(llb_graphs::text::normalized_version(&p.version).as_deref(), Ok(p.version.as_str()));
        assert_eq!(p.hashes, std::slice::from_ref(&hash));
        assert!(p.marker.is_none());
    }
    if let Ok(q) = llb_graphs::text::sh_quote(&word) {
        assert_eq!(sh_single_quoted(&q).as_deref(), Some(word.as_str()), "{q:?} does not read back");
    }
    if manifest::contract::health_path_problem(&health).is_none() {
        let cmd = lower::healthcheck_command(8081, &health);
        assert_eq!(cmd.len(), 5);
        assert_eq!(cmd[3], llb_graphs::lower::HEALTH_PROBE);
        assert_eq!(cmd[4], format!("http://127.0.0.1:8081{health}"));
        assert!(!health.contains(['\'', '"', '\\', '\n', ' ']), "{health:?} passed the grammar");
    }
}

/// Reads one sh word made of bare safe characters and `'...'` / `\'` pieces (the only forms
/// `sh_quote` writes); `None` for anything else.
fn sh_single_quoted(q: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = q.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            c if c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c) => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}
