"""409 ConditionalRequestConflict on demand, in-process: S3 answers it to a conditional
write (If-Match / If-None-Match) while another write to the same key is in flight, and
PutObject's reference says to fetch the ETag and retry. moto never answers it, so a hook on
the client's own events answers for S3: the next conditional PutObject on a key gets a 409
and is not sent, after `meanwhile` (the conflicting write) has run, if one is given."""

from __future__ import annotations

from typing import Any, Callable


class Conflicts:
    def __init__(self, client: Any):
        self.pending: dict[str, list[Callable[[], None] | None]] = {}
        self.answered: list[str] = []
        client.meta.events.register("provide-client-params.s3.PutObject", self._mark)
        client.meta.events.register("before-call.s3.PutObject", self._answer)

    def next_on(self, key: str, times: int = 1, meanwhile: Callable[[], None] | None = None) -> None:
        """The next `times` conditional writes of `key` answer 409; `meanwhile` runs before
        the first of them answers (the write that was in flight)."""
        self.pending.setdefault(key, []).extend([meanwhile] + [None] * (times - 1))

    def _mark(self, params: dict, context: dict, **_: Any) -> None:
        key = params.get("Key")
        conditional = "IfMatch" in params or "IfNoneMatch" in params
        if conditional and self.pending.get(key):
            context["conflict_on"] = key

    def _answer(self, context: dict, **_: Any) -> Any:
        key = context.pop("conflict_on", None)
        if key is None:
            return None
        meanwhile = self.pending[key].pop(0)
        if meanwhile is not None:
            meanwhile()
        self.answered.append(key)
        from botocore.awsrequest import AWSResponse

        message = "A conflicting operation occurred. If using PutObject you can retry the request."
        parsed = {
            "Error": {"Code": "ConditionalRequestConflict", "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 409, "HTTPHeaders": {}},
        }
        return AWSResponse(f"https://s3.amazonaws.com/{key}", 409, {}, None), parsed
