"""Read (never write) the VBA source text inside an Excel-made ``vbaProject.bin``.

The ribbon add-ins are xlwings' own Excel-made template with its VBA untouched
(excel/xlam.py). That VBA carries facts we need to know, not guess: the xlwings version it
was made for (``Public Const XLWINGS_VERSION As String = "0.37.8"``, which also names the
DLL and AppleScript files its ``RunPython`` calls) and the ribbon callback's
``RunPython "import <file stem>; ..."``. This module reads them, with the standard library
only:

* ``vbaProject.bin`` is a Compound File ([MS-CFB]): a FAT of sectors, a directory of
  storages and streams, small streams kept in a mini stream;
* the storage ``VBA`` holds a ``dir`` stream naming each module's stream and the offset of
  its source, and the source is compressed with [MS-OVBA] 2.4.1's run-length scheme.

Nothing here executes or changes VBA.
"""
from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

__all__ = ["decompress", "module_sources", "vba_project", "xlwings_version"]

VBA_PROJECT = "xl/vbaProject.bin"
_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
_NO_STREAM = 0xFFFFFFFF


class _CompoundFile:
    """The streams of an [MS-CFB] compound file, by path ("VBA/dir")."""

    def __init__(self, data: bytes):
        if data[:8] != _CFB_MAGIC:
            raise ValueError("not a compound file (vbaProject.bin)")
        self.data = data
        self.sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        self.mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
        (n_fat, first_dir, _, self.cutoff, first_minifat, _, first_difat, n_difat) = struct.unpack_from(
            "<IIIIIIII", data, 0x2C)
        # The FAT's own sectors: 109 listed in the header, the rest in a chain of DIFAT sectors.
        fat_sectors = list(struct.unpack_from("<109I", data, 0x4C))
        per_difat = self.sector_size // 4 - 1
        sid = first_difat
        for _ in range(n_difat):
            entries = struct.unpack_from(f"<{per_difat + 1}I", self._sector(sid))
            fat_sectors += entries[:-1]
            sid = entries[-1]
        fat = b"".join(self._sector(s) for s in fat_sectors[:n_fat] if s < _END_OF_CHAIN)
        self.fat = struct.unpack(f"<{len(fat) // 4}I", fat)
        directory = self._chain(first_dir, self.fat, self._sector)
        self.entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
        minifat = self._chain(first_minifat, self.fat, self._sector) if first_minifat < _END_OF_CHAIN else b""
        self.minifat = struct.unpack(f"<{len(minifat) // 4}I", minifat)
        root = self.entries[0]
        self.mini_stream = self._chain(*struct.unpack_from("<I", root, 116), self.fat, self._sector)
        self.paths = {}
        self._walk(struct.unpack_from("<I", root, 76)[0], "")

    def _sector(self, sid: int) -> bytes:
        start = (sid + 1) * self.sector_size
        return self.data[start:start + self.sector_size]

    def _mini_sector(self, sid: int) -> bytes:
        return self.mini_stream[sid * self.mini_size:(sid + 1) * self.mini_size]

    @staticmethod
    def _chain(sid: int, table, read) -> bytes:
        out, seen = [], set()
        while sid < _END_OF_CHAIN:
            if sid in seen or sid >= len(table):
                raise ValueError("broken sector chain in vbaProject.bin")
            seen.add(sid)
            out.append(read(sid))
            sid = table[sid]
        return b"".join(out)

    def _walk(self, index: int, parent: str) -> None:
        """Visit a storage's red-black tree of children (left, right siblings; child = inside)."""
        stack = [index]
        while stack:
            i = stack.pop()
            if i == _NO_STREAM or i >= len(self.entries):
                continue
            entry = self.entries[i]
            name_len = struct.unpack_from("<H", entry, 64)[0]
            name = entry[:max(name_len - 2, 0)].decode("utf-16-le")
            kind = entry[66]
            left, right, child = struct.unpack_from("<III", entry, 68)
            stack += [left, right]
            path = f"{parent}{name}"
            if kind == 1:  # storage
                self._walk(child, path + "/")
            elif kind == 2:  # stream
                self.paths[path] = i

    def read(self, path: str) -> bytes:
        entry = self.entries[self.paths[path]]
        start, size = struct.unpack_from("<IQ", entry, 116)
        if self.sector_size == 512:  # version 3 files: the high half of the size may be junk
            size &= 0xFFFFFFFF
        if size < self.cutoff:
            return self._chain(start, self.minifat, self._mini_sector)[:size]
        return self._chain(start, self.fat, self._sector)[:size]


def decompress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1.3.1: a CompressedContainer (0x01, then chunks of at most 4096 bytes)."""
    if not data or data[0] != 1:
        raise ValueError("not a compressed VBA container")
    out = bytearray()
    pos = 1
    while pos + 2 <= len(data):
        header = struct.unpack_from("<H", data, pos)[0]
        end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        if not header & 0x8000:  # raw chunk: 4096 literal bytes
            out += data[pos:pos + 4096]
            pos = end
            continue
        chunk_start = len(out)
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                token = struct.unpack_from("<H", data, pos)[0]
                pos += 2
                bit_count = max((len(out) - chunk_start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - chunk_start:
                    raise ValueError("corrupt VBA compression")
                for _ in range(length):  # may overlap its own output: byte by byte
                    out.append(out[-offset])
    return bytes(out)


def _dir_records(data: bytes):
    """(id, payload) of each record of the decompressed ``dir`` stream ([MS-OVBA] 2.3.4.2)."""
    pos = 0
    while pos + 6 <= len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x0009:  # PROJECTVERSION: its size field says 4, its payload is 6 bytes
            size = 6
        yield rid, data[pos + 6:pos + 6 + size]
        pos += 6 + size


def module_sources(vba_bin: bytes) -> dict[str, str]:
    """Each VBA module's source text, by module name."""
    cfb = _CompoundFile(vba_bin)
    codepage = 1252
    modules, current = {}, {}
    for rid, payload in _dir_records(decompress(cfb.read("VBA/dir"))):
        if rid == 0x0003:  # PROJECTCODEPAGE
            codepage = struct.unpack("<H", payload)[0]
        elif rid == 0x0019:  # MODULENAME
            current = {"name": payload}
        elif rid == 0x001A:  # MODULESTREAMNAME
            current["stream"] = payload
        elif rid == 0x0031:  # MODULEOFFSET: where the compressed source starts
            current["offset"] = struct.unpack("<I", payload)[0]
        elif rid == 0x002B and "stream" in current:  # module terminator
            encoding = f"cp{codepage}"
            stream = cfb.read("VBA/" + current["stream"].decode(encoding))
            text = decompress(stream[current.get("offset", 0):]).decode(encoding)
            modules[current["name"].decode(encoding)] = text.replace("\r\n", "\n")
            current = {}
    return modules


def vba_project(package) -> bytes:
    """The ``xl/vbaProject.bin`` of an .xlsm/.xlam file."""
    with zipfile.ZipFile(Path(package)) as zf:
        return zf.read(VBA_PROJECT)


_VERSION = re.compile(r'^\s*Public Const XLWINGS_VERSION As String = "([^"]+)"', re.M)


def xlwings_version(package) -> str:
    """The ``XLWINGS_VERSION`` an xlwings add-in's VBA was made with: the xlwings whose DLL
    (Windows) and AppleScript (macOS) its ``RunPython`` calls, by versioned file name."""
    found = {m.group(1) for text in module_sources(vba_project(package)).values()
             for m in _VERSION.finditer(text)}
    if len(found) != 1:
        raise ValueError(f"{package}: expected one XLWINGS_VERSION in its VBA, found {sorted(found)}")
    return found.pop()
