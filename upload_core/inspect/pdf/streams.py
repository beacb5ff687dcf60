"""The only stream data the inspector decodes: object streams and cross-reference streams.

Content streams, fonts and images draw; they run nothing, so their bytes are stepped over
by /Length. Object streams hold objects and cross-reference streams hold the table every
reader resolves objects with, so both are inflated, under a cap checked while inflating
(zlib is asked for at most the cap plus one byte, so a bomb costs the cap, not its size).
"""

from __future__ import annotations

import zlib
from itertools import accumulate
from typing import Any

from ..base import unsafe

_BYTE = 0xFF


def decode(data: bytes, params: dict[str, Any], cap: int, what: str) -> bytes:
    """The data of a stream whose dictionary is `params`, inflated and un-predicted.
    Only FlateDecode (every writer's choice for these streams) is decoded."""
    filters = params.get("Filter")
    if isinstance(filters, list):
        filters = filters[0] if len(filters) == 1 else filters
    parms = params.get("DecodeParms")
    if isinstance(parms, list):
        parms = parms[0] if len(parms) == 1 else None
    if filters is None:
        out = data
    elif filters == "FlateDecode":
        out = _inflate(data, cap, what)
    else:
        raise unsafe("malformed", f"The PDF's {what} is compressed with {filters}, which is not inspected")
    if len(out) > cap:
        raise unsafe("pdf_limits", f"The PDF's {what} holds more than {cap} bytes")
    if isinstance(parms, dict) and isinstance(parms.get("Predictor"), int) and parms["Predictor"] >= 10:
        columns = parms.get("Columns", 1)
        if not isinstance(columns, int) or not 0 < columns <= 4096 or parms.get("Colors", 1) != 1:
            raise unsafe("malformed", f"The PDF's {what} has predictor parameters that are not inspected")
        out = _png_unpredict(out, columns, what)
    return out


def _inflate(data: bytes, cap: int, what: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error:
        raise unsafe("malformed", f"The PDF's {what} does not inflate") from None
    if len(out) > cap:
        raise unsafe("pdf_limits", f"The PDF's {what} inflates past {cap} bytes")
    return out


def _png_unpredict(data: bytes, columns: int, what: str) -> bytes:
    """PNG row filters (predictors 10-15), one byte per sample, as qpdf, pdfTeX and Acrobat
    write them: None, Sub and Up rows. All-Up tables (the usual case) are decoded a column at
    a time with C-level accumulate; mixed rows a row at a time, Up as one big-integer add
    without carries between bytes. Average and Paeth, which no writer uses here, are refused."""
    width = columns + 1
    if len(data) % width:
        raise unsafe("malformed", f"The PDF's {what} does not fill its predictor rows")
    kinds = set(data[0::width])
    if kinds == {2}:
        out = bytearray(len(data) // width * columns)
        for column in range(columns):  # each column is a running sum, mod 256
            out[column::columns] = bytes(map(_BYTE.__and__, accumulate(data[column + 1 :: width])))
        return bytes(out)
    if not kinds <= {0, 1, 2}:
        raise unsafe("malformed", f"The PDF's {what} uses PNG predictors that are not inspected")
    low = int.from_bytes(b"\x7f" * columns, "big")
    high = int.from_bytes(b"\x80" * columns, "big")
    out, prior = bytearray(), 0
    for start in range(0, len(data), width):
        kind, row = data[start], data[start + 1 : start + width]
        if kind == 1:
            row = bytes(map(_BYTE.__and__, accumulate(row)))
        value = int.from_bytes(row, "big")
        if kind == 2:
            value = ((value & low) + (prior & low)) ^ ((value ^ prior) & high)
        out += value.to_bytes(columns, "big")
        prior = value
    return bytes(out)
