"""Figures from a list of measurements: percentiles, min/median/max, and the process's max RSS."""

import math
import resource
import statistics
import sys
from typing import NamedTuple


class Spread(NamedTuple):
    min: float
    median: float
    max: float


def spread(values: list[float]) -> Spread:
    return Spread(min(values), statistics.median(values), max(values))


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def ms(value: float) -> str:
    """Seconds as whole milliseconds; "-" when there is no value."""
    return "-" if math.isnan(value) else f"{value * 1000:.0f}"


def ratio(a: float, b: float) -> str:
    return "-" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.2f}"


def median_max_seconds(values: list[float]) -> str:
    if not values:
        return "-"
    figures = spread(values)
    return f"median {figures.median:.2f} s, max {figures.max:.2f} s"


def max_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
