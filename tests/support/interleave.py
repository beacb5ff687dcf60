"""Every interleaving of a few actors, run deterministically (stateless model checking, as
Microsoft's CHESS does, with dynamic partial-order reduction after Flanagan and Godefroid,
POPL 2005).

An actor is a sequence that calls `pause(step)` before each step that touches shared state
(upload_core/steps.py: the decision, a deletion, a Companion completion). Each actor runs in
its own thread and stops at every pause until the scheduler lets it take exactly one step;
only one actor moves at a time, so a schedule (which actor moves next, at every point) fixes
the whole run, the way a debugger holding all but one thread would. `explore` re-runs a
scenario from a fresh state under every schedule that matters and calls its check after
every step and at the end.

Which schedules matter: two steps of different actors that touch different S3 objects (or
only read the same one) give the same state in either order, so of the schedules that
differ only by swapping such steps one is run. What each step touched is recorded while it
runs (`Recorder`, fed by a hook on the S3 client: the key of every call, read or write, and
the prefix of every listing). After each run, wherever a step of one actor conflicts with an
earlier step of another, the other order is scheduled too; this repeats until no new order
comes up. `full=True` runs every schedule instead (tests/unit/test_interleave.py checks that
both reach the same outcomes on a small example).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

STEP_TIMEOUT_SECONDS = 60

Access = tuple[str, str]  # ("read" | "write" | "list", key or prefix)


class Recorder:
    """What the running step touches. Only one actor moves at a time, so every access made
    while a step runs is that step's."""

    def __init__(self) -> None:
        self.current: set[Access] | None = None

    def touch(self, kind: str, target: str) -> None:
        if self.current is not None:
            self.current.add((kind, target))

    def watch(self, client: Any) -> None:
        """Record the S3 calls `client` makes (its parameters, before they are sent)."""
        writes = {
            "PutObject",
            "DeleteObject",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
            "AbortMultipartUpload",
            "CopyObject",
        }

        def record(params: dict, model: Any, **_: Any) -> None:
            if "Key" in params:
                self.touch("write" if model.name in writes else "read", params["Key"])
            elif model.name == "DeleteObjects":  # a batch: every version it names (s3/versions.py)
                for entry in params.get("Delete", {}).get("Objects", []):
                    self.touch("write", entry["Key"])
            elif model.name in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
                self.touch("list", params.get("Prefix", ""))

        client.meta.events.register("provide-client-params.s3", record)


def conflict(a: set[Access], b: set[Access]) -> bool:
    """Whether two steps' accesses do not commute: the same object (or a listed prefix and
    an object under it), and one of them writes."""
    for kind_a, target_a in a:
        for kind_b, target_b in b:
            if "write" not in (kind_a, kind_b):
                continue
            if kind_a == "list" and target_b.startswith(target_a):
                return True
            if kind_b == "list" and target_a.startswith(target_b):
                return True
            if kind_a != "list" and kind_b != "list" and target_a == target_b:
                return True
    return False


class Actor:
    """One sequence in its own thread, moved one step at a time by the scheduler."""

    def __init__(
        self,
        name: str,
        body: Callable[[Callable[[str], None]], Any],
        quiet: frozenset[str] = frozenset(),
    ):
        """`quiet`: steps that touch nothing another actor can see; the scheduler does not
        stop there."""
        self.name = name
        self.body = body
        self.quiet = quiet
        self.done = False
        self.error: BaseException | None = None
        self.at: str | None = None  # the step it is stopped before
        self._go = threading.Semaphore(0)
        self._stopped = threading.Semaphore(0)
        self._thread = threading.Thread(target=self._run, name=f"actor-{name}", daemon=True)

    def _pause(self, step: str) -> None:
        if step in self.quiet:
            return
        self.at = str(step)
        self._stopped.release()
        if not self._go.acquire(timeout=STEP_TIMEOUT_SECONDS):
            raise TimeoutError(f"{self.name} was never let go at {step}")

    def _run(self) -> None:
        self._go.acquire()
        try:
            self.body(self._pause)
        except BaseException as exc:  # noqa: BLE001 - reported by the scenario's checks
            self.error = exc
        finally:
            self.done = True
            self.at = None
            self._stopped.release()

    def start(self) -> None:
        """Run to the first pause (before any step: nothing shared is touched yet)."""
        self._thread.start()
        self.step()

    def step(self) -> None:
        """Let the actor run up to its next pause, or to its end."""
        self._go.release()
        if not self._stopped.acquire(timeout=STEP_TIMEOUT_SECONDS):
            raise TimeoutError(f"{self.name} did not reach its next step")


@dataclass
class Scenario:
    """Actors on a fresh state, and the checks: `check` after every step (what must hold at
    every moment), `final` once every actor is done (what must hold when all settles)."""

    actors: list[Actor]
    check: Callable[[str], None]
    final: Callable[[], None]
    recorder: Recorder = field(default_factory=Recorder)
    trace: list[str] = field(default_factory=list)


@dataclass
class Run:
    choices: list[int]
    touched: list[set[Access]]
    asleep: list[dict[int, set[Access]]]  # the sleep set at each point (reduction only)
    redundant_from: int | None = None  # from here on every order was already run


def run(make: Callable[[], Scenario], prefix: list[int], sleep: dict[int, set[Access]] | None = None) -> Run:
    """One run: follow `prefix`, then keep moving the same actor while it can, else the
    first unfinished one that is not asleep. `sleep`: the actors (with what their next step
    touches) whose move at the end of `prefix` was run before, as the other branch of a
    commuting pair; they stay asleep until a step conflicts with theirs (Godefroid's sleep
    sets). When every actor left is asleep, the rest of the run repeats an earlier one: it
    is run to its end (the threads must finish) but neither checked nor analysed."""
    scenario = make()
    actors = scenario.actors
    for actor in actors:
        actor.start()
    done = Run([], [], [])
    asleep: dict[int, set[Access]] = {}
    try:
        while True:
            enabled = [i for i, a in enumerate(actors) if not a.done]
            if not enabled:
                break
            position = len(done.choices)
            awake = [i for i in enabled if i not in asleep]
            if position < len(prefix):
                pick = prefix[position]
            elif done.redundant_from is None and not awake:
                done.redundant_from = position
                pick = enabled[0]
            else:
                pool = awake if done.redundant_from is None else enabled
                pick = done.choices[-1] if done.choices and done.choices[-1] in pool else pool[0]
            done.asleep.append(dict(asleep))
            actor = actors[pick]
            where = actor.at or "start"
            scenario.recorder.current = set()
            actor.step()
            touched = scenario.recorder.current
            scenario.recorder.current = None
            done.touched.append(touched)
            done.choices.append(pick)
            if position == len(prefix) - 1 and sleep:
                asleep = {a: t for a, t in sleep.items() if a != pick}
            asleep = {a: t for a, t in asleep.items() if not conflict(t, touched)}
            scenario.trace.append(f"{actor.name}:{where}")
            if done.redundant_from is None:
                scenario.check(" ".join(scenario.trace))
        if done.redundant_from is None:
            scenario.final()
    finally:
        for actor in actors:  # a failed check must not leave threads waiting
            while not actor.done:
                actor.step()
    return done


@dataclass
class Explored:
    runs: int = 0
    steps: int = 0
    redundant: int = 0


@dataclass
class _Node:
    sleep: dict[int, set[Access]]
    moved: dict[int, set[Access]] = field(default_factory=dict)  # actor -> what its step touched
    backtrack: set[int] = field(default_factory=set)
    scheduled: set[int] = field(default_factory=set)


def explore(make: Callable[[], Scenario], full: bool = False) -> Explored:
    """Run `make`'s scenario under every schedule that can make a difference (every one
    with `full`). Every actor is enabled until it ends: none waits for another."""
    explored = Explored()
    nodes: dict[tuple[int, ...], _Node] = {}
    todo: list[tuple[list[int], dict[int, set[Access]]]] = [([], {})]
    while todo:
        prefix, sleep = todo.pop()
        result = run(make, prefix, None if full else sleep)
        explored.runs += 1
        explored.steps += len(result.choices)
        explored.redundant += result.redundant_from is not None
        choices = result.choices
        end = len(choices) if result.redundant_from is None else result.redundant_from
        for i in range(end):
            node = nodes.setdefault(tuple(choices[:i]), _Node(sleep={} if full else result.asleep[i]))
            node.moved.setdefault(choices[i], result.touched[i])
            node.scheduled.add(choices[i])
        for i in range(end):
            if full:  # every actor that is still to move, at every point
                nodes[tuple(choices[:i])].backtrack.update(set(choices[i:]))
                continue
            for j in _races(result, i, end):  # the other order of each race
                nodes[tuple(choices[:j])].backtrack.add(choices[i])
        for key, node in nodes.items():
            for actor in sorted(node.backtrack - node.scheduled - set(node.sleep)):
                node.scheduled.add(actor)
                # asleep in the new branch: what was already run from this point
                siblings = {a: t for a, t in {**node.sleep, **node.moved}.items() if a != actor}
                todo.append(([*key, actor], siblings))
    return explored


def _races(result: Run, i: int, end: int) -> list[int]:
    """The earlier steps of other actors that step i does not commute with: for each other
    actor, its last such step (an earlier one of the same actor is ordered by that one)."""
    found: dict[int, int] = {}
    for j in range(min(i, end) - 1, -1, -1):
        other = result.choices[j]
        if other == result.choices[i] or other in found:
            continue
        if conflict(result.touched[j], result.touched[i]):
            found[other] = j
    return list(found.values())
