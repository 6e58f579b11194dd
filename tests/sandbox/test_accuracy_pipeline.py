"""The accuracy command's measurement, on a small population, through the real pipeline."""

import os

import pytest

from sandbox.evaluation import evaluate_population, linkable_pairs

pytestmark = pytest.mark.integration


def test_linkable_pairs_counts_only_pairs_with_shared_evidence():
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
    identifiers = {"a": {"p1"}, "b": {"p1", "n1"}, "c": {"x"}, "d": set(), "e": set()}
    assert linkable_pairs(truth, identifiers) == 1  # only (a, b) share anything


def test_small_population_meets_the_targets(database_url):
    scores, details = evaluate_population(os.environ["C360_DATABASE_URL"], people=400, seed=3)
    assert details["records"] > 400
    assert scores.true_pairs > 100
    assert scores.precision >= 0.999
    assert scores.false_merges_across_national_ids == 0  # no twin or sibling merged
    assert details["cases"]["twin"] + details["cases"]["sibling"] >= 0.03 * 400
    assert details["typo_pairs"] >= 10
    assert details["typo_pairs_merged"] == details["typo_pairs"]
    assert details["suspected_duplicates"] >= details["cases"]["twin"] // 2
    assert scores.recall >= 0.98
