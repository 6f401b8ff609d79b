"""run-payroll's request and response models, and the W-4 payload it reads from employees.tax_info.

Requests (exactly one shape per body; unknown fields are refused):
    RunRequest     {organization_id, period_start, period_end, pay_date?, dry_run?, kind?}
    ActionRequest  {action: approve | mark_paid | void, payroll_run_id}
    DueRequest     {due: true, as_of?}                       (service only: the scheduler)
    PayoutRequest  {agency_id, period_start, period_end}     (OnyxOS payout calculation)
Money leaves as decimal strings with two places; it is Decimal inside, never float.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, RootModel, model_validator

Money = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")]
Hours = Annotated[
    Decimal, PlainSerializer(lambda d: format(d.normalize(), "f"), return_type=str, when_used="json")
]
NonNegativeAmount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]

_STRICT = ConfigDict(extra="forbid", defer_build=True)
BIGINT_MAX = 2**63 - 1  # ids are bigint: a larger number would reach the RPC as numeric (no such function)


class _Period(BaseModel):
    model_config = _STRICT

    period_start: date
    period_end: date

    @model_validator(mode="after")
    def _ordered(self) -> _Period:
        if self.period_end < self.period_start:
            raise ValueError("period_end must be on or after period_start")
        if (self.period_end - self.period_start).days > 31:
            raise ValueError("a pay period is at most 31 days")
        return self


class RunRequest(_Period):
    """Calculate (or recalculate) the run of an organization and period; `dry_run` writes nothing."""

    organization_id: int = Field(gt=0, le=BIGINT_MAX)
    pay_date: date | None = None
    dry_run: bool = False
    kind: Literal["regular", "off_cycle"] = "regular"

    @model_validator(mode="after")
    def _pay_after_period(self) -> RunRequest:
        if self.pay_date is not None and self.pay_date < self.period_end:
            raise ValueError("pay_date cannot be before period_end")
        return self


class ActionRequest(BaseModel):
    """Move a run along its lifecycle."""

    model_config = _STRICT

    action: Literal["approve", "mark_paid", "void"]
    payroll_run_id: int = Field(gt=0, le=BIGINT_MAX)


class DueRequest(BaseModel):
    """The scheduler: prepare the draft runs of every organization whose pay period has ended."""

    model_config = _STRICT

    due: Literal[True]
    as_of: date | None = None


class PayoutRequest(_Period):
    """Calculate an OnyxOS payout run for an agency."""

    agency_id: UUID


class PayrollRequest(RootModel[RunRequest | ActionRequest | DueRequest | PayoutRequest]):
    """Any run-payroll request body."""

    model_config = ConfigDict(defer_build=True)


class EmployeeIssue(BaseModel):
    """A validation error that held an employee out of the run."""

    employee_id: int
    reason: str
    message: str | None = None
    time_entry_id: int | None = None


class SkippedEmployee(BaseModel):
    """An employee with nothing to pay in the period, and why."""

    employee_id: int
    reason: str


class PaystubPreview(BaseModel):
    """One stub as a dry run would write it."""

    model_config = ConfigDict(extra="ignore")

    employee_id: int
    worker_type: Literal["employee", "contractor"]
    regular_hours: Hours
    overtime_hours: Hours
    double_time_hours: Hours
    regular_pay: Money
    overtime_pay: Money
    double_time_pay: Money
    salary_pay: Money
    gross_pay: Money
    federal_income_tax: Money
    social_security_tax: Money
    medicare_tax: Money
    additional_medicare_tax: Money
    other_deductions: Money
    net_pay: Money
    ytd_gross_pay: Money
    ytd_net_pay: Money
    details: dict[str, Any]


class RunResult(BaseModel):
    """The answer to a RunRequest (and each run the scheduler prepared)."""

    model_config = ConfigDict(extra="ignore")

    payroll_run_id: int | None
    status: str
    kind: str
    dry_run: bool
    period_start: date
    period_end: date
    pay_date: date
    employees_processed: int
    paystubs_created: int
    total_gross: Money
    total_net: Money
    total_amount: Money
    total_employee_taxes: Money
    total_employer_taxes: Money
    period_alignment: str
    overtime_rules: str
    errors: list[EmployeeIssue]
    skipped: list[SkippedEmployee]
    paystubs: list[PaystubPreview] | None = None


class ActionResult(BaseModel):
    """The run after a lifecycle action."""

    model_config = ConfigDict(extra="ignore")

    payroll_run_id: int
    status: str
    kind: str
    period_start: date
    period_end: date
    pay_date: date
    employees_processed: int
    paystubs_created: int
    total_gross: Money
    total_net: Money
    total_amount: Money
    time_entries_locked: int
    time_entries_released: int
    errors: list[EmployeeIssue]


class DueResult(BaseModel):
    """What the scheduler did: runs created, periods already prepared, organizations that failed."""

    model_config = ConfigDict(extra="ignore")

    as_of: date
    created: list[dict[str, Any]]
    already_prepared: list[dict[str, Any]]
    failed: list[dict[str, Any]]


class PayoutResult(BaseModel):
    """An OnyxOS payout run as calculated."""

    model_config = ConfigDict(extra="ignore")

    payout_run_id: UUID
    agency_id: UUID
    period_start: date
    period_end: date
    status: str
    currency: str
    total_payout: Money


class W4(BaseModel):
    """Form W-4 (2020 or later) as stored in employees.tax_info.w4; amounts are non-negative decimals."""

    model_config = ConfigDict(extra="ignore")

    filing_status: Literal[
        "single", "married_filing_jointly", "head_of_household", "married_filing_separately"
    ]
    step2_checkbox: bool = False
    step3_amount: NonNegativeAmount = Decimal(0)
    step4a_other_income: NonNegativeAmount = Decimal(0)
    step4b_deductions: NonNegativeAmount = Decimal(0)
    step4c_extra_withholding: NonNegativeAmount = Decimal(0)

    @property
    def withholding_status(self) -> str:
        """The table a status is withheld by: married filing separately uses the single rows."""
        return "single" if self.filing_status == "married_filing_separately" else self.filing_status


class TaxInfo(BaseModel):
    """employees.tax_info: the W-4 plus two flags (an employee exempt from withholding needs no W-4)."""

    model_config = ConfigDict(extra="ignore")

    w4: W4 | None = None
    flsa_exempt: bool = False
    exempt_from_withholding: bool = False

    @model_validator(mode="after")
    def _w4_needed(self) -> TaxInfo:
        if self.w4 is None and not self.exempt_from_withholding:
            raise ValueError("missing W-4 data (tax_info.w4)")
        return self
