//! Reference images on disk, content-addressed: `<data_dir>/references/<sha256>.png|.jpg`, where
//! the name is the SHA-256 of the file's bytes. Same bytes, same file: a second upload of an image
//! writes nothing. Files appear whole or not at all (written under `<data_dir>/tmp`, flushed to
//! disk, then renamed into place), so a reader never sees half a reference, even after a crash.

use crate::model::is_reference_id;
use crate::server::hex::{hex, random_hex};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

/// How a reference is stored: PNG (lossless sources: PNG, and WebP, which not every provider
/// takes) or JPEG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredFormat {
    Png,
    Jpeg,
}

impl StoredFormat {
    const ALL: [StoredFormat; 2] = [StoredFormat::Png, StoredFormat::Jpeg];

    pub fn mime(self) -> &'static str {
        match self {
            StoredFormat::Png => "image/png",
            StoredFormat::Jpeg => "image/jpeg",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            StoredFormat::Png => "png",
            StoredFormat::Jpeg => "jpg",
        }
    }
}

/// A stored reference image, as provider clients send it. Cloning shares the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub id: String,
    pub mime: &'static str,
    pub bytes: bytes::Bytes,
}

/// Where a stored reference is and how large it is, without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub path: PathBuf,
    pub format: StoredFormat,
    pub bytes: u64,
}

pub struct ReferenceStore {
    references: PathBuf,
    scratch: PathBuf,
    /// The references some generation holds right now, by id. Why: a team sends the same
    /// product shots with many prompts at once, and each generation reading its own copy of four
    /// 5 MB files would multiply the server's memory by the generations running. Entries do not
    /// keep their pictures alive: once no generation holds one, it is gone.
    in_use: Mutex<HashMap<String, Weak<[u8]>>>,
}

/// Lets `Bytes` share a cached picture without copying it.
struct SharedPicture(Arc<[u8]>);

impl AsRef<[u8]> for SharedPicture {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl ReferenceStore {
    /// Creates the directories under `data_dir` and checks that they can be written, so a
    /// misconfigured directory stops the server at start rather than failing the first upload.
    pub fn open(data_dir: &Path) -> Result<ReferenceStore, String> {
        let store = ReferenceStore {
            references: data_dir.join("references"),
            scratch: data_dir.join("tmp"),
            in_use: Mutex::default(),
        };
        let unwritable = |path: &Path, error: io::Error| {
            format!(
                "the data directory {} is not writable ({error} at {}); set PROOFSHEET_DATA_DIR \
                 to a directory this server may write",
                data_dir.display(),
                path.display()
            )
        };
        for dir in [&store.references, &store.scratch] {
            std::fs::create_dir_all(dir).map_err(|e| unwritable(dir, e))?;
        }
        // A name of its own: several servers (or tests) may share the directory.
        let probe = store
            .scratch
            .join(unique_name("probe").map_err(|e| unwritable(&store.scratch, e))?);
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|e| unwritable(&probe, e))?;
        Ok(store)
    }

    /// Where the reference `id` is stored in `format` (whether or not it is there).
    pub fn path(&self, id: &str, format: StoredFormat) -> PathBuf {
        self.references.join(format!("{id}.{}", format.extension()))
    }

    /// The stored reference `id`, if there is one. A malformed id is never looked up, so no
    /// caller can reach outside the directory through it.
    pub async fn find(&self, id: &str) -> io::Result<Option<Stored>> {
        if !is_reference_id(id) {
            return Ok(None);
        }
        for format in StoredFormat::ALL {
            let path = self.path(id, format);
            match tokio::fs::metadata(&path).await {
                Ok(metadata) => {
                    return Ok(Some(Stored {
                        path,
                        format,
                        bytes: metadata.len(),
                    }))
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(None)
    }

    /// The bytes and type of the reference `id`, if it is stored; the same bytes as any other
    /// holder's of it (a file never changes: its name is its content's hash).
    pub async fn get(&self, id: &str) -> io::Result<Option<Reference>> {
        let Some(stored) = self.find(id).await? else {
            return Ok(None);
        };
        let held = self.held(id);
        let picture = match held {
            Some(picture) => picture,
            None => {
                let read: Arc<[u8]> = tokio::fs::read(&stored.path).await?.into();
                let mut in_use = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
                in_use.retain(|_, picture| picture.strong_count() > 0);
                // Another generation may have read it meanwhile: share whichever came first.
                let first = in_use.get(id).and_then(Weak::upgrade);
                first.unwrap_or_else(|| {
                    in_use.insert(id.to_string(), Arc::downgrade(&read));
                    read
                })
            }
        };
        Ok(Some(Reference {
            id: id.to_string(),
            mime: stored.format.mime(),
            bytes: bytes::Bytes::from_owner(SharedPicture(picture)),
        }))
    }

    fn held(&self, id: &str) -> Option<Arc<[u8]>> {
        let in_use = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
        in_use.get(id).and_then(Weak::upgrade)
    }

    /// Stores `bytes` under their SHA-256, unless that file is already there; the id.
    pub async fn put(&self, bytes: Vec<u8>, format: StoredFormat) -> io::Result<String> {
        let id = hex(&Sha256::digest(&bytes));
        if self.find(&id).await?.is_none() {
            let (temp, file) = self.scratch_file().await?;
            let mut file = file.into_std().await;
            tokio::task::spawn_blocking(move || {
                file.write_all(&bytes)?;
                file.sync_data()
            })
            .await
            .map_err(io::Error::other)??;
            temp.rename_to(&self.path(&id, format)).await?;
        }
        Ok(id)
    }

    /// Moves an upload that is kept exactly as it arrived into the store under `id`, the SHA-256
    /// of its bytes (already computed while it streamed in). When that file is already there,
    /// the upload is dropped instead.
    pub async fn adopt(&self, upload: TempFile, id: &str, format: StoredFormat) -> io::Result<()> {
        if self.find(id).await?.is_some() {
            return Ok(());
        }
        tokio::fs::File::open(&upload.path)
            .await?
            .sync_data()
            .await?;
        upload.rename_to(&self.path(id, format)).await
    }

    /// A new empty file in the scratch directory (on the same file system as the store, so
    /// moving it in is a rename), removed when the returned guard is dropped.
    pub async fn scratch_file(&self) -> io::Result<(TempFile, tokio::fs::File)> {
        let path = self.scratch.join(unique_name("upload")?);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok((TempFile { path, moved: false }, file))
    }
}

/// A scratch file that is removed when dropped (a refused upload, a client that went away),
/// unless the store renamed it into place.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    /// Renamed into the store: nothing to remove.
    moved: bool,
}

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn rename_to(mut self, target: &Path) -> io::Result<()> {
        tokio::fs::rename(&self.path, target).await?;
        self.moved = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.moved {
            return;
        }
        // Already gone is fine; anything else leaves a file in tmp/, which is worth a line.
        if let Err(error) = std::fs::remove_file(&self.path) {
            if error.kind() != io::ErrorKind::NotFound {
                tracing::warn!(path = %self.path.display(), %error, "could not remove a scratch file");
            }
        }
    }
}

/// `prefix-` and 24 random hex digits: no two scratch files collide, whoever makes them.
fn unique_name(prefix: &str) -> io::Result<String> {
    let random = random_hex(12).map_err(io::Error::other)?;
    Ok(format!("{prefix}-{random}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ReferenceStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ReferenceStore::open(dir.path()).unwrap();
        (dir, store)
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn generations_holding_a_reference_share_its_bytes_until_the_last_lets_go() {
        let (_dir, store) = store();
        let id = store.put(vec![7; 1000], StoredFormat::Png).await.unwrap();
        let first = store.get(&id).await.unwrap().unwrap();
        let second = store.get(&id).await.unwrap().unwrap();
        assert_eq!(first.bytes.as_ptr(), second.bytes.as_ptr(), "one copy");
        assert_eq!(&first.bytes[..], &[7; 1000][..]);
        drop((first, second));
        assert!(
            store.held(&id).is_none(),
            "nothing keeps it once no one holds it"
        );
    }

    #[tokio::test]
    async fn the_same_bytes_are_stored_once_under_their_sha256() {
        let (dir, store) = store();
        let id = store.put(b"abc".to_vec(), StoredFormat::Png).await.unwrap();
        assert_eq!(
            id,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            store.put(b"abc".to_vec(), StoredFormat::Png).await.unwrap(),
            id
        );
        assert_eq!(files(&dir.path().join("references")), [format!("{id}.png")]);
        assert!(files(&dir.path().join("tmp")).is_empty());
        let reference = store.get(&id).await.unwrap().unwrap();
        assert_eq!(
            (reference.mime, reference.bytes),
            ("image/png", bytes::Bytes::from_static(b"abc"))
        );
        let stored = store.find(&id).await.unwrap().unwrap();
        assert_eq!((stored.format, stored.bytes), (StoredFormat::Png, 3));
    }

    #[tokio::test]
    async fn an_adopted_upload_moves_in_and_a_dropped_one_disappears() {
        let (dir, store) = store();
        let (upload, _) = store.scratch_file().await.unwrap();
        std::fs::write(upload.path(), b"abc").unwrap();
        let id = hex(&Sha256::digest(b"abc"));
        store.adopt(upload, &id, StoredFormat::Jpeg).await.unwrap();
        assert_eq!(files(&dir.path().join("references")), [format!("{id}.jpg")]);

        let (again, _) = store.scratch_file().await.unwrap();
        store.adopt(again, &id, StoredFormat::Jpeg).await.unwrap();
        let (refused, _) = store.scratch_file().await.unwrap();
        drop(refused);
        assert!(files(&dir.path().join("tmp")).is_empty());
        assert_eq!(files(&dir.path().join("references")).len(), 1);
    }

    #[tokio::test]
    async fn unknown_and_malformed_ids_are_not_found() {
        let (_dir, store) = store();
        assert_eq!(store.get(&"0".repeat(64)).await.unwrap(), None);
        assert_eq!(store.find("../../etc/passwd").await.unwrap(), None);
    }

    #[test]
    fn an_unwritable_data_directory_is_named_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"").unwrap();
        let error = ReferenceStore::open(&file).err().unwrap();
        assert!(error.contains("is not writable"), "{error}");
        assert!(error.contains("PROOFSHEET_DATA_DIR"), "{error}");
    }
}
