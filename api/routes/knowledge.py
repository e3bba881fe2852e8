"""Knowledge base: documents (list, read, upload-import, edit metadata, retire), index status
and reindex.

Reading is open to every signed-in role; changes are for admins. A change is committed before
the index is synced, so the upload's response already reflects a searchable document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from api.deps import (
    AdminUser,
    CtxDep,
    CurrentUser,
    PageDep,
    SessionDep,
    end_transaction,
    publish_to_search,
)
from api.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from api.schemas import Page
from core.errors import DomainError, ErrorCode
from core.inputs import Day, Id, Line
from core.knowledge import imports, staging
from core.knowledge.models import ImportJob, JobStatus
from knowledge import service as kb
from knowledge.importers import ACCEPTED_TYPES
from knowledge.models import Document, DocumentKind, Scope

router = APIRouter(prefix="/knowledge", tags=["knowledge"])


class VersionRead(BaseModel):
    """One imported text of a document (the text itself is not included)."""

    id: int
    number: int
    content_hash: str
    source_name: str
    is_current: bool
    created_at: datetime
    retired_at: datetime | None


class DocumentRead(BaseModel):
    """A document's metadata, its versions and how many passages are searchable."""

    id: int
    kind: str
    number: str | None
    title: str
    issuer: str | None
    issued_on: date | None
    effective_from: date | None
    expires_on: date | None
    scope: str
    scope_unit_id: int | None
    positions: list[str]
    retired_at: datetime | None
    updated_at: datetime
    active_chunks: int
    versions: list[VersionRead] = Field(default_factory=list)

    @classmethod
    def of(cls, doc: Document, active_chunks: int, with_versions: bool = True) -> DocumentRead:
        versions = [
            VersionRead(
                id=v.id,
                number=v.number,
                content_hash=v.content_hash,
                source_name=v.source_name,
                is_current=v.is_current,
                created_at=v.created_at,
                retired_at=v.retired_at,
            )
            for v in (doc.versions if with_versions else [])
        ]
        return cls(
            id=doc.id,
            kind=doc.kind,
            number=doc.number,
            title=doc.title,
            issuer=doc.issuer,
            issued_on=doc.issued_on,
            effective_from=doc.effective_from,
            expires_on=doc.expires_on,
            scope=doc.scope,
            scope_unit_id=doc.scope_unit_id,
            positions=[str(p) for p in doc.positions],
            retired_at=doc.retired_at,
            updated_at=doc.updated_at,
            active_chunks=active_chunks,
            versions=versions,
        )


class DocumentMetaIn(BaseModel):
    """Metadata to change; fields left out stay as they are, null clears one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"scope": "unit", "scope_unit_id": 12, "issuer": "UBND xã An Bình"},
                {"scope": "national", "expires_on": "2027-01-01"},
            ]
        }
    )

    number: Line | None = Field(default=None, max_length=100, description="Số hiệu")
    issuer: Line | None = Field(default=None, max_length=200, description="Cơ quan ban hành")
    issued_on: Day | None = Field(default=None, description="Ngày ban hành")
    effective_from: Day | None = Field(default=None, description="Hiệu lực từ")
    expires_on: Day | None = Field(
        default=None, description="Ngày hết hiệu lực (không còn áp dụng)"
    )
    scope: Scope | None = Field(default=None, description="Phạm vi áp dụng")
    scope_unit_id: Id | None = Field(default=None, description="Đơn vị (phạm vi tỉnh/đơn vị)")
    scope_unit: Line | None = Field(default=None, max_length=200, description="Hoặc tên đơn vị")
    positions: list[Line] | None = Field(
        default=None, max_length=100, description="Chức danh áp dụng; trống: mọi người"
    )

    def fields(self) -> dict[str, str | list[str]]:
        """The given fields as knowledge.update_metadata takes them ("" clears)."""
        out: dict[str, str | list[str]] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if isinstance(value, list):
                out[name] = [str(v) for v in value]
            elif isinstance(value, date):
                out[name] = value.isoformat()
            else:
                out[name] = "" if value is None else str(value)
        return out


class ChunkRead(BaseModel):
    """One searchable passage with its citation."""

    id: int
    ordinal: int
    citation: str
    heading: str
    text: str
    active: bool


class ImportOut(BaseModel):
    """What an upload did (or, for a preview, would do) to each document in the file."""

    document_id: int | None
    version_number: int | None
    status: str = Field(examples=["created"])
    title: str
    articles: int
    chunks: int


class IndexStatusOut(BaseModel):
    """Search mode, model, indexed passages and the revisions of index and database."""

    mode: Literal["hybrid", "lexical"]
    model: str | None
    indexed_chunks: int
    index_revision: int
    database_revision: int
    fresh: bool
    documents: int
    retired_documents: int
    active_chunks: int
    versions: int


@router.get("/documents", response_model=Page[DocumentRead], summary="Danh sách văn bản")
async def list_documents(
    session: SessionDep,
    _user: CurrentUser,
    page: PageDep,
    kind: DocumentKind | None = None,
    status: Annotated[Literal["active", "retired", "all"], Query()] = "active",
    search: Annotated[Line | None, Query(max_length=200, description="Tìm trong tiêu đề")] = None,
) -> Page[DocumentRead]:
    """Documents newest first; the title search ignores case and diacritics."""
    found = await kb.list_documents(
        session, kind=kind, status=status, search=search, limit=page.limit, offset=page.offset
    )
    counts = await kb.chunk_counts(session, document_ids=[d.id for d in found.items])
    return Page(
        items=[DocumentRead.of(d, counts[d.id], with_versions=False) for d in found.items],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/documents/{document_id}",
    response_model=DocumentRead,
    summary="Xem một văn bản và các phiên bản",
    responses=NOT_FOUND_RESPONSE,
)
async def get_document(document_id: Id, session: SessionDep, _user: CurrentUser) -> DocumentRead:
    """A document with its version history."""
    doc = await kb.get_document(session, document_id=document_id)
    counts = await kb.chunk_counts(session, document_ids=[doc.id])
    return DocumentRead.of(doc, counts[doc.id])


@router.get(
    "/documents/{document_id}/chunks",
    response_model=list[ChunkRead],
    summary="Các đoạn trích của văn bản",
    responses=NOT_FOUND_RESPONSE,
)
async def document_chunks(
    document_id: Id,
    session: SessionDep,
    _user: CurrentUser,
    version_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[ChunkRead]:
    """Passages of the current version (or of `version_id`) in document order."""
    await kb.get_document(session, document_id=document_id)
    rows = await kb.list_chunks(
        session, document_id=document_id, version_id=version_id, limit=limit
    )
    return [
        ChunkRead(
            id=c.id,
            ordinal=c.ordinal,
            citation=c.citation,
            heading=c.heading,
            text=c.text,
            active=c.active,
        )
        for c in rows
    ]


def upload_fields(
    kind: Annotated[DocumentKind | None, Form(description="Loại văn bản")] = None,
    scope: Annotated[Scope | None, Form(description="Phạm vi áp dụng")] = None,
    scope_unit: Annotated[
        Line | None, Form(max_length=200, description="Tên đơn vị (phạm vi tỉnh/đơn vị)")
    ] = None,
    scope_unit_id: Annotated[Id | None, Form(description="Hoặc mã đơn vị")] = None,
    positions: Annotated[
        Line | None, Form(max_length=2000, description="Chức danh áp dụng, cách nhau dấu phẩy")
    ] = None,
    number: Annotated[Line | None, Form(max_length=100, description="Số hiệu")] = None,
    issuer: Annotated[Line | None, Form(max_length=200, description="Cơ quan ban hành")] = None,
    issued_on: Annotated[Day | None, Form(description="Ngày ban hành")] = None,
    effective_from: Annotated[Day | None, Form(description="Hiệu lực từ")] = None,
    expires_on: Annotated[Day | None, Form(description="Ngày hết hiệu lực")] = None,
) -> dict[str, str]:
    """The metadata an upload may give over what the file says."""
    given = {
        "kind": kind, "scope": scope, "scope_unit": scope_unit, "scope_unit_id": scope_unit_id,
        "positions": positions, "number": number, "issuer": issuer, "issued_on": issued_on,
        "effective_from": effective_from, "expires_on": expires_on,
    }  # fmt: skip
    return {k: str(v) for k, v in given.items() if v is not None}


UploadFields = Annotated[dict[str, str], Depends(upload_fields)]
UploadFileField = Annotated[UploadFile, File(description=f"Một tệp {ACCEPTED_TYPES}")]


async def _stage(ctx: CtxDep, admin: AdminUser, file: UploadFile) -> tuple[str, str]:
    data = await file.read()
    if not data:
        raise DomainError(ErrorCode.INVALID, "Tệp tải lên trống.")
    filename = file.filename or "upload.txt"
    return await staging.stage(ctx.settings, data, filename, admin.id), filename


async def _submit(
    session: SessionDep,
    ctx: CtxDep,
    admin: AdminUser,
    file: UploadFile,
    fields: dict[str, str],
    *,
    run_here: bool,
) -> ImportJob:
    staged, filename = await _stage(ctx, admin, file)
    try:
        job = await imports.submit(
            session, ctx.settings, actor=admin, staged=staged, filename=filename,
            fields=fields, run_here=run_here,
        )  # fmt: skip
    except DomainError:
        staging.discard(ctx.settings, staged)
        raise
    # The edge owns the transaction: the job is committed before a worker looks for it.
    await end_transaction(session)
    return job


@router.post(
    "/documents",
    response_model=list[ImportOut],
    status_code=201,
    summary="Tải lên và nhập văn bản (quản trị)",
    description=f"Tệp {ACCEPTED_TYPES} (multipart, giới hạn TROLY_MAX_UPLOAD_BYTES). "
    "Nhập lại nội dung không đổi là không thao tác; nội dung đổi tạo phiên bản mới. "
    "`preview=true` chỉ phân tích, không lưu. Gửi kèm `Idempotency-Key` để gửi lại an toàn.",
    responses={
        413: {"description": "Tệp quá lớn hoặc giải nén vượt giới hạn (TROLY_IMPORT_*)."},
        415: {"description": "Định dạng tệp không được hỗ trợ."},
    },
)
async def upload_document(
    session: SessionDep,
    ctx: CtxDep,
    admin: AdminUser,
    file: UploadFileField,
    fields: UploadFields,
    preview: Annotated[bool, Form(description="Chỉ xem trước, không lưu")] = False,
) -> list[ImportOut]:
    """Parse the file and import every document in it (or only preview them); the fields
    given here override what the file says. The import is a job run while this waits."""
    if preview:  # version_number: the version each document would be at after importing
        staged, filename = await _stage(ctx, admin, file)
        try:
            parsed = await imports.read(ctx.settings, staged, admin.id, filename, fields)
        finally:
            staging.discard(ctx.settings, staged)
        return [
            ImportOut(
                document_id=None,
                version_number=(await kb.plan_import(session, d)).version_number,
                status="preview",
                title=d.title,
                articles=d.articles,
                chunks=len(d.chunks),
            )
            for d in parsed
        ]
    job = await _submit(session, ctx, admin, file, fields, run_here=True)
    ended = await imports.run_job(ctx.sessionmaker, ctx.settings, job.id, ctx.retriever.sync)
    if ended.job.status == JobStatus.FAILED:
        raise DomainError(ErrorCode[ended.job.error_code or "INVALID"], ended.job.error)
    return [
        ImportOut(
            document_id=r.document_id,
            version_number=r.version_number,
            status=r.status,
            title=r.title,
            articles=r.articles,
            chunks=r.chunks,
        )
        for r in ended.results
    ]


class ImportJobOut(BaseModel):
    """A background import: its state and counts (passages stored of those parsed)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: Literal["queued", "running", "done", "failed"]
    phase: Literal["waiting", "reading", "storing", "indexing", "ended"] = Field(
        description="Việc đang làm: chờ, đọc tệp, lưu vào kho, cập nhật chỉ mục tìm kiếm, xong"
    )
    filename: str
    documents_total: int
    documents_done: int
    articles_parsed: int
    chunks_total: int
    chunks_indexed: int
    outcome: dict[str, int] = Field(description="Số văn bản theo kết quả (created, ...)")
    document_id: int | None = Field(description="Văn bản nhập sau cùng")
    error: str | None
    created_at: datetime
    finished_at: datetime | None


@router.post(
    "/imports",
    response_model=ImportJobOut,
    status_code=202,
    summary="Nhập tệp lớn trong nền (quản trị)",
    description=f"Tệp {ACCEPTED_TYPES}: trả lời ngay với một lượt nhập; theo dõi bằng "
    "GET /knowledge/imports/{id} đến khi `status` là done hoặc failed.",
    responses={415: {"description": "Định dạng tệp không được hỗ trợ."}},
)
async def start_import(
    session: SessionDep, ctx: CtxDep, admin: AdminUser, file: UploadFileField, fields: UploadFields
) -> ImportJobOut:
    """Stage the file and queue its import; a background worker runs it."""
    job = await _submit(session, ctx, admin, file, fields, run_here=False)
    imports.start(ctx.sessionmaker, ctx.settings, ctx.retriever.sync)
    return ImportJobOut.model_validate(job)


@router.get(
    "/imports/{job_id}",
    response_model=ImportJobOut,
    summary="Tiến độ một lượt nhập (quản trị)",
    responses=NOT_FOUND_RESPONSE,
)
async def import_progress(job_id: Id, session: SessionDep, admin: AdminUser) -> ImportJobOut:
    """Counts so far, and the error in Vietnamese when it failed."""
    return ImportJobOut.model_validate(await imports.get_job(session, job_id=job_id, actor=admin))


@router.patch(
    "/documents/{document_id}",
    response_model=DocumentRead,
    summary="Sửa thông tin văn bản (quản trị)",
    description="Phạm vi, đơn vị, cơ quan ban hành, số hiệu, ngày và chức danh áp dụng. "
    "Được ghi nhật ký; tìm kiếm áp dụng ngay khi trả lời.",
    responses=NOT_FOUND_RESPONSE,
)
async def update_document(
    document_id: Id, data: DocumentMetaIn, session: SessionDep, ctx: CtxDep, admin: AdminUser
) -> DocumentRead:
    """Change a document's metadata; the search index follows before this answers."""
    await kb.update_metadata(session, document_id=document_id, fields=data.fields(), actor=admin)
    await publish_to_search(session, ctx)
    doc = await kb.get_document(session, document_id=document_id)
    counts = await kb.chunk_counts(session, document_ids=[doc.id])
    return DocumentRead.of(doc, counts[doc.id])


@router.post(
    "/documents/{document_id}/retire",
    response_model=DocumentRead,
    summary="Gỡ văn bản khỏi tìm kiếm (quản trị)",
    description="Các phiên bản vẫn được giữ để kiểm tra; gỡ lần hai trả về lỗi 409.",
    responses={**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE},
)
async def retire_document(
    document_id: Id, session: SessionDep, ctx: CtxDep, admin: AdminUser
) -> DocumentRead:
    """Take a document out of search."""
    doc = await kb.retire_document(session, document_id=document_id, actor=admin)
    out = DocumentRead.of(doc, 0)
    await publish_to_search(session, ctx)
    return out


async def _status(session: SessionDep, ctx: CtxDep) -> IndexStatusOut:
    index = ctx.retriever.status()
    stats = await kb.stats(session)
    return IndexStatusOut(
        mode=index.mode,
        model=index.model,
        indexed_chunks=index.chunks,
        index_revision=index.revision,
        database_revision=stats.revision,
        fresh=index.revision == stats.revision,
        documents=stats.documents,
        retired_documents=stats.retired_documents,
        active_chunks=stats.active_chunks,
        versions=stats.versions,
    )


@router.get("/status", response_model=IndexStatusOut, summary="Trạng thái chỉ mục tìm kiếm")
async def index_status(session: SessionDep, ctx: CtxDep, _user: CurrentUser) -> IndexStatusOut:
    """Mode (hybrid/lexical), model, passages indexed and whether the index is up to date."""
    return await _status(session, ctx)


@router.post(
    "/reindex",
    response_model=IndexStatusOut,
    summary="Đồng bộ lại chỉ mục (quản trị)",
    description="Đưa chỉ mục về khớp với cơ sở dữ liệu; gọi lại nhiều lần là an toàn.",
)
async def reindex(session: SessionDep, ctx: CtxDep, _admin: AdminUser) -> IndexStatusOut:
    """Bring the persisted index up to date with the database."""
    await publish_to_search(session, ctx)
    return await _status(session, ctx)
