# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The TLS of AI agents, on loopback, against a mock of the Messages API
(tests/helpers/messages_mock.py): the claude CLI (bun, BoringSSL linked in
without symbols: found by signature), node's fetch (OpenSSL by symbol); a
stripped binary where nothing trustworthy is found is said so and probed
nowhere; a --tls-binary pattern in the config file follows an agent's new
version on reload. The claude CLI comes from npm at a fixed version
(make agents: build/agents/claude)."""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid

from harness import (GROUP, IN_GUEST, MEMBER, Failure, Skip, check, check_eq, events_of, host_only,
                     run, settle, test_list)
from test_tls import PYTHON, certificate, finish, free_port, read_line, start, tls_reader

TESTS, test = test_list()
RUN_ORDER = 80  # after the collectors: it reloads the test load

MOCK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers", "messages_mock.py")
MOCK_TEXT = "Hello from the mock of the Messages API."


def claude_binary(env):
    path = os.path.join(env.build, "agents", "claude")
    if not os.path.exists(path):
        raise Skip(f"no claude CLI at {path}: 'make agents' installs it from npm")
    return os.path.realpath(path)


def no_agent_under_emulation():
    if IN_GUEST:
        raise Skip("agents run on the host only (the guest emulates every instruction; "
                   "their probes are uprobes as the other TLS tests')")


def start_mock(env):
    """The mock on a port of its own; its request log is a file."""
    port = free_port()
    cert, key = certificate(env)
    log = os.path.join(env.tmp, f"mock-{port}.log")
    proc = start(env, [PYTHON, MOCK, str(port), cert, key, "--text", MOCK_TEXT, "--log", log])
    check_eq(f"listening {port}\n", read_line(proc, "the mock"), "the mock's first line")
    return proc, port, log


def mock_requests(log):
    with open(log) as f:
        return [json.loads(line) for line in f]


def run_claude(env, binary, port, prompt, host="127.0.0.1"):
    """claude -p against the mock, as the issue runs it; returns its pid. A
    host name (not an address) is sent as the server name (SNI)."""
    home = tempfile.mkdtemp(dir=env.tmp)
    agent_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
                 "ANTHROPIC_BASE_URL": f"https://{host}:{port}", "ANTHROPIC_API_KEY": "test",
                 "NODE_TLS_REJECT_UNAUTHORIZED": "0", "DISABLE_TELEMETRY": "1",
                 "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    proc = subprocess.Popen([binary, "-p", prompt], env=agent_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    env.started.append(proc)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        finish(proc)
        raise Failure("claude -p did not end within 120 s")
    check(proc.returncode == 0 and MOCK_TEXT in out.decode(errors="replace"),
          f"claude -p printed the mock's answer (exit {proc.returncode}): "
          f"{out.decode(errors='replace')!r} {err.decode(errors='replace')[-500:]!r}")
    return proc.pid


def targets(env, user=MEMBER):
    res = env.user_tool("observe-tls", "--targets", user=user)
    return [json.loads(line) for line in res.stdout.decode().splitlines()]


def target_of(all_targets, path):
    mine = [t for t in all_targets if t["path"] == path]
    check(len(mine) == 1, f"one target for {path} among {all_targets}")
    return mine[0]


def check_found_by_signature(target):
    check(target["attached"] and target["library"] == "boringssl" and
          target["found_by"] == "signature" and
          target["functions"].get("SSL_write") == "attached" and
          target["functions"].get("SSL_read") == "attached" and
          set(target["addresses"]) >= {"SSL_write", "SSL_read"},
          f"the claude CLI's BoringSSL found by signature and probed: {target}")


def calls_of(events, pid, direction):
    """The data records of one process in one direction, each checked to
    account for its call: captured + missing == what the call moved."""
    records = events_of(events, "tls_data", pid=pid, direction=direction)
    for e in records:
        if not e["more"]:
            check_eq(e["call_len"], e["offset"] + e["len"] + e["missing"],
                     f"offset + len + missing of a call's last record {e}")
    return records


def joined(records):
    return b"".join(base64.b64decode(e["data_base64"]) for e in records)


def check_messages_call(events, pid, prompt, requests):
    """claude's POST /v1/messages with the prompt, and the mock's SSE answer."""
    sent = calls_of(events, pid, "sent")
    check(sent, f"records of what claude (pid {pid}) sent: {[e for e in events if e.get('pid') == pid][:3]}")
    request = joined(sent)
    check(request.startswith(b"POST /v1/messages"), f"the request line: {request[:80]!r}")
    head, _, body = request.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    check(length is not None, f"a Content-Length in the captured headers: {head[:600]!r}")
    posts = [r for r in requests if r["path"].startswith("/v1/messages")]
    check_eq([(int(length.group(1)), prompt)], [(r["length"], r["prompt"]) for r in posts],
             "(length, prompt) of the POST as captured and as the mock got it")
    moved = sum(e["len"] + e["missing"] for e in sent)
    check_eq(len(head) + 4 + int(length.group(1)), moved,
             "bytes sent: headers and body, captured or counted missing")
    missing = sum(e["missing"] for e in sent)
    if not missing:
        check_eq(int(length.group(1)), len(body), "the body captured whole")
    check(prompt.encode() in request, f"the prompt {prompt!r} in the captured request")
    received = calls_of(events, pid, "received")
    answer = joined(received)
    check(answer.startswith(b"HTTP/1.1 200"), f"the status line received: {answer[:80]!r}")
    check_eq(0, sum(e["missing"] for e in received), "bytes missing from the answer")
    order = [answer.find(f"event: {name}\n".encode()) for name in
             ("message_start", "content_block_start", "content_block_delta", "content_block_stop",
              "message_delta", "message_stop")]
    check(all(i >= 0 for i in order) and order == sorted(order),
          f"the SSE events in order in what claude received: {answer[-800:]!r}")
    check(b'"text_delta", "text": "' + MOCK_TEXT.encode() in answer,
          f"the mock's text_delta in what claude received: {answer[-800:]!r}")
    return sent, received


def capture_claude(env, binary, prompt, host="127.0.0.1"):
    mock, port, log = start_mock(env)
    reader = tls_reader(env, "--base64")
    try:
        pid = run_claude(env, binary, port, prompt, host)
        settle()
    finally:
        events = reader.stop()
        finish(mock)
    return events, pid, mock_requests(log)


@test
def the_claude_cli_is_found_by_signature_and_its_messages_call_captured_both_ways(env):
    binary = claude_binary(env)
    no_agent_under_emulation()
    out = env.load("--tls-binary", binary).stdout.decode()
    try:
        check(f"{binary}: 4 of 4 functions probed" in out, f"the loader's line: {out!r}")
        check_found_by_signature(target_of(targets(env), binary))
        prompt = f"say hello {uuid.uuid4().hex[:8]}"
        # "localhost": a name, which the client sends as its SNI; BoringSSL's
        # SSL_set_tlsext_host_name is found by signature too.
        events, pid, requests = capture_claude(env, binary, prompt, host="localhost")
        sent, received = check_messages_call(events, pid, prompt, requests)
        check_eq({"localhost"}, {e.get("sni") for e in sent + received},
                 "the server name (SNI) on claude's records")
        handshakes = events_of(events, "tls_handshake", pid=pid)
        check(any(h["ret"] == 1 for h in handshakes),
              f"a completed SSL_do_handshake of claude: {handshakes}")
    finally:
        env.load()


@test
@host_only
def a_stripped_binary_without_boringssl_is_said_not_attached_and_probed_nowhere(env):
    stripped = os.path.join(env.tmp, "tls-static-stripped")
    shutil.copy2(env.tool("test-tls-static"), stripped)
    run(["strip", stripped])
    out = env.load("--tls-binary", stripped).stdout.decode()
    try:
        check(f"{stripped}: nothing probed: no TLS symbols, and no BoringSSL in it" in out,
              f"the loader says so: {out!r}")
        listed = targets(env)
        mine = target_of(listed, stripped)
        check(not mine["attached"] and mine["found_by"] == "nothing found" and
              "no TLS symbols" in mine["note"] and
              all(v != "attached" for v in mine["functions"].values()),
              f"the stripped binary is not attached: {mine}")
        index = listed.index(mine)
        links = os.listdir(os.path.join(env.pin_dir, "links"))
        check_eq([], [n for n in links if n.startswith(f"tls-t{index}-")],
                 "links pinned for the stripped binary")
        probe = run([env.tool("observe-load"), "--probe", "-C", "tls", "--tls-binary", stripped])
        check(f"{stripped}: nothing probed: no TLS symbols" in probe.stdout.decode(),
              f"--probe says so too: {probe.stdout.decode()[-600:]!r}")
    finally:
        env.load()


@test
def a_tls_binary_pattern_in_the_config_follows_a_new_version_of_the_agent_on_reload(env):
    binary = claude_binary(env)
    no_agent_under_emulation()
    agents = os.path.join(env.tmp, "agents")
    os.makedirs(os.path.join(agents, "1.0"))
    os.symlink(binary, os.path.join(agents, "1.0", "claude"))
    config = os.path.join(env.tmp, "agents.conf")
    absent = "/nonexistent-observe-agents/*/claude"
    with open(config, "w") as f:
        f.write(f"tls-binary = {agents}/*/claude\ntls-binary = {absent}\n")
    try:
        env.load("--config", config)
        listed = targets(env)
        check_found_by_signature(target_of(listed, binary))
        none = target_of(listed, absent)
        check(not none["attached"] and none["found_by"] == "no file",
              f"a pattern that matches nothing is listed as such: {none}")
        # The agent updates itself: the old version goes, a new file comes.
        shutil.rmtree(os.path.join(agents, "1.0"))
        new = os.path.join(agents, "2.0", "claude")
        os.makedirs(os.path.dirname(new))
        shutil.copy2(binary, new)
        check(os.stat(new).st_ino != os.stat(binary).st_ino, "the new version is another file")
        env.load("--config", config)
        listed = targets(env)
        check_found_by_signature(target_of(listed, new))
        check_eq([], [t for t in listed if t["path"] == binary], "the old version's target")
        prompt = f"say hello {uuid.uuid4().hex[:8]}"
        events, pid, requests = capture_claude(env, new, prompt)
        check_messages_call(events, pid, prompt, requests)
    finally:
        env.load()
        shutil.rmtree(agents, ignore_errors=True)


NODE_CLIENT = """
const [port, prompt] = process.argv.slice(1);
fetch(`https://127.0.0.1:${port}/v1/messages`, {
  method: "POST",
  headers: {"content-type": "application/json", "x-api-key": "test",
            "anthropic-version": "2023-06-01"},
  body: JSON.stringify({model: "claude-mock", max_tokens: 64, stream: true,
                        messages: [{role: "user", content: prompt}]}),
}).then(r => r.text()).then(t => { process.stdout.write(t); });
"""


@test
def node_fetch_to_the_mock_is_captured_by_symbol_in_node_or_its_libssl(env):
    no_agent_under_emulation()
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        raise Skip("no node on PATH")
    node = os.path.realpath(node)
    env.load("--tls-binary", node)
    try:
        mine = target_of(targets(env), node)
        own_openssl = mine["attached"]
        if own_openssl:
            check(mine["found_by"] == "symbol" and mine["functions"]["SSL_write"] == "attached",
                  f"node's own OpenSSL probed by symbol: {mine}")
        else:
            ldd = run(["ldd", node]).stdout.decode()
            check("libssl" in ldd, f"a node without SSL_* symbols uses the system's libssl: {ldd}")
        mock, port, log = start_mock(env)
        reader = tls_reader(env, "--base64")
        prompt = f"node says hello {uuid.uuid4().hex[:8]}"
        try:
            client = subprocess.Popen([node, "-e", NODE_CLIENT, str(port), prompt],
                                      env={**os.environ, "NODE_TLS_REJECT_UNAUTHORIZED": "0"},
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
            env.started.append(client)
            out, err = client.communicate(timeout=60)
            check(client.returncode == 0 and b"message_stop" in out,
                  f"node's fetch got the stream (exit {client.returncode}): {out[-300:]!r} "
                  f"{err[-300:]!r}")
            settle()
        finally:
            events = reader.stop()
            finish(mock)
        sent, received = (calls_of(events, client.pid, d) for d in ("sent", "received"))
        request, answer = joined(sent), joined(received)
        check(request.startswith(b"POST /v1/messages") and prompt.encode() in request,
              f"node's POST with the prompt: {request[:300]!r}")
        check(b"event: message_stop" in answer and MOCK_TEXT.encode() in answer,
              f"the SSE answer node received: {answer[-300:]!r}")
        check({e["function"] for e in sent + received} <=
              {"SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex"},
              f"node's functions: {sorted({e['function'] for e in sent + received})}")
    finally:
        env.load()
