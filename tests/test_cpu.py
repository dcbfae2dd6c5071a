# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The cpu collector on the real kernel: two CPU-bound processes sharing one
core wait for each other, and the run-queue histogram shows it."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from harness import GROUP, MEMBER, check, check_eq, run, test_list

TESTS, test = test_list()

SPIN = "import os, time\nos.sched_setaffinity(0, {0})\nend = time.time() + 1.0\nwhile time.time() < end: pass\n"
MS = 1 << 20       # the first slot at or above a millisecond (2^20 ns)


def runq(env):
    rows = json.loads(env.user_tool("observe-hist", "--json").stdout)["runq"]
    if not rows:    # a fresh load, run-queue latency never on: no row yet
        return {"count": 0, "sum": 0, "buckets": []}
    whole = [r for r in rows if r["cgroup_id"] == 0]
    check_eq(1, len(whole), f"the machine's run-queue histogram ({rows})")
    check_eq([0], [r["cgroup_id"] for r in rows], "cgroup keys without --runq-per-cgroup")
    return whole[0]["latency_ns"]


def long_waits(lat):
    return sum(b["count"] for b in lat["buckets"] if b["low"] >= MS)


def runq_latency(env, on):
    env.user_tool("observe-filter", "enable" if on else "disable", "runq-latency")


def runq_details(env):
    return json.loads(env.user_tool("observe-hist", "--json").stdout)["details"]["runq-latency"]


@test
def two_cpu_bound_processes_on_one_core_wait_for_each_other(env):
    runq_latency(env, True)
    try:
        hogs_wait_for_each_other(env)
    finally:
        runq_latency(env, False)


@test
def runq_latency_is_off_until_asked_for_and_held_by_observe_hist(env):
    check_eq(False, runq_details(env)["on"], "run-queue latency off by default")
    before = runq(env)["count"]
    hogs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
    for hog in hogs:
        hog.wait()
    check_eq(before, runq(env)["count"], "waits counted while off")
    line = json.loads(env.user_tool("observe-hist", "--json", "-i", "0.3", "--count", "1").stdout)
    check_eq(True, line["details"]["runq-latency"]["on"], "on while observe-hist -i runs")
    check(line["runq"][0]["latency_ns"]["count"] > 0, f"waits counted in its interval: {line['runq']}")
    check_eq(False, runq_details(env)["on"], "off once observe-hist ended")


def hogs_wait_for_each_other(env):
    before = runq(env)
    hogs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
    for hog in hogs:
        hog.wait()
        check_eq(0, hog.returncode, "exit code of a CPU hog")
    after = runq(env)
    check(after["count"] > before["count"], "waits counted while two hogs share CPU 0")
    check(long_waits(after) > long_waits(before),
          f"waits of a millisecond or more: {long_waits(before)} then {long_waits(after)}")


def cgroup2_path_of_self():
    with open("/proc/self/cgroup") as f:
        return next(line.strip()[3:] for line in f if line.startswith("0::"))


def scrape_once(env, pin_dir):
    """One scrape of an exporter of pin_dir, run as the member."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exporter = subprocess.Popen(env.as_user(MEMBER) + [
        env.tool("observe-exporter"), "--pin-dir", pin_dir, "--no-auth", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    env.started.append(exporter)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    return r.read().decode()
            except OSError:
                if time.monotonic() > deadline or exporter.poll() is not None:
                    raise
                time.sleep(0.1)
    finally:
        exporter.terminate()
        exporter.wait()


def cgroup2_id_of_self():
    """The cgroup v2 id of this process: the inode of its cgroup directory."""
    with open("/proc/mounts") as f:
        root = next(line.split()[1] for line in f if line.split()[2] == "cgroup2")
    return os.stat(root + cgroup2_path_of_self()).st_ino


@test
def runq_per_cgroup_adds_a_histogram_per_cgroup(env):
    pin_dir = env.pin_dir + "-runq"
    env.extra_pin_dirs.append(pin_dir)
    run([env.tool("observe-load"), "--pin-dir", pin_dir, "--group", GROUP,
         "--collectors", "cpu", "--runq-per-cgroup", "--details", "runq-latency"])
    try:
        hogs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
        for hog in hogs:
            hog.wait()
        rows = json.loads(env.user_tool("observe-hist", "--json", "--pin-dir", pin_dir).stdout)["runq"]
        metrics = scrape_once(env, pin_dir)
    finally:
        run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"], check_rc=False)
    mine = cgroup2_id_of_self()
    # The exporter names the cgroup by its path too: a label people can read.
    path = cgroup2_path_of_self()
    check(f'observe_cgroup_runqueue_latency_seconds_count{{cgroup_id="{mine}",cgroup="{path}"' in metrics,
          f"the exporter's series of cgroup {mine} has cgroup=\"{path}\": "
          f"{[m for m in metrics.splitlines() if 'cgroup_runqueue_latency_seconds_count' in m]}")
    keys = [r["cgroup_id"] for r in rows]
    check_eq(path, next((r.get("cgroup") for r in rows if r["cgroup_id"] == mine), None),
             "observe-hist --json's path of this cgroup")
    check(0 in keys and mine in keys, f"histograms for the machine and cgroup {mine}: {keys}")
    whole = next(r for r in rows if r["cgroup_id"] == 0)["latency_ns"]["count"]
    parts = sum(r["latency_ns"]["count"] for r in rows if r["cgroup_id"])
    # Keys are read one after another while the machine keeps switching.
    check(abs(whole - parts) <= 50 + whole // 100,
          f"the per-cgroup waits ({parts}) add up to the machine's ({whole})")
