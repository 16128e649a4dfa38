// SPDX-License-Identifier: GPL-2.0

//! A worker: one ordered workqueue running one job, now or at a later time
//! (wraps `alloc_ordered_workqueue()`, `struct delayed_work`,
//! `mod_delayed_work()` and `cancel_delayed_work_sync()`).
//!
//! The job never runs twice at once and runs in process context with no
//! lock held, so it may sleep, take rtnl and call rtnetlink. Kicks that
//! arrive while it runs make it run once more afterwards. A later run is a
//! second delayed work whose only task is to kick the first, so arming a
//! timer can never postpone a pending immediate run.

use crate::sys::ffi;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

/// The job a [`Worker`] runs.
pub(crate) trait Job: Send + Sync + 'static {
    /// Does one pass; `worker` can arm the next timed run.
    fn run(&self, worker: &Worker<Self>)
    where
        Self: Sized;
}

/// An ordered workqueue with an immediate and a timed run of one job.
///
/// # Invariants
///
/// `wq` is a live workqueue we own; `now` and `later` are initialised
/// delayed works that only ever run on `wq`.
#[pin_data(PinnedDrop)]
pub(crate) struct Worker<J: Job> {
    wq: NonNull<ffi::workqueue_struct>,
    #[pin]
    now: Opaque<ffi::delayed_work>,
    #[pin]
    later: Opaque<ffi::delayed_work>,
    stopped: AtomicBool,
    #[pin]
    job: J,
}

// SAFETY: the work structs are only touched through the workqueue API,
// which has its own locking; the job is `Send + Sync`.
unsafe impl<J: Job> Send for Worker<J> {}
// SAFETY: as for `Send`.
unsafe impl<J: Job> Sync for Worker<J> {}

impl<J: Job> Worker<J> {
    /// Creates the workqueue `name` (which must be static) and the worker.
    pub(crate) fn new(name: &'static CStr, job: impl PinInit<J, Error>) -> Result<Arc<Self>> {
        // SAFETY: `name` is a static NUL-terminated string.
        let wq = NonNull::new(unsafe { ffi::rdmaip_alloc_ordered_wq(name.as_char_ptr().cast()) })
            .ok_or(ENOMEM)?;
        let init = try_pin_init!(Self {
            wq,
            now <- Opaque::ffi_init(|slot| {
                // SAFETY: `slot` is valid for writes; initialises the work.
                unsafe { ffi::rdmaip_init_delayed_work(slot, Some(run_now::<J>)) }
            }),
            later <- Opaque::ffi_init(|slot| {
                // SAFETY: as above.
                unsafe { ffi::rdmaip_init_delayed_work(slot, Some(run_later::<J>)) }
            }),
            stopped: AtomicBool::new(false),
            job <- job,
        }? Error);
        match Arc::pin_init(init, GFP_KERNEL) {
            Ok(w) => Ok(w),
            Err(e) => {
                // SAFETY: created above, nothing queued on it.
                unsafe { ffi::rdmaip_destroy_wq(wq.as_ptr()) };
                Err(e)
            }
        }
    }

    /// The job.
    pub(crate) fn job(&self) -> &J {
        &self.job
    }

    /// Runs the job as soon as possible (again, if it is running now).
    pub(crate) fn kick(&self) {
        self.queue(&self.now, 0);
    }

    /// Runs the job in `delay_ms`, replacing any earlier timed run.
    pub(crate) fn kick_in(&self, delay_ms: u32) {
        self.queue(&self.later, delay_ms);
    }

    fn queue(&self, work: &Opaque<ffi::delayed_work>, delay_ms: u32) {
        if self.stopped.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: live workqueue and initialised work (type invariant).
        unsafe { ffi::rdmaip_mod_delayed_work(self.wq.as_ptr(), work.get(), delay_ms) };
    }

    /// Whether `stop` was called (the module is unloading).
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Runs a pending immediate run now and waits for it (for requests
    /// that must see their effect done before they answer).
    pub(crate) fn flush(&self) {
        // SAFETY: initialised work.
        unsafe { ffi::rdmaip_flush_delayed_work(self.now.get()) };
    }

    /// Stops all future runs and waits for a running one to finish. Kicks
    /// after this are ignored.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        // SAFETY: initialised works. `later` first: it may kick `now`.
        unsafe {
            ffi::rdmaip_cancel_delayed_work_sync(self.later.get());
            ffi::rdmaip_cancel_delayed_work_sync(self.now.get());
        }
    }
}

#[pinned_drop]
impl<J: Job> PinnedDrop for Worker<J> {
    fn drop(self: Pin<&mut Self>) {
        self.stop();
        // SAFETY: nothing is queued any more; we own the workqueue.
        unsafe { ffi::rdmaip_destroy_wq(self.wq.as_ptr()) };
    }
}

/// # Safety
///
/// `work` must be the `work_struct` of the `now` or `later` field (selected
/// by `LATER`) of a live `Worker<J>`.
unsafe fn worker_of<'a, J: Job, const LATER: bool>(work: *mut ffi::work_struct) -> &'a Worker<J> {
    // SAFETY: the caller says `work` belongs to a delayed work.
    let dw = unsafe { ffi::rdmaip_to_delayed_work(work) };
    let dw = dw.cast::<Opaque<ffi::delayed_work>>();
    // SAFETY: `dw` is the named field of a live `Worker<J>`, which cannot
    // be freed before its works are cancelled (in `drop`).
    unsafe {
        if LATER {
            &*kernel::container_of!(dw, Worker<J>, later)
        } else {
            &*kernel::container_of!(dw, Worker<J>, now)
        }
    }
}

/// # Safety
///
/// Called by the workqueue only, with the `now` work of a live `Worker<J>`.
unsafe extern "C" fn run_now<J: Job>(work: *mut ffi::work_struct) {
    // SAFETY: only `now` works are initialised with this function.
    let w = unsafe { worker_of::<J, false>(work) };
    w.job.run(w);
}

/// # Safety
///
/// Called by the workqueue only, with the `later` work of a live `Worker<J>`.
unsafe extern "C" fn run_later<J: Job>(work: *mut ffi::work_struct) {
    // SAFETY: only `later` works are initialised with this function.
    let w = unsafe { worker_of::<J, true>(work) };
    w.kick();
}
