//! The handle registry: a handle given to C is a token (a never-reused number dressed as a
//! pointer), mapped here to a reference-counted object. Lookups check the token is live and of
//! the expected type, so use after free, double free and type confusion are reported, never
//! dereferenced. Objects are `Arc`s: a call holds its own reference, so a concurrent free
//! cannot pull an object from under it.

use crate::{CkksStatus, FfiResult, fail};
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

struct Entry {
    kind: &'static str,
    obj: Arc<dyn Any + Send + Sync>,
}

static REGISTRY: LazyLock<RwLock<HashMap<usize, Entry>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

/// Tokens start high (no small integer or NULL is ever valid) and step by 16 (aligned like a
/// heap pointer, which C code may assume).
static NEXT: AtomicUsize = AtomicUsize::new(0x00c0_0000_0000);

/// Objects that can be handed to C: `KIND` is the C type name used in messages.
pub(crate) trait Handle: Any + Send + Sync + Sized {
    /// The C type name (e.g. "CkksNttPlan").
    const KIND: &'static str;
}

fn registry_read() -> std::sync::RwLockReadGuard<'static, HashMap<usize, Entry>> {
    // A panic while holding the lock cannot leave the map inconsistent (single inserts and
    // removes), so a poisoned lock is still usable.
    REGISTRY.read().unwrap_or_else(|p| p.into_inner())
}

fn registry_write() -> std::sync::RwLockWriteGuard<'static, HashMap<usize, Entry>> {
    REGISTRY.write().unwrap_or_else(|p| p.into_inner())
}

/// Registers `obj` and returns its token as the C handle type `P`.
pub(crate) fn register<T: Handle, P>(obj: T) -> *mut P {
    let token = NEXT.fetch_add(16, Ordering::Relaxed);
    registry_write().insert(
        token,
        Entry {
            kind: T::KIND,
            obj: Arc::new(obj),
        },
    );
    token as *mut P
}

/// The object behind a handle, checked for liveness and type.
pub(crate) fn get<T: Handle, P>(handle: *const P, what: &str) -> FfiResult<Arc<T>> {
    if handle.is_null() {
        return fail(
            CkksStatus::NullPointer,
            format!("{what} ({}) is NULL", T::KIND),
        );
    }
    let reg = registry_read();
    match reg.get(&(handle as usize)) {
        None => fail(
            CkksStatus::InvalidHandle,
            format!(
                "{what} is not a live {} handle (freed already, or never created by this library)",
                T::KIND
            ),
        ),
        Some(e) => match e.obj.clone().downcast::<T>() {
            Ok(obj) => Ok(obj),
            Err(_) => fail(
                CkksStatus::InvalidHandle,
                format!("{what} is a {} handle, a {} was expected", e.kind, T::KIND),
            ),
        },
    }
}

/// Releases a handle. NULL is a no-op (like `free(NULL)`); a stale or foreign token errors.
pub(crate) fn release<T: Handle, P>(handle: *mut P, what: &str) -> FfiResult<()> {
    if handle.is_null() {
        return Ok(());
    }
    let mut reg = registry_write();
    match reg.get(&(handle as usize)) {
        None => fail(
            CkksStatus::InvalidHandle,
            format!(
                "{what}: not a live {} handle (double free, or never created by this library)",
                T::KIND
            ),
        ),
        Some(e) if e.kind != T::KIND => fail(
            CkksStatus::InvalidHandle,
            format!("{what} is a {} handle, not a {}", e.kind, T::KIND),
        ),
        Some(_) => {
            let entry = reg.remove(&(handle as usize));
            drop(reg);
            // The object (e.g. a secret key, which zeroizes on drop) is dropped here, outside
            // the lock, unless a concurrent call still holds a reference.
            drop(entry);
            Ok(())
        }
    }
}

/// Ties a Rust payload type to the C type name used in messages.
macro_rules! handle_kind {
    ($c:ident => $t:ty) => {
        impl $crate::handle::Handle for $t {
            const KIND: &'static str = stringify!($c);
        }
    };
}
pub(crate) use handle_kind;
