//! Base images: a named context (`--build-context NAME=...`, sent as `context:NAME`) replaces the
//! manifest's reference when one matches; otherwise `ResolveImageConfig` pins the reference by
//! digest and returns its config (dockerui namedcontext.go; buildkit-gateway.md §4.1).

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::ResolveImageConfigRequest;
use llb_graphs::llb::{pb, Platform};
use llb_graphs::lower::{BaseSource, ResolvedImage};
use llb_graphs::plan::{FamilyPlan, ImageRef};

use super::bridge::Bridge;
use super::errors;

/// `ResolverType` values of the gateway API.
const RESOLVER_REGISTRY: i32 = 0;
const RESOLVER_OCI_LAYOUT: i32 = 1;

/// The named-context keys that may replace a family's base, most specific first: the base as
/// written and normalised (with and without `::<platform>`), then the family name.
pub fn context_keys(family: &FamilyPlan, written: &str, platform: &Platform) -> Vec<String> {
    image_context_keys(&family.base.value, written, Some(&family.name), platform)
}

/// The named-context keys of an image: as written, normalised, then `also` (a family name).
fn image_context_keys(image: &ImageRef, written: &str, also: Option<&str>, platform: &Platform) -> Vec<String> {
    let mut keys = vec![];
    for name in [Some(written.to_string()), Some(image.to_string()), also.map(str::to_string)].into_iter().flatten() {
        keys.push(format!("context:{name}::{}", platform.id()));
        keys.push(format!("context:{name}"));
    }
    keys.dedup();
    keys
}

/// Resolves the family base for `platform`.
pub async fn resolve_base(
    bridge: &mut Bridge,
    family: &FamilyPlan,
    written: &str,
    platform: &Platform,
) -> Result<ResolvedImage, Status> {
    resolve_named(bridge, &family.base.value, context_keys(family, written, platform), platform).await
}

/// Resolves every builder image of the family chain (`[families.NAME.builder]`), by family.
pub async fn resolve_builders(
    bridge: &mut Bridge,
    family: &FamilyPlan,
    platform: &Platform,
) -> Result<std::collections::BTreeMap<String, ResolvedImage>, Status> {
    let mut out = std::collections::BTreeMap::new();
    for layer in &family.chain {
        if let Some(b) = &layer.builder {
            let keys = image_context_keys(&b.image.value, &b.written, None, platform);
            out.insert(layer.name.clone(), resolve_named(bridge, &b.image.value, keys, platform).await?);
        }
    }
    Ok(out)
}

/// `image` for `platform`, or the first named context of `keys` that the client sent.
async fn resolve_named(
    bridge: &mut Bridge,
    image: &ImageRef,
    keys: Vec<String>,
    platform: &Platform,
) -> Result<ResolvedImage, Status> {
    let named = keys.into_iter().find_map(|k| bridge.opts.raw.get(&k).map(|v| (k, v.clone())));
    let Some((key, value)) = named else {
        return resolve_image(bridge, image, platform).await;
    };
    let session = bridge.session_id.clone().unwrap_or_default();
    let (scheme, rest) = value.split_once(':').unwrap_or(("", ""));
    let rest = rest.trim_start_matches("//");
    match scheme {
        "docker-image" => {
            let r = ImageRef::parse(rest).map_err(|why| errors::plain(format!("{key}: `{rest}` {why}")))?;
            let mut resolved = resolve_image(bridge, &r, platform).await?;
            resolved.reference = format!("{} (context {image})", resolved.reference);
            Ok(resolved)
        }
        "oci-layout" => {
            let (store, digest) = rest
                .split_once('@')
                .ok_or_else(|| errors::plain(format!("{key}: oci-layout reference `{rest}` has no digest")))?;
            let store = store.split_once(':').map_or(store, |(s, _)| s).to_string();
            // A stand-in name for logs and the op identifier; the store ID selects the layout.
            let reference = format!("{}/{}@{digest}", image.domain, image.path);
            let config = fetch_config(bridge, &reference, platform, RESOLVER_OCI_LAYOUT, &store).await?.1;
            let source = BaseSource::OciLayout { reference: reference.clone(), store, session };
            Ok(ResolvedImage { source, reference, config })
        }
        "input" => resolve_input(bridge, &key, rest).await,
        "local" => Ok(ResolvedImage {
            source: BaseSource::Local { name: rest.to_string(), session },
            reference: format!("local context {rest}"),
            config: serde_json::Value::Null,
        }),
        _ => Err(errors::plain(format!(
            "{key}={value}: unsupported named context for a base image (use docker-image://, oci-layout:// or local:)"
        ))),
    }
}

/// A frontend input (`context:NAME=input:ID`, how Bake passes a `target:` context): its
/// definition from `Inputs`, its image config from `input-metadata:ID` (dockerui namedcontext.go).
async fn resolve_input(bridge: &mut Bridge, key: &str, id: &str) -> Result<ResolvedImage, Status> {
    use base64::Engine;
    let inputs = bridge.inputs().await?;
    let def = inputs.get(id).cloned().ok_or_else(|| errors::plain(format!("{key}: no frontend input `{id}`")))?;
    // `input-metadata:ID` is JSON of map[string][]byte: values are base64.
    let config = bridge
        .opts
        .raw
        .get(&format!("input-metadata:{id}"))
        .and_then(|md| serde_json::from_str::<std::collections::HashMap<String, String>>(md).ok())
        .and_then(|m| m.get("containerimage.config").cloned())
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or(serde_json::Value::Null);
    Ok(ResolvedImage { source: BaseSource::Definition(Box::new(def)), reference: format!("input {id}"), config })
}

/// Pins a registry reference by digest and fetches its config.
async fn resolve_image(bridge: &mut Bridge, r: &ImageRef, platform: &Platform) -> Result<ResolvedImage, Status> {
    let (digest, config) = fetch_config(bridge, &r.to_string(), platform, RESOLVER_REGISTRY, "").await?;
    let pinned = if r.is_pinned() || digest.is_empty() { r.clone() } else { r.pinned(&digest) };
    Ok(ResolvedImage::image(pinned, config))
}

async fn fetch_config(
    bridge: &mut Bridge,
    reference: &str,
    platform: &Platform,
    resolver_type: i32,
    store: &str,
) -> Result<(String, serde_json::Value), Status> {
    let req = ResolveImageConfigRequest {
        r#ref: reference.to_string(),
        platform: Some(pb::Platform {
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            variant: platform.variant.clone(),
            ..Default::default()
        }),
        resolve_mode: bridge.opts.image_resolve_mode.clone().unwrap_or_default(),
        log_name: format!("[internal] load metadata for {reference} ({})", platform.id()),
        resolver_type,
        store_id: store.to_string(),
        ..Default::default()
    };
    let resp = bridge
        .resolve_image_config(req)
        .await
        .map_err(|s| errors::from_rpc(&format!("resolving base image {reference} for {}", platform.id()), &s))?;
    let config = serde_json::from_slice(&resp.config)
        .map_err(|e| errors::plain(format!("base image {reference}: config is not JSON: {e}")))?;
    Ok((resp.digest, config))
}
