# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""What observe's integration tests share: a test-only load of the real BPF
objects, a real non-root member of the group (and one outside it), readers
started as that user, and assertions that print expected versus actual.

Pins live only in a test directory under /sys/fs/bpf, removed at the end even
when a test fails; processes are ended only by the pids this suite started.
"""
import grp
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time

GROUP = "observe-test"
MEMBER = "observe-tester"      # in GROUP
OUTSIDER = "observe-outsider"  # not in GROUP
TLS_GROUP = "observe-tls-test"       # may read TLS plaintext
TLS_MEMBER = "observe-tls-tester"    # in GROUP and TLS_GROUP


# scripts/vmtest-init writes this file in the qemu guest, which emulates
# every instruction: there the suite runs what depends on the kernel.
IN_GUEST = os.path.exists("/run/vmtest-command")


class Failure(Exception):
    pass


def host_only(fn):
    """A test of user-space code alone (parsing, HTTP, rendering, a lock), or
    a second case of a kernel path another test covers in the guest: run on
    the host only, where the guest's emulation would cost minutes."""
    fn.host_only = True
    return fn


class Skip(Exception):
    """A test that cannot run here: its reason is printed, never silent."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_eq(expected, actual, what):
    if expected != actual:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise Failure(f"timed out after {timeout}s waiting for {what}")


def cgroup2_root():
    """Where the cgroup v2 file system is mounted, or None."""
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    return None


def run(cmd, check_rc=True, **kw):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if check_rc and res.returncode != 0:
        raise Failure(f"{' '.join(map(str, cmd))} exited {res.returncode}: "
                      f"{res.stderr.decode(errors='replace').strip()}")
    return res


def surrogate_bytes(text):
    """The exact bytes behind a JSON string from observe (\\udcXX = raw byte)."""
    return text.encode("utf-8", "surrogateescape")


def static_node():
    """node's path when its OpenSSL is linked in (nodesource's builds; Debian's
    node uses the system's libssl, probed anyway), else None; None in the
    guest, where node runs too slowly to be a test's client."""
    node = shutil.which("node")
    if not node or IN_GUEST:
        return None
    ldd = subprocess.run(["ldd", node], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return None if b"libssl" in ldd.stdout else os.path.realpath(node)


class Environment:
    """The users, the copied binaries and the test load."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.pin_dir = f"/sys/fs/bpf/observe-test-{os.getpid()}"
        self.created_users = []
        self.created_groups = []
        self.started = []          # Popen objects this suite started
        self.extra_pin_dirs = []   # other test loads, unloaded at cleanup
        self.tmp = tempfile.mkdtemp(prefix="observe-test-")
        os.chmod(self.tmp, 0o755)
        # The readers run as another user, who may not reach the build tree.
        self.bin = os.path.join(self.tmp, "bin")
        os.mkdir(self.bin)
        for name in ("observe-load", "observe-events", "observe-filter",
                     "observe-stats", "observe-hist", "observe-exporter",
                     "observe-profile", "observe-tls", "observe-agent", "test-pin-open",
                     "test-cpu-burner", "test-cpp-burner", "test-cpu-burner-nofp",
                     "test-tls-static", "test-ring-tamper", "test-failed-exec"):
            shutil.copy2(os.path.join(self.build, name), self.bin)
        self.out = os.path.join(self.tmp, "out")
        os.mkdir(self.out)
        os.chmod(self.out, 0o777)

    def unload_dead_runs(self):
        """A run killed outright (SIGKILL, a machine restart) could not unload
        its test pins: those of runs whose process is gone are unloaded here,
        before anything counts links. Live runs' are left alone."""
        for name in sorted(os.listdir("/sys/fs/bpf")):
            m = re.fullmatch(r"observe-test-(\d+)(-[\w-]+)?", name)
            if not m or int(m.group(1)) == os.getpid():
                continue
            try:
                os.kill(int(m.group(1)), 0)
                continue
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            res = run([os.path.join(self.bin, "observe-load"), "--pin-dir", f"/sys/fs/bpf/{name}",
                       "--unload"], check_rc=False)
            said = (res.stdout + res.stderr).decode(errors="replace").strip()
            print(f"  {name}: its run is gone; {said}")

    # -- users -----------------------------------------------------------
    def create_users(self):
        for group in (GROUP, TLS_GROUP):
            try:
                grp.getgrnam(group)
            except KeyError:
                run(["groupadd", "--system", group])
                self.created_groups.append(group)
        for user, groups in ((MEMBER, [GROUP]), (OUTSIDER, []), (TLS_MEMBER, [GROUP, TLS_GROUP])):
            try:
                pwd.getpwnam(user)
            except KeyError:
                cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
                if groups:
                    cmd += ["--groups", ",".join(groups)]
                run(cmd + [user])
                self.created_users.append(user)
        members = grp.getgrnam(GROUP).gr_mem
        check(MEMBER in members, f"{MEMBER} should be in {GROUP}, members are {members}")
        check(OUTSIDER not in members, f"{OUTSIDER} must not be in {GROUP}")
        tls_members = grp.getgrnam(TLS_GROUP).gr_mem
        check(TLS_MEMBER in tls_members and MEMBER not in tls_members,
              f"only {TLS_MEMBER} should be in {TLS_GROUP}, members are {tls_members}")

    def remove_users(self):
        for user in self.created_users:
            run(["userdel", user], check_rc=False)
        for group in self.created_groups:
            run(["groupdel", group], check_rc=False)

    def as_user(self, user):
        return ["setpriv", "--reuid", user, "--regid", str(pwd.getpwnam(user).pw_gid),
                "--init-groups", "--"]

    # -- binaries ----------------------------------------------------------
    def tool(self, name):
        return os.path.join(self.bin, name)

    def tls_args(self):
        """TLS capture is part of the test load, with the static client probed,
        and node, whose OpenSSL is linked in (the HTTP tests' fetch client)."""
        return (["--tls", "--tls-group", TLS_GROUP, "--tls-binary", self.tool("test-tls-static")] +
                (["--tls-binary", static_node()] if static_node() else []))

    def load_cmd(self, *args):
        return [self.tool("observe-load"), "--pin-dir", self.pin_dir, "--group", GROUP,
                *self.tls_args(), *args]

    def load(self, *args):
        return run(self.load_cmd(*args))

    def unload(self):
        return run([self.tool("observe-load"), "--pin-dir", self.pin_dir, "--unload"],
                   check_rc=False)

    def user_tool(self, name, *args, user=MEMBER, check_rc=True, **kw):
        """Runs a consumer as a (non-root) user against the test pins."""
        return run(self.as_user(user) + [self.tool(name), "--pin-dir", self.pin_dir, *args],
                   check_rc=check_rc, **kw)

    def stats(self, user=MEMBER):
        return json.loads(self.user_tool("observe-stats", "--json", user=user).stdout)

    def reader(self, *args, user=MEMBER, tool="observe-events"):
        reader = Reader(self, list(args), user, tool)
        self.started.append(reader.proc)
        return reader

    # -- cleanup -----------------------------------------------------------
    def end_started_since(self, index):
        """Ends what this suite started after started[index], by pid."""
        for proc in self.started[index:]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def cleanup(self):
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for pin_dir in self.extra_pin_dirs:
            run([self.tool("observe-load"), "--pin-dir", pin_dir, "--unload"], check_rc=False)
            shutil.rmtree(pin_dir, ignore_errors=True)
        self.unload()
        if os.path.exists(self.pin_dir):       # the loader failed to remove it
            shutil.rmtree(self.pin_dir, ignore_errors=True)
        self.remove_users()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Reader:
    """observe-events (or observe-tls) run as a user, its output in files."""
    count = 0

    def __init__(self, env, args, user, tool="observe-events"):
        Reader.count += 1
        base = os.path.join(env.out, f"reader{Reader.count}")
        self.stdout_path, self.stderr_path = base + ".out", base + ".err"
        self.stdout = open(self.stdout_path, "wb")
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            env.as_user(user) + [env.tool(tool), "--pin-dir", env.pin_dir,
                                 "--poll-ms", "10", *args],
            stdout=self.stdout, stderr=self.stderr)
        self.slot = None
        self.ready_marker = "streaming from TLS slot " if tool == "observe-tls" else "streaming from slot "

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_ready(self, timeout=5):
        """Waits for the status line that says the slot is claimed."""
        def ready():
            return self.ready_marker in self.stderr_text() or self.proc.poll() is not None
        wait_until(ready, timeout, "the reader to claim a slot")
        text = self.stderr_text()
        check(self.ready_marker in text,
              f"reader did not start (exit {self.proc.poll()}): {text.strip()}")
        self.slot = int(text.split(self.ready_marker)[1].split()[0])
        return self

    def stop(self, sig=signal.SIGINT, timeout=5):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"reader did not stop within {timeout}s of signal {sig}")
        self.stdout.close()
        self.stderr.close()
        return self.events()

    def events(self):
        with open(self.stdout_path, "rb") as f:
            data = f.read()
        events = []
        for n, line in enumerate(data.split(b"\n")):
            if not line:
                continue
            try:
                events.append(json.loads(line.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise Failure(f"line {n + 1} of the reader's output is not JSON ({e}): {line[:200]!r}")
        return events


def test_list():
    """A test module's list of tests, and the decorator that adds to it."""
    tests = []

    def test(fn):
        tests.append(fn)
        return fn
    return tests, test


def events_of(events, type_, **fields):
    return [e for e in events if e.get("type") == type_
            and all(e.get(k) == v for k, v in fields.items())]


def settle():
    """Readers poll every 10 ms in the tests; give them a few periods."""
    time.sleep(0.3)


def same_pid_twice(first_argv, second_argv, tries=30):
    """Runs first_argv to its end, then second_argv with the same pid
    (ns_last_pid hands it out again); returns both ended Popens. Other forks
    on the machine may take the pid first, so a few tries; Skip if every
    one lost it."""
    for _ in range(tries):
        first = subprocess.Popen(first_argv)
        first.wait()
        check_eq(0, first.returncode, f"exit code of {first_argv[0]}")
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(first.pid - 1))
        second = subprocess.Popen(second_argv)
        second.wait()
        check_eq(0, second.returncode, f"exit code of {second_argv[0]}")
        if second.pid == first.pid:
            return first, second
    raise Skip("another process took the pid every time (a busy machine)")
