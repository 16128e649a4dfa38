// SPDX-License-Identifier: GPL-2.0

//! rdmaip_cmtest: a test module for rdmaip's RDMA CM notification.
//!
//! Binds rdma_cm ids to addresses (listening, bound, connected), counts
//! the events each id receives, and reports them in debugfs, so that the
//! lab tests can check that every id bound to a moved address gets exactly
//! one `RDMA_CM_EVENT_ADDR_CHANGE` per move, that no other id gets one, that
//! no id hears anything after it was destroyed, and that destroying ids
//! while addresses move is safe. See `selftests/lab/test_cm.py`.
//!
//! `/sys/kernel/debug/rdmaip_cmtest/`:
//!
//! - `control` (write one command per write):
//!   `listen NAME ADDR PORT`, `bind NAME ADDR [PORT]`,
//!   `connect NAME SRCADDR DSTADDR PORT`, `destroy NAME`,
//!   `destroy-on NAME EVENT[,EVENT...]|none`, `reset`,
//!   `stress ADDR SECONDS` (returns when done).
//! - `ids`: one line per id, then `late_events=N` and `stress ...`.
//! - `moves` (rdmaip's move notifier) and `group` (write a group name, read its ports and addresses).
//!
//! Layout: `cm`, `debugfs`, `sys` and `rdmaip_api` are thin wrappers that
//! hold all of the `unsafe` code; `ids` and `api_files` are safe code.

use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

mod api_files;
mod cm;
mod debugfs;
mod ffi;
mod ids;
// The notifier block wrapper rdmaip.ko uses too.
#[path = "../../rdmaip/sys/notifier.rs"]
mod notifier;
mod rdmaip_api;
// The stack string rdmaip.ko uses too.
#[path = "../../rdmaip/sys/stack_string.rs"]
mod stack_string;
mod sys;
mod text;

use debugfs::{DebugFile, Dir};
use ids::Tester;
use text::Out;

module! {
    type: RdmaipCmtest,
    name: "rdmaip_cmtest",
    author: "rdmaip developers",
    description: "rdmaip selftest: rdma_cm ids and the events they receive, in debugfs",
    license: "GPL",
}

/// `control`: one command per write.
struct Control(Arc<Tester>);

impl DebugFile for Control {
    const WRITABLE: bool = true;

    fn show(&self, out: &mut Out) -> Result {
        use core::fmt::Write;
        out.write_str(
            "listen NAME ADDR PORT\nbind NAME ADDR [PORT]\nconnect NAME SRCADDR DSTADDR PORT\n\
             destroy NAME\ndestroy-on NAME EVENT[,EVENT...]|none\nreset\nstress ADDR SECONDS\n",
        )
        .map_err(|_| ENOMEM)
    }

    fn write(&self, input: &str) -> Result {
        self.0.command(input)
    }
}

/// `ids`: the report.
struct Ids(Arc<Tester>);

impl DebugFile for Ids {
    const WRITABLE: bool = false;

    fn show(&self, out: &mut Out) -> Result {
        self.0.report(out)
    }
}

struct RdmaipCmtest {
    tester: Arc<Tester>,
    // Removed first in `drop`: no command runs afterwards.
    dir: Option<Dir>,
    // Unregistered second, before the ids go.
    moves: Option<Pin<KBox<rdmaip_api::MoveNotifier<Arc<api_files::MoveLog>>>>>,
}

impl kernel::Module for RdmaipCmtest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let tester = Tester::new()?;
        let mut dir = Dir::new(c_str!("rdmaip_cmtest"))?;
        dir.file(c_str!("control"), Control(tester.clone()))?;
        dir.file(c_str!("ids"), Ids(tester.clone()))?;
        let log = api_files::MoveLog::new()?;
        dir.file(c_str!("moves"), api_files::Moves(log.clone()))?;
        dir.file(c_str!("group"), api_files::Group::new()?)?;
        let moves = rdmaip_api::register(log)?;
        pr_info!("loaded\n");
        Ok(Self {
            tester,
            dir: Some(dir),
            moves: Some(moves),
        })
    }
}

impl Drop for RdmaipCmtest {
    fn drop(&mut self) {
        drop(self.dir.take());
        drop(self.moves.take());
        // Destroys every id still alive, then frees the contexts.
        self.tester.shutdown();
        pr_info!("unloaded\n");
    }
}
