"""Core banking (ComprehensiveWekezaApi, PostgreSQL): customers, accounts, transactions, loans."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from connectors._common import BuildsRecords, Fields, StreamQuery, TimestampConnector
from connectors.base import Stream
from connectors.records import (
    AccountRecord,
    CustomerRecord,
    LoanRecord,
    Record,
    TransactionRecord,
)

# What "ProcessedBy" holds when it names a channel; anything else is a teller's user name.
CHANNELS = frozenset({"BRANCH", "MOBILE", "ATM", "USSD", "INTERNET", "AGENT"})


class CoreConnector(BuildsRecords, TimestampConnector):
    source_system = "core"
    streams = (
        Stream("customers", "customer"),
        Stream("accounts", "account"),
        Stream("transactions", "transaction"),
        Stream("loans", "loan"),
    )
    queries = {
        "customers": StreamQuery(
            columns='"Id", "CustomerNumber", "FirstName", "MiddleName", "LastName", "Email", '
            '"IdentificationNumber", "DateOfBirth", "Gender", "PrimaryPhone", "SecondaryPhone", '
            '"Status", "KYCStatus", "CreatedAt", "UpdatedAt"',
            source='"Customers"',
            marker='"UpdatedAt"',
            key='"Id"',
        ),
        "accounts": StreamQuery(
            columns='"Id", "AccountNumber", "CustomerId", "AccountType", "Currency", "Balance", '
            '"AvailableBalance", "Status", "IsClosed", "ClosedAt", "CreatedAt", "UpdatedAt"',
            source='"Accounts"',
            marker='"UpdatedAt"',
            key='"Id"',
        ),
        # Transactions carry only their account; the join names the owning customer.
        "transactions": StreamQuery(
            columns='t."Id", t."AccountId", a."CustomerId", t."Type", t."Amount", t."Currency", '
            't."Status", t."Reference", t."Description", t."ProcessedAt", t."ProcessedBy"',
            source='"Transactions" t JOIN "Accounts" a ON a."Id" = t."AccountId"',
            marker='t."ProcessedAt"',
            key='t."Id"',
        ),
        "loans": StreamQuery(
            columns='"Id", "LoanNumber", "CustomerId", "AccountId", "PrincipalAmount", '
            '"OutstandingBalance", "InterestRate", "TermInMonths", "Currency", "Status", '
            '"DisbursedAt", "MaturityDate", "CreatedAt", "UpdatedAt"',
            source='"Loans"',
            marker='"UpdatedAt"',
            key='"Id"',
        ),
    }

    def builders(self) -> Mapping[str, Callable[[Fields], Record]]:
        return _TRANSFORMS


def _customer(f: Fields) -> CustomerRecord:
    names = (f.text("FirstName"), f.text("MiddleName"), f.text("LastName"))
    full_name = " ".join(n.strip() for n in names if n and n.strip())
    return CustomerRecord(
        source_system="core",
        source_customer_id=f.key("Id"),
        full_name=full_name or None,
        national_id=f.text("IdentificationNumber"),
        phone=f.text("PrimaryPhone"),
        email=f.text("Email"),
        date_of_birth=f.date("DateOfBirth"),
        is_active=(f.text("Status") or "").strip().lower() == "active",
        created_at=f.timestamp("CreatedAt"),
        updated_at=f.timestamp_req("UpdatedAt"),
        business_key=f.key("CustomerNumber"),
        secondary_phone=f.text("SecondaryPhone"),
        gender=f.text("Gender"),
        kyc_status=(f.text("KYCStatus") or "").strip().lower() or None,
    )


def _account(f: Fields) -> AccountRecord:
    return AccountRecord(
        source_system="core",
        source_account_id=f.key("Id"),
        source_customer_id=f.key("CustomerId"),
        account_number=f.text("AccountNumber"),
        account_type=f.text("AccountType"),
        currency=f.currency("Currency"),
        balance=f.decimal_req("Balance"),
        available_balance=f.decimal("AvailableBalance"),
        status=f.key("Status"),
        is_closed=f.boolean("IsClosed"),
        closed_at=f.timestamp("ClosedAt"),
        opened_at=f.timestamp("CreatedAt"),
        updated_at=f.timestamp_req("UpdatedAt"),
    )


def _transaction(f: Fields) -> TransactionRecord:
    written = f.key("Type").strip()
    # 'Credit' or 'Debit'; another type lands with its direction UNKNOWN and its text kept
    kind = written.upper() if written.upper() in ("CREDIT", "DEBIT") else "UNKNOWN"
    return TransactionRecord(
        source_system="core",
        source_transaction_id=f.key("Id"),
        source_account_id=f.key("AccountId"),
        source_customer_id=f.key("CustomerId"),
        reference=f.text("Reference"),
        amount=f.decimal_req("Amount"),
        currency=f.currency("Currency"),
        type=kind,
        channel=channel_of(f.text("ProcessedBy")),
        status=f.text("Status"),
        description=f.text("Description"),
        occurred_at=f.timestamp_req("ProcessedAt"),
        source_type=written,
    )


def channel_of(processed_by: str | None) -> str:
    """The posting channel: a named channel as is, a teller's user name is BRANCH, NULL is OTHER."""
    if processed_by is None or not processed_by.strip():
        return "OTHER"
    name = processed_by.strip().upper()
    return name if name in CHANNELS else "BRANCH"


def _loan(f: Fields) -> LoanRecord:
    return LoanRecord(
        source_system="core",
        source_loan_id=f.key("Id"),
        source_customer_id=f.key("CustomerId"),
        source_account_id=f.text("AccountId"),
        loan_number=f.text("LoanNumber"),
        principal_amount=f.decimal_req("PrincipalAmount"),
        outstanding_balance=f.decimal("OutstandingBalance"),
        interest_rate=f.decimal("InterestRate"),
        term_months=f.integer("TermInMonths"),
        currency=f.currency("Currency"),
        status=f.key("Status"),
        disbursed_at=f.timestamp("DisbursedAt"),
        maturity_date=f.timestamp("MaturityDate"),
        created_at=f.timestamp("CreatedAt"),
        updated_at=f.timestamp_req("UpdatedAt"),
    )


_TRANSFORMS: dict[str, Callable[[Fields], Record]] = {
    "customer": _customer,
    "account": _account,
    "transaction": _transaction,
    "loan": _loan,
}
