#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Runs every test of observe: the C unit tests, then the integration tests on
the real kernel. Needs root (to load; the consumers run as a test user).
With --fuzz SECONDS, also runs each libFuzzer target that long (tests/fuzz.py);
with --arm64, also checks that the BPF objects build for arm64; with --vm,
also runs this whole suite on another kernel under qemu (scripts/vmtest.sh)
and counts its results. Ends with the line 'N passed, N failed'."""
import argparse
import importlib
import os
import re
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import IN_GUEST, Environment, Failure, Skip  # noqa: E402
import fuzz  # noqa: E402
import test_spine  # noqa: E402


def test_modules():
    """Every tests/test_*.py, by its RUN_ORDER (default 50) then its name: the
    spine first, the collectors' modules, what reloads the test load, and
    the unload of the test load last."""
    here = os.path.dirname(os.path.abspath(__file__))
    names = sorted(f[:-3] for f in os.listdir(here) if re.fullmatch(r"test_\w+\.py", f))
    modules = [importlib.import_module(n) for n in names]
    return sorted(modules, key=lambda m: (getattr(m, "RUN_ORDER", 50), m.__name__))


def run_unit_tests(build):
    res = subprocess.run([os.path.join(build, "unit-tests")], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = res.stdout.decode(errors="replace")
    lines = out.splitlines()
    summary = re.match(r"^(\d+) passed, (\d+) failed$", lines[-1] if lines else "")
    for line in lines[:-1]:
        print(f"  unit: {line}")
    if not summary:
        print(f"FAIL unit-tests: no summary line (exit {res.returncode})")
        return 0, 1
    return int(summary.group(1)), int(summary.group(2)) + (1 if res.returncode and not int(summary.group(2)) else 0)


SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_arm64_objects():
    """The CO-RE objects still compile for arm64 (built here, not loaded)."""
    res = subprocess.run(["make", "-s", "-C", TOP, "bpf-arm64"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    if res.returncode:
        print("FAIL bpf_objects_build_for_arm64:\n" + res.stdout.decode(errors="replace"))
        return 0, 1
    print("PASS bpf_objects_build_for_arm64")
    return 1, 0


def run_on_other_kernel(build, kernel, only):
    """This suite again in a qemu guest; its lines are shown prefixed by its
    kernel, and its summary line is added to ours."""
    cmd = [os.path.join(TOP, "scripts", "vmtest.sh")]
    if kernel:
        cmd += ["-k", kernel]
    cmd += ["--", "python3", os.path.join("tests", "run.py"), "--build", os.path.relpath(build, TOP)]
    if only:
        cmd += ["-k", only]
    label = kernel or "Debian 12's kernel"
    print(f"  running the suite on {label} under qemu", flush=True)
    proc = subprocess.Popen(cmd, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    summary = None
    for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip("\n")
        m = SUMMARY.match(line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
        print(f"  [vm] {line}", flush=True)
    rc = proc.wait()
    if summary is None:
        print(f"FAIL suite_on_other_kernel: no result from the guest (vmtest exit {rc})")
        return 0, 1
    if rc and not summary[1]:
        print(f"FAIL suite_on_other_kernel: exit {rc} with no failed test")
        return summary[0], 1
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build")
    parser.add_argument("-k", dest="only", help="run only integration tests whose name matches this regular expression")
    parser.add_argument("--fuzz", metavar="SECONDS", type=int,
                        help="also run each fuzz target (make fuzzers) for this long")
    parser.add_argument("--arm64", action="store_true", help="also build the BPF objects for arm64")
    parser.add_argument("--vm", metavar="PACKAGE", nargs="?", const="",
                        help="also run the suite on this kernel package under qemu "
                             "(empty: Debian 12's)")
    args = parser.parse_args()

    passed, failed = run_host_suite(args)
    extras = []
    if args.fuzz:
        extras.append(lambda: fuzz.run_all(args.build, args.fuzz))
    if args.arm64:
        extras.append(build_arm64_objects)
    if args.vm is not None:
        extras.append(lambda: run_on_other_kernel(args.build, args.vm, args.only))
    for extra in extras:
        p, f = extra()
        passed += p
        failed += f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def build_test_helpers(build):
    """The programs the tests run are not part of 'make all': built here,
    but not in the qemu guest (scripts/vmtest.sh sets VMTEST_KERNEL), where
    'make vmtest' built them, nor in a build tree we may not write."""
    if os.environ.get("VMTEST_KERNEL") or not os.access(build, os.W_OK):
        return True
    res = subprocess.run(["make", "-s", "-C", TOP, f"BUILD={os.path.abspath(build)}", "test-helpers"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if res.returncode:
        print("FAIL test_helpers_build:\n" + res.stdout.decode(errors="replace"))
    return res.returncode == 0


def run_host_suite(args):
    passed, failed = run_unit_tests(args.build)
    if os.geteuid() != 0:
        print("FAIL integration: the integration tests load BPF programs and need root")
        return passed, failed + 1
    if not build_test_helpers(args.build):
        return passed, failed + 1

    env = Environment(args.build)
    skipped = 0
    start = time.monotonic()
    try:
        env.create_users()
        env.unload_dead_runs()
        env.links_at_start = test_spine.link_count()
        env.load()
        print(f"  loaded into {env.pin_dir}")
        for fn in [fn for module in test_modules() for fn in module.TESTS]:
            if args.only and not re.search(args.only, fn.__name__):
                continue
            t0 = time.monotonic()
            started_before = len(env.started)
            try:
                if IN_GUEST and getattr(fn, "host_only", False):
                    raise Skip("host only: user-space code or a kernel path covered here by another test")
                fn(env)
                passed += 1
                print(f"PASS {fn.__name__} ({time.monotonic() - t0:.1f}s)", flush=True)
            except Skip as e:
                skipped += 1
                print(f"SKIP {fn.__name__}: {e}", flush=True)
            except Failure as e:
                failed += 1
                print(f"FAIL {fn.__name__}: {e}", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {fn.__name__}: error\n{traceback.format_exc()}", flush=True)
            finally:
                # A test that failed half-way leaves no reader holding a slot
                # for the tests after it: each failure stays its own.
                env.end_started_since(started_before)
    except Exception as e:
        failed += 1
        print(f"FAIL setup: {e}")
    finally:
        env.cleanup()
    print(f"  integration tests on {os.uname().release} took {time.monotonic() - start:.1f}s"
          + (f"; {skipped} skipped (reasons above)" if skipped else ""))
    return passed, failed


if __name__ == "__main__":
    sys.exit(main())
