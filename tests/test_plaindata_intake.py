"""What crosses the sandbox boundary (plain data only) and what the grader reads of a
submission (regular files only, never through a link)."""
import io
import os
import pickle
import socket

import numpy as np
import pytest

from nncourse.grader.intake import Unreadable, read_regular, take_in
from nncourse.probes.plaindata import NotPlain, from_bytes, to_bytes

PLAIN = {"w": np.arange(6.0).reshape(2, 3), "e": np.array(-1), "labels": np.array([0, 1], np.int64),
         "ok": True, "steps": [1, 2.5, None, "text", {"b": np.array([True, False])}]}


def test_plain_values_survive_the_round_trip_with_shapes_and_dtypes():
    back = from_bytes(to_bytes(PLAIN))
    assert back["e"].shape == () and back["w"].dtype == np.float64 and back["labels"].dtype == np.int64
    assert np.array_equal(back["w"], PLAIN["w"]) and back["steps"][:4] == [1, 2.5, None, "text"]
    assert back["steps"][4]["b"].dtype == bool and back["ok"] is True


class AlwaysEqual:
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [AlwaysEqual(), np.array([AlwaysEqual()]), {1: 2},
                                   np.array([1 + 2j]), [[[[[[[[[[1]]]]]]]]]]], ids=str)
def test_anything_else_is_refused_when_packed(value):
    with pytest.raises(NotPlain):
        to_bytes(value)


def _npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("blob", [
    pickle.dumps({"x": 1}),  # a pickle is never unpickled
    _npz(__json__=np.frombuffer(b'{"__array__": "a0"}', np.uint8), a0=np.array([object()])),
    _npz(__json__=np.frombuffer(b'{"__array__": "missing"}', np.uint8)),
    _npz(__json__=np.frombuffer(b'not json', np.uint8)),
    b"PK\x03\x04 damaged",
], ids=["pickle", "object-array", "dangling", "not-json", "damaged"])
def test_a_forged_archive_is_refused_when_unpacked(blob):
    with pytest.raises(NotPlain):
        from_bytes(blob)


def test_an_oversized_archive_is_refused_before_it_is_read():
    with pytest.raises(NotPlain, match="more than"):
        from_bytes(to_bytes(np.zeros(1000)), max_bytes=100)


@pytest.fixture
def submission(tmp_path):
    folder = tmp_path / "ada" / "ch01_perceptron"
    (folder / "nnlib").mkdir(parents=True)
    (folder / "ch01_perceptron.ipynb").write_text("{}")
    (folder / "nnlib" / "perceptron.py").write_text("x = 1\n")
    return folder


def test_links_and_special_files_are_refused_and_named(submission, tmp_path):
    secret = tmp_path / "reference.py"
    secret.write_text("SECRET = 1\n")
    os.symlink(secret, submission / "nnlib" / "layers.py")
    os.mkfifo(submission / "nnlib" / "fifo.py")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(submission / "nnlib" / "sock.py"))
    notes = take_in(submission, "ch01_perceptron.ipynb", tmp_path / "taken")
    assert sorted(p.name for p in (tmp_path / "taken" / "nnlib").iterdir()) == ["perceptron.py"]
    assert any("layers.py is a symbolic link" in n for n in notes)
    assert any("fifo.py is not a regular file" in n for n in notes)
    server.close()


def test_a_fifo_notebook_does_not_block_and_a_linked_folder_is_refused(submission, tmp_path):
    (submission / "ch01_perceptron.ipynb").unlink()
    os.mkfifo(submission / "ch01_perceptron.ipynb")
    with pytest.raises(Unreadable, match="not a regular file"):
        take_in(submission, "ch01_perceptron.ipynb", tmp_path / "taken")
    os.symlink(submission, tmp_path / "linked")
    with pytest.raises(Unreadable, match="is a link or not a folder"):
        take_in(tmp_path / "linked", "ch01_perceptron.ipynb", tmp_path / "taken2")


def test_a_large_file_is_refused(submission):
    notes = []
    (submission / "big.py").write_bytes(b"#" * 2000)
    assert read_regular(submission / "big.py", 1000, notes) is None and "larger than" in notes[0]


def test_a_small_archive_that_would_inflate_is_refused_before_it_is_unpacked():
    """A deflated member (1 MB holding 1 GiB), or a header declaring more than its member
    holds, is refused from the zip directory and the .npy header alone."""
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__json__.npy", _npy(np.frombuffer(b'{"__array__": "a0"}', np.uint8)))
        archive.writestr("a0.npy", _npy(np.zeros(1 << 24)))
    with pytest.raises(NotPlain, match="compressed"):
        from_bytes(buffer.getvalue())
    header = _npy(np.zeros(4))[:-32]  # the header says 4 floats; the member holds none
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__json__.npy", _npy(np.frombuffer(b'{"__array__": "a0"}', np.uint8)))
        archive.writestr("a0.npy", header.replace(b"(4,)", b"(999999999,)".ljust(4)))
    with pytest.raises(NotPlain):
        from_bytes(buffer.getvalue())


@pytest.mark.parametrize("header, data", [
    (b"{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", bytes(16)),
    (b"{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", bytes(16)),
    (b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", bytes(16)),
    (b"{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", bytes(24)),
    (b"__import__('os').system('true')", b""),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", bytes(24)),
], ids=["fortran", "big-endian", "objects", "unicode", "an-expression", "more-than-declared"])
def test_only_the_plain_npy_header_numpy_writes_is_accepted(header, data):
    """A member's header is matched against one fixed form, never evaluated; its data must
    be exactly what the header declares (not less, not more)."""
    with pytest.raises(NotPlain):
        from_bytes(_archive_with_member(header, data))
    honest = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
    assert from_bytes(_archive_with_member(honest, bytes(16))).tolist() == [0.0, 0.0]


def _archive_with_member(header, data):
    """An archive whose JSON is one array, ``a0``: an .npy member with this header."""
    import zipfile
    header = header + b" " * (-(len(header) + 11) % 64) + b"\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__json__.npy", _npy(np.frombuffer(b'{"__array__": "a0"}', np.uint8)))
        archive.writestr("a0.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data)
    return buffer.getvalue()


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_student_folder_that_links_to_another_students_is_refused(submission, tmp_path):
    os.symlink(submission.parent, tmp_path / "mallory")
    with pytest.raises(Unreadable, match="the student folder is a symbolic link"):
        take_in(tmp_path / "mallory" / "ch01_perceptron", "ch01_perceptron.ipynb", tmp_path / "t")


def _overlapping_archive(array, copies, document=b'{"__array__": "a0"}'):
    """An archive of two members (``__json__`` and ``a0``) whose central directory names
    ``copies`` more members ``b<j>.npy``, every one pointing at ``a0``'s local header: a
    small archive whose members, each copied, add up to ``copies`` times its size."""
    import struct
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__json__.npy", _npy(np.frombuffer(document, np.uint8)))
        archive.writestr("a0.npy", _npy(array))
    raw = buffer.getvalue()
    eocd = raw.rindex(b"PK\x05\x06")
    size, offset = struct.unpack("<II", raw[eocd + 12:eocd + 20])
    directory, entries, i = raw[offset:offset + size], [], 0
    while i < len(directory):
        n, m, k = struct.unpack("<HHH", directory[i + 28:i + 34])
        entries.append(directory[i:i + 46 + n + m + k])
        i += 46 + n + m + k
    a0 = entries[1]
    entries += [a0[:28] + struct.pack("<H", len(name)) + a0[30:46] + name
                for name in (f"b{j}.npy".encode() for j in range(copies))]
    directory, total = b"".join(entries), len(entries)
    return (raw[:offset] + directory + b"PK\x05\x06"
            + struct.pack("<HHHHIIH", 0, 0, total, total, len(directory), offset, 0))


def test_members_sharing_one_local_header_are_refused():
    """Central-directory entries may point anywhere; ``from_bytes`` copies every member, so
    200 entries naming one 1 MB array made a 1 MB archive 200 MB in the trusted worker (a
    64 MB one: terabytes). Members must not overlap, so all of them fit in the archive."""
    blob = _overlapping_archive(np.zeros(1 << 17), 200)
    assert len(blob) < 1.1e6
    with pytest.raises(NotPlain, match="overlaps"):
        from_bytes(blob)
    assert from_bytes(_overlapping_archive(np.arange(4.0), 0)).tolist() == [0, 1, 2, 3]


def test_a_member_whose_local_header_names_another_is_refused():
    """The central directory and the local header must name a member alike (zipfile and
    numpy refuse it otherwise), so no array is read under a name its bytes do not carry."""
    blob = _archive_with_member(b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", bytes(16))
    local = blob.index(b"PK\x03\x04a0.npy"[:4], 4)  # a0's local header (the second one)
    assert blob[local + 30:local + 36] == b"a0.npy"
    forged = blob[:local + 30] + b"a1.npy" + blob[local + 36:]
    with pytest.raises(NotPlain, match="damaged"):
        from_bytes(forged)
