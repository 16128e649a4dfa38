// SPDX-License-Identifier: GPL-2.0

//! The group queries of the kernel API for ULPs (`rdmaip_group_ports()`,
//! `rdmaip_group_addrs()` in `include/rdmaip.h`), answered from the
//! tables; the C entry points are in `sys/ulp_abi.rs`.

use crate::state::group::Group;
use crate::state::group_name::parse_name;
use crate::state::registry::PortRegistry;
use crate::state::tables::Tables;
use crate::sys::ffi;
use crate::sys::ulp_abi::{self, UlpQueries};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Answers the ULPs' queries from the registry.
pub(crate) struct Queries(pub(crate) Arc<PortRegistry>);

impl Queries {
    /// Runs `f` on the locked tables and the group called `group`.
    fn with_group(&self, group: &[u8], f: impl FnOnce(&Tables, &Group)) -> Result {
        let name = parse_name(group).map_err(|_| EINVAL)?;
        let t = self.0.read();
        let (_, g) = t.group_named(&name).map_err(|_| ENOENT)?;
        f(&t, g);
        Ok(())
    }
}

impl UlpQueries for Queries {
    fn group_ports(&self, group: &[u8], each: &mut dyn FnMut(ffi::rdmaip_port_info)) -> Result {
        self.with_group(group, |t, g| {
            for p in g.member_ports().filter_map(|(_, port)| t.port_info(port)) {
                let mut out = ulp_abi::port_info(p.dev_name.as_bytes(), p.netdev_name.as_bytes());
                out.ibdev_index = p.dev_index;
                out.port_num = p.port;
                out.ifindex = p.ifindex.unwrap_or(0);
                let pg = p.group.as_ref();
                out.healthy =
                    u8::from(p.status.health().is_up() && !pg.is_some_and(|pg| pg.drained));
                out.addrs_hosted = pg.map_or(0, |pg| pg.addrs_hosted as u32);
                each(out);
            }
        })
    }

    fn group_addrs(&self, group: &[u8], each: &mut dyn FnMut(ffi::rdmaip_addr_info)) -> Result {
        self.with_group(group, |t, g| {
            let ifindex = |member: usize| {
                g.member_port(member)
                    .and_then(|p| t.port_info(p))
                    .and_then(|p| p.ifindex)
                    .unwrap_or(0)
            };
            for a in g.addrs() {
                each(ffi::rdmaip_addr_info {
                    addr: ulp_abi::sockaddr(&a.info.addr),
                    prefixlen: a.info.prefixlen,
                    home_ifindex: ifindex(a.home),
                    current_ifindex: ifindex(a.current),
                });
            }
        })
    }
}
