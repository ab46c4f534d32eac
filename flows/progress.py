"""Progress on stderr while a run works: each stage as a line with its elapsed time, and below it
the stage's counted work (``mining 1200/5531 … 0:00:04 eta 0:00:14``).

A line appears only once its work has taken a second (a quick stage never flickers), every line
shares one live display (stages nest: the ``draft`` stage's ``drafting`` bar sits under it), and
nothing at all is drawn when stderr is not a terminal (cron, a pipe, the tests). rich draws it;
its lock makes advancing from Prefect's task threads safe.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.progress import Progress, ProgressColumn, Task, TaskID

Advance = Callable[[int], None]
SHOW_AFTER_SECONDS = 1.0
_guard = threading.Lock()
_display: _SharedDisplay | None = None


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Advance]:
    """Yield a function that advances a line by n items (``total`` None: a stage or phase whose
    work is not counted, shown with its elapsed time only)."""
    if not sys.stderr.isatty():
        yield _nothing
        return
    display = _enter_display()
    task = display.progress.add_task(description, total=total, visible=False)
    timer = threading.Timer(SHOW_AFTER_SECONDS, display.show, (task,))
    timer.daemon = True
    timer.start()
    try:
        yield lambda n: display.progress.advance(task, n)
    finally:
        timer.cancel()
        display.progress.remove_task(task)
        _leave_display()


def _nothing(n: int) -> None:
    """The advance of a bar that is not drawn."""


class _SharedDisplay:
    """One rich ``Progress`` for every line open at a time, started when a line first shows."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.users = 0
        self.started = False
        self.progress: Progress = Progress(
            TextColumn("{task.description}"),
            _counted(BarColumn()),
            _counted(MofNCompleteColumn()),
            TimeElapsedColumn(),
            _counted(TextColumn("eta")),
            _counted(TimeRemainingColumn()),
            console=Console(stderr=True),
            transient=True,
        )

    def show(self, task: TaskID) -> None:
        """Make a line visible (its second has passed), starting the display with the first."""
        with _guard:
            if self.users == 0 or task not in self.progress.task_ids:
                return
            if not self.started:
                self.progress.start()
                self.started = True
            self.progress.update(task, visible=True)

    def stop(self) -> None:
        if self.started:
            self.progress.stop()


def _counted(column: ProgressColumn) -> ProgressColumn:
    """``column`` on lines with a total; nothing on a stage's uncounted line."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class WhenCounted(ProgressColumn):
        def render(self, task: Task) -> RenderableType:
            return Text("") if task.total is None else column.render(task)

    return WhenCounted()


def _enter_display() -> _SharedDisplay:
    global _display
    with _guard:
        if _display is None:
            _display = _SharedDisplay()
        _display.users += 1
        return _display


def _leave_display() -> None:
    global _display
    with _guard:
        display = _display
        if display is None:
            return
        display.users -= 1
        if display.users > 0:
            return
        _display = None
    display.stop()
