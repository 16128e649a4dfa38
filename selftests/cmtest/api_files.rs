// SPDX-License-Identifier: GPL-2.0

//! The debugfs files over rdmaip's kernel API:
//! `moves`, one line per address move rdmaip notified, and `group`, whose
//! write selects a group and whose read shows `rdmaip_group_ports()` and
//! `rdmaip_group_addrs()` for it.

use crate::debugfs::DebugFile;
use crate::rdmaip_api::{self, Move, MoveListener};
use crate::text::Out;
use core::fmt::Write;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex};
use kernel::{fmt, new_mutex};

/// At most this many moves are kept (the oldest are dropped).
const MAX_MOVES: usize = 4096;

/// A formatted move line.
type Line = crate::text::Buf<128>;

/// The moves rdmaip notified, formatted.
#[pin_data]
pub(crate) struct MoveLog {
    #[pin]
    lines: Mutex<(KVec<Line>, u64)>,
}

impl MoveLog {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self { lines <- new_mutex!((KVec::new(), 0)) }),
            GFP_KERNEL,
        )
    }
}

impl MoveListener for Arc<MoveLog> {
    fn moved(&self, m: &Move) {
        let mut line = Line::new();
        let _ = write!(
            line,
            "{} from={} to={} reason={} cm_ids={}",
            m.addr.addr_only(),
            m.from_ifindex,
            m.to_ifindex,
            m.reason,
            m.cm_ids
        );
        let mut g = self.lines.lock();
        if g.0.len() < MAX_MOVES {
            let _ = g.0.push(line, GFP_KERNEL);
        } else {
            g.1 += 1;
        }
    }
}

/// `moves`
pub(crate) struct Moves(pub(crate) Arc<MoveLog>);

impl DebugFile for Moves {
    const WRITABLE: bool = false;

    fn show(&self, out: &mut Out) -> Result {
        let g = self.0.lines.lock();
        (|| -> core::fmt::Result {
            for l in g.0.iter() {
                writeln!(out, "{}", crate::text::as_str(l))?;
            }
            if g.1 > 0 {
                writeln!(out, "dropped={}", g.1)?;
            }
            Ok(())
        })()
        .map_err(|_| ENOMEM)
    }
}

/// `group`
#[pin_data]
pub(crate) struct Group {
    #[pin]
    name: Mutex<Option<CString>>,
}

impl Group {
    pub(crate) fn new() -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(pin_init!(Self { name <- new_mutex!(None) }), GFP_KERNEL)
    }
}

impl DebugFile for Pin<KBox<Group>> {
    const WRITABLE: bool = true;

    fn write(&self, input: &str) -> Result {
        if input.is_empty() || input.len() > 15 || input.contains(char::is_whitespace) {
            return Err(EINVAL);
        }
        *self.name.lock() = Some(CString::try_from_fmt(fmt!("{}", input))?);
        Ok(())
    }

    fn show(&self, out: &mut Out) -> Result {
        let guard = self.name.lock();
        let Some(name) = guard.as_ref() else {
            return Ok(());
        };
        let gname = name.to_str().unwrap_or("?");
        let ports = rdmaip_api::group_ports(name);
        let addrs = rdmaip_api::group_addrs(name);
        (|| -> core::fmt::Result {
            match (&ports, &addrs) {
                (Ok(p), Ok(a)) => {
                    writeln!(out, "group {} ports={} addrs={}", gname, p.len(), a.len())?
                }
                (Err(e), _) | (_, Err(e)) => {
                    return writeln!(out, "group {} error={}", gname, e.to_errno())
                }
            }
            for p in ports.as_ref().map(|v| &v[..]).unwrap_or(&[]) {
                writeln!(
                    out,
                    "port {}/{} netdev={} ifindex={} healthy={} addrs={}",
                    rdmaip_api::cstr_field(&p.ibdev_name),
                    p.port_num,
                    rdmaip_api::cstr_field(&p.netdev_name),
                    p.ifindex,
                    p.healthy,
                    p.addrs_hosted
                )?;
            }
            for a in addrs.as_ref().map(|v| &v[..]).unwrap_or(&[]) {
                writeln!(
                    out,
                    "addr {}/{} home={} current={}",
                    rdmaip_api::addr_of(a).addr_only(),
                    a.prefixlen,
                    a.home_ifindex,
                    a.current_ifindex
                )?;
            }
            Ok(())
        })()
        .map_err(|_| ENOMEM)
    }
}
