"""clamd's INSTREAM protocol: the object in frames, clamd's one-line verdict.

clamav-client (maintained, pure Python) opens the socket and parses clamd's answers. Its
own instream() sends 1 KiB frames and, when clamd hangs up at StreamMaxLength, raises a
bare BrokenPipeError that looks like an outage; so the frames are sent here (256 KiB, read
from the source in READ_BYTES steps: memory stays flat) and clamd's answer is still read
after a failed send, which is where it says "size limit exceeded".

Only the protocol: malware.py (the only importer) turns a verdict into the service's errors.
"""

from __future__ import annotations

import logging
import struct
from typing import Literal

from clamav_client.clamd import ClamdError, ClamdNetworkSocket

from .inspect.base import READ_BYTES, Source

log = logging.getLogger(__name__)

FRAME_BYTES = 256 * 1024
_LIMIT_PREFIXES = ("Heuristics.Limits.Exceeded",)
Verdict = tuple[Literal["clean", "found", "limit"], str]


class NoVerdict(ConnectionError):
    """clamd could not be reached, hung up, or answered something that is not a verdict."""


class ClamdScanner(ClamdNetworkSocket):
    """One scan on one clamd over TCP (clamd closes the connection after INSTREAM)."""

    def scan_stream(self, source: Source, size: int) -> Verdict:
        """Stream `size` bytes of `source` to clamd: ("clean", ""), ("found", signature) or
        ("limit", what): the object was not scanned whole. Raises NoVerdict."""
        reply = self._instream(source, size)
        if reply == "INSTREAM size limit exceeded. ERROR":
            return "limit", "larger than clamd's StreamMaxLength"
        try:
            _, signature, status = self._parse_response(reply)
        except ClamdError:
            raise NoVerdict(f"clamd answered {reply!r}") from None
        if status == "OK":
            return "clean", ""
        if status != "FOUND" or not signature:
            raise NoVerdict(f"clamd answered {reply!r}")
        if signature.startswith(_LIMIT_PREFIXES):
            return "limit", signature
        return "found", signature

    def _instream(self, source: Source, size: int) -> str:
        try:
            self._init_socket()
        except ClamdError as exc:
            raise NoVerdict(str(exc)) from None
        try:
            sent_whole = self._send_stream(source, size)
            try:
                reply = self._recv_response()
            except ClamdError as exc:
                raise NoVerdict(f"no answer from clamd: {exc}") from None
            if not reply:
                raise NoVerdict("clamd closed the connection without a verdict")
            if not sent_whole and "limit exceeded" not in reply:
                raise NoVerdict(f"clamd hung up mid-stream and answered {reply!r}")
            return reply
        finally:
            self._close_socket()

    def _send_stream(self, source: Source, size: int) -> bool:
        """Send the object in INSTREAM frames; False if clamd hung up before the end."""
        self._send_command_or_fail()
        try:
            source.seek(0)
            remaining = size
            while remaining:
                block = source.read(min(READ_BYTES, remaining))
                if not block:
                    raise NoVerdict("the object ended before its size while being scanned")
                remaining -= len(block)
                for at in range(0, len(block), FRAME_BYTES):
                    frame = block[at : at + FRAME_BYTES]
                    self.clamd_socket.sendall(struct.pack("!L", len(frame)) + frame)
            self.clamd_socket.sendall(struct.pack("!L", 0))
        except NoVerdict:
            raise
        except OSError as exc:
            log.info("clamd stopped reading the stream: %s", exc)
            return False
        return True

    def _send_command_or_fail(self) -> None:
        try:
            self._send_command("INSTREAM")
        except OSError as exc:
            raise NoVerdict(f"clamd refused the command: {exc}") from None
