"""Llama 3 token ids back to bytes, straight from the fixture's rank file
(base64 token, rank per line) and the published special-token names: an
independent decoder for checking what longweave wrote."""
import base64
import os

from harness import ROOT

LLAMA3 = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "llama3.tiktoken")
SPECIALS = {128000: "<|begin_of_text|>", 128001: "<|end_of_text|>",
            128006: "<|start_header_id|>", 128007: "<|end_header_id|>", 128009: "<|eot_id|>"}


def byte_decoder():
    """ids -> bytes (a slice of ids may end inside a UTF-8 sequence)."""
    table = {}
    for line in open(LLAMA3, "rb"):
        tok, rank = line.split()
        table[int(rank)] = base64.b64decode(tok)
    for i, n in SPECIALS.items():
        table[i] = n.encode()
    return lambda ids: b"".join(table[i] for i in ids)


def decoder():
    """ids -> text."""
    decode = byte_decoder()
    return lambda ids: decode(ids).decode("utf-8")
