// SPDX-License-Identifier: GPL-2.0

//! `rdmaipctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]`; see rdmaipctl(8).

use std::io;
use std::process::ExitCode;

use rdmaipctl::cli;
use rdmaipctl::commands::{is_closed_output, run};
use rdmaipctl::error::Error;
use rdmaipctl::netlink::session::{Session, SessionError};
use rdmaipctl::netlink::socket::NetlinkSocket;

fn main_inner() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let invocation = cli::parse(&args)?;
    let socket = NetlinkSocket::open().map_err(|e| Error::Netlink(SessionError::Io(e)))?;
    let mut session = Session::new(socket);
    run(
        &invocation,
        &mut session,
        &mut io::stdout().lock(),
        &mut io::stderr(),
    )
}

fn main() -> ExitCode {
    match main_inner() {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`rdmaipctl monitor | head -1`): not an error.
        Err(e) if is_closed_output(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // The usage, already on stderr, says it all.
            if !matches!(e, Error::NoCommand) {
                eprintln!("rdmaipctl: {e}");
            }
            if matches!(e, Error::Usage(_)) {
                eprintln!("Try \"rdmaipctl help\".");
            }
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(255))
        }
    }
}
