# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""observe-events -o text: one line a record, like execsnoop's table, with
the attacker's control bytes shown, never sent to the terminal."""
import os
import signal
import subprocess

from harness import check, check_eq, settle, test_list

TESTS, test = test_list()


@test
def text_output_shows_exec_open_and_exit_on_one_line_each(env):
    reader = env.reader("-o", "text", "-t", "exec,open,exit").wait_ready()
    missing = f"/nonexistent-observe-{os.getpid()}"
    child = subprocess.Popen(["/bin/cat", missing, "\x1b[31mred"], stderr=subprocess.DEVNULL)
    child.wait()
    settle()
    reader.proc.send_signal(signal.SIGINT)
    check_eq(0, reader.proc.wait(5), "exit code of the reader")
    with open(reader.stdout_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    lines = text.splitlines()
    check(lines and lines[0].split() == ["TIME(UTC)", "PID", "COMM", "EVENT", "DETAIL"],
          f"header line: {lines[:1]}")
    mine = [line for line in lines[1:] if f" {child.pid} " in line]
    execs = [line for line in mine if " exec " in line]
    check_eq(1, len(execs), f"exec lines of pid {child.pid} in:\n{text[-2000:]}")
    check(f"/bin/cat {missing} \\x1b[31mred" in execs[0],
          f"exec line shows the command with the escape byte as \\x1b: {execs[0]!r}")
    check("\x1b" not in text, "a raw escape byte reached the output")
    opens = [line for line in mine if " open " in line and missing in line]
    check(len(opens) == 1 and opens[0].rstrip().endswith("= ENOENT"),
          f"the failed open, with its error: {opens}")
    exits = [line for line in mine if " exit " in line]
    check(len(exits) == 1 and " code 1" in exits[0], f"the exit with its code: {exits}")
    check(all(line[2] == ":" and line[5] == ":" and line[8] == "." for line in mine),
          f"each line starts with HH:MM:SS.mmm: {mine}")


@test
def text_output_refuses_an_unknown_format(env):
    res = env.user_tool("observe-events", "-o", "yaml", check_rc=False)
    check(res.returncode != 0 and b"output must be json or text, not 'yaml'" in res.stderr,
          f"observe-events -o yaml: {res.returncode} {res.stderr!r}")
