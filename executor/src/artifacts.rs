//! Job outputs, content-addressed: everything a job wrote under `/out` becomes one blob (the
//! file itself when there is exactly one, otherwise a deterministic tar of the directory),
//! named by its IPFS CIDv1 (raw, sha2-256) and stored through `object_store`: the local
//! filesystem (`file://`) or S3 and S3-compatible services (`s3://bucket/prefix`,
//! `[executor.s3]`). Storing the same outputs twice writes the same object.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::cid::cid_v1_raw;
use crate::ExecutorError;

/// Where outputs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    File(PathBuf),
    S3 { bucket: String, prefix: String },
}

pub fn parse_store_url(s: &str) -> Result<StoreUrl, ExecutorError> {
    let bad = || {
        ExecutorError::Config(format!(
            "artifacts_url {s:?}: expected file:///path or s3://bucket/prefix"
        ))
    };
    let u = url::Url::parse(s).map_err(|_| bad())?;
    match u.scheme() {
        "file" => Ok(StoreUrl::File(u.to_file_path().map_err(|_| bad())?)),
        "s3" => Ok(StoreUrl::S3 {
            bucket: u.host_str().ok_or_else(bad)?.to_owned(),
            prefix: u.path().trim_matches('/').to_owned(),
        }),
        _ => Err(bad()),
    }
}

/// A stored output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub url: String,
    pub cid: String,
    pub bytes: u64,
}

#[derive(Debug, Clone)]
pub struct ArtifactStore {
    store: Arc<dyn ObjectStore>,
    base_url: String,
    prefix: String,
}

impl ArtifactStore {
    /// The store of `url` (`file:///dir` or `s3://bucket/prefix`, reached through `s3`).
    ///
    /// Errors: [`ExecutorError::Config`] for another URL, [`ExecutorError::Artifacts`] when
    /// the store cannot be built. A bucket that does not exist or refuses writes fails
    /// later, when a job's outputs are stored.
    pub fn open(url: &str, s3: &crate::config::S3Config) -> Result<Self, ExecutorError> {
        let parsed = parse_store_url(url)?;
        let err = |e: object_store::Error| ExecutorError::Artifacts(e.to_string());
        let (store, prefix): (Arc<dyn ObjectStore>, String) = match parsed {
            StoreUrl::File(dir) => {
                std::fs::create_dir_all(&dir)?;
                (
                    Arc::new(
                        object_store::local::LocalFileSystem::new_with_prefix(&dir).map_err(err)?,
                    ),
                    String::new(),
                )
            }
            #[cfg(feature = "s3")]
            StoreUrl::S3 { bucket, prefix } => {
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(e) = &s3.endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(r) = &s3.region {
                    b = b.with_region(r);
                }
                if let Some(k) = &s3.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = &s3.secret_access_key {
                    b = b.with_secret_access_key(k.expose());
                }
                if s3.allow_http {
                    b = b.with_allow_http(true);
                }
                (Arc::new(b.build().map_err(err)?), prefix)
            }
            #[cfg(not(feature = "s3"))]
            StoreUrl::S3 { .. } => {
                let _ = s3;
                return Err(ExecutorError::Config(
                    "s3:// artifact storage needs the executor built with `--features s3`".into(),
                ));
            }
        };
        Ok(ArtifactStore {
            store,
            base_url: url.trim_end_matches('/').to_owned(),
            prefix,
        })
    }

    /// Stores what is under `dir`; `None` when the job wrote nothing.
    pub async fn store_outputs(&self, dir: &Path) -> Result<Option<Stored>, ExecutorError> {
        let dir = dir.to_path_buf();
        let blob = tokio::task::spawn_blocking(move || pack(&dir))
            .await
            .map_err(|e| ExecutorError::Artifacts(e.to_string()))??;
        let Some(blob) = blob else {
            return Ok(None);
        };
        let cid = cid_v1_raw(&blob);
        let key = if self.prefix.is_empty() {
            cid.clone()
        } else {
            format!("{}/{cid}", self.prefix)
        };
        let bytes = blob.len() as u64;
        self.store
            .put(&ObjectPath::from(key), PutPayload::from(blob))
            .await
            .map_err(|e| ExecutorError::Artifacts(e.to_string()))?;
        Ok(Some(Stored {
            url: format!("{}/{cid}", self.base_url),
            cid,
            bytes,
        }))
    }

    /// The stored bytes of `cid` (for verification and tests).
    pub async fn fetch(&self, cid: &str) -> Result<Vec<u8>, ExecutorError> {
        let key = if self.prefix.is_empty() {
            cid.to_owned()
        } else {
            format!("{}/{cid}", self.prefix)
        };
        let got = self
            .store
            .get(&ObjectPath::from(key))
            .await
            .map_err(|e| ExecutorError::Artifacts(e.to_string()))?;
        Ok(got
            .bytes()
            .await
            .map_err(|e| ExecutorError::Artifacts(e.to_string()))?
            .to_vec())
    }
}

/// Regular files under `dir`, relative paths sorted.
fn files(dir: &Path) -> Result<Vec<PathBuf>, ExecutorError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push(entry.path());
            } else if ty.is_file() {
                if let Ok(rel) = entry.path().strip_prefix(dir) {
                    out.push(rel.to_path_buf());
                }
            }
            // Symlinks and special files written by a job are not followed or stored.
        }
    }
    out.sort();
    Ok(out)
}

/// The blob for `dir`: its only file, or a tar with fixed metadata (so the same outputs
/// always give the same CID).
fn pack(dir: &Path) -> Result<Option<Vec<u8>>, ExecutorError> {
    if !dir.exists() {
        return Ok(None);
    }
    let list = files(dir)?;
    match list.as_slice() {
        [] => Ok(None),
        [one] if one.components().count() == 1 => Ok(Some(std::fs::read(dir.join(one))?)),
        _ => {
            let mut tar = tar::Builder::new(Vec::new());
            for rel in &list {
                let data = std::fs::read(dir.join(rel))?;
                let mut h = tar::Header::new_ustar();
                h.set_size(data.len() as u64);
                h.set_mode(0o644);
                h.set_mtime(0);
                h.set_uid(0);
                h.set_gid(0);
                h.set_entry_type(tar::EntryType::Regular);
                tar.append_data(&mut h, rel, data.as_slice())?;
            }
            Ok(Some(tar.into_inner()?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cs-art-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dir");
        d
    }

    #[tokio::test]
    async fn one_file_is_stored_as_itself_and_a_directory_deterministically() {
        let root = tmp("store");
        let store = ArtifactStore::open(
            &format!("file://{}", root.join("store").display()),
            &crate::config::S3Config::default(),
        )
        .expect("store");
        let out = root.join("out");
        std::fs::create_dir_all(&out).expect("out");
        assert_eq!(store.store_outputs(&out).await.expect("empty"), None);
        std::fs::write(out.join("result.txt"), b"hello world\n").expect("write");
        let s = store
            .store_outputs(&out)
            .await
            .expect("store")
            .expect("stored");
        assert_eq!(
            s.cid,
            "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
        );
        assert_eq!(store.fetch(&s.cid).await.expect("fetch"), b"hello world\n");
        std::fs::create_dir_all(out.join("sub")).expect("sub");
        std::fs::write(out.join("sub/b.bin"), [1u8, 2, 3]).expect("write");
        let a = store
            .store_outputs(&out)
            .await
            .expect("store")
            .expect("stored");
        let b = store
            .store_outputs(&out)
            .await
            .expect("store")
            .expect("stored");
        assert_eq!(a, b, "the same outputs, the same CID");
        assert_eq!(
            cid_v1_raw(&store.fetch(&a.cid).await.expect("fetch")),
            a.cid
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn store_urls() {
        assert_eq!(
            parse_store_url("file:///var/x").expect("file"),
            StoreUrl::File("/var/x".into())
        );
        assert_eq!(
            parse_store_url("s3://bucket/a/b").expect("s3"),
            StoreUrl::S3 {
                bucket: "bucket".into(),
                prefix: "a/b".into()
            }
        );
        assert!(parse_store_url("ftp://x").is_err());
    }
}
