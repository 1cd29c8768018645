"""Plain data: the only thing that crosses the sandbox boundary, in either direction.

A value is plain if it is ``None``, a bool, an int, a float, a str, a list of plain values,
a dict with str keys and plain values, or a numpy array of booleans, integers or floats.
:func:`to_bytes` packs one into an ``.npz`` archive (arrays stored natively, the rest as
JSON); :func:`from_bytes` unpacks it with ``allow_pickle=False`` and checks every part, so
what a sandbox sends back can never be code, an object with behaviour, or an array of
Python objects.
"""
import io
import json
import zipfile

import numpy as np

ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats
MAX_DEPTH = 8
MAX_JSON_BYTES = 1 << 20  # the structure around the arrays; arrays carry the bulk
INT64 = (-(1 << 63), 1 << 63)
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


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
    """
    if len(blob) > max_bytes:
        raise NotPlain(f"{len(blob)} bytes, more than the {max_bytes} allowed")
    _check_members(blob)
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        text = arrays.pop("__json__")
        if text.nbytes > MAX_JSON_BYTES:
            raise NotPlain(f"its structure is more than {MAX_JSON_BYTES} bytes")
        document = json.loads(text.tobytes().decode())
    except NotPlain:
        raise
    except Exception as err:  # a damaged or forged archive: say so, never execute it
        raise NotPlain(f"not a plain-data archive ({type(err).__name__})") from None
    return _decode(document, arrays, "value", 0)


def _check_members(blob):
    """Refuse an archive with a compressed member, or a member whose ``.npy`` header
    declares more data than the member holds."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            for member in archive.infolist():
                if member.compress_type != zipfile.ZIP_STORED or member.file_size != member.compress_size:
                    raise NotPlain(f"{member.filename}: a compressed member")
                with archive.open(member) as fh:
                    read_header = _HEADER_READERS[np.lib.format.read_magic(fh)]
                    shape, _, dtype = read_header(fh)
                    declared = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                    if declared > member.file_size or dtype.hasobject:
                        raise NotPlain(f"{member.filename}: declares more than it holds")
    except NotPlain:
        raise
    except Exception as err:  # a damaged or forged archive: say so, never execute it
        raise NotPlain(f"not a plain-data archive ({type(err).__name__})") from None


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
