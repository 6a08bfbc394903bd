"""When the next Accredo poll is due: busy after changes, relaxed when quiet (pure)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accredo_hubspot.sync.polling import PollIntervals, PollSchedule

INTERVALS = PollIntervals(idle_s=1.0, busy_s=0.2, busy_for_s=30.0)


def polled(schedule: PollSchedule, at: float, rows: int = 0) -> float:
    """One poll at ``at`` finding ``rows``; the next one's due time."""
    schedule.started(at)
    schedule.found(rows)
    return schedule.due()


def test_the_first_poll_is_due_at_once() -> None:
    assert PollSchedule(INTERVALS).due() == -math.inf


def test_quiet_polls_come_at_the_idle_pace() -> None:
    schedule = PollSchedule(INTERVALS)
    assert polled(schedule, 100.0) == 101.0
    assert polled(schedule, 101.0) == 102.0
    assert not schedule.busy
    assert schedule.polls == 2


def test_a_poll_that_finds_changes_starts_a_busy_stretch() -> None:
    schedule = PollSchedule(INTERVALS)
    polled(schedule, 100.0)
    assert polled(schedule, 101.0, rows=3) == pytest.approx(101.2)
    assert schedule.busy
    # quiet polls inside the stretch keep the busy pace
    assert polled(schedule, 120.0) == pytest.approx(120.2)
    assert polled(schedule, 130.9) == pytest.approx(131.1)


def test_the_pace_relaxes_once_nothing_has_changed_for_busy_for_s() -> None:
    schedule = PollSchedule(INTERVALS)
    polled(schedule, 100.0, rows=1)
    assert polled(schedule, 131.0) == 132.0
    assert not schedule.busy


def test_each_change_extends_the_stretch_from_the_poll_that_found_it() -> None:
    schedule = PollSchedule(INTERVALS)
    polled(schedule, 100.0, rows=1)
    polled(schedule, 125.0, rows=1)
    assert polled(schedule, 150.0) == pytest.approx(150.2)  # 25 s after the second change
    assert polled(schedule, 155.0) == 156.0


def test_a_due_time_already_past_means_at_once() -> None:
    """A cycle that took longer than the pace (a large drain) is followed at once."""
    schedule = PollSchedule(INTERVALS)
    assert polled(schedule, 100.0, rows=500) < 100.5


def test_a_hint_makes_the_next_poll_due_at_once_when_quiet() -> None:
    schedule = PollSchedule(INTERVALS)
    polled(schedule, 100.0)
    schedule.hint(100.5)
    assert schedule.hinted
    assert schedule.due() == pytest.approx(100.2)  # already past at 100.5: at once


def test_hints_never_bring_a_poll_closer_than_busy_s_to_the_one_before() -> None:
    schedule = PollSchedule(INTERVALS)
    polled(schedule, 100.0)
    for moment in (100.01, 100.02, 100.03):  # a burst of hints right after a poll
        schedule.hint(moment)
    assert schedule.due() == pytest.approx(100.2)


def test_a_hint_is_spent_by_the_poll_after_it() -> None:
    schedule = PollSchedule(INTERVALS)
    schedule.hint(99.0)
    assert polled(schedule, 100.0) == 101.0  # that poll found nothing: a forged hint, say
    assert not schedule.hinted
    assert not schedule.busy


def test_a_hint_during_a_poll_counts_for_the_next_one() -> None:
    """The change it announces may have been saved after the poll read the tables."""
    schedule = PollSchedule(INTERVALS)
    schedule.started(100.0)
    schedule.hint(100.05)
    schedule.found(0)
    assert schedule.due() == pytest.approx(100.2)


def test_no_busy_stretch_polls_at_one_pace() -> None:
    fixed = PollSchedule(PollIntervals(idle_s=1.0, busy_s=1.0, busy_for_s=30.0))
    assert polled(fixed, 100.0, rows=1) == 101.0
    off = PollSchedule(PollIntervals(idle_s=1.0, busy_s=0.2, busy_for_s=0.0))
    assert polled(off, 100.0, rows=1) == 101.0
    assert not PollIntervals(1.0, 1.0, 30.0).adaptive
    assert not PollIntervals(1.0, 0.2, 0.0).adaptive


def test_the_intervals_describe_themselves() -> None:
    assert INTERVALS.describe() == "every 1 s (0.2 s for 30 s after a change)"
    assert PollIntervals(1.0, 1.0, 30.0).describe() == "every 1 s"


@pytest.mark.parametrize(
    ("idle_s", "busy_s", "busy_for_s"), [(1.0, 2.0, 30.0), (1.0, 0.0, 30.0), (1.0, 0.2, -1.0)]
)
def test_impossible_intervals_are_refused(idle_s: float, busy_s: float, busy_for_s: float) -> None:
    with pytest.raises(ValueError, match="busy_s"):
        PollIntervals(idle_s, busy_s, busy_for_s)


@given(
    st.lists(
        st.tuples(st.floats(0.01, 100.0), st.integers(0, 3), st.lists(st.floats(0.0, 2.0))),
        min_size=1,
        max_size=50,
    )
)
def test_the_pace_is_busy_or_idle_whatever_the_hints(
    polls: list[tuple[float, int, list[float]]],
) -> None:
    """However many hints come, and when, polls are never closer than ``busy_s``."""
    schedule = PollSchedule(INTERVALS)
    now = 0.0
    for gap, rows, hints in polls:
        now += gap
        schedule.started(now)
        for after in hints:
            schedule.hint(now + after)
        schedule.found(rows)
        assert schedule.due() - now in (
            pytest.approx(INTERVALS.busy_s),
            pytest.approx(INTERVALS.idle_s),
        )
