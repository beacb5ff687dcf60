"""The scheduler of tests/support/interleave.py on actors over a plain dict: the reduced
exploration reaches every outcome the full one does, with fewer runs, and one run when
nothing races."""

from __future__ import annotations

from tests.support.interleave import Actor, Recorder, Scenario, explore


def counter_scenario(outcomes: set, actors_spec: list[tuple[str, str]]):
    """Each actor reads a key in one step and writes it back plus one in the next (a lost
    update when two interleave on one key)."""

    def make() -> Scenario:
        state: dict[str, int] = {}
        recorder = Recorder()

        def incrementer(key: str):
            def body(pause):
                pause("read")
                recorder.touch("read", key)
                seen = state.get(key, 0)
                pause("write")
                recorder.touch("write", key)
                state[key] = seen + 1

            return body

        def final() -> None:
            outcomes.add(tuple(sorted(state.items())))

        actors = [Actor(name, incrementer(key)) for name, key in actors_spec]
        return Scenario(actors=actors, check=lambda trace: None, final=final, recorder=recorder)

    return make


def test_the_reduced_exploration_finds_every_outcome_the_full_one_does():
    spec = [("a", "x"), ("b", "x"), ("c", "y")]
    full, reduced = set(), set()
    every = explore(counter_scenario(full, spec), full=True)
    fewer = explore(counter_scenario(reduced, spec), full=False)
    assert reduced == full
    assert full == {(("x", 1), ("y", 1)), (("x", 2), ("y", 1))}  # a lost update, and none
    assert every.runs == 90  # 6! / (2!)^3: every order of three two-step actors
    assert fewer.runs <= 6, fewer.runs


def test_actors_that_touch_different_things_run_once():
    outcomes: set = set()
    assert explore(counter_scenario(outcomes, [("a", "x"), ("b", "y"), ("c", "z")])).runs == 1
    assert outcomes == {(("x", 1), ("y", 1), ("z", 1))}
