# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""observe-tls --http on loopback: real clients (curl, Python, node's fetch)
of a TLS mock of the Anthropic Messages and OpenAI chat-completions APIs
(helpers/messages_mock.py, shared with the agent tests). Streamed answers,
written in many pieces and read in many calls, come out as one llm_call each with the request's messages, the
merged answer, stop reason and usage; a gzip chunked body comes inflated; a
body past --body-max is cut visibly; pipelined requests pair with their
responses; a request larger than --tls-max says its bytes are missing."""
import json
import os
import shutil

from harness import (IN_GUEST, TLS_MEMBER, check, check_eq, events_of, host_only, run, settle,
                     test_list)
from test_tls import PYTHON, certificate, finish, free_port, read_line, start, tls_reader

TESTS, test = test_list()

HELPERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers")
MOCK = os.path.join(HELPERS, "messages_mock.py")
CLIENT = os.path.join(HELPERS, "llm_client.py")
ANSWER = "The answer is 4, as the mock says."
INPUT_TOKENS, OUTPUT_TOKENS = 12, 6     # the mock's
PIECES = 3      # chunks the mock writes each event in


class Mock:
    """messages_mock.py on a free port, for the time of a with block."""

    def __init__(self, env):
        self.env = env
        self.port = free_port()

    def __enter__(self):
        cert, key = certificate(self.env)
        self.proc = start(self.env, [PYTHON, MOCK, str(self.port), cert, key, "--text", ANSWER,
                                     "--pieces", str(PIECES), "--name", "llm-mock",
                                     "--log", os.devnull])
        check_eq(f"listening {self.port}\n", read_line(self.proc, "the mock"), "the mock's first line")
        return self

    def __exit__(self, *exc):
        finish(self.proc)

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"

    def host(self):
        """The Host of its requests: TLS is captured machine-wide, and other
        runs of these tests have mocks and clients of the same names."""
        return f"127.0.0.1:{self.port}"

    def python(self, *args):
        out = run([PYTHON, CLIENT, args[0], str(self.port), *args[1:]]).stdout.decode()
        check(out.rstrip().endswith("done"), f"the python client's output: {out!r}")
        return out


def exchanges(env, mock_calls, *reader_args):
    """The --http reader's lines while mock_calls() runs its clients."""
    reader = tls_reader(env, "--http", *reader_args)
    try:
        mock_calls()
        settle()
    finally:
        events = reader.stop()
    return events


def prompt_of(call):
    return [m["content"] for m in call.get("messages", []) if m.get("role") == "user"]


def check_merged_call(call, what, provider, api, model, prompt, stop, events):
    check_eq(provider, call.get("provider"), f"provider of {what}")
    check_eq(api, call.get("api"), f"api of {what}")
    check_eq(model, call.get("model"), f"model of {what}")
    check_eq(model, call.get("request_model"), f"the request's model of {what}")
    check_eq([prompt], prompt_of(call), f"the user's message in {what}")
    check_eq(ANSWER, call.get("answer"), f"the merged answer of {what}")
    check_eq(stop, call.get("stop_reason"), f"stop reason of {what}")
    check_eq(INPUT_TOKENS, call["usage"].get("input_tokens"), f"input tokens of {what}")
    check_eq(OUTPUT_TOKENS, call["usage"].get("output_tokens"), f"output tokens of {what}")
    check_eq(events, call.get("events"), f"events of {what}")
    check_eq(True, call.get("complete"), f"complete ({call.get('incomplete')}) of {what}")
    check(0 < call["ttfb_ns"] <= call["ttft_ns"] <= call["total_ns"],
          f"ttfb <= ttft <= total of {what}: {call}")


def one_call(events, mock, comm, type_="llm_call"):
    calls = [e for e in events_of(events, type_, comm=comm, host=mock.host()) if "side" not in e]
    check_eq(1, len(calls), f"{type_} lines of {comm}: {[c.get('target') for c in calls]}")
    return calls[0]


@test
def curl_python_and_node_calls_of_the_messages_api_are_each_one_llm_call(env):
    # node: from make test-deps; not in the emulated guest, where it takes seconds to start
    node = None if IN_GUEST else shutil.which("node")
    body = json.dumps({"model": "claude-mock-1", "max_tokens": 64, "stream": True,
                       "messages": [{"role": "user", "content": "curl asks: 2+2?"}]})
    node_js = ("fetch(process.argv[1], {method: 'POST', headers: {'content-type': 'application/json'},"
               " body: JSON.stringify({model: 'claude-mock-1', max_tokens: 64, stream: true,"
               " messages: [{role: 'user', content: 'node asks: 2+2?'}]})})"
               ".then(r => r.text()).then(t => console.log(t.length))")
    raw = tls_reader(env, "-c", "curl")     # beside it, the records the calls came in
    with Mock(env) as mock:
        def calls():
            out = run(["curl", "-sk", "--http1.1", "-N", mock.url("/v1/messages"), "-H",
                       "content-type: application/json", "-H", "x-api-key: sk-test", "-d", body])
            check(b"message_stop" in out.stdout, f"curl's output: {out.stdout[-200:]!r}")
            mock.python("messages", "python asks: 2+2?")
            if node:
                out = run([node, "-e", node_js, mock.url("/v1/messages")],
                          env=dict(os.environ, NODE_TLS_REJECT_UNAUTHORIZED="0"))
                check(int(out.stdout) > 500, f"node's output: {out.stdout!r}")
        events = exchanges(env, calls)
    records = events_of(raw.stop(), "tls_data", comm="curl", direction="received")
    clients = [("curl", "curl asks: 2+2?"), ("python3", "python asks: 2+2?")]
    clients += [("node", "node asks: 2+2?")] if node else []
    for comm, prompt in clients:
        call = one_call(events, mock, comm)
        check_merged_call(call, f"{comm}'s call", "anthropic", "messages", "claude-mock-1", prompt,
                          "end_turn", 7)
        check_eq("POST", call.get("method"), f"method of {comm}'s call")
        check_eq("/v1/messages", call.get("target"), f"target of {comm}'s call")
        check_eq(200, call.get("status"), f"status of {comm}'s call")
    # the mock writes each of the 7 events in 3 chunks, apart: curl reads them one by one
    check(len(records) >= 15, f"curl read the answer in {len(records)} records, expected >= 15")
    served = [c for c in events_of(events, "llm_call", comm="llm-mock", host=mock.host())
              if c.get("side") == "server"]
    check_eq(len(clients), len(served), "calls seen from the mock's side")


@test
@host_only
def an_openai_chat_completions_stream_is_one_llm_call(env):
    with Mock(env) as mock:
        events = exchanges(env, lambda: mock.python("chat", "python chats"), "-c", "python3")
    call = one_call(events, mock, "python3")
    check_merged_call(call, "the chat call", "openai", "chat.completions", "gpt-mock-1",
                      "python chats", "stop", 5)
    check_eq(["system", "user"], [m["role"] for m in call["messages"]], "roles of the messages")


@test
@host_only
def a_gzip_chunked_response_comes_inflated(env):
    with Mock(env) as mock:
        def calls():
            out = run(["curl", "-sk", "--http1.1", "--compressed", mock.url("/gzip")])
            check(b'"compressed": true' in out.stdout, f"curl's output: {out.stdout[:100]!r}")
        events = exchanges(env, calls, "-c", "curl")
    http = one_call(events, mock, "curl", "http")
    response = http["response"]
    check_eq("gzip", response["headers"].get("content-encoding"), "content-encoding")
    check_eq("chunked", response["headers"].get("transfer-encoding"), "transfer-encoding")
    check_eq({"compressed": True, "text": ANSWER * 20}, json.loads(response["body"]), "inflated body")
    check(response["wire_len"] < response["body_len"] == len(response["body"]),
          f"wire_len < body_len == the body's length: {response['wire_len']}, {response['body_len']}")
    check_eq(True, http["complete"], "complete")


@test
@host_only
def a_body_past_body_max_is_cut_and_counted(env):
    with Mock(env) as mock:
        def calls():
            out = run(["curl", "-sk", "--http1.1", mock.url("/bytes/50000")])
            check_eq(50000, len(out.stdout), "bytes curl got")
        events = exchanges(env, calls, "-c", "curl", "--body-max", "1K")
    response = one_call(events, mock, "curl", "http")["response"]
    check_eq(50000, response["body_len"], "body_len")
    check_eq(1024, len(response["body"]), "bytes of the body printed")
    check_eq(50000 - 1024, response.get("body_truncated"), "body_truncated")
    check_eq("abcdefghij", response["body"][:10], "the body's first bytes")


@test
@host_only
def pipelined_requests_on_one_connection_pair_with_their_responses(env):
    names = ["first", "second", "third", "fourth"]
    with Mock(env) as mock:
        events = exchanges(env, lambda: mock.python("pipelined", *names), "-c", "python3")
    got = events_of(events, "http", comm="python3", host=mock.host())
    check_eq([f"/echo/{n}" for n in names], [e.get("target") for e in got], "targets in order")
    check_eq([f"echo {n}" for n in names], [e["response"]["body"] for e in got],
             "each request's response")
    check_eq(1, len({e["conn"] for e in got}), "connections")
    check(all(e["complete"] for e in got), f"all complete: {got}")


@test
@host_only
def a_request_beyond_tls_max_says_its_bytes_are_missing_and_the_answer_still_merges(env):
    with Mock(env) as mock:
        events = exchanges(env, lambda: mock.python("messages", "big", "100000"), "-c", "python3")
    call = one_call(events, mock, "python3")
    check_eq(False, call.get("complete"), "complete")
    check_eq("bytes missing", call.get("incomplete"), "why incomplete")
    check_eq("body not whole", call.get("request_unread"), "request_unread")
    check(call.get("request_body_missing", 0) > 0 and call["request_body_len"] > 100000,
          f"request body counted: {call.get('request_body_len')}, {call.get('request_body_missing')}")
    check_eq(ANSWER, call.get("answer"), "the answer, merged all the same")


@test
@host_only
def observe_tls_http_refuses_bad_options(env):
    for args, message in ((["--body-max", "1K"], "go with --http"),
                          (["--http", "--follow", "0x1"], "not with --follow"),
                          (["--http", "--hex"], "not with --follow, --hex"),
                          (["--http", "--body-max", "0"], "between 1 and"),
                          (["--http", "--body-max", "65M"], "between 1 and")):
        res = env.user_tool("observe-tls", *args, user=TLS_MEMBER, check_rc=False)
        err = res.stderr.decode()
        check(res.returncode != 0 and message in err and err.count("\n") == 1,
              f"observe-tls {' '.join(args)}: exit {res.returncode}, {err!r}")
