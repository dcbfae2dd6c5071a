# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The profiler on the real kernel, run by a non-root group member: a
CPU-bound program built with frame pointers shows its call chain with the hot
function on top; the SVG is well-formed and names it; sampling is on only
while a profile runs, also with two at once."""
import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET

from harness import MEMBER, OUTSIDER, check, check_eq, run, test_list

TESTS, test = test_list()


def ctl(env):
    """observe_profile_ctl as root sees it, through bpftool's BTF view."""
    out = run(["bpftool", "-j", "map", "lookup", "pinned",
               os.path.join(env.pin_dir, "observe_profile_ctl"), "key", "0", "0", "0", "0"]).stdout
    return json.loads(out)["formatted"]["value"]


def burner(env, seconds):
    proc = subprocess.Popen(env.as_user(MEMBER) + [env.tool("test-cpu-burner"), str(seconds)],
                            stdout=subprocess.DEVNULL)
    env.started.append(proc)
    return proc


def profile(env, *args, **kw):
    return env.user_tool("observe-profile", *args, **kw)


@test
def a_frame_pointer_program_shows_its_call_chain_with_the_hot_function_on_top(env):
    proc = burner(env, 4)
    try:
        time.sleep(0.3)      # past the loader's own start-up
        folded = os.path.join(env.out, "burner.folded")
        svg = os.path.join(env.out, "burner.svg")
        res = profile(env, "-p", str(proc.pid), "-d", "2", "-f", folded, "-o", svg)
    finally:
        proc.wait()
    with open(folded) as f:
        lines = [line.rsplit(" ", 1) for line in f.read().splitlines()]
    total = sum(int(n) for _, n in lines)
    check(total >= 20, f"samples of a 2 s profile at 49 Hz of a busy process: {total} "
          f"({res.stderr.decode().strip()})")
    for stack, _ in lines:
        check(stack.startswith("test-cpu-burner;"), f"every stack starts with the command: {stack}")
    hot = sum(int(n) for stack, n in lines if stack.endswith(";main;burn_outer;burn_hot"))
    check(hot * 2 > total, f"main;burn_outer;burn_hot on top in most samples: {hot} of {total}: "
          f"{lines}")
    root = ET.parse(svg).getroot()
    check_eq("{http://www.w3.org/2000/svg}svg", root.tag, "root element of the flame graph")
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    check(any(t.startswith("burn_hot (") for t in titles), f"a frame titled burn_hot: {titles}")
    check_eq(0, ctl(env)["sampling"], "sampling after the profile ended")


@test
def sampling_runs_while_any_of_two_profiles_runs_and_stops_after_the_last(env):
    check_eq(0, ctl(env)["sampling"], "sampling before any profile")
    check_eq(49, ctl(env)["hz"], "the default frequency in observe_profile_ctl")
    long = subprocess.Popen(env.as_user(MEMBER) + [env.tool("observe-profile"), "--pin-dir",
                                                   env.pin_dir, "-d", "2", "-f", "/dev/null"],
                            stderr=subprocess.PIPE)
    env.started.append(long)
    time.sleep(0.3)
    check_eq(1, ctl(env)["sampling"], "sampling while a profile runs")
    profile(env, "-d", "0.5", "-f", "/dev/null")
    check_eq(1, ctl(env)["sampling"], "sampling after the short profile, the long one still running")
    long.wait(10)
    check_eq(0, long.returncode, f"exit of the long profile: {long.stderr.read().decode()}")
    check_eq(0, ctl(env)["sampling"], "sampling after both ended")


@test
def observe_profile_refuses_bad_input_outsiders_and_a_switched_off_profiler(env):
    cases = [
        (["-d", "0"], 2, "seconds"),
        (["-p", "abc"], 2, "pid"),
        (["--bogus"], 2, "unrecognized"),
        (["-f", "-", "-o", "-"], 2, "standard output"),
        (["-o", "/nonexistent/dir/x.svg", "-d", "0.1"], 1, "cannot write"),
        (["--pin-dir", "/sys/fs/bpf/observe-test-absent"], 1, "run observe-load"),
    ]
    for args, rc, needle in cases:
        res = profile(env, *args, check_rc=False)
        err = res.stderr.decode()
        check_eq(rc, res.returncode, f"exit code for {args} ({err.strip()})")
        check(needle in err, f"an error naming '{needle}' for {args}: {err!r}")
    res = profile(env, "-d", "0.1", user=OUTSIDER, check_rc=False)
    check(res.returncode == 1 and "group" in res.stderr.decode(),
          f"an outsider is told to join the group: {res.stderr.decode()!r}")
    env.user_tool("observe-filter", "disable", "profile")
    try:
        res = profile(env, "-d", "0.1", check_rc=False)
        check(res.returncode == 1 and "observe-filter enable profile" in res.stderr.decode(),
              f"a switched-off profiler says how to switch it on: {res.stderr.decode()!r}")
    finally:
        env.user_tool("observe-filter", "enable", "profile")
    check_eq(0, ctl(env)["sampling"], "sampling after the refused runs")
