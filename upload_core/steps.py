"""The hook that the sequences which race call before each of their steps.

The decision (decision.py), a deletion (flows/deletion.py) and a Companion completion
(flows/multipart.py) each call `pause(step)` before every step that reads or writes shared
state. In production it does nothing. A test passes its own, which stops the sequence there,
runs another actor (a second validation, a replaced object, a DELETE, a replayed event) and
lets it go on, the way a debugger would: every interleaving of a few actors can then be run
deterministically and the invariants checked between steps (tests/functional/test_interleavings.py).
"""

from __future__ import annotations

from typing import Callable

Pause = Callable[[str], None]


def no_pause(step: str) -> None:
    """Production: every step runs at once."""
