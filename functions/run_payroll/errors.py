"""run-payroll's errors, in the runtime's tree; each carries a machine-readable `reason` in the body.

RequestValidationError-like (422)  PayrollInputError      bad period, settings, W-4 year tables, ...
ForbiddenError (403)               PayrollForbiddenError  a member who is not owner/admin
NotFoundError (404)                PayrollNotFoundError   unknown (or invisible) organization or run
ConflictError (409)                PayrollConflictError   approved runs, lifecycle transitions, locks
"""

from __future__ import annotations

from shared.errors import ConflictError, ForbiddenError, NotFoundError, OdysseyError


class PayrollInputError(OdysseyError):
    """The request is well-formed but payroll cannot run with it (period, settings, missing tax tables)."""

    status = 422
    code = "payroll-invalid"
    title = "Payroll input is invalid"

    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(detail, extra={"reason": reason})


class PayrollForbiddenError(ForbiddenError):
    """The caller belongs to the organization but may not run payroll."""

    def __init__(self, detail: str, *, reason: str = "forbidden") -> None:
        super().__init__(detail, extra={"reason": reason})


class PayrollNotFoundError(NotFoundError):
    """The organization, employee or run does not exist for this caller."""

    def __init__(self, detail: str, *, reason: str = "not_found") -> None:
        super().__init__(detail, extra={"reason": reason})


class PayrollConflictError(ConflictError):
    """The run's state does not allow this (approved runs are immutable, wrong transition, locked entry)."""

    def __init__(self, detail: str, *, reason: str = "conflict") -> None:
        super().__init__(detail, extra={"reason": reason})
