"""Fast-approval queue ("cơ chế xin ý kiến nhanh"): cases, deadlines, escalation, precedents."""
