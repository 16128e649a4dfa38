#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Command agent of an rdmaip lab VM, forked by guest-init.py (PID 1).

Talks to the host (selftests/lab/rdmaiplab/qemu.py) over the virtio-serial
port named "ctl", one line per message, ASCII only:

  guest -> host  READY [<base64 of setup errors>]      once, when listening
  host -> guest  <id> <timeout seconds, 0 = none> <base64 of a bash command>
  guest -> host  <id> <rc> <base64 of combined stdout and stderr>

Every command runs in its own thread as `bash -c`, in its own session, with the
repository as cwd, so several may run at once and replies may come back out of
order. Output goes to a file, not a pipe: a command that leaves a background
process behind (`rping -s ... &`) is finished when its bash exits, whatever the
background process does with the inherited output. On timeout the whole
session is killed and rc is 124.
"""

import base64
import os
import signal
import subprocess
import sys
import threading
import time

TIMEOUT_RC = 124
ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
    "SHELL": "/bin/bash",
    "USER": "root",
    "LOGNAME": "root",
}
OUT_DIR = "/run/lab/agent"


def find_port(name, deadline):
    """Path of the virtio-serial port called name (no udev: look in sysfs)."""
    while True:
        base = "/sys/class/virtio-ports"
        try:
            for port in sorted(os.listdir(base)):
                try:
                    with open(os.path.join(base, port, "name")) as f:
                        if f.read().strip() == name:
                            return "/dev/" + port
                except OSError:
                    pass
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"guest-agent: no virtio port named {name!r}")
        time.sleep(0.1)


class Agent:
    def __init__(self, fd, cwd, out_dir):
        self.fd = fd
        self.cwd = cwd
        self.out_dir = out_dir
        self.wlock = threading.Lock()

    def send(self, line):
        data = (line + "\n").encode()
        with self.wlock:
            while data:
                n = os.write(self.fd, data)
                data = data[n:]

    def reply(self, cid, rc, out):
        self.send(f"{cid} {rc} {base64.b64encode(out).decode()}")

    def run(self, cid, timeout, cmd):
        # (tempfile is not imported: it alone adds 0.3 s to the boot.)
        out_path = os.path.join(self.out_dir, f"{cid}.out")
        out_fd = os.open(out_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            try:
                proc = subprocess.Popen(
                    ["/bin/bash", "-c", cmd],
                    stdin=subprocess.DEVNULL, stdout=out_fd, stderr=out_fd,
                    cwd=self.cwd, env=ENV, start_new_session=True)
            except OSError as e:
                self.reply(cid, 127, f"guest-agent: cannot run bash: {e}\n".encode())
                return
            note = b""
            try:
                rc = proc.wait(timeout=timeout or None)
            except subprocess.TimeoutExpired:
                # The session holds everything the command started.
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
                rc = TIMEOUT_RC
                note = f"\n[guest-agent: timed out after {timeout:g}s, killed]\n".encode()
            if rc < 0:  # killed by a signal: report it the way a shell does
                rc = 128 - rc
            with open(out_path, "rb") as f:
                out = f.read()
            self.reply(cid, rc, out + note)
        except Exception as e:  # never leave the host waiting for this id
            self.reply(cid, 255, f"guest-agent: internal error: {e!r}\n".encode())
        finally:
            os.close(out_fd)
            os.unlink(out_path)

    def handle(self, line):
        parts = line.split(" ")
        try:
            cid = int(parts[0])
            timeout = float(parts[1])
            cmd = base64.b64decode(parts[2] if len(parts) > 2 else "", validate=True).decode()
            if len(parts) > 3:
                raise ValueError("extra fields")
        except (ValueError, IndexError) as e:
            cid = parts[0] if parts and parts[0].isdigit() else 0
            self.reply(cid, 255, f"guest-agent: bad request {line[:80]!r}: {e}\n".encode())
            return
        threading.Thread(target=self.run, args=(cid, timeout, cmd), daemon=True).start()

    def serve(self, ready):
        self.send(ready)
        buf = b""
        while True:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                # Host not connected (or went away): reads return 0 at once.
                time.sleep(0.2)
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.decode(errors="replace").strip()
                if line:
                    self.handle(line)


def serve(path, errors="", cwd=None, out_dir=OUT_DIR):
    """Open the port at path, announce READY (with setup errors), serve."""
    os.makedirs(out_dir, exist_ok=True)
    fd = os.open(path, os.O_RDWR)
    errors = errors.encode()
    ready = "READY" + (" " + base64.b64encode(errors).decode() if errors.strip() else "")
    print(f"guest-agent: serving on {path}", file=sys.stderr, flush=True)
    Agent(fd, cwd or os.getcwd(), out_dir).serve(ready)


def main():
    """Standalone use, for testing on the host: guest_agent.py --device PTY."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", default="ctl", help="virtio-serial port name")
    ap.add_argument("--device", help="use this character device instead")
    ap.add_argument("--cwd", default=os.getcwd())
    ap.add_argument("--out-dir", default=OUT_DIR, help="where command output is kept")
    args = ap.parse_args()
    path = args.device or find_port(args.port, time.monotonic() + 30)
    serve(path, "", args.cwd, args.out_dir)


if __name__ == "__main__":
    main()
