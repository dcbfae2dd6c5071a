# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The spine, on the real kernel: loader, pins and modes, the process
collector, ring slots, global filters, counters, and errors. Every consumer
runs as a non-root member of the test group unless the test says otherwise.
Tests run in order; each leaves the filters cleared and the slots free."""
import json
import os
import re
import signal
import stat
import subprocess
import time

from harness import (GROUP, MEMBER, OUTSIDER, Failure, check, check_eq, events_of, host_only, run,
                     settle, surrogate_bytes, test_list, wait_until)

TESTS, test = test_list()
RUN_ORDER = 0  # first: the load every other module uses


def slot_counters(env, slot):
    return next(s for s in env.stats()["slots"] if s["slot"] == slot)


def type_counters(env, type_):
    return next(t for t in env.stats()["types"] if t["type"] == type_)


def link_count():
    out = run(["bpftool", "link", "show"]).stdout.decode()
    return len(re.findall(r"^\d+:", out, re.M))


def burst_of_true(n):
    """n execs of /bin/true from one shell; returns the shell's pid."""
    proc = subprocess.Popen(["sh", "-c", f"i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"])
    proc.wait()
    check_eq(0, proc.returncode, "burst shell exit code")
    return proc.pid


@test
def pins_belong_to_the_group_with_modes_by_purpose(env):
    gid = os.stat(env.pin_dir).st_gid
    import grp
    check_eq(GROUP, grp.getgrgid(gid).gr_name, "group of the pin directory")
    expected = {
        "": 0o750, "links": 0o750, "slot0": 0o750, "slot0/ring": 0o660,
        "observe_filter": 0o660, "observe_filter_pids": 0o660, "observe_slot_cfg": 0o660,
        "observe_readers": 0o660, "observe_filter_ports": 0o660, "observe_filter_cidrs": 0o660,
        "observe_stats": 0o640, "observe_slot_stats": 0o640, "observe_info": 0o640,
        "observe_syscalls": 0o640, "observe_syscalls_by_pid": 0o640, "observe_syscall_counts": 0o640,
        "details": 0o750, "details/syscall-latency": 0o770, "details/runq-latency": 0o770,
        "details/block-latency": 0o770, "details/page-faults": 0o770,
        "details/prog-syscall_enter": 0o640, "details/prog-runq_switch": 0o640,
        "observe_faults_by_pid": 0o640, "observe_block": 0o640, "observe_runq": 0o640,
        "observe_slots": 0o600,
    }
    for name, mode in expected.items():
        st = os.stat(os.path.join(env.pin_dir, name))
        check_eq(oct(mode), oct(stat.S_IMODE(st.st_mode)), f"mode of {name or 'the pin directory'}")
        check_eq((0, gid), (st.st_uid, st.st_gid), f"owner of {name or 'the pin directory'}")
    links = os.listdir(os.path.join(env.pin_dir, "links"))
    check("process-sched_exec" in links, f"links pinned: {links}")
    for link in links:
        mode = stat.S_IMODE(os.stat(os.path.join(env.pin_dir, "links", link)).st_mode)
        check_eq(oct(0o600), oct(mode), f"mode of link {link}")


@test
def exec_argv_comes_out_exact_in_json(env):
    argv = [b"/bin/true", b"hello world", b'say "hi"', "ünïcødé ✓".encode(), b"bad \xff\xfe\xc0 bytes",
            b"back\\slash", b"ctl\n\t\x01\x7f", b""]
    reader = env.reader("-t", "exec").wait_ready()
    child = subprocess.Popen(argv, executable="/bin/true")
    child.wait()
    settle()
    events = reader.stop()
    mine = events_of(events, "exec", pid=child.pid)
    check_eq(1, len(mine), f"exec events of pid {child.pid}")
    e = mine[0]
    check_eq(argv, [surrogate_bytes(a) for a in e["argv"]], "argv bytes")
    check_eq("/bin/true", e["filename"], "filename")
    check_eq(len(argv), e["argc"], "argc")
    check_eq(0, e["ret"], "ret")
    check_eq(os.getpid(), e["ppid"], "ppid")
    check_eq("true", e["comm"], "comm")
    check_eq(0, e["uid"], "uid")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", e["time"]), f"time format: {e['time']}")
    check(abs(time.time() - time.mktime(time.strptime(e["time"][:19], "%Y-%m-%dT%H:%M:%S"))
              + time.timezone) < 60, f"time is near now: {e['time']}")


@test
def failed_exec_is_reported_with_errno_and_argv(env):
    reader = env.reader("-x", "-t", "exec").wait_ready()
    child = subprocess.Popen(["/bin/sh", "-c", "exec /nonexistent/observe-test arg1 'arg two'; exit 0"],
                             stderr=subprocess.DEVNULL)
    child.wait()
    settle()
    events = reader.stop()
    mine = events_of(events, "exec", pid=child.pid, filename="/nonexistent/observe-test")
    check_eq(1, len(mine), f"failed exec events of pid {child.pid} (all: {events})")
    e = mine[0]
    check_eq((-2, "ENOENT"), (e["ret"], e.get("error")), "ret and error")
    check_eq(["/nonexistent/observe-test", "arg1", "arg two"], e["argv"], "argv")
    check_eq("/nonexistent/observe-test", e["filename"], "filename")
    check(all(ev["ret"] < 0 for ev in events), "with -x only failed execs come out")


@test
def fork_and_exit_carry_pids_codes_signals_and_lifetime(env):
    reader = env.reader("-t", "fork,exit").wait_ready()
    pid = os.fork()
    if pid == 0:
        time.sleep(0.05)
        os._exit(3)
    os.waitpid(pid, 0)
    killed = subprocess.Popen(["sh", "-c", "kill -KILL $$"])
    killed.wait()
    settle()
    events = reader.stop()
    forks = events_of(events, "fork", pid=os.getpid(), child_pid=pid)
    check_eq(1, len(forks), "fork events of our child")
    exits = events_of(events, "exit", pid=pid)
    check_eq(1, len(exits), f"exit events of pid {pid}")
    e = exits[0]
    check_eq((3, 0, os.getpid()), (e["exit_code"], e["signal"], e["ppid"]), "exit code, signal, ppid")
    check(50_000_000 <= e["lifetime_ns"] < 10_000_000_000, f"lifetime_ns {e['lifetime_ns']}")
    k = events_of(events, "exit", pid=killed.pid)
    check_eq(1, len(k), f"exit events of killed pid {killed.pid}")
    check_eq((9, "SIGKILL", 0), (k[0]["signal"], k[0].get("signal_name"), k[0]["exit_code"]),
             "signal of the killed shell")


@test
def a_multithreaded_process_exits_once(env):
    reader = env.reader("-t", "exit").wait_ready()
    script = ("import os, threading, time\n"
              "ts = [threading.Thread(target=time.sleep, args=(10,), daemon=True) for _ in range(8)]\n"
              "[t.start() for t in ts]\n"
              "time.sleep(0.1)\n"
              "os._exit(5)\n")
    child = subprocess.Popen(["python3", "-c", script])
    child.wait()
    settle()
    exits = events_of(reader.stop(), "exit", pid=child.pid)
    check_eq(1, len(exits), f"exit events of a 9-thread process: {exits}")
    check_eq(5, exits[0]["exit_code"], "exit code")


@test
def two_readers_each_get_all_of_a_1000_exec_burst_and_stats_agree(env):
    # Counters from before the claims to after the stops: other processes
    # named true (other users of this machine) count on both sides alike.
    before = {s["slot"]: s for s in env.stats()["slots"]}
    a = env.reader("-t", "exec", "-c", "true").wait_ready()
    b = env.reader("-t", "exec", "-c", "true").wait_ready()
    check(a.slot != b.slot, f"two readers share slot {a.slot}")
    shell = burst_of_true(1000)
    settle()
    stopped = {r.slot: r.stop() for r in (a, b)}
    after = {s["slot"]: s for s in env.stats()["slots"]}
    for reader in (a, b):
        events = stopped[reader.slot]
        got = len(events_of(events, "exec", ppid=shell))
        lost = sum(e["lost"] for e in events if e["type"] == "gap")
        check_eq(1000, got + lost, f"slot {reader.slot}: events received + lost")
        check_eq(0, lost, f"slot {reader.slot}: lost at the default ring size")
        delivered = after[reader.slot]["delivered"] - before[reader.slot]["delivered"]
        dropped = after[reader.slot]["dropped"] - before[reader.slot]["dropped"]
        check_eq(len(events_of(events, "exec")), delivered, f"slot {reader.slot}: delivered counter vs received")
        check_eq(lost, dropped, f"slot {reader.slot}: dropped counter vs gap records")


@test
def each_cpu_numbers_its_events_one_after_another(env):
    # The only reader, of every type and unfiltered: every event numbered in
    # this load reaches it, so each cpu's numbers run without a hole.
    reader = env.reader("-t", "all").wait_ready()
    burst_of_true(200)
    settle()
    events = [e for e in reader.stop() if "seq" in e]
    check_eq([], [e for e in events if e["type"] == "gap"], "gap records")
    by_cpu = {}
    for e in events:
        by_cpu.setdefault(e["cpu"], []).append(e["seq"])
    check(len(events) >= 600, f"{len(events)} events for 200 execs")
    for cpu, seqs in by_cpu.items():
        seqs.sort()
        check_eq(list(range(seqs[0], seqs[0] + len(seqs))), seqs, f"cpu {cpu}'s sequence numbers")


@test
def sigkilled_reader_does_not_keep_its_slot_or_leave_stale_events(env):
    nr_slots = env.stats()["slots_total"]
    victim = env.reader("-t", "exec").wait_ready()
    victim.proc.kill()
    victim.proc.wait()
    marker = burst_of_true(5)   # lands in the dead reader's ring, still active
    readers = [env.reader("-t", "exec").wait_ready() for _ in range(nr_slots)]
    slots = sorted(r.slot for r in readers)
    check_eq(list(range(nr_slots)), slots, "slots claimed by as many readers as slots")
    extra = env.reader("-t", "exec")
    extra.proc.wait(5)
    check_eq(1, extra.proc.returncode, "exit code of a reader with no free slot")
    check("all %d ring slots are in use" % nr_slots in extra.stderr_text(),
          f"message: {extra.stderr_text().strip()}")
    settle()
    for r in readers:
        events = r.stop()
        check_eq([], events_of(events, "exec", ppid=marker),
                 f"slot {r.slot}: events from before the claim")
    states = [s["state"] for s in env.stats()["slots"]]
    check_eq(["free"] * nr_slots, states, "slot states after the readers stopped")


@test
def closed_pipe_and_count_stop_the_reader_and_free_its_slot(env):
    cmd = " ".join(env.as_user(MEMBER) + [env.tool("observe-events"), "--pin-dir", env.pin_dir,
                                          "-q", "--poll-ms", "10"])
    pipe = subprocess.Popen(["sh", "-c", f"{cmd} | head -n 2"], stdout=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while pipe.poll() is None and time.monotonic() < deadline:
        burst_of_true(3)
        time.sleep(0.05)
    check(pipe.poll() is not None, "observe-events | head -n 2 did not end")
    check_eq(2, len(pipe.stdout.read().splitlines()), "lines through head")
    # Events only after the claim count: wait for it (a slow guest claims late).
    counted = env.reader("-n", "3").wait_ready()
    burst_of_true(5)
    counted.proc.wait(5)
    check_eq(0, counted.proc.returncode, "exit code with --count")
    check_eq(3, len(counted.stop()), "events with --count 3")
    timed = env.reader("-d", "0.3", "-q")
    timed.proc.wait(5)
    check_eq(0, timed.proc.returncode, "exit code with --duration")
    wait_until(lambda: all(s["state"] == "free" for s in env.stats()["slots"]), 3,
               "every slot to be free")


@test
def global_filters_change_what_every_reader_sees_at_once(env):
    reader = env.reader("-t", "exec", "-c", "true").wait_ready()
    env.user_tool("observe-filter", "deny", "comm", "true")
    denied = burst_of_true(10)
    filtered = type_counters(env, "exec")["filtered"]
    check(filtered >= 10, f"exec filtered counter {filtered} after 10 denied execs")
    env.user_tool("observe-filter", "clear")
    allowed = burst_of_true(10)
    # allow pid with --follow: only the tree of one shell passes
    tree = subprocess.Popen(["sh", "-c", "read x; /bin/true; sh -c /bin/true"], stdin=subprocess.PIPE)
    env.user_tool("observe-filter", "allow", "pid", str(tree.pid), "--follow")
    outside = burst_of_true(3)
    tree.communicate(b"go\n")
    settle()
    shown = env.user_tool("observe-filter", "show", "--json").stdout
    env.user_tool("observe-filter", "clear")
    events = reader.stop()
    check_eq(0, len(events_of(events, "exec", ppid=denied)), "execs seen under deny comm")
    check_eq(10, len(events_of(events, "exec", ppid=allowed)), "execs seen after clear")
    check_eq(0, len(events_of(events, "exec", ppid=outside)), "execs outside the followed tree")
    in_tree = [e for e in events if e["ppid"] != allowed and e["ppid"] != outside]
    check_eq(2, len(in_tree), f"execs in the followed tree: {in_tree}")
    check(b'"mode":"allow"' in shown, f"filter shown: {shown[:300]!r}")


@test
@host_only
def observe_filter_takes_its_options_after_the_command_and_values_with_a_dash(env):
    def member_filter(*args, check_rc=True):
        return run(env.as_user(MEMBER) + [env.tool("observe-filter"), *args], check_rc=check_rc)
    # A login shell's comm starts with '-': a value, never an option.
    member_filter("deny", "comm", "-bash", f"--pin-dir={env.pin_dir}")
    try:
        shown = json.loads(member_filter("show", "--pin-dir", env.pin_dir, "--json").stdout)
        check_eq({"mode": "deny", "entries": ["-bash"]}, shown["comm"], "the comm set shown")
    finally:
        member_filter("clear", f"--pin-dir={env.pin_dir}")
    for args, says in ((["show", "--pin-dir"], "option '--pin-dir' requires an argument"),
                       (["show", "--pin-dirs=x"], "unknown option '--pin-dirs=x'")):
        res = member_filter(*args, check_rc=False)
        err = res.stderr.decode()
        check(res.returncode == 2 and says in err and err.count("\n") == 1,
              f"observe-filter {' '.join(args)}: exit {res.returncode}, {err!r}")


def readers_dump(env):
    """observe_readers as root sees it through bpftool."""
    out = run(["bpftool", "map", "dump", "pinned", os.path.join(env.pin_dir, "observe_readers")])
    return json.loads(out.stdout)[0]["value"]


def allowed_pids(env):
    shown = json.loads(env.user_tool("observe-filter", "show", "--json").stdout)
    return [e["pid"] if isinstance(e, dict) else e for e in shown["pid"]["entries"]]


@test
def children_are_followed_while_nobody_reads(env):
    # With no reader the fork hook reads observe_readers alone: its copy of
    # follow_children must make it pass the allowance on all the same.
    check_eq(0, readers_dump(env)["mask"], "readers at the start")
    parent = subprocess.Popen(["sh", "-c", "read x; sleep 30 & echo $!; wait"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child = None
    try:
        env.user_tool("observe-filter", "allow", "pid", str(parent.pid), "--follow")
        copy = readers_dump(env)
        check_eq((1, 1), (copy["pid_set_on"], copy["follow_children"]), "pid set copy after allow --follow")
        parent.stdin.write(b"go\n")
        parent.stdin.flush()
        child = int(parent.stdout.readline())
        check(child in allowed_pids(env), f"forked child {child} in the allowed pids")
        env.user_tool("observe-filter", "follow", "off")
        check_eq(0, readers_dump(env)["follow_children"], "follow copy after follow off")
        env.user_tool("observe-filter", "follow", "on")
        check_eq(1, readers_dump(env)["follow_children"], "follow copy after follow on")
        # and its exit takes the pid out of the set, also with no reader
        os.kill(child, signal.SIGKILL)
        wait_until(lambda: child not in allowed_pids(env), 5, "the killed child's pid leaves the set")
        child = None
    finally:
        env.user_tool("observe-filter", "clear")
        if child:
            os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait()
    copy = readers_dump(env)
    check_eq((0, 0), (copy["pid_set_on"], copy["follow_children"]), "pid set copy after clear")


@test
def outsider_is_refused_every_pin_and_member_is_refused_links(env):
    pins = []
    for root, dirs, files in os.walk(env.pin_dir):
        pins += [os.path.join(root, f) for f in files]
    out = run(env.as_user(OUTSIDER) + [env.tool("test-pin-open"), "ro", *pins])
    results = dict(line.rsplit(" ", 1) for line in out.stdout.decode().splitlines())
    for pin in pins:
        check_eq("EACCES", results.get(pin), f"outsider opening {pin}")
    res = env.user_tool("observe-events", "-n", "1", user=OUTSIDER, check_rc=False)
    check_eq(1, res.returncode, "outsider's observe-events exit code")
    check(f"add yourself to group '{GROUP}'" in res.stderr.decode(), f"message: {res.stderr!r}")
    links = [p for p in pins if "/links/" in p]
    member = run(env.as_user(MEMBER) + [env.tool("test-pin-open"), "ro", *links])
    check(all(line.endswith("EACCES") for line in member.stdout.decode().splitlines()),
          f"member opening links: {member.stdout!r}")
    rw = run(env.as_user(MEMBER) + [env.tool("test-pin-open"), "rw",
                                    os.path.join(env.pin_dir, "observe_stats")]).stdout.decode()
    check("observe_stats EACCES" in rw, f"member opening counters read-write: {rw}")
    rm = run(env.as_user(MEMBER) + ["rm", "-f", links[0]], check_rc=False)
    check(rm.returncode != 0 and os.path.exists(links[0]), "a member removed a link pin")


@test
def loader_rerun_keeps_counters_filters_and_one_set_of_links(env):
    env.user_tool("observe-filter", "deny", "uid", "12345")
    burst_of_true(3)
    links_before, seen_before = link_count(), type_counters(env, "exec")["seen"]
    load_count = env.stats()  # also proves the loader left the pins readable
    env.load()
    check_eq(links_before, link_count(), "attached links after a second load")
    check(type_counters(env, "exec")["seen"] >= seen_before, "exec counter went back")
    shown = env.user_tool("observe-filter", "show", "--json").stdout.decode()
    check('"uid":{"mode":"deny","entries":[12345]}' in shown, f"filter after reload: {shown}")
    env.user_tool("observe-filter", "clear")
    check(load_count is not None, "stats before reload")


@test
def a_reload_that_fails_to_pin_leaves_the_running_load_as_it_was(env):
    def link_programs():
        links = os.path.join(env.pin_dir, "links")
        return {name: run(["bpftool", "link", "show", "pinned", os.path.join(links, name)]).stdout
                for name in sorted(os.listdir(links))}
    before, links = link_programs(), link_count()
    # A pinned map where a fifth slot's directory goes: the commit fails
    # midway, after the maps were staged.
    blocker = os.path.join(env.pin_dir, "slot4")
    run(["bpftool", "map", "create", blocker, "type", "array", "key", "4", "value", "4",
         "entries", "1", "name", "blocker"])
    try:
        res = run([env.tool("observe-load"), "--pin-dir", env.pin_dir, "--group", GROUP, "--slots", "5"],
                  check_rc=False)
    finally:
        os.unlink(blocker)
    check(res.returncode == 1 and b"slot4: it is not a directory" in res.stderr, f"failed reload: {res.stderr!r}")
    check_eq(before, link_programs(), "links and their programs after a failed reload")
    check_eq(links, link_count(), "attached links after a failed reload")
    leftovers = [f for _, _, files in os.walk(env.pin_dir) for f in files if f.startswith("tmp-")]
    check_eq([], leftovers, "temporary pins left")
    env.stats()                 # readers still work


@test
def dropped_events_are_counted_and_reported_as_gaps(env):
    env.load("--ring-size", "8K")     # every slot is free: the rings shrink
    reader = env.reader("-t", "exec", "-c", "true").wait_ready()
    reader.proc.send_signal(signal.SIGSTOP)
    shell = burst_of_true(300)
    reader.proc.send_signal(signal.SIGCONT)
    settle()
    events = reader.stop()
    got = len(events_of(events, "exec", ppid=shell))
    lost = sum(e["lost"] for e in events if e["type"] == "gap")
    check(lost > 0, f"a stopped reader with an 8 KiB ring lost nothing ({got} received)")
    check_eq(300, got + lost, "received + lost")
    dropped = slot_counters(env, reader.slot)["dropped"]
    check(dropped >= lost, f"dropped counter {dropped} < lost {lost}")
    env.load()                          # back to the default size


@test
@host_only
def config_file_sets_options_and_a_bad_line_is_refused(env):
    conf = os.path.join(env.tmp, "observe.conf")
    with open(conf, "w") as f:
        f.write("# test settings\nslots = 2   # two readers\nring-size = 64K\nargv-max=64\n")
    env.load("--config", conf)
    stats = env.stats()
    check_eq((2, 65536), (stats["slots_total"], stats["ring_size"]), "slots and ring size from the file")
    reader = env.reader("-t", "exec").wait_ready()
    child = subprocess.Popen(["/bin/true", "x" * 100])
    child.wait()
    settle()
    e = events_of(reader.stop(), "exec", pid=child.pid)
    check(len(e) == 1 and e[0].get("truncated") and len("".join(e[0]["argv"])) < 64,
          f"argv cut at argv-max = 64: {e}")
    with open(conf, "w") as f:
        f.write("slots = 2\nslots = many\n")
    res = run([env.tool("observe-load"), "--pin-dir", env.pin_dir, "--config", conf], check_rc=False)
    check(res.returncode == 1 and f"{conf}:2: slots must be a number".encode() in res.stderr,
          f"bad config: {res.returncode} {res.stderr!r}")
    # Every spelling getopt allows reads the file (each one refuses its bad line).
    for spelling in (["-c", conf], ["-c" + conf], ["-vc", conf], ["-vc" + conf], ["--config=" + conf],
                     ["--conf=" + conf], ["--conf", conf]):
        res = run([env.tool("observe-load"), "--pin-dir", env.pin_dir, *spelling], check_rc=False)
        check(res.returncode == 1 and f"{conf}:2: slots must be a number".encode() in res.stderr,
              f"observe-load {' '.join(spelling)} did not read the file: {res.returncode} {res.stderr!r}")
    res = run([env.tool("observe-load"), "--pin-dir", env.pin_dir, "--config", conf + ".missing"],
              check_rc=False)
    check(res.returncode == 1 and b"cannot read" in res.stderr, f"missing config: {res.stderr!r}")
    env.load()
    check_eq(4, env.stats()["slots_total"], "slots back to the default")


@test
def probe_reports_kernel_support_without_loading(env):
    links = link_count()
    res = run([env.tool("observe-load"), "--probe"])
    out = res.stdout.decode()
    print("\n".join("    " + line for line in out.splitlines()))
    for want in ("kernel: ", "btf: yes", "ring buffers in a map array (ring slots): yes",
                 "tp_btf/sched_process_exit", "verdict: observe can load"):
        check(want in out, f"--probe output lacks {want!r}")
    check_eq(links, link_count(), "links after --probe")


@test
def a_reader_says_so_when_observe_is_restarted_under_it(env):
    reader = env.reader("-t", "exec").wait_ready()
    env.unload()
    env.load()
    reader.proc.wait(5)
    check_eq(1, reader.proc.returncode, "reader exit code after a restart")
    check("start the reader again" in reader.stderr_text(), f"message: {reader.stderr_text()!r}")
    reader.stop()


@test
def bpftool_and_observe_stats_show_named_fields(env):
    out = run(["bpftool", "map", "dump", "pinned", os.path.join(env.pin_dir, "observe_filter")]).stdout
    for field in (b'"types_off"', b'"pid_mode"', b'"follow_children"'):
        check(field in out, f"bpftool dump of observe_filter lacks {field}: {out[:200]!r}")
    out = run(["bpftool", "map", "dump", "pinned", os.path.join(env.pin_dir, "observe_slot_stats")]).stdout
    check(b'"delivered"' in out and b'"dropped"' in out, f"slot stats dump: {out[:200]!r}")
    # The collectors' histograms and tables, as root sees them (the
    # per-process table fills only while syscall latency is on).
    env.user_tool("observe-filter", "enable", "syscall-latency")
    env.user_tool("observe-filter", "enable", "runq-latency")
    try:
        os.getppid()
        time.sleep(0.1)     # a few context switches for the run-queue histogram
        for name, fields in (("observe_syscalls", (b'"latency_ns"', b'"slots"', b'"errors"')),
                             ("observe_syscall_counts", (b'"count"', b'"errors"')),
                             ("observe_syscalls_by_pid", (b'"total_ns"', b'"comm"')),
                             ("observe_runq", (b'"latency_ns"', b'"sum"'))):
            out = run(["bpftool", "map", "dump", "pinned", os.path.join(env.pin_dir, name)]).stdout
            for field in fields:
                check(field in out, f"bpftool dump of {name} lacks {field}: {out[:200]!r}")
    finally:
        env.user_tool("observe-filter", "disable", "syscall-latency")
        env.user_tool("observe-filter", "disable", "runq-latency")
    dump = env.user_tool("observe-stats", "--dump").stdout
    for field in (b'"observe_slot_cfg"', b'"wakeup_bytes"', b'"per_cpu"', b'"load_count"'):
        check(field in dump, f"observe-stats --dump lacks {field}")
    text = env.user_tool("observe-stats", "--per-cpu").stdout.decode()
    check("delivered" in text and "cpu0" in text, f"observe-stats table: {text[:300]}")


@test
def bad_inputs_give_one_clear_line_and_nonzero_exit(env):
    cases = [
        (["observe-events", "-p", "abc"], 2, "pid must be a number"),
        (["observe-events", "-c", "sixteen-chars-xx"], 2, "comm is at most 15 bytes"),
        (["observe-events", "-t", "nope"], 2, "unknown event type 'nope'"),
        (["observe-events", "-t", "syscalls"], 2, "'syscalls' is counted in maps, not streamed"),
        (["observe-events", "--cgroup", "/no/such/cgroup"], 2, "no such cgroup"),
        (["observe-filter", "allow", "pid", "0"], 1, "pid must be between 1"),
        (["observe-filter", "allow", "color", "red"], 1, "unknown filter set 'color'"),
        (["observe-filter", "frobnicate"], 2, "unknown command 'frobnicate'"),
        (["observe-stats", "--watch=0"], 2, "duration must be more than 0"),
    ]
    for args, rc, message in cases:
        res = env.user_tool(*args, check_rc=False)
        err = res.stderr.decode().strip()
        check_eq(rc, res.returncode, f"exit code of {args}")
        check(message in err and len(err.splitlines()) == 1, f"{args}: stderr {err!r}")
    missing = run(env.as_user(MEMBER) + [env.tool("observe-events"), "--pin-dir",
                                         "/sys/fs/bpf/observe-test-missing"], check_rc=False)
    check_eq(1, missing.returncode, "exit code with nothing loaded")
    check("observe is not loaded" in missing.stderr.decode() and "run observe-load" in missing.stderr.decode(),
          f"message: {missing.stderr!r}")
    for args, message in ((["--slots", "99"], "slots must be between 1 and 16"),
                          (["--ring-size", "3000"], "size must be between"),
                          (["--ring-size", "12K"], "power of 2"),
                          (["--collectors", "gpu"], "unknown collector 'gpu' (known: process, files, net, syscalls, memory, block, cpu, profile, tls, all)")):
        res = run([env.tool("observe-load"), "--pin-dir", env.pin_dir, *args], check_rc=False)
        check(res.returncode != 0 and message in res.stderr.decode(), f"observe-load {args}: {res.stderr!r}")
    res = run(env.as_user(MEMBER) + [env.tool("observe-load"), "--pin-dir", env.pin_dir], check_rc=False)
    check(res.returncode == 1 and b"run it as root" in res.stderr, f"loader as non-root: {res.stderr!r}")
    check(os.path.exists(os.path.join(env.pin_dir, "observe_info")), "a refused load removed pins")


@test
def init_script_loads_reports_status_and_unloads_its_own_pin_dir(env):
    """start, status and stop all take the pin directory from OBSERVE_LOAD_OPTS."""
    script = os.path.join(env.build, "observe.init")
    pin_dir = env.pin_dir + "-init"
    env.extra_pin_dirs.append(pin_dir)
    environ = {k: v for k, v in os.environ.items() if k != "OBSERVE_PIN_DIR"}
    environ.update(OBSERVE_LOAD=env.tool("observe-load"),
                   OBSERVE_LOAD_OPTS=f"--group {GROUP} --pin-dir {pin_dir}")

    def service(action):
        return run(["sh", script, action], check_rc=False, env=environ)

    check_eq(3, service("status").returncode, "status before start")
    links = link_count()
    check_eq(0, service("start").returncode, "start")
    check_eq(0, service("status").returncode, "status after start")
    check(link_count() > links, "start attached no links")
    check_eq(0, service("stop").returncode, "stop")
    check_eq(3, service("status").returncode, "status after stop")
    check_eq(links, link_count(), "links after stop")
    check(not os.path.exists(pin_dir), f"{pin_dir} left after stop")



@test
def a_failed_execs_argc_counts_arguments_that_are_not_resident(env):
    reader = env.reader("-x", "-t", "exec").wait_ready()
    out = run([env.tool("test-failed-exec")]).stdout.decode()
    none = run([env.tool("test-failed-exec"), "null"]).stdout.decode()
    settle()
    events = reader.stop()
    mine = events_of(events, "exec", pid=int(out))
    check_eq(1, len(mine), f"failed exec events of the child {out.strip()} (all: {events})")
    e = mine[0]
    # Kernels before 6.8 copy the arguments before they open the file
    # (since: "execve: open the executable file before doing anything
    # else"), so there the strings are resident again when the exec fails.
    literals = ["untouched-argument-one", "untouched-argument-two", "untouched-argument-three"]
    nulls = sum(a is None for a in e["argv"])
    check_eq((5, ["/nonexistent/observe-failed-exec", "resident-argument"], "ENOENT"),
             (e["argc"], e["argv"][:2], e.get("error")), "argc, the resident arguments, error")
    check(all(a in (None, lit) for a, lit in zip(e["argv"][2:], literals)) and len(e["argv"]) == 5,
          f"each literal read or null: {e['argv']}")
    check_eq((nulls or None, True if nulls else None), (e.get("argv_missing"), e.get("incomplete")),
             f"argv_missing and incomplete for {nulls} null arguments")
    release = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2])
    if release >= (6, 8) and not nulls:
        raise Failure(f"the literals were resident on {os.uname().release}: the test proves less")
    bare = events_of(events, "exec", pid=int(none))
    check_eq(1, len(bare), f"failed exec events of the child {none.strip()} with no argv")
    check_eq((0, [], None, None), (bare[0]["argc"], bare[0]["argv"], bare[0].get("incomplete"),
                                   bare[0].get("argv_missing")),
             "execve(path, NULL, NULL): argc, argv, nothing incomplete or missing")
