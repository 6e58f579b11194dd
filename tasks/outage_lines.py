"""The worker tells a broker outage in two lines (`app/ops/outages.py`), not in Celery's
tracebacks: the consumer's at the loss and a line per reconnection attempt, and each task's
whose hand-off (the next step of its chain, a poll's batch) found the broker gone.

Celery makes its connection state known only in these log lines (its consumer has no signal for
a lost or regained connection, and its reconnection loop is not meant to be overridden), so
filters read them: the loss and each failed attempt note the outage and are dropped, "Connected
to ..." ends it and is kept; a task failure whose error is the broker's, while the broker does
not answer, notes the outage and is dropped (the batch it could not hand on waits in the
database for the sweeper). Lines are matched by Celery's own message constants, so a Celery
that changes them fails the tests of this module, not silently.
"""

from __future__ import annotations

import logging
import warnings

from celery.exceptions import CPendingDeprecationWarning
from celery.worker.consumer.consumer import CONNECTION_ERROR, CONNECTION_RETRY
from kombu.exceptions import OperationalError as BrokerError

from app.ops.outages import BROKER
from app.ops.service import broker_answers

CONNECTED = "Connected to %s"  # celery.worker.consumer.connection's line once it connects
CONSUMER_LOGGERS = ("celery.worker.consumer.consumer", "celery.worker.consumer.connection")
TASK_LOGGER = "celery.app.trace"


class ConsumerConnectionLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == CONNECTION_RETRY:  # the connection is lost (with a traceback)
            BROKER.failed(record.exc_info[1] if record.exc_info else "connection lost")
            return False
        if record.msg == CONNECTION_ERROR:  # an attempt failed: (url, error, next step)
            BROKER.failed(record.args[1] if isinstance(record.args, tuple) else "no answer")
            return False
        if record.msg == CONNECTED:
            BROKER.answered()
        return True


class TaskBrokerErrors(logging.Filter):
    def __init__(self, broker_url: str) -> None:
        super().__init__()
        self.broker_url = broker_url

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, BrokerError) and not broker_answers(self.broker_url):
            BROKER.failed(error)
            return False
        return True


def install(broker_url: str) -> None:
    consumer_lines = ConsumerConnectionLines()
    for name in CONSUMER_LOGGERS:
        logging.getLogger(name).addFilter(consumer_lines)
    logging.getLogger(TASK_LOGGER).addFilter(TaskBrokerErrors(broker_url))
    # Celery warns of an error outside a task's body (its chain's hand-off) with the traceback,
    # then logs the task's failure with the same traceback: the failure line is the one kept.
    warnings.filterwarnings(
        "ignore", message="Exception raised outside body", category=RuntimeWarning
    )
    # We keep a step that runs when the connection goes (worker_cancel_long_running_tasks_on_
    # connection_loss is False, set in celeryconfig): it finishes and commits, and its message,
    # which the lost connection cannot acknowledge, comes again later to a batch already done.
    # Celery warns of its future default at every loss; the choice is made, the warning is noise.
    warnings.filterwarnings(
        "ignore", category=CPendingDeprecationWarning, module="celery.worker.consumer.consumer"
    )
