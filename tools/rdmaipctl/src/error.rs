// SPDX-License-Identifier: GPL-2.0

//! Everything that can go wrong, worded for the person at the terminal:
//! which argument was bad, or what the kernel said and about which
//! attribute.

use std::fmt;
use std::io;

use crate::cli::UsageError;
use crate::netlink::message::PolicyLimits;
use crate::netlink::session::{strerror, Rejection, SessionError};
use crate::uapi::{cmd, request_attr_names, FAMILY_NAME};

#[derive(Debug)]
pub enum Error {
    Usage(UsageError),
    /// The rdmaip family is not registered: the module is not loaded.
    FamilyMissing,
    /// Asking the generic netlink controller for the family failed.
    FamilyLookup(SessionError),
    /// The family has no `monitor` multicast group (a mismatched module).
    NoMonitorGroup,
    Netlink(SessionError),
    /// Writing the output failed (a closed pipe, for instance).
    Output(io::Error),
    /// A bug in rdmaipctl: what went wrong.
    Internal(String),
    /// The module registered another version of the family than the one
    /// rdmaipctl was built for.
    FamilyVersion {
        kernel: u32,
        tool: u32,
    },
    /// No object was given: the usage went to stderr (exit status 255,
    /// as `ip`'s).
    NoCommand,
    /// Reading a file (`-batch`, `config apply`): its name and why.
    File(String, io::Error),
    /// An error on one line of a file: `FILE:LINE: error`.
    At {
        file: String,
        line: usize,
        error: Box<Error>,
    },
    /// A bad configuration file (`config apply`): `FILE:LINE: what`.
    Config {
        file: String,
        line: usize,
        message: String,
    },
    /// A request of `config apply` failed: the request as a line, and why.
    Step {
        step: String,
        error: Box<Error>,
    },
    /// A port named by a netdev that no RDMA port, or several, use: the
    /// message names the word.
    PortName(String),
    /// Listing the RDMA ports to resolve a port named by its netdev failed.
    RdmaPorts {
        word: String,
        error: SessionError,
    },
    /// With `-force`: how many of how many commands failed (each error was
    /// written as it happened).
    Failed {
        failed: usize,
        total: usize,
    },
}

impl Error {
    /// The exit status: 2 for a bad command line, 1 for anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Config { .. } | Error::PortName(_) => 2,
            Error::NoCommand => 255,
            Error::At { error, .. } | Error::Step { error, .. } => error.exit_code(),
            _ => 1,
        }
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        Error::Usage(e)
    }
}

impl From<SessionError> for Error {
    fn from(e: SessionError) -> Self {
        Error::Netlink(e)
    }
}

fn limits_text(limits: &PolicyLimits) -> Option<String> {
    match (limits.min, limits.max, limits.max_len) {
        (Some(min), Some(max), _) => Some(format!("valid {min}..{max}")),
        (Some(min), None, _) => Some(format!("at least {min}")),
        (None, Some(max), _) => Some(format!("at most {max}")),
        (None, None, Some(len)) => Some(format!("at most {len} bytes")),
        (None, None, None) => None,
    }
}

fn attr_name(command: u8, kind: u16) -> String {
    request_attr_names(command)
        .get(usize::from(kind))
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("#{kind}"), |n| n.to_string())
}

/// `group-new failed: File exists: group g0 exists`, with the attribute
/// the kernel pointed at and its limits when it said so.
fn describe_rejection(r: &Rejection) -> String {
    let op = cmd::name(r.cmd).map_or_else(|| format!("command {}", r.cmd), str::to_string);
    let mut text = format!("{op} failed: {}", strerror(r.ack.errno));
    if let Some(message) = &r.ack.ext.message {
        text += &format!(": {message}");
    }
    let mut notes = Vec::new();
    if let Some(kind) = r.attr {
        notes.push(format!("attribute {}", attr_name(r.cmd, kind)));
    }
    if let Some(limits) = r.ack.ext.policy.as_ref().and_then(limits_text) {
        notes.push(limits);
    }
    if let Some(kind) = r.ack.ext.missing {
        notes.push(format!("missing attribute {}", attr_name(r.cmd, kind)));
    }
    if r.ack.errno == libc::EPERM && r.ack.ext.message.is_none() {
        notes.push("CAP_NET_ADMIN is needed".into());
    }
    if !notes.is_empty() {
        text += &format!(" ({})", notes.join(", "));
    }
    text
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(e) => write!(f, "{e}"),
            Error::FamilyMissing => write!(
                f,
                "family {FAMILY_NAME} not found (is the {FAMILY_NAME} module loaded?)"
            ),
            Error::FamilyLookup(e) => write!(f, "looking up family {FAMILY_NAME}: {e}"),
            Error::NoMonitorGroup => write!(f, "family {FAMILY_NAME} has no monitor group"),
            Error::Netlink(SessionError::Rejected(r)) => f.write_str(&describe_rejection(r)),
            Error::Netlink(e) => write!(f, "{e}"),
            Error::Output(e) => write!(f, "writing output: {e}"),
            Error::Internal(what) => write!(f, "internal error: {what}"),
            Error::FamilyVersion { kernel, tool } => write!(
                f,
                "the {FAMILY_NAME} module speaks version {kernel} of the {FAMILY_NAME} \
                 family, this rdmaipctl speaks version {tool}: use the rdmaipctl built \
                 with the loaded module (modinfo {FAMILY_NAME}; rdmaipctl -V)"
            ),
            Error::NoCommand => write!(f, "no command given"),
            Error::File(name, e) => write!(f, "{name}: {e}"),
            Error::At { file, line, error } => write!(f, "{file}:{line}: {error}"),
            Error::Config {
                file,
                line,
                message,
            } => write!(f, "{file}:{line}: {message}"),
            Error::Step { step, error } => write!(f, "config apply: {step}: {error}"),
            Error::PortName(message) => f.write_str(message),
            Error::RdmaPorts { word, error } => write!(
                f,
                "port \"{word}\": listing the RDMA ports (RDMA netlink): {error}"
            ),
            Error::Failed { failed, total } => {
                write!(f, "{failed} of {total} commands failed")
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::message::{Ack, ExtAck};
    use crate::uapi::group_attr;

    fn rejection(cmd: u8, errno: i32, attr: Option<u16>, ext: ExtAck) -> Error {
        Error::Netlink(SessionError::Rejected(Box::new(Rejection {
            cmd,
            attr,
            ack: Ack { errno, ext },
        })))
    }

    #[test]
    fn family_missing() {
        assert_eq!(
            Error::FamilyMissing.to_string(),
            "family rdmaip not found (is the rdmaip module loaded?)"
        );
        assert_eq!(Error::FamilyMissing.exit_code(), 1);
    }

    #[test]
    fn usage_errors_exit_2() {
        let e = Error::from(UsageError("group add: missing group name".into()));
        assert_eq!(e.to_string(), "group add: missing group name");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn kernel_message_attribute_and_range() {
        let e = rejection(
            cmd::GROUP_NEW,
            libc::ERANGE,
            Some(group_attr::FAILBACK_DELAY_MS),
            ExtAck {
                message: Some("integer out of range".into()),
                offset: Some(28),
                missing: None,
                policy: Some(PolicyLimits {
                    min: Some(0),
                    max: Some(3_600_000),
                    max_len: None,
                }),
            },
        );
        assert_eq!(
            e.to_string(),
            "group-new failed: Numerical result out of range: integer out of range \
             (attribute failback-delay-ms, valid 0..3600000)"
        );
    }

    #[test]
    fn plain_errno_and_message_only() {
        let e = rejection(cmd::GROUP_DEL, libc::ENOENT, None, ExtAck::default());
        assert_eq!(e.to_string(), "group-del failed: No such file or directory");
        let e = rejection(
            cmd::GROUP_NEW,
            libc::EEXIST,
            None,
            ExtAck {
                message: Some("group g0 exists".into()),
                ..ExtAck::default()
            },
        );
        assert_eq!(
            e.to_string(),
            "group-new failed: File exists: group g0 exists"
        );
    }

    #[test]
    fn missing_attribute_and_permission() {
        let e = rejection(
            cmd::PORT_ADD,
            libc::EINVAL,
            None,
            ExtAck {
                missing: Some(group_attr::PORT),
                ..ExtAck::default()
            },
        );
        assert_eq!(
            e.to_string(),
            "port-add failed: Invalid argument (missing attribute port)"
        );
        let e = rejection(cmd::PORT_DRAIN, libc::EPERM, None, ExtAck::default());
        assert_eq!(
            e.to_string(),
            "port-drain failed: Operation not permitted (CAP_NET_ADMIN is needed)"
        );
    }

    #[test]
    fn other_limits_and_unknown_names() {
        let lim = |min, max, max_len| PolicyLimits { min, max, max_len };
        assert_eq!(
            limits_text(&lim(Some(10), None, None)).unwrap(),
            "at least 10"
        );
        assert_eq!(limits_text(&lim(None, Some(1), None)).unwrap(), "at most 1");
        assert_eq!(
            limits_text(&lim(None, None, Some(15))).unwrap(),
            "at most 15 bytes"
        );
        assert_eq!(limits_text(&lim(None, None, None)), None);
        assert_eq!(attr_name(cmd::GROUP_NEW, 99), "#99");
        assert_eq!(attr_name(cmd::GROUP_NEW, 0), "#0");
        let e = rejection(99, libc::EINVAL, Some(3), ExtAck::default());
        assert_eq!(
            e.to_string(),
            "command 99 failed: Invalid argument (attribute #3)"
        );
    }

    #[test]
    fn netlink_and_output_errors() {
        let e = Error::Netlink(SessionError::Io(io::Error::from_raw_os_error(libc::EACCES)));
        assert!(e.to_string().starts_with("netlink: Permission denied"));
        let e = Error::Output(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(e.to_string().starts_with("writing output:"));
        assert_eq!(
            Error::NoMonitorGroup.to_string(),
            "family rdmaip has no monitor group"
        );
        assert_eq!(strerror(libc::ENOENT), "No such file or directory");
    }
}
