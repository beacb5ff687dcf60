"""A small writer of compound files ([MS-CFB] version 3), so .doc samples are made by code.

olefile only reads; LibreOffice could write a real .doc but is ~300 MB to install in CI.
This writes what Word and olefile read: 512-byte sectors, a FAT, a mini stream with its
MiniFAT for streams under 4096 bytes, and a directory whose siblings form a binary
search tree in the spec's order (length, then upper case). Storages are dicts, streams bytes.
"""

from __future__ import annotations

import struct
import uuid

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
WORD_CLSID = uuid.UUID("00020906-0000-0000-c000-000000000046").bytes_le

Tree = dict  # name -> bytes (a stream) or Tree (a storage)


class _Node:
    def __init__(self, name: str, kind: int, data: bytes = b"", children: list[_Node] | None = None):
        self.name, self.kind, self.data, self.children = name, kind, data, children or []
        self.id = 0
        self.left = self.right = self.child = NOSTREAM
        self.start, self.size = END, 0
        self.clsid = b"\0" * 16


def _nodes(name: str, tree: Tree, kind: int = 1) -> _Node:
    children = [_nodes(key, value) if isinstance(value, dict) else _Node(key, 2, value) for key, value in tree.items()]
    return _Node(name, kind, children=children)


def _flatten(root: _Node) -> list[_Node]:
    out: list[_Node] = []

    def visit(node: _Node) -> None:
        node.id = len(out)
        out.append(node)
        for child in node.children:
            visit(child)

    visit(root)

    def tree(siblings: list[_Node]) -> int:
        if not siblings:
            return NOSTREAM
        middle = len(siblings) // 2
        node = siblings[middle]
        node.left, node.right = tree(siblings[:middle]), tree(siblings[middle + 1 :])
        return node.id

    for node in out:
        ordered = sorted(node.children, key=lambda n: (len(n.name), n.name.upper()))
        node.child = tree(ordered)
    return out


def write(tree: Tree, clsid: bytes = WORD_CLSID) -> bytes:
    """The compound file holding `tree` (root storage's CLSID: Word.Document.8 by default)."""
    root = _nodes("Root Entry", tree, kind=5)
    root.clsid = clsid
    nodes = _flatten(root)
    streams = [n for n in nodes if n.kind == 2]

    fat: list[int] = []
    sectors: list[bytes] = []

    def allocate(data: bytes) -> int:
        count = max(1, -(-len(data) // SECTOR))
        start = len(fat)
        for i in range(count):
            fat.append(start + i + 1 if i < count - 1 else END)
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\0"))
        return start

    mini = bytearray()
    minifat: list[int] = []
    for node in streams:
        node.size = len(node.data)
        if node.size >= CUTOFF:
            node.start = allocate(node.data)
        elif node.size:
            count = -(-node.size // MINI)
            node.start = len(minifat)
            minifat.extend(node.start + i + 1 if i < count - 1 else END for i in range(count))
            mini.extend(node.data.ljust(count * MINI, b"\0"))
    if mini:
        root.start, root.size = allocate(bytes(mini)), len(mini)
    minifat += [FREE] * (-len(minifat) % (SECTOR // 4))  # unused entries are free, as Word writes them
    minifat_start = allocate(struct.pack(f"<{len(minifat)}L", *minifat)) if minifat else END
    minifat_count = len(minifat) * 4 // SECTOR
    directory = b"".join(_entry(n) for n in nodes)
    directory += _entry(None) * (-len(nodes) % 4)
    dir_start = allocate(directory)

    fat_count = 1
    while (len(fat) + fat_count) > fat_count * (SECTOR // 4):
        fat_count += 1
    if fat_count > 109:
        raise ValueError("too large for a header-only DIFAT")
    fat_start = len(fat)
    fat.extend([FATSECT] * fat_count)
    fat.extend([FREE] * (fat_count * (SECTOR // 4) - len(fat)))
    fat_bytes = struct.pack(f"<{len(fat)}L", *fat)
    sectors.extend(fat_bytes[i * SECTOR : (i + 1) * SECTOR] for i in range(fat_count))

    difat = [fat_start + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = struct.pack(
        "<8s16sHHHHH6sLLLLLLLLL",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x003E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        fat_count,
        dir_start,
        0,
        CUTOFF,
        minifat_start,
        minifat_count,
        END,
        0,
    ) + struct.pack("<109L", *difat)
    return header + b"".join(sectors)


def _entry(node: _Node | None) -> bytes:
    if node is None:
        return (
            b"\0" * 64
            + struct.pack("<HBB3L16sL2Q", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\0" * 16, 0, 0, 0)
            + (struct.pack("<LQ", 0, 0))
        )
    name = (node.name + "\0").encode("utf-16-le")
    if len(name) > 64:
        raise ValueError(f"name too long: {node.name}")
    return name.ljust(64, b"\0") + struct.pack(
        "<HBB3L16sL2QLQ",
        len(name),
        node.kind,
        1,
        node.left,
        node.right,
        node.child,
        node.clsid,
        0,
        0,
        0,
        node.start if (node.size or node.kind == 5) else (0 if node.kind == 1 else END),
        node.size,
    )
