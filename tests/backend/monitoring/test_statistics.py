"""The drift tests: agree with scipy where they should, stay calm on noise, scale with size."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from backend.monitoring.statistics import chi2_homogeneity, critical_ks, ks_binned, psi, psi_level


def test_psi_is_zero_for_identical_histograms_and_grows_with_the_shift():
    base = [100, 200, 300, 400]
    assert psi(base, base) == pytest.approx(0.0)
    assert psi(base, [150, 200, 300, 350]) < psi(base, [400, 300, 200, 100])
    assert psi(base, [0, 0, 0, 1000]) > 0.25 and np.isfinite(psi(base, [0, 0, 0, 1000]))
    assert [psi_level(v) for v in (0.05, 0.1, 0.3, None)] == ["small", "moderate", "major", "unknown"]


def test_binned_ks_never_exceeds_the_exact_distance_and_comes_close_on_quantile_bins():
    rng = np.random.default_rng(0)
    ref, cur = rng.normal(0, 1, 20_000), rng.normal(0.2, 1, 20_000)
    edges = np.unique(np.quantile(ref, np.arange(1, 20) / 20))
    binned = ks_binned(np.bincount(np.searchsorted(edges, ref, "right"), minlength=len(edges) + 1),
                       np.bincount(np.searchsorted(edges, cur, "right"), minlength=len(edges) + 1), 0.01)
    exact = stats.ks_2samp(ref, cur).statistic
    assert binned.statistic <= exact + 1e-12 and binned.statistic > 0.9 * exact
    assert binned.flagged and binned.p_value < 1e-6


def test_the_ks_threshold_shrinks_with_sample_size_and_tightens_with_more_tests():
    assert critical_ks(0.01, 5000, 50) > 5 * critical_ks(0.01, 5000, 50_000) / 2
    assert critical_ks(0.01 / 20, 5000, 5000) > critical_ks(0.01, 5000, 5000)


def test_chi_squared_matches_scipy_and_pools_rare_categories():
    ref, cur = np.array([500, 300, 200]), np.array([450, 350, 200])
    expected = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    result = chi2_homogeneity(ref, cur, 0.05)
    assert result.statistic == pytest.approx(expected.statistic) and result.p_value == pytest.approx(expected.pvalue)
    rare = chi2_homogeneity([500, 300, 2, 1], [450, 350, 1, 0], 0.05)  # the two rare ones pooled
    assert rare.threshold == pytest.approx(stats.chi2.isf(0.05, 2))


def test_pure_noise_at_a_million_rows_is_not_flagged():
    rng = np.random.default_rng(1)
    flagged = 0
    for _ in range(20):
        ref = rng.multinomial(10_000, [0.1] * 10)
        cur = rng.multinomial(1_000_000, [0.1] * 10)
        flagged += ks_binned(ref, cur, 0.01 / 20).flagged or chi2_homogeneity(ref, cur, 0.01 / 20).flagged
    assert flagged == 0
