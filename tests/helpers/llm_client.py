#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Python clients of messages_mock.py on loopback (certificates not checked):
  messages PORT PROMPT [PAD]  a streamed Messages call (PAD: bytes of padding
                              in the prompt, to make the request large)
  chat PORT PROMPT            a streamed chat-completions call
  pipelined PORT NAME...      GET /echo/NAME for each NAME, all written at
                              once on one connection, then the answers read
Each prints what it got, and "done".
"""
import http.client
import json
import socket
import ssl
import sys


def context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def post(port, path, body):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context())
    conn.request("POST", path, json.dumps(body), {"content-type": "application/json",
                                                  "x-api-key": "sk-test-secret",
                                                  "anthropic-version": "2023-06-01"})
    response = conn.getresponse()
    data = b""
    while True:
        piece = response.read1(65536)       # as an SDK reads a stream: what has come
        if not piece:
            break
        data += piece
    print(response.status, len(data))
    conn.close()


def pipelined(port, names):
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with context().wrap_socket(raw) as s:
            host = b"127.0.0.1:%d" % port
            s.sendall(b"".join(b"GET /echo/%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (n.encode(), host)
                               for n in names))
            data = b""
            while data.count(b"echo ") < len(names) or not data.endswith(names[-1].encode()):
                piece = s.recv(65536)
                if not piece:
                    break
                data += piece
    print(data.decode(errors="replace"))


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "messages":
        prompt = sys.argv[3] + ("x" * int(sys.argv[4]) if len(sys.argv) > 4 else "")
        post(port, "/v1/messages", {"model": "claude-mock-1", "max_tokens": 64, "stream": True,
                                    "system": "You are a test.",
                                    "messages": [{"role": "user", "content": prompt}]})
    elif mode == "chat":
        post(port, "/v1/chat/completions", {"model": "gpt-mock-1", "stream": True,
                                            "stream_options": {"include_usage": True},
                                            "messages": [{"role": "system", "content": "Be a test."},
                                                         {"role": "user", "content": sys.argv[3]}]})
    elif mode == "pipelined":
        pipelined(port, sys.argv[3:])
    print("done", flush=True)


if __name__ == "__main__":
    main()
