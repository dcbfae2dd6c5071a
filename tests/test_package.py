# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""observe as a Debian tool: the package builds, passes lintian, installs
(groups made, the loader's unit enabled but not started under a policy that
says no), removes and purges to nothing; make install and uninstall honour
DESTDIR and PREFIX; the units pass systemd-analyze; every binary has
--version. Runs on the host only: the qemu guest has no package manager."""
import glob
import grp
import os
import re
import shutil
import subprocess

from harness import Skip, check, check_eq, run, test_list

TESTS, test = test_list()
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARIES = ["observe-load", "observe-events", "observe-filter", "observe-stats", "observe-hist",
            "observe-exporter", "observe-profile", "observe-tls", "observe-agent"]
GROUPS = ("observe", "observe-tls")
POLICY = "/usr/sbin/policy-rc.d"
MAX_EXPOSURE = 3.0


def on_host_only():
    if os.environ.get("OBSERVE_VMTEST"):
        raise Skip("the qemu guest has no package manager; checked on the host")
    if not shutil.which("dpkg-buildpackage"):
        raise Skip("dpkg-dev is not installed (make test installs it)")


def changelog_version():
    with open(os.path.join(TOP, "debian", "changelog")) as f:
        return re.match(r"^\S+ \(([^)]+)\)", f.readline()).group(1)


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


@test
def every_binary_says_its_version(env):
    version = changelog_version()
    for name in BINARIES:
        res = run([env.tool(name), "--version"])
        out = res.stdout.decode()
        check(re.match(rf"^{re.escape(name)} \(observe\) {re.escape(version)}(\+git\.[0-9a-f]+(-dirty)?)?\n$", out),
              f"{name} --version: expected '{name} (observe) {version}[+git.COMMIT]', got {out!r}")
        help_text = run([env.tool(name), "--help"]).stdout.decode()
        check("--version" in help_text, f"{name} --help does not mention --version")


@test
def make_install_and_uninstall_honour_destdir_and_prefix(env):
    on_host_only()
    dest = os.path.join(env.tmp, "destdir")
    args = ["make", "-s", "-C", TOP, f"BUILD={env.build}", f"DESTDIR={dest}", "PREFIX=/usr"]
    run(args + ["install"])
    for path in ["/usr/sbin/observe-load", "/usr/bin/observe-events", "/usr/share/man/man8/observe-load.8",
                 "/usr/share/man/man1/observe-tls.1", "/etc/default/observe", "/etc/observe/observe.conf",
                 "/lib/systemd/system/observe.service", "/lib/systemd/system/observe-exporter.service",
                 "/usr/lib/sysusers.d/observe.conf", "/etc/init.d/observe"]:
        check(os.path.exists(dest + path), f"make install did not install {path}")
    for unit, binary in (("observe.service", "/usr/sbin/observe-load"),
                         ("observe-exporter.service", "/usr/bin/observe-exporter")):
        with open(f"{dest}/lib/systemd/system/{unit}") as f:
            text = f.read()
        check(f"ExecStart={binary} " in text and "/usr/local" not in text,
              f"{unit} should name {binary} for PREFIX=/usr:\n{text}")
    with open(f"{dest}/etc/init.d/observe") as f:
        check("/usr/sbin/observe-load" in f.read(), "the init script names another loader than PREFIX's")
    run(args + ["uninstall"])
    left = sorted(os.path.relpath(os.path.join(d, f), dest)
                  for d, _, files in os.walk(dest) for f in files)
    check_eq(["etc/default/observe", "etc/observe/observe.conf"], left,
             "files left by make uninstall (the settings are kept)")


def security_exposure(unit_path):
    res = run(["systemd-analyze", "security", "--offline=yes", unit_path], check_rc=False)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", res.stdout.decode())
    check(m, f"systemd-analyze security printed no level for {unit_path}: {res.stdout[-300:]!r} {res.stderr!r}")
    return float(m.group(1))


class PolicySaysNo:
    """invoke-rc.d and deb-systemd-invoke start nothing while this is there."""

    def __enter__(self):
        self.own = not os.path.exists(POLICY)
        if self.own:
            with open(POLICY, "w") as f:
                f.write("#!/bin/sh\nexit 101\n")
            os.chmod(POLICY, 0o755)
        return self

    def __exit__(self, *exc):
        if self.own:
            os.unlink(POLICY)


def dpkg_status(package):
    res = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", package], check_rc=False)
    return res.stdout.decode().strip() if res.returncode == 0 else ""


@test
def debian_package_builds_installs_removes_and_purges_cleanly(env):
    on_host_only()
    if dpkg_status("observe"):
        raise Skip("a package 'observe' is installed on this machine already; not touching it")
    res = run(["make", "-s", "-C", TOP, f"BUILD={env.build}", "deb"], check_rc=False)
    check(res.returncode == 0, f"make deb failed:\n{res.stdout.decode()[-2000:]}{res.stderr.decode()[-2000:]}")
    debs = glob.glob(os.path.join(env.build, "deb", "observe_*.deb"))
    check_eq(1, len(debs), "packages built by make deb")
    deb = debs[0]

    # lintian: no errors; the warnings are printed for the record.
    lint = run(["lintian", "--no-tag-display-limit", deb], check_rc=False).stdout.decode()
    errors = [line for line in lint.splitlines() if line.startswith("E:")]
    check(not errors, "lintian errors:\n" + "\n".join(errors))
    for line in lint.splitlines():
        if line.startswith("W:"):
            print(f"  lintian: {line}")

    # Debian's hardening flags reached the link (the Makefile honours LDFLAGS).
    contents = os.path.join(env.tmp, "deb-contents")
    run(["dpkg-deb", "-x", deb, contents])
    dynamic = run(["readelf", "-d", os.path.join(contents, "usr/sbin/observe-load")]).stdout.decode()
    check("BIND_NOW" in dynamic or re.search(r"FLAGS.*NOW", dynamic), "observe-load is not linked with -z now")
    files = [line.split()[-1][1:] for line in
             run(["dpkg-deb", "-c", deb]).stdout.decode().splitlines() if not line.startswith("d")]

    groups_before = {g: group_exists(g) for g in GROUPS}
    pins_before = os.path.exists("/sys/fs/bpf/observe")
    wants = "/etc/systemd/system/multi-user.target.wants"
    try:
        with PolicySaysNo():
            res = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", deb], check_rc=False,
                      env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        check(res.returncode == 0, f"apt-get install failed: {res.stderr.decode()[-1500:]}")
        check_eq("ii", dpkg_status("observe"), "package state after install")
        for g in GROUPS:
            check(group_exists(g), f"group {g} was not created at install")
        check(os.path.islink(f"{wants}/observe.service"), "observe.service is not enabled")
        check(not os.path.exists(f"{wants}/observe-exporter.service"),
              "observe-exporter.service is enabled: it is the admin's choice")
        check_eq(pins_before, os.path.exists("/sys/fs/bpf/observe"),
                 "pins exist after an install under a policy that says no")
        out = run(["/usr/sbin/observe-load", "--version"]).stdout.decode()
        check(out.startswith(f"observe-load (observe) {changelog_version()}"), f"installed --version: {out!r}")
        for unit in ("observe.service", "observe-exporter.service"):
            path = f"/lib/systemd/system/{unit}"
            res = run(["systemd-analyze", "verify", "--man=no", path], check_rc=False)
            problems = [line for line in (res.stdout + res.stderr).decode().splitlines()
                        if unit in line and "ignoring" not in line.lower()]
            check(res.returncode == 0 and not problems, f"systemd-analyze verify {unit}: {problems}")
            level = security_exposure(path)
            check(level <= MAX_EXPOSURE, f"{unit}: exposure {level}, expected at most {MAX_EXPOSURE}")
            print(f"  {unit}: systemd-analyze security exposure {level}")

        run(["dpkg", "-r", "observe"])
        for path in ("/usr/sbin/observe-load", "/usr/bin/observe-events", "/lib/systemd/system/observe.service"):
            check(not os.path.exists(path), f"{path} left after dpkg -r")
        check(os.path.exists("/etc/observe/observe.conf"), "dpkg -r removed a conffile (purge does that)")

        run(["dpkg", "-P", "observe"])
        check(dpkg_status("observe") in ("", "un", "pn"), f"package state after purge: {dpkg_status('observe')!r}")
        left = [f for f in files if os.path.lexists("/" + f)]
        left += [p for p in ("/etc/observe", "/etc/default/observe", f"{wants}/observe.service")
                 if os.path.lexists(p)]
        check_eq([], left, "files of the package left after dpkg -P")
    finally:
        if dpkg_status("observe"):
            run(["dpkg", "-P", "observe"], check_rc=False)
        # The groups are the admin's after a purge (Debian leaves them); the
        # test removes the ones it made, to leave the machine as it found it.
        for g, existed in groups_before.items():
            if not existed and group_exists(g):
                run(["groupdel", g], check_rc=False)
