//! LLB builder tests: the traps of buildkit-gateway.md §9 (items 8-11, 26) each pinned.

use std::collections::BTreeSet;

use prost::Message;

use super::*;

fn img() -> State {
    ImageSource { reference: "docker.io/library/busybox:latest".into(), resolve_mode: None, meta: OpMeta::default() }
        .state(&Platform::linux_amd64())
}

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def.iter().map(|b| pb::Op::decode(b.as_slice()).unwrap()).collect()
}

fn named(name: &str) -> OpMeta {
    OpMeta { custom_name: Some(name.into()), ..Default::default() }
}

#[test]
fn terminal_op_is_last_and_has_only_an_input() {
    let m = img().run(Exec::new(["true"])).root().marshal(&MarshalOptions::default()).unwrap();
    let o = ops(&m.definition);
    assert_eq!(o.len(), 3);
    let last = o.last().unwrap();
    assert!(last.op.is_none());
    assert_eq!(last.inputs, vec![pb::Input { digest: m.head.clone(), index: 0 }]);
    let caps = &m.definition.metadata[&marshal::digest_of(m.definition.def.last().unwrap())].caps;
    assert!(caps.contains_key("constraints") && caps.contains_key("platform"));
}

#[test]
fn digests_are_sha256_of_the_op_bytes() {
    let m = img().marshal(&MarshalOptions::default()).unwrap();
    for bytes in &m.definition.def {
        assert!(m.definition.metadata.contains_key(&marshal::digest_of(bytes)));
    }
    // Pinned: an unintended change in encoding must show up here.
    assert_eq!(m.head, marshal::digest_of(&m.definition.def[0]));
    let op = &ops(&m.definition)[0];
    assert_eq!(op.platform.as_ref().unwrap().architecture, "amd64");
}

#[test]
fn unset_values_are_minus_one_not_zero() {
    let ctx = LocalSource { name: "context".into(), ..Default::default() }.state();
    let st = img()
        .file(FileAction::copy(&ctx, "/a", "/b", Copy::default()).then(FileAction::mkdir("/c", 0o755)), named("f"));
    let run = st.run(Exec::new(["true"]).mount(Mount::Tmpfs { dest: "/tmp".into(), size: 0 }));
    let m = run.root().marshal(&MarshalOptions::default()).unwrap();
    let o = ops(&m.definition);
    let file = o
        .iter()
        .find_map(|op| match &op.op {
            Some(pb::op::Op::File(f)) => Some(f.clone()),
            _ => None,
        })
        .unwrap();
    let pb::file_action::Action::Copy(c) = file.actions[0].action.clone().unwrap() else { panic!() };
    assert_eq!((c.mode, c.timestamp), (-1, -1));
    assert_eq!(file.actions[0].output, -1, "non-final action has no output");
    assert_eq!(file.actions[1].output, 0);
    assert_eq!(file.actions[1].input, 2, "second action reads the first one's result");
    let exec = o
        .iter()
        .find_map(|op| match &op.op {
            Some(pb::op::Op::Exec(e)) => Some(e.clone()),
            _ => None,
        })
        .unwrap();
    let tmp = exec.mounts.iter().find(|m| m.dest == "/tmp").unwrap();
    assert_eq!((tmp.input, tmp.output), (-1, -1));
}

#[test]
fn mounts_are_sorted_root_first_and_outputs_numbered_in_order() {
    let e = Exec::new(["true"])
        .mount(Mount::Layer { dest: "/z".into(), source: State::scratch(), selector: None, readonly: false })
        .mount(Mount::Cache { dest: "/c".into(), id: "c".into(), sharing: CacheSharing::Locked, owner: None })
        .mount(Mount::Layer { dest: "/b".into(), source: State::scratch(), selector: None, readonly: false });
    let run = img().run(e);
    let m = run.mount_output("/z").unwrap().marshal(&MarshalOptions::default()).unwrap();
    let exec = ops(&m.definition)
        .into_iter()
        .find_map(|op| match op.op {
            Some(pb::op::Op::Exec(e)) => Some(e),
            _ => None,
        })
        .unwrap();
    let dests: Vec<_> = exec.mounts.iter().map(|m| (m.dest.as_str(), m.output)).collect();
    assert_eq!(dests, [("/", 0), ("/b", 1), ("/c", -1), ("/z", 2)]);
    assert_eq!(ops(&m.definition).last().unwrap().inputs[0].index, 2);
}

#[test]
fn env_is_sorted_and_inherited_from_the_state() {
    let st = img().env("ZED", "1").env("ALPHA", "2");
    let m = st.run(Exec::new(["env"]).env("MID", "3")).root().marshal(&MarshalOptions::default()).unwrap();
    let exec = ops(&m.definition)
        .into_iter()
        .find_map(|op| match op.op {
            Some(pb::op::Op::Exec(e)) => Some(e),
            _ => None,
        })
        .unwrap();
    assert_eq!(exec.meta.unwrap().env, ["ALPHA=2", "MID=3", "ZED=1"]);
}

#[test]
fn same_graph_gives_the_same_bytes_every_time() {
    let build = || {
        let base = img().env("A", "1");
        let ctx =
            LocalSource { name: "context".into(), include_patterns: vec!["app/".into()], ..Default::default() }.state();
        let app = State::scratch().file(FileAction::copy(&ctx, "/app/", "/app/", Copy::default()), named("copy"));
        State::merge(&[base, app], named("merge"))
            .marshal(&MarshalOptions::default())
            .unwrap()
            .definition
            .encode_to_vec()
    };
    let first = build();
    for _ in 0..100 {
        assert_eq!(build(), first);
    }
}

#[test]
fn shared_inputs_are_emitted_once() {
    let base = img();
    let a = base.run(Exec::new(["a"])).root();
    let b = base.run(Exec::new(["b"])).root();
    let m = State::merge(&[a, b], OpMeta::default()).marshal(&MarshalOptions::default()).unwrap();
    assert_eq!(m.definition.def.len(), 5, "image, two execs, merge, terminal");
}

#[test]
fn caps_not_listed_by_the_daemon_are_refused() {
    let st = State::merge(&[img(), img().run(Exec::new(["x"])).root()], named("merge"));
    let mut allowed: BTreeSet<String> = [
        "source.image",
        "exec.meta.base",
        "exec.mount.bind",
        "exec.meta.network",
        "constraints",
        "platform",
        "meta.description",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let err = st.marshal(&MarshalOptions { allowed_caps: Some(allowed.clone()), ..Default::default() }).unwrap_err();
    assert_eq!(err, MarshalError::CapNotSupported { cap: "mergeop".into(), op: "merge".into() });
    allowed.insert("mergeop".into());
    assert!(st.marshal(&MarshalOptions { allowed_caps: Some(allowed), ..Default::default() }).is_ok());
}

#[test]
fn cache_mount_with_owner_is_seeded_from_a_chowned_dir() {
    let e = Exec::new(["pip"]).mount(Mount::Cache {
        dest: "/root/.cache/pip".into(),
        id: "pip".into(),
        sharing: CacheSharing::Locked,
        owner: Some((10001, 10001, 0o755)),
    });
    let m = img().run(e).root().marshal(&MarshalOptions::default()).unwrap();
    let o = ops(&m.definition);
    let exec = o
        .iter()
        .find_map(|op| match &op.op {
            Some(pb::op::Op::Exec(e)) => Some(e.clone()),
            _ => None,
        })
        .unwrap();
    let c = exec.mounts.iter().find(|m| m.dest == "/root/.cache/pip").unwrap();
    assert_eq!(c.selector, "/cache");
    assert!(c.input >= 0);
    assert_eq!(c.cache_opt.as_ref().unwrap().sharing, pb::CacheSharingOpt::Locked as i32);
}

#[test]
fn a_foreign_definition_is_embedded_verbatim() {
    let foreign = img().run(Exec::new(["make"])).root().marshal(&MarshalOptions::default()).unwrap();
    let st = State::from_definition(&foreign.definition).unwrap();
    let m = st.run(Exec::new(["test"])).root().marshal(&MarshalOptions::default()).unwrap();
    let ours: Vec<String> = m.definition.def.iter().map(|b| marshal::digest_of(b)).collect();
    for (i, bytes) in foreign.definition.def.iter().enumerate().take(foreign.definition.def.len() - 1) {
        assert!(ours.contains(&marshal::digest_of(bytes)), "op {i} of the input is missing");
    }
    let exec = ops(&m.definition)
        .into_iter()
        .find(|o| matches!(&o.op, Some(pb::op::Op::Exec(e)) if e.meta.as_ref().unwrap().args == ["test"]))
        .unwrap();
    assert_eq!(exec.inputs[0].digest, foreign.head, "the exec builds on the input's result");
    assert!(State::from_definition(&pb::Definition::default()).is_none());
}
