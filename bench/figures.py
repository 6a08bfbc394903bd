"""Pure arithmetic of the benchmarks: the rate-limit bound, percentiles, the targets."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: HubSpot's largest list page and largest batch (hubspot-api.md §4.1, §4.3).
RECORDS_PER_CALL = 100
#: Targets from the issue ("Done when").
BOUND_RATIO_TARGET = 1.15
#: Accredo to HubSpot (issue 12): p95 with push hints, in a busy stretch and after quiet;
#: with adaptive polling alone, in a busy stretch.
HINTS_P95_TARGET_S = 0.5
POLL_BUSY_P95_TARGET_S = 0.6
#: HubSpot to Accredo on the webhook path, p95: issue 9's target, and issue 12's.
INBOUND_P95_TARGET_S = 1.5
INBOUND_FAST_P95_TARGET_S = 1.0
#: A backfill of 50,000 debtors: peak resident memory and state database size per debtor.
RSS_TARGET_MB = 200
STATE_TARGET_BYTES_PER_DEBTOR = 2 * 1024


def fewest_calls(existing_companies: int, debtors: int) -> int:
    """The fewest HubSpot calls a backfill needs: one list page per 100 existing companies
    and one batch write per 100 debtors."""
    return math.ceil(existing_companies / RECORDS_PER_CALL) + math.ceil(debtors / RECORDS_PER_CALL)


def rate_limit_bound_s(existing_companies: int, debtors: int, per_10s: int) -> float:
    """The shortest wall time those calls allow at ``per_10s`` requests per 10 seconds."""
    return fewest_calls(existing_companies, debtors) / (per_10s / 10.0)


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50_s: float
    p95_s: float
    p99_s: float
    max_s: float

    def line(self, label: str) -> str:
        """One printed line: the label, the count, p50/p95/p99 and the maximum."""
        return (
            f"  {label:<22} n={self.count:<4d} p50 {self.p50_s:5.2f} s  p95 {self.p95_s:5.2f} s  "
            f"p99 {self.p99_s:5.2f} s  max {self.max_s:5.2f} s"
        )


def percentiles(samples_s: Sequence[float]) -> Percentiles:
    """p50/p95/p99 by linear interpolation between closest ranks (``statistics.quantiles``
    with the inclusive method), and the maximum."""
    if not samples_s:
        nan = float("nan")
        return Percentiles(0, nan, nan, nan, nan)
    if len(samples_s) == 1:
        only = samples_s[0]
        return Percentiles(1, only, only, only, only)
    cuts = statistics.quantiles(samples_s, n=100, method="inclusive")
    return Percentiles(len(samples_s), cuts[49], cuts[94], cuts[98], max(samples_s))


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"
