#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A mock of Anthropic's Messages API over TLS on 127.0.0.1, for tests and
benchmarks that run a real agent (the claude CLI, node fetch, ...) against it:

  messages_mock.py PORT CERT KEY [--text TEXT] [--count N] [--log FILE]
                   [--pieces N] [--name COMM]

Prints "listening PORT" once it accepts connections. Every POST to
/v1/messages (any query string) is answered with an SSE stream
(text/event-stream: message_start, content_block_start, content_block_delta
with a text_delta of TEXT, content_block_stop, message_delta, message_stop),
or with one JSON message when the request did not ask for "stream": true.
POST /v1/chat/completions is answered as OpenAI's chat completions stream
(chunks of TEXT, a finish_reason, a usage chunk, [DONE]). For observe-tls
--http's tests, GET /gzip answers a gzip JSON body in two chunks, GET
/bytes/N N bytes of text, GET /echo/NAME "echo NAME". Other paths get a 404
JSON error. Each request is logged as one JSON line
({"method", "path", "length", "stream", "prompt"}) to --log (or stderr).
With --count N the server exits after N answers to /v1/messages.
With --pieces N each event of a stream is written as N chunks, apart (many
TLS records, and reads that end inside an event). --name sets the process's
comm (readers filtering on a client's comm then leave the mock out).

HTTP/1.1 only (the ALPN offered is http/1.1), keep-alive, one thread per
connection, Content-Length or chunked request bodies.
"""
import argparse
import ctypes
import gzip
import http.server
import json
import socketserver
import ssl
import sys
import threading
import time

DEFAULT_TEXT = "Hello from the mock."


def sse_events(text, model):
    """The events of one streamed answer, as the real API sends them."""
    usage = {"input_tokens": 12, "output_tokens": 6}
    return [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_mock", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": text}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": usage}),
        ("message_stop", {"type": "message_stop"}),
    ]


def chat_events(text, model):
    """OpenAI's chat completions stream (with stream_options.include_usage)."""
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
            "model": model}
    return [
        (None, dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "finish_reason": None}])),
        (None, dict(base, choices=[{"index": 0, "delta": {"content": text},
                                    "finish_reason": None}])),
        (None, dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])),
        (None, dict(base, choices=[], usage={"prompt_tokens": 12, "completion_tokens": 6,
                                             "total_tokens": 18})),
        (None, "[DONE]"),
    ]


def whole_message(text, model):
    return {"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 6}}


def last_user_text(request):
    """The text of the last user message, for the log."""
    for message in reversed(request.get("messages", [])):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        texts = [c.get("text", "") for c in content or [] if isinstance(c, dict)]
        return texts[-1] if texts else ""
    return ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream(self, events):
        """An SSE stream, chunked; each event in --pieces chunks, apart."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = self.server.pieces
        for name, event in events:
            data = event if isinstance(event, str) else json.dumps(event)
            raw = ((f"event: {name}\n" if name else "") + f"data: {data}\n\n").encode()
            for i in range(pieces):
                piece = raw[i * len(raw) // pieces:(i + 1) * len(raw) // pieces]
                if piece:
                    self.chunk(piece)
                    if pieces > 1:
                        time.sleep(0.002)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def reply(self, status, content_type, data):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        data = self.body()
        path = self.path.split("?")[0]
        try:
            request = json.loads(data or b"{}")
        except ValueError:
            request = {}
        stream = bool(request.get("stream"))
        self.server.log({"method": "POST", "path": self.path, "length": len(data),
                         "stream": stream, "prompt": last_user_text(request)})
        if path == "/v1/chat/completions":
            self.stream(chat_events(self.server.text, request.get("model", "gpt-mock")))
            return
        if path != "/v1/messages":
            self.reply(404, "application/json", json.dumps(
                {"type": "error", "error": {"type": "not_found_error",
                                            "message": "not found"}}).encode())
            return
        model = request.get("model", "claude-mock")
        if not stream:
            self.reply(200, "application/json",
                       json.dumps(whole_message(self.server.text, model)).encode())
        else:
            self.stream(sse_events(self.server.text, model))
        self.server.answered()

    def do_GET(self):
        self.server.log({"method": "GET", "path": self.path, "length": 0, "stream": False,
                         "prompt": ""})
        if self.path == "/gzip":
            data = gzip.compress(json.dumps({"compressed": True,
                                             "text": self.server.text * 20}).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(data[:len(data) // 2])
            self.chunk(data[len(data) // 2:])
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path.startswith("/bytes/") and self.path[7:].isdigit():
            n = int(self.path[7:])
            self.reply(200, "text/plain", (b"abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n])
            return
        if self.path.startswith("/echo/"):
            self.reply(200, "text/plain", b"echo " + self.path[6:].encode())
            return
        self.reply(404, "application/json", b'{"type":"error","error":{"type":"not_found_error"}}')

    do_HEAD = do_GET


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self, port, context, text, count, log, pieces=1):
        super().__init__(("127.0.0.1", port), Handler)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.text, self.count, self.log_file, self.pieces = text, count, log, pieces
        self.lock = threading.Lock()

    def log(self, entry):
        with self.lock:
            print(json.dumps(entry), file=self.log_file, flush=True)

    def answered(self):
        with self.lock:
            self.count -= 1
            if self.count == 0:
                threading.Thread(target=self.shutdown).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("port", type=int)
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--count", type=int, default=0, help="exit after N answers (0: never)")
    ap.add_argument("--log", help="file for the request log (default stderr)")
    ap.add_argument("--pieces", type=int, default=1, help="chunks each stream event is written in")
    ap.add_argument("--name", help="the process's comm (threads inherit it)")
    args = ap.parse_args()
    if args.name:
        ctypes.CDLL(None).prctl(15, args.name.encode(), 0, 0, 0)     # PR_SET_NAME
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    context.set_alpn_protocols(["http/1.1"])
    log = open(args.log, "a") if args.log else sys.stderr
    server = Server(args.port, context, args.text, args.count, log, max(1, args.pieces))
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
