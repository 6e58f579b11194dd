import json
import logging

from app.logs import JsonFormatter, mask, mask_text


def test_mask_keeps_only_a_tail():
    assert mask("+254712345678") == "***678"
    assert mask("alice@mail.com") == "a***@mail.com"


def test_free_text_loses_phones_emails_and_ids():
    text = "customer 12345678 at +254712345678 / 0712 345 678 wrote Alice.W@mail.com"
    masked = mask_text(text)
    for secret in ("12345678", "254712345678", "0712 345 678", "Alice.W"):
        assert secret not in masked


def test_structured_event_is_json_with_masked_fields():
    logger = logging.getLogger("c360.test")
    record = logger.makeRecord(
        "c360.test", logging.INFO, __file__, 1, "identity resolved for %s", ("ID12345678",), None
    )
    record.fields = {"phone": "0712345678", "count": 3}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["event"] == "identity resolved for ***678"
    assert entry["phone"] == "***678" and entry["count"] == 3


def test_dates_and_times_are_not_masked_as_phone_numbers():
    from app.logs import mask_text

    reason = "date_of_birth 2099-01-01 is in the future; created_at 2026-11-26 13:00:00+00:00"
    assert mask_text(reason) == reason
    assert mask_text("phone 0712 345 678 and 2026-11-26") == "phone ***678 and 2026-11-26"
