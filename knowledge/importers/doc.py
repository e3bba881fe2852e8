"""Word 97 (.doc) files: LibreOffice converts them to .docx, which the .docx importer reads
(`knowledge.importers.parse_documents`). This runs where every importer runs, in the isolated
child process: LibreOffice inherits the child's memory cap, is stopped past
`convert_timeout_seconds` (and dies with the child if the child is killed), and the .docx it
writes meets the same unpacked-size and text caps.
Without LibreOffice on PATH the admin is told to save the file as .docx.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from core.errors import DomainError, ErrorCode
from knowledge.importers.limits import ImportLimits, too_large

NO_LIBREOFFICE = (
    "Máy chủ chưa cài LibreOffice nên chưa đọc được tệp .doc; hãy lưu lại thành .docx rồi gửi lại."
)


def converter() -> str | None:
    """The LibreOffice program on PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _die_with_parent() -> None:
    # Linux: if the isolated child is killed (its time or memory cap), LibreOffice goes too.
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def to_docx(data: bytes, filename: str, limits: ImportLimits) -> bytes:
    """Convert a .doc file's bytes to .docx bytes with LibreOffice, headless."""
    program = converter()
    if program is None:
        raise DomainError(ErrorCode.UNSUPPORTED_FILE, NO_LIBREOFFICE)
    with tempfile.TemporaryDirectory(prefix="troly-doc-") as tmp:
        folder = Path(tmp)
        source = folder / "input.doc"
        source.write_bytes(data)
        command = [
            program,
            # A profile of its own: a second conversion (or a desktop session) holding the
            # default profile's lock would make this one exit without converting.
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless", "--norestore", "--convert-to", "docx", "--outdir", str(folder / "out"),
            str(source),
        ]  # fmt: skip
        child = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": tmp},
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            child.wait(timeout=limits.convert_timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise too_large(
                filename, f"chuyển đổi .doc quá {int(limits.convert_timeout_seconds)} giây"
            ) from None
        output = folder / "out" / "input.docx"
        if child.returncode != 0 or not output.is_file():
            raise DomainError(
                ErrorCode.UNSUPPORTED_FILE,
                f"Không đọc được tệp Word “{filename}”: tệp hỏng hoặc không phải định dạng .doc.",
            )
        return output.read_bytes()
