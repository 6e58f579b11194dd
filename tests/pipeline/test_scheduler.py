"""Two beat processes started by mistake: only one schedules; the other takes over if it dies."""

import time

import pytest

from app import processes

pytestmark = pytest.mark.integration
SENT = "Sending due task extract-"


def test_a_second_beat_stands_by_and_takes_over(pipeline):
    pipeline.start(beat2=processes.beat_command(pipeline.workdir / "beat2-state"))
    time.sleep(6)
    sent = {name: pipeline.log(name).count(SENT) for name in ("beat", "beat2")}
    assert sorted(sent.values())[0] == 0, sent  # one beat sends nothing ...
    assert sorted(sent.values())[1] >= 5, sent  # ... the other every poll interval
    holder, standby = sorted(sent, key=sent.get, reverse=True)

    pipeline.stop(holder)
    before = pipeline.log(standby).count(SENT)
    pipeline.wait_until(
        lambda: pipeline.log(standby).count(SENT) > before + 3,
        timeout=20,
        what="the standby beat to take over",
    )
