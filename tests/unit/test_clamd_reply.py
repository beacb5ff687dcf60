"""clamd's one-line answers to INSTREAM, as clamd 1.x writes them, and what each means."""

import pytest

from upload_core.scan.clamd import NoVerdict, parse_reply


@pytest.mark.parametrize(
    "reply, verdict",
    [
        ("stream: OK", ("clean", "")),
        ("stream: Eicar-Signature FOUND", ("found", "Eicar-Signature")),
        ("stream: Test.EICAR-Anywhere.UNOFFICIAL FOUND", ("found", "Test.EICAR-Anywhere.UNOFFICIAL")),
        # A name with spaces keeps them; only the last word is the status.
        ("stream: Win.Test.Odd Name FOUND", ("found", "Win.Test.Odd Name")),
        ("INSTREAM size limit exceeded. ERROR", ("limit", "larger than clamd's StreamMaxLength")),
        (
            "stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND",
            ("limit", "Heuristics.Limits.Exceeded.MaxFileSize"),
        ),
    ],
)
def test_a_verdict_is_read_from_clamds_answer(reply, verdict):
    assert parse_reply(reply) == verdict


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "PONG",
        "stream: FOUND",
        "stream: Can't allocate memory ERROR",
        "UNKNOWN COMMAND",
        "HTTP/1.1 400 Bad Request",
        "/tmp/file: OK",
    ],
)
def test_anything_else_is_no_verdict_never_clean(reply):
    with pytest.raises(NoVerdict):
        parse_reply(reply)
