"""`python -m workers search-reindex`: rebuild the search index from the source tables
(storage/search/reindex.py), chunk by chunk, with a progress bar per source on stderr. Stopped
anywhere (Ctrl-C, a crash), it resumes after the last committed chunk; `--restart` forgets the
checkpoints and rebuilds everything. It can run while the API and the dispatcher serve: each
chunk holds the search consumer's lock for the time of one chunk."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from storage.database import Database
from storage.search.reindex import SOURCES, Source, count, forget_checkpoints, reindex_chunk

BAR_WIDTH = 30


class ProgressBar:
    """`source  [#######.......]  1,200/4,000  35%  2,100 docs/s`, redrawn in place; only
    when stderr is a terminal does it redraw on every chunk (a log gets one line per source)."""

    def __init__(self, out: TextIO, source: Source, total: int) -> None:
        self.out, self.source, self.total = out, source, total
        self.done = 0
        self.started = time.monotonic()
        self.live = out.isatty()

    def advance(self, written: int) -> None:
        self.done += written
        if self.live:
            self.out.write("\r" + self.line())
            self.out.flush()

    def line(self) -> str:
        total = max(self.total, self.done, 1)
        filled = int(BAR_WIDTH * self.done / total)
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        return (f"{self.source.name:<24} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                f"{self.done:,}/{self.total:,} {100 * self.done // total:3d}% "
                f"{rate:,.0f} docs/s")

    def finish(self, note: str = "") -> None:
        self.out.write(("\r" if self.live else "") + self.line() + note + "\n")
        self.out.flush()


async def reindex(database: Database, *, batch_size: int, restart: bool = False,
                  out: TextIO = sys.stderr) -> int:
    """Every source to its end; the number of documents written by this run."""
    if restart:
        await forget_checkpoints(database)
    written = 0
    for source in SOURCES:
        bar = ProgressBar(out, source, await count(database, source))
        while True:
            chunk = await reindex_chunk(database, source, batch_size)
            if chunk is None:
                bar.finish("  (done before: --restart to rebuild it)")
                break
            written += chunk
            bar.advance(chunk)
            if chunk < batch_size:
                bar.finish()
                break
    return written
