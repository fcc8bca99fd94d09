//! The image config's history has one entry per layer the LLB makes, so BuildKit's exporter adds
//! none of its own (moby/buildkit exporter/containerimage/writer.go `normalizeLayersAndHistory`
//! pads the history from the daemon's cache records when it lists fewer non-empty entries than
//! the image has layers; those differ between daemons, and so would the image digest).
//!
//! The layer count is not taken from the lowering: it is computed here from the marshalled LLB
//! by BuildKit's rules for a ref's layer chain (cache/refs.go, solver/llbsolver/ops): an image
//! source has its config's layers; an exec output is the layers of its mount's input plus one
//! (one for a scratch mount, even when nothing is written: an empty layer is still exported);
//! a file op output is its base input's layers plus one; a merge is its inputs' layers in order.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use prost::Message;

use llb_graphs::diag::SourceFile;
use llb_graphs::llb::{digest_of, pb, MarshalOptions};
use llb_graphs::lower::{lower_service_with, LowerOptions, ResolvedImage};
use llb_graphs::{manifest, plan};

const MANIFEST: &str = r#"[fleet]
python = "3.11"

[families.base-python]
base = "localhost:5000/python:3.11-slim"
user = "appuser"

[families.pydeps]
parent = "base-python"
lock = "fam/uv.lock"

[services.web]
family = "pydeps"
source = "app"
lock = "web/uv.lock"
command = ["python3", "main.py"]
ports = { service = 8080, health = 8081 }
"#;

/// Two layers, two history entries (a layer count the base's config states).
const BASE_CONFIG: &str = r#"{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111",
   "sha256:2222222222222222222222222222222222222222222222222222222222222222"]},
 "history":[{"created_by":"debootstrap"},{"created_by":"python"}]}"#;
const BASE_LAYERS: usize = 2;

/// A uv.lock: `wheels` small py3-none-any wheels (several buckets), one big wheel (a group of its
/// own) and, when `sdist`, a package with only an sdist.
fn lock(tag: &str, wheels: usize, sdist: bool) -> String {
    let mut names: Vec<String> = (0..wheels).map(|i| format!("{tag}-{i}")).collect();
    names.push(format!("{tag}-big"));
    let mut s = String::from("version = 1\nrequires-python = \">=3.11\"\n");
    s.push_str("\n[[package]]\nname = \"proj\"\nversion = \"0\"\nsource = { virtual = \".\" }\ndependencies = [\n");
    let all: Vec<String> = names.iter().cloned().chain(sdist.then(|| format!("{tag}-src"))).collect();
    for n in &all {
        s.push_str(&format!("    {{ name = \"{n}\" }},\n"));
    }
    s.push_str("]\n");
    for (i, n) in names.iter().enumerate() {
        let size = if n.ends_with("-big") { 60_000_000 } else { 20_000 };
        let file = n.replace('-', "_");
        s.push_str(&format!(
            "\n[[package]]\nname = \"{n}\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\
             wheels = [\n    {{ url = \"https://files.pythonhosted.org/packages/{file}-1.0-py3-none-any.whl\", hash = \"sha256:{:064x}\", size = {size} }},\n]\n",
            i + 1
        ));
    }
    if sdist {
        let n = format!("{tag}-src");
        let file = n.replace('-', "_");
        s.push_str(&format!(
            "\n[[package]]\nname = \"{n}\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\
             sdist = {{ url = \"https://files.pythonhosted.org/packages/{file}-1.0.tar.gz\", hash = \"sha256:{:064x}\", size = 1000 }}\n",
            999
        ));
    }
    s
}

/// Layers of output `index` of op `digest`, by the rules in the module comment.
fn layers(ops: &HashMap<String, pb::Op>, digest: &str, index: i64) -> usize {
    let op = &ops[digest];
    let input =
        |i: i64| -> usize { usize::try_from(i).map_or(0, |i| layers(ops, &op.inputs[i].digest, op.inputs[i].index)) };
    match op.op.as_ref().unwrap() {
        pb::op::Op::Source(s) => {
            assert!(s.identifier.starts_with("docker-image://"), "a non-image source in the image: {}", s.identifier);
            BASE_LAYERS
        }
        pb::op::Op::Exec(e) => {
            let m = e.mounts.iter().find(|m| m.output == index).unwrap();
            input(m.input) + 1
        }
        pb::op::Op::File(f) => {
            // Follow the action chain down to the op's base input (-1: scratch).
            let n = op.inputs.len() as i64;
            let mut a = f.actions.iter().find(|a| a.output == index).unwrap();
            while a.input >= n {
                a = &f.actions[(a.input - n) as usize];
            }
            input(a.input) + 1
        }
        pb::op::Op::Merge(m) => m.inputs.iter().map(|i| input(i.input)).sum(),
        other => panic!("unexpected op in the image chain: {other:?}"),
    }
}

/// `target` lowered with `merge_op`: the family's lock made by [`lock`] with or without an
/// sdist, and, when the target has a lock of its own, `own` as that lock.
fn lower(target: &str, merge_op: bool, sdist: bool, own: &str) -> llb_graphs::lower::Lowered {
    let file = manifest::source_file("fleet.toml", MANIFEST.as_bytes()).unwrap();
    let m = manifest::parse(&file).unwrap();
    let p = plan::plan_service(&file, &m, Some(target)).unwrap();
    let platform = llb_graphs::llb::Platform::linux_amd64();
    let fam_layer = p.family.chain.iter().find(|l| l.name == "pydeps").unwrap();
    let fam_lock = SourceFile::new("fam/uv.lock", lock("fam", 12, sdist));
    let mut deps = vec![plan::plan_family_deps(&file, &p, fam_layer, &fam_lock, &platform, false).unwrap()];
    if p.lock.is_some() {
        let own = SourceFile::new("web/uv.lock", own.to_string());
        deps.push(plan::plan_deps(&file, &p, &own, &platform, false).unwrap());
    }
    let base = ResolvedImage::image(
        p.family.base.value.pinned("sha256:86159081ca33f6324e449088be7f088e6dcd61a3afed0e17461d76e25e8054ed"),
        serde_json::from_str(BASE_CONFIG).unwrap(),
    );
    let opts = LowerOptions { merge_op, ..Default::default() };
    lower_service_with(&file, &p, &base, &deps, &opts).unwrap()
}

/// `(layers of the image, non-empty history entries)` of `target` lowered with `merge_op`.
fn counts(target: &str, merge_op: bool, sdist: bool) -> (usize, usize, Vec<String>) {
    let lowered = lower(target, merge_op, sdist, &lock("web", 12, sdist));
    let def = lowered.state.marshal(&MarshalOptions::default()).unwrap().definition;
    let ops: HashMap<String, pb::Op> =
        def.def.iter().map(|b| (digest_of(b), pb::Op::decode(b.as_slice()).unwrap())).collect();
    let terminal = pb::Op::decode(def.def.last().unwrap().as_slice()).unwrap();
    let head = &terminal.inputs[0];
    let history = lowered.image_config["history"].as_array().unwrap();
    let non_empty: Vec<String> = history
        .iter()
        .filter(|h| h["empty_layer"] != true)
        .map(|h| h["created_by"].as_str().unwrap_or_default().to_string())
        .collect();
    (layers(&ops, &head.digest, head.index), non_empty.len(), non_empty)
}

#[test]
fn a_service_with_a_grouped_lock_and_an_sdist_has_one_history_entry_per_layer() {
    for merge_op in [true, false] {
        let (layers, entries, history) = counts("web", merge_op, true);
        assert_eq!(entries, layers, "merge_op={merge_op}: {history:#?}");
        assert!(history.iter().all(|h| !h.is_empty()), "{history:#?}");
        if merge_op {
            // base 2, user 1, per lock a check, the big wheel, at least two buckets and the sdist
            // install, app 2.
            assert!(layers >= 2 + 1 + 2 * 5 + 2, "{history:#?}");
            assert!(history.iter().any(|h| h.contains("[web] install 1 package built from source")), "{history:#?}");
        }
    }
}

#[test]
fn a_family_with_a_lock_has_one_history_entry_per_layer() {
    for (merge_op, sdist) in [(true, false), (true, true), (false, true)] {
        let (layers, entries, history) = counts("pydeps", merge_op, sdist);
        assert_eq!(entries, layers, "merge_op={merge_op} sdist={sdist}: {history:#?}");
        if merge_op {
            assert!(layers > BASE_LAYERS + 4, "several dependency layers: {history:#?}");
        }
    }
}

/// Without the daemon's `mergeop` cap no op of the graph may be a MergeOp: BuildKit refuses the
/// whole definition, even when the MergeOp only gathers sdist-built wheels for one exec.
#[test]
fn without_mergeop_no_op_of_a_graph_with_sdists_is_a_merge() {
    // Two sdists: one alone needs no gathering (a merge of one input is that input).
    let two = lock("web", 12, true).replace("    { name = \"web-src\" },\n", "    { name = \"web-src\" },\n    { name = \"web-src2\" },\n")
        + &format!(
            "\n[[package]]\nname = \"web-src2\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\
             sdist = {{ url = \"https://files.pythonhosted.org/packages/web_src2-1.0.tar.gz\", hash = \"sha256:{:064x}\", size = 1000 }}\n",
            998
        );
    for merge_op in [true, false] {
        let def = lower("web", merge_op, true, &two).state.marshal(&MarshalOptions::default()).unwrap().definition;
        let merges = def
            .def
            .iter()
            .filter(|b| matches!(pb::Op::decode(b.as_slice()).unwrap().op, Some(pb::op::Op::Merge(_))))
            .count();
        assert_eq!(merges == 0, !merge_op, "merge_op={merge_op}: {merges} MergeOps");
    }
}
