// SPDX-License-Identifier: GPL-2.0

//! The binary itself on command lines it must refuse or answer without a
//! kernel: the exit status, and an error that names the bad word. Parsing
//! comes before the socket is opened, so none of this needs the rdmaip
//! module.

use std::process::{Command, Output};

fn rdmaipctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rdmaipctl"))
        .args(args)
        .output()
        .expect("running rdmaipctl")
}

fn refused(args: &[&str]) -> String {
    let out = rdmaipctl(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.ends_with("Try \"rdmaipctl help\".\n"), "{err}");
    err.lines().next().unwrap().to_string()
}

#[test]
fn module_set_names_the_bad_word() {
    assert_eq!(
        refused(&["module", "set", "peer-notify", "maybe"]),
        "rdmaipctl: module set: peer-notify: expected on or off, not \"maybe\""
    );
    assert_eq!(
        refused(&["module", "set", "peer-notiffy", "on"]),
        "rdmaipctl: module set: unknown argument \"peer-notiffy\" (expected peer-notify)"
    );
    assert_eq!(
        refused(&["module", "set"]),
        "rdmaipctl: module set: nothing to set (give peer-notify)"
    );
    assert_eq!(
        refused(&["module", "show", "extra"]),
        "rdmaipctl: module show: unexpected argument \"extra\""
    );
    assert_eq!(
        refused(&["m"]),
        "rdmaipctl: ambiguous object \"m\": could be module, monitor"
    );
}

#[test]
fn help_lists_the_module_commands() {
    for args in [&["help"][..], &["module", "help"], &["-h"]] {
        let out = rdmaipctl(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("OBJECT := { group | port | addr | module | monitor | help }"));
        assert!(text.contains("  rdmaipctl module show\n"));
        assert!(text.contains("  rdmaipctl module set peer-notify { on | off }\n"));
    }
}
