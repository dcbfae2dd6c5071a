# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The memory collector on the real kernel: user page faults per process, and
an OOM kill inside a memory-limited cgroup v2, read by a non-root group
member."""
import json
import os
import subprocess
import sys
import time

from harness import Skip, cgroup2_root, check, check_eq, events_of, settle, test_list

TESTS, test = test_list()

PAGES = 2000
TOUCHER = ("import mmap, sys\n"
           "n = int(sys.argv[1]); m = mmap.mmap(-1, n * mmap.PAGESIZE)\n"
           "for i in range(n): m[i * mmap.PAGESIZE] = 1\n")


@test
def a_process_touching_fresh_pages_shows_as_many_faults_while_switched_on(env):
    if not os.path.exists("/sys/kernel/tracing/events/exceptions/page_fault_user"):
        raise Skip("this kernel has no exceptions:page_fault_user tracepoint (x86 only)")
    unseen = touch(env)
    check_eq([], [p for p in hist(env)["faults"] if p["pid"] == unseen.pid],
             "faults of a toucher while page-faults is off (the default)")
    env.user_tool("observe-filter", "enable", "page-faults")
    try:
        toucher = touch(env)
        stats = hist(env)
    finally:
        env.user_tool("observe-filter", "disable", "page-faults")
    check_eq(True, stats["details"]["page-faults"]["on"], "page-faults on once enabled")
    mine = [p for p in stats["faults"] if p["pid"] == toucher.pid]
    check_eq(1, len(mine), f"the toucher {toucher.pid} among the faulting processes")
    check(mine[0]["faults"] >= PAGES, f"faults of the toucher: {mine[0]['faults']} < {PAGES}")


def touch(env):
    toucher = subprocess.Popen([sys.executable, "-c", TOUCHER, str(PAGES)])
    toucher.wait()
    check_eq(0, toucher.returncode, "exit code of the toucher")
    return toucher


def hist(env):
    return json.loads(env.user_tool("observe-hist", "--json", "-N", "100000").stdout)


@test
def an_oom_kill_in_a_memory_limited_cgroup_is_an_event(env):
    root = cgroup2_root()
    controllers = open(os.path.join(root, "cgroup.controllers")).read().split() if root else []
    if "memory" not in controllers:
        raise Skip("cgroup v2 has no memory controller here "
                   f"({'memory is bound to cgroup v1' if root else 'no cgroup2 mount'}); "
                   "the 6.1 run under qemu covers it")
    subtree = os.path.join(root, "cgroup.subtree_control")
    enabled_here = "memory" not in open(subtree).read().split()
    cg = os.path.join(root, f"observe-oom-test-{os.getpid()}")
    reader = env.reader("-t", "oom_kill").wait_ready()
    try:
        if enabled_here:
            with open(subtree, "w") as f:
                f.write("+memory")
        os.mkdir(cg)
        with open(os.path.join(cg, "memory.max"), "w") as f:
            f.write(str(64 << 20))
        if os.path.exists(os.path.join(cg, "memory.swap.max")):
            with open(os.path.join(cg, "memory.swap.max"), "w") as f:
                f.write("0")
        hog = subprocess.Popen(["sh", "-c", f"echo $$ > {cg}/cgroup.procs && exec "
                                f"{sys.executable} -c 'a = bytearray(1 << 30)'"],
                               stderr=subprocess.DEVNULL)
        hog.wait(60)
        check_eq(-9, hog.returncode, "the hog ends by SIGKILL")
        settle()
    finally:
        for _ in range(50):
            try:
                os.rmdir(cg)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
        if enabled_here:
            with open(subtree, "w") as f:
                f.write("-memory")
    events = reader.stop()
    kills = events_of(events, "oom_kill", victim_pid=hog.pid)
    check_eq(1, len(kills), f"oom_kill events of {hog.pid} (all: {events})")
    check(kills[0]["victim_comm"].startswith("python"), f"victim comm: {kills[0]}")
    check(kills[0]["anon_rss_kb"] > 32 << 10, f"the victim's anonymous memory: {kills[0]}")
