//! The session's pictures in IndexedDB: one `Blob` per picture under the id of the request that
//! made it, so a reload brings them back.
//!
//! Why IndexedDB and not localStorage: localStorage holds about 5 MB of text per site and writes
//! it synchronously on the page's thread, so base64 pictures filled it after two or three and
//! each write held up the page. IndexedDB keeps Blobs as they are, writes them off the page's
//! thread, and allows a share of the disk, so a session keeps dozens of full-size pictures.

use super::idb::{self, IdbError};
use js_sys::Array;
use std::cell::RefCell;
use std::collections::BTreeSet;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, IdbDatabase, IdbObjectStore, IdbTransaction, IdbTransactionMode};

const DATABASE: &str = "proofsheet";
const VERSION: u32 = 1;
const PICTURES: &str = "pictures";

thread_local! {
    /// One connection for the page's life.
    static CONNECTION: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
    /// Ids of the pictures known to be stored, to tell how many would not survive a reload.
    static STORED: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

async fn database() -> Result<IdbDatabase, IdbError> {
    if let Some(db) = CONNECTION.with_borrow(Clone::clone) {
        return Ok(db);
    }
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or_else(|| IdbError("IndexedDB is not available".into()))?;
    let db = idb::open(&factory, DATABASE, VERSION, |db| {
        let _ = db.create_object_store(PICTURES);
    })
    .await?;
    CONNECTION.set(Some(db.clone()));
    Ok(db)
}

fn pictures(
    db: &IdbDatabase,
    mode: IdbTransactionMode,
) -> Result<(IdbTransaction, IdbObjectStore), IdbError> {
    let transaction = db
        .transaction_with_str_and_mode(PICTURES, mode)
        .map_err(IdbError::thrown)?;
    let store = transaction
        .object_store(PICTURES)
        .map_err(IdbError::thrown)?;
    Ok((transaction, store))
}

pub fn is_stored(id: &str) -> bool {
    STORED.with_borrow(|stored| stored.contains(id))
}

/// Stores `blob` under `id`. When storage is full, deletes stored pictures of `evictable` (oldest
/// first) until it fits: the newest picture matters most. Returns how many were deleted.
pub async fn keep(id: &str, blob: &Blob, evictable: &[String]) -> Result<usize, IdbError> {
    let db = database().await?;
    let mut evictable = evictable.iter().filter(|other| is_stored(other));
    let mut evicted = 0;
    loop {
        match put(&db, id, blob).await {
            Ok(()) => {
                STORED.with_borrow_mut(|stored| stored.insert(id.to_string()));
                return Ok(evicted);
            }
            Err(error) if error.is_quota() => match evictable.next() {
                Some(oldest) => {
                    forget(std::slice::from_ref(oldest)).await?;
                    evicted += 1;
                }
                None => return Err(error),
            },
            Err(error) => return Err(error),
        }
    }
}

async fn put(db: &IdbDatabase, id: &str, blob: &Blob) -> Result<(), IdbError> {
    let (transaction, store) = pictures(db, IdbTransactionMode::Readwrite)?;
    let committed = idb::committed(&transaction);
    store
        .put_with_key(blob, &JsValue::from_str(id))
        .map_err(IdbError::thrown)?;
    committed.await
}

/// The stored picture of each id (`None` where there is none), after deleting every stored
/// picture that is not among `ids`: those belong to sessions that are gone.
pub async fn restore(ids: &[String]) -> Result<Vec<Option<Blob>>, IdbError> {
    let db = database().await?;
    let (_, store) = pictures(&db, IdbTransactionMode::Readonly)?;
    // Every request is made before the first await, in one transaction.
    let reads = ids
        .iter()
        .map(|id| store.get(&JsValue::from_str(id)).map(|r| idb::result(&r)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(IdbError::thrown)?;
    let keys = idb::result(&store.get_all_keys().map_err(IdbError::thrown)?);
    let mut found = Vec::with_capacity(ids.len());
    for (id, read) in ids.iter().zip(reads) {
        let blob = read.await?.dyn_into::<Blob>().ok();
        if blob.is_some() {
            STORED.with_borrow_mut(|stored| stored.insert(id.clone()));
        }
        found.push(blob);
    }
    let stale: Vec<String> = Array::from(&keys.await?)
        .iter()
        .filter_map(|key| key.as_string())
        .filter(|key| !ids.contains(key))
        .collect();
    forget(&stale).await?;
    Ok(found)
}

/// Deletes the stored pictures of `ids`.
pub async fn forget(ids: &[String]) -> Result<(), IdbError> {
    if ids.is_empty() {
        return Ok(());
    }
    let db = database().await?;
    let (transaction, store) = pictures(&db, IdbTransactionMode::Readwrite)?;
    let committed = idb::committed(&transaction);
    for id in ids {
        store
            .delete(&JsValue::from_str(id))
            .map_err(IdbError::thrown)?;
    }
    committed.await?;
    STORED.with_borrow_mut(|stored| stored.retain(|id| !ids.contains(id)));
    Ok(())
}
