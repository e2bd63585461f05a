"""test_bench.py: the smoke version of `make bench` runs and writes a complete, self-consistent report."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from run_tests import CARDS, REPO, test

BENCH = os.path.join(REPO, "tools", "bench.py")
BENCH_TIMEOUT = 300


def positive(t, value, what):
    t.check(isinstance(value, (int, float)) and value > 0,
            "%s should be a positive number, the report has %r" % (what, value))


def check_rtt(t, rtt, plan):
    t.check(rtt["count"] == plan["rtt_count"] and 0 <= rtt["lost"] < rtt["count"],
            "rtt: %d lost of %d sent (plan: %d)" % (rtt["lost"], rtt["count"], plan["rtt_count"]))
    positive(t, rtt["median_us"], "rtt median")
    t.check(rtt["median_us"] <= rtt["p90_us"] <= rtt["p99_us"] <= rtt["max_us"],
            "rtt percentiles out of order: %s" % rtt)


def check_echo(t, echo, plan):
    t.check([e["size"] for e in echo] == list(plan["echo_sizes"]),
            "echo runs for sizes %s, planned %s" % ([e["size"] for e in echo], plan["echo_sizes"]))
    for e in echo:
        t.check(0 < e["echoed"] <= e["sent"] and e["echoed"] + e["lost"] <= e["sent"],
                "echo %d B: %d echoed, %d lost of %d sent" % (e["size"], e["echoed"], e["lost"], e["sent"]))
        t.check(abs(e["echoes_per_s"] * e["seconds"] - e["echoed"]) < 1,
                "echo %d B: rate %.1f/s over %.3f s does not give %d echoes"
                % (e["size"], e["echoes_per_s"], e["seconds"], e["echoed"]))
        t.check(abs(e["mbit_per_s"] - e["echoes_per_s"] * e["size"] * 8 / 1e6) < 1e-6,
                "echo %d B: Mbit/s does not match echoes/s" % e["size"])
        if e["qemu_cpu_us_per_echo"] is not None:
            positive(t, e["qemu_cpu_us_per_echo"], "QEMU CPU time per echo")


def check_rx(t, rx, plan):
    steps = rx["steps"]
    t.check(steps and [s["rate"] for s in steps] == list(plan["rx_rates"][:len(steps)]),
            "rx steps %s do not follow the planned rates %s" % (steps, plan["rx_rates"]))
    for s in steps:
        t.check(0 <= s["received"] <= s["sent"],
                "rx at %d/s: %d received of %d sent" % (s["rate"], s["received"], s["sent"]))
    clean = [s["rate"] for s in steps if s["received"] == s["sent"]]
    t.check(rx["zero_loss_rate"] in [0] + clean,
            "zero-loss rate %s is not a step without loss (%s)" % (rx["zero_loss_rate"], steps))
    low = [s["rate"] for s in steps if (s["sent"] - s["received"]) <= 0.01 * s["sent"]]
    t.check(rx["low_loss_rate"] in [0] + low and rx["low_loss_rate"] >= rx["zero_loss_rate"],
            "low-loss rate %s is not a step losing at most 1%% at or above the zero-loss "
            "rate %s (%s)" % (rx["low_loss_rate"], rx["zero_loss_rate"], steps))


def check_tx(t, tx, plan):
    t.check(tx["count"] == plan["tx_count"] and 0 < tx["received"] <= tx["count"],
            "tx: %d received of %d sent" % (tx["received"], tx["count"]))
    positive(t, tx["per_s"], "transmit rate")


def check_tcp(t, tcp, plan):
    for kind in ("new", "keep"):
        positive(t, tcp[kind]["requests"], "TCP %s-connection requests" % kind)
        positive(t, tcp[kind]["qemu_cpu_ms_per_req"], "QEMU CPU per %s request" % kind)
    s = tcp["serial"]
    t.check(0 < s["keepalive_ms"] and abs(s["new_ms"] - s["keepalive_ms"] - s["setup_ms"]) < 1e-6,
            "TCP serial times inconsistent: %s" % s)
    for key in ("down_mbit", "up_mbit", "down_cpu_s_per_mb", "up_cpu_s_per_mb"):
        positive(t, tcp[key], "TCP bulk " + key)
    files = tcp["files"]
    t.check(sorted(files) == ["16m", "1m"], "file downloads measured: %s, not 1m and 16m" % sorted(files))
    for key, f in files.items():
        for when in ("cold", "warm"):
            positive(t, f[when]["mbit"], "%s download (%s) Mbit/s" % (key, when))
            positive(t, f[when]["cpu_s_per_mb"], "%s download (%s) QEMU CPU per MB" % (key, when))
        t.check(f["cold"]["disk_blocks"] >= f["size"] // 1024,
                "the first %s download read %d blocks from disk: it should read the whole file"
                % (key, f["cold"]["disk_blocks"]))


@test("bench", "make bench's smoke version: one boot, few datagrams; every figure present and consistent", cards=CARDS)
def bench(t):
    out = tempfile.mkdtemp(prefix="xv6-net-bench-test-")
    try:
        nic = t.nic or "e1000"
        cmd = [sys.executable, BENCH, "--smoke", "--nics", nic, "--out", out]
        t.step("$ " + " ".join(cmd[1:]))
        try:
            res = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 universal_newlines=True, timeout=BENCH_TIMEOUT)
        except subprocess.TimeoutExpired:
            t.check(False, "tools/bench.py --smoke took more than %d s" % BENCH_TIMEOUT)
        t.step(res.stdout.strip()[-2000:])
        t.check(res.returncode == 0, "tools/bench.py --smoke exited with %d" % res.returncode)

        with open(os.path.join(out, "results.json")) as f:
            report = json.load(f)
        with open(os.path.join(out, "results.md")) as f:
            table = f.read()
        plan = report["plan"]
        t.check(list(report["cards"]) == [nic], "the report covers %s, not just %s"
                % (list(report["cards"]), nic))
        card = report["cards"][nic]
        runs = card["runs"]["real"]
        t.check(len(runs) == 1 and report["boots"] == 1, "the smoke run should boot once")
        run = runs[0]
        positive(t, run["boot_s"], "boot time")
        check_rtt(t, run["rtt"], plan)
        check_echo(t, run["echo"], plan)
        check_rx(t, run["rx"], plan)
        check_tx(t, run["tx"], plan)
        check_tcp(t, run["tcp"], plan)
        for key in ("load_before", "load_after"):
            t.check(run[key] >= 0, "%s should be a load average, got %r" % (key, run[key]))

        summary = card["real"]
        t.check(summary["rtt_median_us"] == run["rtt"]["median_us"] and
                summary["echo64_per_s"] == run["echo"][0]["echoes_per_s"],
                "with one boot the medians should be that boot's figures")
        for label in ("RTT median", "echo 64 B", "receive, highest rate", "transmit",
                      "boot to first", "Load average", "TCP: HTTP 1 KiB", "download",
                      "big.bin (1 MiB)", "big16.bin (16 MiB)"):
            t.check(label in table, "results.md lacks the %r line" % label)
        t.note("smoke figures: RTT median %.0f us, echo 64 B %.0f/s"
               % (summary["rtt_median_us"], summary["echo64_per_s"]))
    finally:
        shutil.rmtree(out, ignore_errors=True)
