#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Cuts the kernel's BTF out of a raw kernel Image (arm64's is not ELF, so
bpftool cannot read it directly).

    carve-btf.py IMAGE OUT

The blob starts with the BTF header (magic 0xeB9F, version 1, header length
24); its length follows from the header's section offsets. Of several
candidates, the largest consistent one is the kernel's."""
import mmap
import struct
import sys

HEADER = struct.Struct("<HBBIIIII")  # magic, version, flags, hdr_len, type_off/len, str_off/len
START = b"\x9f\xeb\x01\x00\x18\x00\x00\x00"


def find_btf(image):
    best = None
    pos = image.find(START)
    while pos >= 0:
        _, _, _, hdr_len, type_off, type_len, str_off, str_len = HEADER.unpack_from(image, pos)
        size = hdr_len + max(type_off + type_len, str_off + str_len)
        strings = pos + hdr_len + str_off
        if type_len and pos + size <= len(image) and strings < len(image) and image[strings] == 0:
            if best is None or size > best[1]:
                best = (pos, size)
        pos = image.find(START, pos + 1)
    return best


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: carve-btf.py IMAGE OUT")
    with open(sys.argv[1], "rb") as f:
        image = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        found = find_btf(image)
        if not found:
            sys.exit(f"carve-btf: no BTF in {sys.argv[1]}")
        pos, size = found
        with open(sys.argv[2], "wb") as out:
            out.write(image[pos:pos + size])
    print(f"carve-btf: {size} bytes of BTF at offset {pos:#x}", file=sys.stderr)


if __name__ == "__main__":
    main()
