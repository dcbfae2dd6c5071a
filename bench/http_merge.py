#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""What a user would write instead of observe-tls --http: a Python script that
reads the same recorded TLS records (bench/http.c gen), joins each
connection's bytes, and for each exchange parses the request (its JSON body:
model, messages) and the chunked event-stream response (json.loads per event,
text deltas joined, stop reason, usage), then prints one JSON line per call.
It runs offline on a whole file (no streaming, no missing bytes, no limits),
which only makes its job easier.

  http_merge.py FILE ROUNDS    prints "SECONDS_PER_ROUND PLAINTEXT_BYTES CALLS"
"""
import json
import os
import struct
import sys
import time

HEADER = struct.Struct("<QQQIHHIIIIII16s")      # struct observe_event_header
TLS = struct.Struct("<QQQQQIHBBB7x")            # struct observe_tls_event after it


def records(data):
    off = 0
    while off + 8 <= len(data):
        (size,) = struct.unpack_from("<Q", data, off)
        off += 8
        conn, _, _, _, _, data_len, _, _, direction, _ = TLS.unpack_from(data, off + HEADER.size)
        start = off + HEADER.size + TLS.size
        yield conn, direction, data[start:start + data_len]
        off += (size + 7) // 8 * 8


def messages(stream):
    """HTTP/1.1 messages of one direction: (head, body) with bodies de-chunked."""
    pos = 0
    while pos < len(stream):
        end = stream.index(b"\r\n\r\n", pos)
        head = stream[pos:end].decode("latin-1")
        pos = end + 4
        fields = {}
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                eol = stream.index(b"\r\n", pos)
                size = int(stream[pos:eol].split(b";")[0], 16)
                pos = eol + 2
                if size == 0:
                    pos = stream.index(b"\r\n", pos) + 2
                    break
                body += stream[pos:pos + size]
                pos += size + 2
        else:
            length = int(fields.get("content-length", 0))
            body = stream[pos:pos + length]
            pos += length
        yield head.split("\r\n")[0], fields, bytes(body)


def merge(request_body, events_body):
    request = json.loads(request_body)
    call = {"type": "llm_call", "request_model": request.get("model"),
            "messages": [{"role": m.get("role"), "content": "\n".join(
                b.get("text", "") for b in m["content"]) if isinstance(m.get("content"), list)
                else m.get("content")} for m in request.get("messages", [])]}
    text, usage = [], {}
    for event in events_body.decode().split("\n\n"):
        data = "\n".join(line[5:].lstrip() for line in event.split("\n") if line.startswith("data:"))
        if not data:
            continue
        e = json.loads(data)
        kind = e.get("type")
        if kind == "message_start":
            call["model"] = e["message"].get("model")
            usage.update(e["message"].get("usage", {}))
        elif kind == "content_block_delta" and "text" in e.get("delta", {}):
            text.append(e["delta"]["text"])
        elif kind == "message_delta":
            call["stop_reason"] = e["delta"].get("stop_reason")
            usage.update(e.get("usage", {}))
    call["answer"] = "".join(text)
    call["usage"] = usage
    return call


def run(data, out):
    streams = {}
    plaintext = 0
    for conn, direction, chunk in records(data):
        streams.setdefault((conn, direction), bytearray()).extend(chunk)
        plaintext += len(chunk)
    calls = 0
    for (conn, direction), sent in streams.items():
        if direction != 0:
            continue
        requests = messages(bytes(sent))
        responses = messages(bytes(streams.get((conn, 1), b"")))
        for (line, _, body), (_, fields, answer) in zip(requests, responses):
            if fields.get("content-type", "").startswith("text/event-stream"):
                call = merge(body, answer)
                call["target"] = line.split(" ")[1]
                out.write(json.dumps(call) + "\n")
                calls += 1
    return plaintext, calls


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    best = None
    with open(os.devnull, "w") as out:
        for _ in range(int(sys.argv[2])):
            start = time.monotonic()
            plaintext, calls = run(data, out)
            took = time.monotonic() - start
            best = took if best is None or took < best else best
    print(f"{best:.6f} {plaintext} {calls}", file=sys.stderr)


if __name__ == "__main__":
    main()
