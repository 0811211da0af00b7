"""Text fingerprints for recognising copies of one story: shingles, MinHash band keys, paragraphs.

A copy of a wire story on another site keeps most of its 5-word shingles; an independent story of
the same event keeps almost none (measured on the dedupe set that `make eval` scores: Jaccard >= 0.47
against <= 0.06). MinHash with LSH bands finds candidates cheaply (band keys are stored as keywords
and looked up with a terms query); a candidate is then confirmed on the exact shingle sets.

Boilerplate is the one trap: a block an outlet prints under many of its stories (a photo gallery,
a promo) makes unrelated stories look alike. A paragraph found in BOILERPLATE_MIN_DOCS or more
stories of the same outlet is boilerplate and is left out of the confirming comparison. Copies of
a wire story sit on different outlets, so they are never mistaken for it.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from datasketch import MinHash

from newsmon.text import words

SHINGLE_WORDS = 5
BANDS, ROWS = 42, 3  # P(candidate) = 1-(1-J^3)^42: 0.996 at J=0.5, 0.68 at J=0.3, 0.04 at J=0.1
NUM_PERM = BANDS * ROWS
NEAR_DUPLICATE_JACCARD = 0.5  # resemblance at which two texts are one story (Broder's "roughly the same")
BOILERPLATE_MIN_DOCS = 3
MIN_PARAGRAPH_WORDS = 8  # shorter lines ("Photo: EFE", "Read more") are too common to tell stories apart


def paragraph_hash(words_of_paragraph: list[str]) -> str:
    return hashlib.blake2b(" ".join(words_of_paragraph).encode("utf-8"), digest_size=8).hexdigest()


def paragraphs(text: str) -> list[tuple[str, list[str]]]:
    """(hash, words) of each paragraph long enough to identify text."""
    out = []
    for line in text.splitlines():
        w = words(line)
        if len(w) >= MIN_PARAGRAPH_WORDS:
            out.append((paragraph_hash(w), w))
    return out


def _line_grams(w: list[str]) -> set[int]:
    if len(w) < SHINGLE_WORDS:
        return {zlib.crc32(" ".join(w).encode("utf-8"))} if w else set()
    return {
        zlib.crc32(" ".join(w[i : i + SHINGLE_WORDS]).encode("utf-8"))
        for i in range(len(w) - SHINGLE_WORDS + 1)
    }


def line_shingles(text: str) -> list[tuple[str | None, set[int]]]:
    """(paragraph hash or None for a short line, shingles) of each line with a word.

    Shingles stop at line ends: a paragraph's shingles do not depend on its neighbours, so an
    edited copy with reordered or cut paragraphs keeps them, and a boilerplate paragraph can be
    left out of stored shingles without the body.
    """
    out: list[tuple[str | None, set[int]]] = []
    for line in text.splitlines():
        w = words(line)
        if w:
            out.append((paragraph_hash(w) if len(w) >= MIN_PARAGRAPH_WORDS else None, _line_grams(w)))
    return out


def shingles(text: str, skip_paragraphs: Iterable[str] = ()) -> set[int]:
    """CRC-32 of the word 5-grams of each line of `text`, leaving out the paragraphs in
    `skip_paragraphs`; a line shorter than five words is one shingle.

    32 bits is what MinHash consumes, and a collision among a story's ~1,000 shingles is a one in
    ten thousand event that moves a Jaccard estimate by 0.001; CRC-32 runs in C, ten times faster
    than a cryptographic hash, and is the same in every process (unlike Python's hash()).
    """
    return sketch_shingles(line_shingles(text), skip_paragraphs)


def sketch_shingles(
    lines: list[tuple[str | None, set[int]]], skip_paragraphs: Iterable[str] = ()
) -> set[int]:
    skip = set(skip_paragraphs)
    out: set[int] = set()
    for h, grams in lines:
        if h is None or h not in skip:
            out |= grams
    return out


# The sketch stored with each article (`shingle_sketch`, base64): per line, 8 bytes of its
# paragraph hash (zeros for a short line), a uint32 count, then that many uint32 shingles. About
# 4 bytes a word, so clustering confirms candidates without refetching and re-shingling bodies.
_NO_HASH = bytes(8)


def encode_sketch(lines: list[tuple[str | None, set[int]]]) -> str:
    parts: list[bytes] = []
    for h, grams in lines:
        parts.append(bytes.fromhex(h) if h else _NO_HASH)
        parts.append(struct.pack("<I", len(grams)))
        parts.append(array("I", sorted(grams)).tobytes())
    return base64.b64encode(b"".join(parts)).decode("ascii")


Grams = npt.NDArray[np.uint32]  # sorted, distinct uint32 shingles


def decode_sketch_arrays(text: str) -> list[tuple[str | None, Grams]]:
    """The stored sketch as (paragraph hash or None, sorted shingle array) per line.

    Arrays rather than sets in clustering: a line's shingles are a view of the decoded bytes (no
    per-shingle object), about 4 bytes a shingle against some 60 in a set, and decoding costs a
    few microseconds a line; a round confirms thousands of candidates.
    """
    raw = base64.b64decode(text)
    out: list[tuple[str | None, Grams]] = []
    pos = 0
    while pos < len(raw):
        head = raw[pos : pos + 8]
        (n,) = struct.unpack_from("<I", raw, pos + 8)
        out.append((None if head == _NO_HASH else head.hex(), np.frombuffer(raw, "<u4", n, pos + 12)))
        pos += 12 + 4 * n
    return out


def line_arrays(lines: list[tuple[str | None, set[int]]]) -> list[tuple[str | None, Grams]]:
    return [(h, np.array(sorted(grams), dtype="<u4")) for h, grams in lines]


def union_grams(lines: list[tuple[str | None, Grams]], skip_paragraphs: Iterable[str] = ()) -> Grams:
    """`sketch_shingles` on arrays: the distinct shingles of the lines not in `skip_paragraphs`."""
    skip = set(skip_paragraphs)
    kept = [g for h, g in lines if h is None or h not in skip]
    return np.unique(np.concatenate(kept)) if kept else np.empty(0, dtype="<u4")


def overlap_sorted(a: Grams, b: Grams) -> tuple[float, float, int]:
    """(Jaccard, containment, shared count) of two sorted arrays of distinct shingles, from one
    intersection."""
    if not a.size or not b.size:
        return 0.0, 0.0, 0
    shared = int(np.intersect1d(a, b, assume_unique=True).size)
    return shared / (a.size + b.size - shared), shared / min(a.size, b.size), shared


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: set[int], b: set[int]) -> float:
    """Share of the smaller set found in the larger one: an edited copy (new lede, paragraphs cut)
    keeps most of its text inside the original even when the Jaccard resemblance falls."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def band_keys(shingle_hashes: set[int]) -> list[str]:
    """LSH band keys of the MinHash signature: two texts sharing any key are candidates."""
    if not shingle_hashes:
        return []
    # The shingles are already hashed: datasketch's own per-item SHA-1 would cost more than the
    # rest of the fingerprint, so its hash function is the identity here.
    m = MinHash(num_perm=NUM_PERM, seed=7, hashfunc=_identity)
    m.update_batch(list(shingle_hashes))
    values = m.hashvalues
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        keys.append(f"{band:02d}{hashlib.blake2b(chunk, digest_size=6).hexdigest()}")
    return keys


def _identity(value: int) -> int:
    return value


@dataclass(frozen=True)
class Fingerprint:
    paragraph_hashes: list[str]
    bands: list[str]
    sketch: str


def fingerprint(body: str) -> Fingerprint:
    lines = line_shingles(body)
    return Fingerprint(
        paragraph_hashes=sorted({h for h, _ in lines if h}),
        bands=band_keys(sketch_shingles(lines)),
        sketch=encode_sketch(lines),
    )
