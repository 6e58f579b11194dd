"""The first core banking system (Wekeza v1-Core, PostgreSQL `WekezaCoreDB`): customers,
accounts, transactions, loans.

What its code writes, and how it is read:
- `"Accounts"` holds the live balance, updated in place with `"UpdatedAt"` (timestamptz) on
  every movement; `"Balances"` is a stale snapshot only seed scripts write, so it is not read.
- `"Transactions"` is insert-only (`"CreatedAt"`, a plain timestamp the code fills with UTC);
  `"Amount"` is always positive and the direction lives in `"TransactionType"` — for a
  `Transfer`, only in the description ('Transfer to …' / 'Transfer from …').
- `"Customers"` is never updated; `"UpdatedAt"` is the insert time. A missing email was written
  as `<32 hex>@vif.local` and a missing phone as '': neither identifies anyone.
- Plain timestamps are UTC as written (`C360_SOURCE_CORE_V1_TIMEZONE` if the server differs).
Secrets: `"Users"."PasswordHash"` is never selected (staff logins are not read at all).
"""

from __future__ import annotations

import re
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

# What VIF writes when a customer registers without an email: the customer's Id as 32 hex.
_PLACEHOLDER_EMAIL = re.compile(r"^[0-9a-f]{32}@vif\.local$", re.IGNORECASE)

# TransactionType -> direction. Transfer is decided by its description; CardService and
# LoanService are service requests (amount 0) and move no money: their direction is NONE.
DIRECTIONS = {
    "DEPOSIT": "CREDIT",
    "CHEQUEDEPOSIT": "CREDIT",
    "CASHDEPOSIT": "CREDIT",
    "WITHDRAWAL": "DEBIT",
    "CASHWITHDRAWAL": "DEBIT",
    "PAYMENT": "DEBIT",
    "INVESTMENT": "DEBIT",
    "CARDSERVICE": "NONE",
    "LOANSERVICE": "NONE",
}
_TRANSFER = re.compile(r"^\s*transfer\s+(to|from)\b", re.IGNORECASE)


class CoreV1Connector(BuildsRecords, TimestampConnector):
    source_system = "core_v1"
    naive_times = True  # every stream but accounts
    streams = (
        Stream("customers", "customer"),
        Stream("accounts", "account"),
        Stream("transactions", "transaction"),
        Stream("loans", "loan"),
    )
    queries = {
        "customers": StreamQuery(
            columns='"Id", "FirstName", "LastName", "Email", "PhoneNumber", '
            '"IdentificationNumber", "IsActive", "CreatedAt", "UpdatedAt"',
            source='"Customers"',
            marker='"UpdatedAt"',
            key='"Id"',
        ),
        "accounts": StreamQuery(
            columns='"Id", "AccountNumber", "CustomerId", "AccountType", "Currency", "Balance", '
            '"AvailableBalance", "Status", "OpenedDate", "ClosedDate", "UpdatedAt"',
            source='"Accounts"',
            marker='"UpdatedAt"',
            key='"Id"',
            naive=False,  # timestamptz
        ),
        "transactions": StreamQuery(
            columns='t."Id", t."TransactionReference", t."AccountId", a."CustomerId", '
            't."TransactionType", t."Amount", t."Currency", t."Status", t."Description", '
            't."CreatedAt"',
            source='"Transactions" t JOIN "Accounts" a ON a."Id" = t."AccountId"',
            marker='t."CreatedAt"',
            key='t."Id"',
        ),
        "loans": StreamQuery(
            columns='"Id", "LoanNumber", "CustomerId", "PrincipalAmount", "OutstandingBalance", '
            '"InterestRate", "Status", "DisbursedDate", "MaturityDate", "CreatedAt", "UpdatedAt"',
            source='"Loans"',
            marker='"UpdatedAt"',
            key='"Id"',
        ),
    }

    def builders(self) -> Mapping[str, Callable[[Fields], Record]]:
        return _TRANSFORMS


def _customer(f: Fields) -> CustomerRecord:
    names = (f.text("FirstName"), f.text("LastName"))
    full_name = " ".join(n.strip() for n in names if n and n.strip())
    email = (f.text("Email") or "").strip()
    return CustomerRecord(
        source_system="core_v1",
        source_customer_id=f.key("Id"),
        full_name=full_name or None,
        national_id=f.text("IdentificationNumber"),
        phone=(f.text("PhoneNumber") or "").strip() or None,
        email=None if not email or _PLACEHOLDER_EMAIL.match(email) else email,
        date_of_birth=None,  # not kept by this system
        is_active=f.boolean("IsActive") if f.raw.get("IsActive") is not None else True,
        created_at=f.timestamp("CreatedAt"),
        updated_at=f.timestamp_req("UpdatedAt"),
    )


def _account(f: Fields) -> AccountRecord:
    status = f.text("Status") or "Active"
    return AccountRecord(
        source_system="core_v1",
        source_account_id=f.key("Id"),
        source_customer_id=f.key("CustomerId"),
        account_number=f.text("AccountNumber"),
        account_type=f.text("AccountType"),
        currency=f.currency("Currency"),
        balance=f.decimal_req("Balance"),
        available_balance=f.decimal("AvailableBalance"),
        status=status,
        is_closed=f.raw.get("ClosedDate") is not None or status.strip().upper() == "CLOSED",
        closed_at=f.timestamp("ClosedDate"),
        opened_at=f.timestamp("OpenedDate"),
        updated_at=f.timestamp_req("UpdatedAt"),
    )


def direction(transaction_type: str, description: str | None) -> str:
    """CREDIT, DEBIT, NONE (a service request) or UNKNOWN (a type no rule knows yet)."""
    kind = transaction_type.strip().upper()
    if kind == "TRANSFER":
        found = _TRANSFER.match(description or "")
        if not found:
            return "UNKNOWN"
        return "DEBIT" if found.group(1).lower() == "to" else "CREDIT"
    return DIRECTIONS.get(kind, "UNKNOWN")


def _transaction(f: Fields) -> TransactionRecord:
    written = f.key("TransactionType").strip()
    description = f.text("Description")
    return TransactionRecord(
        source_system="core_v1",
        source_transaction_id=f.key("Id"),
        source_account_id=f.key("AccountId"),
        source_customer_id=f.key("CustomerId"),
        reference=f.text("TransactionReference"),
        amount=f.decimal_req("Amount"),
        currency=f.currency("Currency"),
        type=direction(written, description),
        # VIF is the bank's own API (mobile and internet banking), the Teller cash fallback the
        # branch: nothing in the row tells them apart but the cash types
        channel="BRANCH" if written.upper() in ("CASHDEPOSIT", "CASHWITHDRAWAL") else "OTHER",
        status=f.text("Status"),
        description=description,
        occurred_at=f.timestamp_req("CreatedAt"),
        source_type=written,
    )


def _loan(f: Fields) -> LoanRecord:
    return LoanRecord(
        source_system="core_v1",
        source_loan_id=f.key("Id"),
        source_customer_id=f.key("CustomerId"),
        source_account_id=None,
        loan_number=f.text("LoanNumber"),
        principal_amount=f.decimal_req("PrincipalAmount"),
        outstanding_balance=f.decimal("OutstandingBalance"),
        interest_rate=f.decimal("InterestRate"),
        term_months=None,
        currency="KES",  # the table has no currency column; the system books in KES
        status=f.key("Status"),
        disbursed_at=f.timestamp("DisbursedDate"),
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
