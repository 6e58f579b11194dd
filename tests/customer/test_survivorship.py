from datetime import UTC, date, datetime

from app.customer.models import GOLDEN_FIELDS
from app.customer.survivorship import LinkedRecord, golden_record


def linked(source, updated, **fields):
    base = dict.fromkeys(GOLDEN_FIELDS)
    return LinkedRecord(
        source_system=source,
        source_updated_at=datetime(2026, 1, updated, tzinfo=UTC),
        source_created_at=datetime(2025, 1, updated, tzinfo=UTC),
        **{**base, **fields},
    )


def test_trust_order_then_recency_with_provenance():
    golden = golden_record(
        [
            linked("channel", 20, full_name="ALICE", phone="+254712345678"),
            linked("core", 1, full_name="Alice Wanjiru", national_id="12345678"),
            linked("core", 5, full_name="Alice W. Wanjiru"),
        ]
    )
    assert golden["full_name"] == "Alice W. Wanjiru"
    assert golden["full_name_source"] == "core"
    # only channel knows the phone: a less trusted source fills a gap
    assert (golden["phone"], golden["phone_source"]) == ("+254712345678", "channel")
    assert golden["national_id_source"] == "core"
    assert golden["created_date"] == datetime(2025, 1, 1, tzinfo=UTC)


def test_missing_everywhere_is_none():
    golden = golden_record([linked("core", 1, date_of_birth=date(1990, 5, 1))])
    assert golden["email"] is None and golden["email_source"] is None
    assert golden["date_of_birth"] == date(1990, 5, 1)


def test_gender_joins_the_golden_record_with_its_source():
    golden = golden_record(
        [linked("channel", 20, full_name="Atieno"), linked("core", 1, gender="female")]
    )
    assert (golden["gender"], golden["gender_source"]) == ("female", "core")
