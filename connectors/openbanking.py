"""The open-banking API (WekezaOpenBanking, PostgreSQL `wekeza_banking`): customers, accounts,
transactions, and payments with the payment engine's risk score.

What its code writes, and how it is read:
- People are known by customer number (`CUST001`), email and phone; there is no national ID and
  `date_of_birth` is never filled. Vocabularies are lower case (`savings`, `active`, `credit`).
- Every time is a plain TIMESTAMP from `CURRENT_TIMESTAMP`, the database server's zone: UTC
  unless `C360_SOURCE_OPENBANKING_TIMEZONE` says otherwise.
- A payment lowers only `accounts.available_balance` (and moves `updated_at`); `balance` is
  never changed after insert. Both are kept as the system holds them.
- A payment's completion sets `completed_at` but not `updated_at`: new payments are read by
  `created_at`, and the payments the Enterprise Brain holds open are re-read by key every poll
  (`payments_open`).
- `webhook_deliveries` carries no person (and stays empty: nothing calls `triggerEvent`);
  `oauth_clients`, `oauth_tokens` and `webhooks` hold secrets. None of them is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from connectors._common import (
    OBSERVED_AT,
    BuildsRecords,
    Fields,
    StreamQuery,
    TimestampConnector,
)
from connectors.base import Stream, WatchStream
from connectors.records import (
    AccountRecord,
    CustomerRecord,
    PaymentRecord,
    Record,
    TransactionRecord,
)


class OpenBankingConnector(BuildsRecords, TimestampConnector):
    source_system = "openbanking"
    naive_times = True
    streams = (
        Stream("customers", "customer"),
        Stream("accounts", "account"),
        Stream("transactions", "transaction"),
        Stream("payments", "payment", scan="payments_open"),
    )
    watches = (WatchStream("payments_open", "payment"),)
    watched = {"payments_open": "payments"}
    queries = {
        "customers": StreamQuery(
            columns="id, customer_number, first_name, last_name, email, phone, date_of_birth, "
            "kyc_status, created_at, updated_at",
            source="customers",
            marker="updated_at",
            key="id",
        ),
        "accounts": StreamQuery(
            columns="id, account_number, customer_id, account_type, currency, balance, "
            "available_balance, status, created_at, updated_at",
            source="accounts",
            marker="updated_at",
            key="id",
        ),
        "transactions": StreamQuery(
            columns="t.id, t.transaction_ref, t.account_id, a.customer_id, t.transaction_type, "
            "t.amount, t.currency, t.description, t.status, t.transaction_date, t.created_at",
            source="transactions t JOIN accounts a ON a.id = t.account_id",
            marker="t.created_at",
            key="t.id",
        ),
        "payments": StreamQuery(
            columns="p.id, p.payment_ref, p.source_account_id, a.customer_id, p.amount, "
            "p.currency, p.status, p.risk_score, p.completed_at, p.created_at",
            source="payments p LEFT JOIN accounts a ON a.id = p.source_account_id",
            marker="p.created_at",
            key="p.id",
        ),
    }

    def builders(self) -> Mapping[str, Callable[[Fields], Record]]:
        return _TRANSFORMS


def _customer(f: Fields) -> CustomerRecord:
    names = (f.text("first_name"), f.text("last_name"))
    full_name = " ".join(n.strip() for n in names if n and n.strip())
    kyc = f.text("kyc_status")
    return CustomerRecord(
        source_system="openbanking",
        source_customer_id=f.key("id"),
        full_name=full_name or None,
        national_id=None,  # not kept by this system
        phone=f.text("phone"),
        email=f.text("email"),
        date_of_birth=f.date("date_of_birth"),
        is_active=True,
        created_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req("updated_at"),
        business_key=f.text("customer_number"),
        kyc_status=kyc.strip().lower() if kyc and kyc.strip() else None,
    )


def _account(f: Fields) -> AccountRecord:
    status = f.text("status") or "active"
    return AccountRecord(
        source_system="openbanking",
        source_account_id=f.key("id"),
        source_customer_id=f.text("customer_id"),
        account_number=f.text("account_number"),
        account_type=f.text("account_type"),
        currency=f.currency("currency"),
        balance=f.decimal_req("balance"),
        available_balance=f.decimal("available_balance"),
        status=status,
        is_closed=status.strip().lower() == "closed",
        closed_at=None,
        opened_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req("updated_at"),
    )


def _transaction(f: Fields) -> TransactionRecord:
    written = f.key("transaction_type").strip()
    kind = written.upper() if written.upper() in ("CREDIT", "DEBIT") else "UNKNOWN"
    description = f.text("description")
    return TransactionRecord(
        source_system="openbanking",
        source_transaction_id=f.key("id"),
        source_account_id=f.key("account_id"),
        source_customer_id=f.text("customer_id"),
        reference=f.text("transaction_ref"),
        amount=f.decimal_req("amount"),
        currency=f.currency("currency"),
        type=kind,
        # every movement here goes through the open-banking API
        channel="INTERNET",
        status=f.text("status"),
        description=description,
        occurred_at=f.timestamp("transaction_date") or f.timestamp_req("created_at"),
        source_type=written,
    )


def _payment(f: Fields) -> PaymentRecord:
    created = f.timestamp_req("created_at")
    score = f.decimal("risk_score")
    return PaymentRecord(
        source_system="openbanking",
        source_payment_id=f.key("id"),
        source_customer_id=f.text("customer_id"),
        source_account_id=f.text("source_account_id"),
        payment_ref=f.text("payment_ref"),
        amount=f.decimal_req("amount"),
        currency=f.currency("currency"),
        status=(f.text("status") or "pending").strip().upper(),
        risk_score=float(score) if score is not None else None,
        created_at=created,
        completed_at=f.timestamp("completed_at"),
        observed_at=f.timestamp(OBSERVED_AT) or created,
    )


_TRANSFORMS: dict[str, Callable[[Fields], Record]] = {
    "customer": _customer,
    "account": _account,
    "transaction": _transaction,
    "payment": _payment,
}
