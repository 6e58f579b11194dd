"""Live activity in the group's three other systems, written the way their own code writes it:

- core_v1 (VIF): a registration inserts the customer and a KES account; a movement sets
  "Balance" = "AvailableBalance" and moves "UpdatedAt", and inserts an insert-only transaction
  whose direction is its type (a transfer's, its description).
- openbanking: a payment is inserted `processing` with a risk score, lowers only the account's
  available balance (moving `updated_at`), and completes by setting `completed_at` alone.
- global: every wallet movement is balance +/- amount with `updated_at`, one `completed`
  transaction on the source wallet and its ledger legs; a withdrawal above 10,000 (any
  currency) raises a pending AML alert, resolved later in place with no timestamp.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, text

from sandbox.group_samples import AML_THRESHOLDS

_UTC_NOW = "(now() AT TIME ZONE 'UTC')"  # what their code writes into plain TIMESTAMPs
_AMOUNT4 = Decimal("0.0001")


class GroupActivity:
    """Mixed into the Simulator: it provides `rng`, `_engine(source)` and `_gen`."""

    rng: random.Random
    _engine: Callable[[str], Engine]

    # core_v1 ---------------------------------------------------------------------------------

    def core_v1_register(
        self,
        first_name: str,
        last_name: str,
        identification: str,
        phone: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """VIF's customer registration and account opening."""
        person_id, account_id = uuid.uuid4(), uuid.uuid4()
        number = f"ACC{self.rng.randrange(10**14):014d}"
        with self._engine("core_v1").begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "Customers" ("Id", "FirstName", "LastName", "Email", '
                    '"PhoneNumber", "IdentificationNumber", "RiskRating", "IsActive", '
                    f'"CreatedAt", "UpdatedAt") VALUES (:id, :first, :last, :email, :phone, '
                    f":idn, 1, true, {_UTC_NOW}, {_UTC_NOW})"
                ),
                {
                    "id": person_id,
                    "first": first_name,
                    "last": last_name,
                    "email": email or f"{person_id.hex}@vif.local",
                    "phone": phone or "",
                    "idn": identification,
                },
            )
            conn.execute(
                text(
                    'INSERT INTO "Accounts" ("Id", "AccountNumber", "CustomerId", "BranchCode") '
                    "VALUES (:id, :number, :customer, 'BR100001')"
                ),
                {"id": account_id, "number": number, "customer": person_id},
            )
        return {"customer_id": str(person_id), "account_id": str(account_id), "number": number}

    def core_v1_post(
        self, account_id: str, kind: str, amount: Decimal | str, description: str | None = None
    ) -> dict[str, Any]:
        """A VIF movement: the balance set in place, one insert-only transaction row."""
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
        credit = kind in ("Deposit", "CashDeposit", "ChequeDeposit") or (
            kind == "Transfer" and (description or "").lower().startswith("transfer from")
        )
        reference = f"TX-{uuid.uuid4().hex[:14]}"
        with self._engine("core_v1").begin() as conn:
            balance = conn.execute(
                text(
                    'UPDATE "Accounts" SET "Balance" = "Balance" + :delta, '
                    '"AvailableBalance" = "Balance" + :delta, "UpdatedAt" = now() '
                    'WHERE "Id" = :id RETURNING "Balance"'
                ),
                {"delta": value if credit else -value, "id": account_id},
            ).scalar_one()
            transaction_id = uuid.uuid4()
            conn.execute(
                text(
                    'INSERT INTO "Transactions" ("Id", "TransactionReference", "AccountId", '
                    '"TransactionType", "Amount", "Currency", "Status", "Description", '
                    f'"CreatedAt", "ProcessedAt", "BalanceAfter") VALUES (:id, :ref, :account, '
                    f":kind, :amount, 'KES', 'Completed', :description, {_UTC_NOW}, "
                    f"{_UTC_NOW}, :balance)"
                ),
                {
                    "id": transaction_id,
                    "ref": reference,
                    "account": account_id,
                    "kind": kind,
                    "amount": value,
                    "description": description or f"{kind} via VIF",
                    "balance": balance,
                },
            )
        return {"transaction_id": str(transaction_id), "reference": reference, "balance": balance}

    # openbanking -----------------------------------------------------------------------------

    def openbanking_customer(
        self, first_name: str, last_name: str, email: str, phone: str | None
    ) -> dict[str, Any]:
        """A customer and a KES current account, as the seed writes them (no API creates them)."""
        person_id, account_id = uuid.uuid4(), uuid.uuid4()
        number = f"CUST{self.rng.randrange(10**6):06d}"
        with self._engine("openbanking").begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO customers (id, customer_number, first_name, last_name, email,"
                    " phone, kyc_status) VALUES (:id, :number, :first, :last, :email, :phone,"
                    " 'verified')"
                ),
                {
                    "id": person_id,
                    "number": number,
                    "first": first_name,
                    "last": last_name,
                    "email": email,
                    "phone": phone,
                },
            )
            conn.execute(
                text(
                    "INSERT INTO accounts (id, account_number, customer_id, account_type, balance,"
                    " available_balance) VALUES (:id, :number, :customer, 'current', 50000.00,"
                    " 50000.00)"
                ),
                {
                    "id": account_id,
                    "number": f"{self.rng.randrange(10**9, 10**10)}",
                    "customer": person_id,
                },
            )
        return {"customer_id": str(person_id), "account_id": str(account_id), "number": number}

    def openbanking_payment(
        self, account_id: str, amount: Decimal | str, risk_score: float
    ) -> dict[str, Any]:
        """A payment accepted for processing: available balance down, `processing`."""
        payment_id = uuid.uuid4()
        reference = f"PAY{uuid.uuid4().hex[:12].upper()}"
        with self._engine("openbanking").begin() as conn:
            conn.execute(
                text(
                    "UPDATE accounts SET available_balance = available_balance - :amount,"
                    " updated_at = CURRENT_TIMESTAMP WHERE id = :id"
                ),
                {"amount": Decimal(str(amount)), "id": account_id},
            )
            conn.execute(
                text(
                    "INSERT INTO payments (id, payment_ref, source_account_id,"
                    " destination_account_number, amount, status, risk_score) VALUES"
                    " (:id, :ref, :account, '1009876543', :amount, 'processing', :risk)"
                ),
                {
                    "id": payment_id,
                    "ref": reference,
                    "account": account_id,
                    "amount": Decimal(str(amount)),
                    "risk": Decimal(str(risk_score)).quantize(Decimal("0.01")),
                },
            )
        return {"payment_id": str(payment_id), "payment_ref": reference}

    def openbanking_complete_payment(self, payment_id: str) -> None:
        """Completion sets `completed_at` and nothing else (no `updated_at`)."""
        with self._engine("openbanking").begin() as conn:
            conn.execute(
                text(
                    "UPDATE payments SET status = 'completed', completed_at = CURRENT_TIMESTAMP"
                    " WHERE id = :id"
                ),
                {"id": payment_id},
            )

    # global ----------------------------------------------------------------------------------

    def global_user(self, full_name: str, email: str, phone: str | None = None) -> str:
        """POST /auth/register: a user with KYC pending."""
        user_id = uuid.uuid4()
        with self._engine("global").begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (user_id, full_name, email, phone_number, password_hash)"
                    " VALUES (:id, :name, :email, :phone, :hash)"
                ),
                {
                    "id": user_id,
                    "name": full_name,
                    "email": email,
                    "phone": phone,
                    "hash": "$2a$10$" + "x" * 53,
                },
            )
        return str(user_id)

    def global_set_kyc(self, user_id: str, status: str) -> None:
        """A KYC review: the roll-up onto users.kyc_status, with updated_at."""
        with self._engine("global").begin() as conn:
            conn.execute(
                text("UPDATE users SET kyc_status = :s, updated_at = NOW() WHERE user_id = :id"),
                {"s": status, "id": user_id},
            )

    def global_open_wallet(self, user_id: str, currency: str) -> str:
        wallet_id = uuid.uuid4()
        with self._engine("global").begin() as conn:
            conn.execute(
                text("INSERT INTO wallets (wallet_id, user_id, currency) VALUES (:id, :u, :c)"),
                {"id": wallet_id, "u": user_id, "c": currency},
            )
        return str(wallet_id)

    def global_deposit(self, wallet_id: str, amount: Decimal | str) -> str:
        return self._global_move(wallet_id, "deposit", Decimal(str(amount)))

    def global_withdraw(self, wallet_id: str, amount: Decimal | str) -> str:
        return self._global_move(wallet_id, "withdrawal", Decimal(str(amount)))

    def global_transfer(self, source: str, destination: str, amount: Decimal | str) -> str:
        """One `transfer` row on the source wallet; the receiver only in the ledger."""
        value = Decimal(str(amount)).quantize(_AMOUNT4)
        with self._engine("global").begin() as conn:
            currency = self._wallet_currency(conn, source)
            transaction_id = self._global_transaction(
                conn, source, "transfer", value, currency, {"destination_wallet_id": destination}
            )
            self._leg(conn, transaction_id, source, -value)
            self._leg(conn, transaction_id, destination, value)
        return transaction_id

    def global_aml_alerts(self, transaction_id: str) -> list[str]:
        with self._engine("global").connect() as conn:
            return [
                str(a)
                for a in conn.execute(
                    text("SELECT aml_alert_id FROM aml_alerts WHERE transaction_id = :t"),
                    {"t": transaction_id},
                ).scalars()
            ]

    def global_resolve_alert(self, alert_id: str) -> None:
        """A compliance officer resolves it: status only, no timestamp."""
        with self._engine("global").begin() as conn:
            conn.execute(
                text("UPDATE aml_alerts SET status = 'resolved' WHERE aml_alert_id = :id"),
                {"id": alert_id},
            )

    def _global_move(self, wallet_id: str, kind: str, amount: Decimal) -> str:
        value = amount.quantize(_AMOUNT4)
        with self._engine("global").begin() as conn:
            currency = self._wallet_currency(conn, wallet_id)
            transaction_id = self._global_transaction(conn, wallet_id, kind, value, currency, {})
            self._leg(conn, transaction_id, wallet_id, value if kind == "deposit" else -value)
            severity = next((s for limit, s in AML_THRESHOLDS if value > limit), None)
            if kind == "withdrawal" and severity:
                conn.execute(
                    text(
                        "INSERT INTO aml_alerts (transaction_id, type, severity)"
                        " VALUES (:t, 'large_withdrawal', :s)"
                    ),
                    {"t": transaction_id, "s": severity},
                )
        return transaction_id

    @staticmethod
    def _wallet_currency(conn: Connection, wallet_id: str) -> str:
        return conn.execute(
            text("SELECT currency FROM wallets WHERE wallet_id = :id"), {"id": wallet_id}
        ).scalar_one()

    @staticmethod
    def _global_transaction(
        conn: Connection,
        wallet_id: str,
        kind: str,
        amount: Decimal,
        currency: str,
        metadata: dict[str, str],
    ) -> str:
        return str(
            conn.execute(
                text(
                    "INSERT INTO transactions (wallet_id, type, amount, currency, status, metadata)"
                    " VALUES (:w, :k, :a, :c, 'completed', CAST(:m AS jsonb))"
                    " RETURNING transaction_id"
                ),
                {"w": wallet_id, "k": kind, "a": amount, "c": currency, "m": json.dumps(metadata)},
            ).scalar_one()
        )

    @staticmethod
    def _leg(conn: Connection, transaction_id: str, wallet_id: str, delta: Decimal) -> None:
        balance = conn.execute(
            text(
                "UPDATE wallets SET balance = balance + :d, updated_at = NOW()"
                " WHERE wallet_id = :id RETURNING balance"
            ),
            {"d": delta, "id": wallet_id},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO ledger_entries (transaction_id, wallet_id, debit, credit,"
                " balance_after) VALUES (:t, :w, :debit, :credit, :b)"
            ),
            {
                "t": transaction_id,
                "w": wallet_id,
                "debit": -delta if delta < 0 else 0,
                "credit": delta if delta > 0 else 0,
                "b": balance,
            },
        )
