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


def test_passports_short_ids_and_url_passwords_are_masked():
    text = (
        "unreadable national ID 'KE-ID-00001', passport A1234567 and RTID202603110001;"
        " could not reach postgresql+psycopg://app:s3cret@db:5432/c360"
    )
    masked = mask_text(text)
    for secret in ("KE-ID-00001", "A1234567", "RTID202603110001", "s3cret"):
        assert secret not in masked
    assert "postgresql+psycopg://app:***@db:5432/c360" in masked


def test_every_field_is_masked_whatever_its_type():
    record = logging.getLogger("c360.test").makeRecord(
        "c360.test", logging.INFO, __file__, 1, "records quarantined", (), None
    )
    record.fields = {
        "reasons": ["unreadable phone '0712 345 678'", "email bob@mail.com refused"],
        "detail": {"national_id": "12345678", "nested": ("A1234567",)},
        "error": ValueError("duplicate key (phone)=(+254712345678)"),
        "count": 2,
    }
    line = JsonFormatter().format(record)
    for secret in ("0712 345 678", "bob@", "12345678", "A1234567", "254712345678"):
        assert secret not in line
    assert json.loads(line)["count"] == 2


def test_celery_lines_and_their_tracebacks_are_masked():
    import io

    from app.logs import mask_handlers

    stream = io.StringIO()
    logger = logging.getLogger("test.celery.masking")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    mask_handlers(logger)
    mask_handlers(logger)  # idempotent
    assert len(handler.filters) == 1
    try:
        raise RuntimeError('DETAIL:  Key ("Email")=(alice@mail.com) already exists.')
    except RuntimeError:
        logger.exception("Task %s raised for customer %s", "match_batch", "ID12345678")
    written = stream.getvalue()
    assert "alice@" not in written and "12345678" not in written
    assert "Task match_batch raised" in written and "Traceback" in written


def test_the_file_holding_the_embedded_api_key_is_the_owners_alone(tmp_path):
    import stat

    from app.embedded import services_up
    from tests.conftest import environment

    variables = {"C360_HOME": str(tmp_path), "C360_API_KEYS": ""}
    # database and broker given: nothing is started, only the key is made and written
    with environment(**variables, C360_DATABASE_URL="postgresql://x/y", C360_REDIS_URL="redis://x"):
        services_up()
    for path in (tmp_path / "env", tmp_path / "api-key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
