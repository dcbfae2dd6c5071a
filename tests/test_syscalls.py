# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The syscalls collector on the real kernel: counts per syscall and per
process and a latency histogram, read with observe-hist by a non-root group
member; switched off and on through the filter."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

from harness import GROUP, MEMBER, check, check_eq, host_only, run, test_list
from test_exporter import Exporter, samples

TESTS, test = test_list()

CALLS = 5000
# getpriority(2): a syscall hardly anything else on the machine makes.
CALLER = ("import os, sys\n"
          "for _ in range(int(sys.argv[1])): os.getpriority(os.PRIO_PROCESS, 0)\n")


def make_calls(n):
    """The caller, ended: its pid tells its row in the per-process table."""
    proc = subprocess.Popen([sys.executable, "-c", CALLER, str(n)])
    proc.wait()
    check_eq(0, proc.returncode, "exit code of the caller")
    return proc


def hist(env, *args):
    return json.loads(env.user_tool("observe-hist", "--json", "-N", "100000", *args).stdout)


def getpriority(stats):
    return next((s for s in stats["syscalls"] if s["name"] == "getpriority"),
                {"count": 0, "errors": 0, "latency_ns": {"count": 0, "buckets": []}})


def latency(env, on):
    env.user_tool("observe-filter", "enable" if on else "disable", "syscall-latency")


def latency_on(stats):
    return stats["details"]["syscall-latency"]["on"]


def enter_links(pin_dir):
    """The links of the pinned sys_enter program: attached while latency is
    on (one link), not at all while it is off."""
    prog = os.path.join(pin_dir, "details", "prog-syscall_enter")
    prog_id = json.loads(run(["bpftool", "-j", "prog", "show", "pinned", prog]).stdout)["id"]
    links = json.loads(run(["bpftool", "-j", "link", "show"]).stdout)
    return prog_id, sum(1 for link in links if link.get("prog_id") == prog_id)


def check_attached(env, n, what):
    check_eq(n, enter_links(env.pin_dir)[1], f"links of the sys_enter program: {what}")


@test
def a_known_number_of_syscalls_is_counted_with_a_latency_histogram(env):
    latency(env, True)
    try:
        counted_with_a_latency_histogram(env)
    finally:
        latency(env, False)


def counted_with_a_latency_histogram(env):
    before = getpriority(hist(env))["count"]
    caller = subprocess.Popen([sys.executable, "-c", CALLER, str(CALLS)])
    caller.wait()
    check_eq(0, caller.returncode, "exit code of the caller")
    stats = hist(env)
    g = getpriority(stats)
    check(g["count"] - before >= CALLS, f"getpriority calls counted: {g['count'] - before} < {CALLS}")
    lat = g["latency_ns"]
    check(lat["count"] >= CALLS, f"calls timed: {lat['count']} < {CALLS}")
    check_eq(lat["count"], sum(b["count"] for b in lat["buckets"]), "buckets add up to the count")
    check(lat["sum"] > 0 and all(b["low"] < b.get("high", 1 << 62) for b in lat["buckets"]),
          f"histogram: {lat}")
    procs = [p for p in stats["processes"] if p["pid"] == caller.pid]
    check_eq(1, len(procs), f"the caller {caller.pid} among the processes")
    check(procs[0]["count"] >= CALLS, f"the caller's syscalls: {procs[0]}")
    check(procs[0]["comm"].startswith("python"), f"the caller's comm: {procs[0]['comm']}")

    text = env.user_tool("observe-hist", "-s", "getpriority").stdout.decode()
    check("latency of getpriority (ns)" in text and "|@" in text, f"text histogram:\n{text}")


@test
def latency_and_processes_hold_only_the_calls_made_while_switched_on(env):
    base = hist(env)
    check_eq(False, latency_on(base), "latency off by default")
    start = getpriority(base)
    latency(env, True)
    try:
        check_eq(True, latency_on(hist(env)), "latency on once enabled")
        first = make_calls(CALLS)
    finally:
        latency(env, False)
    second = make_calls(CALLS)
    stats = hist(env)
    check_eq(False, latency_on(stats), "latency off once disabled")
    g = getpriority(stats)
    timed = g["latency_ns"]["count"] - start["latency_ns"]["count"]
    check_eq(CALLS, timed, "getpriority calls in the histogram: exactly the batch made while on")
    check(g["count"] - start["count"] >= 2 * CALLS,
          f"getpriority calls counted, both batches: {g['count'] - start['count']} < {2 * CALLS}")
    pids = {p["pid"]: p["count"] for p in stats["processes"]}
    check(pids.get(first.pid, 0) >= CALLS, f"the first caller {first.pid} in the per-process table")
    check(second.pid not in pids, f"the second caller {second.pid} (latency off) not in the table")
    text = env.user_tool("observe-hist").stdout.decode()
    check("latency and processes: off" in text, f"the text says latency is off:\n{text[:400]}")
    latency(env, True)
    try:
        on = hist(env)["details"]["syscall-latency"]
        text = env.user_tool("observe-hist").stdout.decode()
    finally:
        latency(env, False)
    check(on["for_good"] and re.match(r"^\d{4}-\d\d-\d\dT[0-9:.]+Z$", on.get("since", "")),
          f"switched on for good, and since when: {on}")
    check(re.search(r"latency and processes: on since \S+Z \(switched on\)", text),
          f"the text says since when:\n{text[:400]}")


@test
def latency_is_on_while_an_observe_hist_or_exporter_asks_for_it(env):
    for args in (["-s", "getpriority"], ["--by-process"]):
        watcher = subprocess.Popen(env.as_user(MEMBER) + [env.tool("observe-hist"), "--pin-dir", env.pin_dir,
                                                    "--json", "-i", "0.5", *args],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        env.started.append(watcher)
        try:
            line = json.loads(watcher.stdout.readline())
            check_eq(True, latency_on(line), f"the interval of observe-hist {args} says on")
            check_eq(True, latency_on(hist(env)), f"latency on while observe-hist {args} runs")
            check_attached(env, 1, f"while observe-hist {args} runs")
        finally:
            watcher.terminate()
            watcher.wait(5)
        check_eq(False, latency_on(hist(env)), f"latency off once observe-hist {args} ended")
        check_attached(env, 0, f"once observe-hist {args} ended")
    # An interval view without -s or --by-process does not switch it on.
    line = json.loads(env.user_tool("observe-hist", "--json", "-i", "0.2", "--count", "1").stdout)
    check_eq(False, latency_on(line), "latency of an observe-hist without -s")
    # Two holders: the first one out leaves it on for the other.
    exp = Exporter(env, "--syscall-latency")
    watcher = env.user_tool("observe-hist", "--json", "-i", "0.2", "--count", "1", "--by-process")
    check_eq(True, latency_on(json.loads(watcher.stdout)), "observe-hist beside the exporter")
    check_eq(True, latency_on(hist(env)), "still on for the exporter after observe-hist ended")
    text = exp.metrics()
    check_eq(1.0, samples(text, "observe_detail_on").get('{detail="syscall-latency"}'),
             "the exporter says on")
    check('observe_detail_on_since_timestamp_seconds{detail="syscall-latency"}' in text,
          "the exporter says since when")
    check_attached(env, 1, "two holders, then one")
    exp.stop()
    check_eq(False, latency_on(hist(env)), "off once the last holder ended")
    check_attached(env, 0, "once the last holder ended")
    # Switched on for good: a holder ending does not switch it off.
    latency(env, True)
    try:
        env.user_tool("observe-hist", "--json", "-i", "0.1", "--count", "1", "-s", "read")
        check_eq(True, latency_on(hist(env)), "enabled stays on after a holder")
        check_attached(env, 1, "enabled, after a holder ended")
    finally:
        latency(env, False)
    check_attached(env, 0, "disabled")


@test
def observe_filter_show_lists_details_and_ends_a_hold_its_killed_holder_left(env):
    watcher = subprocess.Popen(env.as_user(MEMBER) + [env.tool("observe-hist"), "--pin-dir", env.pin_dir,
                                                "--json", "-i", "0.5", "-s", "getpriority"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    env.started.append(watcher)
    try:
        check_eq(True, latency_on(json.loads(watcher.stdout.readline())), "observe-hist holds latency")
    finally:
        watcher.kill()
        watcher.wait(5)
    check_eq(True, latency_on(hist(env)), "the held bit outlives a holder killed outright")
    check_attached(env, 1, "its link outlives the killed holder too")
    shown = json.loads(env.user_tool("observe-filter", "show", "--json").stdout)["details"]
    check_eq({"on": False, "for_good": False}, shown["syscall-latency"],
             "observe-filter show --json: no holder left, switched off")
    check_attached(env, 0, "detached by the show that switched it off")
    check_eq(False, latency_on(hist(env)), "off for the next reader too")
    latency(env, True)
    try:
        text = env.user_tool("observe-filter", "show").stdout.decode()
    finally:
        latency(env, False)
    check(re.search(r"^detail  syscall-latency on since \S+Z \(switched on\)$", text, re.M),
          f"observe-filter show names the detail and since when:\n{text}")
    check(re.search(r"^detail  page-faults (off|on since)", text, re.M), f"every loaded detail:\n{text}")


@test
@host_only
def a_detail_left_out_at_load_has_no_program_and_cannot_go_on(env):
    pin_dir = env.pin_dir + "-without"
    env.extra_pin_dirs.append(pin_dir)
    load = [env.tool("observe-load"), "--pin-dir", pin_dir, "--group", GROUP, "-C", "syscalls,memory"]
    both = run(load + ["--details", "syscall-latency", "--without-details", "syscall-latency"],
               check_rc=False)
    check_eq(2, both.returncode, "on for good and left out at once: refused")
    check(b"cannot be both on for good and left out" in both.stderr, f"why: {both.stderr!r}")
    run(load + ["--without-details", "syscall-latency,page-faults"])
    try:
        links = sorted(os.listdir(os.path.join(pin_dir, "links")))
        check_eq(["syscalls-syscall_exit"], [l for l in links if l.startswith("syscalls-")],
                 "the syscalls collector's links: sys_exit alone")
        check(not any(l.startswith("memory-page_fault") for l in links), f"no page-fault link: {links}")

        def member(*args):
            return run(env.as_user(MEMBER) + [env.tool(args[0]), "--pin-dir", pin_dir, *args[1:]],
                       check_rc=False)
        refused = member("observe-filter", "enable", "syscall-latency")
        check_eq(1, refused.returncode, "observe-filter enable of a detail left out")
        check(b"syscall-latency was left out at load" in refused.stderr, f"why: {refused.stderr!r}")
        refused = member("observe-hist", "-s", "read", "-i", "0.2", "--count", "1")
        check_eq(1, refused.returncode, "observe-hist -s with syscall latency left out")
        check(b"left out at load" in refused.stderr, f"why: {refused.stderr!r}")
        line = json.loads(member("observe-hist", "--json", "-i", "0.2", "--count", "1").stdout)
        check_eq(True, line["details"]["page-faults"].get("left_out"), f"observe-hist -i: {line['details']}")
        text = member("observe-filter", "show").stdout.decode()
        check(re.search(r"^detail  syscall-latency left out at load", text, re.M), f"show:\n{text}")
        check(not os.path.exists(os.path.join(pin_dir, "details", "prog-syscall_enter")),
              "no sys_enter program pinned for the detail left out")
        run(load)   # again, without it: the program back, the detail usable
        check(os.path.exists(os.path.join(pin_dir, "details", "prog-syscall_enter")),
              "sys_enter pinned, to be attached, by a load without --without-details")
        check_eq(0, member("observe-filter", "enable", "syscall-latency").returncode, "enable after")
        old_prog, links = enter_links(pin_dir)
        check_eq(1, links, "sys_enter attached once enabled")
        run(load)   # a reload while on: the new program attached in place of the old
        new_prog, links = enter_links(pin_dir)
        check(new_prog != old_prog, f"a new sys_enter program pinned: {old_prog} then {new_prog}")
        check_eq(1, links, "the new program attached once by the reload")
    finally:
        run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"])


@test
def switched_off_syscalls_are_not_counted(env):
    env.user_tool("observe-filter", "disable", "syscalls")
    try:
        before = getpriority(hist(env))["count"]
        make_calls(1000)
        after = getpriority(hist(env))["count"]
    finally:
        env.user_tool("observe-filter", "enable", "syscalls")
    check_eq(before, after, "getpriority calls counted while switched off")
    make_calls(1000)
    check(getpriority(hist(env))["count"] >= after + 1000, "counted again once switched on")


@test
def observe_hist_interval_prints_deltas_and_refuses_bad_input(env):
    res = env.user_tool("observe-hist", "--json", "-i", "0.3", "--count", "2")
    lines = res.stdout.decode().splitlines()
    check_eq(2, len(lines), "JSON lines from two intervals")
    times = [json.loads(line).get("time", "") for line in lines]
    check(all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$", t) for t in times) and times[0] < times[1],
          f"each interval says when it was taken: {times}")
    text = env.user_tool("observe-hist", "-i", "0.2", "--count", "1").stdout.decode()
    check(re.match(r"^--- \d{4}-\d\d-\d\dT[0-9:.]+Z, the last 0.2 s ---$", text.splitlines()[0]),
          f"the text view starts each interval with its time: {text.splitlines()[:1]}")
    # The old letters still work for one release, with a warning that names the new one.
    old = env.user_tool("observe-hist", "--json", "-n", "3", "-i", "0.1", "-c", "1")
    err = old.stderr.decode()
    check("-n here is deprecated" in err and "use -N or --top" in err and "use --count" in err,
          f"warnings for the old -n and -c of observe-hist: {err!r}")
    check_eq(1, len(old.stdout.decode().splitlines()), "intervals printed with the old -c 1")
    for args, message in ((["-s", "nosuchcall"], "unknown syscall 'nosuchcall'"),
                          (["-N", "0"], "top"), (["--count", "3"], "--count goes with --interval"),
                          (["extra"], "unexpected argument")):
        bad = env.user_tool("observe-hist", *args, check_rc=False)
        err = bad.stderr.decode()
        check(bad.returncode == 2 and message in err and err.count("\n") == 1,
              f"observe-hist {' '.join(args)}: exit {bad.returncode}, {err!r}")


def stderr_line(proc, timeout):
    """The next line proc writes to stderr, or '' after timeout seconds."""
    ready, _, _ = select.select([proc.stderr], [], [], timeout)
    return proc.stderr.readline().decode() if ready else ""


@test
@host_only
def observe_hist_interval_follows_an_unload_and_a_new_load(env):
    # It used to print zeros for ever: the maps it held counted nothing more.
    pin_dir = env.pin_dir + "-hist"
    env.extra_pin_dirs.append(pin_dir)
    load = [env.tool("observe-load"), "--pin-dir", pin_dir, "--group", GROUP, "--collectors", "syscalls"]
    run(load)
    hist = subprocess.Popen(env.as_user(MEMBER) + [env.tool("observe-hist"), "--pin-dir", pin_dir, "--json",
                                                   "-N", "100000", "-i", "0.3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    env.started.append(hist)
    try:
        ready, _, _ = select.select([hist.stdout], [], [], 30)
        check(ready and hist.stdout.readline(), "observe-hist's first interval")
        run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"])
        said = [stderr_line(hist, 30)]
        run(load)
        said.append(stderr_line(hist, 30))
        check(f"observe was unloaded from {pin_dir}: waiting" in said[0], f"after the unload: {said[0]!r}")
        check(f"observe was loaded again at {pin_dir}" in said[1], f"after the new load: {said[1]!r}")
        make_calls(CALLS)
        time.sleep(0.7)     # two intervals: the calls are in printed ones
        hist.send_signal(signal.SIGINT)
        out, err = hist.communicate(timeout=30)
    finally:
        run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"], check_rc=False)
    check_eq(0, hist.returncode, f"exit code of observe-hist -i ({err.decode().strip()})")
    counted = sum(getpriority(json.loads(line))["count"] for line in out.decode().splitlines())
    check(counted >= CALLS, f"getpriority calls in the intervals after the new load: {counted} < {CALLS}")


@test
@host_only
def a_member_holding_the_details_lock_delays_a_switch_by_seconds_not_for_ever(env):
    """details/ is the group's to lock: a member keeping it makes another's
    switch fail after a few seconds, saying who holds it, and changes
    nothing; the loader (root) goes on without it."""
    script = ("import fcntl, os, sys, time\n"
              "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
              "fcntl.flock(fd, fcntl.LOCK_EX)\n"
              "print('held', flush=True)\n"
              "time.sleep(60)\n")
    blocker = subprocess.Popen(env.as_user(MEMBER) + ["python3", "-c", script,
                                                    os.path.join(env.pin_dir, "details")],
                               stdout=subprocess.PIPE)
    env.started.append(blocker)
    try:
        check_eq(b"held\n", blocker.stdout.readline(), "the blocker's word")
        started = time.time()
        res = env.user_tool("observe-filter", "enable", "syscall-latency", check_rc=False)
        took = time.time() - started
        err = res.stderr.decode()
        check_eq(1, res.returncode, f"exit code of an enable against a held lock ({err.strip()})")
        check(f"locked by pid {blocker.pid}" in err and len(err.strip().splitlines()) == 1,
              f"one line naming the holder {blocker.pid}: {err.strip()}")
        check(took < 10, f"it gave up within seconds: {took:.1f} s")
        check_eq(False, latency_on(hist(env)), "the enable was taken back")
        check_attached(env, 0, "nothing attached by the failed enable")
        out = env.load()
        check(b"without it" in out.stderr, f"the loader warns and goes on: {out.stderr!r}")
    finally:
        blocker.kill()
        blocker.wait()
    latency(env, True)
    try:
        check_attached(env, 1, "enabled once the lock is free")
    finally:
        latency(env, False)
