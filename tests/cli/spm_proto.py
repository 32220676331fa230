"""Reads a SentencePiece .model file (a serialized ModelProto) with a
protobuf decoder written from sentencepiece_model.proto, independently of
libsentencepiece: the pieces (piece, score, type) and trainer_spec fields."""
import struct

# SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def _varint(d, i):
    v = s = 0
    while True:
        c = d[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, i


def _fields(d):
    i = 0
    while i < len(d):
        k, i = _varint(d, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = _varint(d, i)
        elif w == 1:
            v, i = d[i:i + 8], i + 8
        elif w == 5:
            v, i = d[i:i + 4], i + 4
        elif w == 2:
            n, i = _varint(d, i)
            v, i = d[i:i + n], i + n
        else:
            raise ValueError(f"wire type {w}")
        yield f, v


def read(path):
    """Returns (pieces as [(piece str, score float, type int)], trainer_spec
    dict field number -> raw value)."""
    pieces, spec = [], {}
    for f, v in _fields(open(path, "rb").read()):
        if f == 1:  # repeated SentencePiece pieces
            p = {1: b"", 2: 0.0, 3: NORMAL}
            for g, x in _fields(v):
                p[g] = struct.unpack("<f", x)[0] if g == 2 else x
            pieces.append((p[1].decode("utf-8"), p[2], p[3]))
        elif f == 2:  # TrainerSpec
            spec = dict(_fields(v))
    return pieces, spec
