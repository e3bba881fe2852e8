"""Parse an untrusted file in a child process that is killed past a time or memory limit.

Every upload path (API, console, bot, CLI) parses through `parse_upload`: the event loop only
awaits a thread that waits on the child, so other requests keep being served, and a hostile
file costs at most `import_timeout_seconds` and `import_memory_mb` (RLIMIT_AS in the child)
before it is refused with a 413. The caps of `knowledge.importers.limits` apply inside the
child while it reads. The child is a fresh interpreter (`python -m` this module): forking a
process that runs threads (the web server, torch) is unsafe, and unlike multiprocessing's
spawn it does not re-run the parent's main script.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from core.errors import DomainError, ErrorCode
from knowledge.importers import ParsedDocument, parse_documents
from knowledge.importers.limits import ImportLimits, too_large

_ROOT = Path(__file__).resolve().parents[2]
_STEP_SECONDS = 0.25


@dataclass(frozen=True)
class _Job:
    source: bytes | str  # the file's bytes, or a path the child reads itself
    filename: str
    chunk_words: int
    chunk_step: int
    limits: ImportLimits
    memory_bytes: int


def _child_main() -> None:
    """In the child: read a job on stdin, cap the address space, parse, answer on stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's stray print must not corrupt the answer
    job: _Job = pickle.load(sys.stdin.buffer)
    import resource

    with contextlib.suppress(ValueError, OSError):  # no RLIMIT_AS: the timer still applies
        resource.setrlimit(resource.RLIMIT_AS, (job.memory_bytes, job.memory_bytes))
    outcome: tuple[object, ...]
    try:
        source = Path(job.source) if isinstance(job.source, str) else job.source
        documents = parse_documents(
            source,
            job.filename,
            chunk_words=job.chunk_words,
            chunk_step=job.chunk_step,
            limits=job.limits,
        )
        outcome = ("ok", documents)
    except DomainError as exc:
        outcome = ("error", exc.code.name, exc.message)
    except MemoryError:
        outcome = ("memory",)
    except Exception as exc:  # a parser bug on odd input refuses the file, not the service
        outcome = ("broken", type(exc).__name__)
    pickle.dump(outcome, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.close()


def parse_isolated(
    source: bytes | Path,
    filename: str,
    settings: Settings,
    abandon: threading.Event | None = None,
) -> list[ParsedDocument]:
    """Blocking: parse in a child process, wait at most the timeout, always reap the child."""
    job = _Job(
        source=str(Path(source).resolve()) if isinstance(source, Path) else source,
        filename=filename,
        chunk_words=settings.chunk_words,
        chunk_step=settings.chunk_step,
        limits=ImportLimits.of(settings),
        memory_bytes=settings.import_memory_mb * 1024 * 1024,
    )
    paths = [str(_ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    # The job goes in through a temporary file: communicate() cannot resume writing stdin after
    # a timeout, and it is retried every step to watch `abandon`.
    with tempfile.TemporaryFile() as job_file:
        pickle.dump(job, job_file, protocol=pickle.HIGHEST_PROTOCOL)
        job_file.seek(0)
        child = subprocess.Popen(
            [sys.executable, "-m", "knowledge.importers.isolated"],
            stdin=job_file,
            stdout=subprocess.PIPE,
            env=env,
        )
    deadline = time.monotonic() + settings.import_timeout_seconds
    outcome: tuple[object, ...] = ("timeout",)
    try:
        while True:
            try:
                answer, _ = child.communicate(timeout=_STEP_SECONDS)
                outcome = pickle.loads(answer) if answer else ("memory",)
                break
            except subprocess.TimeoutExpired:
                if abandon is not None and abandon.is_set():
                    raise DomainError(ErrorCode.UNAVAILABLE, "Đã dừng đọc tệp.") from None
                if time.monotonic() > deadline:
                    break
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    return _result(outcome, filename, settings)


def _result(outcome: tuple[object, ...], filename: str, settings: Settings) -> list[ParsedDocument]:
    kind = outcome[0]
    if kind == "ok":
        documents: list[ParsedDocument] = outcome[1]  # type: ignore[assignment]
        return documents
    if kind == "error":
        raise DomainError(ErrorCode[str(outcome[1])], str(outcome[2]))
    if kind == "broken":
        raise DomainError(
            ErrorCode.UNSUPPORTED_FILE,
            f"Không đọc được tệp “{filename}”: tệp hỏng hoặc không đúng định dạng.",
        )
    if kind == "timeout":
        raise too_large(filename, f"đọc quá {int(settings.import_timeout_seconds)} giây")
    # The child died without an answer: the memory cap killed it.
    raise too_large(filename, f"cần quá {settings.import_memory_mb} MB bộ nhớ")


async def parse_upload(
    source: bytes | Path, filename: str, settings: Settings
) -> list[ParsedDocument]:
    """Parse off the event loop, in a killable child; cancelling the caller kills the child."""
    abandon = threading.Event()
    try:
        return await asyncio.to_thread(parse_isolated, source, filename, settings, abandon)
    except asyncio.CancelledError:
        abandon.set()
        raise


if __name__ == "__main__":
    _child_main()
