"""The canonical record shapes every connector turns its source rows into.

Records carry source keys as text and times as aware UTC datetimes; identifiers are raw as read
(normalization belongs to identity resolution, so the raw value stays available for display).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class CustomerRecord:
    source_system: str
    source_customer_id: str
    full_name: str | None
    national_id: str | None
    phone: str | None
    email: str | None
    date_of_birth: date | None
    is_active: bool
    created_at: datetime | None
    updated_at: datetime
    business_key: str | None = None  # what other systems call this person (core CustomerNumber)
    secondary_phone: str | None = None  # a second number on file (core "SecondaryPhone")
    gender: str | None = None  # as the source wrote it (core "Gender": 'Male', 'F', ...)
    # the business this person is a director (signatory) of (dfs users.business_id)
    source_business_id: str | None = None
    business_name: str | None = None
    kyc_status: str | None = None  # as the source states it (core KYCStatus, global kyc_status)


@dataclass(frozen=True)
class AccountRecord:
    source_system: str
    source_account_id: str
    source_customer_id: str | None  # None for a business's account (see source_business_id)
    account_number: str | None
    account_type: str | None
    currency: str
    balance: Decimal
    available_balance: Decimal | None
    status: str
    is_closed: bool
    closed_at: datetime | None
    opened_at: datetime | None
    updated_at: datetime
    # a business's account, shown to its directors (a dfs business wallet)
    source_business_id: str | None = None
    business_name: str | None = None


@dataclass(frozen=True)
class TransactionRecord:
    source_system: str
    source_transaction_id: str
    source_account_id: str
    source_customer_id: str | None  # None on a business's account (see source_business_id)
    reference: str | None
    amount: Decimal
    currency: str
    # CREDIT | DEBIT | NONE (a request that moves no money) | UNKNOWN (a type no rule knows yet)
    type: str
    channel: str  # BRANCH, MOBILE, ATM, USSD, INTERNET, AGENT, OTHER
    status: str | None
    description: str | None
    occurred_at: datetime
    source_type: str | None = None  # the source's own type, as written
    source_business_id: str | None = None  # on a business's account


@dataclass(frozen=True)
class LoanRecord:
    source_system: str
    source_loan_id: str
    source_customer_id: str
    source_account_id: str | None
    loan_number: str | None
    principal_amount: Decimal
    outstanding_balance: Decimal | None
    interest_rate: Decimal | None
    term_months: int | None
    currency: str
    status: str
    disbursed_at: datetime | None
    maturity_date: datetime | None
    created_at: datetime | None
    updated_at: datetime
    # a business loan: booked on its director's record, taken for the business
    source_business_id: str | None = None
    business_name: str | None = None


@dataclass(frozen=True)
class LoginRecord:
    source_system: str
    source_session_id: str
    source_customer_id: str
    login_at: datetime
    last_activity: datetime | None
    device_id: str | None
    ip_address: str | None
    user_agent: str | None
    session_mode: str | None


@dataclass(frozen=True)
class AlertRecord:
    source_system: str
    source_alert_id: str
    source_customer_id: str | None
    alert_type: str
    severity: str
    status: str  # upper case; open unless RESOLVED, FALSE_POSITIVE or CLOSED
    device_id: str | None
    raised_at: datetime
    resolved_at: datetime | None
    observed_at: datetime  # when read: alerts change in place, the latest read wins
    acknowledged_at: datetime | None = None


@dataclass(frozen=True)
class FraudCaseRecord:
    source_system: str
    source_case_id: str
    customer_number: str  # core "CustomerNumber"
    transaction_reference: str | None  # core "Transactions"."Reference"
    amount: Decimal | None
    currency: str | None
    merchant_name: str | None
    transaction_type: str | None
    risk_score: float
    risk_level: str
    status: str
    flagged_reason: str | None
    opened_at: datetime
    updated_at: datetime
    observed_at: datetime  # when read: updated_at runs on an unknown clock, the latest read wins


@dataclass(frozen=True)
class CreditDecisionRecord:
    """A credit decision at a loan application (dfs risk_scores)."""

    source_system: str
    source_decision_id: str
    source_customer_id: str
    credit_score: int | None
    decision: str | None  # APPROVED, REJECTED, ... as written (upper case)
    decided_at: datetime | None


@dataclass(frozen=True)
class PaymentRecord:
    """An outbound payment and the payment engine's risk score (openbanking payments)."""

    source_system: str
    source_payment_id: str
    source_customer_id: str | None
    source_account_id: str | None
    payment_ref: str | None
    amount: Decimal
    currency: str
    status: str  # upper case
    risk_score: float | None
    created_at: datetime
    completed_at: datetime | None
    observed_at: datetime  # when read: completion moves no marker, the latest read wins


@dataclass(frozen=True)
class AmlAlertRecord:
    """An anti-money-laundering alert on a transaction (global aml_alerts)."""

    source_system: str
    source_alert_id: str
    source_customer_id: str | None
    source_transaction_id: str | None
    alert_type: str
    severity: str  # upper case
    status: str  # upper case: PENDING until RESOLVED
    raised_at: datetime
    observed_at: datetime  # when read: resolution moves no marker, the latest read wins


Record = (
    CustomerRecord
    | AccountRecord
    | TransactionRecord
    | LoanRecord
    | LoginRecord
    | AlertRecord
    | FraudCaseRecord
    | CreditDecisionRecord
    | PaymentRecord
    | AmlAlertRecord
)

ENTITY_OF: dict[type, str] = {
    CustomerRecord: "customer",
    AccountRecord: "account",
    TransactionRecord: "transaction",
    LoanRecord: "loan",
    LoginRecord: "login",
    AlertRecord: "alert",
    FraudCaseRecord: "fraud_case",
    CreditDecisionRecord: "credit_decision",
    PaymentRecord: "payment",
    AmlAlertRecord: "aml_alert",
}


class RecordError(ValueError):
    """A source row that cannot become a canonical record; it is quarantined with this reason."""
