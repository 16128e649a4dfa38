// SPDX-License-Identifier: GPL-2.0

//! Why a change of the tables was refused.

use kernel::prelude::*;

/// Why a request was refused: the errno and what to tell the admin.
pub(crate) struct Refusal {
    pub(crate) err: Error,
    pub(crate) msg: &'static CStr,
}

/// `Err` with a [`Refusal`].
pub(crate) fn refuse<T>(err: Error, msg: &'static CStr) -> core::result::Result<T, Refusal> {
    Err(Refusal { err, msg })
}
