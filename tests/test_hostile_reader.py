# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A hostile member of the group against another member's reader. Each ring's
consumer page is writable by the whole group: the reader must keep its own
position, stay correct (no replayed or invented events), end on SIGINT at
once, and say that its ring was tampered with."""
import os
import signal
import subprocess
import time

from harness import MEMBER, check, check_eq, events_of, settle, test_list

TESTS, test = test_list()

# A discarded record as long as the default 2 MiB ring less its header: the
# old reader, sent there, went round the ring inside one call for ever.
PLANTED_HEADER = bytes.fromhex("f8ff1f40")


def marker_execs(tag, n):
    """n execs of /bin/true whose argv says tag and their number."""
    for i in range(n):
        subprocess.run(["/bin/true", tag, str(i)], check=True)


class Meddler:
    """test-ring-tamper run as a member against one slot's ring."""

    def __init__(self, env, slot, secs, *mode):
        ring = os.path.join(env.pin_dir, f"slot{slot}", "ring")
        self.proc = subprocess.Popen(env.as_user(MEMBER) + [env.tool("test-ring-tamper"), ring,
                                                             str(secs), *mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        env.started.append(self.proc)
        line = self.proc.stdout.readline().decode()
        check(line.startswith("ready "), f"test-ring-tamper did not start: {line!r} "
              f"{self.proc.stderr.read().decode() if not line else ''}")

    def go(self):
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def wait(self):
        out, err = self.proc.communicate(timeout=30)
        check_eq(0, self.proc.returncode, f"test-ring-tamper exit code ({err.decode().strip()})")
        return out.decode()


def stop_within_a_second(reader):
    start = time.monotonic()
    events = reader.stop(signal.SIGINT, timeout=5)
    took = time.monotonic() - start
    check(took < 1.0, f"the reader took {took:.2f}s to stop on SIGINT (expected < 1s)")
    return events


def check_each_marker_once(events, tag, n):
    seqs = [(e["cpu"], e["seq"]) for e in events if "seq" in e]
    check_eq(len(seqs), len(set(seqs)), "events with distinct sequence numbers (none replayed)")
    got = sorted(int(e["argv"][2]) for e in events_of(events, "exec")
                 if e["argv"][1:2] == [tag])
    lost = sum(e["lost"] for e in events if e["type"] == "gap")
    if not lost:
        check_eq(list(range(n)), got, f"marker execs {tag} seen")
    check_eq(len(set(got)), len(got), f"marker execs {tag} seen once each: {got}")
    check(len(got) + lost >= n, f"{len(got)} marker execs {tag} seen + {lost} lost < {n}")


def check_tamper_reported(events, what):
    tampers = [e for e in events if e["type"] == "tamper"]
    check(tampers, f"no tamper record among {len(events)} lines")
    check(any(what in t["what"] for t in tampers), f"tamper records: {tampers}")


@test
def a_member_moving_a_readers_position_back_replays_nothing(env):
    reader = env.reader("-t", "exec").wait_ready()
    meddler = Meddler(env, reader.slot, 1.5, "rewind")
    marker_execs("observe-before-rewind", 20)
    settle()
    meddler.go()    # back to before those 20, again and again
    marker_execs("observe-during-rewind", 20)
    meddler.wait()
    settle()
    events = stop_within_a_second(reader)
    check_each_marker_once(events, "observe-before-rewind", 20)
    check_each_marker_once(events, "observe-during-rewind", 20)
    check_tamper_reported(events, "position was moved")


@test
def a_member_planting_a_header_cannot_wedge_a_reader(env):
    reader = env.reader("-t", "exec").wait_ready()
    # The header's bytes as exec arguments, one of them 8-aligned in the ring.
    planted = [b"x" * pad + PLANTED_HEADER * 2 for pad in range(8)]
    subprocess.run(env.as_user(MEMBER) + ["/bin/true", *planted], check=True)
    settle()
    meddler = Meddler(env, reader.slot, 1.5, "plant", PLANTED_HEADER.hex())
    meddler.go()
    marker_execs("observe-during-plant", 20)
    out = meddler.wait()
    check("planted at offset" in out, f"test-ring-tamper: {out!r}")
    settle()
    events = stop_within_a_second(reader)
    check_each_marker_once(events, "observe-during-plant", 20)
    check_tamper_reported(events, "position was moved")
    check("malformed" not in reader.stderr_text(), f"stderr: {reader.stderr_text().strip()}")


@test
def a_member_blocking_every_slot_is_named_by_the_claim_and_by_stats(env):
    nr_slots = env.stats()["slots_total"]
    dirs = [os.path.join(env.pin_dir, f"slot{i}") for i in range(nr_slots)]
    script = ("import fcntl, os, sys, time\n"
              "fds = [os.open(d, os.O_RDONLY) for d in sys.argv[1:]]\n"
              "[fcntl.flock(fd, fcntl.LOCK_SH) for fd in fds]\n"
              "print('held', flush=True)\n"
              "time.sleep(60)\n")
    blocker = subprocess.Popen(env.as_user(MEMBER) + ["python3", "-c", script, *dirs],
                               stdout=subprocess.PIPE)
    env.started.append(blocker)
    try:
        check_eq(b"held\n", blocker.stdout.readline(), "the blocker's word")
        res = env.user_tool("observe-events", "-n", "1", check_rc=False)
        err = res.stderr.decode()
        check_eq(1, res.returncode, f"exit code of a reader with every slot blocked ({err})")
        check(f"slot 0: pid {blocker.pid} (python3) holding a shared lock" in err,
              f"the claim's message names the blocker {blocker.pid}: {err.strip()}")
        slots = env.stats()["slots"]
        check_eq([("blocked", blocker.pid)] * nr_slots,
                 [(s["state"], s.get("reader_pid")) for s in slots], "slot states and holders")
    finally:
        blocker.kill()
        blocker.wait()
    reader = env.reader("-t", "exec").wait_ready()
    slot = next(s for s in env.stats()["slots"] if s["slot"] == reader.slot)
    check_eq(("in-use", reader.proc.pid), (slot["state"], slot.get("reader_pid")),
             "a reader's slot state and holder")
    reader.stop()
