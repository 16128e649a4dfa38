# SPDX-License-Identifier: GPL-2.0
"""A minimal raw generic netlink client (Python standard library only), for
sending rdmaip requests that rdmaipctl would never build: bad types, bad
lengths, unknown attributes. Runs inside a lab node:

    python3 genl_raw.py CMD ATTR=TYPE:VALUE ...

TYPE is str, u8, u32 or hex (raw bytes). Prints "ok" or
"error <errno> <extack message>" and exits 0 either way (1 on usage errors).
"""

import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NETLINK_EXT_ACK = 11
SOL_NETLINK = 270
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NLMSGERR_ATTR_MSG = 1


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("HH", length, kind) + payload + b"\0" * (-length % 4)


def attrs(buf):
    while len(buf) >= 4:
        length, kind = struct.unpack_from("HH", buf)
        if length < 4:
            break
        yield kind & 0x3FFF, buf[4:length]
        buf = buf[(length + 3) & ~3:]


def request(sock, family, cmd, payload, seq):
    body = struct.pack("BBH", cmd, 1, 0) + payload
    msg = struct.pack("IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body
    sock.send(msg)
    while True:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, kind, _flags, rseq, _pid = struct.unpack_from("IHHII", data, off)
            msg = data[off:off + length]
            off += (length + 3) & ~3
            if rseq != seq:
                continue
            if kind == NLMSG_ERROR:
                (error,) = struct.unpack_from("i", msg, 16)
                text = ""
                # The echoed request (capped) follows, then the extack attributes.
                (orig_len,) = struct.unpack_from("I", msg, 20)
                tlv = msg[20 + (16 if _flags & 0x100 else orig_len):]
                for k, v in attrs(tlv):
                    if k == NLMSGERR_ATTR_MSG:
                        text = v.rstrip(b"\0").decode()
                return error, text
            return 0, msg


def family_id(sock, name):
    err, msg = request(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                       attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"), 1)
    if err:
        raise SystemExit(f"family {name}: error {err}")
    for k, v in attrs(msg[20:]):
        if k == CTRL_ATTR_FAMILY_ID:
            return struct.unpack("H", v[:2])[0]
    raise SystemExit("no family id")


def encode(spec):
    num, rest = spec.split("=", 1)
    kind, value = rest.split(":", 1)
    data = {
        "str": lambda v: v.encode() + b"\0",
        "u8": lambda v: struct.pack("B", int(v)),
        "u32": lambda v: struct.pack("I", int(v)),
        "hex": bytes.fromhex,
    }[kind](value)
    return attr(int(num), data)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 1
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    sock.bind((0, 0))
    fam = family_id(sock, "rdmaip")
    payload = b"".join(encode(a) for a in sys.argv[2:])
    err, text = request(sock, fam, int(sys.argv[1]), payload, 2 + os.getpid() % 1000)
    print("ok" if err == 0 else f"error {-err} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
