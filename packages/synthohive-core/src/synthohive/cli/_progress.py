"""CLI output settings: ``--quiet``, ``--log-format``, ``-v`` and progress lines.

When stderr is a terminal the core draws tqdm bars. Otherwise (CI logs, pipes, files) the
core's log events (``synthesizer.fit.*``, ``fit.start``/``fit.epoch``/``fit.end``,
``sample.table``) become progress lines on stderr: one when a further 10% of the tables or
epochs is done, or 10 s after the previous line, and always the last one; like tqdm's
``delay``, none in a command's first 2 s (quick commands print only their result).
``--quiet`` prints only errors; ``-v`` prints every log event instead of progress lines.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from synthohive.log import round_float

STEP = 0.1
"""A progress line after this share of the tables or epochs..."""
INTERVAL = 10.0
"""...or this many seconds after the previous line."""
DELAY = 2.0
"""No progress lines in a command's first seconds."""

_META_QUIET = "synthohive.quiet"
_META_PROGRESS = "synthohive.progress"
_META_JSON = "synthohive.json"
_SKIP = {"event", "model", "table", "epoch", "epochs", "logger", "level", "timestamp", "rows"}


def stderr_is_terminal() -> bool:
    """Whether stderr is an interactive terminal (tqdm bars) rather than a log or a pipe."""
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class _Counter:
    """How much of one bar (tables, or epochs of a table) is done and when it last printed."""

    def __init__(self, total: int | None, now: float) -> None:
        self.total = total if total and total > 0 else None
        self.done = 0
        self.shown = 0
        self.last = now

    def advance(self, done: int, now: float) -> bool:
        """Record ``done``; whether a line is due (10% more, 10 s later, or the end)."""
        self.done = done
        due = now - self.last >= INTERVAL
        if self.total is not None:
            due = due or done >= self.total or (done - self.shown) >= STEP * self.total
        if due:
            self.shown, self.last = done, now
        return due


class ProgressHandler(logging.Handler):
    """Turns the core's fit/sample log events into throttled progress lines on stderr."""

    def __init__(
        self,
        *,
        as_json: bool = False,
        delay: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(logging.INFO)
        self.as_json = as_json
        self.clock = clock
        self.quiet_until = clock() + (DELAY if delay is None else delay)
        self.epochs: int | None = None
        self.sample_tables: int | None = None
        self._planned: dict[str, str] = {}
        self._tables: _Counter | None = None
        self._epochs: _Counter | None = None
        self._sampled: _Counter | None = None
        self._fit_started = 0.0

    def expect(self, *, epochs: int | None = None, sample_tables: int | None = None) -> None:
        """Totals the events do not carry: epochs per table, tables to sample."""
        if epochs is not None:
            self.epochs = epochs
        if sample_tables is not None:
            self.sample_tables = sample_tables
            self._sampled = None

    def emit(self, record: logging.LogRecord) -> None:
        event = record.msg
        if not isinstance(event, dict):
            return
        try:
            self._handle(str(event.get("event", "")), event)
        except Exception:  # a progress line must never break the command
            self.handleError(record)

    def _handle(self, name: str, ev: dict[str, Any]) -> None:
        now = self.clock()
        if name == "synthesizer.table_strategy":
            self._planned[str(ev.get("table"))] = str(ev.get("strategy"))
        elif name == "synthesizer.fit.start":
            self._fit_started = now
            learned = [t for t, s in self._planned.items() if s != "copy"]
            total = len(learned) if self._planned else int(ev.get("tables") or 0)
            self._tables = _Counter(total, now)
            copied = len(self._planned) - len(learned)
            extra = f", {copied} copied as they are" if self._planned and copied else ""
            self._say("fit", f"learning {total} table(s){extra}", done=0, total=total)
        elif name == "fit.start":
            epochs = ev.get("epochs") or self.epochs
            self._epochs = _Counter(int(epochs) if epochs else None, now)
        elif name == "fit.epoch" and self._epochs is not None:
            done = int(ev.get("epoch", 0)) + 1
            if self._epochs.advance(done, now):
                self._epoch_line(ev, done, self._epochs.total)
        elif name == "fit.end" and self._tables is not None:
            counter = self._tables
            if counter.advance(counter.done + 1, now):
                seconds = round(float(ev.get("seconds", 0.0)), 1)
                self._say(
                    "fit",
                    f"{_of(counter.done, counter.total)} tables, {ev.get('table')} done "
                    f"({ev.get('model')}, {seconds:.1f}s)",
                    done=counter.done,
                    total=counter.total,
                    table=ev.get("table"),
                    model=ev.get("model"),
                    seconds=seconds,
                )
        elif name == "synthesizer.fit.end":
            seconds = round(now - self._fit_started, 1)
            tables = ev.get("tables")
            self._say("fit", f"done: {tables} table(s) in {seconds:.1f}s", seconds=seconds)
            self._planned, self._tables, self._epochs = {}, None, None
        elif name == "sample.table":
            if self._sampled is None:
                self._sampled = _Counter(self.sample_tables, now)
            counter = self._sampled
            if counter.advance(counter.done + 1, now):
                rows = ev.get("rows")
                self._say(
                    "sample",
                    f"{_of(counter.done, counter.total)} tables, {ev.get('table')}: {rows} rows",
                    done=counter.done,
                    total=counter.total,
                    table=ev.get("table"),
                    rows=rows,
                )

    def _epoch_line(self, ev: dict[str, Any], done: int, total: int | None) -> None:
        metrics = {
            k: round_float(float(v))
            for k, v in ev.items()
            if k not in _SKIP and isinstance(v, int | float) and not isinstance(v, bool)
        }
        shown = " ".join(f"{k}={v}" for k, v in metrics.items() if k != "seconds")
        pct = f" ({100 * done // total}%)" if total else ""
        self._say(
            "fit",
            f"{ev.get('table')} ({ev.get('model')}) epoch {_of(done, total)}{pct} {shown}".rstrip(),
            unit="epoch",
            done=done,
            total=total,
            table=ev.get("table"),
            model=ev.get("model"),
            **metrics,
        )

    def _say(self, stage: str, text: str, **fields: Any) -> None:
        if self.clock() < self.quiet_until:
            return
        if self.as_json:
            doc = {
                "event": "progress",
                "stage": stage,
                **{k: v for k, v in fields.items() if v is not None},
                "message": text,
                "level": "info",
                "timestamp": datetime.now(tz=UTC).isoformat().replace("+00:00", "Z"),
            }
            click.echo(json.dumps(doc, default=str), err=True)
        else:
            click.echo(f"{stage}: {text}", err=True)


def _of(done: int, total: int | None) -> str:
    return f"{done}/{total}" if total else str(done)


def configure_output(
    *, verbosity: int = 0, quiet: bool = False, as_json: bool = False, progress: bool = True
) -> tuple[Callable[[], None], ProgressHandler | None]:
    """Route SynthoHive's log events to stderr for one command: errors only (default and
    ``quiet``), info (``verbosity`` 1) or debug (2+), as text or JSON lines; with
    ``progress``, progress lines when stderr is no terminal. Returns a function that restores
    the previous set-up, and the progress handler (``None`` when there are no progress
    lines)."""
    from synthohive.log import configure
    from synthohive.plugins import _trace_enabled

    logger = logging.getLogger("synthohive")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    level = logging.ERROR if quiet or verbosity == 0 else logging.INFO
    if verbosity >= 2:
        level = logging.DEBUG
    if not quiet and level > logging.INFO and _trace_enabled():
        level = logging.INFO  # SYNTHOHIVE_TRACE_PLUGINS=1 should be visible
    configure(level, json=as_json)
    handler = None
    if progress and not quiet and level > logging.INFO and not stderr_is_terminal():
        handler = ProgressHandler(as_json=as_json)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def restore() -> None:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]

    return restore, handler


def _root_meta() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().meta if ctx is not None else {}


def remember(ctx: click.Context, *, quiet: bool, as_json: bool, progress: Any) -> None:
    """Keep the output settings of the root command for its sub-commands."""
    ctx.meta[_META_QUIET] = quiet
    ctx.meta[_META_JSON] = as_json
    ctx.meta[_META_PROGRESS] = progress


def is_quiet() -> bool:
    """Whether ``--quiet`` was given (only errors are printed)."""
    return bool(_root_meta().get(_META_QUIET, False))


def wants_json() -> bool:
    """Whether ``--log-format json`` was given."""
    return bool(_root_meta().get(_META_JSON, False))


def progress_flag() -> bool | None:
    """``progress=`` for the core: ``False`` with ``--quiet``, else ``None`` (bars on a
    terminal, progress lines otherwise)."""
    return False if is_quiet() else None


def expect(*, epochs: int | None = None, sample_tables: int | None = None) -> None:
    """Tell the progress lines the totals the log events do not carry."""
    handler = _root_meta().get(_META_PROGRESS)
    if isinstance(handler, ProgressHandler):
        handler.expect(epochs=epochs, sample_tables=sample_tables)


def say(message: str) -> None:
    """Print a status line on stdout unless ``--quiet``."""
    if not is_quiet():
        click.echo(message)


__all__ = [
    "DELAY",
    "INTERVAL",
    "STEP",
    "ProgressHandler",
    "configure_output",
    "expect",
    "is_quiet",
    "progress_flag",
    "remember",
    "say",
    "stderr_is_terminal",
    "wants_json",
]
