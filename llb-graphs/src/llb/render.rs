//! Renders a `pb.Definition` as digest-keyed JSON in topological order, for golden tests and
//! `fleet-frontend llb --format json` (the shape of BuildKit's `frontend.convertllb`).

use prost::Message;
use serde_json::{json, Map, Value};

use super::marshal::digest_of;
use super::pb;

/// Decodes every op of `def` and renders it, inputs before users, terminal op last.
pub fn definition_json(def: &pb::Definition) -> Value {
    let ops: Vec<Value> = def
        .def
        .iter()
        .map(|bytes| {
            let digest = digest_of(bytes);
            let op = pb::Op::decode(bytes.as_slice()).unwrap_or_default();
            let mut v = Map::new();
            v.insert("digest".into(), json!(digest));
            v.insert(
                "inputs".into(),
                json!(op.inputs.iter().map(|i| format!("{}[{}]", i.digest, i.index)).collect::<Vec<_>>()),
            );
            if let Some(p) = &op.platform {
                v.insert("platform".into(), json!(format!("{}/{}", p.os, p.architecture)));
            }
            v.insert("op".into(), op.op.as_ref().map_or(Value::Null, op_json));
            if let Some(md) = def.metadata.get(&digest) {
                v.insert("metadata".into(), metadata_json(md));
            }
            if let Some(locs) = def.source.as_ref().and_then(|s| s.locations.get(&digest)) {
                let l: Vec<Value> = locs.locations.iter().map(location_json).collect();
                v.insert("locations".into(), json!(l));
            }
            Value::Object(v)
        })
        .collect();
    json!({ "ops": ops })
}

fn metadata_json(md: &pb::OpMetadata) -> Value {
    let mut v = Map::new();
    if let Some(n) = md.description.get("llb.customname") {
        v.insert("name".into(), json!(n));
    }
    if md.ignore_cache {
        v.insert("ignore_cache".into(), json!(true));
    }
    if let Some(e) = &md.export_cache {
        v.insert("export_cache".into(), json!(e.value));
    }
    v.insert("caps".into(), json!(md.caps.keys().collect::<Vec<_>>()));
    Value::Object(v)
}

fn location_json(l: &pb::Location) -> Value {
    let ranges: Vec<String> = l
        .ranges
        .iter()
        .map(|r| {
            let p = |p: &Option<pb::Position>| p.as_ref().map_or((0, 0), |p| (p.line, p.character));
            let (s, e) = (p(&r.start), p(&r.end));
            format!("{}:{}-{}:{}", s.0, s.1, e.0, e.1)
        })
        .collect();
    json!({ "source": l.source_index, "ranges": ranges })
}

fn op_json(op: &pb::op::Op) -> Value {
    use pb::op::Op;
    match op {
        Op::Source(s) => json!({ "source": { "identifier": s.identifier, "attrs": s.attrs } }),
        Op::Exec(e) => exec_json(e),
        Op::File(f) => {
            json!({ "file": f.actions.iter().map(file_action_json).collect::<Vec<_>>() })
        }
        Op::Merge(m) => json!({ "merge": m.inputs.iter().map(|i| i.input).collect::<Vec<_>>() }),
        Op::Diff(d) => {
            json!({ "diff": [d.lower.as_ref().map(|l| l.input), d.upper.as_ref().map(|u| u.input)] })
        }
        Op::Build(_) => json!({ "build": {} }),
    }
}

fn exec_json(e: &pb::ExecOp) -> Value {
    let meta = e.meta.clone().unwrap_or_default();
    let mounts: Vec<Value> = e
        .mounts
        .iter()
        .map(|m| {
            let kind = pb::MountType::try_from(m.mount_type).map_or("?", |t| t.as_str_name());
            let mut v = json!({ "dest": m.dest, "type": kind, "input": m.input, "output": m.output });
            if m.readonly { v["readonly"] = json!(true); }
            if !m.selector.is_empty() { v["selector"] = json!(m.selector); }
            if let Some(c) = &m.cache_opt {
                let sharing = pb::CacheSharingOpt::try_from(c.sharing).map_or("?", |s| s.as_str_name());
                v["cache"] = json!({ "id": c.id, "sharing": sharing });
            }
            if let Some(s) = &m.secret_opt {
                v["secret"] = json!({ "id": s.id, "uid": s.uid, "gid": s.gid, "mode": format!("{:o}", s.mode), "optional": s.optional });
            }
            if let Some(t) = &m.tmpfs_opt { v["tmpfs_size"] = json!(t.size); }
            v
        })
        .collect();
    let network = pb::NetMode::try_from(e.network).map_or("?", |n| n.as_str_name());
    json!({ "exec": { "args": meta.args, "env": meta.env, "cwd": meta.cwd, "user": meta.user,
        "network": network, "mounts": mounts } })
}

fn file_action_json(a: &pb::FileAction) -> Value {
    use pb::file_action::Action as A;
    let owner = |o: &Option<pb::ChownOpt>| {
        o.as_ref().map(|c| {
            let id = |u: &Option<pb::UserOpt>| match u.as_ref().and_then(|u| u.user.as_ref()) {
                Some(pb::user_opt::User::ById(i)) => i.to_string(),
                Some(pb::user_opt::User::ByName(n)) => n.name.clone(),
                None => String::new(),
            };
            format!("{}:{}", id(&c.user), id(&c.group))
        })
    };
    let body = match &a.action {
        Some(A::Copy(c)) => {
            json!({ "copy": { "src": c.src, "dest": c.dest, "owner": owner(&c.owner),
            "mode": c.mode, "timestamp": c.timestamp, "follow_symlink": c.follow_symlink,
            "dir_copy_contents": c.dir_copy_contents, "create_dest_path": c.create_dest_path,
            "allow_wildcard": c.allow_wildcard, "allow_empty_wildcard": c.allow_empty_wildcard,
            "include": c.include_patterns, "exclude": c.exclude_patterns } })
        }
        Some(A::Mkdir(d)) => json!({ "mkdir": { "path": d.path, "mode": format!("{:o}", d.mode),
            "parents": d.make_parents, "owner": owner(&d.owner), "timestamp": d.timestamp } }),
        Some(A::Mkfile(f)) => json!({ "mkfile": { "path": f.path, "mode": format!("{:o}", f.mode),
            "data": String::from_utf8_lossy(&f.data), "owner": owner(&f.owner), "timestamp": f.timestamp } }),
        Some(A::Rm(r)) => json!({ "rm": { "path": r.path, "allow_not_found": r.allow_not_found } }),
        Some(A::Symlink(s)) => json!({ "symlink": { "old": s.oldpath, "new": s.newpath } }),
        None => Value::Null,
    };
    json!({ "input": a.input, "secondary_input": a.secondary_input, "output": a.output, "action": body })
}
