# SPDX-License-Identifier: GPL-2.0
"""Sends random and malformed generic netlink messages to the rdmaip family
and checks every answer (Python standard library only). Runs inside a lab
node, as root or as an unprivileged user:

    python3 genl_fuzz.py MODEL.json [--seed S] [--count N] [--only I] [--timeout T]

MODEL.json describes the family's commands and attributes (numbers, types,
checks, admin-perm); selftests/lab/test_fuzz.py makes it from the YAML spec
(by hand, on the host: cd selftests/lab && python3 -c "import json, test_fuzz;
print(json.dumps(test_fuzz.spec_model()))" > MODEL.json).
Message I of seed S depends on nothing else (its own random generator), so
`--only I` replays it alone. Prints one JSON line of counts at the end, with
the messages that broke a rule (hex, to replay by hand).

Rules checked, per message:
- a message the kernel must answer (framing intact and NLM_F_ACK, or a
  dump request) gets an NLMSG_ERROR or NLMSG_DONE within the timeout;
- every reply parses: its attributes fill it exactly;
- without CAP_NET_ADMIN, a request for an admin-perm command is refused
  with EPERM (and no admin-perm command is ever acknowledged with 0).
"""

import argparse
import errno
import json
import os
import random
import select
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from genl_raw import NETLINK_EXT_ACK, NETLINK_GENERIC, SOL_NETLINK, family_id  # noqa: E402

NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE = 1, 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_ECHO = 0x1, 0x2, 0x4, 0x8
NLM_F_DUMP = 0x300  # ROOT | MATCH: genetlink takes a dump only with both
NLA_F_NESTED, NLA_F_NET_BYTEORDER = 0x8000, 0x4000
HDR, GENL_HDR = 16, 4
CAP_NET_ADMIN = 12
# Family ids genetlink never hands out (GENL_MAX_ID is 1023): ENOENT.
UNKNOWN_FAMILIES = (1024, 0x7FFF, 0xFFFF)
ERRNO_NAMES = {errno.EOPNOTSUPP: "EOPNOTSUPP"}  # errorcode says ENOTSUP, its alias

# Names the requests use: real ones (so that valid changes and lookups
# happen, as root), unknown ones, and invalid ones. Valid group names are
# few on purpose: root may create groups, and the test deletes them after.
GROUP_NAMES = [b"g0", b"g1", b"fz", b"fz.1-_", b"x" * 15, b"nosuch", b"", b"bad name",
               b"x" * 16, b"g0/", b"\xff\xfe"]
PORT_NAMES = [b"rxe0/1", b"rxe1/1", b"rxe0/2", b"rxe9/1", b"rxe0/0", b"rxe1/999", b"eth0",
              b"/", b"rxe0/", b"/1", b"rxe0/1/1", b"rxe0/-1", b"r" * 63 + b"/255"]


def nla(kind, payload, flags=0, length=None):
    """One attribute; `length` overrides nla_len (padding still follows the
    payload, so the stream can lie about its own layout)."""
    n = 4 + len(payload) if length is None else length
    return struct.pack("HH", n & 0xFFFF, kind | flags) + payload + b"\0" * (-len(payload) % 4)


def nlmsg(mtype, flags, seq, body, length=None, pid=0):
    n = HDR + len(body) if length is None else length
    return struct.pack("IHHII", n, mtype, flags, seq, pid) + body


def genl(cmd, payload, version=1, reserved=0):
    return struct.pack("BBH", cmd, version, reserved) + payload


class Gen:
    """Builds message `i`: one random case, from the model."""

    def __init__(self, model, fam, rng):
        self.model, self.fam, self.rng = model, fam, rng
        self.ops = [o for o in model["ops"] if o["do"] is not None or o["dump"] is not None]
        self.max_cmd = max(o["value"] for o in model["ops"])

    def attr_set(self, op):
        return self.model["sets"][op["set"]]

    def pick(self):
        """A real operation and one of its modes ("do" or "dump")."""
        op = self.rng.choice(self.ops)
        modes = [m for m in ("do", "dump") if op[m] is not None]
        return op, self.rng.choice(modes)

    def request_attrs(self, op, mode):
        names = op[mode]
        return [a for a in self.attr_set(op) if a["name"] in names]

    def good(self, setname, a):
        """A value that passes the policy (and often names something real)."""
        rng, t, c = self.rng, a["type"], a["checks"]
        if t == "string":
            port = "port" in a["name"] or (setname == "port" and a["name"] == "name")
            return rng.choice(PORT_NAMES[:6] if port else GROUP_NAMES[:6]) + b"\0"
        if t == "u8":
            return struct.pack("B", rng.randint(c.get("min", 0), c.get("max", 255)))
        if t in ("u32", "uint"):
            hi = min(c.get("max", 0xFFFFFFFF), 0xFFFFFFFF)
            v = rng.choice([c.get("min", 0), hi, rng.randint(c.get("min", 0), hi)])
            return struct.pack("Q" if t == "uint" and rng.random() < 0.3 else "I", v)
        if t == "binary":
            return rng.randbytes(c.get("exact-len", rng.randint(0, 20)))
        return rng.randbytes(rng.randint(0, 8))

    def bad(self, a):
        """A value of the wrong type, length or range, or an oversize string."""
        rng, c = self.rng, a["checks"]
        max_len = c.get("max-len", 64)
        choices = [
            b"",
            rng.randbytes(rng.choice([1, 2, 3, 5, 6, 7, 9, 15, 17])),
            struct.pack("I", c.get("max", 0xFFFFFFFE) + 1),
            struct.pack("I", max(c.get("min", 1) - 1, 0)),
            struct.pack("Q", rng.getrandbits(64)),
            b"x" * (max_len + 1) + b"\0",                    # one over
            b"y" * max_len,                                  # no NUL
            b"z" * rng.randint(max_len + 2, 4000),           # oversize
            b"rxe0/1\0garbage\0",                            # NUL inside
            bytes(rng.randint(1, 255) for _ in range(rng.randint(1, 40))),
            b"\0" * rng.randint(1, 8),
        ]
        return rng.choice(choices)

    def garbage_nest(self, depth):
        """Nested attributes of random kinds, or random bytes, as payload."""
        rng = self.rng
        if depth == 0 or rng.random() < 0.3:
            return rng.randbytes(rng.randint(0, 24))
        return b"".join(nla(rng.randint(0, 20), self.garbage_nest(depth - 1),
                            flags=rng.choice([0, NLA_F_NESTED]))
                        for _ in range(rng.randint(1, 4)))

    def request(self, seq, cmd, payload, dump=False, flags=None, mtype=None, **kw):
        if flags is None:
            flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        return nlmsg(self.fam if mtype is None else mtype, flags, seq, genl(cmd, payload, **kw))

    # ---- the cases: each returns one message ----

    def valid(self, seq):
        op, mode = self.pick()
        st = op["set"]
        attrs = [a for a in self.request_attrs(op, mode) if self.rng.random() < 0.8]
        return self.request(seq, op["value"], b"".join(nla(a["value"], self.good(st, a)) for a in attrs),
                            dump=mode == "dump")

    def bad_value(self, seq):
        op, mode = self.pick()
        st, attrs = op["set"], self.request_attrs(op, mode) or self.attr_set(op)
        victim = self.rng.choice(attrs)
        payload = b"".join(nla(a["value"], self.bad(a) if a is victim else self.good(st, a))
                           for a in attrs if a is victim or self.rng.random() < 0.5)
        return self.request(seq, op["value"], payload, dump=mode == "dump")

    def unknown_attr(self, seq):
        op, mode = self.pick()
        top = max(a["value"] for a in self.attr_set(op))
        # Type 0, past the set's end, an attribute of the set the operation
        # does not take (reply-only), the largest type; with flag bits.
        kind = self.rng.choice([0, top + 1, top + self.rng.randint(2, 100), 0x3FFF,
                                self.rng.choice(self.attr_set(op))["value"]])
        flags = self.rng.choice([0, 0, NLA_F_NESTED, NLA_F_NET_BYTEORDER])
        return self.request(seq, op["value"], nla(kind, self.rng.randbytes(self.rng.randint(0, 12)), flags),
                            dump=mode == "dump")

    def unknown_cmd(self, seq):
        # 0, the notification-only commands, and everything past the last.
        events = [o["value"] for o in self.model["ops"] if o["do"] is None and o["dump"] is None]
        cmd = self.rng.choice([0, self.max_cmd + 1, 255, self.rng.randint(self.max_cmd + 1, 255)] + events)
        return self.request(seq, cmd, self.garbage_nest(1), dump=self.rng.random() < 0.3)

    def wrong_mode(self, seq):
        # NLM_F_DUMP on a doit-only command, a do on a dump-only one.
        op = self.rng.choice(self.ops)
        return self.request(seq, op["value"], b"", dump=op["dump"] is None)

    def nested(self, seq):
        op, mode = self.pick()
        a = self.rng.choice(self.attr_set(op))
        return self.request(seq, op["value"], nla(a["value"], self.garbage_nest(3), NLA_F_NESTED),
                            dump=mode == "dump")

    def bad_nla_len(self, seq):
        op, mode = self.pick()
        a = self.rng.choice(self.request_attrs(op, mode) or self.attr_set(op))
        value = self.good(op["set"], a)
        rng = self.rng
        tail = rng.choice([
            nla(a["value"], value, length=rng.choice([0, 1, 2, 3])),        # shorter than a header
            nla(a["value"], value, length=4 + len(value) + rng.randint(1, 64)),  # past the end
            nla(a["value"], value, length=0xFFFF),                          # huge
            struct.pack("H", 8)[: rng.randint(1, 2)],                       # header cut short
            struct.pack("HH", 8, a["value"]),                               # header, no payload
        ])
        return self.request(seq, op["value"], nla(a["value"], value) * rng.randint(0, 1) + tail,
                            dump=mode == "dump")

    def truncated(self, seq):
        """Headers cut short or lying about the length. The kernel drops a
        datagram shorter than a netlink header, and one whose nlmsg_len is
        below 16 or beyond the datagram, without an answer; a genetlink
        header cut short is refused (EINVAL)."""
        rng = self.rng
        full = self.valid(seq)
        kind = rng.randint(0, 3)
        if kind == 0:
            return full[:rng.randint(0, HDR - 1)]
        if kind == 1:  # only a part of the genetlink header
            body = full[HDR:HDR + rng.randint(0, GENL_HDR - 1)]
            return nlmsg(self.fam, NLM_F_REQUEST | NLM_F_ACK, seq, body)
        if kind == 2:  # nlmsg_len too small or too large
            bad = rng.choice([0, rng.randint(1, HDR - 1), len(full) + rng.randint(1, 4096), 0xFFFFFFFF])
            return struct.pack("I", bad) + full[4:]
        # Trailing junk, shorter than a header, after a whole message: the
        # kernel ignores it (a longer tail would be parsed as a message).
        return full + rng.randbytes(rng.randint(1, HDR - 1))

    def flags(self, seq):
        """A request with random netlink flags (maybe no NLM_F_REQUEST or
        no NLM_F_ACK), a random genetlink version and reserved field, and
        a random nlmsg_pid."""
        op, mode = self.pick()
        rng = self.rng
        payload = b"".join(nla(a["value"], self.good(op["set"], a)) for a in self.request_attrs(op, mode))
        # Half of them pass genetlink's header check (reserved 0, flags
        # it accepts), so that they reach the family.
        strict = rng.random() < 0.5
        flags = (rng.choice([0, NLM_F_REQUEST, NLM_F_ACK, NLM_F_ECHO, NLM_F_DUMP]) | rng.choice([0, NLM_F_REQUEST])
                 | rng.choice([0, NLM_F_ACK]) | rng.choice([0, NLM_F_ECHO])) if strict else rng.getrandbits(16)
        return nlmsg(self.fam, flags, seq,
                     genl(op["value"], payload, version=rng.getrandbits(8),
                          reserved=0 if strict else rng.choice([0, rng.getrandbits(16)])),
                     pid=rng.choice([0, rng.getrandbits(32)]))

    def other_type(self, seq):
        # Control messages (below NLMSG_MIN_TYPE) and families that do not exist.
        mtype = self.rng.choice([0, NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, 4, 15] + list(UNKNOWN_FAMILIES))
        op, mode = self.pick()
        return self.request(seq, op["value"], b"", dump=mode == "dump", mtype=mtype)

    def repeated(self, seq):
        """One attribute many times: multi-attr ports beyond a group's
        size, and duplicated single attributes."""
        op, mode = self.pick()
        attrs = self.request_attrs(op, mode) or self.attr_set(op)
        a = self.rng.choice(attrs)
        n = self.rng.choice([2, 17, self.rng.randint(3, 200)])
        return self.request(seq, op["value"], b"".join(nla(a["value"], self.good(op["set"], a)) for _ in range(n)),
                            dump=mode == "dump")

    CASES = ["valid", "bad_value", "unknown_attr", "unknown_cmd", "wrong_mode", "nested",
             "bad_nla_len", "truncated", "flags", "other_type", "repeated"]
    WEIGHTS = [4, 5, 3, 2, 2, 2, 3, 3, 2, 1, 2]

    def message(self, seq):
        case = self.rng.choices(self.CASES, self.WEIGHTS)[0]
        return case, getattr(self, case)(seq)


def header(msg):
    """(nlmsg_len, type, flags, cmd or None) if the datagram holds a whole
    netlink message the kernel will read, else None (it drops it silently)."""
    if len(msg) < HDR:
        return None
    n, mtype, flags, _seq, _pid = struct.unpack_from("IHHII", msg)
    if n < HDR or n > len(msg):
        return None
    return n, mtype, flags, msg[HDR] if n > HDR else None


def strict_header_ok(msg):
    """Whether genetlink's header check (genl_header_check(), for every
    command of a family without resv_start_op) passes: reserved field 0,
    and no netlink flags but REQUEST, ACK, ECHO and the two of DUMP."""
    flags = struct.unpack_from("H", msg, 6)[0]
    if flags & NLM_F_DUMP == NLM_F_DUMP:
        flags &= ~NLM_F_DUMP
    return struct.unpack_from("H", msg, HDR + 2)[0] == 0 and not flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)


def walk_ok(buf):
    """Whether `buf` is a stream of attributes that fills it exactly."""
    while buf:
        if len(buf) < 4:
            return False
        n = struct.unpack_from("H", buf)[0]
        if n < 4 or n > len(buf):
            return False
        buf = buf[(n + 3) & ~3:]
    return True


class Fuzzer:
    def __init__(self, model, seed, timeout):
        self.model, self.seed, self.timeout = model, seed, timeout
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.fam = family_id(self.sock, model["family"])
        # family_id() returns at the reply; its ack is still queued.
        while select.select([self.sock], [], [], 0.5)[0]:
            self.sock.recv(65536)
        self.admin = {o["value"] for o in model["ops"] if o["admin"]}
        self.names = {o["value"]: o["name"] for o in model["ops"]}
        self.privileged = has_net_admin()
        self.n = {k: 0 for k in ("sent", "must_answer", "answered", "unanswered", "not_answerable",
                                 "optional", "acks", "dumps_done", "replies", "late", "malformed_replies",
                                 "eperm_expected", "eperm_seen", "refused_by_header_check")}
        self.errors, self.send_errors, self.cases, self.done, self.problems = {}, {}, {}, {}, []
        try:
            self.kmsg = open("/dev/kmsg", "w")
        except OSError:  # unprivileged: no progress marks in the kernel log
            self.kmsg = None

    def problem(self, i, case, msg, why):
        if len(self.problems) < 20:
            self.problems.append({"i": i, "case": case, "why": why, "hex": msg.hex()})

    def run(self, indices):
        for i in indices:
            if self.kmsg and i % 250 == 0:
                # Where a crash happened, for replaying it (--only).
                print(f"genl_fuzz: seed {self.seed} message {i}", file=self.kmsg, flush=True)
            seq = 1000 + i
            case, msg = Gen(self.model, self.fam, random.Random(f"{self.seed}:{i}")).message(seq)
            self.cases[case] = self.cases.get(case, 0) + 1
            self.one(i, case, seq, msg)

    def one(self, i, case, seq, msg):
        h = header(msg)
        if h is None:
            self.n["not_answerable"] += 1
            must = False
        else:
            n, mtype, flags, cmd = h
            # A request with NLM_F_ACK, or a dump of the family, ends with
            # NLMSG_ERROR or NLMSG_DONE. Without NLM_F_ACK a success may be
            # silent: the answer is optional.
            must = bool(flags & NLM_F_ACK or (flags & NLM_F_REQUEST and mtype == self.fam
                                              and flags & NLM_F_DUMP == NLM_F_DUMP))
            self.n["must_answer" if must else "optional"] += 1
        try:
            self.sock.send(msg)
        except OSError as e:
            name = errno.errorcode.get(e.errno, str(e.errno))
            self.send_errors[name] = self.send_errors.get(name, 0) + 1
            return
        self.n["sent"] += 1
        # genetlink handles a request inside send(): an answer, if any, is
        # queued already; only the later parts of a dump come on recv.
        end, err = self.receive(i, case, msg, seq, self.timeout if must else 0, bool(h and h[2] & NLM_F_ACK))
        if end:
            self.n["answered"] += 1
        elif must:
            self.n["unanswered"] += 1
            self.problem(i, case, msg, "no answer")
        if h is None or not (h[2] & NLM_F_REQUEST and h[1] == self.fam and h[3] in self.names):
            return
        if err == 0:
            # Requests the family carried out (as root: real changes too).
            name = self.names[h[3]]
            self.done[name] = self.done.get(name, 0) + 1
        if not self.privileged and h[3] in self.admin:
            self.unprivileged_admin(i, case, msg, h, err)

    def unprivileged_admin(self, i, case, msg, h, err):
        """An admin-perm command without CAP_NET_ADMIN. As a do, genetlink
        refuses it with EPERM right after finding the op, before looking
        at the attributes; only its header check comes first (EINVAL). As
        a dump it has no op (EOPNOTSUPP). Never may it succeed."""
        n, _, flags, _ = h
        if err == 0:
            self.problem(i, case, msg, "admin command acknowledged without CAP_NET_ADMIN")
        elif flags & NLM_F_DUMP == NLM_F_DUMP or n < HDR + GENL_HDR:
            pass
        elif strict_header_ok(msg):
            self.n["eperm_expected"] += 1
            if err == -errno.EPERM:
                self.n["eperm_seen"] += 1
            else:
                self.problem(i, case, msg, f"admin command without CAP_NET_ADMIN: answer {err}")
        else:
            self.n["refused_by_header_check"] += 1
            if err != -errno.EINVAL:
                self.problem(i, case, msg, f"admin command with a bad header, unprivileged: answer {err}")

    def receive(self, i, case, msg, seq, timeout, ack_asked):
        """Reads answers to `seq` until NLMSG_ERROR/DONE (or a do's reply
        when no ack was asked for). Returns (whether the answer ended, its
        error code or None)."""
        while True:
            if not select.select([self.sock], [], [], timeout)[0]:
                return False, None
            try:
                data = self.sock.recv(1 << 20)
            except OSError as e:  # ENOBUFS: answers were lost
                self.problem(i, case, msg, f"recv: {e}")
                return False, None
            off = 0
            while off + HDR <= len(data):
                n, mtype, flags, rseq, _ = struct.unpack_from("IHHII", data, off)
                m = data[off:off + n]
                off += max((n + 3) & ~3, HDR)
                if rseq != seq:
                    self.n["late"] += 1
                    continue
                if mtype in (NLMSG_ERROR, NLMSG_DONE):
                    err = struct.unpack_from("i", m, HDR)[0] if len(m) >= HDR + 4 else None
                    if mtype == NLMSG_DONE:
                        self.n["dumps_done"] += 1
                    elif err == 0:
                        self.n["acks"] += 1
                    if err:
                        name = ERRNO_NAMES.get(-err) or errno.errorcode.get(-err, str(err))
                        self.errors[name] = self.errors.get(name, 0) + 1
                    return True, err
                self.n["replies"] += 1
                if mtype != self.fam or len(m) < HDR + GENL_HDR or not walk_ok(m[HDR + GENL_HDR:]):
                    self.n["malformed_replies"] += 1
                    self.problem(i, case, msg, f"malformed reply {m.hex()}")
                if not flags & NLM_F_MULTI and not ack_asked:
                    return True, None  # a do's reply, no ack asked for
            timeout = self.timeout  # the rest of a dump, or the ack after a reply

    def summary(self):
        return dict(self.n, seed=self.seed, privileged=self.privileged, errors=self.errors,
                    send_errors=self.send_errors, cases=self.cases, done=self.done, problems=self.problems)


def has_net_admin():
    with open("/proc/self/status") as f:
        caps = next(line for line in f if line.startswith("CapEff:"))
    return bool(int(caps.split()[1], 16) >> CAP_NET_ADMIN & 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--only", type=int, help="send message ONLY of the seed, alone")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for an answer")
    args = p.parse_args()
    with open(args.model) as f:
        model = json.load(f)
    fuzzer = Fuzzer(model, args.seed, args.timeout)
    fuzzer.run([args.only] if args.only is not None else range(args.count))
    print(json.dumps(fuzzer.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
