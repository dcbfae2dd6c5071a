# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Who did it: process keys that survive pid reuse, the parent's key, a
tree rebuilt from the stream, the cgroup as a path with the container it
names, and the host, read by a non-root member."""
import json
import os
import shutil
import subprocess
import sys
import time

from harness import (IN_GUEST, MEMBER, Skip, cgroup2_root, check, check_eq, events_of, run,
                     same_pid_twice, settle, test_list)

TESTS, test = test_list()
CONTAINER_ID = "0123456789abcdef" * 4
POD_UID = "1f6c7d2e-3b4a-4c5d-9e8f-0a1b2c3d4e5f"


def cgroup2_mount():
    root = cgroup2_root()
    if not root:
        raise Skip("no cgroup2 file system is mounted")
    return root


def exec_of(events, marker):
    return [e for e in events_of(events, "exec") if marker in e.get("argv", [])]


@test
def every_event_has_the_host_and_process_keys_of_itself_and_its_parent(env):
    reader = env.reader("-t", "exec").wait_ready()
    marker = f"observe-id-{os.getpid()}-tree"
    # Three generations: sh -> sh -> true, each an exec the stream sees.
    run(["/bin/sh", "-c", f"/bin/sh -c '/bin/true {marker}; :' {marker}; :", marker])
    settle()
    events = reader.stop()
    gen = [e for e in events_of(events, "exec") if marker in e.get("argv", [])]
    check_eq(3, len(gen), f"execs of the three generations ({[e.get('argv') for e in gen]})")
    host = os.uname().nodename
    for e in gen:
        check_eq(host, e.get("host"), "host of an event")
        boot, pid, start = e["key"].split("-")
        check(pid == str(e["pid"]) and start == str(e["start_ns"]) and len(boot) == 8,
              f"key is boot-pid-start: {e['key']} for pid {e['pid']}, start {e['start_ns']}")
        check(e["parent_key"] == f"{boot}-{e['ppid']}-{e['parent_start_ns']}", f"parent_key: {e}")
    by_key = {e["key"]: e for e in gen}
    # The tree from the stream alone: each child's parent_key is its parent's key.
    top = [e for e in gen if e["parent_key"] not in by_key]
    check_eq(1, len(top), "one root of the tree")
    middle = [e for e in gen if e["parent_key"] == top[0]["key"]]
    check_eq(1, len(middle), "the child of the first generation")
    leaf = [e for e in gen if e["parent_key"] == middle[0]["key"]]
    check(len(leaf) == 1 and leaf[0]["filename"] == "/bin/true", f"the grandchild: {leaf}")


@test
def two_processes_with_the_same_pid_have_different_keys(env):
    """ns_last_pid hands the same pid to a second process after the first
    ended (same_pid_twice)."""
    reader = env.reader("-t", "exec").wait_ready()
    marker = f"observe-id-{os.getpid()}-reuse"
    first, _ = same_pid_twice(["/bin/true", marker], ["/bin/true", marker])
    pids = [first.pid]
    settle()
    mine = [e for e in exec_of(reader.stop(), marker) if e["pid"] == pids[0]]
    check_eq(2, len(mine), f"execs with pid {pids[0]}")
    check(mine[0]["key"] != mine[1]["key"], f"the same key for two processes: {mine[0]['key']}")


# The first process of a reused pid does much (getpriority calls, fresh
# pages touched), the second almost nothing: a row of the second that held
# the first's counts would show it.
BUSY = 20000
SYSCALLER = ("import os, sys\n"
             "for _ in range(int(sys.argv[1])): os.getpriority(os.PRIO_PROCESS, 0)\n")
TOUCHER = ("import mmap, sys\n"
           "n = int(sys.argv[1]); m = mmap.mmap(-1, max(n, 1) * mmap.PAGESIZE)\n"
           "for i in range(n): m[i * mmap.PAGESIZE] = 1\n")


def check_the_row_of_a_reused_pid(env, detail, table, program, counter):
    """Runs 'program' busy, then idle on the same pid, with 'detail' on:
    the pid's one row in observe-hist's 'table' is the second process's, with
    the key of its events, and its 'counter' left the first's behind."""
    env.user_tool("observe-filter", "enable", detail)
    try:
        reader = env.reader("-t", "exec").wait_ready()
        first, _ = same_pid_twice([sys.executable, "-c", program, str(BUSY)],
                                  [sys.executable, "-c", program, "0"])
        stats = json.loads(env.user_tool("observe-hist", "--json", "-N", "100000").stdout)
    finally:
        env.user_tool("observe-filter", "disable", detail)
    settle()
    execs = events_of(reader.stop(), "exec", pid=first.pid)
    check_eq(2, len(execs), f"exec events of the two processes with pid {first.pid}")
    check(execs[0]["key"] != execs[1]["key"], f"two processes, one key: {execs[0]['key']}")
    rows = [r for r in stats[table] if r["pid"] == first.pid]
    check_eq(1, len(rows), f"rows of pid {first.pid} in observe-hist's {table}")
    check_eq(execs[1]["key"], rows[0].get("key"), "the row's key: the second process's, as in its events")
    check_eq(execs[1]["start_ns"], rows[0].get("start_ns"), "the row's start_ns")
    check(rows[0][counter] < BUSY,
          f"the second process's {counter}, without the first's {BUSY}: {rows[0][counter]}")


@test
def a_syscall_row_carries_its_process_key_and_a_reused_pid_starts_a_new_row(env):
    check_the_row_of_a_reused_pid(env, "syscall-latency", "processes", SYSCALLER, "count")


@test
def a_fault_row_carries_its_process_key_and_a_reused_pid_starts_a_new_row(env):
    if not os.path.exists("/sys/kernel/tracing/events/exceptions/page_fault_user"):
        raise Skip("this kernel has no exceptions:page_fault_user tracepoint (x86 only)")
    check_the_row_of_a_reused_pid(env, "page-faults", "faults", TOUCHER, "faults")


@test
def cgroup_paths_and_containers_are_named_and_filtered(env):
    root = cgroup2_mount()
    base = os.path.join(root, f"observe-test-{os.getpid()}")
    pod = f"kubepods-burstable-pod{POD_UID.replace('-', '_')}.slice"
    dirs = {"docker": f"docker-{CONTAINER_ID}.scope",
            "cri": f"{pod}/cri-containerd-{CONTAINER_ID[::-1]}.scope",
            "plain": "plain.service"}
    made = []
    try:
        for rel in dirs.values():
            path = base
            for part in rel.split("/"):
                path = os.path.join(path, part)
                if not os.path.isdir(path):
                    os.makedirs(path)
                    made.append(path)
    except OSError as e:
        raise Skip(f"cannot make cgroups under {root}: {e}")
    try:
        reader = env.reader("-t", "exec").wait_ready()
        only = env.reader("-t", "exec", "--container", CONTAINER_ID[:12]).wait_ready()
        marker = f"observe-id-{os.getpid()}-cg"
        for name, rel in dirs.items():
            procs = os.path.join(base, rel, "cgroup.procs")
            run(["/bin/sh", "-c", f"echo $$ > {procs} && exec /bin/true {marker} {name}"])
        settle()
        events, filtered = reader.stop(), only.stop()
        rel_base = "/" + os.path.relpath(base, root)
        got = {e["argv"][-1]: e for e in exec_of(events, marker)}
        check_eq(sorted(dirs), sorted(got), "execs from the three cgroups")
        for name, rel in dirs.items():
            check_eq(f"{rel_base}/{rel}", got[name].get("cgroup"), f"cgroup path of the {name} exec")
        check(got["docker"].get("container") == CONTAINER_ID and
              got["docker"].get("container_runtime") == "docker", f"docker fields: {got['docker']}")
        cri = got["cri"]
        check(cri.get("container") == CONTAINER_ID[::-1] and cri.get("container_runtime") == "containerd"
              and cri.get("pod_uid") == POD_UID, f"CRI fields: {cri}")
        check("container" not in got["plain"] and "pod_uid" not in got["plain"],
              f"an unknown form names no container: {got['plain']}")
        only_mine = [e["argv"][-1] for e in exec_of(filtered, marker)]
        check_eq(["docker"], only_mine, "execs seen by --container with a 12-digit prefix")

        missing = env.user_tool("observe-events", "--container", "feedfacefeed", check_rc=False)
        check(missing.returncode == 2 and b"no container 'feedfacefeed'" in missing.stderr,
              f"an unknown container: {missing.returncode} {missing.stderr!r}")
        env.user_tool("observe-filter", "allow", "container", CONTAINER_ID[::-1][:12])
        shown = env.user_tool("observe-filter", "show").stdout.decode()
        env.user_tool("observe-filter", "clear", "cgroup")
        ino = str(os.stat(os.path.join(base, dirs["cri"])).st_ino)
        check(ino in shown, f"'allow container' put the container's cgroup {ino} in the set: {shown}")
    finally:
        for path in reversed(made):
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except OSError:
                    time.sleep(0.02)
        shutil.rmtree(base, ignore_errors=True)


@test
def an_exec_names_the_executable_the_kernel_opened_and_the_image_it_replaced(env):
    """By a relative name through a symbolic link from a shell that execs:
    exe is the file the kernel resolved, prev_exe the shell's own image."""
    reader = env.reader("-t", "exec").wait_ready()
    marker = f"observe-id-{os.getpid()}-exe"
    link_dir = os.path.join(env.tmp, "exe-links")
    os.makedirs(link_dir, exist_ok=True)
    true = os.path.realpath(shutil.which("true"))
    os.symlink(true, os.path.join(link_dir, "my-true"))
    shell = os.path.realpath("/bin/sh")
    run(["/bin/sh", "-c", f"cd {link_dir} && exec ./my-true {marker}"])
    # A copy in the test's directory, on another mount when /tmp is one.
    copy = os.path.join(link_dir, "copied-true")
    shutil.copy(true, copy)
    run([copy, marker, "copy"])
    # And one on a tmpfs mounted in a mount namespace of its own: the walk
    # crosses the mount and stops at that namespace's root.
    mnt = os.path.join(link_dir, "mnt")
    os.mkdir(mnt)
    run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
         f"mount -t tmpfs observe-test {mnt} && cp {true} {mnt}/t && {mnt}/t {marker} mounted"])
    failed = run(["/bin/sh", "-c", f"exec /nonexistent/{marker}"], check_rc=False)
    check(failed.returncode != 0, "the exec of a missing file failed")
    settle()
    events = events_of(reader.stop(), "exec")
    execs = [e for e in events if marker in e.get("argv", [])]
    check_eq(3, len(execs), "the exec through the link, the copy's and the mounted one's")
    e, copied, mounted = execs
    check_eq(os.path.realpath(copy), copied.get("exe"), "exe of a file in the test's directory")
    check_eq(os.path.realpath(mnt) + "/t", mounted.get("exe"), "exe on a tmpfs mounted there")
    check_eq("./my-true", e.get("filename"), "filename: as execve was given it")
    check_eq(true, e.get("exe"), "exe: the file the kernel opened")
    check_eq(shell, e.get("prev_exe"), "prev_exe: the shell the exec replaced")
    fails = [e for e in events if e.get("filename") == f"/nonexistent/{marker}"]
    check(len(fails) == 1 and "exe" not in fails[0] and "prev_exe" not in fails[0],
          f"a failed exec names no image: {fails}")


@test
def a_reader_with_exe_follows_the_processes_of_that_file_alone(env):
    """--exe: a process running the file before the reader started (the
    reader's own user's), one started after it, and neither the same
    program from another file nor a child once it execs something else."""
    if IN_GUEST:
        raise Skip("the guest's /tmp is an overlay on 9p, whose files stat(2) and the kernel's "
                   "exec number apart; checked on the host")
    exe = os.path.join(env.tmp, "exe-filter-sh")
    shutil.copy(os.path.realpath("/bin/sh"), exe)
    os.chmod(exe, 0o755)
    marks = {name: os.path.join(env.tmp, f"exe-filter-{name}") for name in ("before", "after", "other")}
    for path in marks.values():
        open(path, "w").close()
        os.chmod(path, 0o644)
    # It waits for the reader on a FIFO, in the shell itself: a child
    # (a sleep) would leave the set by its exec as the reader seeds it.
    go = os.path.join(env.tmp, "exe-filter-go")
    os.mkfifo(go, 0o644)
    before = subprocess.Popen(env.as_user(MEMBER) + [
        exe, "-c", f"read line < {go}; : < {marks['before']}"])
    env.started.append(before)
    reader = env.reader("-t", "exec,open", "--exe", exe).wait_ready()
    with open(go, "w") as f:
        f.write("go\n")
    run([exe, "-c", f": < {marks['after']}; /bin/true"])
    run(["/bin/sh", "-c", f": < {marks['other']}"])
    before.wait(timeout=10)
    settle()
    events = reader.stop()
    opened = [e["path"] for e in events_of(events, "open") if e.get("path") in marks.values()]
    check_eq(sorted([marks["before"], marks["after"]]), sorted(opened),
             "opens of the file's processes, started before and after the reader")
    # The one started before may exec the file after the reader began: one or two.
    execs = [e.get("exe") for e in events_of(events, "exec")]
    check(execs and set(execs) == {os.path.realpath(exe)},
          f"execs: the file's own, not /bin/true's after it: {execs}")
    for bad in (["--exe", "/nonexistent"], ["--exe", env.tmp]):
        res = env.user_tool("observe-events", *bad, check_rc=False)
        check(res.returncode == 2 and res.stderr.decode().count("\n") == 1 and b"--exe" in res.stderr,
              f"{bad}: {res.returncode} {res.stderr!r}")
