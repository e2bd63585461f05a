"""browser.py: headless Chromium loads httpd's / and /net from a guest, both inside one fresh network namespace.

Run as root through `unshare --net` (test_tcp.py's tcp-browser does):

    unshare --net -- python3 test/browser.py OUTDIR [NIC]

In the new namespace only loopback exists, and this script brings it up;
QEMU forwards 127.0.0.1:PORT to the guest's port 80, Chromium loads the
pages with its background networking off, and nothing either of them
tries can leave the machine.  Writes OUTDIR/index.dom, net1.dom, net2.dom
and net.png, and prints one "browser: ..." line per step.  NIC: the
Makefile's card (default: its default).
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

CHROME_TIMEOUT = 90
# Everything that would make Chromium reach out on its own, off.
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-default-apps", "--disable-sync", "--disable-extensions",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--no-default-browser-check", "--metrics-recording-only",
    "--disable-features=OptimizationHints,MediaRouter,Translate",
    "--dns-prefetch-disable", "--window-size=1100,1500",
]


def chrome(profile, *args):
    cmd = ["chromium"] + CHROME_FLAGS + ["--user-data-dir=" + profile] + list(args)
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=CHROME_TIMEOUT).stdout


def main():
    out = sys.argv[1]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    port = qemu.free_port("tcp")
    profile = tempfile.mkdtemp(prefix="chromium-")
    make_vars = {"NETDEV": "user,id=net0,hostfwd=tcp:127.0.0.1:%d-:80" % port}
    if len(sys.argv) > 2:
        make_vars["NIC"] = sys.argv[2]
    g = qemu.Guest.boot(make_vars, log_path=os.path.join(out, "tcp-browser.console.log"))
    try:
        g.wait_prompt(60)
        g.send("httpd &\n")
        g.wait_for("httpd: listening on port 80", 10)
        base = "http://127.0.0.1:%d" % port
        steps = [("index.dom", ["--dump-dom", base + "/"]),
                 ("net1.dom", ["--dump-dom", base + "/net"]),
                 ("net2.dom", ["--dump-dom", base + "/net"])]
        for name, args in steps:
            with open(os.path.join(out, name), "wb") as f:
                f.write(chrome(profile, *args))
            print("browser: %s: %d bytes" % (name, os.path.getsize(os.path.join(out, name))),
                  flush=True)
            time.sleep(1)
        shot = os.path.join(out, "net.png")
        chrome(profile, "--screenshot=" + shot, base + "/net")
        print("browser: net.png: %d bytes" % (os.path.getsize(shot) if os.path.exists(shot) else 0),
              flush=True)
    finally:
        g.close()
        subprocess.run(["rm", "-rf", profile])


if __name__ == "__main__":
    main()
