#!/usr/bin/env python3
"""Makes the seed corpora of the fuzz targets from ../shared/data, at run time.

    python3 fuzz/make_seeds.py SHARED_DATA_DIR OUT_DIR

writes OUT_DIR/json_fuzzer/ and OUT_DIR/tree_fuzzer/ (emptied first):
- json_fuzzer: each round-trip file as it is, and again followed by an options block;
  values cut out of the corpora (arrays and objects of 64 bytes to 4 KiB of text), each
  followed by an options block;
- tree_fuzzer: the same values in tree_fuzzer.cpp's binary format, after an options
  block, and a few values only that format has (deep nesting, long and broken strings).
The options blocks are value_tree.hpp's `read_options` format; before a tree it is
always whole (6 bytes and more), since the value follows it. The seeds take turns at
the way of encoding that runs besides to_string (bits 5-6 of the block's byte 5).
"""

import json
import os
import shutil
import struct
import sys

PER_CORPUS = 40  # values taken from each corpus file
SMALLEST, LARGEST = 64, 4096  # bytes of compact JSON text per value


def options_block(flags=0, indent=0, indent_char=0, chunk=0, more=0, extra=b""):
    return bytes([flags, indent, indent_char]) + struct.pack("<H", chunk) + bytes([more]) + extra


# sort_keys 1, ensure_ascii 2, nan: null 4, literal 8; invalid_utf8: error 16, verbatim 32.
OPTION_PRESETS = [
    b"",  # the defaults
    options_block(flags=1, indent=4),  # sort_keys, indent 2
    options_block(flags=2 | 4, chunk=0x8000 + 6),  # ensure_ascii, nan null, chunk 7
    options_block(flags=8 | 32, indent=1, chunk=0),  # nan literal, verbatim, indent 0
    options_block(flags=16, chunk=1),  # invalid_utf8 error, chunk 2
    # ", " and ": " separators, tab indent 1, max_depth 3
    options_block(indent=3, indent_char=1, more=1 | 2 | 4, extra=bytes([1, 0, 0]) + bytes([1, 0, 0]) + struct.pack("<H", 3)),
    options_block(flags=1 | 2 | 8, indent=12, chunk=0x8000 + 63, more=8),  # all-pairs objects
    options_block(flags=32, chunk=0x8000 + 4095, more=16),  # verbatim, chunk 4096, alternating objects
]


def with_way(block, way):
    """`block` with `way` as its other way of encoding; an empty block as it is."""
    if len(block) < 6:
        return block
    return block[:5] + bytes([block[5] & 0x9F | way << 5]) + block[6:]


def to_text(value):
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


def containers(value):
    """Every array and object inside `value`, in document order."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, dict)):
            yield v
            children = v if isinstance(v, list) else list(v.values())
            stack.extend(reversed(children))


def corpus_values(path):
    with open(path, "rb") as f:
        document = json.loads(f.read())
    fitting = [v for v in containers(document) if SMALLEST <= len(to_text(v)) <= LARGEST]
    step = max(1, len(fitting) // PER_CORPUS)
    return fitting[::step][:PER_CORPUS]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def tree_bytes(value, depth=0):
    """`value` in tree_fuzzer.cpp's format."""
    if value is None:
        return b"\x00"
    if value is False:
        return b"\x01"
    if value is True:
        return b"\x02"
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return b"\x03" + struct.pack("<q", value)
    if isinstance(value, int) and 0 <= value < 2**64:
        return b"\x04" + struct.pack("<Q", value)
    if isinstance(value, (int, float)):
        return b"\x06" + struct.pack("<d", float(value))
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")[:4095]
        return b"\x09" + varint(len(data)) + data
    if isinstance(value, list):
        items = value[:63]
        return b"\x0c" + bytes([len(items)]) + b"".join(tree_bytes(v, depth + 1) for v in items)
    members = list(value.items())[:63]
    out = bytearray(b"\x0d" if depth % 2 == 0 else b"\x0e")  # std::map, then pairs
    out.append(len(members))
    for key, v in members:
        data = key.encode("utf-8", "surrogatepass")[:63]
        out += b"\x00" + varint(len(data)) + data + tree_bytes(v, depth + 1)
    return bytes(out)


def large_count(n, step):
    """A count of tree_fuzzer.cpp's format from its large range: n, rounded down to a
    multiple of `step` (128 for long strings, 4 for levels)."""
    return struct.pack("<H", 0xFF00 | n // step)


# Values only the binary format has: see tree_fuzzer.cpp for the ops.
TREE_SPECIALS = [
    # 1000 levels, then a string cut in a UTF-8 sequence
    b"\x11" + large_count(1000, 4) + b"\x1b" + b"\x0a\x03\x00\x1c\x2a",
    b"\x11" + large_count(600, 4) + b"\xe4" + b"\x07\x1c",  # 600 levels, then NaN
    # 20000 clean bytes; 3000 euro signs
    b"\x0c\x02" + b"\x0b\x00" + large_count(20000, 128) + b"\x0b\x12" + large_count(3000, 128),
    # 5000 stray continuation bytes, 9000 quotes, eight broken sequences, integer and NaN edges
    b"\x0c\x06" + b"\x0b\x1c" + large_count(5000, 128) + b"\x0b\x06" + large_count(9000, 128)
    + b"\x0a\x08" + bytes(range(28, 36)) + b"\x05\x03\x05\x18\x07\x1f",
    # pairs: a broken key twice, "/", "b\xff"; an integer-keyed map with a box
    b"\x0e\x04" + b"\x01\x02\x1c\x04" + b"\x07\x1c" + b"\x02" + b"\x03" + struct.pack("<q", 5)
    + b"\x03\x05" + b"\x0f\x02" + struct.pack("<q", -7) + b"\x10\x01\x05\x01" + struct.pack("<q", 3) + b"\x00"
    + b"\x00\x02b\xff" + b"\x0c\x00",
]


def write(directory, name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    shared, out = sys.argv[1], sys.argv[2]
    json_dir, tree_dir = os.path.join(out, "json_fuzzer"), os.path.join(out, "tree_fuzzer")
    for d in (json_dir, tree_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    count = 0
    roundtrip = os.path.join(shared, "roundtrip")
    for name in sorted(os.listdir(roundtrip)):
        with open(os.path.join(roundtrip, name), "rb") as f:
            text = f.read()
        preset, way = OPTION_PRESETS[count % len(OPTION_PRESETS)], count // len(OPTION_PRESETS) % 4
        write(json_dir, name, text)
        write(json_dir, name + ".options", text + with_way(preset or OPTION_PRESETS[1], way))
        write(tree_dir, name, with_way(preset or options_block(), way) + tree_bytes(json.loads(text)))
        count += 1

    corpora = os.path.join(shared, "corpora")
    for name in sorted(os.listdir(corpora)):
        for i, value in enumerate(corpus_values(os.path.join(corpora, name))):
            preset, way = OPTION_PRESETS[count % len(OPTION_PRESETS)], count // len(OPTION_PRESETS) % 4
            write(json_dir, f"{name}.{i}", to_text(value) + with_way(preset, way))
            write(tree_dir, f"{name}.{i}", with_way(preset or options_block(), way) + tree_bytes(value))
            count += 1

    for i, special in enumerate(TREE_SPECIALS):
        for j, preset in enumerate(OPTION_PRESETS):
            write(tree_dir, f"special.{i}.{j}", with_way(preset or options_block(), (i + j) % 4) + special)

    print(f"seeds: {len(os.listdir(json_dir))} for json_fuzzer, {len(os.listdir(tree_dir))} for tree_fuzzer")


if __name__ == "__main__":
    main()
