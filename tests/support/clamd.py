"""clamd for the tests: the runner lives in devstack/clamd.py (`make dev` starts the same
one with --clamd); here are the samples that exercise it."""

from __future__ import annotations

from devstack.clamd import EICAR, REPORTED, SIGNATURE, STREAM_MAX_BYTES, Clamd, ping

from .helpers import free_port

__all__ = ["EICAR", "REPORTED", "SIGNATURE", "STREAM_MAX_BYTES", "Clamd", "ping", "eicar_docx", "unreachable_address"]


def unreachable_address() -> str:
    """A port of 127.0.0.1 with nothing listening."""
    return f"127.0.0.1:{free_port()}"


def eicar_docx() -> bytes:
    """An honest report with the EICAR string in a custom XML part: it passes every
    structure check, so only the scanner can refuse it."""
    from .documents import report_docx
    from .hostile_office import repack

    note = b'<?xml version="1.0" encoding="UTF-8"?><note xmlns="urn:example:note">' + EICAR + b"</note>"
    return repack(report_docx()[1], {"customXml/item1.xml": note})
