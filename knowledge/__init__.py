"""Knowledge base: documents, versions and citation-keeping chunks; parsing and import.

- `normalize`: NFC + one tone-mark convention (`normalize`) and diacritics folding (`fold`),
  used identically at import and at query time.
- `chunking`: Vietnamese legal structure (Phần/Chương/Mục/Điều/khoản/điểm) -> cited windows.
- `importers`: .md/.txt (with `---` front matter), .docx, .pdf (text layer), .jsonl ->
  `ParsedDocument` without touching the database (`parse_file` for previews).
- `service`: versioned import (content hash), retire, precedents / good practice, starter seed;
  every change bumps `KnowledgeState.revision` and is audited. `queries`: read-only lookups.
- `starter/`: bundled SAMPLE documents (each province replaces them), imported on first run.
"""
