// SPDX-License-Identifier: GPL-2.0

//! The netlink socket (`NETLINK_GENERIC` for rdmaip, `NETLINK_RDMA` for
//! the RDMA ports' netdevs): the only code in rdmaipctl that talks to the
//! kernel, and the only `unsafe` code.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use libc::{NETLINK_ADD_MEMBERSHIP, NETLINK_CAP_ACK, NETLINK_EXT_ACK, SOL_NETLINK};

use super::session::{Datagram, Transport};

pub struct NetlinkSocket {
    fd: OwnedFd,
    /// The port id the kernel gave the socket at bind().
    port: u32,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

impl NetlinkSocket {
    /// Opens a generic netlink socket that asks for extended ACKs (error
    /// messages and the offending attribute) and for capped ACKs (the
    /// kernel does not echo the request back).
    pub fn open() -> io::Result<Self> {
        Self::open_protocol(libc::NETLINK_GENERIC)
    }

    /// As `open`, for another netlink protocol (`NETLINK_RDMA`).
    pub fn open_protocol(protocol: libc::c_int) -> io::Result<Self> {
        // SAFETY: plain system call; the result is checked before use.
        let fd = check(unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                protocol,
            )
        })?;
        // SAFETY: `fd` was just returned by socket() and is owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut sock = NetlinkSocket { fd, port: 0 };
        // SAFETY: sockaddr_nl is plain old data; all zeroes (pid 0) lets
        // the kernel choose our port id.
        let mut addr: libc::sockaddr_nl = unsafe { mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `addr` is a valid sockaddr_nl and the length matches it.
        check(unsafe {
            libc::bind(
                sock.fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_nl).cast(),
                mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        })?;
        let mut len = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: `addr` and `len` describe a sockaddr_nl the kernel may
        // write, both outliving the call.
        check(unsafe {
            libc::getsockname(
                sock.fd.as_raw_fd(),
                (&mut addr as *mut libc::sockaddr_nl).cast(),
                &mut len,
            )
        })?;
        sock.port = addr.nl_pid;
        sock.set_option(NETLINK_EXT_ACK, 1)?;
        sock.set_option(NETLINK_CAP_ACK, 1)?;
        Ok(sock)
    }

    fn set_option(&self, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
        // SAFETY: `value` is a c_int that outlives the call; the length matches it.
        check(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                SOL_NETLINK,
                name,
                (&value as *const libc::c_int).cast(),
                mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
        .map(drop)
    }
}

impl Transport for NetlinkSocket {
    fn send(&mut self, message: &[u8]) -> io::Result<()> {
        // SAFETY: the pointer and length describe `message`, which outlives the call.
        let sent = unsafe {
            libc::send(
                self.fd.as_raw_fd(),
                message.as_ptr().cast(),
                message.len(),
                0,
            )
        };
        match usize::try_from(sent) {
            Ok(n) if n == message.len() => Ok(()),
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "short netlink send",
            )),
            Err(_) => Err(io::Error::last_os_error()),
        }
    }

    fn recv(&mut self) -> io::Result<Datagram> {
        loop {
            // Peek first: MSG_TRUNC makes recv() return the datagram's full
            // size, so no dump message is ever cut short.
            // SAFETY: a zero-length buffer is never written to.
            let size = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    std::ptr::null_mut(),
                    0,
                    libc::MSG_PEEK | libc::MSG_TRUNC,
                )
            };
            let Ok(size) = usize::try_from(size) else {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            };
            let mut buf = vec![0u8; size.max(1)];
            // SAFETY: sockaddr_nl is plain old data; all zeroes is valid.
            let mut from: libc::sockaddr_nl = unsafe { mem::zeroed() };
            let mut from_len = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            // SAFETY: the pointers and lengths describe `buf` and `from`,
            // which outlive the call.
            let got = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    0,
                    (&mut from as *mut libc::sockaddr_nl).cast(),
                    &mut from_len,
                )
            };
            match usize::try_from(got) {
                Ok(n) => {
                    buf.truncate(n);
                    return Ok(Datagram {
                        data: buf,
                        sender: from.nl_pid,
                    });
                }
                Err(_) => {
                    let err = io::Error::last_os_error();
                    if err.kind() != io::ErrorKind::Interrupted {
                        return Err(err);
                    }
                }
            }
        }
    }

    fn join_group(&mut self, group: u32) -> io::Result<()> {
        let group = libc::c_int::try_from(group).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "multicast group id out of range",
            )
        })?;
        self.set_option(NETLINK_ADD_MEMBERSHIP, group)
    }

    fn port_id(&self) -> u32 {
        self.port
    }
}
