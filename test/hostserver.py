"""hostserver.py: server.py, the host-side peer of nettests, on free 127.0.0.1 ports (standard library only).

The tests, the benchmark and the grader all start it the same way:

    srv = hostserver.HostServer("server.log")
    srv.wait_ready()
    ... boot a guest with srv.make_vars(), run srv.nettests() in it ...
    srv.stop()

It is stopped by its PID, never by name.
"""

import os
import signal
import subprocess
import sys
import time

import qemu

SERVER = os.path.join(qemu.REPO, "server.py")
READY = "server.py: ready"
START_SECONDS = 10     # for server.py to print its ready line
STOP_SECONDS = 5       # between SIGTERM and SIGKILL

# The Makefile variables naming server.py's ports: where nettests finds it
# (SERVERPORT, DNSPORT) and the two that QEMU forwards into the guest.
PORT_VARS = ("SERVERPORT", "DNSPORT", "FWDPORT", "FWDPORT2")
# Its optional TCP services (HTTP of pattern bytes, echo, sink): server.py's docstring.
TCP_PORT_VARS = ("HTTPPORT", "ECHOPORT", "SINKPORT")


class ServerError(Exception):
    """server.py exited or stayed silent instead of getting ready."""


class HostServer:
    """server.py on `ports` (a dict keyed by PORT_VARS; free ones by
    default), writing its output to log_path."""

    def __init__(self, log_path, ports=None, verbose=False, tcp=False):
        self.ports = dict(ports) if ports else dict(zip(PORT_VARS, qemu.free_ports(4, "udp")))
        if tcp:
            self.ports.update(zip(TCP_PORT_VARS, qemu.free_ports(3, "tcp")))
        tcp_args = []
        for var, opt in zip(TCP_PORT_VARS, ("--http-port", "--echo-port", "--sink-port")):
            if var in self.ports:
                tcp_args += [opt, str(self.ports[var])]
        self.log_path = log_path
        self.cmd = [sys.executable, SERVER,
                    "--port", str(self.ports["SERVERPORT"]),
                    "--dns-port", str(self.ports["DNSPORT"]),
                    "--fwd-port", str(self.ports["FWDPORT"]),
                    "--fwd-port2", str(self.ports["FWDPORT2"])] + tcp_args + \
            (["-v"] if verbose else [])
        with open(log_path, "w") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=qemu.REPO, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout=START_SECONDS):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if READY in self.output():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise ServerError("server.py did not start (log %s):\n%s" % (self.log_path, self.output()))

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def make_vars(self, **extra):
        """Make variables for a guest that reaches this server."""
        return dict(FWDPORT=self.ports["FWDPORT"], FWDPORT2=self.ports["FWDPORT2"], **extra)

    def nettests(self, names=()):
        """The nettests command line that reaches this server."""
        return " ".join(["nettests -p %d -d %d" % (self.ports["SERVERPORT"], self.ports["DNSPORT"])]
                        + list(names))

    def stop(self):
        """SIGTERM by PID, SIGKILL if it lingers; server.py's exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode
