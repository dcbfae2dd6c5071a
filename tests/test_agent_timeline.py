# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""observe-agent on the real kernel: a shell script that execs children,
opens files and connects on loopback is followed with its descendants and
nothing else; a reader started after its agent says what it missed; two
agents and a plain observe-events beside them each see exactly their own,
and the global filters are left as they were; TLS plaintext of the tree
only, for a member of the TLS group; a streamed call to the mock of the
Messages API as one llm_call with the prompt and the answer; and the
timeline of the real claude -p against that mock."""
import json
import os
import socket
import subprocess
import uuid

from harness import TLS_MEMBER, check, check_eq, events_of, settle, test_list, wait_until
import test_agents
import test_tls

TESTS, test = test_list()
RUN_ORDER = 80  # after the collectors: the claude test reloads the test load

# The agent under observation: waits for its go file, then does one of each.
SCRIPT = """#!/bin/sh
while [ ! -e "$1/go" ]; do sleep 0.02; done
cat "$1/marker-cat" > /dev/null
: > "$1/marker-shell"
sh -c ': > "$1/marker-child"; /usr/bin/python3 -c "
import socket, sys
s = socket.create_connection((\\"127.0.0.1\\", int(sys.argv[1])))
s.close()" "$2"' child "$1" "$2"
"""


def make_agent(env, name):
    """A script whose comm is its own name, in a directory of its own."""
    work = os.path.join(env.tmp, f"work-{name}")
    os.mkdir(work)
    os.chmod(work, 0o755)
    with open(os.path.join(work, "marker-cat"), "w") as f:
        f.write("x\n")
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(SCRIPT)
    os.chmod(path, 0o755)
    return path, work


class Listener:
    """A loopback TCP port that accepts and drops connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def start_agent(env, name, port):
    path, work = make_agent(env, name)
    proc = subprocess.Popen([path, work, str(port)])
    env.started.append(proc)
    return proc, work


def go(work):
    open(os.path.join(work, "go"), "w").close()


def agent_reader(env, *args, user=None):
    """Its start walks /proc: slow under emulation (the 6.1 guest)."""
    kw = {"user": user} if user else {}
    return env.reader(*args, tool="observe-agent", **kw).wait_ready(timeout=60)


def output_has(reader, needle):
    with open(reader.stdout_path, "rb") as f:
        return needle in f.read()


def wait_exit(reader, timeout=10):
    """observe-agent stops by itself once every followed process exited."""
    try:
        reader.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    return reader.stop()


def tree_of(root, events):
    """root and its descendants, transitively: children of a fork seen, and
    processes whose parent is in the tree (those forked before the reader)."""
    pids, grew = {root}, True
    while grew:
        grew = False
        for e in events:
            child = e.get("child_pid") if e["type"] == "fork" and e["pid"] in pids else \
                e.get("pid") if e.get("ppid") in pids else None
            if child is not None and child not in pids:
                pids.add(child)
                grew = True
    return pids


def check_own_activity(events, root, work, port, what):
    """Everything the script does, and nothing of any other process."""
    tree = tree_of(root, events)
    strangers = [e for e in events if "pid" in e and e["type"] != "note" and e["pid"] not in tree]
    check(not strangers, f"{what}: events of processes outside the tree of {root}: {strangers[:3]}")
    paths = {e["path"] for e in events_of(events, "open")}
    for marker in ("marker-cat", "marker-shell", "marker-child"):
        check(os.path.join(work, marker) in paths,
              f"{what}: the open of {marker} (opens seen: {sorted(paths)[:10]})")
    execs = [os.path.basename(e["filename"]) for e in events_of(events, "exec")]
    for name in ("cat", "sh", "python3"):
        check(any(x.startswith(name) for x in execs), f"{what}: an exec of {name}: {execs}")
    connects = events_of(events, "connect", remote_addr="127.0.0.1", remote_port=port)
    check_eq(1, len(connects), f"{what}: connects to 127.0.0.1:{port}")
    exits = events_of(events, "exit", pid=root)
    check_eq(1, len(exits), f"{what}: exits of the script")
    return tree


def check_time_order(events, what):
    stamps = [e["ts_ns"] for e in events if "ts_ns" in e]
    check(stamps == sorted(stamps), f"{what}: events in time order")


@test
def agent_follows_a_script_and_its_descendants_and_nothing_else(env):
    listener = Listener()
    try:
        proc, work = start_agent(env, "obs-agent-tree", listener.port)
        stranger, stranger_work = start_agent(env, "obs-agent-other", listener.port)
        reader = agent_reader(env, "-p", str(proc.pid))
        go(work)
        go(stranger_work)
        check_eq((0, 0), (proc.wait(10), stranger.wait(10)), "exit codes of the scripts")
        events = wait_exit(reader)
    finally:
        listener.close()
    check_eq(0, reader.proc.returncode, "observe-agent's exit code")
    check(events and events[0]["type"] == "note" and events[0].get("pid") == proc.pid
          and "started after" in events[0]["message"],
          f"the first line says what was missed: {events[:1]}")
    tree = check_own_activity(events, proc.pid, work, listener.port, "-p")
    check(stranger.pid not in tree, "the other script is not followed")
    check(all(stranger_work not in e.get("path", "") for e in events),
          "no open of the other script's files")
    check_time_order(events, "-p")


@test
def agent_started_after_its_comm_says_what_it_missed(env):
    listener = Listener()
    try:
        proc, work = start_agent(env, "obs-agent-late", listener.port)
        wait_until(lambda: open(f"/proc/{proc.pid}/comm").read().strip() == "obs-agent-late", 5,
                   "the script to run")
        reader = agent_reader(env, "-c", "obs-agent-late", "-o", "json")
        go(work)
        check_eq(0, proc.wait(10), "exit code of the script")
        events = wait_exit(reader)
    finally:
        listener.close()
    check(events and events[0]["type"] == "note" and events[0].get("pid") == proc.pid,
          f"the first line is a note about pid {proc.pid}: {events[:1]}")
    check("started after pid" in events[0]["message"] and "not seen" in events[0]["message"],
          f"the note says what is missed: {events[0]}")
    check_own_activity(events, proc.pid, work, listener.port, "-c after")


@test
def agent_started_before_its_comm_follows_from_the_first_exec(env):
    listener = Listener()
    try:
        path, work = make_agent(env, "obs-agent-first")
        go(work)
        reader = agent_reader(env, "-c", "obs-agent-first")
        wait_until(lambda: "waiting for the first exec" in reader.stderr_text(), 5,
                   "the agent reader to wait")
        proc = subprocess.Popen([path, work, str(listener.port)])
        env.started.append(proc)
        check_eq(0, proc.wait(10), "exit code of the script")
        events = wait_exit(reader)
    finally:
        listener.close()
    missed = [e for e in events_of(events, "note") if "pid" in e]
    check(not missed, f"nothing missed, no note about a process: {missed}")
    events = [e for e in events if e["type"] != "note"]     # the TLS group's note
    first = events[0] if events else {}
    check_eq(("exec", proc.pid), (first.get("type"), first.get("pid")),
             "the first event is the exec of the script")
    check_own_activity(events, proc.pid, work, listener.port, "-c before")


def filter_state(env):
    return env.user_tool("observe-filter", "show", "--json").stdout


@test
def two_agents_and_observe_events_each_see_their_own(env):
    listener = Listener()
    before = filter_state(env)
    try:
        one, one_work = start_agent(env, "obs-agent-one", listener.port)
        two, two_work = start_agent(env, "obs-agent-two", listener.port)
        everything = env.reader("-t", "open").wait_ready()
        reader_one = agent_reader(env, "-p", str(one.pid))
        reader_two = agent_reader(env, "-p", str(two.pid), "-o", "text")
        check_eq(before, filter_state(env), "observe-filter's state with two agents running")
        go(one_work)
        go(two_work)
        check_eq((0, 0), (one.wait(10), two.wait(10)), "exit codes of the scripts")
        got_one = wait_exit(reader_one)
        reader_two.proc.wait(10)
        settle()
        got_all = everything.stop()
        reader_two.proc.wait(5)
        reader_two.stdout.close()
    finally:
        listener.close()
    check_eq(before, filter_state(env), "observe-filter's state after")
    check_own_activity(got_one, one.pid, one_work, listener.port, "agent one")
    check(all(two_work not in e.get("path", "") for e in got_one), "agent one sees none of two's")
    with open(reader_two.stdout_path) as f:
        text = f.read()
    check(f"{two_work}/marker-child" in text and one_work not in text,
          f"agent two's text view: its own opens only: {text[:300]!r}")
    check(all(len(line.split(None, 3)) == 4 for line in text.splitlines()),
          f"each text line has time, pid, comm, what: {text.splitlines()[:3]}")
    paths = {e["path"] for e in events_of(got_all, "open")}
    for work in (one_work, two_work):
        check(f"{work}/marker-child" in paths, f"plain observe-events sees {work}'s opens too")


@test
def agent_gets_its_trees_tls_plaintext_and_not_the_servers(env):
    port = test_tls.free_port()
    server = test_tls.s_server(env, port)
    work = os.path.join(env.tmp, "work-tls")
    os.mkdir(work)
    script = os.path.join(work, "obs-agent-tls")
    with open(script, "w") as f:
        f.write('#!/bin/sh\nwhile [ ! -e "$1/go" ]; do sleep 0.02; done\n'
                '(echo agent-says-hello; while [ ! -e "$1/done" ]; do sleep 0.05; done) | '
                'openssl s_client -quiet '
                '-no_ign_eof -connect 127.0.0.1:"$2" 2>/dev/null\n')
    os.chmod(script, 0o755)
    proc = subprocess.Popen([script, work, str(port)], stdout=subprocess.DEVNULL)
    env.started.append(proc)
    try:
        reader = agent_reader(env, "-p", str(proc.pid), "--raw-tls", user=TLS_MEMBER)
        plain = agent_reader(env, "-p", str(proc.pid))     # not in the TLS group
        go(work)
        check_eq("agent-says-hello\n", test_tls.read_line(server, "s_server"), "what s_server read")
        server.stdin.write(b"server-says-hi\n")
        server.stdin.flush()
        # The client ends at its stdin's end: only once the answer reached it.
        wait_until(lambda: output_has(reader, b"server-says-hi"), 60,
                   "the answer in the agent's timeline")
        open(os.path.join(work, "done"), "w").close()
        check_eq(0, proc.wait(15), "exit code of the script")
        events = wait_exit(reader)
        plain_events = wait_exit(plain)
    finally:
        test_tls.finish(server)
    sent = [e for e in events_of(events, "tls_data") if e["direction"] == "sent"]
    got = [e for e in events_of(events, "tls_data") if e["direction"] == "received"]
    check("agent-says-hello" in "".join(e["data"] for e in sent), f"the client's plaintext: {sent}")
    check("server-says-hi" in "".join(e["data"] for e in got), f"the server's answer: {got}")
    tree = tree_of(proc.pid, events)
    check(all(e["pid"] in tree for e in events_of(events, "tls_data")),
          "TLS records of the tree only (s_server is not in it)")
    check_time_order(events, "tls")
    connects = events_of(events, "connect", remote_port=port)
    check(connects and connects[0]["ts_ns"] < sent[0]["ts_ns"],
          "the connect comes before the first record")
    notes = [e["message"] for e in events_of(plain_events, "note")]
    check(any("not in the TLS group" in n for n in notes),
          f"a reader outside the TLS group is told: {notes}")
    check(not events_of(plain_events, "tls_data"), "and gets no plaintext")


# An LLM client in the tree: Python's ssl (the system's libssl, probed),
# one streamed POST /v1/messages with the prompt, the answer read to its end.
LLM_CLIENT = """
import http.client, json, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx)
body = json.dumps({"model": "claude-mock", "max_tokens": 64, "stream": True,
                   "messages": [{"role": "user", "content": sys.argv[2]}]})
c.request("POST", "/v1/messages", body, {"content-type": "application/json",
                                         "x-api-key": "test"})
r = c.getresponse()
sys.stdout.write(r.read().decode())
"""


def llm_script(env, name):
    work = os.path.join(env.tmp, f"work-{name}")
    os.mkdir(work)
    script = os.path.join(work, name)
    with open(script, "w") as f:
        f.write('#!/bin/sh\nwhile [ ! -e "$1/go" ]; do sleep 0.02; done\n'
                f'{test_tls.PYTHON} -c \'{LLM_CLIENT}\' "$2" "$3"\n')
    os.chmod(script, 0o755)
    return script, work


def check_llm_call(events, pids, prompt, answer, what):
    calls = [e for e in events_of(events, "llm_call") if e["pid"] in pids]
    check_eq(1, len(calls), f"{what}: llm_call records of the tree "
             f"(types seen: {sorted({e['type'] for e in events})})")
    call = calls[0]
    contents = json.dumps(call.get("messages", []))
    check(prompt in contents, f"{what}: the prompt in the call's messages: {call}")
    check(answer in call.get("answer", ""), f"{what}: the mock's answer: {call}")
    check_eq(("POST", 200), (call.get("method"), call.get("status")), f"{what}: method, status")
    return call


@test
def agent_turns_its_trees_tls_into_one_llm_call_with_prompt_and_answer(env):
    mock, port, log = test_agents.start_mock(env)
    script, work = llm_script(env, "obs-agent-llm")
    prompt = f"tell the timeline {uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([script, work, str(port), prompt], stdout=subprocess.PIPE)
    env.started.append(proc)
    try:
        reader = agent_reader(env, "-p", str(proc.pid), user=TLS_MEMBER)
        go(work)
        out, _ = proc.communicate(timeout=20)
        check(test_agents.MOCK_TEXT.encode() in out, f"the client got the mock's answer: {out[-300:]!r}")
        events = wait_exit(reader)
    finally:
        test_tls.finish(mock)
    tree = tree_of(proc.pid, events)
    call = check_llm_call(events, tree, prompt, test_agents.MOCK_TEXT, "python client")
    check(not events_of(events, "tls_data"), "TLS data decoded, not printed as records")
    connects = events_of(events, "connect", remote_addr="127.0.0.1", remote_port=port)
    check(connects and connects[0]["pid"] == call["pid"], f"the client's connect: {connects}")
    lines = [e["type"] for e in events]
    check(lines.index("connect") < lines.index("llm_call") < max(
        i for i, e in enumerate(events) if e["type"] == "exit" and e["pid"] == call["pid"]),
        f"connect, then the call, then the client's exit: {lines}")
    check_time_order([e for e in events if e["type"] not in ("llm_call", "http")], "llm")


@test
def claude_p_timeline_shows_its_exec_connect_and_call(env):
    binary = test_agents.claude_binary(env)
    test_agents.no_agent_under_emulation()
    env.load("--tls-binary", binary)
    mock, port, log = test_agents.start_mock(env)
    comm = os.path.basename(binary)[:15]
    prompt = f"timeline of claude {uuid.uuid4().hex[:8]}"
    try:
        reader = agent_reader(env, "-c", comm, user=TLS_MEMBER)
        wait_until(lambda: "waiting for the first exec" in reader.stderr_text(), 5,
                   "observe-agent to wait for claude")
        pid = test_agents.run_claude(env, binary, port, prompt)
        events = wait_exit(reader, timeout=30)
    finally:
        test_tls.finish(mock)
        env.load()
    check_eq(("exec", pid), (events[0]["type"] if events else None,
                             events[0].get("pid") if events else None),
             "the timeline starts with claude's exec")
    tree = tree_of(pid, events)
    connects = [e for e in events_of(events, "connect", remote_addr="127.0.0.1", remote_port=port)
                if e["pid"] in tree]
    check(connects, f"claude's connect to 127.0.0.1:{port}: "
          f"{events_of(events, 'connect')[:5]}")
    check_llm_call(events, tree, prompt, test_agents.MOCK_TEXT, "claude -p")
    children = sorted(tree - {pid})
    print(f"    claude -p: {len(events)} lines, {len(children)} descendants, "
          f"{len(connects)} connects to the mock", flush=True)
