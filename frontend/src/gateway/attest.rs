//! The frontend's own SBOM attestation (issue 14). When the client asks for one (`attest:sbom`,
//! what `docker buildx build --sbom=true` sends; or `build-arg:BUILDKIT_ATTEST_SBOM`, which
//! BuildKit's `frontend/attestations/parse.go` also reads), each platform's result carries an
//! in-toto attestation with predicate type `https://spdx.dev/Document`: BuildKit then skips its
//! scanner image (`frontend/attestations/sbom/sbom.go` `HasSBOM`, called by
//! `solver/llbsolver/proc/sbom.go`). The document comes from `llb_graphs::sbom`, written into a
//! scratch state by one mkfile op; the exporter reads it from that ref at [`sbom::SPDX_PATH`].

use std::collections::HashMap;

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    Attestation, AttestationKind, Ref, Result as BkResult, WarnRequest,
};
use llb_graphs::llb::{FileAction, OpMeta, State};
use llb_graphs::lower::{LowerOptions, ResolvedImage};
use llb_graphs::plan::LockedDeps;
use llb_graphs::plan::ServicePlan;
use llb_graphs::sbom;

use llb_graphs::build::BUILDKIT_ATTEST_SBOM;

use super::bridge::Bridge;
use super::manifest::Loaded;
use super::options::Options;

/// The gateway cap that lets a frontend return attestations (buildkit
/// `frontend/gateway/pb/caps.go` `CapAttestations`).
pub const CAP_ATTESTATIONS: &str = "reference.attestations";

/// True when the options ask for an SBOM and do not disable it (`disabled=true` in the CSV
/// params; buildx drops disabled attestations itself, buildctl may send them).
pub fn requested(opts: &Options) -> bool {
    let value = opts.raw.get("attest:sbom").or_else(|| opts.build_args.get(BUILDKIT_ATTEST_SBOM));
    value.is_some_and(|v| !v.split(',').any(|f| f.trim().eq_ignore_ascii_case("disabled=true")))
}

/// The `--print=outline` row about SBOMs: the build-arg BuildKit also reads as an SBOM request
/// (`frontend/attestations/parse.go`), with its value, saying what a build attaches. An outline
/// call cannot itself carry `--sbom`: BuildKit's SBOM processor runs on the subrequest's empty
/// result too and resolves the generator (`solver/llbsolver/proc/sbom.go`).
pub fn outline_arg(opts: &Options) -> (&'static str, String, &'static str) {
    let value = opts.build_args.get(BUILDKIT_ATTEST_SBOM).cloned().unwrap_or_default();
    (
        BUILDKIT_ATTEST_SBOM,
        value,
        "set, or --sbom / --attest type=sbom: the frontend attaches an SPDX SBOM from the lockfiles (no scanner)",
    )
}

/// Whether to attach SBOMs to this build: requested, and the daemon takes attestations from a
/// frontend. Requested but unsupported gives a warning on the manifest's load step.
pub async fn wanted(bridge: &mut Bridge, loaded: &Loaded) -> bool {
    if !requested(&bridge.opts) {
        return false;
    }
    if bridge.caps.api.contains(CAP_ATTESTATIONS) {
        return true;
    }
    let msg = format!(
        "SBOM requested, but this BuildKit does not take attestations from a frontend (no `{CAP_ATTESTATIONS}` cap): no SBOM from fleet-frontend"
    );
    eprintln!("fleet-frontend: {msg}");
    if bridge.caps.api.contains("gateway.warnings") {
        let req = WarnRequest { digest: loaded.head.clone(), level: 1, short: msg.into_bytes(), ..Default::default() };
        bridge.warn(req).await;
    }
    false
}

/// Solves the SPDX document of one platform into a scratch state and returns the attestation.
pub async fn sbom_attestation(
    bridge: &mut Bridge,
    plan: &ServicePlan,
    deps: &[LockedDeps],
    base: &ResolvedImage,
    lo: &LowerOptions,
) -> Result<Attestation, Status> {
    let input = sbom::Input { plan, deps, base, opts: lo, tool_version: env!("CARGO_PKG_VERSION") };
    let doc = sbom::render(&input, sbom::Format::Spdx);
    let meta = OpMeta {
        custom_name: Some(format!("[{}] write SBOM {} (from the lockfiles)", plan.name, sbom::SPDX_PATH)),
        ..Default::default()
    };
    let st = State::scratch().file(FileAction::mkfile(format!("/{}", sbom::SPDX_PATH), 0o644, doc), meta);
    Ok(attestation(bridge.solve_state(&st).await?.id))
}

/// The attestation as BuildKit's own scanner labels its result (`reason=sbom`,
/// `sbom-core=sbom`; buildkit `solver/result/attestation.go`), so the exporter treats it as
/// the core SBOM (`exporter/containerimage/attestations.go` `supplementSBOM`).
fn attestation(ref_id: String) -> Attestation {
    let metadata = HashMap::from([
        ("reason".to_string(), b"sbom".to_vec()),
        ("sbom-core".to_string(), sbom::CORE_SBOM_NAME.as_bytes().to_vec()),
    ]);
    Attestation {
        kind: AttestationKind::InToto as i32,
        metadata,
        r#ref: Some(Ref { id: ref_id, def: None }),
        path: sbom::SPDX_PATH.to_string(),
        in_toto_predicate_type: sbom::SPDX_PREDICATE.to_string(),
        // Empty subjects: the exporter uses the image manifest (containerimage/writer.go).
        in_toto_subjects: vec![],
    }
}

/// Adds each platform's attestation under its platform ID, the key the exporter looks up for
/// single- and multi-platform results alike (`exporter/containerimage/writer.go`).
pub fn attach(res: &mut BkResult, atts: Vec<(String, Attestation)>) {
    for (platform, att) in atts {
        res.attestations.entry(platform).or_default().attestation.push(att);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: &[&str]) -> Options {
        super::super::options::parse(v.iter().map(|s| s.to_string())).expect("options")
    }

    #[test]
    fn requested_by_attest_option_or_build_arg_unless_disabled() {
        assert!(!requested(&opts(&["attest:provenance=mode=max"])));
        assert!(requested(&opts(&["attest:sbom="])));
        assert!(requested(&opts(&["attest:sbom=type=sbom,disabled=false"])));
        assert!(requested(&opts(&["attest:sbom=type=sbom,generator=localhost:5000/no-scanner:none"])));
        assert!(!requested(&opts(&["attest:sbom=type=sbom,disabled=true"])));
        assert!(requested(&opts(&["build-arg:BUILDKIT_ATTEST_SBOM=true"])));
        assert_eq!(outline_arg(&opts(&["build-arg:BUILDKIT_ATTEST_SBOM=true"])).1, "true");
        assert_eq!(outline_arg(&opts(&[])).1, "");
    }

    #[test]
    fn attestation_has_the_fields_buildkit_matches_on() {
        let mut res = BkResult::default();
        attach(&mut res, vec![("linux/amd64".into(), attestation("r1".into()))]);
        let a = &res.attestations["linux/amd64"].attestation[0];
        assert_eq!(a.kind, AttestationKind::InToto as i32);
        assert_eq!(a.in_toto_predicate_type, "https://spdx.dev/Document");
        assert_eq!(a.path, "sbom.spdx.json");
        assert_eq!(a.metadata["reason"], b"sbom");
        assert_eq!(a.metadata["sbom-core"], b"sbom");
        // supplementSBOM: the base name before the first `.` must equal `sbom-core`.
        assert_eq!(a.path.split('.').next().map(str::as_bytes), Some(&a.metadata["sbom-core"][..]));
        assert_eq!(a.r#ref.as_ref().map(|r| r.id.as_str()), Some("r1"));
    }
}
