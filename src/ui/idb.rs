//! IndexedDB's callbacks as futures. A request's `onsuccess` / `onerror` (a transaction's
//! `oncomplete` / `onabort`) are set to a promise's own resolve and reject, so no Rust closure
//! has to be kept alive or freed. Each wait is armed when it is created, not when it is first
//! polled: a request that finishes before its turn to be awaited is not missed.

use js_sys::{Function, Promise};
use std::future::Future;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomException, IdbDatabase, IdbFactory, IdbRequest, IdbTransaction};

/// Why an IndexedDB operation failed: the DOMException's name, e.g. `QuotaExceededError`.
#[derive(Debug)]
pub struct IdbError(pub String);

impl IdbError {
    pub fn is_quota(&self) -> bool {
        self.0 == "QuotaExceededError"
    }

    fn of(error: Option<DomException>) -> Self {
        IdbError(error.map_or_else(|| "UnknownError".into(), |e| e.name()))
    }

    /// A synchronous throw from an IndexedDB method.
    pub fn thrown(error: JsValue) -> Self {
        Self::of(error.dyn_into().ok())
    }
}

fn settle(arm: impl FnOnce(&Function, &Function)) -> JsFuture {
    let mut arm = Some(arm);
    let promise = Promise::new(&mut |resolve, reject| {
        if let Some(arm) = arm.take() {
            arm(&resolve, &reject);
        }
    });
    JsFuture::from(promise)
}

/// The request's result once it succeeds.
pub fn result(request: &IdbRequest) -> impl Future<Output = Result<JsValue, IdbError>> {
    let settled = settle(|resolve, reject| {
        request.set_onsuccess(Some(resolve));
        request.set_onerror(Some(reject));
    });
    let request = request.clone();
    async move {
        match settled.await {
            Ok(_) => request.result().map_err(IdbError::thrown),
            Err(_) => Err(IdbError::of(request.error().ok().flatten())),
        }
    }
}

/// Done when the transaction has committed; its error when it was aborted (a quota error
/// shows up here, not on the request).
pub fn committed(transaction: &IdbTransaction) -> impl Future<Output = Result<(), IdbError>> {
    let settled = settle(|resolve, reject| {
        transaction.set_oncomplete(Some(resolve));
        transaction.set_onabort(Some(reject));
    });
    let transaction = transaction.clone();
    async move {
        match settled.await {
            Ok(_) => Ok(()),
            Err(_) => Err(IdbError::of(transaction.error())),
        }
    }
}

/// Opens database `name` at `version`, calling `upgrade` when it is new or older.
pub async fn open(
    factory: &IdbFactory,
    name: &str,
    version: u32,
    upgrade: impl FnOnce(&IdbDatabase) + 'static,
) -> Result<IdbDatabase, IdbError> {
    let request = factory
        .open_with_u32(name, version)
        .map_err(IdbError::thrown)?;
    // The one callback that must be Rust: the schema is made inside the upgrade event itself.
    let upgrading = request.clone();
    let on_upgrade = Closure::once(move |_: JsValue| {
        if let Ok(db) = upgrading.result() {
            upgrade(db.unchecked_ref());
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let opened = result(&request).await;
    request.set_onupgradeneeded(None);
    drop(on_upgrade);
    Ok(opened?.unchecked_into())
}
