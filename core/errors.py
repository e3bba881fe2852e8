"""One domain error type; each front translates it (HTTP status, polite Telegram reply)."""

from __future__ import annotations

from enum import Enum


class ErrorCode(Enum):
    """Error codes with their HTTP status and a default Vietnamese message."""

    NOT_FOUND = (404, "Không tìm thấy dữ liệu yêu cầu.")
    FORBIDDEN = (403, "Bạn không có quyền thực hiện thao tác này.")
    UNAUTHENTICATED = (401, "Cần đăng nhập hoặc mã truy cập hợp lệ.")
    INVALID = (422, "Dữ liệu gửi lên không hợp lệ.")
    CONFLICT = (409, "Thao tác xung đột với trạng thái hiện tại.")
    TOO_LARGE = (413, "Nội dung gửi lên quá lớn.")
    UNSUPPORTED_FILE = (415, "Định dạng tệp không được hỗ trợ.")
    RATE_LIMITED = (429, "Bạn thao tác quá nhanh, vui lòng thử lại sau ít phút.")
    UNAVAILABLE = (503, "Dịch vụ tạm thời chưa sẵn sàng, vui lòng thử lại sau.")

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def default_message(self) -> str:
        return self.value[1]


class DomainError(Exception):
    """Raised by services; `message` is Vietnamese and safe to show to the user."""

    def __init__(self, code: ErrorCode, message: str | None = None, **details: object) -> None:
        self.code = code
        self.message = message or code.default_message
        self.details = details
        super().__init__(self.message)


def not_found(what: str = "") -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"Không tìm thấy {what}." if what else None)


def forbidden(message: str | None = None) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, message)


def invalid(message: str, **details: object) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, **details)


def conflict(message: str, **details: object) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, message, **details)
