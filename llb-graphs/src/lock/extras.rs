//! The set-valued marker variables: which extras and dependency groups a lock walk selected.
//!
//! uv.lock writes conflict markers on its edges as `extra == 'extra-8-myproj-cpu'` and
//! `extra == 'group-8-myproj-dev'` (uv `crates/uv-pep508/src/marker/tree.rs`, conflict
//! encoding: kind, length of the package name, package, item), and evaluates them against the
//! extras and groups activated for the install (`crates/uv-resolver/src/lock/installable.rs`).
//! PEP 751 §"Marker variables" adds `extras` and `dependency_groups`, sets tested with
//! `'name' in extras`. Names compare PEP 685-normalised.

use std::collections::BTreeSet;

use super::common::normalize_name;
use super::markers::{CmpOp, MarkerError, Operand, Truth};
use super::version::Op;

/// The selected names each set-valued variable holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sets {
    /// Values `extra == '..'` is true for.
    pub extra: BTreeSet<String>,
    /// PEP 751 `extras`.
    pub extras: BTreeSet<String>,
    /// PEP 751 `dependency_groups`.
    pub groups: BTreeSet<String>,
}

/// uv's encoding of an extra of `package` in conflict markers: `extra-{len}-{package}-{extra}`.
pub fn uv_extra(package: &str, extra: &str) -> String {
    format!("extra-{}-{package}-{}", package.len(), normalize_name(extra))
}

/// uv's encoding of a dependency group of `package`: `group-{len}-{package}-{group}`.
pub fn uv_group(package: &str, group: &str) -> String {
    format!("group-{}-{package}-{}", package.len(), normalize_name(group))
}

impl Sets {
    /// The comparison's truth if it involves a set-valued variable, else `None` (the
    /// ordinary string/version comparison applies).
    pub(super) fn compare(
        &self,
        lhs: &Operand,
        op: CmpOp,
        rhs: &Operand,
        offset: usize,
    ) -> Option<Result<Truth, MarkerError>> {
        let truth = |b: bool| Some(Ok(if b { Truth::True } else { Truth::False }));
        match (lhs, op, rhs) {
            (Operand::Var(v), CmpOp::Version(o), Operand::Str(s))
            | (Operand::Str(s), CmpOp::Version(o), Operand::Var(v))
                if v == "extra" && matches!(o, Op::Eq | Op::Ne) =>
            {
                // packaging `_eval_extra_set`: no extra selected compares as `extra == ''`.
                let has = if self.extra.is_empty() { s.is_empty() } else { self.extra.contains(&normalize_name(s)) };
                truth(has == (o == Op::Eq))
            }
            (Operand::Str(s), CmpOp::In | CmpOp::NotIn, Operand::Var(v)) if is_set(v) => {
                let set = if v == "extras" { &self.extras } else { &self.groups };
                truth(set.contains(&normalize_name(s)) == (op == CmpOp::In))
            }
            (Operand::Var(v), ..) | (_, _, Operand::Var(v)) if is_set(v) => Some(Err(MarkerError {
                offset,
                message: format!("`{v}` is a set of names: compare it only as `'name' in {v}`"),
                help: Some("PEP 751 §\"Marker variables\"".into()),
            })),
            _ => None,
        }
    }
}

fn is_set(v: &str) -> bool {
    v == "extras" || v == "dependency_groups"
}
