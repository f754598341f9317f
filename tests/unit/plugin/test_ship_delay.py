"""``ShipDelay``: a step is sent part-way through the next, within a bound."""

from __future__ import annotations

import pytest

from monitor.plugin.ship_delay import ShipDelay

MS = 1_000_000  # nanoseconds


def test_the_wait_is_a_fraction_of_the_step_up_to_the_bound() -> None:
    delay = ShipDelay(fraction=0.5, max_s=0.025)
    assert delay.after_end_s(1000 * MS, 1020 * MS) == pytest.approx(0.010)  # a 20 ms step
    assert delay.after_end_s(1000 * MS, 1500 * MS) == pytest.approx(0.025)  # a long prefill
    assert ShipDelay(0.0, 0.025).after_end_s(1000 * MS, 1020 * MS) == 0.0


def test_unknown_or_impossible_step_times_mean_no_wait() -> None:
    delay = ShipDelay(0.5, 0.025)
    assert delay.after_end_s(0, 1020 * MS) == 0.0
    assert delay.after_end_s(1020 * MS, 1000 * MS) == 0.0


def test_what_remains_counts_from_the_steps_end_and_never_exceeds_the_delay() -> None:
    delay = ShipDelay(0.5, 0.025)
    start, end = 1000 * MS, 1020 * MS  # due at 1.030 s
    assert delay.remaining_s(start, end, now_unix_s=1.020) == pytest.approx(0.010)
    assert delay.remaining_s(start, end, now_unix_s=1.026) == pytest.approx(0.004)
    assert delay.remaining_s(start, end, now_unix_s=1.031) == 0.0
    # the clock stepped back: still no more than the delay
    assert delay.remaining_s(start, end, now_unix_s=0.5) == pytest.approx(0.010)


@pytest.mark.parametrize(("fraction", "max_s"), [(-0.1, 0.01), (1.1, 0.01), (0.5, -1.0)])
def test_bad_settings_are_refused(fraction: float, max_s: float) -> None:
    with pytest.raises(ValueError, match=r"fraction|max_s"):
        ShipDelay(fraction, max_s)
