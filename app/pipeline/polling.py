"""A poll of one stream: from its checkpoint (rewound by the look-back), page by page, each
page staged with the advanced checkpoint and queued after its commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from app import db
from app.pipeline.checkpoints import load_checkpoint
from app.pipeline.staging import StagedBatch, stage_page
from connectors.base import Connector, Cursor, SourceRow, Stream


def pages(
    connector: Connector, stream: Stream, start: Cursor | None, page_size: int
) -> Iterator[list[SourceRow]]:
    after = start
    while True:
        rows = connector.fetch(stream, after, page_size)
        if rows:
            yield rows
        if len(rows) < page_size:
            return
        after = rows[-1].cursor


def poll_stream(
    connector: Connector,
    stream: Stream,
    *,
    page_size: int,
    lookback_seconds: float,
    on_staged: Callable[[StagedBatch], None],
    max_pages: int | None = None,
) -> int:
    """Read a stream from its checkpoint (rewound by the look-back) and stage what is new, or
    its first `max_pages` pages of it (the next poll reads on from the checkpoint).

    `on_staged` runs after each page's commit (it queues the batch). Returns rows staged.
    """
    source = connector.source_system
    with db.connect() as conn:
        checkpoint = load_checkpoint(conn, source, stream.name)
    start = checkpoint if checkpoint is not None else connector.first_cursor(stream)
    if checkpoint is not None and stream.lookback and lookback_seconds > 0:
        start = connector.rewind(stream, checkpoint, lookback_seconds)
    staged = 0
    high_water = checkpoint
    for page, rows in enumerate(pages(connector, stream, start, page_size), start=1):
        last = rows[-1].cursor
        if high_water is None or connector.order_key(last) > connector.order_key(high_water):
            high_water = last
            advance_to: Cursor | None = last
        else:
            advance_to = None  # still inside the look-back overlap
        with db.transaction() as conn:
            batch = stage_page(
                conn,
                connector,
                stream,
                rows,
                advance_to=advance_to,
                # a stream's first read is an initial load, not live changes
                measure_latency=checkpoint is not None,
            )
        if batch is not None:
            staged += batch.records
            on_staged(batch)
        if max_pages is not None and page >= max_pages:
            break
    return staged  # the checkpoint's last read is recorded with the stream's success
