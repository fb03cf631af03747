"""Pre/post statistics for one measure: pure functions over (baseline, post) pairs.

Mean change with a 95% t-interval, the paired t-test (scipy.stats.ttest_rel), and Cohen's d for
paired data as d_z = mean of the differences / SD of the differences (ddof 1). Change is post
minus baseline; "improvement" turns it round for measures where lower is better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats

Better = Literal["higher", "lower"]
# Changes that differ by less than this (relative) are float noise around one value: 3.1 - 0.1
# is not 3.0 in binary floating point, and a "spread" of 1e-15 is no spread.
ZERO_SD = 1e-9


@dataclass(frozen=True)
class Pair:
    study_id: str
    baseline: float
    post: float
    baseline_se: float | None = None
    post_se: float | None = None


@dataclass(frozen=True)
class ChangeStats:
    n: int
    baseline_mean: float | None
    post_mean: float | None
    mean_change: float | None
    sd_change: float | None
    ci_low: float | None
    ci_high: float | None
    t_statistic: float | None
    p_value: float | None
    cohens_dz: float | None


def change_stats(pairs: list[Pair]) -> ChangeStats:
    n = len(pairs)
    if n == 0:
        return ChangeStats(0, None, None, None, None, None, None, None, None, None)
    base = [p.baseline for p in pairs]
    post = [p.post for p in pairs]
    diffs = [b - a for a, b in zip(base, post, strict=True)]
    mean = sum(diffs) / n
    if n < 2:
        return ChangeStats(n, base[0], post[0], mean, None, None, None, None, None, None)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    if sd <= ZERO_SD * max(1.0, abs(mean)):
        sd = 0.0  # identical changes up to float noise: no spread, no t-test (scipy would warn)
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    t_stat: float | None = None
    p: float | None = None
    dz: float | None = None
    if sd > 0:
        result = stats.ttest_rel(post, base)
        t_stat, p = float(result.statistic), float(result.pvalue)
        dz = mean / sd
    return ChangeStats(
        n=n,
        baseline_mean=sum(base) / n,
        post_mean=sum(post) / n,
        mean_change=mean,
        sd_change=sd,
        ci_low=mean - half,
        ci_high=mean + half,
        t_statistic=t_stat,
        p_value=p,
        cohens_dz=dz,
    )


def improvement(change: float, better: Better) -> float:
    """Change in the direction that is better (positive = improved)."""
    return change if better == "higher" else -change


def reliable_change(pair: Pair) -> float | None:
    """RC = (T2 - T1) / sqrt(SE1^2 + SE2^2); None without both SEs."""
    if pair.baseline_se is None or pair.post_se is None:
        return None
    denominator = math.sqrt(pair.baseline_se**2 + pair.post_se**2)
    return None if denominator == 0 else (pair.post - pair.baseline) / denominator


@dataclass(frozen=True)
class Share:
    count: int
    of: int

    @property
    def percent(self) -> float | None:
        return None if self.of == 0 else 100.0 * self.count / self.of


def reliably_changed(pairs: list[Pair], better: Better, z: float) -> tuple[Share, Share]:
    """(reliably improved, reliably worse) among pairs with both SEs."""
    rcs = [rc for p in pairs if (rc := reliable_change(p)) is not None]
    improved = sum(1 for rc in rcs if improvement(rc, better) >= z)
    worse = sum(1 for rc in rcs if improvement(rc, better) <= -z)
    return Share(improved, len(rcs)), Share(worse, len(rcs))


def reaches(value: float, threshold: float, tolerance: float) -> bool:
    """value >= threshold, where a value within `tolerance` below it counts as reaching it."""
    return value >= threshold - tolerance


def at_least_points(
    pairs: list[Pair], better: Better, points: float, tolerance: float = 0.0
) -> Share:
    improved = sum(
        1 for p in pairs if reaches(improvement(p.post - p.baseline, better), points, tolerance)
    )
    return Share(improved, len(pairs))


def jacobson_truax_threshold(sd: float, r_tt: float, z: float) -> float:
    """Smallest change beyond measurement error: z x sqrt(2) x SEM, SEM = SD x sqrt(1 - r_tt)."""
    return z * math.sqrt(2.0) * sd * math.sqrt(1.0 - r_tt)


def beyond(
    pairs: list[Pair], better: Better, threshold: float, tolerance: float
) -> tuple[Share, Share]:
    """(improved, worse) by at least `threshold` in the measure's units."""
    changes = [improvement(p.post - p.baseline, better) for p in pairs]
    improved = sum(1 for c in changes if reaches(c, threshold, tolerance))
    worse = sum(1 for c in changes if reaches(-c, threshold, tolerance))
    return Share(improved, len(pairs)), Share(worse, len(pairs))


def baseline_sd(pairs: list[Pair]) -> float | None:
    """Sample SD (ddof 1) of the baselines, for the cohort-based 0.5 SD rule."""
    if len(pairs) < 2:
        return None
    values = [p.baseline for p in pairs]
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def reduction_share(pairs: list[Pair], percent: float) -> Share:
    """Patients whose score fell by at least `percent` of baseline (baseline 0 cannot fall)."""
    eligible = [p for p in pairs if p.baseline > 0]
    hit = sum(1 for p in eligible if (p.baseline - p.post) / p.baseline * 100 >= percent - 1e-9)
    return Share(hit, len(eligible))
