// SPDX-License-Identifier: GPL-2.0

//! RDMA netlink (`NETLINK_RDMA`, the `nldev` client): the RDMA ports and
//! their netdevs, as `rdma link show` lists them. Used to turn a port
//! named by its netdev (`eth2`) into `<device>/<port>`.
//!
//! The values are those of `include/uapi/rdma/rdma_netlink.h`, which libc
//! does not have.

use super::attr::{Attrs, DecodeError};
use super::message::{Request, NLM_F_DUMP};
use super::session::{Session, SessionError, Transport};

/// The RDMA netlink protocol (`NETLINK_RDMA` in linux/netlink.h).
pub const NETLINK_RDMA: libc::c_int = 20;

/// `RDMA_NL_NLDEV`: the client of RDMA netlink that describes devices.
const RDMA_NL_NLDEV: u16 = 5;
const RDMA_NLDEV_CMD_GET: u16 = 1;
const RDMA_NLDEV_CMD_PORT_GET: u16 = 5;

pub const RDMA_NLDEV_ATTR_DEV_INDEX: u16 = 1;
pub const RDMA_NLDEV_ATTR_DEV_NAME: u16 = 2;
pub const RDMA_NLDEV_ATTR_PORT_INDEX: u16 = 3;
pub const RDMA_NLDEV_ATTR_NDEV_NAME: u16 = 51;

/// `RDMA_NL_GET_TYPE(client, op)`: the message type of an operation.
pub const fn nl_type(op: u16) -> u16 {
    (RDMA_NL_NLDEV << 10) + op
}

/// The message type of a device dump.
pub const DEV_GET: u16 = nl_type(RDMA_NLDEV_CMD_GET);
/// The message type of a port dump (of one device).
pub const PORT_GET: u16 = nl_type(RDMA_NLDEV_CMD_PORT_GET);

/// One RDMA port: its device, its number and its netdev, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdmaPort {
    pub device: String,
    pub port: u32,
    pub netdev: Option<String>,
}

impl RdmaPort {
    /// `rxe0/1`, as rdmaip and `rdma link` name the port.
    pub fn name(&self) -> String {
        format!("{}/{}", self.device, self.port)
    }
}

/// A device of a device dump: its index (what a port dump asks for).
fn device_index(payload: &[u8]) -> Result<Option<u32>, DecodeError> {
    for a in Attrs::new(payload) {
        let a = a?;
        if a.kind == RDMA_NLDEV_ATTR_DEV_INDEX {
            return Ok(Some(a.u32()?));
        }
    }
    Ok(None)
}

/// A port of a port dump.
pub fn decode_port(payload: &[u8]) -> Result<RdmaPort, DecodeError> {
    let (mut device, mut port, mut netdev) = (None, None, None);
    for a in Attrs::new(payload) {
        let a = a?;
        match a.kind {
            RDMA_NLDEV_ATTR_DEV_NAME => device = Some(a.string()?),
            RDMA_NLDEV_ATTR_PORT_INDEX => port = Some(a.u32()?),
            RDMA_NLDEV_ATTR_NDEV_NAME => netdev = Some(a.string()?),
            _ => {}
        }
    }
    match (device, port) {
        (Some(device), Some(port)) => Ok(RdmaPort {
            device,
            port,
            netdev,
        }),
        _ => Err(DecodeError::new(
            "RDMA port without a device name or port number",
        )),
    }
}

/// Every RDMA port, as `rdma link show` lists them: a dump of the
/// devices, then a dump of each device's ports. A device that goes away
/// between the two is left out.
pub fn ports<T: Transport + ?Sized>(
    session: &mut Session<T>,
) -> Result<Vec<RdmaPort>, SessionError> {
    let devices = session.exchange(&mut Request::raw(DEV_GET, NLM_F_DUMP))?;
    let mut ports = Vec::new();
    for payload in &devices.payloads {
        let Some(index) = device_index(payload)? else {
            continue;
        };
        let mut request = Request::raw(PORT_GET, NLM_F_DUMP);
        request.put_u32(RDMA_NLDEV_ATTR_DEV_INDEX, index);
        let replies = match session.exchange(&mut request) {
            Ok(replies) => replies,
            // The kernel says EINVAL for a device index it does not know.
            Err(SessionError::Rejected(r)) if r.ack.errno == libc::EINVAL => continue,
            Err(e) => return Err(e),
        };
        for payload in &replies.payloads {
            ports.push(decode_port(payload)?);
        }
    }
    Ok(ports)
}

/// The kernel's side of RDMA netlink, for tests.
#[cfg(test)]
pub mod fake {
    use super::*;
    use crate::netlink::attr::AttrWriter;
    use crate::netlink::message::{fake, NlMsgs};
    use crate::netlink::session::scripted::ScriptedKernel;

    /// A port dump's message payload.
    pub fn port_payload(device_index: u32, port: &RdmaPort) -> Vec<u8> {
        let mut p = Vec::new();
        let mut w = AttrWriter::new(&mut p);
        w.put_u32(RDMA_NLDEV_ATTR_DEV_INDEX, device_index);
        w.put_str(RDMA_NLDEV_ATTR_DEV_NAME, &port.device);
        w.put_u32(RDMA_NLDEV_ATTR_PORT_INDEX, port.port);
        if let Some(netdev) = &port.netdev {
            w.put_str(RDMA_NLDEV_ATTR_NDEV_NAME, netdev);
        }
        p
    }

    /// A kernel whose RDMA devices have `ports` (devices numbered from 1
    /// in order of first appearance); a port dump of `gone` (a device
    /// index) is refused with EINVAL, as for a device that went away.
    pub fn kernel(ports: Vec<RdmaPort>, gone: Option<u32>) -> ScriptedKernel {
        let mut devices: Vec<String> = Vec::new();
        for p in &ports {
            if !devices.contains(&p.device) {
                devices.push(p.device.clone());
            }
        }
        ScriptedKernel::new(move |req| {
            let msg = NlMsgs::new(req).next().unwrap().unwrap();
            let (kind, seq) = (msg.kind, msg.seq);
            if kind == DEV_GET {
                let payloads: Vec<Vec<u8>> = devices
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let mut p = Vec::new();
                        let mut w = AttrWriter::new(&mut p);
                        w.put_u32(RDMA_NLDEV_ATTR_DEV_INDEX, i as u32 + 1);
                        w.put_str(RDMA_NLDEV_ATTR_DEV_NAME, name);
                        p
                    })
                    .collect();
                return fake::answer(kind, req, seq, true, &payloads);
            }
            assert_eq!(kind, PORT_GET);
            let index = Attrs::new(msg.payload)
                .map(Result::unwrap)
                .find(|a| a.kind == RDMA_NLDEV_ATTR_DEV_INDEX)
                .expect("a port dump names its device")
                .u32()
                .unwrap();
            if Some(index) == gone {
                return vec![fake::done(seq, libc::EINVAL)];
            }
            let device = &devices[index as usize - 1];
            let payloads: Vec<Vec<u8>> = ports
                .iter()
                .filter(|p| &p.device == device)
                .map(|p| port_payload(index, p))
                .collect();
            fake::answer(kind, req, seq, true, &payloads)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::message::{NlMsgs, NLMSG_HDRLEN};

    fn port(device: &str, number: u32, netdev: Option<&str>) -> RdmaPort {
        RdmaPort {
            device: device.into(),
            port: number,
            netdev: netdev.map(String::from),
        }
    }

    #[test]
    fn message_types_are_the_headers() {
        // RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_GET / _PORT_GET)
        assert_eq!((DEV_GET, PORT_GET), (5121, 5125));
    }

    #[test]
    fn a_port_dump_request_has_no_generic_netlink_header() {
        let mut req = Request::raw(PORT_GET, NLM_F_DUMP);
        req.put_u32(RDMA_NLDEV_ATTR_DEV_INDEX, 7);
        assert!(req.is_dump());
        let bytes = req.bytes(3).to_vec();
        let msg = NlMsgs::new(&bytes).next().unwrap().unwrap();
        assert_eq!(msg.kind, PORT_GET);
        assert_eq!(bytes.len(), NLMSG_HDRLEN + 8);
        let attrs: Vec<_> = req.attrs().map(Result::unwrap).collect();
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].kind, RDMA_NLDEV_ATTR_DEV_INDEX);
        assert_eq!(attrs[0].u32().unwrap(), 7);
        assert_eq!(
            req.attr_at(NLMSG_HDRLEN as u32),
            Some(RDMA_NLDEV_ATTR_DEV_INDEX)
        );
    }

    #[test]
    fn lists_every_device_s_ports() {
        let table = vec![
            port("rxe0", 1, Some("eth0")),
            port("mlx5_0", 1, Some("ens1f0")),
            port("mlx5_0", 2, None),
        ];
        let mut s = Session::new(fake::kernel(table.clone(), None));
        assert_eq!(ports(&mut s).unwrap(), table);
    }

    #[test]
    fn a_device_gone_between_the_dumps_is_left_out() {
        let table = vec![port("rxe0", 1, Some("eth0")), port("rxe1", 1, Some("eth1"))];
        let mut s = Session::new(fake::kernel(table.clone(), Some(1)));
        assert_eq!(ports(&mut s).unwrap(), table[1..]);
    }

    #[test]
    fn no_devices_no_ports() {
        let mut s = Session::new(fake::kernel(Vec::new(), None));
        assert_eq!(ports(&mut s).unwrap(), []);
    }

    #[test]
    fn a_port_without_its_name_is_malformed() {
        assert!(decode_port(&[]).is_err());
        let good = fake::port_payload(1, &port("rxe0", 1, None));
        assert_eq!(decode_port(&good).unwrap(), port("rxe0", 1, None));
    }
}
