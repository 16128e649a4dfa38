// SPDX-License-Identifier: GPL-2.0

//! A kernel rtnetlink socket (wraps `sock_create_kern()`,
//! `kernel_sendmsg()`, `kernel_recvmsg()` and `sock_release()`).
//!
//! rdmaip changes addresses the way `ip addr` does: by sending rtnetlink
//! requests, so the kernel's address code runs exactly as for an admin.
//! rtnetlink handles a request inside `sendmsg`, taking `rtnl_lock` itself:
//! never use this socket with `rtnl_lock` or an rdmaip lock held. It may
//! sleep.

use crate::logic::rtaddr::{self, AddrInfo, Reply};
use crate::sys::ffi;
use core::ptr::NonNull;
use kernel::prelude::*;

/// How long to wait for rtnetlink's answer before giving up.
const REPLY_TIMEOUT_MS: u32 = 5000;
/// Receive buffer: rtnetlink dump chunks fit in a page or two.
const RECV_BUF: usize = 32 * 1024;

/// An open rtnetlink socket in the initial network namespace.
///
/// # Invariants
///
/// `sock` is a live socket we created and release on drop.
pub(crate) struct RtnlSocket {
    sock: NonNull<ffi::socket>,
    seq: u32,
    buf: KVec<u8>,
}

// SAFETY: a kernel socket may be used from any thread; `&mut self` methods
// serialise our own use of it.
unsafe impl Send for RtnlSocket {}

impl RtnlSocket {
    /// Opens the socket (sleeps).
    pub(crate) fn new() -> Result<Self> {
        let mut sock = core::ptr::null_mut();
        // SAFETY: `sock` is a valid out-pointer.
        kernel::error::to_result(unsafe {
            ffi::rdmaip_rtnl_sock_create(&mut sock, REPLY_TIMEOUT_MS)
        })?;
        let sock = NonNull::new(sock).ok_or(ENOMEM)?;
        // INVARIANT: created above; released in `drop` (also on the error
        // path below, since `this` owns it from here on).
        let mut this = RtnlSocket {
            sock,
            seq: 0,
            buf: KVec::new(),
        };
        this.buf.extend_with(RECV_BUF, 0, GFP_KERNEL)?;
        Ok(this)
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn send(&mut self, msg: &[u8]) -> Result {
        // SAFETY: live socket; `msg` is readable for its length.
        let ret =
            unsafe { ffi::rdmaip_rtnl_send(self.sock.as_ptr(), msg.as_ptr().cast(), msg.len()) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }

    /// Receives one datagram and hands each message in it to `f`; stops
    /// when `f` returns `true` ("this was the last one").
    fn receive(&mut self, mut f: impl FnMut(Reply) -> bool) -> Result<bool> {
        // SAFETY: live socket; `buf` is writable for its length.
        let n = unsafe {
            ffi::rdmaip_rtnl_recv(
                self.sock.as_ptr(),
                self.buf.as_mut_ptr().cast(),
                self.buf.len(),
            )
        };
        if n < 0 {
            return Err(Error::from_errno(n));
        }
        let mut done = false;
        let received = self.buf.get(..n as usize).ok_or(EIO)?;
        rtaddr::parse_replies(received, |r| done |= f(r)).map_err(|_| EIO)?;
        Ok(done)
    }

    /// Sends a request built by `encode` (given a buffer and a sequence
    /// number) and waits for its ack; returns the kernel's answer (0 or a
    /// negative errno) so the caller can decide which errors matter.
    pub(crate) fn request(
        &mut self,
        encode: impl FnOnce(&mut [u8], u32) -> core::result::Result<usize, rtaddr::BufferTooSmall>,
    ) -> Result<i32> {
        let seq = self.next_seq();
        let mut msg = [0u8; 256];
        let len = encode(&mut msg, seq).map_err(|_| EINVAL)?;
        self.send(msg.get(..len).ok_or(EINVAL)?)?;
        let mut answer = None;
        while answer.is_none() {
            self.receive(|r| match r {
                Reply::Ack { seq: s, error } if s == seq => {
                    answer = Some(error);
                    true
                }
                _ => false,
            })?;
        }
        Ok(answer.unwrap_or(0))
    }

    /// Dumps every IPv4 and IPv6 address in the namespace, handing each to
    /// `f`.
    pub(crate) fn dump_addrs(&mut self, mut f: impl FnMut(AddrInfo)) -> Result {
        let seq = self.next_seq();
        let mut msg = [0u8; 64];
        let len = rtaddr::encode_getaddr_dump(&mut msg, seq, 0).map_err(|_| EINVAL)?;
        self.send(msg.get(..len).ok_or(EINVAL)?)?;
        let mut error = 0;
        loop {
            let done = self.receive(|r| match r {
                Reply::Addr(a) => {
                    f(a);
                    false
                }
                Reply::Done { seq: s } if s == seq => true,
                Reply::Ack { seq: s, error: e } if s == seq => {
                    error = e;
                    true
                }
                _ => false,
            })?;
            if done {
                break;
            }
        }
        kernel::error::to_result(error)
    }
}

impl Drop for RtnlSocket {
    fn drop(&mut self) {
        // SAFETY: created in `new`, released once here.
        unsafe { ffi::rdmaip_sock_release(self.sock.as_ptr()) };
    }
}
