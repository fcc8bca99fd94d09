//! Checks of one `[services.NAME]` table: its family, paths, command, ports, health endpoint,
//! user and lockfile. Ports are collected across services to find clashes.

use std::collections::BTreeMap;

use toml::Spanned;

use super::did_you_mean;
use super::typed::Parsed;
use super::types::{Manifest, SString, Service};
use super::validate::{check_env, check_lock_selection};
use crate::diag::{Diagnostic, SourceFile};
use crate::rules::{self, Rule};
use crate::value::{ContextPath, APP_UID};

/// Ports seen so far: port → (service, `service` or `health`).
pub(super) type PortsSeen = BTreeMap<i64, (String, &'static str)>;

/// Every problem of service `name`, appended to `out`.
pub(super) fn validate_service(
    file: &SourceFile,
    m: &Manifest,
    name: &SString,
    svc: &Spanned<Service>,
    ports: &mut PortsSeen,
    out: &mut Vec<Diagnostic>,
) {
    let n = name.get_ref();
    let s = svc.get_ref();
    let err = |v: &SString, rule: &'static Rule, msg: String| Diagnostic::error(file, v.span(), msg).rule(rule);
    let typed = m.typed.service(n);
    check_family(file, m, n, &s.family, out);
    if let Some(Err(why)) = &typed.source {
        out.push(err(
            &s.source,
            &rules::PATH_OUTSIDE_CONTEXT,
            format!("service `{n}`: source `{}` {why}", s.source.get_ref()),
        ));
    }
    if s.command.get_ref().is_empty() || s.command.get_ref()[0].get_ref().trim().is_empty() {
        let msg = format!("service `{n}`: command is empty");
        out.push(Diagnostic::error(file, s.command.span(), msg).rule(&rules::EMPTY_COMMAND));
    }
    check_ports(file, name, s, &typed.ports, ports, out);
    match &s.health_path {
        Some(p) if p.get_ref().is_empty() => out.push(
            err(p, &rules::MISSING_HEALTH_PATH, format!("service `{n}`: health_path is empty"))
                .with_help("leave health_path out for the default `/health`"),
        ),
        Some(p) => {
            if let Some(why) = super::contract::health_path_problem(p.get_ref()) {
                let msg = format!("service `{n}`: health_path `{}` {why}", super::contract::printable(p.get_ref()));
                out.push(err(p, &rules::INVALID_HEALTH_PATH, msg));
            }
        }
        _ => {}
    }
    if let Some(w) = &s.workdir {
        if let Some(why) = super::contract::workdir_problem(w.get_ref()) {
            let msg = format!("service `{n}`: workdir `{}` {why}", super::contract::printable(w.get_ref()));
            out.push(err(w, &rules::INVALID_WORKDIR, msg));
        }
    }
    for (w, parsed) in s.writable.iter().zip(&typed.writable) {
        if let Some(why) = super::contract::writable_problem(w.get_ref()) {
            let msg = format!("service `{n}`: writable directory `{}` {why}", w.get_ref());
            out.push(err(w, &rules::INVALID_WRITABLE, msg));
        } else if let Err(why) = parsed {
            // The same path rules, but these directories live under the workdir.
            let why = why.replace("the build context", "the workdir");
            out.push(err(w, &rules::PATH_OUTSIDE_CONTEXT, format!("writable directory `{}` {why}", w.get_ref())));
        }
    }
    check_env(file, &s.env, out);
    super::contract::check_reserved_env(file, &format!("service `{n}`"), &s.env, out);
    super::contract::check_labels(file, n, &s.labels, out);
    if let (Some(l), Some(parsed)) = (&s.lock, &typed.lock) {
        check_lock_path(file, n, l, parsed, out);
    }
    let keys = (s.extras.as_ref(), s.groups.as_ref(), s.package.as_ref());
    check_lock_selection(file, &format!("service `{n}`"), s.lock.as_ref(), keys, out);
    if let Some(u) = &s.user {
        check_user(file, m, n, s.family.get_ref(), u, out);
    }
}

fn check_family(file: &SourceFile, m: &Manifest, n: &str, family: &SString, out: &mut Vec<Diagnostic>) {
    let fam = family.get_ref();
    if m.families.contains_key(family) {
        return;
    }
    // Bounded, so that many unknown names cost linear time and output.
    let known: Vec<&str> =
        m.families.keys().map(|k| k.get_ref().as_str()).take(super::suggest::MAX_CANDIDATES).collect();
    let d = Diagnostic::error(file, family.span(), format!("service `{n}`: unknown family `{fam}`"))
        .rule(&rules::UNKNOWN_FAMILY);
    out.push(match did_you_mean(fam, known.iter().copied()) {
        Some(sug) => d.with_help(format!("did you mean `{sug}`?")),
        None if known.is_empty() => d.with_help("no [families.NAME] table is defined"),
        None if known.len() < m.families.len() => d.with_help(format!("{} families are defined", m.families.len())),
        None => d.with_help(format!("known families: {}", known.join(", "))),
    });
}

fn check_lock_path(file: &SourceFile, n: &str, l: &SString, parsed: &Parsed<ContextPath>, out: &mut Vec<Diagnostic>) {
    let d = |rule: &'static Rule, msg: String| Diagnostic::error(file, l.span(), msg).rule(rule);
    match parsed {
        Err(why) => out.push(d(&rules::PATH_OUTSIDE_CONTEXT, format!("service `{n}`: lock `{}` {why}", l.get_ref()))),
        Ok(p) if crate::lock::LockKind::detect(p.as_str()).is_none() => out.push(
            d(&rules::INVALID_LOCK, format!("service `{n}`: lock `{}` is not a known lockfile", l.get_ref()))
                .with_help("use requirements*.txt (with --hash), pylock.toml / pylock.NAME.toml (PEP 751) or uv.lock"),
        ),
        Ok(_) => {}
    }
}

fn check_ports(
    file: &SourceFile,
    name: &SString,
    s: &Service,
    parsed: &[Option<Parsed<u16>>; 2],
    seen: &mut PortsSeen,
    out: &mut Vec<Diagnostic>,
) {
    let n = name.get_ref();
    let Some(ports) = &s.ports else {
        let d = Diagnostic::error(file, name.span(), format!("service `{n}` has no ports (service and health)"))
            .with_help("add ports = { service = 8080, health = 8081 }");
        out.push(d.rule(&rules::MISSING_HEALTH_PORT));
        return;
    };
    // serde would also read `ports = [8080, 8081]` positionally; the order must not decide.
    if file.text.get(ports.span()).is_some_and(|t| t.trim_start().starts_with('[')) {
        let msg = format!("service `{n}`: ports must be a table, not an array");
        let d = Diagnostic::error(file, ports.span(), msg).with_help("write ports = { service = 8080, health = 8081 }");
        out.push(d.rule(&rules::INVALID_PORT));
        return;
    }
    let p = ports.get_ref();
    for ((kind, port), parsed) in [("service", &p.service), ("health", &p.health)].into_iter().zip(parsed) {
        let Some(port) = port else {
            let rule = if kind == "health" { &rules::MISSING_HEALTH_PORT } else { &rules::INVALID_PORT };
            let d = Diagnostic::error(file, ports.span(), format!("service `{n}`: ports has no `{kind}` port"));
            out.push(d.with_help(format!("add {kind} = <port> to the ports table")).rule(rule));
            continue;
        };
        let v = *port.get_ref();
        let d = |rule: &'static Rule, msg: String| Diagnostic::error(file, port.span(), msg).rule(rule);
        if let Some(Err(why)) = parsed {
            out.push(d(&rules::INVALID_PORT, format!("service `{n}`: {kind} port {v} {why}")));
            continue;
        }
        if let Some((other, other_kind)) = seen.get(&v) {
            if other == n {
                let msg = format!("service `{n}`: health port {v} equals its service port");
                out.push(d(&rules::HEALTH_PORT_EQUALS_SERVICE_PORT, msg).with_help("give /health its own port"));
            } else {
                let msg =
                    format!("service `{n}`: {kind} port {v} is already the {other_kind} port of service `{other}`");
                out.push(d(&rules::DUPLICATE_PORT, msg));
            }
            continue;
        }
        seen.insert(v, (n.to_string(), kind));
    }
}

/// `user` is `10001`, `10001:10001` or the family's user name (created as 10001), with an
/// optional `:GROUP` that is the same. Root and other ids break the fleet's runtime contract.
fn check_user(file: &SourceFile, m: &Manifest, n: &str, family: &str, u: &SString, out: &mut Vec<Diagnostic>) {
    let value = u.get_ref();
    let family_user = family_user(m, family);
    let fleet_id = APP_UID.to_string();
    let (user, group) = value.split_once(':').map_or((value.as_str(), None), |(a, b)| (a, Some(b)));
    let parts: Vec<&str> = std::iter::once(user).chain(group).collect();
    let d = |rule: &'static Rule, msg: String| Diagnostic::error(file, u.span(), msg).rule(rule);
    if parts.iter().any(|p| p.is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control())) {
        out.push(d(&rules::INVALID_USER_NAME, format!("service `{n}`: user `{value}` is not `USER` or `USER:GROUP`")));
    } else if parts.iter().any(|p| is_root(p)) {
        let what = if is_root(user) { "runs as root" } else { "runs with group root" };
        let msg = format!("service `{n}`: user `{value}` {what}; services run as {APP_UID}:{APP_UID}");
        out.push(d(&rules::ROOT_USER, msg).with_help(format!("remove `user` or write user = \"{APP_UID}:{APP_UID}\"")));
    } else if !parts.iter().all(|p| *p == fleet_id || Some(*p) == family_user) {
        let named = family_user.map_or(String::new(), |f| format!(" (or `{f}`, the family's user)"));
        let msg = format!("service `{n}`: user `{value}` is not {APP_UID}:{APP_UID}{named}");
        out.push(d(&rules::NON_FLEET_USER, msg).with_help("the fleet's runtime contract fixes UID:GID 10001:10001"));
    }
}

fn is_root(id: &str) -> bool {
    id == "root" || id.parse::<u64>() == Ok(0)
}

/// The `user` of `family` or of its nearest ancestor that has one (bounded: cycles are reported
/// elsewhere).
fn family_user<'m>(m: &'m Manifest, family: &str) -> Option<&'m str> {
    let mut cur = family.to_string();
    for _ in 0..=m.families.len() {
        let f = m.families.get(&Spanned::new(0..0, cur.clone()))?.get_ref();
        if let Some(u) = &f.user {
            return Some(u.get_ref());
        }
        cur = f.parent.as_ref()?.get_ref().clone();
    }
    None
}
