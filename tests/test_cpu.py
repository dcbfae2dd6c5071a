# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The cpu collector on the real kernel: two CPU-bound processes sharing one
core wait for each other, and the run-queue histogram shows it."""
import json
import os
import subprocess
import sys
import time

from harness import check, check_eq, test_list

TESTS, test = test_list()

SPIN = "import os, time\nos.sched_setaffinity(0, {0})\nend = time.time() + 1.0\nwhile time.time() < end: pass\n"
MS = 1 << 20       # the first slot at or above a millisecond (2^20 ns)


def runq(env):
    rows = json.loads(env.user_tool("observe-hist", "--json").stdout)["runq"]
    whole = [r for r in rows if r["cgroup_id"] == 0]
    check_eq(1, len(whole), f"the machine's run-queue histogram ({rows})")
    check_eq([0], [r["cgroup_id"] for r in rows], "cgroup keys without --runq-per-cgroup")
    return whole[0]["latency_ns"]


def long_waits(lat):
    return sum(b["count"] for b in lat["buckets"] if b["low"] >= MS)


@test
def two_cpu_bound_processes_on_one_core_wait_for_each_other(env):
    before = runq(env)
    hogs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
    for hog in hogs:
        hog.wait()
        check_eq(0, hog.returncode, "exit code of a CPU hog")
    after = runq(env)
    check(after["count"] > before["count"], "waits counted while two hogs share CPU 0")
    check(long_waits(after) > long_waits(before),
          f"waits of a millisecond or more: {long_waits(before)} then {long_waits(after)}")
