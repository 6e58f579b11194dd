"""The multi-currency wallet platform (WekezaGlobal, PostgreSQL `wgi_db`): users, wallets in
USD/EUR/GBP/KES, transactions with their ledger, and AML alerts.

What its code writes, and how it is read:
- A person is one `full_name`, a unique email and a free-text, nullable phone; there is no
  national ID. `users` also holds staff and developers, with a role the caller chose at
  registration: every user is read (a wallet holder is a customer whatever their role).
- Amounts are DECIMAL(20,4), kept exactly; each wallet has its own currency and no amount is
  ever converted. `wallets.updated_at` moves with every balance change.
- Every transaction row is written once, `completed`, on the *source* wallet: deposit credits
  it; withdrawal, transfer and fx debit it. The receiving side of a transfer or an fx exists only
  in `ledger_entries` (a credit leg on another wallet): those legs are read as the receiver's
  credits (`ledger_credits`).
- AML alerts hang off a transaction and go pending -> resolved with no timestamp: new alerts are
  read by `created_at`, the open ones re-read by key every poll (`aml_alerts_open`).
- KYC: a review recomputes `users.kyc_status` and moves `users.updated_at`.
- Plain TIMESTAMP `NOW()`: the server's zone, UTC unless `C360_SOURCE_GLOBAL_TIMEZONE` says so.
Secrets: `users.password_hash`, `api_keys`, `mfa_tokens` and webhook secrets are never read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors._common import (
    OBSERVED_AT,
    Fields,
    StreamQuery,
    TimestampConnector,
    build_record,
)
from connectors.base import Stream, WatchStream
from connectors.records import (
    AccountRecord,
    AmlAlertRecord,
    CustomerRecord,
    Record,
    TransactionRecord,
)

# transactions.type -> the direction on the wallet the row is written on
DIRECTIONS = {"DEPOSIT": "CREDIT", "WITHDRAWAL": "DEBIT", "TRANSFER": "DEBIT", "FX": "DEBIT"}


class GlobalConnector(TimestampConnector):
    source_system = "global"
    naive_times = True
    streams = (
        Stream("users", "customer"),
        Stream("wallets", "account"),
        Stream("transactions", "transaction"),  # insert-only
        Stream("ledger_credits", "transaction"),  # insert-only
        Stream("aml_alerts", "aml_alert", scan="aml_alerts_open"),
    )
    watches = (WatchStream("aml_alerts_open", "aml_alert"),)
    watched = {"aml_alerts_open": "aml_alerts"}
    queries = {
        "users": StreamQuery(
            columns="user_id, full_name, email, phone_number, kyc_status, created_at, updated_at",
            source="users",
            marker="updated_at",
            key="user_id",
        ),
        "wallets": StreamQuery(
            columns="wallet_id, user_id, currency, balance, created_at, updated_at",
            source="wallets",
            marker="updated_at",
            key="wallet_id",
        ),
        "transactions": StreamQuery(
            columns="t.transaction_id, t.wallet_id, w.user_id, t.type, t.amount, t.currency, "
            "t.status, t.metadata->>'reason' AS reason, "
            "t.metadata->>'destination_wallet_id' AS destination_wallet_id, t.created_at",
            source="transactions t JOIN wallets w ON w.wallet_id = t.wallet_id",
            marker="t.created_at",
            key="t.transaction_id",
        ),
        # the receiving legs: a credit on a wallet other than the one the transaction is on
        "ledger_credits": StreamQuery(
            columns="l.ledger_entry_id, l.transaction_id, l.wallet_id, w.user_id, w.currency, "
            "l.credit, t.type, t.wallet_id AS from_wallet_id, l.created_at",
            source="ledger_entries l JOIN transactions t ON t.transaction_id = l.transaction_id"
            " AND l.credit > 0 AND l.wallet_id <> t.wallet_id"
            " JOIN wallets w ON w.wallet_id = l.wallet_id",
            marker="l.created_at",
            key="l.ledger_entry_id",
        ),
        "aml_alerts": StreamQuery(
            columns="a.aml_alert_id, a.transaction_id, w.user_id, a.type, a.severity, a.status, "
            "a.created_at",
            source="aml_alerts a LEFT JOIN transactions t ON t.transaction_id = a.transaction_id"
            " LEFT JOIN wallets w ON w.wallet_id = t.wallet_id",
            marker="a.created_at",
            key="a.aml_alert_id",
        ),
    }

    def transform(self, entity: str, raw: dict[str, Any]) -> Record:
        if entity == "transaction" and "ledger_entry_id" in raw:
            return build_record(self.source_system, _LEDGER, entity, raw, self.zone)
        return build_record(self.source_system, _TRANSFORMS, entity, raw, self.zone)


def _customer(f: Fields) -> CustomerRecord:
    kyc = f.text("kyc_status")
    return CustomerRecord(
        source_system="global",
        source_customer_id=f.key("user_id"),
        full_name=(f.text("full_name") or "").strip() or None,
        national_id=None,  # not kept by this system
        phone=(f.text("phone_number") or "").strip() or None,
        email=f.text("email"),
        date_of_birth=None,
        is_active=True,
        created_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req("updated_at"),
        kyc_status=kyc.strip().lower() if kyc and kyc.strip() else None,
    )


def _wallet(f: Fields) -> AccountRecord:
    return AccountRecord(
        source_system="global",
        source_account_id=f.key("wallet_id"),
        source_customer_id=f.text("user_id"),
        account_number=None,  # a wallet has no number of its own
        account_type="wallet",
        currency=f.currency("currency"),
        balance=f.decimal_req("balance"),
        available_balance=None,
        status="active",
        is_closed=False,
        closed_at=None,
        opened_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req("updated_at"),
    )


def _transaction(f: Fields) -> TransactionRecord:
    written = f.key("type").strip()
    reason = f.text("reason")
    destination = f.text("destination_wallet_id")
    described = written + (f" ({reason})" if reason else "")
    if destination:
        described += f" to wallet {destination}"
    return TransactionRecord(
        source_system="global",
        source_transaction_id=f.key("transaction_id"),
        source_account_id=f.key("wallet_id"),
        source_customer_id=f.text("user_id"),
        reference=f.key("transaction_id"),
        amount=f.decimal_req("amount"),
        currency=f.currency("currency"),
        type=DIRECTIONS.get(written.upper(), "UNKNOWN"),
        channel="INTERNET",  # the wallet platform's API and web app
        status=f.text("status"),
        description=described,
        occurred_at=f.timestamp_req("created_at"),
        source_type=written,
    )


def _ledger_credit(f: Fields) -> TransactionRecord:
    kind = f.key("type").strip()
    return TransactionRecord(
        source_system="global",
        source_transaction_id=f.key("ledger_entry_id"),
        source_account_id=f.key("wallet_id"),
        source_customer_id=f.text("user_id"),
        reference=f.key("transaction_id"),  # the sender's transaction
        amount=f.decimal_req("credit"),
        currency=f.currency("currency"),  # the receiving wallet's (an fx lands converted)
        type="CREDIT",
        channel="INTERNET",
        status="completed",
        description=f"{kind} from wallet {f.text('from_wallet_id')}",
        occurred_at=f.timestamp_req("created_at"),
        source_type=f"{kind} received",
    )


def _aml_alert(f: Fields) -> AmlAlertRecord:
    raised = f.timestamp_req("created_at")
    return AmlAlertRecord(
        source_system="global",
        source_alert_id=f.key("aml_alert_id"),
        source_customer_id=f.text("user_id"),
        source_transaction_id=f.text("transaction_id"),
        alert_type=f.key("type").strip(),
        severity=f.key("severity").strip().upper(),
        status=(f.text("status") or "pending").strip().upper(),
        raised_at=raised,
        observed_at=f.timestamp(OBSERVED_AT) or raised,
    )


_TRANSFORMS: dict[str, Callable[[Fields], Record]] = {
    "customer": _customer,
    "account": _wallet,
    "transaction": _transaction,
    "aml_alert": _aml_alert,
}
_LEDGER = {"transaction": _ledger_credit}
