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
        refused(&["link"]),
        "rdmaipctl: unknown object \"link\" (expected group, port, addr, probe, module, monitor, config, help)"
    );
}

#[test]
fn no_arguments_prints_the_usage_and_exits_255() {
    for args in [&[][..], &["-j"]] {
        let out = rdmaipctl(args);
        assert_eq!(out.status.code(), Some(255), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("Usage: rdmaipctl "), "{err}");
    }
}

#[test]
fn object_help_needs_no_kernel() {
    let out = rdmaipctl(&["group", "help"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Usage: rdmaipctl group add NAME [SETTINGS]\n"));
    assert!(!text.contains("port drain"));
}

#[test]
fn batch_names_the_file_and_line_of_a_bad_command() {
    let dir = std::env::temp_dir().join(format!("rdmaipctl-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.conf");
    std::fs::write(
        &file,
        "# a comment\ngroup add g0\n\nport add rxe0/1 group g0 rxe0/red\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    // Every line is read before anything is sent: no kernel is needed.
    let out = rdmaipctl(&["-batch", file]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!("rdmaipctl: {file}:4: port add: invalid port name \"rxe0/red\": expected DEVICE/PORT, e.g. rxe0/1, or a netdev, e.g. eth2\n")
    );
    // A word without / is a netdev: looked up in the RDMA ports (over
    // RDMA netlink, not rdmaip's family) before anything is sent.
    let by_netdev = dir.join("netdev.conf");
    std::fs::write(
        &by_netdev,
        "group add g0\nport add rxe0/1 colour group g0\n",
    )
    .unwrap();
    let by_netdev = by_netdev.to_str().unwrap();
    let out = rdmaipctl(&["-batch", by_netdev]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "rdmaipctl: {by_netdev}:2: port \"colour\": no RDMA port uses netdev colour \
             (name it <device>/<port> to have it wait for its device)\n"
        )
    );
    let out = rdmaipctl(&["-batch", "/nonexistent/rdmaip.conf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("rdmaipctl: /nonexistent/rdmaip.conf: No such file"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_lists_the_module_commands() {
    for args in [&["help"][..], &["module", "help"], &["-h"]] {
        let out = rdmaipctl(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        if args != ["module", "help"] {
            assert!(text.contains(
                "OBJECT := { group | port | addr | probe | module | monitor | config | help }"
            ));
        }
        assert!(text.contains("rdmaipctl module show\n"));
        assert!(text.contains("rdmaipctl module set peer-notify { on | off }\n"));
    }
}
