// SPDX-License-Identifier: GPL-2.0

//! debugfs files backed by seq_file (wraps `debugfs_create_dir()`,
//! `debugfs_remove()`, `seq_write()`, and the shim's `file_operations`,
//! `cmtest_debugfs_file()`).
//!
//! A file's content is produced whole on each open (`single_open()`); a
//! write hands the handler one NUL-terminated copy of what was written.
//! `debugfs_remove()` waits for running file operations, and an open file
//! holds a reference on this module, so a handler never runs after its
//! directory is gone.

use crate::ffi;
use crate::text::Out;
use core::ffi::{c_char, c_int, c_void};
use core::ptr::NonNull;
use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::types::Opaque;

/// What a debugfs file does.
pub(crate) trait DebugFile: Send + Sync + 'static {
    /// Whether the file takes writes (mode 0600, else 0400).
    const WRITABLE: bool;

    /// The file's content.
    fn show(&self, out: &mut Out) -> Result;

    /// One write; `input` is what the user wrote.
    fn write(&self, _input: &str) -> Result {
        Err(EPERM)
    }
}

/// One file: the description the shim's callbacks get back, and its handler.
#[pin_data]
struct Entry<F: DebugFile> {
    #[pin]
    desc: Opaque<ffi::cmtest_dbg_file>,
    file: F,
}

/// Type-erased entries, so that one directory can own files of any type.
trait AnyEntry: Send + Sync {}
impl<F: DebugFile> AnyEntry for Entry<F> {}

// SAFETY: `desc` is only read by the shim's callbacks; `file` is `Send +
// Sync`.
unsafe impl<F: DebugFile> Send for Entry<F> {}
// SAFETY: as for `Send`.
unsafe impl<F: DebugFile> Sync for Entry<F> {}

/// A debugfs directory and the files in it; removes them on drop.
///
/// # Invariants
///
/// `dentry` is a directory we created; every entry in `files` is pinned
/// and outlives its debugfs file (removed in `drop` before `files` is).
pub(crate) struct Dir {
    dentry: NonNull<ffi::dentry>,
    files: KVec<Pin<KBox<dyn AnyEntry>>>,
}

// SAFETY: debugfs calls may be made from any thread.
unsafe impl Send for Dir {}
// SAFETY: `&Dir` offers nothing.
unsafe impl Sync for Dir {}

impl Dir {
    /// Creates the top-level directory `name`.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated; NULL parent is debugfs' root.
        let d =
            unsafe { ffi::debugfs_create_dir(name.as_char_ptr().cast(), core::ptr::null_mut()) };
        // SAFETY: plain pointer check.
        if unsafe { ffi::cmtest_is_err_or_null(d.cast()) } {
            return Err(ENODEV);
        }
        // INVARIANT: created above; no files yet.
        Ok(Self {
            dentry: NonNull::new(d).ok_or(ENODEV)?,
            files: KVec::new(),
        })
    }

    /// Adds the file `name` handled by `file`.
    pub(crate) fn file<F: DebugFile>(&mut self, name: &'static CStr, file: F) -> Result {
        let entry = KBox::pin_init(
            pin_init!(Entry::<F> {
                desc <- Opaque::ffi_init(|slot: *mut ffi::cmtest_dbg_file| {
                    // SAFETY: `slot` is writable; `ctx` is filled in below,
                    // once the entry has its final (pinned) address.
                    unsafe {
                        slot.write(ffi::cmtest_dbg_file {
                            show: Some(show_callback::<F>),
                            write: if F::WRITABLE { Some(write_callback::<F>) } else { None },
                            ctx: core::ptr::null_mut(),
                        })
                    }
                }),
                file,
            }),
            GFP_KERNEL,
        )?;
        let desc = entry.desc.get();
        // SAFETY: `desc` is valid and pinned; `ctx` points at the pinned
        // entry, which the shim hands back to our callbacks.
        unsafe { (*desc).ctx = core::ptr::from_ref::<Entry<F>>(&entry).cast_mut().cast() };
        // Type-erased for the list: the same allocation, pinned throughout.
        // SAFETY: the box is not moved out of; it is re-pinned at once.
        let raw: *mut Entry<F> = KBox::into_raw(unsafe { Pin::into_inner_unchecked(entry) });
        let raw: *mut dyn AnyEntry = raw;
        // SAFETY: `raw` comes from `KBox::into_raw` just above.
        let entry = unsafe { Pin::new_unchecked(KBox::from_raw(raw)) };
        self.files.push(entry, GFP_KERNEL)?;
        // SAFETY: valid name, our directory, and a description that lives
        // until the directory is removed (type invariant).
        let f = unsafe {
            ffi::cmtest_debugfs_file(name.as_char_ptr().cast(), self.dentry.as_ptr(), desc)
        };
        // SAFETY: plain pointer check.
        if unsafe { ffi::cmtest_is_err_or_null(f.cast()) } {
            return Err(ENODEV);
        }
        Ok(())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: our directory (type invariant); waits for running file
        // operations, so the entries may be freed afterwards.
        unsafe { ffi::debugfs_remove(self.dentry.as_ptr()) };
    }
}

/// # Safety
///
/// Called by the debugfs shim only, with `ctx` a registered `Entry<F>`.
unsafe extern "C" fn show_callback<F: DebugFile>(m: *mut ffi::seq_file, ctx: *mut c_void) -> c_int {
    // SAFETY: `ctx` is the pinned `Entry<F>` registered with this file,
    // alive until the directory is removed, which waits for us.
    let entry = unsafe { &*ctx.cast::<Entry<F>>() };
    let mut out = Out(KVVec::new());
    if let Err(e) = entry.file.show(&mut out) {
        return e.to_errno();
    }
    // SAFETY: `m` is the seq_file being shown; the buffer is valid. On
    // overflow seq_read retries with a larger buffer, calling us again.
    unsafe { ffi::seq_write(m, out.0.as_ptr().cast(), out.0.len()) };
    0
}

/// # Safety
///
/// As for `show_callback`, with `buf` readable for `len` bytes.
unsafe extern "C" fn write_callback<F: DebugFile>(
    ctx: *mut c_void,
    buf: *const c_char,
    len: usize,
) -> isize {
    // SAFETY: as in `show_callback`.
    let entry = unsafe { &*ctx.cast::<Entry<F>>() };
    // SAFETY: the shim passes a kernel copy of `len` bytes.
    let bytes = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
    let Ok(text) = core::str::from_utf8(bytes) else {
        return EINVAL.to_errno() as isize;
    };
    match entry
        .file
        .write(text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0'))
    {
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}
