"""Hostile files built on the fly for the import-limit tests."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def docx_bomb(megabytes: int = 99) -> bytes:
    """A valid .docx of a few hundred KB whose document.xml inflates to `megabytes` MB."""
    paragraph = f"<w:p><w:r><w:t>{'Điều khoản mẫu ' * 40}</w:t></w:r></w:p>"
    count = megabytes * 1024 * 1024 // len(paragraph.encode())
    body = paragraph * count
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", f"{document}{body}</w:body></w:document>")
    return buffer.getvalue()


async def bypass_audit_guard(session: AsyncSession) -> None:
    """Act as a database owner who switches triggers off for this transaction, to show that
    the signed anchors still catch what the append-only trigger would have refused."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL session_replication_role = replica"))
