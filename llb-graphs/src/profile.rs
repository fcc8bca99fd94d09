//! Machine profiles (`profiles/*.json`, schema in `profiles/schema.json`): per-machine values —
//! GPU arch list, thread and worker counts — chosen with `--build-arg MACHINE=<name>` and applied
//! as image env and `/etc/machine-profile.json`. Worker counts live in this data, never in code.
//! The project's own profiles are compiled in; a manifest may name its own folder instead.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Diagnostics, SourceFile};

/// The profile used when `MACHINE` is not given.
pub const DEFAULT: &str = "mainpc";

/// The profiles shipped with fleet-frontend, by name.
pub const BUILTIN: &[(&str, &str)] =
    &[("mainpc", include_str!("../../profiles/mainpc.json")), ("pc2", include_str!("../../profiles/pc2.json"))];

/// One machine.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Editor hint; not part of the profile.
    #[serde(rename = "$schema", default, skip_serializing)]
    pub schema: Option<String>,
    /// Name, equal to the file name.
    pub name: String,
    /// What the machine is, and any value that was chosen rather than given.
    pub description: String,
    /// The GPU, if the machine has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<Gpu>,
    /// Image environment.
    pub env: BTreeMap<String, String>,
    /// Settings for builder steps that compile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
}

/// A machine's GPU.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    /// Marketing name.
    pub name: String,
    /// `CUDA_VISIBLE_DEVICES`-style list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_devices: Option<String>,
    /// `TORCH_CUDA_ARCH_LIST`, e.g. `8.9`.
    pub cuda_arch_list: String,
}

/// Builder settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// `MAX_JOBS` for compiling steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_jobs: Option<u32>,
}

impl Profile {
    /// The profile as written to `/etc/machine-profile.json`: sorted keys, trailing newline.
    pub fn canonical_json(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or_default();
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    }
}

/// Names of the built-in profiles.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// A built-in profile, or `None` when there is no such name.
pub fn builtin(name: &str) -> Option<Result<Profile, Diagnostics>> {
    let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    Some(parse(&SourceFile::new(format!("profiles/{name}.json"), *text), name))
}

/// Why `name` (`--build-arg MACHINE`) is not a profile name, if it is not one: it becomes a
/// file name in the profiles folder, so it is `[a-z0-9][a-z0-9_-]*` (at most 64), never a path.
pub fn name_problem(name: &str) -> Option<String> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    (!ok).then(|| {
        format!(
            "machine profile `{}` is not a profile name: `[a-z0-9][a-z0-9_-]*`, at most 64 characters",
            name.chars().flat_map(char::escape_default).collect::<String>()
        )
    })
}

/// Parses and checks a profile file whose expected name is `name`.
pub fn parse(file: &SourceFile, name: &str) -> Result<Profile, Diagnostics> {
    let p: Profile = serde_json::from_str(&file.text).map_err(|e| {
        let offset = offset_of(&file.text, e.line(), e.column());
        let d = Diagnostic::error(file, offset..offset, format!("invalid machine profile: {e}"));
        Diagnostics::from(d.rule(&crate::rules::INVALID_PROFILE))
    })?;
    let mut problems = vec![];
    let at = |needle: &str| {
        let o = file.text.find(needle).unwrap_or(0);
        o..o + needle.len()
    };
    if p.name != name {
        problems.push(Diagnostic::error(
            file,
            at("\"name\""),
            format!("profile name `{}` differs from the file name `{name}`", p.name),
        ));
    }
    for k in p.env.keys() {
        let ok = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            problems.push(Diagnostic::error(file, at(k), format!("environment variable name `{k}` is not valid")));
        }
    }
    if let Some(g) = &p.gpu {
        let ok = !g.cuda_arch_list.is_empty()
            && g.cuda_arch_list.split([' ', ';']).all(|a| {
                let a = a.trim_end_matches("+PTX");
                a.split_once('.')
                    .is_some_and(|(x, y)| x.parse::<u8>().is_ok() && y.len() == 1 && y.parse::<u8>().is_ok())
            });
        if !ok {
            let msg = format!("gpu.cuda_arch_list `{}` is not like `8.6` or `8.0;8.6+PTX`", g.cuda_arch_list);
            problems.push(Diagnostic::error(file, at("cuda_arch_list"), msg));
        }
    }
    let problems: Vec<_> = problems.into_iter().map(|d| d.rule(&crate::rules::INVALID_PROFILE)).collect();
    if problems.is_empty() {
        Ok(p)
    } else {
        Err(Diagnostics(problems))
    }
}

fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + col.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_parse_and_carry_the_fleet_values() {
        let main = builtin("mainpc").unwrap().unwrap();
        assert_eq!(main.env["TORCH_CUDA_ARCH_LIST"], "8.9");
        assert_eq!(main.env["OMP_NUM_THREADS"], "16");
        assert_eq!(main.env["UVICORN_WORKERS"], "8");
        assert_eq!(main.env["UVICORN_WORKERS_GPU"], "4");
        assert_eq!(main.env["GPU_VISIBLE_DEVICES"], "0");
        let pc2 = builtin("pc2").unwrap().unwrap();
        assert_eq!((pc2.env["TORCH_CUDA_ARCH_LIST"].as_str(), pc2.env["OMP_NUM_THREADS"].as_str()), ("8.6", "4"));
        assert!(pc2.description.contains("assume"), "chosen values are said so");
        assert!(builtin("pc3").is_none());
    }

    #[test]
    fn machine_names_are_names_not_paths() {
        assert_eq!(name_problem("mainpc"), None);
        assert_eq!(name_problem("pc-2_b"), None);
        for bad in ["../../x", "a/b", "", "-x", "PC2", "a.json", "a\nb", &"a".repeat(65)] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn bad_profiles_are_located() {
        let f = SourceFile::new(
            "p/x.json",
            "{\n  \"name\": \"x\",\n  \"description\": \"d\",\n  \"env\": {},\n  \"gpus\": 1\n}",
        );
        let e = parse(&f, "x").unwrap_err().to_string();
        assert!(e.starts_with("p/x.json:5:") && e.contains("unknown field `gpus`"), "{e}");
        let f = SourceFile::new("p/y.json", "{\"name\":\"x\",\"description\":\"d\",\"env\":{\"1A\":\"v\"},\"gpu\":{\"name\":\"g\",\"cuda_arch_list\":\"sm_89\"}}");
        let e = parse(&f, "y").unwrap_err().to_string();
        assert!(
            e.contains("differs from the file name") && e.contains("`1A` is not valid") && e.contains("sm_89"),
            "{e}"
        );
    }

    #[test]
    fn canonical_json_is_stable_and_drops_the_schema_hint() {
        let p = builtin("pc2").unwrap().unwrap();
        let j = p.canonical_json();
        assert!(!j.contains("$schema"));
        assert_eq!(j, builtin("pc2").unwrap().unwrap().canonical_json());
        assert!(j.find("\"build\"") < j.find("\"description\""), "keys sorted");
    }
}
