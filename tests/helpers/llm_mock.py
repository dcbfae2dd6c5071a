#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A local TLS mock of LLM APIs on loopback, for the tests of observe-tls
--http and of observe-agent:  llm_mock.py PORT CERT KEY
prints "listening PORT" and serves HTTP/1.1 with keep-alive until killed:

  POST /v1/messages          Anthropic Messages: with "stream": true an event
                             stream, chunked, each event written in several
                             pieces (many TLS records and reads); else JSON
  POST /v1/chat/completions  OpenAI chat completions: a stream of chunks with
                             usage, then [DONE]
  GET  /gzip                 a gzip JSON body, chunked
  GET  /bytes/N              N bytes of text, with Content-Length
  GET  /echo/NAME            "echo NAME", with Content-Length

The answer is ANSWER, in the deltas of DELTAS; usage is INPUT_TOKENS and
OUTPUT_TOKENS. The process (and so each of its threads) is named llm-mock,
so that a reader filtering on a client's comm does not see it.
"""
import ctypes
import gzip
import http.server
import json
import ssl
import sys
import time

DELTAS = ["The answer ", "is ", "4, ", "as the mock says."]
ANSWER = "".join(DELTAS)
INPUT_TOKENS = 21
OUTPUT_TOKENS = 9
PIECE_DELAY = 0.002     # between the pieces of one event: separate reads


def name_process(name):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(15, name.encode(), 0, 0, 0)      # PR_SET_NAME


def anthropic_events(model):
    yield "message_start", {"type": "message_start", "message": {
        "id": "msg_mock_1", "type": "message", "role": "assistant", "model": model,
        "content": [], "stop_reason": None,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": 1}}}
    yield "content_block_start", {"type": "content_block_start", "index": 0,
                                  "content_block": {"type": "text", "text": ""}}
    yield "ping", {"type": "ping"}
    for text in DELTAS:
        yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": text}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {"type": "message_delta",
                            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"output_tokens": OUTPUT_TOKENS}}
    yield "message_stop", {"type": "message_stop"}


def openai_events(model):
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
            "model": model}
    yield None, dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                     "finish_reason": None}])
    for text in DELTAS:
        yield None, dict(base, choices=[{"index": 0, "delta": {"content": text},
                                         "finish_reason": None}])
    yield None, dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
    yield None, dict(base, choices=[], usage={"prompt_tokens": INPUT_TOKENS,
                                              "completion_tokens": OUTPUT_TOKENS,
                                              "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS})
    yield None, "[DONE]"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        length = int(self.headers.get("Content-Length", 0))
        return self.rfile.read(length) if length else b""

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def send_plain(self, status, ctype, data, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def stream(self, events):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            event = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
            raw = event.encode()
            # each event in three chunks, each its own write: many records,
            # and events cut in the middle of their JSON
            for i in range(3):
                piece = raw[i * len(raw) // 3:(i + 1) * len(raw) // 3]
                if piece:
                    self.chunk(piece)
                    time.sleep(PIECE_DELAY)
        self.wfile.write(b"0\r\n\r\n")

    def do_POST(self):
        try:
            request = json.loads(self.body() or b"{}")
        except ValueError:
            self.send_plain(400, "application/json", b'{"error":"not json"}')
            return
        model = request.get("model", "mock-model")
        if self.path == "/v1/messages":
            if request.get("stream"):
                self.stream(anthropic_events(model))
            else:
                answer = {"id": "msg_mock_2", "type": "message", "role": "assistant",
                          "model": model, "content": [{"type": "text", "text": ANSWER}],
                          "stop_reason": "end_turn",
                          "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS}}
                self.send_plain(200, "application/json", json.dumps(answer).encode())
        elif self.path == "/v1/chat/completions":
            self.stream(openai_events(model))
        else:
            self.send_plain(404, "text/plain", b"no such endpoint")

    def do_GET(self):
        if self.path == "/gzip":
            data = gzip.compress(json.dumps({"compressed": True, "text": ANSWER * 20}).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(data) // 2
            self.chunk(data[:half])
            self.chunk(data[half:])
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.startswith("/bytes/"):
            n = int(self.path[len("/bytes/"):])
            self.send_plain(200, "text/plain", bytes(b"abcdefghijklmnopqrstuvwxyz"[i % 26]
                                                     for i in range(n)))
        elif self.path.startswith("/echo/"):
            self.send_plain(200, "text/plain", b"echo " + self.path[len("/echo/"):].encode())
        else:
            self.send_plain(404, "text/plain", b"no such path")


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    name_process("llm-mock")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"listening {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
