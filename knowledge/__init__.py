"""Knowledge base: documents, versions and citation-keeping chunks; parsing and import."""
