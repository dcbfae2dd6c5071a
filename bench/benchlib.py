#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""JSON work for the benchmark scripts (bench/lib.sh calls it): which BPF
programs are whose, their kernel run-time counters, observe-stats' slots, the
memory of pinned objects, and the tables of bench/run.sh.

    benchlib.py ids-links DIR          "hook prog_id" of observe's links in DIR/links
    benchlib.py ids-perf PID           "hook prog_id" of the tracepoints PID attached (bpftrace)
    benchlib.py ids-empty FILE         "hook prog_id" from the output of build/bench/empty
    benchlib.py perf-count PID         how many perf attachments PID holds
    benchlib.py snap IDS               "hook prog_id run_time_ns run_cnt" now
    benchlib.py delta BEFORE AFTER     "hook prog_id runs avg_ns" between two snaps
    benchlib.py foreign [--all] IDS... programs on observe's hooks that are not in IDS
                                       (--all: on any tracepoint, raw or classic)
    benchlib.py slot STATS_JSON PID    "slot delivered dropped bytes" of the slot PID reads
    benchlib.py memlock DIR            memory of what observe pinned in DIR
    benchlib.py report TMPDIR CPU      the tables of bench/run.sh
    benchlib.py floor-report TMPDIR    its floors (bench/floor.bpf.c) beside observe's fork program
    benchlib.py dispatch-report TMPDIR what an empty program adds end to end, and the
                                       issue's ratios of extra cost with it
    benchlib.py project DIR N          writes a C project of N files and its Makefile
    benchlib.py syscall-report TMPDIR CPU N   bench/collectors.sh's getppid table
    benchlib.py build-report TMPDIR    bench/collectors.sh's build table
    benchlib.py rate N SECS            N / SECS, rounded
    benchlib.py agent-report RUNS PROGS  bench/agent.sh's tables
    benchlib.py compare-report FILE CONFIGS   bench/compare.sh's tables
    benchlib.py compare-targets FILE   its loops against issue 19's targets
    benchlib.py identity-report TMPDIR ROUNDS  bench/identity.sh's table per program
"""
import json
import os
import statistics
import subprocess
import sys

# Hook names as observe names its programs.
TRACEPOINT_HOOK = {
    "sched_process_exec": "sched_exec",
    "sched_process_fork": "sched_fork",
    "sched_process_exit": "sched_exit",
    "sys_enter_execve": "execve_enter",
    "sys_exit_execve": "execve_exit",
    "sys_enter_execveat": "execveat_enter",
    "sys_exit_execveat": "execveat_exit",
}
HOOKS = list(TRACEPOINT_HOOK.values())
EXEC_HOOKS = ["sched_exec", "sched_fork", "sched_exit", "execve_enter", "execve_exit"]
FORK_HOOKS = ["sched_fork", "sched_exit"]
EVENTS_PER_ITER = {"exec": 3, "fork": 2, "syscall": 0}


def bpftool(*args):
    out = subprocess.run(["bpftool", "--json", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


def read_ids(path):
    ids = []
    with open(path) as f:
        for line in f:
            hook, pid = line.split()
            ids.append((hook, int(pid)))
    return ids


def ids_links(pin_dir):
    links = os.path.join(pin_dir, "links")
    for name in sorted(os.listdir(links)):
        link = bpftool("link", "show", "pinned", os.path.join(links, name))
        # Links are named <collector>-<program>; programs are named after hooks
        # (sched_exit_live: the exit where the tracepoint has no group_dead).
        print(name.split("-", 1)[-1].removesuffix("_live"), link["prog_id"])


def ids_perf(pid):
    for p in bpftool("perf", "show"):
        if p.get("pid") == pid and p.get("fd_type") == "tracepoint":
            hook = TRACEPOINT_HOOK.get(p["tracepoint"], p["tracepoint"])
            print(hook, p["prog_id"])


def ids_empty(path):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                print(parts[1].removeprefix("e_"), parts[0])


def perf_count(pid):
    print(sum(1 for p in bpftool("perf", "show") if p.get("pid") == pid))


def snap(ids_path):
    progs = {p["id"]: p for p in bpftool("prog", "show")}
    for hook, pid in read_ids(ids_path):
        p = progs.get(pid, {})
        print(hook, pid, p.get("run_time_ns", 0), p.get("run_cnt", 0))


def delta(before_path, after_path):
    def load(path):
        with open(path) as f:
            return {(l.split()[0], l.split()[1]): (int(l.split()[2]), int(l.split()[3]))
                    for l in f if l.strip()}
    before, after = load(before_path), load(after_path)
    for key, (t1, n1) in after.items():
        t0, n0 = before.get(key, (0, 0))
        runs = n1 - n0
        avg = (t1 - t0) / runs if runs > 0 else 0.0
        print(key[0], key[1], runs, f"{avg:.1f}")


def foreign(ids_paths):
    everywhere = bool(ids_paths) and ids_paths[0] == "--all"
    if everywhere:
        ids_paths = ids_paths[1:]
    ours = set()
    for path in ids_paths:
        if os.path.exists(path):
            ours.update(pid for _, pid in read_ids(path))
    found = []
    for l in bpftool("link", "show"):
        if l.get("prog_id") in ours:
            continue
        if l.get("type") == "raw_tracepoint" and (
                everywhere or l.get("tp_name") in TRACEPOINT_HOOK):
            found.append(f"raw_tp {l.get('tp_name', '?')} (prog {l['prog_id']})")
        elif l.get("type") == "perf_event":
            found.append(f"perf_event link (prog {l['prog_id']})")
    for p in bpftool("perf", "show"):
        if p.get("prog_id") not in ours and "tracepoint" in p and (
                everywhere or p["tracepoint"] in TRACEPOINT_HOOK):
            found.append(f"tracepoint {p['tracepoint']} (prog {p['prog_id']}, pid {p['pid']})")
    if found:
        print(f"{len(found)} other BPF attachments: " + ", ".join(found[:6])
              + (", ..." if len(found) > 6 else ""))


def slot(stats_path, reader_pid):
    with open(stats_path) as f:
        stats = json.load(f)
    for s in stats.get("slots", []):
        if s.get("reader_pid") == reader_pid:
            print(s["slot"], s["delivered"], s["dropped"], s["bytes"])
            return
    print(-1, 0, 0, 0)


def memlock(pin_dir):
    maps = {m["id"]: m for m in bpftool("map", "show")}
    pinned = {}
    for root, dirs, files in os.walk(pin_dir):
        dirs[:] = [d for d in dirs if d != "links"]
        for name in files:
            path = os.path.join(root, name)
            m = bpftool("map", "show", "pinned", path)
            pinned[m["id"]] = os.path.relpath(path, pin_dir)
    progs, held = [], set()
    links = os.path.join(pin_dir, "links")
    for name in sorted(os.listdir(links)):
        link = bpftool("link", "show", "pinned", os.path.join(links, name))
        p = bpftool("prog", "show", "id", str(link["prog_id"]))
        progs.append(p)
        held.update(p.get("map_ids", []))

    def kib(n):
        return f"{n / 1024:10.1f} KiB"

    total_pinned = total_held = total_progs = 0
    print(f"  {'object':34} {'type':16} {'memlock':>14}")
    for mid in sorted(pinned, key=lambda i: pinned[i]):
        m = maps[mid]
        total_pinned += m["bytes_memlock"]
        print(f"  {pinned[mid]:34} {m['type']:16} {kib(m['bytes_memlock'])}")
    for mid in sorted(held - set(pinned)):
        m = maps.get(mid)
        if not m:
            continue
        total_held += m["bytes_memlock"]
        print(f"  {'(map of programs) ' + m.get('name', '?'):34} {m['type']:16} "
              f"{kib(m['bytes_memlock'])}")
    for p in progs:
        total_progs += p["bytes_memlock"]
        print(f"  {'(program) ' + p['name']:34} {p['type']:16} {kib(p['bytes_memlock'])}")
    print(f"  {'pinned maps':51} {kib(total_pinned)}")
    print(f"  {'maps held only by the programs':51} {kib(total_held)}")
    print(f"  {'programs (' + str(len(progs)) + ')':51} {kib(total_progs)}")
    print(f"  {'total':51} {kib(total_pinned + total_held + total_progs)}")


def project(out_dir, nfiles):
    """A C project like a small library: nfiles sources of 8 functions
    each (loops, a switch, string and struct work, libc headers), a shared
    header, a main, and a Makefile that builds them with $(CC) -O2."""
    funcs = 8
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "common.h"), "w") as f:
        f.write("#include <stddef.h>\n#include <stdint.h>\n"
                "struct rec { char name[32]; uint64_t key; double weight; int kind; };\n")
        for i in range(nfiles):
            for j in range(funcs):
                f.write(f"uint64_t f{i}_{j}(struct rec *r, size_t n, const char *s);\n")
    body = """
uint64_t f{i}_{j}(struct rec *r, size_t n, const char *s)
{{
	uint64_t h = {seed}u;
	size_t k, len = strlen(s);

	for (k = 0; k < n; k++) {{
		switch ((r[k].kind + {j}) % 5) {{
		case 0: h = h * 31 + r[k].key; break;
		case 1: h ^= (uint64_t)(r[k].weight * {j}.5); break;
		case 2: snprintf(r[k].name, sizeof(r[k].name), "%s-%zu", s, k); break;
		case 3: h += strncmp(r[k].name, s, len) ? k : {seed}u; break;
		default: r[k].weight = r[k].weight / 2 + (double)(h & 0xff);
		}}
	}}
	for (k = 0; k + 1 < n; k++)
		if (r[k].key > r[k + 1].key) {{
			struct rec t = r[k];
			r[k] = r[k + 1];
			r[k + 1] = t;
		}}
	return h + (n ? f{i}_{prev}(r + 1, n - 1, s) : 0);
}}
"""
    for i in range(nfiles):
        with open(os.path.join(out_dir, f"f{i}.c"), "w") as f:
            f.write("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
                    "#include \"common.h\"\n")
            for j in range(funcs):
                f.write(body.format(i=i, j=j, prev=(j - 1) % funcs, seed=i * 1000 + j))
    with open(os.path.join(out_dir, "main.c"), "w") as f:
        f.write("#include <stdio.h>\n#include \"common.h\"\nint main(void)\n{\n"
                "\tstruct rec r[4] = {{ \"a\", 1, 1.0, 0 }};\n\tuint64_t h = 0;\n")
        for i in range(nfiles):
            f.write(f"\th += f{i}_0(r, 0, \"x\");\n")
        f.write("\tprintf(\"%llu\\n\", (unsigned long long)h);\n\treturn 0;\n}\n")
    objs = " ".join(f"f{i}.o" for i in range(nfiles))
    with open(os.path.join(out_dir, "Makefile"), "w") as f:
        f.write(f"CFLAGS = -O2 -g -Wall\nOBJS = main.o {objs}\n"
                "prog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n"
                "%.o: %.c common.h\n\t$(CC) $(CFLAGS) -c $< -o $@\n"
                "clean:\n\trm -f prog $(OBJS)\n")


def median_spread(vals):
    m = statistics.median(vals)
    return m, (max(vals) - min(vals)) / m * 100 if m else 0.0


def read_vals(path):
    with open(path) as f:
        return [float(v) for v in f.read().split()]


SYSCALL_CONFIGS = [
    ("a", "nothing loaded"),
    ("b", "syscalls collector, counting (no reader)"),
    ("c", "syscalls collector, switched off (filter)"),
    ("d", "everything loaded + 1 reader > /dev/null"),
    ("e", "bpftrace raw_syscalls:sys_enter @[comm]=count()"),
]


def syscall_report(tmp, cpu, n):
    rows = {c: read_vals(os.path.join(tmp, f"sc.{c}")) for c, _ in SYSCALL_CONFIGS
            if os.path.exists(os.path.join(tmp, f"sc.{c}"))}
    base, base_spread = median_spread(rows["a"])
    print(f"Per-syscall cost: getppid x{n} on CPU {cpu}, ns per call, median of"
          f" {len(rows['a'])} interleaved rounds")
    print(f"  {'config':52} {'ns/call':>8} {'+ns':>7} {'vs (a)':>7} {'spread':>7}   rounds")
    for cfg, label in SYSCALL_CONFIGS:
        if cfg not in rows:
            continue
        m, spread = median_spread(rows[cfg])
        extra = "" if cfg == "a" else f"{m - base:+.0f}"
        print(f"  ({cfg}) {label:48} {m:8.0f} {extra:>7} {m / base:6.2f}x {spread:6.1f}%   "
              + " ".join(f"{v:.0f}" for v in rows[cfg]))
    print("  spread = (max-min)/median of the rounds; a difference from (a) smaller than"
          " both spreads is noise")
    progs = {}
    for cfg, _ in SYSCALL_CONFIGS:
        path = os.path.join(tmp, f"progs.{cfg}")
        if os.path.exists(path):
            with open(path) as f:
                progs[cfg] = [l.split() for l in f if l.strip()]
    if progs:
        nstats = int(open(os.path.join(tmp, "progs.n")).read())
        print(f"  BPF program run time (kernel.bpf_stats_enabled=1, getppid x{nstats},"
              " round 1): average ns per run [runs]")
        for cfg, label in SYSCALL_CONFIGS:
            if cfg not in progs:
                continue
            # the programs every call runs, and the rest (other processes' events)
            every = [p for p in progs[cfg] if int(p[2]) >= nstats]
            rest = [p for p in progs[cfg] if 0 < int(p[2]) < nstats]
            total = sum(int(p[2]) * float(p[3]) for p in every + rest) / nstats
            line = f"  ({cfg}) {total:5.0f} ns per call: " + ", ".join(
                f"{p[0]} {float(p[3]):.0f} [{p[2]}]" for p in every)
            if rest:
                line += (f"; {len(rest)} other programs (other tasks' events)"
                         f" {sum(int(p[2]) * float(p[3]) for p in rest) / nstats:.0f}")
            print(line)
    print("  reference: libbpf-tools' syscount(8) man page reports 1.85x on a geteuid loop")


def build_report(tmp):
    a = read_vals(os.path.join(tmp, "build.a"))
    d = read_vals(os.path.join(tmp, "build.d"))
    ma, sa = median_spread(a)
    md, sd = median_spread(d)
    print(f"  {'config':44} {'median':>8} {'spread':>7}   rounds (s)")
    print(f"  (a) {'nothing loaded':40} {ma:7.2f}s {sa:6.1f}%   " + " ".join(f"{v:.2f}" for v in a))
    print(f"  (d) {'everything loaded + 1 reader > /dev/null':40} {md:7.2f}s {sd:6.1f}%   "
          + " ".join(f"{v:.2f}" for v in d))
    slow = (md - ma) / ma * 100
    noise = abs(md - ma) <= max(md * sd, ma * sa) / 100
    print(f"  slowdown (d) vs (a): {slow:+.1f}%  [target < 1%]"
          + ("  (within the run-to-run spread: not a measured difference)" if noise else ""))


CONFIGS = [
    ("a", "nothing loaded"),
    ("b", "bpftrace, empty actions (tracepoints)"),
    ("b2", "empty programs, observe's hook types"),
    ("c", "observe loaded, no reader"),
    ("d", "observe + 1 reader > /dev/null"),
    ("e", "bpftrace printf > /dev/null"),
]


COMPARE_LOOPS = [("getppid", "`getppid`"), ("open", "`open`+`close` /dev/null"),
                 ("spawn", "`posix_spawn` /bin/true"),
                 ("connect", "TCP `connect`+`accept`+`close` on 127.0.0.1")]


def compare_added(path):
    """Each configuration's added ns per iteration against the mean of the
    runs with nothing loaded just before and after it, per round, as
    {(loop, cfg): [(added, reference)]}; and the runs with nothing loaded,
    as {loop: [ns]}."""
    runs = {}
    with open(path) as f:
        for line in f:
            rnd, loop, cfg, ns = line.split()
            runs.setdefault((rnd, loop), []).append((cfg, float(ns)))
    added, base = {}, {}
    for (rnd, loop), seq in runs.items():
        for i, (cfg, ns) in enumerate(seq):
            if cfg == "base":
                base.setdefault(loop, []).append(ns)
            elif 0 < i < len(seq) - 1:
                ref = (seq[i - 1][1] + seq[i + 1][1]) / 2
                added.setdefault((loop, cfg), []).append((ns - ref, ref))
    return added, base


def compare_report(path, configs):
    """The median over the rounds of compare_added() and its spread
    (lowest..highest)."""
    added, base = compare_added(path)
    configs = configs.split()
    labels = [f"`{c[6:]}` alone" if c.startswith("alone:") else c for c in configs]
    print("| loop | nothing loaded | " + " | ".join(labels) + " |")
    print("|---|---|" + "---|" * len(configs))
    named = dict(COMPARE_LOOPS)
    for loop, label in COMPARE_LOOPS + [(l, l) for l in base if l not in named]:
        if loop not in base:
            continue
        b = statistics.median(base[loop])
        cells = []
        for cfg in configs:
            vals = added.get((loop, cfg))
            if not vals:
                cells.append("—")
                continue
            d = [v for v, _ in vals]
            pct = statistics.median(v / ref * 100 for v, ref in vals)
            cells.append(f"{fmt_ns(statistics.median(d))} ({pct:+.0f} %) "
                         f"[{fmt_ns(min(d))}..{fmt_ns(max(d))}]")
        print(f"| {label} | {fmt_ns(b, sign=False)} | " + " | ".join(cells) + " |")
    print("Each cell: median added time per iteration over the rounds (and as % of the runs "
          "with nothing loaded around it), [lowest..highest round].")


def compare_targets(path):
    """Issue 19's targets, on each loop: observe loaded with no reader (obs)
    adds at most what the libbpf-tools giving the same information add
    together (libbpf), observe with one reader (obs+1) at most half of it.
    Judged on the medians; a verdict the rounds' spreads do not settle says
    so."""
    added, _ = compare_added(path)
    for loop, label in COMPARE_LOOPS:
        tools = [v for v, _ in added.get((loop, "libbpf"), [])]
        if not tools:
            continue
        for cfg, share, what in (("obs", 1, "no reader"), ("obs-lean", 1, "no reader, details left out"),
                                 ("obs+1", 0.5, "one reader")):
            ours = [v for v, _ in added.get((loop, cfg), [])]
            if not ours:
                continue
            limit = [v * share for v in tools]
            mine, cap = statistics.median(ours), statistics.median(limit)
            verdict = "meets" if mine <= cap else "MISSES"
            if max(ours) > min(limit) and min(ours) < max(limit):
                verdict += " (spreads overlap)"
            floor = [v for v, _ in added.get((loop, "floor"), [])]
            if floor and cap < statistics.median(floor):
                verdict += f"; the cap is below the floor, {fmt_ns(statistics.median(floor))}"
            print(f"{label}: observe, {what}: {fmt_ns(mine)} against at most {fmt_ns(cap)} "
                  f"({'libbpf-tools' if share == 1 else 'half of libbpf-tools'}): {verdict}")
        for cfg, what in (("floor", "an empty program on sys_exit"),
                          ("floor+ev", "the same beside empty programs on exec's syscall trace events")):
            floor = [v for v, _ in added.get((loop, cfg), [])]
            if floor:
                print(f"{label}: the floor, {what}: "
                      f"{fmt_ns(statistics.median(floor))} [{fmt_ns(min(floor))}..{fmt_ns(max(floor))}]")


def fmt_ns(v, sign=True):
    s = "+" if sign and v >= 0 else ("-" if v < 0 else "")
    v = abs(v)
    return f"{s}{v / 1000:,.1f} µs" if v >= 10000 else f"{s}{v:,.0f} ns"


def fmt_ratio(num, den):
    if num is None or den is None or den <= 0:
        return "n/a"
    return f"{num / den:.2f}x"


def report(tmp, cpu):
    loops = {}
    with open(os.path.join(tmp, "loops.txt")) as f:
        for line in f:
            cfg, mode, *vals = line.split()
            loops[(cfg, mode)] = [float(v) for v in vals]
    stats = {cfg: read_stats(os.path.join(tmp, f"stats.{cfg}.txt")) for cfg, _ in CONFIGS}
    stats = {cfg: v for cfg, v in stats.items() if v}

    def med(cfg, mode):
        v = loops.get((cfg, mode))
        return statistics.median(v) if v else None

    def extra(cfg, mode):
        x, a = med(cfg, mode), med("a", mode)
        if x is None or a is None:
            return None
        ev = EVENTS_PER_ITER[mode]
        return (x - a) / ev if ev else x - a

    def spread(cfg, mode):
        v = loops.get((cfg, mode))
        return max(v) - min(v) if v else 0.0

    def significant(cfg, mode):
        """Whether cfg differs from (a) by more than either's run-to-run spread."""
        x, a = med(cfg, mode), med("a", mode)
        if x is None or a is None:
            return False
        return abs(x - a) > max(spread(cfg, mode), spread("a", mode))

    def ratio(num, den, mode):
        if not (significant(num, mode) and significant(den, mode)):
            return "noise"
        return fmt_ratio(extra(num, mode), extra(den, mode))

    print(f"Loop timings: ns per iteration, median of {len(next(iter(loops.values())))} rounds,"
          f" pinned to CPU {cpu}; +ns = extra vs (a) per event (getppid: per call)")
    print(f"  {'':42} {'exec (3 ev/it)':>19}  {'fork (2 ev/it)':>19}  {'getppid (0 ev)':>19}")
    print(f"  {'config':42} {'ns/it':>10} {'+ns/ev':>8}  {'ns/it':>10} {'+ns/ev':>8}  "
          f"{'ns/it':>10} {'+ns':>8}")
    for cfg, label in CONFIGS:
        row = f"  ({cfg}) {label:<37}"
        for mode in ("exec", "fork", "syscall"):
            m, e = med(cfg, mode), extra(cfg, mode)
            row += f" {m:10.0f}" if m is not None else f" {'-':>10}"
            if cfg == "a" or e is None:
                cell = ""
            else:
                cell = f"{e:+.0f}" + ("" if significant(cfg, mode) else "*")
            row += f" {cell:>8} "
        print(row)
    print("  * within the run-to-run spread of (a) or of the config: not a measured difference")
    print("  spread (max-min)/median over the runs, exec/fork/getppid: "
          + "  ".join(f"({c}) " + "/".join(
              f"{(max(loops[(c, m)]) - min(loops[(c, m)])) / med(c, m) * 100:.1f}%"
              for m in ("exec", "fork", "syscall") if (c, m) in loops)
              for c, _ in CONFIGS))
    print()
    print("  ratio of extra cost     exec      fork    getppid")
    for num, den in (("c", "b"), ("d", "b"), ("c", "b2"), ("d", "b2"), ("e", "b")):
        print(f"  ({num})/({den}){'':14}" + "".join(
            f"{ratio(num, den, m):>10}" for m in ("exec", "fork", "syscall")))
    print()

    cols = [c for c, _ in CONFIGS if c in stats]
    print("BPF program run time (kernel.bpf_stats_enabled=1): average ns per run [runs],"
          " during 1000 exec + 2000 fork iterations")
    print(f"  {'hook':16}" + "".join(f"{'(' + c + ')':>18}" for c in cols))
    for hook in HOOKS:
        row = f"  {hook:16}"
        for c in cols:
            runs, avg = stats[c].get(hook, (0, 0.0))
            row += f"{avg:10.0f} [{runs:>5}]" if runs else f"{'- [    0]':>18}"
        print(row)

    def per_iter(c, hooks):
        return sum(stats[c].get(h, (0, 0.0))[1] for h in hooks)

    row_e = f"  {'exec: ns/event':16}"
    row_f = f"  {'fork: ns/event':16}"
    for c in cols:
        row_e += f"{per_iter(c, EXEC_HOOKS) / 3:18.0f}"
        row_f += f"{per_iter(c, FORK_HOOKS) / 2:18.0f}"
    print(row_e)
    print(row_f)
    print("  (ns/event = sum of the averages of the programs one iteration runs, divided by"
          " its events; time inside the programs only, not the hook's own dispatch)")
    print()
    print("  ratio of program time   exec      fork")
    for num, den in (("c", "b"), ("d", "b"), ("c", "b2"), ("d", "b2"), ("e", "b")):
        if num in stats and den in stats:
            print(f"  ({num})/({den}){'':14}"
                  + f"{fmt_ratio(per_iter(num, EXEC_HOOKS), per_iter(den, EXEC_HOOKS)):>10}"
                  + f"{fmt_ratio(per_iter(num, FORK_HOOKS), per_iter(den, FORK_HOOKS)):>10}")
    print()
    print("  configs: " + "; ".join(f"({c}) {label}" for c, label in CONFIGS))


def read_stats(path):
    """{program: (runs, average ns)} of a 'delta' output, {} if it is missing."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {l.split()[0]: (int(l.split()[2]), float(l.split()[3])) for l in f if l.strip()}


FLOORS = [
    ("f_empty", "an empty program"),
    ("f_one_read", "one array-map value read"),
    ("f_clock", "one bpf_ktime_get_boot_ns()"),
    ("f_ring", "80-byte ring record, no wake-up"),
]


def floor_report(tmp):
    floor = read_stats(os.path.join(tmp, "stats.floor.txt"))
    empty = floor.get("f_empty", (0, 0.0))[1]
    print("Floors on the fork hook (bench/floor.bpf.c, all attached at once): program time,"
          " average ns per run [runs]")

    def line(label, runs, avg):
        print(f"  {label:44} {avg:8.0f} [{runs:>5}]  {fmt_ratio(avg, empty):>7} the empty one")

    for name, label in FLOORS:
        runs, avg = floor.get(name, (0, 0.0))
        line(f"{name}: {label}", runs, avg)
    for cfg, label in (("c", "no reader"), ("d", "one reader")):
        runs, avg = read_stats(os.path.join(tmp, f"stats.{cfg}.txt")).get("sched_fork", (0, 0.0))
        if runs:
            line(f"observe's sched_fork, {label} ({cfg})", runs, avg)
    if empty:
        print(f"  the targets as program time: no reader under 1.5x = {1.5 * empty:.0f} ns,"
              f" one reader under 2.5x = {2.5 * empty:.0f} ns")


def dispatch_report(tmp):
    """The issue's ratios, end to end. An event's extra cost is what its
    programs add to it: the dispatch and run of an empty program on each hook
    (E, timed from user space) plus the program time beyond an empty one's
    (the kernel's BPF stats, whose own clock reads cancel in the difference).
    So ratio = 1 + (program time - empty program time) / E per event."""
    none = read_vals(os.path.join(tmp, "dispatch.none"))
    empty = read_vals(os.path.join(tmp, "dispatch.empty"))
    (m_none, s_none), (m_empty, s_empty) = median_spread(none), median_spread(empty)
    e = m_empty - m_none
    prog = read_stats(os.path.join(tmp, "stats.dispatch.txt")).get("d_empty", (0, 0.0))[1]
    print(f"What an empty program adds end to end (bench/dispatch.bpf.c on task_rename,"
          f" prctl loop, median of {len(none)} interleaved rounds)")
    print(f"  without: {m_none:.0f} ns/call (spread {s_none:.1f}%), with: {m_empty:.0f} ns/call"
          f" (spread {s_empty:.1f}%): E = {e:+.0f} ns per program run;"
          f" the BPF stats see {prog:.0f} ns of it")
    if e <= 0:
        print("  E is not above the noise: no end-to-end ratios")
        return
    stats = {c: read_stats(os.path.join(tmp, f"stats.{c}.txt")) for c in ("b2", "c", "d")}
    if all(stats.values()):
        print("  The issue's ratio of extra cost per event, with E on every hook observe uses")
        print(f"  {'':28} {'exec':>8} {'fork':>8}   target")
        for cfg, label, target in (("c", "no reader", 1.5), ("d", "one reader", 2.5)):
            row = f"  ({cfg}) {label:23}"
            for hooks, events in ((EXEC_HOOKS, 3), (FORK_HOOKS, 2)):
                ran = [h for h in hooks if h in stats["b2"]]
                beyond = sum(stats[cfg].get(h, (0, 0.0))[1] - stats["b2"][h][1] for h in ran)
                row += f" {1 + beyond / (e * len(ran)):7.2f}x"
            print(row + f"   < {target}x")
        print(f"  (ratio = 1 + (program time beyond the empty programs of (b2)) / (E x programs);"
              f" E on task_rename, a hot hook: the fork hook's own is likely larger,"
              f" which would lower these)")
    floor = read_stats(os.path.join(tmp, "stats.floor.txt"))
    if "f_empty" in floor:
        base = floor["f_empty"][1]
        print("  The floors the same way: " + ", ".join(
            f"{name} {1 + (floor[name][1] - base) / e:.2f}x" for name, _ in FLOORS[1:]
            if name in floor))


AGENT_CONFIGS = [
    ("n", "no reader"),
    ("e", "observe-events (every process)"),
    ("a", "observe-agent following the loop"),
    ("x", "observe-agent following another process"),
]


def agent_report(runs_path, progs_path):
    """bench/agent.sh: per mode and configuration the loop's median time per
    iteration, its extra over n, and the reader's CPU per delivered event;
    then each program's average run time per label (new, x, base)."""
    runs = {}
    with open(runs_path) as f:
        for line in f:
            cfg, mode, n, ns, got, cpu = line.split()
            runs.setdefault((cfg, mode), []).append((float(ns), int(got), int(cpu), int(n)))
    print("  per iteration of each loop, median of the rounds (spread max-min in % of it);")
    print("  extra = over n; reader = the reader's CPU per event it was delivered")
    for mode in ("open", "fork", "exec"):
        base = statistics.median(r[0] for r in runs.get(("n", mode), [(0, 0, 0, 1)]))
        agent = runs.get(("a", mode), [])
        per_iter = (statistics.median(r[1] / r[3] for r in agent) if agent else 0)
        print(f"  {mode} (the agent was delivered {per_iter:.1f} events per iteration):")
        for cfg, label in AGENT_CONFIGS:
            rs = runs.get((cfg, mode))
            if not rs:
                continue
            med, spread = median_spread([r[0] for r in rs])
            line = f"    {cfg} {label:<42} {med:9.0f} ns ±{spread:4.1f}%"
            if cfg != "n":
                extra = med - base
                line += f"  extra {extra:+7.0f} ns"
                if per_iter and cfg in ("e", "a"):
                    line += f" ({extra / per_iter:+6.0f} ns/event)"
                got = sum(r[1] for r in rs)
                cpu = sum(r[2] for r in rs)
                line += (f"  reader {cpu / got:6.0f} ns/event ({got} events)" if got
                         else "  reader: no event")
            print(line)
    progs = {}
    with open(progs_path) as f:
        for line in f:
            label, hook, _, runs_n, avg = line.split()
            progs.setdefault((label, hook), []).append((int(runs_n), float(avg)))
    labels = [l for l in ("base", "n", "e", "a", "x", "p") if any(k[0] == l for k in progs)]
    # Hooks the loops drive; others ran a few times, for other processes.
    hooks = sorted({k[1] for k in progs if min(r[0] for r in progs[k]) >= 400})
    print("  BPF stats, average ns per run (median of the passes). base: the build before")
    print("  per-slot pid sets, no reader; n e a x as above; p: observe-events -p <the idle")
    print("  process>, which drops the loop's events by a slot compare where x looks them up")
    print("    " + f"{'program':<16}" + "".join(f"{l:>10}" for l in labels))
    for hook in hooks:
        cells = []
        for l in labels:
            rs = [r for r in progs.get((l, hook), []) if r[0]]
            cells.append(f"{statistics.median(r[1] for r in rs):10.1f}" if rs else f"{'-':>10}")
        print("    " + f"{hook:<16}" + "".join(cells))


def identity_report(tmp, rounds):
    """Per program that ran: its runs (with the fields, all rounds), the
    median over the rounds of its average run time without and with the
    identity fields, the difference and %; over 10 % marked."""
    stats = {cfg: [read_stats(os.path.join(tmp, f"stats.{cfg}.{r}"))
                   for r in range(1, int(rounds) + 1)] for cfg in ("without", "with")}
    progs = sorted({p for per in stats.values() for st in per for p, (n, _) in st.items() if n})
    print("| program | runs | avg ns without | avg ns with | difference | |")
    print("|---|---|---|---|---|---|")
    for prog in progs:
        avg = {}
        for cfg, per in stats.items():
            vals = [st[prog][1] for st in per if st.get(prog, (0, 0))[0]]
            avg[cfg] = statistics.median(vals) if vals else None
        runs = sum(st.get(prog, (0, 0))[0] for st in stats["with"])
        without, with_ = avg["without"], avg["with"]
        if without is None or with_ is None:
            cells = [f"{v:,.0f}" if v is not None else "—" for v in (without, with_)]
            print(f"| {prog} | {runs:,} | {cells[0]} | {cells[1]} | — | |")
            continue
        diff = with_ - without
        pct = diff / without * 100 if without else 0.0
        print(f"| {prog} | {runs:,} | {without:,.0f} | {with_:,.0f} | {diff:+,.0f} ns | "
              f"{pct:+.1f} %{' over 10 %' if pct > 10 else ''} |")
    print("Average run time per program run (kernel BPF stats), median over the rounds; "
          "runs: all rounds, with the fields.")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ids-links":
        ids_links(args[0])
    elif cmd == "ids-perf":
        ids_perf(int(args[0]))
    elif cmd == "ids-empty":
        ids_empty(args[0])
    elif cmd == "perf-count":
        perf_count(int(args[0]))
    elif cmd == "snap":
        snap(args[0])
    elif cmd == "delta":
        delta(args[0], args[1])
    elif cmd == "foreign":
        foreign(args)
    elif cmd == "slot":
        slot(args[0], int(args[1]))
    elif cmd == "memlock":
        memlock(args[0])
    elif cmd == "report":
        report(args[0], args[1])
    elif cmd == "floor-report":
        floor_report(args[0])
    elif cmd == "dispatch-report":
        dispatch_report(args[0])
    elif cmd == "project":
        project(args[0], int(args[1]))
    elif cmd == "syscall-report":
        syscall_report(args[0], args[1], args[2])
    elif cmd == "build-report":
        build_report(args[0])
    elif cmd == "agent-report":
        agent_report(args[0], args[1])
    elif cmd == "compare-targets":
        compare_targets(args[0])
    elif cmd == "compare-report":
        compare_report(args[0], args[1])
    elif cmd == "identity-report":
        identity_report(args[0], args[1])
    elif cmd == "rate":
        print(round(float(args[0]) / float(args[1])) if float(args[1]) > 0 else 0)
    else:
        sys.exit(f"benchlib.py: unknown command {cmd}\n{__doc__}")


if __name__ == "__main__":
    main()
