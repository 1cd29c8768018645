"""Plain data: the only thing that crosses the sandbox boundary, in either direction.

A value is plain if it is ``None``, a bool, an int, a float, a str, a list of plain values,
a dict with str keys and plain values, or a numpy array of booleans, integers or floats.
:func:`to_bytes` packs one into an ``.npz`` archive (arrays stored natively, the rest as
JSON); :func:`from_bytes` unpacks it itself (no pickle, no header evaluated, no member
decompressed) and checks every part, so what a sandbox sends back can never be code, an
object with behaviour, or an array of Python objects.
"""
import io
import json
import math
import re
import struct
import zipfile

import numpy as np

ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats
MAX_DEPTH = 8
MAX_JSON_BYTES = 1 << 20  # the structure around the arrays; arrays carry the bulk
INT64 = (-(1 << 63), 1 << 63)
ZIP_LOCAL_MAGIC, ZIP_LOCAL_HEADER_BYTES = b"PK\x03\x04", 30
NPY_MAGIC = b"\x93NUMPY"
NPY_LENGTH_BYTES = {1: 2, 2: 4}  # format version -> size of the header-length field
NPY_HEADER = re.compile(  # the header numpy writes, padded with spaces to a newline
    rb"\{'descr': '(?P<descr>[<|][biuf][1248])', 'fortran_order': False, "
    rb"'shape': \((?P<shape>(?:[0-9]{1,19}, ?)*[0-9]{0,19})\), \} *\n")


class NotPlain(ValueError):
    """A value that is not plain data (the message says where and what)."""


def to_bytes(value):
    """``value`` (plain data) packed as ``.npz`` bytes."""
    arrays = {}
    document = json.dumps(_encode(value, arrays, "value", 0), allow_nan=True)
    buffer = io.BytesIO()
    np.savez(buffer, __json__=np.frombuffer(document.encode(), dtype=np.uint8), **arrays)
    return buffer.getvalue()


def from_bytes(blob, max_bytes=64 << 20):
    """The plain value packed in ``blob``; raise :class:`NotPlain` if it is anything else.

    Nothing in the archive may unpack to more than ``max_bytes``: every member must be
    stored uncompressed (as :func:`to_bytes` writes them) and hold exactly the array its
    header declares, so a small forged archive cannot inflate in the reader's memory.
    Headers are matched against the one form numpy writes for a C-ordered array of
    bool, int, uint or float, never evaluated.
    """
    if len(blob) > max_bytes:
        raise NotPlain(f"{len(blob)} bytes, more than the {max_bytes} allowed")
    try:
        arrays = _read_members(blob)
        text = arrays.pop("__json__")
        if text.nbytes > MAX_JSON_BYTES:
            raise NotPlain(f"its structure is more than {MAX_JSON_BYTES} bytes")
        document = json.loads(text.tobytes().decode())
    except NotPlain:
        raise
    except Exception as err:  # a damaged or forged archive: say so, never execute it
        raise NotPlain(f"not a plain-data archive ({type(err).__name__})") from None
    return _decode(document, arrays, "value", 0)


def _read_members(blob):
    """``{name: array}`` of the archive's ``<name>.npy`` members, each checked first."""
    arrays, taken = {}, 0  # members are read in archive order; none may reach into another
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for member in sorted(archive.infolist(), key=lambda member: member.header_offset):
            if member.compress_type != zipfile.ZIP_STORED or member.file_size != member.compress_size:
                raise NotPlain(f"{member.filename}: a compressed member")
            if not member.filename.endswith(".npy"):
                raise NotPlain(f"{member.filename}: not an array")
            if member.header_offset < taken:  # its bytes are another member's: copied twice
                raise NotPlain(f"{member.filename}: overlaps another member")
            raw, taken = _stored_bytes(blob, member)
            arrays[member.filename[:-4]] = _array(member.filename, raw)
    return arrays


def _stored_bytes(blob, member):
    """``(bytes, end)``: a stored member's bytes, sliced from the archive (its local header
    says where; it must name the member as the central directory does, as zipfile and
    numpy require), and the offset just past them."""
    start = member.header_offset
    if blob[start:start + 4] != ZIP_LOCAL_MAGIC:
        raise NotPlain(f"{member.filename}: a damaged archive")
    name_length, extra_length = struct.unpack("<HH", blob[start + 26:start + 30])
    name = blob[start + ZIP_LOCAL_HEADER_BYTES:start + ZIP_LOCAL_HEADER_BYTES + name_length]
    if name.decode("utf-8" if member.flag_bits & 0x800 else "cp437") != member.orig_filename:
        raise NotPlain(f"{member.filename}: a damaged archive")
    data = start + ZIP_LOCAL_HEADER_BYTES + name_length + extra_length
    end = data + member.compress_size
    if end > len(blob):
        raise NotPlain(f"{member.filename}: a damaged archive")
    return memoryview(blob)[data:end], end


def _array(name, raw):
    """The array in one ``.npy`` member; its data must be exactly what the header declares."""
    version = raw[len(NPY_MAGIC)] if raw[:len(NPY_MAGIC)] == NPY_MAGIC else None
    if version not in NPY_LENGTH_BYTES:
        raise NotPlain(f"{name}: not an .npy array")
    start = len(NPY_MAGIC) + 2 + NPY_LENGTH_BYTES[version]
    end = start + int.from_bytes(raw[start - NPY_LENGTH_BYTES[version]:start], "little")
    header = NPY_HEADER.fullmatch(raw[start:end])
    if header is None:
        raise NotPlain(f"{name}: not an array of bool, int, uint or float in C order")
    dtype = np.dtype(header["descr"].decode())
    shape = tuple(int(n) for n in header["shape"].split(b",") if n.strip())
    data = memoryview(raw)[end:]
    if len(data) != math.prod(shape) * dtype.itemsize:
        raise NotPlain(f"{name}: holds other than what its header declares")
    return np.frombuffer(data, dtype).reshape(shape).copy()


def _encode(value, arrays, where, depth):
    if depth > MAX_DEPTH:
        raise NotPlain(f"{where}: nested more than {MAX_DEPTH} deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        if not INT64[0] <= int(value) < INT64[1]:
            raise NotPlain(f"{where}: an integer beyond 64 bits")
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        return _encode_array(value, arrays, where)
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _encode(v, arrays, f"{where}.{k}", depth + 1) for k, v in value.items()}
    raise NotPlain(f"{where}: a {type(value).__name__} is not plain data")


def _encode_array(value, arrays, where):
    if type(value) is not np.ndarray or value.dtype.kind not in ARRAY_KINDS:
        raise NotPlain(f"{where}: an array of {value.dtype} is not plain data")
    name = f"a{len(arrays)}"
    arrays[name] = value.copy(order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    return {"__array__": name}


def _decode(node, arrays, where, depth):
    if depth > MAX_DEPTH:
        raise NotPlain(f"{where}: nested more than {MAX_DEPTH} deep")
    if isinstance(node, int) and not isinstance(node, bool) and not INT64[0] <= node < INT64[1]:
        raise NotPlain(f"{where}: an integer beyond 64 bits")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, f"{where}[{i}]", depth + 1) for i, v in enumerate(node)]
    if isinstance(node, dict) and set(node) == {"__array__"}:
        array = arrays.get(node["__array__"]) if isinstance(node["__array__"], str) else None
        if array is None or array.dtype.kind not in ARRAY_KINDS:
            raise NotPlain(f"{where}: refers to a missing or non-numeric array")
        return array
    if isinstance(node, dict):
        return {k: _decode(v, arrays, f"{where}.{k}", depth + 1) for k, v in node.items()}
    raise NotPlain(f"{where}: {type(node).__name__} is not plain data")
