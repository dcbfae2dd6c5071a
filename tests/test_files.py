# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The files collector on the real kernel: openat and openat2, their paths,
flags, modes and results, read by a non-root group member."""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import time

from harness import GROUP, MEMBER, check, check_eq, events_of, run, settle, test_list

TESTS, test = test_list()

SYS_openat2 = 437          # the same number on x86_64 and arm64
AT_FDCWD = -100


class OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64)]


def openat2(path, flags, mode):
    """openat2(2) through libc's syscall(); returns the fd or -errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    how = OpenHow(flags, mode, 0)
    fd = libc.syscall(SYS_openat2, AT_FDCWD, path.encode(), ctypes.byref(how),
                      ctypes.sizeof(how))
    return fd if fd >= 0 else -ctypes.get_errno()


@test
def file_opens_come_out_with_path_flags_and_result(env):
    path = os.path.join(env.tmp, "opened by observe ✓.txt")
    with open(path, "w") as f:
        f.write("x\n")
    opener = os.path.join(env.tmp, "obs-opener")     # a comm no one else has
    shutil.copy2("/bin/cat", opener)
    reader = env.reader("-t", "open", "-c", "obs-opener").wait_ready()
    ok = subprocess.run([opener, path], stdout=subprocess.DEVNULL)
    failed = subprocess.run([opener, "/nonexistent/observe-test"], stderr=subprocess.DEVNULL)
    check_eq((0, 1), (ok.returncode, failed.returncode), "exit codes of cat")
    settle()
    events = reader.stop()
    check(events and all(e["type"] == "open" and e["comm"] == "obs-opener" for e in events),
          f"only opens by obs-opener: {events[:3]}")
    mine = events_of(events, "open", path=path)
    check_eq(1, len(mine), f"opens of {path!r}")
    e = mine[0]
    check(e["ret"] >= 0 and "error" not in e, f"a successful open returns an fd: {e}")
    check_eq("openat", e["syscall"], "syscall")
    check(e["flag_names"].startswith("O_RDONLY"), f"flags of cat's open: {e['flag_names']}")
    gone = events_of(events, "open", path="/nonexistent/observe-test")
    check_eq(1, len(gone), "opens of the missing file")
    check_eq((-2, "ENOENT"), (gone[0]["ret"], gone[0].get("error")), "ret and error")


@test
def failed_only_reader_gets_failed_opens_and_openat2_is_reported(env):
    created = os.path.join(env.tmp, "created-by-openat2")
    me = str(os.getpid())
    failures = env.reader("-t", "open", "-x", "-p", me).wait_ready()
    everything = env.reader("-t", "open", "-p", me).wait_ready()
    fd = openat2(created, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    check(fd >= 0, f"openat2 of {created}: {fd}")
    os.close(fd)
    check_eq(-17, openat2(created, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "second openat2")
    try:
        os.open("/nonexistent/observe-test", os.O_RDONLY)
    except FileNotFoundError:
        pass
    settle()
    got_failed = failures.stop()
    got_all = everything.stop()

    check(got_failed and all(e["ret"] < 0 for e in got_failed),
          f"a failed-only reader gets failed opens only: {got_failed}")
    check_eq(1, len(events_of(got_failed, "open", path="/nonexistent/observe-test")),
             "failed openat of the missing file")
    exists = events_of(got_failed, "open", path=created, syscall="openat2")
    check_eq(1, len(exists), "failed openat2")
    check_eq((-17, "EEXIST"), (exists[0]["ret"], exists[0]["error"]), "ret and error of openat2")

    made = [e for e in events_of(got_all, "open", path=created, syscall="openat2") if e["ret"] >= 0]
    check_eq(1, len(made), f"successful openat2 (all: {got_all})")
    check_eq(("O_WRONLY|O_CREAT|O_EXCL", "0640"), (made[0]["flag_names"], made[0]["mode"]),
             "flags and mode of openat2")
    check_eq(int(me), made[0]["pid"], "pid")


OPENAT = {"x86_64": 257, "aarch64": 56}


def own_pin_dir_opens(env, pin_dir, path):
    """The opens of 'path' that a member reads from pin_dir while it is
    opened."""
    reader = subprocess.Popen(env.as_user(MEMBER) + [env.tool("observe-events"), "--pin-dir", pin_dir,
                                                     "-t", "open", "-p", str(os.getpid())],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    env.started.append(reader)
    deadline = time.time() + 5
    line = b""
    while b"streaming from slot" not in line and time.time() < deadline:
        line = reader.stderr.readline()
    check(b"streaming from slot" in line, f"the reader claims a slot: {line!r}")
    with open(path):
        pass
    settle()
    reader.send_signal(signal.SIGINT)
    out, _ = reader.communicate(timeout=5)
    return [e for e in map(json.loads, out.decode().splitlines()) if e.get("path") == path]


@test
def opens_are_tail_called_from_the_syscalls_collector_or_on_their_own_trace_event(env):
    """With the syscalls collector loaded, sys_exit runs one probe: its
    program, which tail-calls the open, connect, accept and failed-exec
    programs by syscall number; without it, each is on its own trace event."""
    links = os.listdir(os.path.join(env.pin_dir, "links"))
    own = ["files-openat_exit", "files-openat2_exit", "net-connect_exit", "net-accept_exit",
           "net-accept4_exit", "process-execve_exit", "process-execveat_exit"]
    check("syscalls-syscall_exit" in links and not set(own) & set(links),
          f"the defaults' one sys_exit link, no syscall exit trace event: {links}")
    table = json.loads(run(["bpftool", "-j", "map", "dump", "pinned",
                            os.path.join(env.pin_dir, "syscall_exits")]).stdout)
    numbers = {int.from_bytes(bytes(int(b, 16) for b in entry["key"]), "little") for entry in table}
    check_eq(7, len(numbers), f"openat, openat2, connect, accept, accept4, execve, execveat: {numbers}")
    check(OPENAT[os.uname().machine] in numbers, f"openat's number among {numbers}")
    path = os.path.join(env.tmp, "opened-tail-called")
    open(path, "w").close()
    pin_dir = env.pin_dir + "-files"
    env.extra_pin_dirs.append(pin_dir)
    run([env.tool("observe-load"), "--pin-dir", pin_dir, "--group", GROUP, "-C", "files"])
    try:
        check_eq(["files-openat2_exit", "files-openat_exit"],
                 sorted(os.listdir(os.path.join(pin_dir, "links"))), "the files collector alone")
        check(not os.path.exists(os.path.join(pin_dir, "syscall_exits")), "no table without syscalls")
        check_eq(1, len(own_pin_dir_opens(env, pin_dir, path)), "an open read from its trace event")
        run([env.tool("observe-load"), "--pin-dir", pin_dir, "--group", GROUP, "-C", "files,syscalls"])
        check_eq(["syscalls-syscall_exit"], sorted(os.listdir(os.path.join(pin_dir, "links"))),
                 "with syscalls: its sys_exit program alone")
        check_eq(1, len(own_pin_dir_opens(env, pin_dir, path)), "an open read when tail-called")
    finally:
        run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"])
