// SPDX-License-Identifier: GPL-2.0

//! Ports named by their netdev (`eth2`) rather than `<device>/<port>`:
//! wherever a command or a configuration file takes a port, a word without
//! `/` is the name of a netdev, and stands for the one RDMA port whose
//! netdev it is (as `rdma link show` lists them, over RDMA netlink). What
//! is sent to the module, and what rdmaipctl prints, is always
//! `<device>/<port>`.
//!
//! A netdev that no RDMA port uses, or that several do, is refused: a port
//! that does not exist yet waits in its group only when named
//! `<device>/<port>`, since a netdev name says nothing about which device
//! it will be.

use crate::cli::Command;
use crate::error::Error;
use crate::netlink::rdma::{self, RdmaPort, NETLINK_RDMA};
use crate::netlink::session::{Session, SessionError};
use crate::netlink::socket::NetlinkSocket;

/// Whether a port name is a netdev's name rather than `<device>/<port>`.
pub fn is_netdev(word: &str) -> bool {
    !word.contains('/')
}

/// Where the RDMA ports are listed from: RDMA netlink (`SystemPorts`), or
/// a table in tests.
pub trait RdmaPorts {
    fn list(&mut self) -> Result<Vec<RdmaPort>, SessionError>;
}

/// The running kernel's RDMA ports, over a `NETLINK_RDMA` socket opened
/// when first needed.
#[derive(Debug, Default)]
pub struct SystemPorts;

impl RdmaPorts for SystemPorts {
    fn list(&mut self) -> Result<Vec<RdmaPort>, SessionError> {
        let socket = match NetlinkSocket::open_protocol(NETLINK_RDMA) {
            Ok(socket) => socket,
            // No RDMA subsystem in this kernel (ib_core not loaded): no ports.
            Err(e) if e.raw_os_error() == Some(libc::EPROTONOSUPPORT) => return Ok(Vec::new()),
            Err(e) => return Err(SessionError::Io(e)),
        };
        rdma::ports(&mut Session::new(socket))
    }
}

/// A fixed table of ports (for tests, and for callers that already have
/// one).
impl RdmaPorts for Vec<RdmaPort> {
    fn list(&mut self) -> Result<Vec<RdmaPort>, SessionError> {
        Ok(self.clone())
    }
}

/// What a port named by a netdev stands for in `ports`: the one RDMA port
/// of that netdev, or why there is none. A `<device>/<port>` name stands
/// for itself.
pub fn resolve(word: &str, ports: &[RdmaPort]) -> Result<String, String> {
    if !is_netdev(word) {
        return Ok(word.to_string());
    }
    let matching: Vec<String> = ports
        .iter()
        .filter(|p| p.netdev.as_deref() == Some(word))
        .map(RdmaPort::name)
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "port \"{word}\": no RDMA port uses netdev {word} \
             (name it <device>/<port> to have it wait for its device)"
        )),
        several => Err(format!(
            "port \"{word}\": netdev {word} is used by several RDMA ports ({}): \
             name one as <device>/<port>",
            several.join(", ")
        )),
    }
}

/// Resolves the ports of commands, listing the RDMA ports once, when the
/// first netdev name needs them (commands naming every port as
/// `<device>/<port>` need no RDMA netlink).
pub struct Resolver<'a> {
    source: &'a mut dyn RdmaPorts,
    table: Option<Vec<RdmaPort>>,
}

impl<'a> Resolver<'a> {
    pub fn new(source: &'a mut dyn RdmaPorts) -> Self {
        Resolver {
            source,
            table: None,
        }
    }

    /// `<device>/<port>` for `word`.
    pub fn port(&mut self, word: &str) -> Result<String, Error> {
        if !is_netdev(word) {
            return Ok(word.to_string());
        }
        if self.table.is_none() {
            let table = self.source.list().map_err(|error| Error::RdmaPorts {
                word: word.to_string(),
                error,
            })?;
            self.table = Some(table);
        }
        let table = self.table.as_deref().unwrap_or_default();
        resolve(word, table).map_err(Error::PortName)
    }

    pub fn ports(&mut self, words: &[String]) -> Result<Vec<String>, Error> {
        words.iter().map(|w| self.port(w)).collect()
    }

    fn optional(&mut self, word: &Option<String>) -> Result<Option<String>, Error> {
        word.as_deref().map(|w| self.port(w)).transpose()
    }

    /// `command` with its ports named `<device>/<port>`.
    pub fn command(&mut self, command: &Command) -> Result<Command, Error> {
        Ok(match command {
            Command::GroupSet {
                name,
                settings,
                ports,
            } => Command::GroupSet {
                name: name.clone(),
                settings: settings.clone(),
                ports: self.ports(ports)?,
            },
            Command::PortAdd { ports, group } => Command::PortAdd {
                ports: self.ports(ports)?,
                group: group.clone(),
            },
            Command::PortDel { ports, group } => Command::PortDel {
                ports: self.ports(ports)?,
                group: group.clone(),
            },
            Command::PortShow { port, group } => Command::PortShow {
                port: self.optional(port)?,
                group: group.clone(),
            },
            Command::PortDrain { port } => Command::PortDrain {
                port: self.port(port)?,
            },
            Command::PortUndrain { port } => Command::PortUndrain {
                port: self.port(port)?,
            },
            other => other.clone(),
        })
    }
}

#[cfg(test)]
pub(crate) mod fake {
    use super::*;

    /// The lab's ports: rxe0/1 on eth0, rxe1/1 on eth1; and two ports on
    /// one netdev (a RoCE device over a bond, say): mlx5_0/1 and mlx5_1/1
    /// on bond0.
    pub fn table() -> Vec<RdmaPort> {
        let port = |device: &str, netdev: &str| RdmaPort {
            device: device.into(),
            port: 1,
            netdev: Some(netdev.into()),
        };
        vec![
            port("rxe0", "eth0"),
            port("rxe1", "eth1"),
            port("mlx5_0", "bond0"),
            port("mlx5_1", "bond0"),
            RdmaPort {
                device: "ib0dev".into(),
                port: 2,
                netdev: None,
            },
        ]
    }

    /// A source that fails the test if it is asked.
    pub struct Unasked;

    impl RdmaPorts for Unasked {
        fn list(&mut self) -> Result<Vec<RdmaPort>, SessionError> {
            panic!("the RDMA ports were listed, but no port is named by its netdev")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{table, Unasked};
    use super::*;
    use crate::cli::Settings;
    use std::io;

    #[test]
    fn a_netdev_with_one_port_is_that_port() {
        assert_eq!(resolve("eth1", &table()).unwrap(), "rxe1/1");
        assert_eq!(resolve("eth0", &table()).unwrap(), "rxe0/1");
        // <device>/<port> stands for itself, known or not.
        assert_eq!(resolve("rxe9/1", &table()).unwrap(), "rxe9/1");
        assert_eq!(resolve("rxe0/1", &[]).unwrap(), "rxe0/1");
    }

    #[test]
    fn a_netdev_with_no_port_is_refused_naming_it() {
        assert_eq!(
            resolve("eth2", &table()).unwrap_err(),
            "port \"eth2\": no RDMA port uses netdev eth2 \
             (name it <device>/<port> to have it wait for its device)"
        );
        assert!(resolve("eth0", &[]).unwrap_err().contains("\"eth0\""));
        // A device name is not a netdev name.
        assert!(resolve("rxe0", &table()).is_err());
    }

    #[test]
    fn a_netdev_with_several_ports_is_refused_listing_them() {
        assert_eq!(
            resolve("bond0", &table()).unwrap_err(),
            "port \"bond0\": netdev bond0 is used by several RDMA ports \
             (mlx5_0/1, mlx5_1/1): name one as <device>/<port>"
        );
    }

    #[test]
    fn commands_get_device_port_names() {
        let mut source = table();
        let mut r = Resolver::new(&mut source);
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            r.command(&Command::PortAdd {
                ports: words(&["eth0", "rxe1/1"]),
                group: "g0".into()
            })
            .unwrap(),
            Command::PortAdd {
                ports: words(&["rxe0/1", "rxe1/1"]),
                group: "g0".into()
            }
        );
        assert_eq!(
            r.command(&Command::PortShow {
                port: Some("eth1".into()),
                group: None
            })
            .unwrap(),
            Command::PortShow {
                port: Some("rxe1/1".into()),
                group: None
            }
        );
        assert_eq!(
            r.command(&Command::PortDrain {
                port: "eth1".into()
            })
            .unwrap(),
            Command::PortDrain {
                port: "rxe1/1".into()
            }
        );
        assert_eq!(
            r.command(&Command::PortUndrain {
                port: "eth0".into()
            })
            .unwrap(),
            Command::PortUndrain {
                port: "rxe0/1".into()
            }
        );
        assert_eq!(
            r.command(&Command::PortDel {
                ports: words(&["eth1"]),
                group: Some("g0".into())
            })
            .unwrap(),
            Command::PortDel {
                ports: words(&["rxe1/1"]),
                group: Some("g0".into())
            }
        );
        let set = Command::GroupSet {
            name: "g0".into(),
            settings: Settings::default(),
            ports: words(&["eth0"]),
        };
        assert!(matches!(
            r.command(&set).unwrap(),
            Command::GroupSet { ports, .. } if ports == ["rxe0/1"]
        ));
        let e = r
            .command(&Command::PortAdd {
                ports: words(&["rxe0/1", "eth7"]),
                group: "g0".into(),
            })
            .unwrap_err();
        assert!(matches!(e, Error::PortName(_)));
        assert!(e.to_string().starts_with("port \"eth7\": no RDMA port"));
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn device_port_names_need_no_rdma_netlink() {
        let mut unasked = Unasked;
        let mut r = Resolver::new(&mut unasked);
        let command = Command::PortAdd {
            ports: vec!["rxe0/1".into(), "rxe1/1".into()],
            group: "g0".into(),
        };
        assert_eq!(r.command(&command).unwrap(), command);
        assert_eq!(
            r.command(&Command::ModuleShow).unwrap(),
            Command::ModuleShow
        );
    }

    /// A source that counts how often it is asked.
    struct Counting(usize);

    impl RdmaPorts for Counting {
        fn list(&mut self) -> Result<Vec<RdmaPort>, SessionError> {
            self.0 += 1;
            Ok(table())
        }
    }

    #[test]
    fn the_ports_are_listed_once() {
        let mut source = Counting(0);
        let mut r = Resolver::new(&mut source);
        for word in ["eth0", "eth1", "eth0"] {
            r.port(word).unwrap();
        }
        drop(r);
        assert_eq!(source.0, 1);
    }

    struct Failing;

    impl RdmaPorts for Failing {
        fn list(&mut self) -> Result<Vec<RdmaPort>, SessionError> {
            Err(SessionError::Io(io::Error::from_raw_os_error(libc::EACCES)))
        }
    }

    #[test]
    fn a_failed_listing_names_the_word() {
        let e = Resolver::new(&mut Failing).port("eth0").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "port \"eth0\": listing the RDMA ports (RDMA netlink): netlink: Permission denied"
            ),
            "{e}"
        );
        assert_eq!(e.exit_code(), 1);
    }
}
