"""Live activity in the demo sources: each method writes one business event the way the source
application would (its own transaction, its own clock) and returns the keys it wrote. Given a
publisher, core also publishes its changes as events (the brief's option B)."""

from __future__ import annotations

import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, create_engine, text
from sqlalchemy.exc import IntegrityError

from connectors.dfs import ACCOUNT_STATUSES, LOAN_STATUSES, utc_sessions
from connectors.fraud import LOCAL_STYLE, NAIROBI
from sandbox.group_activity import GroupActivity
from sandbox.publisher import SourcePublisher
from sandbox.sources import (
    DEVICE_KINDS,
    FIRST_NAMES,
    FRAUD_REASONS,
    LAST_NAMES,
    PLACEHOLDER_PHONE,
    USER_AGENTS,
    SampleData,
    engine_amount,
    to_msisdn,
)

_CUSTOMER_COLUMNS = (
    "CustomerNumber", "FirstName", "MiddleName", "LastName", "Email", "IdentificationNumber",
    "DateOfBirth", "Gender", "Nationality", "PrimaryPhone", "SecondaryPhone", "Status",
    "KYCStatus", "AMLRiskRating",
)  # fmt: skip
_DFS_USER_COLUMNS = ("full_name", "email", "phone_number", "national_id", "kyc_tier", "is_active")
# A dfs loan's next statuses, as the lending workflow moves it.
_LOAN_FLOW = {
    "PENDING": ("APPROVED", "REJECTED"),
    "APPROVED": ("ACTIVE",),
    "ACTIVE": ("PAID", "PAID", "DEFAULTED"),
}
_ATTEMPTS = 8  # fresh generated values to try when one collides with a UNIQUE column


# Salama's columns are naive; the application writes DateTime.UtcNow.
_UTC_NOW = "(now() AT TIME ZONE 'UTC')"


class Simulator(GroupActivity):
    """Writes realistic events into the demo sources: core, channel, fraud and dfs here, the
    group's core_v1, openbanking and global in GroupActivity."""

    def __init__(
        self, urls: Mapping[str, str], seed: int = 7, publisher: SourcePublisher | None = None
    ) -> None:
        # with a publisher, core also publishes its changes as events (option B)
        self.publisher = publisher
        self.rng = random.Random(seed)
        self.engines = {
            s: create_engine(urls[s])
            for s in ("core", "channel", "fraud", "core_v1", "openbanking", "global")
            if urls.get(s)
        }
        if urls.get("dfs"):
            self.engines["dfs"] = utc_sessions(create_engine(urls["dfs"]))
        self._gen = SampleData(self.rng, datetime.now(UTC))

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        if self.publisher is not None:
            self.publisher.close()

    def _core_rows(self, conn: Connection, table: str, key: object) -> dict[str, Any] | None:
        """A core row as its table holds it (JSON), read for its event; None without a
        publisher."""
        if self.publisher is None:
            return None
        return conn.execute(
            text(f'SELECT to_jsonb(r) FROM "{table}" r WHERE "Id" = CAST(:k AS uuid)'),
            {"k": str(key)},
        ).scalar_one()

    def _publish(self, *events: tuple[str, dict[str, Any] | None]) -> None:
        """After the commit: each event core publishes, in order."""
        if self.publisher is None:
            return
        for event_type, row in events:
            if row is not None:
                self.publisher.publish(event_type, str(row["Id"]), row)

    def _engine(self, source: str) -> Engine:
        try:
            return self.engines[source]
        except KeyError:
            raise ValueError(f"the simulator was given no URL for the {source} source") from None

    def new_customer(self, **overrides: Any) -> dict[str, Any]:
        """A core customer with one KES savings account. `overrides` set "Customers" columns by
        their names (PrimaryPhone="+254712345678", IdentificationNumber=..., ...).

        Returns customer_id, customer_number, full_name, national_id, phone, email, account_id,
        account_number, currency."""
        unknown = set(overrides) - set(_CUSTOMER_COLUMNS)
        if unknown:
            raise ValueError(f"not Customers columns: {', '.join(sorted(unknown))}")
        insert_customer = text(
            'INSERT INTO "Customers" ("Id", "CustomerNumber", "FirstName", "MiddleName", '
            '"LastName", "Email", "IdentificationNumber", "DateOfBirth", "Gender", "Nationality", '
            '"PrimaryPhone", "SecondaryPhone", "Status", "KYCStatus", "AMLRiskRating", '
            '"CreatedAt", "UpdatedAt") VALUES (:Id, :CustomerNumber, :FirstName, :MiddleName, '
            ":LastName, :Email, :IdentificationNumber, :DateOfBirth, :Gender, :Nationality, "
            ":PrimaryPhone, :SecondaryPhone, :Status, :KYCStatus, :AMLRiskRating, now(), now()) "
            'ON CONFLICT DO NOTHING RETURNING "Id"'
        )
        insert_account = text(
            'INSERT INTO "Accounts" ("Id", "AccountNumber", "CustomerId", "AccountType", '
            '"Currency", "Balance", "AvailableBalance", "CreatedAt", "UpdatedAt") VALUES '
            "(:Id, :AccountNumber, :CustomerId, 'Savings', 'KES', 0, 0, now(), now()) "
            'ON CONFLICT DO NOTHING RETURNING "Id"'
        )
        with self._engine("core").begin() as conn:
            customer = _insert_unique(conn, insert_customer, lambda: self._customer(overrides))
            account = _insert_unique(
                conn,
                insert_account,
                lambda: {
                    "Id": uuid.uuid4(),
                    "AccountNumber": f"ACC{_unique_digits(10)}",
                    "CustomerId": customer["Id"],
                },
            )
            created = self._core_rows(conn, "Customers", customer["Id"])
            opened = self._core_rows(conn, "Accounts", account["Id"])
        self._publish(("CustomerCreated", created), ("AccountOpened", opened))
        names = (customer["FirstName"], customer["MiddleName"], customer["LastName"])
        return {
            "customer_id": str(customer["Id"]),
            "customer_number": customer["CustomerNumber"],
            "full_name": " ".join(n for n in names if n),
            "national_id": customer["IdentificationNumber"],
            "phone": customer["PrimaryPhone"],
            "email": customer["Email"],
            "account_id": str(account["Id"]),
            "account_number": account["AccountNumber"],
            "currency": "KES",
        }

    def _customer(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        generated = {
            "Id": uuid.uuid4(),
            "CustomerNumber": f"CUST{_unique_digits(10)}",
            "FirstName": first,
            "MiddleName": None,
            "LastName": last,
            "Email": self._gen.email(first, last),
            "IdentificationNumber": self._gen.national_id(self.rng.randrange(10**5)),
            "DateOfBirth": None,
            "Gender": self.rng.choice(("Male", "Female")),
            "Nationality": "Kenyan",
            "PrimaryPhone": self._gen.phone()[1],
            "SecondaryPhone": None,
            "Status": "Active",
            "KYCStatus": "Pending",
            "AMLRiskRating": "Low",
        }
        return generated | dict(overrides)

    def login(
        self,
        who: str | Mapping[str, Any],
        device_id: str | None = None,
        session_mode: str = "standard",
    ) -> dict[str, Any]:
        """A mobile/USSD login by a phone number (any format) or a customer from new_customer():
        registers the MSISDN on first use, opens a session, logs LOGIN and bumps the user.

        Returns user_id, msisdn, new_user, session_id, log_id, device_id."""
        phone = who if isinstance(who, str) else who.get("phone")
        msisdn = to_msisdn(phone)
        if msisdn is None:
            raise ValueError(f"not a Kenyan mobile number: {phone!r}")
        name = None if isinstance(who, str) else who.get("full_name")
        kind = self.rng.choice(DEVICE_KINDS)
        device_id = device_id or f"{kind}-{self.rng.getrandbits(16):04x}"
        agent = USER_AGENTS.get(device_id.split("-")[0], USER_AGENTS[kind])
        ip = f"41.90.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        session_id, log_id = uuid.uuid4(), uuid.uuid4()
        with self._engine("channel").begin() as conn:
            # Salama writes DateTime.UtcNow into its naive columns
            user_id = conn.execute(
                text(
                    "INSERT INTO users (user_id, account_id, account_name, account_type, "
                    "pin_hash, plain_pin_encrypted, created_at, updated_at) "
                    "VALUES (:u, :m, :n, 'Savings', :pin, :plain, "
                    f"{_UTC_NOW}, {_UTC_NOW}) "
                    "ON CONFLICT (account_id) DO NOTHING RETURNING user_id"
                ),
                {
                    "u": uuid.uuid4(),
                    "m": msisdn,
                    "n": name or "",
                    "pin": secrets.token_hex(32),
                    "plain": secrets.token_hex(32),
                },
            ).scalar_one_or_none()
            new_user = user_id is not None
            if not new_user:
                user_id = conn.execute(
                    text("SELECT user_id FROM users WHERE account_id = :m"), {"m": msisdn}
                ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO sessions (session_id, user_id, session_token, session_mode, "
                    "is_shadow, device_id, ip_address, user_agent, created_at, expires_at, "
                    f"last_activity) VALUES (:s, :u, :token, :mode, :shadow, :d, :ip, "
                    f":ua, {_UTC_NOW}, {_UTC_NOW} + interval '30 minutes', {_UTC_NOW})"
                ),
                {
                    "s": session_id,
                    "u": user_id,
                    "token": secrets.token_hex(32),
                    "mode": session_mode,
                    "shadow": session_mode == "shadow",
                    "d": device_id,
                    "ip": ip,
                    "ua": agent,
                },
            )
            conn.execute(
                text(
                    "INSERT INTO audit_logs (log_id, user_id, session_id, action, "
                    "is_shadow_action, ip_address, user_agent, created_at) "
                    f"VALUES (:l, :u, :s, 'LOGIN', :shadow, :ip, :ua, {_UTC_NOW})"
                ),
                {
                    "l": log_id,
                    "u": user_id,
                    "s": session_id,
                    "shadow": session_mode == "shadow",
                    "ip": ip,
                    "ua": agent,
                },
            )
            conn.execute(
                text(f"UPDATE users SET updated_at = {_UTC_NOW} WHERE user_id = :u"),
                {"u": user_id},
            )
        return {
            "user_id": str(user_id),
            "msisdn": msisdn,
            "new_user": new_user,
            "session_id": str(session_id),
            "log_id": str(log_id),
            "device_id": device_id,
        }

    def post_transaction(
        self,
        account_id: str,
        amount: Decimal | int | float | str,
        type: str = "Credit",
        channel: str | None = "MOBILE",
    ) -> dict[str, Any]:
        """A posting to a core account; the account's balance and "UpdatedAt" change in the same
        transaction. `channel` goes to "ProcessedBy" (a channel name or a teller's user name).

        Returns transaction_id, reference, account_id, customer_id, customer_number, amount,
        currency, type, channel, previous_balance, new_balance."""
        try:
            value = Decimal(str(amount)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValueError(f"not an amount: {amount!r}") from None
        if not value.is_finite() or value <= 0:
            raise ValueError(f"amount must be positive, not {amount!r}")
        kind = type.strip().capitalize()
        if kind not in ("Credit", "Debit"):
            raise ValueError(f"type must be Credit or Debit, not {type!r}")
        with self._engine("core").begin() as conn:
            account = (
                conn.execute(
                    text(
                        'SELECT a."Balance", a."Currency", a."CustomerId", c."CustomerNumber", '
                        "to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') AS today "
                        'FROM "Accounts" a JOIN "Customers" c ON c."Id" = a."CustomerId" '
                        'WHERE a."Id" = CAST(:a AS uuid) FOR UPDATE OF a'
                    ),
                    {"a": str(account_id)},
                )
                .mappings()
                .one_or_none()
            )
            if account is None:
                raise ValueError(f"no core account {account_id}")
            previous = account["Balance"]
            if kind == "Debit" and value > previous:
                raise ValueError(f"insufficient funds: balance {previous}, debit {value}")
            delta = value if kind == "Credit" else -value
            posted = _insert_unique(
                conn,
                text(
                    'INSERT INTO "Transactions" ("Id", "AccountId", "Type", "Amount", "Currency", '
                    '"PreviousBalance", "NewBalance", "Status", "Reference", "Description", '
                    '"ProcessedAt", "ProcessedBy") VALUES (:Id, CAST(:AccountId AS uuid), :Type, '
                    ":Amount, :Currency, :PreviousBalance, :NewBalance, 'Completed', :Reference, "
                    ':Description, now(), :ProcessedBy) ON CONFLICT DO NOTHING RETURNING "Id"'
                ),
                lambda: {
                    "Id": uuid.uuid4(),
                    "AccountId": str(account_id),
                    "Type": kind,
                    "Amount": value,
                    "Currency": account["Currency"],
                    "PreviousBalance": previous,
                    "NewBalance": previous + delta,
                    "Reference": f"TX-{account['today']}-{_unique_digits(8)}",
                    "Description": "Simulated posting",
                    "ProcessedBy": channel,
                },
            )
            conn.execute(
                text(
                    'UPDATE "Accounts" SET "Balance" = "Balance" + :d, '
                    '"AvailableBalance" = "AvailableBalance" + :d, "UpdatedAt" = now() '
                    'WHERE "Id" = CAST(:a AS uuid)'
                ),
                {"d": delta, "a": str(account_id)},
            )
            posting = self._core_rows(conn, "Transactions", posted["Id"])
            balance = self._core_rows(conn, "Accounts", account_id)
        if posting is not None:  # the account's owner, as the intake expects it
            posting["CustomerId"] = str(account["CustomerId"])
        self._publish(("TransactionPosted", posting), ("AccountUpdated", balance))
        return {
            "transaction_id": str(posted["Id"]),
            "reference": posted["Reference"],
            "account_id": str(account_id),
            "customer_id": str(account["CustomerId"]),
            "customer_number": account["CustomerNumber"],
            "amount": value,
            "currency": account["Currency"],
            "type": kind,
            "channel": channel,
            "previous_balance": previous,
            "new_balance": previous + delta,
        }

    def open_fraud_case(
        self,
        customer_number: str,
        transaction_reference: str,
        risk_score: float,
        reasons: Iterable[str] = ("Unusual amount",),
        amount: Decimal | float | None = None,
        currency: str = "KES",
    ) -> dict[str, Any]:
        """A case the risk engine opens (timestamps: SQLite CURRENT_TIMESTAMP, UTC). Without
        `amount`, the core transaction's amount is used.

        Returns case_id (int), customer_number, transaction_reference, risk_score, risk_level,
        status."""
        if not 0 <= risk_score <= 1:
            raise ValueError(f"risk_score must be within 0..1, not {risk_score}")
        if amount is None:
            with self._engine("core").connect() as conn:
                found = conn.execute(
                    text('SELECT "Amount", "Currency" FROM "Transactions" WHERE "Reference" = :r'),
                    {"r": transaction_reference},
                ).one_or_none()
            if found is None:
                raise ValueError(f"no core transaction {transaction_reference!r}; give amount")
            amount, currency = found
        level = "HIGH" if risk_score >= 0.8 else "MEDIUM" if risk_score >= 0.5 else "LOW"
        try:
            with self._engine("fraud").begin() as conn:
                case_id = conn.execute(
                    text(
                        "INSERT INTO analyst_cases (transaction_id, customer_id, amount, "
                        "currency, transaction_type, risk_score, risk_level, flagged_reason) "
                        "VALUES (:t, :c, :a, :cur, 'TRANSFER', :s, :l, :r) RETURNING case_id"
                    ),
                    {
                        "t": transaction_reference,
                        "c": customer_number,
                        "a": engine_amount(Decimal(str(amount))),
                        "cur": currency,
                        "s": float(risk_score),
                        "l": level,
                        "r": "; ".join(reasons),
                    },
                ).scalar_one()
        except IntegrityError:
            raise ValueError(f"a case for {transaction_reference!r} is already open") from None
        return {
            "case_id": case_id,
            "customer_number": customer_number,
            "transaction_reference": transaction_reference,
            "risk_score": float(risk_score),
            "risk_level": level,
            "status": "ASSIGNED",
        }

    def escalate_case(
        self,
        case_id: int,
        status: str = "ESCALATED",
        analyst_id: str = "an-007",
        host_zone: tzinfo = NAIROBI,
    ) -> dict[str, Any]:
        """An analyst's change from the workbench (Escalate: ESCALATED, Block Transaction:
        BLOCKED, Approve: CLOSED): updated_at is `datetime.now()` of the workbench's host, with
        microseconds — Africa/Nairobi on the bank's hosts, UTC in a container (`host_zone`).
        Returns case_id, status, updated_at (the text written)."""
        stamp = datetime.now(host_zone).strftime(LOCAL_STYLE)
        with self._engine("fraud").begin() as conn:
            changed = conn.execute(
                text(
                    "UPDATE analyst_cases SET status = :s, analyst_id = :a, updated_at = :u "
                    "WHERE case_id = :c"
                ),
                {"s": status, "a": analyst_id, "u": stamp, "c": case_id},
            ).rowcount
        if not changed:
            raise ValueError(f"no fraud case {case_id}")
        return {"case_id": case_id, "status": status, "updated_at": stamp}

    def security_alert(
        self,
        msisdn: str | None = None,
        alert_type: str = "NEW_DEVICE",
        severity: str = "HIGH",
        device_id: str | None = None,
    ) -> dict[str, Any]:
        """A channel security alert for the user of `msisdn` (any format; a random user if None).
        Returns alert_id, user_id, msisdn, alert_type, severity, device_id."""
        alert_id = uuid.uuid4()
        with self._engine("channel").begin() as conn:
            if msisdn is None:
                user = conn.execute(
                    text("SELECT user_id, account_id FROM users ORDER BY random() LIMIT 1")
                ).one_or_none()
            else:
                user = conn.execute(
                    text("SELECT user_id, account_id FROM users WHERE account_id = :m"),
                    {"m": to_msisdn(msisdn) or msisdn},
                ).one_or_none()
            if user is None:
                raise ValueError(f"no channel user for {msisdn!r}")
            conn.execute(
                text(
                    "INSERT INTO security_alerts (alert_id, user_id, alert_type, severity, "
                    f"device_id, created_at) VALUES (:id, :u, :t, :s, :d, {_UTC_NOW})"
                ),
                {"id": alert_id, "u": user[0], "t": alert_type, "s": severity, "d": device_id},
            )
        return {
            "alert_id": str(alert_id),
            "user_id": str(user[0]),
            "msisdn": user[1],
            "alert_type": alert_type,
            "severity": severity,
            "device_id": device_id,
        }

    def set_alert_status(self, alert_id: str, status: str) -> None:
        """An analyst moves an alert on in place, as Salama's tools write it ('Acknowledged',
        'Investigating', 'Resolved'): acknowledged_at or resolved_at is set, nothing else."""
        stamp = {"acknowledged": "acknowledged_at", "resolved": "resolved_at"}.get(status.lower())
        extra = f", {stamp} = {_UTC_NOW}" if stamp else ""
        with self._engine("channel").begin() as conn:
            changed = conn.execute(
                text(f"UPDATE security_alerts SET alert_status = :s{extra} WHERE alert_id = :id"),
                {"s": status, "id": alert_id},
            ).rowcount
        if not changed:
            raise ValueError(f"no security alert {alert_id}")

    def dfs_new_user(self, **fields: Any) -> dict[str, Any]:
        """A dfs sign-up. `fields` set users columns by name (national_id="12 345 678", ...);
        phone_number stays NULL unless given, as the web app never saves it.

        Returns user_id (int), full_name, email, phone_number, national_id."""
        unknown = set(fields) - set(_DFS_USER_COLUMNS)
        if unknown:
            raise ValueError(f"not dfs users columns: {', '.join(sorted(unknown))}")
        insert = text(
            "INSERT INTO users (full_name, email, phone_number, national_id, kyc_tier, is_active) "
            "VALUES (:full_name, :email, :phone_number, :national_id, :kyc_tier, :is_active)"
        )
        for _ in range(_ATTEMPTS):
            values = self._dfs_user() | fields
            try:
                with self._engine("dfs").begin() as conn:
                    user_id = conn.execute(insert, values).lastrowid
            except IntegrityError:
                # email is the only UNIQUE column: a generated one is drawn again.
                if "email" in fields:
                    raise ValueError(f"email {fields['email']!r} is already registered") from None
                continue
            return {"user_id": user_id} | {
                k: values[k] for k in ("full_name", "email", "phone_number", "national_id")
            }
        raise ValueError("generated emails collide with existing users on every attempt")

    def _dfs_user(self) -> dict[str, Any]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        email = self._gen.email(first, last)
        return {
            "full_name": f"{first} {last}",
            "email": email.strip() if email else None,
            "phone_number": None,
            "national_id": f"{self.rng.randrange(10**7, 4 * 10**7):08d}",
            "kyc_tier": "TIER_1",
            "is_active": True,
        }

    def dfs_open_account(self, user_id: int) -> dict[str, Any]:
        """A KES wallet for a dfs user. Returns account_id (int), account_number, user_id,
        balance, currency, status."""
        insert = text(
            "INSERT INTO accounts (account_number, user_id, balance, currency, status) "
            "VALUES (:n, :u, 0, 'KES', 'ACTIVE')"
        )
        with self._engine("dfs").begin() as conn:
            _require_user(conn, user_id)
            for _ in range(_ATTEMPTS):
                number = f"ACC{_unique_digits(7)}"
                try:
                    # A savepoint: a colliding number must not undo the transaction.
                    with conn.begin_nested():
                        account_id = conn.execute(insert, {"n": number, "u": user_id}).lastrowid
                except IntegrityError:
                    continue
                return {
                    "account_id": account_id,
                    "account_number": number,
                    "user_id": user_id,
                    "balance": Decimal(0),
                    "currency": "KES",
                    "status": "ACTIVE",
                }
        raise ValueError("generated account numbers collide with existing ones on every attempt")

    def dfs_change_balance(
        self, account_id: int, new_balance: Decimal | float | str
    ) -> dict[str, Any]:
        """A balance moved the way the dfs app moves it on transfers, insurance and loan payouts:
        an UPDATE with no transactions row. Returns account_id, previous_balance, new_balance."""
        value = _amount(new_balance)
        with self._engine("dfs").begin() as conn:
            previous = conn.execute(
                text("SELECT balance FROM accounts WHERE account_id = :a FOR UPDATE"),
                {"a": account_id},
            ).scalar_one_or_none()
            if previous is None:
                raise ValueError(f"no dfs account {account_id}")
            conn.execute(
                text("UPDATE accounts SET balance = :b WHERE account_id = :a"),
                {"b": value, "a": account_id},
            )
        return {"account_id": account_id, "previous_balance": previous, "new_balance": value}

    def dfs_set_account_status(self, account_id: int, status: str) -> dict[str, Any]:
        """An account frozen, disabled, ... Returns account_id, previous_status, status."""
        status = _member(status, ACCOUNT_STATUSES, "account status")
        return self._dfs_set_status("accounts", "account_id", account_id, status, {})

    def dfs_new_loan(self, user_id: int, principal: Decimal | float | str) -> dict[str, Any]:
        """A loan application (PENDING; 10% fee, all of it still due). Returns loan_id (int),
        user_id, principal_amount, total_due_amount, balance_remaining, status."""
        value = _amount(principal)
        if value <= 0:
            raise ValueError(f"principal must be positive, not {principal!r}")
        due = (value * Decimal("1.1")).quantize(Decimal("0.01"))
        with self._engine("dfs").begin() as conn:
            _require_user(conn, user_id)
            loan_id = conn.execute(
                text(
                    "INSERT INTO loans (user_id, principal_amount, total_due_amount, "
                    "balance_remaining, status) VALUES (:u, :p, :d, :d, 'PENDING')"
                ),
                {"u": user_id, "p": value, "d": due},
            ).lastrowid
        return {
            "loan_id": loan_id,
            "user_id": user_id,
            "principal_amount": value,
            "total_due_amount": due,
            "balance_remaining": due,
            "status": "PENDING",
        }

    def dfs_set_loan_status(self, loan_id: int, status: str) -> dict[str, Any]:
        """A loan moved through the workflow; PAID also clears balance_remaining, as the last
        repayment does. Returns loan_id, previous_status, status."""
        status = _member(status, LOAN_STATUSES, "loan status")
        also = {"balance_remaining": Decimal(0)} if status == "PAID" else {}
        return self._dfs_set_status("loans", "loan_id", loan_id, status, also)

    def _dfs_set_status(
        self, table: str, key: str, row_id: int, status: str, also: dict[str, Any]
    ) -> dict[str, Any]:
        sets = "".join(f", {column} = :{column}" for column in also)
        with self._engine("dfs").begin() as conn:
            previous = conn.execute(
                text(f"SELECT status FROM {table} WHERE {key} = :id FOR UPDATE"), {"id": row_id}
            ).scalar_one_or_none()
            if previous is None:
                raise ValueError(f"no dfs {table[:-1]} {row_id}")
            conn.execute(
                text(f"UPDATE {table} SET status = :s{sets} WHERE {key} = :id"),
                {"s": status, "id": row_id} | also,
            )
        return {key: row_id, "previous_status": previous, "status": status}

    def run(
        self,
        duration_s: float,
        rate_per_s: float,
        stop_event: threading.Event | None = None,
    ) -> dict[str, int]:
        """Write a random mix of events at about `rate_per_s` for `duration_s` seconds (or until
        `stop_event` is set). Returns how many of each event were written; "skipped" counts
        events the data did not allow (a debit above the balance, a case already open, ...)."""
        if rate_per_s <= 0:
            raise ValueError(f"rate_per_s must be positive, not {rate_per_s}")
        stop = stop_event or threading.Event()
        events: list[tuple[str, Callable[[], object], int]] = [
            ("post_transaction", self._random_posting, 45),
            ("login", self._random_login, 25),
            ("new_customer", self._random_customer, 8),
            ("open_fraud_case", self._random_case, 8),
            ("escalate_case", self._random_escalation, 7),
            ("security_alert", self._random_alert, 7),
        ]
        if "dfs" in self.engines:
            events += [
                ("dfs_new_user", self._random_dfs_user, 4),
                ("dfs_change_balance", self._random_dfs_balance, 10),
                ("dfs_set_account_status", self._random_dfs_account_status, 2),
                ("dfs_new_loan", self._random_dfs_loan, 3),
                ("dfs_set_loan_status", self._random_dfs_loan_status, 3),
            ]
        if "core_v1" in self.engines:
            events.append(("core_v1_post", self._random_core_v1_post, 6))
        if "openbanking" in self.engines:
            events.append(("openbanking_payment", self._random_openbanking_payment, 4))
        if "global" in self.engines:
            events.append(("global_move", self._random_global_move, 6))
        counts = dict.fromkeys([name for name, _, _ in events] + ["skipped"], 0)
        deadline = time.monotonic() + duration_s
        next_at = time.monotonic()
        while not stop.is_set() and time.monotonic() < deadline:
            name, event, _ = self.rng.choices(events, weights=[w for _, _, w in events])[0]
            try:
                event()
                counts[name] += 1
            except (ValueError, LookupError):
                counts["skipped"] += 1
            next_at += 1 / rate_per_s
            stop.wait(max(0.0, min(next_at, deadline) - time.monotonic()))
        return counts

    def _pick(self, source: str, sql: str) -> Any:
        """One random row, or LookupError when there is none yet."""
        engine = self._engine(source)
        shuffle = "RAND()" if engine.dialect.name == "mysql" else "random()"
        with engine.connect() as conn:
            row = conn.execute(text(f"{sql} ORDER BY {shuffle} LIMIT 1")).one_or_none()
        if row is None:
            raise LookupError(f"nothing to pick in {source}")
        return row

    def _random_core_v1_post(self) -> object:
        account = self._pick("core_v1", 'SELECT "Id" FROM "Accounts"')
        kind = self.rng.choice(("Deposit", "Withdrawal", "Payment", "CashDeposit"))
        return self.core_v1_post(str(account.Id), kind, self.rng.randrange(100, 20000))

    def _random_openbanking_payment(self) -> object:
        account = self._pick("openbanking", "SELECT id FROM accounts")
        payment = self.openbanking_payment(
            str(account.id), self.rng.randrange(100, 5000), self.rng.randrange(10, 51) / 100
        )
        self.openbanking_complete_payment(payment["payment_id"])
        return payment

    def _random_global_move(self) -> object:
        wallet = self._pick("global", "SELECT wallet_id, balance FROM wallets")
        amount = Decimal(self.rng.randrange(1_0000, 20_000_0000)) / 10_000
        if wallet.balance >= amount and self.rng.random() < 0.4:
            return self.global_withdraw(str(wallet.wallet_id), amount)
        return self.global_deposit(str(wallet.wallet_id), amount)

    def _random_customer(self) -> object:
        customer = self.new_customer()
        self.post_transaction(customer["account_id"], self.rng.randrange(100, 50000), "Credit")
        return customer

    def _random_posting(self) -> object:
        account_id, balance = self._pick(
            "core", 'SELECT "Id", "Balance" FROM "Accounts" WHERE NOT "IsClosed"'
        )
        amount = Decimal(self.rng.choice((50, 100, 500, 1000, 2500, 10000))) + Decimal("0.50")
        debit = amount <= balance and self.rng.random() < 0.5
        channel = self.rng.choice(("MOBILE", "USSD", "ATM", "AGENT", "BRANCH", "jkamau", None))
        return self.post_transaction(
            str(account_id), amount, "Debit" if debit else "Credit", channel
        )

    def _random_login(self) -> object:
        phone, first, last = self._pick(
            "core",
            'SELECT "PrimaryPhone", "FirstName", "LastName" FROM "Customers" '
            'WHERE "PrimaryPhone" IS NOT NULL',
        )
        if phone == PLACEHOLDER_PHONE:
            raise LookupError("a placeholder phone logs in nowhere")
        return self.login({"phone": phone, "full_name": f"{first} {last}"})

    def _random_case(self) -> object:
        reference, number = self._pick(
            "core",
            'SELECT t."Reference", c."CustomerNumber" FROM "Transactions" t '
            'JOIN "Accounts" a ON a."Id" = t."AccountId" '
            'JOIN "Customers" c ON c."Id" = a."CustomerId"',
        )
        reasons = self.rng.sample(FRAUD_REASONS, self.rng.randrange(1, 3))
        return self.open_fraud_case(
            number, reference, round(self.rng.uniform(0.4, 0.99), 4), reasons
        )

    def _random_escalation(self) -> object:
        (case_id,) = self._pick(
            "fraud", "SELECT case_id FROM analyst_cases WHERE status IN ('ASSIGNED', 'IN_PROGRESS')"
        )
        return self.escalate_case(case_id, self.rng.choice(("IN_PROGRESS", "ESCALATED", "CLOSED")))

    def _random_alert(self) -> object:
        kind = self.rng.choice(("NEW_DEVICE", "SIM_SWAP", "IMPOSSIBLE_TRAVEL"))
        return self.security_alert(None, kind, self.rng.choice(("MEDIUM", "HIGH", "CRITICAL")))

    def _random_dfs_user(self) -> object:
        user = self.dfs_new_user()
        return self.dfs_open_account(user["user_id"])

    def _random_dfs_balance(self) -> object:
        account_id, balance = self._pick(
            "dfs", "SELECT account_id, balance FROM accounts WHERE status <> 'DISABLED'"
        )
        delta = Decimal(self.rng.choice((-2500, -500, -100, 100, 500, 1000, 5000)))
        return self.dfs_change_balance(account_id, max(balance + delta, Decimal(0)))

    def _random_dfs_account_status(self) -> object:
        (account_id,) = self._pick("dfs", "SELECT account_id FROM accounts")
        status = self.rng.choice(("ACTIVE", "ACTIVE", "FROZEN", "DORMANT", "DISABLED"))
        return self.dfs_set_account_status(account_id, status)

    def _random_dfs_loan(self) -> object:
        (user_id,) = self._pick("dfs", "SELECT user_id FROM users WHERE is_active")
        return self.dfs_new_loan(user_id, self.rng.randrange(5, 500) * 100)

    def _random_dfs_loan_status(self) -> object:
        loan_id, status = self._pick(
            "dfs", f"SELECT loan_id, status FROM loans WHERE status IN {tuple(_LOAN_FLOW)}"
        )
        return self.dfs_set_loan_status(loan_id, self.rng.choice(_LOAN_FLOW[status]))


def _require_user(conn: Connection, user_id: int) -> None:
    if not conn.execute(text("SELECT 1 FROM users WHERE user_id = :u"), {"u": user_id}).first():
        raise ValueError(f"no dfs user {user_id}")


def _amount(value: Decimal | float | str) -> Decimal:
    """A finite amount in cents; ValueError otherwise."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount


def _member(value: str, allowed: frozenset[str], what: str) -> str:
    name = value.strip().upper()
    if name not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(sorted(allowed))}, not {value!r}")
    return name


def _unique_digits(count: int) -> str:
    # Random rather than seeded: two simulators with one seed must not mint the same numbers.
    return f"{secrets.randbelow(10**count):0{count}d}"


def _insert_unique(
    conn: Connection, statement: TextClause, make: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Insert freshly generated values (ON CONFLICT DO NOTHING ... RETURNING) until no UNIQUE
    column collides; returns the values inserted."""
    for _ in range(_ATTEMPTS):
        values = make()
        if conn.execute(statement, values).first() is not None:
            return values
    raise ValueError(f"values collide with existing rows on every attempt (last: {values})")
