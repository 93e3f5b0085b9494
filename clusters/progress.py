"""Progress lines for long steps: one line when a step starts, a tick or a cross with its duration."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


class StepFailed(RuntimeError):
    """A named step failed; the cause is chained."""

    def __init__(self, name: str, cause: BaseException) -> None:
        self.step = name
        super().__init__(f"step '{name}' failed: {cause}")


@dataclass
class StepRecord:
    name: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Progress:
    """Prints step progress to a stream and keeps a record of every step."""

    stream: object = field(default_factory=lambda: sys.stderr)
    records: list[StepRecord] = field(default_factory=list)

    def say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)  # type: ignore[arg-type]

    @contextmanager
    def step(self, name: str) -> Iterator[StepRecord]:
        """Run a block as a named step. Failure is the default until the block finishes."""
        self.say(f" • {name} ...")
        record = StepRecord(name, 0.0, False)
        start = time.monotonic()
        try:
            yield record
        except BaseException as err:
            record.seconds = time.monotonic() - start
            self.records.append(record)
            first_line = str(err).splitlines()[0] if str(err) else ""
            self.say(f" ✗ {name} ({record.seconds:.1f} s): {type(err).__name__}: {first_line}")
            if isinstance(err, StepFailed | KeyboardInterrupt | SystemExit):
                raise
            raise StepFailed(name, err) from err
        record.seconds = time.monotonic() - start
        record.ok = True
        self.records.append(record)
        suffix = f", {record.detail}" if record.detail else ""
        self.say(f" ✓ {name} ({record.seconds:.1f} s{suffix})")
