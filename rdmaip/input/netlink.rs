// SPDX-License-Identifier: GPL-2.0

//! The operations of the `rdmaip` generic netlink family
//! (`Documentation/netlink/specs/rdmaip.yaml`).
//!
//! genetlink has already checked every attribute against the spec's policy
//! and `CAP_NET_ADMIN` for the operations that change anything; what is left
//! here is what a policy cannot express (names that must exist, members that
//! must fit together, one network namespace), each refused with an extack
//! message.

use crate::engine::prober::ProbeRounds;
use crate::engine::Engine;
use crate::logic::group::{MAX_MEMBERS, NS_PER_MS};
use crate::logic::probe::{ProbeSettings, SettingsError, MAX_TARGETS};
use crate::logic::rtaddr::IpAddr;
use crate::output::attrs::{put_addr, put_group, put_module, put_port, put_probe_path};
use crate::output::monitor;
use crate::state::group::WaitingPort;
use crate::state::group_name::{parse_name, GroupName};
use crate::state::peers::PeerState;
use crate::state::refusal::Refusal;
use crate::state::registry::PortRegistry;
use crate::state::settings::Settings;
use crate::sys::clock::mono_ns;
use crate::sys::errno::eopnotsupp;
use crate::sys::ffi;
use crate::sys::genl::{Dump, Handlers, Op, Request};
use crate::sys::workq::Worker;
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Serves the family from the registry and the peer side's state.
pub(crate) struct Netlink {
    ports: Arc<PortRegistry>,
    engine: Arc<Worker<Engine>>,
    peers: Arc<PeerState>,
    prober: Arc<Worker<ProbeRounds>>,
}

impl Netlink {
    pub(crate) fn new(
        ports: Arc<PortRegistry>,
        engine: Arc<Worker<Engine>>,
        peers: Arc<PeerState>,
        prober: Arc<Worker<ProbeRounds>>,
    ) -> Self {
        Netlink {
            ports,
            engine,
            peers,
            prober,
        }
    }

    /// Lets the engine act on a change now, and waits until it has, so
    /// that the request's answer reflects the result.
    fn settle(&self) {
        self.engine.kick();
        self.engine.flush();
    }
}

/// Turns a refusal into the request's error, with its message.
fn refused(req: &Request, kind: u32) -> impl FnOnce(Refusal) -> Error + '_ {
    move |r| req.reject(r.err, r.msg, req.attr(kind))
}

/// Settings attributes present in `req`, applied over `s`.
fn apply_settings(req: &Request, mut s: Settings) -> Settings {
    let u32_of = |kind| req.attr(kind).map(|a| a.uint() as u32);
    if let Some(a) = req.attr(ffi::RDMAIP_A_GROUP_FAILBACK) {
        s.failback.enabled = a.uint() != 0;
    }
    if let Some(v) = u32_of(ffi::RDMAIP_A_GROUP_FAILBACK_DELAY_MS) {
        s.failback.delay_ns = u64::from(v) * NS_PER_MS;
    }
    if let Some(v) = u32_of(ffi::RDMAIP_A_GROUP_HOLD_DOWN_MAX_MS) {
        s.failback.hold_down_max_ns = u64::from(v) * NS_PER_MS;
    }
    if let Some(v) = u32_of(ffi::RDMAIP_A_GROUP_ANNOUNCE_COUNT) {
        s.announce_count = v;
    }
    if let Some(v) = u32_of(ffi::RDMAIP_A_GROUP_ANNOUNCE_INTERVAL_MS) {
        s.announce_interval_ms = v;
    }
    s
}

/// The extack message for refused probe settings.
fn probe_refusal(e: SettingsError) -> &'static CStr {
    match e {
        SettingsError::Interval => c_str!("probe interval must be 10 to 60000 ms"),
        SettingsError::Misses => c_str!("probe misses must be 2 to 100"),
        SettingsError::Successes => c_str!("probe successes must be 1 to 100"),
        SettingsError::TooManyTargets => c_str!("at most 8 probe targets"),
        SettingsError::DuplicateTarget => c_str!("probe target given twice"),
        SettingsError::BadTarget => c_str!(
            "probe target must be a unicast address (not unspecified, loopback, multicast or broadcast)"
        ),
    }
}

/// Probe settings attributes present in `req`, applied over `cur`.
fn probe_settings(req: &Request, cur: &ProbeSettings) -> Result<ProbeSettings> {
    let mut given = KVec::new();
    for b in req.each(ffi::RDMAIP_A_GROUP_PROBE_TARGET) {
        let ip = match b.len() {
            4 => b.try_into().map(IpAddr::V4).ok(),
            16 => b.try_into().map(IpAddr::V6).ok(),
            _ => None,
        };
        let Some(ip) = ip else {
            return Err(req.reject(
                EINVAL,
                c_str!("a probe target is an IPv4 (4 bytes) or IPv6 (16 bytes) address"),
                None,
            ));
        };
        if given.len() >= MAX_TARGETS {
            return Err(req.reject(EINVAL, c_str!("at most 8 probe targets"), None));
        }
        given.push(ip, GFP_KERNEL)?;
    }
    let off = req.attr(ffi::RDMAIP_A_GROUP_PROBE_OFF);
    if off.is_some() && !given.is_empty() {
        return Err(req.reject(EINVAL, c_str!("probe-off and probe targets together"), off));
    }
    let targets: &[IpAddr] = match (off, given.is_empty()) {
        (Some(_), _) => &[],
        (None, false) => &given,
        (None, true) => cur.targets(),
    };
    let u32_or = |kind, v| req.attr(kind).map_or(v, |a| a.uint() as u32);
    ProbeSettings::new(
        u32_or(ffi::RDMAIP_A_GROUP_PROBE_INTERVAL_MS, cur.interval_ms()),
        u32_or(ffi::RDMAIP_A_GROUP_PROBE_MISSES, cur.misses()),
        u32_or(ffi::RDMAIP_A_GROUP_PROBE_SUCCESSES, cur.successes()),
        targets,
    )
    .map_err(|e| req.reject(EINVAL, probe_refusal(e), None))
}

impl Netlink {
    fn group_name(&self, req: &Request) -> Result<GroupName> {
        let a = req.require(ffi::RDMAIP_A_GROUP_NAME, c_str!("group name is required"))?;
        parse_name(a.str_bytes()).map_err(refused(req, ffi::RDMAIP_A_GROUP_NAME))
    }

    fn group_new(&self, req: &Request) -> Result {
        let name = self.group_name(req)?;
        let settings = apply_settings(req, Settings::DEFAULT);
        let probe = probe_settings(req, &ProbeSettings::OFF)?;
        let mut t = self.ports.lock();
        t.group_new(name, settings, probe)
            .map_err(refused(req, ffi::RDMAIP_A_GROUP_NAME))?;
        drop(t);
        pr_info!("group {} created\n", name);
        if probe.enabled() {
            self.prober.kick();
        }
        Ok(())
    }

    fn group_del(&self, req: &Request) -> Result {
        let name = self.group_name(req)?;
        let slot = self
            .ports
            .read()
            .group_slot(&name)
            .map_err(refused(req, ffi::RDMAIP_A_GROUP_NAME))?;
        // What the members carry is placed before the group stops
        // tracking it: their own addresses go home.
        self.engine.job().depart(slot, None);
        let mut t = self.ports.lock();
        // The slot may have been reused by a concurrent delete and create.
        let slot = t
            .group_slot(&name)
            .map_err(refused(req, ffi::RDMAIP_A_GROUP_NAME))?;
        t.group_del(slot);
        drop(t);
        pr_info!("group {} deleted\n", name);
        // Re-arms the engine's timers, which the departure's pass did not.
        self.settle();
        Ok(())
    }

    fn group_set(&self, req: &Request) -> Result {
        let name = self.group_name(req)?;
        let mut t = self.ports.lock();
        let slot = t
            .group_slot(&name)
            .map_err(refused(req, ffi::RDMAIP_A_GROUP_NAME))?;
        let Some(g) = t.group_mut(slot) else {
            return Err(req.reject(ENOENT, c_str!("no such group"), None));
        };
        // Checked before anything changes: all or nothing.
        let probe = probe_settings(req, g.prober.settings())?;
        let probe_changed = probe != *g.prober.settings();
        g.settings = apply_settings(req, g.settings);
        drop(t);
        if probe_changed {
            if let Some(outcome) = self.ports.set_probing(&name, probe) {
                monitor::port_health_changes(&outcome.health);
            }
            self.prober.kick();
        }
        self.settle();
        Ok(())
    }

    fn module_get(&self, req: &Request) -> Result {
        let mut msg = req.reply()?;
        put_module(
            &mut msg.writer(),
            self.peers.enabled(),
            &self.peers.counters(),
        )?;
        req.send(msg)
    }

    fn module_set(&self, req: &Request) -> Result {
        if let Some(a) = req.attr(ffi::RDMAIP_A_MODULE_PEER_NOTIFY) {
            let on = a.uint() != 0;
            if on != self.peers.enabled() {
                pr_info!("peer notification {}\n", if on { "on" } else { "off" });
            }
            self.peers.set_enabled(on);
        }
        Ok(())
    }

    fn group_get(&self, req: &Request) -> Result {
        let name = self.group_name(req)?;
        let mut msg = req.reply()?;
        {
            let t = self.ports.read();
            let (_, g) = t
                .group_named(&name)
                .map_err(refused(req, ffi::RDMAIP_A_GROUP_NAME))?;
            put_group(&mut msg.writer(), &t, g)?;
        }
        req.send(msg)
    }

    fn group_dump(&self, dump: &mut Dump) -> Result {
        let t = self.ports.read();
        dump.set_generation(t.generation());
        let mut pos = dump.position() as usize;
        while let Some((slot, g)) = t
            .groups
            .iter()
            .enumerate()
            .skip(pos)
            .find_map(|(i, g)| g.as_ref().map(|g| (i, g)))
        {
            if !dump.object(|w| put_group(w, &t, g))? {
                break;
            }
            pos = slot + 1;
            dump.set_position(pos as u64);
        }
        Ok(())
    }

    fn port_add(&self, req: &Request) -> Result {
        let name = self.group_name(req)?;
        // Join every named port, or none.
        let mut joined = KVec::new();
        let mut waiting = KVec::new();
        {
            let mut t = self.ports.lock();
            let slot = t
                .group_slot(&name)
                .map_err(refused(req, ffi::RDMAIP_A_GROUP_NAME))?;
            let mut result = Ok(());
            for port_name in req.each(ffi::RDMAIP_A_GROUP_PORT) {
                let port_name = trim_nul(port_name);
                let Some(port) = t.port_slot(port_name) else {
                    // Not there (yet): the group waits for it.
                    let Some(w) = WaitingPort::parse(port_name) else {
                        result = Err(req.reject(
                            EINVAL,
                            c_str!("a port is named <device>/<port>"),
                            None,
                        ));
                        break;
                    };
                    let new = t.waiting_group(&w).is_none();
                    if let Err(r) = t.wait_for(slot, w) {
                        result = Err(req.reject(r.err, r.msg, None));
                        break;
                    }
                    if new {
                        if let Err(e) = waiting.push(w, GFP_KERNEL) {
                            t.unwait(&w);
                            result = Err(e.into());
                            break;
                        }
                    }
                    continue;
                };
                match t.port_add(slot, port) {
                    Ok(_) => {
                        if let Err(e) = joined.push(port, GFP_KERNEL) {
                            t.detach(port);
                            result = Err(e.into());
                            break;
                        }
                    }
                    Err(r) => {
                        result = Err(req.reject(r.err, r.msg, None));
                        break;
                    }
                }
            }
            if req.each(ffi::RDMAIP_A_GROUP_PORT).next().is_none() && result.is_ok() {
                result = Err(req.reject(EINVAL, c_str!("no port given"), None));
            }
            if result.is_err() {
                for &port in joined.iter() {
                    t.detach(port);
                }
                for w in waiting.iter() {
                    t.unwait(w);
                }
                return result;
            }
            for w in waiting.iter() {
                pr_info!(
                    "group {}: port {} is not there; it joins when it appears\n",
                    name,
                    w
                );
            }
            for info in joined.iter().filter_map(|&port| t.port_info(port)) {
                pr_info!(
                    "port {}/{} joined group {}\n",
                    info.dev_name,
                    info.port,
                    name
                );
            }
        }
        // The engine reads the new members' addresses (homing them) and
        // moves those of a member that is down, before we answer.
        self.engine.job().addresses_changed();
        self.settle();
        Ok(())
    }

    fn port_del(&self, req: &Request) -> Result {
        let name = self.group_name(req)?;
        let (slot, ports, waiting) = {
            let t = self.ports.read();
            let slot = t
                .group_slot(&name)
                .map_err(refused(req, ffi::RDMAIP_A_GROUP_NAME))?;
            let mut ports = KVec::new();
            let mut waiting = KVec::new();
            for port_name in req.each(ffi::RDMAIP_A_GROUP_PORT) {
                let port_name = trim_nul(port_name);
                let Some(port) = t.port_slot(port_name) else {
                    // A member that is not there stops waiting.
                    match WaitingPort::parse(port_name) {
                        Some(w) if t.waiting_group(&w) == Some(slot) => {
                            waiting.push(w, GFP_KERNEL)?;
                            continue;
                        }
                        _ => return Err(req.reject(ENODEV, c_str!("no such RDMA port"), None)),
                    }
                };
                if t.group(slot).and_then(|g| g.member_of(port)).is_none() {
                    return Err(req.reject(ENOENT, c_str!("the port is not in this group"), None));
                }
                ports.push(port, GFP_KERNEL)?;
            }
            (slot, ports, waiting)
        };
        if !waiting.is_empty() {
            let mut t = self.ports.lock();
            for w in waiting.iter() {
                t.unwait(w);
            }
        }
        // Their own addresses go home first, and what they carry of the
        // others' goes where the group can still guard it.
        self.engine.job().depart(slot, Some(&ports));
        let mut t = self.ports.lock();
        for &port in ports.iter() {
            if t.port(port).is_some_and(|p| p.group == Some(slot)) {
                t.detach(port);
            }
        }
        drop(t);
        self.settle();
        Ok(())
    }

    fn drain(&self, req: &Request, drain: bool) -> Result {
        let name = req.require(
            ffi::RDMAIP_A_PORT_NAME,
            c_str!("port name (e.g. rxe0/1) is required"),
        )?;
        {
            let mut t = self.ports.lock();
            let Some(slot) = t.port_slot(name.str_bytes()) else {
                return Err(req.reject(ENODEV, c_str!("no such RDMA port"), Some(name)));
            };
            let Some(port) = t.port_mut(slot).filter(|p| p.group.is_some()) else {
                return Err(req.reject(EINVAL, c_str!("the port is not in a group"), Some(name)));
            };
            if drain {
                port.member.drain();
            } else {
                port.member.undrain();
            }
        }
        self.settle();
        Ok(())
    }

    fn port_get(&self, req: &Request) -> Result {
        let name = req.require(
            ffi::RDMAIP_A_PORT_NAME,
            c_str!("port name (e.g. rxe0/1) is required"),
        )?;
        let port = {
            let t = self.ports.read();
            t.port_slot(name.str_bytes()).and_then(|s| t.port_info(s))
        };
        let Some(port) = port else {
            return Err(req.reject(ENODEV, c_str!("no such RDMA port"), Some(name)));
        };
        let mut msg = req.reply()?;
        put_port(&mut msg.writer(), &port)?;
        req.send(msg)
    }

    /// The group a dump is filtered by (`group` attribute), if any; a
    /// group that does not exist is an error, as `ip` treats a missing
    /// device.
    fn dump_filter(&self, dump: &Dump, kind: u32) -> Result<Option<GroupName>> {
        let Some(a) = dump.attr(kind) else {
            return Ok(None);
        };
        let name = parse_name(a.str_bytes()).map_err(|r| r.err)?;
        self.ports.read().group_slot(&name).map_err(|r| r.err)?;
        Ok(Some(name))
    }

    fn port_dump(&self, dump: &mut Dump) -> Result {
        let group = self.dump_filter(dump, ffi::RDMAIP_A_PORT_GROUP)?;
        let mut pos = dump.position() as usize;
        while let Some((next, port, generation)) = self.ports.next_from(pos) {
            dump.set_generation(generation);
            let wanted = group.map_or(true, |g| port.group.is_some_and(|pg| pg.name == g));
            if wanted && !dump.object(|w| put_port(w, &port))? {
                break;
            }
            pos = next;
            dump.set_position(pos as u64);
        }
        Ok(())
    }

    fn probe_dump(&self, dump: &mut Dump) -> Result {
        let group = self.dump_filter(dump, ffi::RDMAIP_A_PROBE_GROUP)?;
        // Position: group slot in the high half, member x target in the low.
        let t = self.ports.read();
        dump.set_generation(t.generation());
        let now = mono_ns();
        let pos = dump.position();
        let (mut gs, mut path) = ((pos >> 32) as usize, (pos & 0xffff_ffff) as usize);
        while gs < t.groups.len() {
            if let Some(g) = t.group(gs).filter(|g| group.map_or(true, |n| g.name == n)) {
                while path < MAX_MEMBERS * MAX_TARGETS {
                    let (m, target) = (path / MAX_TARGETS, path % MAX_TARGETS);
                    let info = g.member_port(m).and_then(|p| t.port_info(p));
                    if let (Some(info), Some(p)) = (info, g.prober.path(m, target)) {
                        if !dump.object(|w| put_probe_path(w, g, &info, &p, now))? {
                            return Ok(());
                        }
                    }
                    path += 1;
                    dump.set_position(((gs as u64) << 32) | path as u64);
                }
            }
            gs += 1;
            path = 0;
            dump.set_position((gs as u64) << 32);
        }
        Ok(())
    }

    fn addr_dump(&self, dump: &mut Dump) -> Result {
        let group = self.dump_filter(dump, ffi::RDMAIP_A_ADDR_GROUP)?;
        // Position: group slot in the high half, address slot in the low.
        let t = self.ports.read();
        dump.set_generation(t.generation());
        let pos = dump.position();
        let (mut gs, mut as_) = ((pos >> 32) as usize, (pos & 0xffff_ffff) as usize);
        while gs < t.groups.len() {
            if let Some(g) = t.group(gs).filter(|g| group.map_or(true, |n| g.name == n)) {
                while as_ < g.addrs.len() {
                    if let Some(a) = g.addrs.get(as_).and_then(Option::as_ref) {
                        if !dump.object(|w| put_addr(w, &t, g, a))? {
                            return Ok(());
                        }
                    }
                    as_ += 1;
                    dump.set_position(((gs as u64) << 32) | as_ as u64);
                }
            }
            gs += 1;
            as_ = 0;
            dump.set_position((gs as u64) << 32);
        }
        Ok(())
    }
}

/// `b` up to its first NUL.
fn trim_nul(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or(b)
}

impl Handlers for Netlink {
    fn doit(&self, op: Op, req: &Request) -> Result {
        if !req.in_init_net() {
            return Err(req.reject(
                eopnotsupp(),
                c_str!("rdmaip works in the initial network namespace only"),
                None,
            ));
        }
        match op {
            Op::GroupNew => self.group_new(req),
            Op::GroupDel => self.group_del(req),
            Op::GroupSet => self.group_set(req),
            Op::GroupGet => self.group_get(req),
            Op::PortAdd => self.port_add(req),
            Op::PortDel => self.port_del(req),
            Op::PortGet => self.port_get(req),
            Op::PortDrain => self.drain(req, true),
            Op::PortUndrain => self.drain(req, false),
            Op::AddrGet | Op::ProbeGet => Err(eopnotsupp()),
            Op::ModuleGet => self.module_get(req),
            Op::ModuleSet => self.module_set(req),
        }
    }

    fn dumpit(&self, op: Op, dump: &mut Dump) -> Result {
        if !dump.in_init_net() {
            return Err(eopnotsupp());
        }
        match op {
            Op::PortGet => self.port_dump(dump),
            Op::GroupGet => self.group_dump(dump),
            Op::AddrGet => self.addr_dump(dump),
            Op::ProbeGet => self.probe_dump(dump),
            _ => Err(eopnotsupp()),
        }
    }
}
