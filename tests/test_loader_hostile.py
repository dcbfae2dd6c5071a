# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The loader against what a hostile user or a bad input can do to it: a pin
directory that leads elsewhere, a lock held by someone else, settings files
and --tls-binary paths that are not regular files. Each test checks that the
loader refuses in one line, in time, and that nothing outside its own pin
directory changed."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

from harness import (GROUP, IN_GUEST, MEMBER, OUTSIDER, Skip, cgroup2_root, check, check_eq,
                     host_only, run, settle, test_list, wait_until)

TESTS, test = test_list()
RUN_ORDER = 90  # after the collectors: it reloads the test load

LOCK_DIR = "/run/observe-load"
# Forks of one stream between two uses of a pid: far fewer than pid_max.
REUSE_AFTER = 1000


def load_cmd(env, pin_dir, *args):
    return [env.tool("observe-load"), "--pin-dir", pin_dir, "--group", GROUP, "-C", "process", *args]


def owner_and_mode(path):
    st = os.lstat(path)
    return (st.st_uid, st.st_gid, oct(stat.S_IMODE(st.st_mode)))


@test
def symlinked_pin_directory_is_refused_and_its_target_unchanged(env):
    scratch = tempfile.mkdtemp(prefix="observe-hostile-")
    secret = os.path.join(scratch, "secret")
    shared = os.path.join(scratch, "shared")
    with open(secret, "w") as f:
        f.write("root only\n")
    os.chmod(secret, 0o600)
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    link = f"{env.pin_dir}-link"
    below_map = os.path.join(env.pin_dir, "observe_info", "observe")
    try:
        cases = [(link, secret, link), (link, shared, link), (link, shared, os.path.join(link, "observe")),
                 (None, os.path.join(env.pin_dir, "observe_info"), below_map)]
        for link_path, target, pin_dir in cases:
            before = owner_and_mode(target)
            if link_path:
                os.symlink(target, link_path)
            try:
                for extra in ([], ["--unload"]):
                    res = run(load_cmd(env, pin_dir, *extra), check_rc=False, timeout=60)
                    err = res.stderr.decode(errors="replace").strip()
                    check_eq(1, res.returncode, f"exit of observe-load {' '.join(extra)} --pin-dir {pin_dir} "
                             f"({err})")
                    check("symbolic link" in err or "not a directory" in err,
                          f"the error should say why {pin_dir} is refused: {err!r}")
                    check_eq(1, len(err.splitlines()), f"lines of the error: {err!r}")
                    check_eq(before, owner_and_mode(target), f"owner and mode of {target}")
                if os.path.isdir(target):
                    check_eq([], os.listdir(target), f"entries created in {target}")
            finally:
                if link_path:
                    os.unlink(link_path)
    finally:
        if os.path.lexists(link):
            os.unlink(link)
        shutil.rmtree(scratch, ignore_errors=True)


@test
def pin_directory_made_by_another_user_on_a_sticky_bpffs_is_refused(env):
    # bpffs mounts 1777 by default: anyone may create a directory there
    # before the first load, maps of theirs in it.
    scratch = tempfile.mkdtemp(prefix="observe-hostile-")
    os.chmod(scratch, 0o755)
    mnt = os.path.join(scratch, "bpffs")
    os.mkdir(mnt)
    run(["mount", "-t", "bpf", "bpf", mnt])
    try:
        check_eq(oct(0o1777), oct(stat.S_IMODE(os.stat(mnt).st_mode)), "mode of a fresh bpffs mount")
        theirs = os.path.join(mnt, "observe")
        run(env.as_user(OUTSIDER) + ["mkdir", theirs])
        before = owner_and_mode(theirs)
        res = run(load_cmd(env, theirs), check_rc=False, timeout=60)
        err = res.stderr.decode(errors="replace").strip()
        check_eq(1, res.returncode, f"exit of observe-load --pin-dir {theirs} ({err})")
        check("not root" in err, f"the error should say whose it is: {err!r}")
        check_eq(before, owner_and_mode(theirs), f"owner and mode of {theirs}")
        check_eq([], os.listdir(theirs), f"entries created in {theirs}")
    finally:
        run(["umount", mnt], check_rc=False)
        shutil.rmtree(scratch, ignore_errors=True)


def lock_file(pin_dir):
    """The loaders' lock of a pin directory (loader/system.c, lock_name)."""
    return os.path.join(LOCK_DIR, urllib.parse.quote(pin_dir, safe="") + ".lock")


@test
@host_only
def held_lock_fails_the_loader_with_the_holders_pid_within_its_deadline(env):
    # An outsider's flock on /sys/fs/bpf and the pin directory's parent used
    # to block every observe-load forever; now it is nobody's lock.
    parent = os.path.dirname(env.pin_dir)
    outsider = subprocess.Popen(env.as_user(OUTSIDER) + ["flock", "--exclusive", parent, "sleep", "60"])
    env.started.append(outsider)
    holder = None
    try:
        time.sleep(0.3)
        check(outsider.poll() is None, f"the outsider's flock on {parent} should hold (exit {outsider.poll()})")
        t0 = time.monotonic()
        res = run(env.load_cmd("--lock-wait", "5"), check_rc=False, timeout=120)
        check_eq(0, res.returncode, f"a reload while an outsider flocks {parent} "
                 f"({res.stderr.decode(errors='replace').strip()})")
        # Root's lock, held by a process that is not a loader: the loader
        # waits its deadline, then names it.
        path = lock_file(env.pin_dir)
        check(os.path.exists(path), f"the lock file {path} should exist after a load")
        check_eq((0, oct(0o600)), (os.stat(path).st_uid, oct(stat.S_IMODE(os.stat(path).st_mode))),
                 f"owner and mode of {path}")
        check_eq(oct(0o700), oct(stat.S_IMODE(os.stat(LOCK_DIR).st_mode)), f"mode of {LOCK_DIR}")
        holder = subprocess.Popen(
            [sys.executable, "-c", "import fcntl, sys, time\n"
             "f = open(sys.argv[1], 'a'); fcntl.lockf(f, fcntl.LOCK_EX)\n"
             "print('held', flush=True); time.sleep(60)", path], stdout=subprocess.PIPE)
        env.started.append(holder)
        check_eq(b"held\n", holder.stdout.readline(), "the holder's word that it holds the lock")
        for extra in ([], ["--unload"]):
            t0 = time.monotonic()
            res = run(env.load_cmd("--lock-wait", "2", *extra), check_rc=False, timeout=30)
            took = time.monotonic() - t0
            err = res.stderr.decode(errors="replace")
            check_eq(1, res.returncode, f"exit of observe-load {' '.join(extra)} against a held lock ({err.strip()})")
            check(f"pid {holder.pid}" in err, f"the error should name the holder, pid {holder.pid}: {err!r}")
            check(2 <= took < 6, f"observe-load {' '.join(extra)} gave up after {took:.1f}s; its deadline is 2s")
        check(os.path.isdir(env.pin_dir), "the test load is still there")
    finally:
        for proc in (holder, outsider):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()


@test
@host_only
def settings_files_and_tls_binaries_must_be_regular_files(env):
    scratch = tempfile.mkdtemp(prefix="observe-hostile-")
    try:
        fifo = os.path.join(scratch, "fifo")
        os.mkfifo(fifo)
        long_line = os.path.join(scratch, "long.conf")
        with open(long_line, "w") as f:
            f.write("# " + "x" * 1100 + "slots = 16\n")
        fits = os.path.join(scratch, "fits.conf")
        with open(fits, "w") as f:
            f.write("#" + "x" * 1022 + "\nslots = 2\n")
        cases = [
            (["--config", long_line], "long.conf:1: line longer than 1023 bytes"),
            (["--config", scratch], "is a directory"),
            (["--config", "/dev/zero"], "not a regular file"),
            (["--config", fifo], "not a regular file"),
            (["--tls-binary", fifo], "not a regular file"),
        ]
        for args, says in cases:
            t0 = time.monotonic()
            res = run(load_cmd(env, env.pin_dir, *args), check_rc=False, timeout=20)
            err = res.stderr.decode(errors="replace").strip()
            check(res.returncode != 0, f"observe-load {' '.join(args)} should fail")
            check(says in err, f"observe-load {' '.join(args)} should say {says!r}: {err!r}")
            check(time.monotonic() - t0 < 5, f"observe-load {' '.join(args)} took {time.monotonic() - t0:.1f}s")
        # A line of exactly 1023 bytes is one line; the next is read.
        res = run([env.tool("observe-load"), "--config", fits, "--probe"], check_rc=False, timeout=20)
        check_eq(0, res.returncode, f"--probe with a 1023-byte line ({res.stderr.decode(errors='replace').strip()})")
        # The loader never took the lock: a load goes through at once.
        t0 = time.monotonic()
        run(env.load_cmd("--lock-wait", "0"), timeout=120)
        check(time.monotonic() - t0 < 60, "the reload after the refused inputs")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def exec_seen(env):
    return next(t for t in env.stats()["types"] if t["type"] == "exec")["seen"]


@test
def frozen_maps_are_named_and_a_reload_repairs_them_keeping_entries(env):
    env.user_tool("observe-filter", "deny", "comm", "no-such-comm")
    seen_before = exec_seen(env)
    frozen = ["observe_slot_cfg", "observe_readers", "observe_filter_comms", "slot1/ring"]
    res = run(env.as_user(MEMBER) + [env.tool("test-pin-open"), "freeze",
                                     *[os.path.join(env.pin_dir, m) for m in frozen]])
    out = res.stdout.decode()
    if "EPERM" in out and "OK" not in out:
        raise Skip(f"this kernel lets no group member freeze a map: {out.strip()}")
    check_eq(len(frozen), out.count(" OK"), f"maps the member froze: {out.strip()}")
    # Every consumer names the frozen map instead of failing obscurely.
    res = env.user_tool("observe-events", "-t", "exec", "-d", "1", check_rc=False, timeout=20)
    err = res.stderr.decode(errors="replace")
    check(res.returncode != 0 and "observe_slot_cfg was frozen by a group member" in err,
          f"a reader against a frozen observe_slot_cfg (exit {res.returncode}): {err!r}")
    res = env.user_tool("observe-filter", "deny", "comm", "another", check_rc=False, timeout=20)
    err = res.stderr.decode(errors="replace")
    check(res.returncode != 0 and re.search(r"observe_(readers|filter_comms) was frozen by a group member", err),
          f"observe-filter against a frozen set (exit {res.returncode}): {err!r}")
    res = env.user_tool("observe-stats", check_rc=False, timeout=20)
    err = res.stderr.decode(errors="replace")
    for name in frozen:
        check(f"{name} was frozen by a group member" in err, f"observe-stats should name {name}: {err!r}")
    # The reload replaces each frozen map, keeping its entries.
    res = env.load()
    err = res.stderr.decode(errors="replace")
    for name in ("observe_slot_cfg", "observe_readers", "observe_filter_comms"):
        check(f"{name} was frozen by a group member: replacing it" in err,
              f"the loader should name {name}: {err!r}")
    check("slot 1's ring was frozen" in err, f"the loader should name slot 1's ring: {err!r}")
    res = env.user_tool("observe-stats", check_rc=False, timeout=20)
    check("frozen" not in res.stderr.decode(errors="replace"),
          f"observe-stats after the reload: {res.stderr.decode(errors='replace')!r}")
    shown = json.loads(env.user_tool("observe-filter", "show", "--json").stdout)
    check("no-such-comm" in json.dumps(shown["comm"]), f"the comm set after the reload: {shown['comm']}")
    readers = [env.reader("-t", "exec", "-c", "true").wait_ready() for _ in range(2)]
    check_eq([0, 1], sorted(r.slot for r in readers), "slots claimed after the reload")
    shell = subprocess.Popen(["sh", "-c", "for i in 1 2 3; do /bin/true; done"])
    shell.wait()
    settle()
    for reader in readers:
        events = reader.stop()
        check_eq(3, len([e for e in events if e["type"] == "exec" and e["ppid"] == shell.pid]),
                 f"execs of the shell's children seen in slot {reader.slot} after the reload")
    check(exec_seen(env) >= seen_before + 3, f"exec counter: {seen_before} before the reload, "
          f"{exec_seen(env)} after")
    env.user_tool("observe-filter", "clear")


@test
def five_reloads_under_a_stream_of_execs_neither_double_nor_lose_one(env):
    root = cgroup2_root()
    if not root:
        raise Skip("no cgroup2 mount to hold the stream")
    cg = os.path.join(root, f"observe-reload-test-{os.getpid()}")
    least, reloads = (300, 2) if IN_GUEST else (3000, 5)
    stop = os.path.join(env.tmp, "stop-stream")
    os.mkdir(cg)
    shell = reader = None
    try:
        reader = env.reader("-t", "exec,fork,exit", "--cgroup", cg).wait_ready()

        def join_cgroup():
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        # At least 3,000 execs, and on until the reloads are over. The
        # guest emulates every instruction: fewer there, the same check.
        shell = subprocess.Popen(
            ["sh", "-c", f'i=0; while [ $i -lt {least} ] || [ ! -e {stop} ]; do /bin/true; i=$((i+1)); done; '
                         'echo $i'], stdout=subprocess.PIPE, preexec_fn=join_cgroup)
        env.started.append(shell)
        for n in range(reloads):
            res = env.load()
            check(b"removed" not in res.stderr, f"reload {n + 1} found leftovers: {res.stderr!r}")
        open(stop, "w").close()
        out, _ = shell.communicate(timeout=600)
        execs = int(out.decode().strip())
        settle()
        events = reader.stop()
    finally:
        if shell and shell.poll() is None:
            shell.kill()
            shell.wait()
        if reader and reader.proc.poll() is None:
            reader.proc.kill()
            reader.proc.wait()
        # The stream's last child may still be leaving its cgroup.
        wait_until(lambda: not open(os.path.join(cg, "cgroup.procs")).read().strip(), 10,
                   f"{cg} to empty")
        os.rmdir(cg)
    mine = {t: [e for e in events if e["type"] == t and
                (e["pid"] if t == "fork" else e["ppid"]) == shell.pid] for t in ("exec", "fork", "exit")}
    gaps = [e for e in events if e["type"] == "gap"]
    check_eq([], gaps, "gap records")
    for t, got in mine.items():
        check_eq(execs, len(got), f"{t} events of the stream's {execs} children across {reloads} reloads")
    # A pid comes back only after the kernel has gone round pid_max (32768
    # here; the stream may outrun it): a fork seen twice is twice within a
    # short stretch of the stream.
    forks = sorted(mine["fork"], key=lambda e: (e["ts_ns"], e["cpu"], e["seq"]))
    children = [e["child_pid"] for e in forks]
    last_at = {}
    for i, child in enumerate(children):
        check(i - last_at.get(child, -REUSE_AFTER) >= REUSE_AFTER,
              f"child {child} forked at {last_at.get(child)} and again at {i} of {execs} forks")
        last_at[child] = i
    check_eq(sorted(children), sorted(e["pid"] for e in mine["exec"]), "the children that exec'd")


def readers_value(env):
    out = run(["bpftool", "map", "dump", "pinned", os.path.join(env.pin_dir, "observe_readers")])
    return json.loads(out.stdout)[0]["value"]


def set_readers_mask(env, mask):
    """Rewrites observe_readers as root with another mask (no reader runs)."""
    value = readers_value(env)
    raw = (mask.to_bytes(8, "little") + value["pid_set_on"].to_bytes(2, "little")
           + value["follow_children"].to_bytes(2, "little") + value["details_on"].to_bytes(4, "little")
           + value["types_off"].to_bytes(8, "little")
           + value["generation"].to_bytes(4, "little") + value["slot_pid_sets"].to_bytes(4, "little")
           + b"".join(t.to_bytes(8, "little") for t in value["details_since"]))
    run(["bpftool", "map", "update", "pinned", os.path.join(env.pin_dir, "observe_readers"),
         "key", *["0"] * 4, "value", *[str(b) for b in raw]])


@test
def stale_reader_bits_are_cleared_at_a_reload_and_ignored_meanwhile(env):
    check_eq(0, readers_value(env)["mask"], "observe_readers mask with no reader")
    # A member's bits: past the 16 slots, and slot 9 of 4.
    stale = (0xffff << 16) | (1 << 9) | (1 << 40)
    set_readers_mask(env, stale)
    seen = exec_seen(env)
    shell = subprocess.Popen(["sh", "-c", "for i in 1 2 3; do /bin/true; done"])
    shell.wait()
    # The programs trust no bit past the slots: still no reader, nothing counted.
    check_eq(seen, exec_seen(env), "exec counter while only stale bits are set")
    # Nor do the consumers: no slot past --slots is looked for.
    for tool, args in (("observe-events", ("-t", "exec", "-d", "0.5")), ("observe-stats", ())):
        res = env.user_tool(tool, *args, check_rc=False, timeout=30)
        err = res.stderr.decode(errors="replace")
        check(res.returncode == 0 and "missing" not in err,
              f"{tool} with stale reader bits: exit {res.returncode}, {err!r}")
    generation = readers_value(env)["generation"]
    env.load()
    after = readers_value(env)
    check_eq(0, after["mask"], "observe_readers mask after the reload")
    check_eq(generation + 1, after["generation"], "generation after one reload")


@test
def leftovers_of_killed_runs_are_removed_and_a_half_first_load_unloads(env):
    # What a run killed in its commit leaves: pins under their tmp- names.
    def pin_map(path):
        run(["bpftool", "map", "create", path, "type", "array", "key", "4", "value", "4",
             "entries", "1", "name", "leftover"])
    leftovers = [os.path.join(env.pin_dir, "tmp-1-observe_filter"),
                 os.path.join(env.pin_dir, "links", "tmp-1-process-sched_exec"),
                 os.path.join(env.pin_dir, "slot0", "tmp-1-ring")]
    for path in leftovers:
        pin_map(path)
    res = env.load()
    err = res.stderr.decode(errors="replace")
    for path in leftovers:
        check(not os.path.exists(path), f"{path} is still there after a reload")
    check("left by a run that was killed" in err, f"the reload should say what it removed: {err!r}")
    # A first load killed before its renames: only tmp- pins.
    half = f"{env.pin_dir}-half"
    env.extra_pin_dirs.append(half)
    os.mkdir(half)
    os.mkdir(os.path.join(half, "slot0"))
    pin_map(os.path.join(half, "tmp-77-observe_info"))
    pin_map(os.path.join(half, "slot0", "tmp-77-ring"))
    res = run([env.tool("observe-load"), "--pin-dir", half, "--unload"], check_rc=False, timeout=60)
    check_eq(0, res.returncode, f"--unload of a half first load ({res.stderr.decode(errors='replace').strip()})")
    check(not os.path.exists(half), f"{half} is still there after --unload")


def tmp_pins(pin_dir):
    return sorted(os.path.relpath(os.path.join(d, f), pin_dir) for d, _, files in os.walk(pin_dir)
                  for f in files if f.startswith("tmp-"))


def killed_at_rename(cmd, nth):
    """cmd, killed (SIGKILL, by strace's fault injection) at its nth rename:
    a loader killed in its commit, at a chosen point."""
    res = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=rename,renameat,renameat2",
               "-e", f"inject=rename,renameat,renameat2:signal=SIGKILL:when={nth}", *cmd],
              check_rc=False, timeout=120)
    check(res.returncode != 0, f"the loader should have been killed at its rename {nth}: "
          f"exit {res.returncode}, {res.stderr.decode(errors='replace').strip()!r}")


@test
@host_only
def a_loader_killed_in_its_renames_doubles_nothing_and_leaves_nothing(env):
    # A reload of the process collector renames its 5 links over the old
    # ones; killed at the 3rd, both sets of some hooks stay attached.
    pin_dir = f"{env.pin_dir}-killed"
    env.extra_pin_dirs.append(pin_dir)
    load = [env.tool("observe-load"), "--pin-dir", pin_dir, "--group", GROUP, "-C", "process"]
    run(load)
    try:
        killed_at_rename(load, 3)
        left = tmp_pins(pin_dir)
        check(any(p.startswith("links/tmp-") for p in left), f"the killed run's links: {left}")
        reader = env.reader("-t", "exec,fork,exit", "--pin-dir", pin_dir).wait_ready()
        shell = subprocess.Popen(["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done"])
        shell.wait()
        settle()
        events = reader.stop()
        for t in ("exec", "fork", "exit"):
            got = [e for e in events if e["type"] == t and (e["pid"] if t == "fork" else e["ppid"]) == shell.pid]
            check_eq(10, len(got), f"{t} events of 10 children with both sets of links attached")
        res = run(load)
        err = res.stderr.decode(errors="replace")
        check_eq([], tmp_pins(pin_dir), "tmp- pins after the next run")
        check("left by a run that was killed" in err, f"the next run should say what it removed: {err!r}")
        # A first load killed in its commit: --unload removes all of it.
        run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"])
        killed_at_rename(load, 2)
        check(tmp_pins(pin_dir), f"the killed first load's tmp- pins in {pin_dir}")
        res = run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"], check_rc=False)
        check_eq(0, res.returncode, f"--unload of a first load killed in its commit "
                 f"({res.stderr.decode(errors='replace').strip()})")
        check(not os.path.exists(pin_dir), f"{pin_dir} is still there after --unload")
    finally:
        run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"], check_rc=False)
