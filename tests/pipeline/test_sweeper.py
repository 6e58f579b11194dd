"""The sweeper queues again the batches whose messages were lost, and only those: a batch a
step is working on (its row locked), however long it takes, is left alone."""

from __future__ import annotations

from sqlalchemy import text

from app import db
from app.pipeline.batches import requeue_stalled
from app.pipeline.staging import stage_replay
from tests.conftest import truncate_all


def test_stalled_batches_are_queued_again_but_not_one_a_step_is_working_on(engine):
    truncate_all(engine)
    try:
        with db.transaction() as conn:
            lost, working, recent, done = (
                stage_replay(conn, "core", [("customer", str(n), {"Id": str(n)})]) for n in range(4)
            )
            conn.execute(
                text(
                    "UPDATE ingest_batch SET progressed_at = now() - interval '5 minutes'"
                    " WHERE batch_id = ANY(:ids)"
                ),
                {"ids": [lost, working, done]},
            )
            conn.execute(
                text("UPDATE ingest_batch SET status = 'done' WHERE batch_id = :id"), {"id": done}
            )
        with engine.connect() as step:  # a match step holds its batch's row while it works
            step.execute(
                text("SELECT 1 FROM ingest_batch WHERE batch_id = :id FOR UPDATE"),
                {"id": working},
            )
            queued: list[int] = []
            assert requeue_stalled(60, enqueue=queued.append) == [lost]
            step.rollback()
        assert queued == [lost]
        with engine.connect() as conn:
            attempts = conn.execute(
                text("SELECT attempts FROM ingest_batch WHERE batch_id = :id"), {"id": lost}
            ).scalar()
        assert attempts == 1
        # at the next sweep: the lost one's clock restarted, so it is not queued again; the
        # step let go of the other without moving it on (its worker died): now it is stalled
        assert requeue_stalled(60, enqueue=queued.append) == [working]
    finally:
        truncate_all(engine)
