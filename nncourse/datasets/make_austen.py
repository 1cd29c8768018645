"""Write, once, the course's excerpt of *Pride and Prejudice* from Debian's ``r-cran-janeaustenr``.

Chapter 7 trains a character-level recurrent network on real English prose. The text
comes from the R package janeaustenr 1.0.0 (Julia Silge; MIT licence; the novels are in
the public domain) as Debian packages it, ``r-cran-janeaustenr`` 1.0.0-1 (bookworm). That
package stores its data as an R lazy-load database: ``data/Rdata.rdx`` (a gzip-compressed
R serialisation of an index: for each object, its offset and length in the ``.rdb``) and
``data/Rdata.rdb`` (each object a 4-byte big-endian length and a zlib stream of an R
serialisation). ``prideprejudice`` is a character vector, one element per line of the
novel (Project Gutenberg's text without its header and licence).

This script reads it with the small R-serialisation reader below (no R, no extra Python
package), keeps the title and chapters 1 to :data:`LAST_CHAPTER`, and writes
``nnlib/datasets/pride_and_prejudice.txt``: the lines in order, joined by newlines, with a
final newline, UTF-8. To regenerate it, and check that git then reports no change::

    apt-get download r-cran-janeaustenr
    dpkg-deb -x r-cran-janeaustenr_1.0.0-1_all.deb /tmp/janeaustenr
    .venv/bin/python nncourse/datasets/make_austen.py /tmp/janeaustenr/usr/lib/R/site-library/janeaustenr
    git status --short nnlib/datasets

It refuses an ``Rdata.rdb`` whose SHA-256 differs from :data:`SOURCE_DIGEST`.
``tests/test_data.py`` reruns it into a temporary folder and compares the bytes when the
package's files are at hand (see :func:`find_package`).
"""
import gzip
import hashlib
import os
import struct
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "nnlib" / "datasets" / "pride_and_prejudice.txt"
NOVEL, LAST_CHAPTER = "prideprejudice", 20
SOURCE_DIGEST = "8fb5198960d0da724b1562f96e4221e5c1b41ff455000280b02c55980c3d8f21"  # Rdata.rdb
PACKAGE_DIRS = ("/usr/lib/R/site-library/janeaustenr",  # where apt-get install puts it
                REPO / ".venv/janeaustenr/usr/lib/R/site-library/janeaustenr")  # make janeaustenr
NIL, SYMBOL, PAIRLIST, CHARS, LOGICAL, INTEGER, REAL, STRINGS, LIST, REF = \
    254, 1, 2, 9, 10, 13, 14, 16, 19, 255


class RReader:
    """Reads the values of one R serialisation (format ``X``, XDR big-endian, version 2
    or 3) that this package uses: NULL, symbols, pairlists, strings, logical, integer,
    double and character vectors and lists. Attributes are read and dropped except
    ``names``, which turns a list into a dict."""

    def __init__(self, raw):
        if raw[:2] != b"X\n":
            raise ValueError(f"not an XDR R serialisation (starts with {raw[:2]!r})")
        self.raw, self.pos, self.symbols = raw, 2, []
        version = self.integer()
        self.pos += 8  # the writer's R version and the oldest reader's
        if version == 3:
            self.pos += 4 + self.integer(peek=True)  # the native encoding's name
        elif version != 2:
            raise ValueError(f"R serialisation version {version}; expected 2 or 3")

    def integer(self, peek=False):
        value = struct.unpack_from(">i", self.raw, self.pos)[0]
        self.pos += 0 if peek else 4
        return value

    def value(self):
        """The next value: None, str, list, dict (a named list) or a list of numbers."""
        flags = self.integer()
        kind, has_attributes, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind == NIL:
            return None
        if kind == REF:
            return self.symbols[(flags >> 8) - 1]
        if kind == SYMBOL:
            self.symbols.append(self.value())
            return self.symbols[-1]
        if kind == CHARS:
            return self.chars()
        if kind == PAIRLIST:
            attributes = self.value() if has_attributes else None  # noqa: F841 (dropped)
            tag = self.value() if has_tag else None
            head = (tag, self.value())
            return [head] + (self.value() or [])
        if kind in (LOGICAL, INTEGER, REAL, STRINGS, LIST):
            return self.vector(kind, has_attributes)
        raise ValueError(f"R type {kind} at byte {self.pos - 4} is not supported")

    def chars(self):
        n = self.integer()
        if n == -1:
            return None  # NA_character_
        text = self.raw[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return text

    def vector(self, kind, has_attributes):
        n = self.integer()
        if kind in (STRINGS, LIST):
            items = [self.value() for _ in range(n)]
        else:
            size, code = (8, "d") if kind == REAL else (4, "i")
            items = list(struct.unpack_from(f">{n}{code}", self.raw, self.pos))
            self.pos += size * n
        names = dict(self.value()).get("names") if has_attributes else None
        return dict(zip(names, items)) if names is not None else items


def read_object(folder, name):
    """The R object ``name`` of the lazy-load database ``folder/data/Rdata.{rdx,rdb}``."""
    data = Path(folder) / "data"
    index = RReader(gzip.decompress((data / "Rdata.rdx").read_bytes())).value()
    rdb = (data / "Rdata.rdb").read_bytes()
    digest = hashlib.sha256(rdb).hexdigest()
    if digest != SOURCE_DIGEST:
        raise ValueError(f"{data / 'Rdata.rdb'}: SHA-256 {digest}, not the recorded {SOURCE_DIGEST}")
    offset, length = index["variables"][name]
    chunk = rdb[offset:offset + length]
    expected = struct.unpack(">I", chunk[:4])[0]
    raw = zlib.decompress(chunk[4:])
    if len(raw) != expected:
        raise ValueError(f"{name}: {len(raw)} bytes after decompression; the header says {expected}")
    return RReader(raw).value()


def excerpt(lines, last_chapter=LAST_CHAPTER):
    """The title and chapters 1..``last_chapter``, trailing blank lines dropped."""
    stop = lines.index(f"Chapter {last_chapter + 1}")
    kept = [line or "" for line in lines[:stop]]
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n"


def find_package():
    """The package's folder (``JANEAUSTENR_DIR`` first, then the installed package, then
    the copy ``make janeaustenr`` unpacks), or None."""
    candidates = [os.environ.get("JANEAUSTENR_DIR"), *PACKAGE_DIRS]
    return next((Path(c) for c in candidates if c and (Path(c) / "data" / "Rdata.rdb").is_file()), None)


def make(folder, output=OUTPUT):
    """Write the excerpt from the package in ``folder``; return its path."""
    text = excerpt(read_object(folder, NOVEL))
    Path(output).write_bytes(text.encode("utf-8"))
    data = Path(output).read_bytes()
    print(f"{output}: {len(data)} bytes, SHA-256 {hashlib.sha256(data).hexdigest()}")
    return Path(output)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    make(sys.argv[1])
