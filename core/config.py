"""All settings in one typed object, read from TROLY_* environment variables or `.env`."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide configuration. Pass it in; nothing else reads os.environ."""

    model_config = SettingsConfigDict(
        env_prefix="TROLY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage -------------------------------------------------------------
    data_dir: Path = Path("./data")
    # Empty means a SQLite file inside data_dir.
    database_url: str = ""
    # Built/cached embedding models; empty means data_dir/models.
    models_dir: Path | None = None

    # --- retrieval -----------------------------------------------------------
    embedding_model: str = "intfloat/multilingual-e5-small"
    # "auto": bfloat16 where the CPU has native bf16 instructions (~3x faster, same rankings on
    # the dev set: benchmarks/README.md), float32 elsewhere.
    embedding_dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    # Encoder batch size when indexing (chunks per forward pass).
    embedding_batch_size: int = 32
    # Torch threads for batch encoding (indexing); 0 means every core this process may use.
    # Set 1 on hosts shared with other busy processes: oversubscribed threads run 3-5x slower.
    # Single questions always encode on one thread.
    embedding_threads: int = 0
    # Words per chunk window and step between windows for long articles.
    chunk_words: int = 150
    chunk_step: int = 110
    # Weight of the dense score in min-max score fusion (0 = lexical only, 1 = dense only).
    # 0.5: with syllable+compound BM25 both engines are about as strong; 0.4-0.5 is a plateau
    # on the development set (benchmarks/README.md). Unaccented questions use BM25 only.
    dense_weight: float = 0.5
    # Candidates taken from each engine before fusion (more = better recall, ~1 ms each 50).
    candidates: int = 100
    # First-stage articles the reranker reorders (0 or 1: no reranking).
    rerank_depth: int = 30
    # Pinpointing the answering clause also compares meanings (encodes the top article's
    # clauses per question, tens of milliseconds); off, it compares words only. Off by default:
    # on the labelled clause set it changed no answer (benchmarks/README.md).
    pinpoint_dense: bool = False
    # Passages shown to a user per answer.
    answer_passages: int = 3
    # Calibrated confidence below this raises the "not covered" (novel situation) flag. The
    # trade-off (not-covered questions flagged vs right answers flagged) is in
    # benchmarks/README.md; 0.6 flags 91 % of the novelty protocol's uncovered questions while
    # flagging fewer than 1 in 10 right answers.
    novel_threshold: float = 0.6
    # After a knowledge-base change a search waits at most this long for the index to catch up
    # (a small import is then seen at once); past it, the search is answered from the last
    # consistent index and /readyz and /metrics report the lag until the catch-up ends.
    index_wait_seconds: float = 2.0

    # --- telegram bot --------------------------------------------------------
    bot_token: SecretStr | None = None
    telegram_api: str = "https://api.telegram.org"
    # Webhook mode is used when webhook_url is set; the secret guards the endpoint.
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    # Where this process listens for webhook calls (put a TLS reverse proxy in front of it).
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8081
    # Redis for conversation state, rate limits, idempotency records and locks when set, so
    # several processes share them; the database and process memory otherwise (core/shared).
    redis_url: str = ""
    # Prefix of every key this installation writes to Redis (several may share one server).
    redis_prefix: str = "troly"
    # Log lines as text or as one JSON object each (for a log collector); both carry the id
    # of the request or Telegram update being handled.
    log_format: Literal["text", "json"] = "text"
    # Longest question or other free text accepted from any front (bot, console, API).
    max_text_chars: int = 3000
    # Longest answer to a case (supervisors cite and quote, so it is longer than a question).
    max_answer_chars: int = 4000
    # Messages per user per window; over it a message waits its turn (up to one more window,
    # the user is told) or, past that, is refused with a reply saying when to send it again.
    rate_limit_per_minute: int = 20
    rate_limit_window_seconds: float = 60.0
    # How long a replica's turn on a chat (bot/ordering.py) outlives it when it dies mid-update:
    # the chat's next updates wait at most this long. Renewed while the update runs.
    bot_update_lease_seconds: float = 30.0

    # --- api / web -----------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Largest accepted request body (uploads included), in bytes.
    max_upload_bytes: int = 20 * 1024 * 1024
    # Signs web session cookies and keys login-code hashes. Empty: a random key is generated
    # once and kept in data_dir/secret_key, so no installation runs on a known default.
    secret_key: SecretStr | None = None
    # The bot's @username, for t.me deep links in invitations (CLI, API, web); empty = unknown.
    bot_username: str = ""
    # Caps on one imported file (every upload path, CLI included), checked while it is read so
    # a zip bomb is refused with a 413 long before it fills memory or the database.
    import_max_unpacked_bytes: int = 64 * 1024 * 1024  # bytes inflated from a .docx
    import_max_chars: int = 3_000_000  # characters of text (a large code is ~1 million)
    import_max_chunks: int = 10_000  # passages per document
    import_max_pages: int = 2_000  # PDF pages
    # Parsing runs in a child process killed past these (address-space cap via RLIMIT_AS).
    import_timeout_seconds: float = 60.0
    import_memory_mb: int = 1024
    # Largest accepted non-upload (JSON/form) body, in bytes; over-long bodies get 413.
    max_json_bytes: int = 1024 * 1024
    # API requests per user per minute (token bucket, per process) before 429.
    api_rate_limit_per_minute: int = 600
    # Web console: lifetime of a one-time login code sent by the bot, and of a signed-in session.
    web_login_code_minutes: int = 10
    web_session_hours: int = 12

    # --- fast-approval queue -------------------------------------------------
    office_start: str = "07:30"
    office_end: str = "17:00"
    # Lunch break inside office hours (not counted); set both empty for none.
    office_break_start: str = "11:30"
    office_break_end: str = "12:30"
    timezone: str = "Asia/Ho_Chi_Minh"
    # Optional holidays override, one date a line: `YYYY-MM-DD` adds a day off, `-YYYY-MM-DD`
    # removes one; the days off themselves come from the `holidays` package.
    holidays_file: Path | None = None
    # Working hours allowed per urgency before a case climbs one level up the ladder.
    sla_hours_urgent: float = 4.0
    sla_hours_normal: float = 17.0  # two working days of 8.5 office hours
    # Cosine similarity above which two open cases are linked as near-duplicates.
    duplicate_similarity: float = 0.92
    # Seconds between outbox delivery / deadline sweeps.
    worker_interval_seconds: float = 5.0
    # Minutes between signed audit anchors (data_dir/audit_anchors.jsonl, also sent to admins);
    # one is written only when the log has grown since the last.
    audit_anchor_minutes: float = 60.0
    # Outbox retry backoff: first delay and cap, in seconds (doubling per failed attempt).
    outbox_backoff_seconds: float = 5.0
    outbox_backoff_max_seconds: float = 3600.0
    # A worker's claim on a message it is sending; another worker may retry after this.
    outbox_lease_seconds: float = 120.0

    # --- initiatives ---------------------------------------------------------
    evaluators_per_initiative: int = 2
    # Spread (max-min of weighted totals, on a 0-100 scale) that flags disagreement.
    disagreement_threshold: float = 20.0
    # Working hours an evaluator has to score an assigned initiative (10 working days of 8.5 h).
    evaluation_sla_hours: float = 85.0
    # Cosine similarity (multilingual-e5, symmetric "query:" prompts) above which another
    # initiative is shown as similar on submission. Measured: paraphrased initiatives
    # 0.92-0.93, unrelated ones 0.83-0.88.
    initiative_similarity: float = 0.9
    # Same, for the lexical fallback used when no embedding model is available (0..1).
    initiative_lexical_similarity: float = 0.3
    # How many similar initiatives are shown at most.
    initiative_similar_limit: int = 5

    # --- derived -------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'troly.db').resolve()}"

    @property
    def resolved_models_dir(self) -> Path:
        """Where embedding models are built and cached."""
        return self.models_dir or (self.data_dir / "models")

    @property
    def index_dir(self) -> Path:
        """Where the persisted search index lives."""
        return self.data_dir / "index"

    def signing_key(self) -> bytes:
        """The configured secret key, or this installation's generated one."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"secret_key.{secrets.token_hex(8)}.tmp")
            tmp.write_text(secrets.token_urlsafe(48), encoding="ascii")
            tmp.chmod(0o600)
            # link() fails if the key exists: concurrent first starts all keep the first key.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
            tmp.unlink()
        return path.read_text(encoding="ascii").strip().encode()

    def ensure_dirs(self) -> None:
        """Create the data directories this process writes to."""
        for path in (self.data_dir, self.resolved_models_dir, self.index_dir):
            path.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
