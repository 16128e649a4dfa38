#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Netlink fuzz test: random and malformed messages to rdmaip's generic
netlink family on node A (genl_fuzz.py, inside the node), first as root,
then as an unprivileged user. The module must answer every request, send
only well-formed replies, refuse every change from the unprivileged user
with EPERM, and keep working: rdmaipctl shows the same configuration
afterwards, and the kernel reports nothing (run_in_lab checks the console).

As root the fuzz makes real changes too (valid names and values are part
of the mix: groups created and deleted, ports added, removed, drained), so
after it the configuration is re-created (every group deleted, g0 made
again with the same settings and ports) and must then equal the one from
before the fuzz. The unprivileged phase may change nothing: its
configuration is compared with no re-creation.

RDMAIP_SEED (default 1) seeds the messages, RDMAIP_FUZZ_COUNT (default
600) is the number of messages of each phase; the same messages are sent in
both phases.
"""

import base64
import json
import os
import re
import sys
import time

import yaml

from rdmaiplab.group import setup_group, wait_port_up
from rdmaiplab.nodes import setup_nic
from rdmaiplab.paths import LAB_TESTS, RDMAIPCTL as R, ROOT
from rdmaiplab.runner import run_in_lab

SPEC = os.path.join(ROOT, "Documentation", "netlink", "specs", "rdmaip.yaml")
FUZZER = os.path.join(LAB_TESTS, "genl_fuzz.py")
MODEL = "/tmp/fuzz-model.json"
NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
SEED = int(os.environ.get("RDMAIP_SEED", "1"))
COUNT = int(os.environ.get("RDMAIP_FUZZ_COUNT", "600"))
A = "a"


def spec_model(path=SPEC):
    """The family as genl_fuzz.py needs it: operations (number, attribute
    set, request attributes of do and dump, admin-perm) and attribute sets
    (number, type, checks with constants resolved). Numbers follow the
    YAML's rules, as ynl-gen does: from 1 unless a value is given."""
    with open(path) as f:
        spec = yaml.safe_load(f)
    consts = {d["name"]: d["value"] for d in spec.get("definitions", []) if d["type"] == "const"}
    sets = {}
    for s in spec["attribute-sets"]:
        attrs, value = [], 1
        for a in s["attributes"]:
            value = a.get("value", value)
            checks = {k: consts.get(v, v) for k, v in a.get("checks", {}).items()}
            attrs.append({"name": a["name"], "value": value, "type": a["type"], "checks": checks})
            value += 1
        sets[s["name"]] = attrs

    def request(mode):
        # None: the operation has no such mode; else its request attributes.
        return None if mode is None else mode.get("request", {}).get("attributes", [])

    ops, value = [], 1
    for o in spec["operations"]["list"]:
        value = o.get("value", value)
        ops.append({"name": o["name"], "value": value, "set": o["attribute-set"],
                    "admin": "admin-perm" in o.get("flags", []),
                    "do": request(o.get("do")), "dump": request(o.get("dump"))})
        value += 1
    return {"family": spec["name"], "ops": ops, "sets": sets}


def config(lab):
    """What rdmaipctl shows, each list in a fixed order."""
    out = {}
    for what in ("group", "port", "addr"):
        items = json.loads(lab.check(A, f"{R} -j {what} show") or "[]")
        out[what] = sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
    return out


def setup(lab):
    for nic in (1, 2):
        setup_nic(lab, A, nic)
    setup_group(lab, A)
    for nic in (1, 2):
        wait_port_up(lab, A, nic)
    model = base64.b64encode(json.dumps(spec_model()).encode()).decode()
    lab.check(A, f"echo {model} | base64 -d > {MODEL}")
    return config(lab)


def fuzz(lab, tap, who, prefix=""):
    """Runs the fuzzer on node A; reports its counts; returns its summary."""
    cmd = f"{prefix} python3 -B {FUZZER} {MODEL} --seed {SEED} --count {COUNT}"
    rc, out = lab.exec(A, cmd, timeout=120 + COUNT)
    lines = out.strip().splitlines()
    if rc != 0 or not lines or not lines[-1].startswith("{"):
        # A crash: the last progress mark in the kernel log says where.
        marks = re.findall(r"genl_fuzz: seed (\d+) message (\d+)", lab.console(A))
        where = f"; last mark: seed {marks[-1][0]} message {marks[-1][1]} (replay with --only)" if marks else ""
        raise AssertionError(f"fuzzer failed (rc {rc}){where}:\n{out[-3000:]}")
    s = json.loads(lines[-1])
    errors = ", ".join(f"{k} {v}" for k, v in sorted(s["errors"].items(), key=lambda kv: -kv[1]))
    tap.diag(f"{who}: seed {SEED}, {s['sent']} sent ({COUNT} built); {s['answered']} answered; "
             f"{s['must_answer']} had to be answered, {s['unanswered']} were not; "
             f"{s['optional']} without NLM_F_ACK (answer optional), "
             f"{s['not_answerable']} with a broken netlink header (dropped by the kernel)")
    tap.diag(f"{who}: {s['acks']} acks, {s['dumps_done']} dumps ended, {s['replies']} replies "
             f"({s['malformed_replies']} malformed), {s['late']} stray answers; errors: {errors}")
    if s["send_errors"]:
        tap.diag(f"{who}: refused by send(): {s['send_errors']}")
    tap.diag(f"{who}: cases: {s['cases']}")
    tap.diag(f"{who}: carried out (ack 0 or dump end): {s['done']}")
    if s["eperm_expected"]:
        tap.diag(f"{who}: admin-perm requests refused with EPERM: {s['eperm_seen']} of {s['eperm_expected']}; "
                 f"{s['refused_by_header_check']} more refused earlier by genetlink's header check (EINVAL)")
    replay = f"python3 {FUZZER} {MODEL} --seed {SEED} --only I"
    assert not s["problems"], f"rule broken (replay: {replay}):\n" + "\n".join(map(json.dumps, s["problems"]))
    assert s["unanswered"] == 0 and s["malformed_replies"] == 0, s
    return s


def fuzz_root(lab, tap):
    fuzz(lab, tap, "root")


def recreate(lab, want):
    """Deletes every group and makes g0 again as it was."""
    g0 = next(g for g in want["group"] if g["group"] == "g0")
    cmds = [f"{R} group del {g['group']}" for g in config(lab)["group"]]
    cmds.append(f"{R} group add g0 failback {'on' if g0['failback'] else 'off'} "
                f"failback-delay {g0['failback_delay_ms']}ms hold-down-max {g0['hold_down_max_ms']}ms "
                f"announce-count {g0['announce_count']} announce-interval {g0['announce_interval_ms']}ms")
    cmds.append(f"{R} port add {' '.join(g0['ports'])} group g0")
    cmds += [f"{R} port undrain {p}" for p in g0["ports"]]
    lab.check(A, " && ".join(cmds))


def same_config(lab, want, timeout=20):
    """Waits (bounded) until rdmaipctl shows `want`: ports come up and
    addresses come home asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        have = config(lab)
        if have == want:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"configuration differs:\nbefore {json.dumps(want)}\nafter  {json.dumps(have)}")
        time.sleep(1)


def after_root(lab, want):
    recreate(lab, want)
    same_config(lab, want)


def fuzz_unprivileged(lab, tap):
    s = fuzz(lab, tap, "unprivileged", prefix=NOBODY)
    assert not s["privileged"], "the fuzzer kept CAP_NET_ADMIN"
    assert s["eperm_expected"] > 0 and s["eperm_seen"] == s["eperm_expected"], s


def steps(tap, lab):
    want = tap.run("setup: node A with rxe on both NICs, rdmaip loaded, group g0 of rxe0/1 and rxe1/1",
                   setup, lab)
    if want is None:
        return
    tap.run("fuzz as root: every request answered, every reply well-formed", fuzz_root, lab, tap)
    tap.run("after the root fuzz: rdmaipctl works, g0 re-created, same configuration as before",
            after_root, lab, want)
    tap.run("fuzz unprivileged: every request answered, every admin-perm request refused with EPERM",
            fuzz_unprivileged, lab, tap)
    tap.run("after the unprivileged fuzz: same configuration (group, port, addr show)",
            same_config, lab, want, 5)


def main():
    return run_in_lab(steps)


if __name__ == "__main__":
    sys.exit(main())
