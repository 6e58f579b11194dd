"""Demo source systems: create the core, channel, fraud and dfs databases with their own DDL and
fill them with realistic, messy sample data (the same data for the same seed; times are relative
to the day it runs). dfs needs a MySQL/MariaDB server; without one it is skipped, not an error."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, ProgrammingError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.config import source_url_variable
from connectors import CONNECTORS
from connectors.dfs import ACCOUNT_STATUSES, DEBIT_TYPES, LOAN_STATUSES, utc_sessions
from connectors.fraud import LOCAL_STYLE, NAIROBI, UTC_STYLE

DEMO_SOURCES = tuple(CONNECTORS)  # a demo database for every source the Brain reads
# The table whose rows tell that a source already holds data.
_MAIN_TABLE = {
    "core": "Customers",
    "channel": "users",
    "fraud": "analyst_cases",
    "dfs": "users",
    "core_v1": "Customers",
    "openbanking": "customers",
    "global": "users",
}
# CREATE TABLE t, or CREATE [UNIQUE] INDEX i ON t, maybe schema-qualified (audit.audit_log):
# the table the statement belongs to
_CREATE = re.compile(
    r'CREATE (?:TABLE|(?:UNIQUE\s+)?INDEX\s+\w+\s+ON)\s+(?:"?(\w+)"?\.)?"?(\w+)"?', re.IGNORECASE
)
# core_v1's column defaults call uuid_generate_v4(); where the server lacks the uuid-ossp
# extension (the embedded PostgreSQL), the same function over the built-in gen_random_uuid()
_UUID_OSSP = re.compile(r'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"', re.IGNORECASE)
_UUID_V4 = (
    "CREATE OR REPLACE FUNCTION uuid_generate_v4() RETURNS uuid LANGUAGE sql"
    " AS 'SELECT gen_random_uuid()'"
)

FIRST_NAMES = (
    "Alice", "John", "Mary", "Peter", "Grace", "James", "Faith", "David", "Mercy", "Joseph",
    "Esther", "Daniel", "Wanjiru", "Kamau", "Akinyi", "Otieno", "Njeri", "Kiprono", "Chebet",
    "Wafula", "Achieng", "Mutua", "Nyambura", "Kibet", "Amina", "Hassan", "Zawadi", "Baraka",
    "Imani", "Juma", "Halima", "Brian", "Sharon", "Kevin", "Purity", "Dennis", "Caroline",
)  # fmt: skip
MIDDLE_NAMES = (
    "Wanjiku", "Atieno", "Njoki", "Wambui", "Auma", "Jepkoech", "Nafula", "Mumbua", "Moraa",
    "Kerubo", "Wairimu", "Nekesa", "Chepkemoi", "Mwende",
)  # fmt: skip
LAST_NAMES = (
    "Otieno", "Wanjiku", "Kamau", "Mwangi", "Ochieng", "Njoroge", "Kiprop", "Chebet", "Wafula",
    "Akinyi", "Mutua", "Kariuki", "Omondi", "Onyango", "Achieng", "Barasa", "Mohamed", "Korir",
    "Rotich", "Muthoni", "Kimani", "Odhiambo", "Maina", "Njeru", "Ndungu", "Cheruiyot", "Wekesa",
    "Owino", "Koech", "Gitau", "Johnson", "Ali",
)  # fmt: skip
PLACEHOLDER_PHONE = "0700000000"
TELLERS = ("jkamau", "teller.wanjiru", "aotieno", "BR042-mwangi")
PROCESSED_BY = ("BRANCH", "MOBILE", "ATM", "USSD", "INTERNET", "AGENT", "mobile", None)
DEVICE_KINDS = ("android", "ios", "ussd", "web")
USER_AGENTS = {
    "android": "WekezaMobile/4.2.1 (Android 13; SM-A145F)",
    "ios": "WekezaMobile/4.2.0 (iOS 17.4; iPhone12,1)",
    "ussd": "USSD-Gateway/2.1 (*544#)",
    "web": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0",
}
FRAUD_REASONS = (
    "Unusual amount", "New device", "Velocity breach", "Night-time transfer",
    "Beneficiary first seen", "SIM swap in last 48h", "Location mismatch",
)  # fmt: skip


def ddl(source: str) -> str:
    """The project's copy of a source system's DDL (sandbox/sql/<source>.sql)."""
    return resources.files("sandbox").joinpath("sql", f"{source}.sql").read_text("utf-8")


def create_sources(urls: dict[str, str], sample: bool, seed: int = 7) -> dict[str, str]:
    """Create each demo source (database and tables) that is missing; with `sample`, fill the
    empty ones with sample data. Returns a human-readable status per source; sources without a
    demo schema, and dfs without a URL or a reachable MySQL server, are reported as skipped."""
    data = SampleData.generate(seed) if sample else None
    status = {}
    for source, url in urls.items():
        if skipped := _skip_reason(source, url):
            status[source] = skipped
            continue
        notes, engine = _prepare(source, url)
        try:
            if data is not None:
                notes.append(_fill(engine, source, data.rows[source]))
        finally:
            engine.dispose()
        status[source] = "; ".join(notes)
    return status


def demo_source_urls(database_url: str, state: Path) -> dict[str, str]:
    """Where the demo source systems live: beside the Enterprise Brain (`<db>_src_core`, ...),
    fraud's SQLite file in the state directory, dfs on the local MySQL/MariaDB."""
    brain = make_url(database_url)
    urls = {
        name: brain.set(database=f"{brain.database}_src_{name}").render_as_string(
            hide_password=False
        )
        for name in DEMO_SOURCES
        if name not in ("fraud", "dfs")
    }
    urls["fraud"] = f"sqlite:///{state / 'fraud.db'}"
    urls["dfs"] = f"mysql+pymysql://root@127.0.0.1:3306/{brain.database}_src_dfs"
    return urls


def record_demo_sources(urls: dict[str, str], path: Path) -> None:
    """Record the demo sources' URLs where every c360 process reads them (a deployment names its
    sources in the environment instead)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{source_url_variable(n)}={u}\n" for n, u in sorted(urls.items())))


def _skip_reason(source: str, url: str) -> str | None:
    """Why a demo source is left alone, or None: no demo schema, or dfs without its server."""
    if source not in DEMO_SOURCES:
        return "skipped: no demo schema for this source"
    if source == "dfs":
        reachable, message = mysql_reachable(url)
        if not reachable:
            return f"skipped: {message}"
    return None


def drop_sources(urls: dict[str, str]) -> dict[str, str]:
    """Destroy the demo sources (tests only): drop the PostgreSQL and MySQL databases, delete
    SQLite files."""
    status = {}
    for source, url in urls.items():
        if skipped := _skip_reason(source, url):
            status[source] = skipped
            continue
        parsed = make_url(url)
        if parsed.get_backend_name() == "mysql":
            with _mysql_admin(parsed) as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {_quote_mysql(parsed.database)}"))
            status[source] = f"dropped database {parsed.database}"
        elif parsed.get_backend_name() == "sqlite":
            path = _sqlite_path(parsed)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            status[source] = f"deleted {path}"
        else:
            with _admin(parsed) as conn:
                conn.execute(
                    text(f"DROP DATABASE IF EXISTS {_quote(parsed.database)} WITH (FORCE)")
                )
            status[source] = f"dropped database {parsed.database}"
    return status


def mysql_reachable(url: str) -> tuple[bool, str]:
    """Whether the MySQL/MariaDB server of `url` answers within about a second, with a
    description: the server's version, or why it cannot be used."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return False, f"not a MySQL URL: {url!r}"
    if parsed.get_backend_name() != "mysql":
        return False, f"not a MySQL URL: {url!r}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 3306}"
    try:
        with _mysql_admin(parsed) as conn:
            version = conn.execute(text("SELECT VERSION()")).scalar_one()
    except (SQLAlchemyError, OSError) as error:
        reason = getattr(error, "orig", None) or error
        return False, f"MySQL/MariaDB not reachable at {where} ({reason})"
    return True, f"MySQL/MariaDB {version} at {where}"


def to_msisdn(phone: str | None) -> str | None:
    """The channel system's form of a Kenyan mobile number (254712345678), or None."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    for prefix in ("00254", "254", "0"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 9:
            digits = digits[len(prefix) :]
            break
    return f"254{digits}" if len(digits) == 9 and digits[0] in "17" else None


def engine_amount(amount: Decimal) -> float:
    """An amount as the risk engine stores it: a float computed with, never rounded to cents."""
    return sum([float(amount) / 7] * 7)


def _prepare(source: str, url: str) -> tuple[list[str], Engine]:
    parsed = make_url(url)
    notes = []
    if source == "fraud":
        if parsed.get_backend_name() != "sqlite":
            raise ValueError(f"the demo fraud source is a SQLite file, not {url!r}")
        path = _sqlite_path(parsed)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            notes.append(f"created {path}")
        engine = create_engine(parsed)
        with engine.begin() as conn:
            # The risk engine's readers and writers work side by side: WAL keeps reads unblocked.
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    elif source == "dfs":
        if parsed.get_backend_name() != "mysql":
            raise ValueError(f"the demo dfs source is MySQL/MariaDB, not {url!r}")
        if _create_mysql_database(parsed):
            notes.append(f"created database {parsed.database}")
        engine = utc_sessions(create_engine(parsed))
    else:
        if parsed.get_backend_name() != "postgresql":
            raise ValueError(f"the demo {source} source is PostgreSQL, not {url!r}")
        if _create_database(parsed):
            notes.append(f"created database {parsed.database}")
        engine = create_engine(parsed)
    existing = set(inspect(engine).get_table_names())
    seen_schemas: set[str] = set()
    missing = []
    with engine.begin() as conn:
        for statement in _statements(ddl(source)):
            if _UUID_OSSP.match(statement) and not _has_extension(conn, "uuid-ossp"):
                conn.exec_driver_sql(_UUID_V4)
                continue
            match = _CREATE.match(statement)
            if match is None:
                conn.exec_driver_sql(statement)  # idempotent (IF NOT EXISTS)
                continue
            schema, table = match.groups()
            name = f"{schema}.{table}" if schema else table
            if schema and schema not in seen_schemas:
                existing |= {f"{schema}.{t}" for t in _tables_in(engine, schema)}
                seen_schemas.add(schema)
            if name not in existing:
                conn.exec_driver_sql(statement)
                missing.append(name)
    created = ", ".join(dict.fromkeys(missing))
    notes.append(f"created tables {created}" if created else "tables present")
    return notes, engine


def _has_extension(conn: Connection, name: str) -> bool:
    return bool(
        conn.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = :n"), {"n": name}
        ).first()
    )


def _tables_in(engine: Engine, schema: str) -> list[str]:
    inspector = inspect(engine)
    return inspector.get_table_names(schema) if schema in inspector.get_schema_names() else []


def _statements(script: str) -> Iterator[str]:
    # comments go first, whole lines and trailing ones: a comment may hold a ';'
    lines = [re.sub(r"--.*$", "", line) for line in script.splitlines()]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            yield statement.strip()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise ValueError(f"a demo SQLite source needs a file path, not {url!r}")
    return Path(url.database).resolve()


def _quote(name: str | None) -> str:
    if not name:
        raise ValueError("the source URL names no database")
    return '"' + name.replace('"', '""') + '"'


class _admin:
    """An AUTOCOMMIT connection to the server's `postgres` database (CREATE/DROP DATABASE)."""

    def __init__(self, url: URL) -> None:
        self.engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def __enter__(self) -> Connection:
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
        self.engine.dispose()


class _mysql_admin:
    """A connection to the MySQL server itself, no database selected, giving up after ~1 s."""

    def __init__(self, url: URL) -> None:
        self.engine = create_engine(
            url.set(database=""),  # "" connects without selecting a database
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 1},
            poolclass=NullPool,
        )

    def __enter__(self) -> Connection:
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
        self.engine.dispose()


def _quote_mysql(name: str | None) -> str:
    if not name:
        raise ValueError("the source URL names no database")
    return "`" + name.replace("`", "``") + "`"


def _create_mysql_database(url: URL) -> bool:
    with _mysql_admin(url) as conn:
        exists = conn.execute(
            text("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name"),
            {"name": url.database},
        ).first()
        # IF NOT EXISTS: another process may create it between the check and here.
        conn.execute(
            text(
                f"CREATE DATABASE IF NOT EXISTS {_quote_mysql(url.database)} CHARACTER SET utf8mb4"
            )
        )
    return exists is None


def _create_database(url: URL) -> bool:
    exists = text("SELECT 1 FROM pg_database WHERE datname = :name")
    with _admin(url) as conn:
        if conn.execute(exists, {"name": url.database}).first():
            return False
        try:
            conn.execute(text(f"CREATE DATABASE {_quote(url.database)}"))
        except ProgrammingError:
            # Another process created it between the check and the CREATE.
            if conn.execute(exists, {"name": url.database}).first():
                return False
            raise
    return True


def _naive_utc(row: dict[str, Any]) -> dict[str, Any]:
    """A row for a `timestamp without time zone` source: aware times as naive UTC."""
    return {
        k: v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v
        for k, v in row.items()
    }


def _fill(engine: Engine, source: str, tables: list[tuple[str, list[dict[str, Any]]]]) -> str:
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote_identifier  # "x" or `x`
        main = _MAIN_TABLE[source]
        present = conn.execute(text(f"SELECT COUNT(*) FROM {quote(main)}")).scalar_one()
        if present:
            return f"sample data already present ({present} rows in {main})"
        for table, rows in tables:
            if rows:
                columns = list(rows[0])
                names = ", ".join(quote(c) for c in columns)
                values = ", ".join(f":{c}" for c in columns)
                conn.execute(text(f"INSERT INTO {quote(table)} ({names}) VALUES ({values})"), rows)
    return "inserted " + ", ".join(f"{len(rows)} {table}" for table, rows in tables)


@dataclass
class SampleData:
    """Rows for every demo source, generated together so that their cross references hold."""

    rng: random.Random
    now: datetime
    rows: dict[str, list[tuple[str, list[dict[str, Any]]]]] = field(default_factory=dict)

    @classmethod
    def generate(cls, seed: int, customers: int = 300) -> SampleData:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        data = cls(random.Random(seed), now)
        core = data._core(customers)
        data.rows["core"] = core
        data.rows["channel"] = data._channel(core[0][1])
        data.rows["fraud"] = data._fraud(core[0][1], core[1][1], core[2][1])
        # Drawn last, so the other sources' data stays what it was for a seed.
        data.rows["dfs"] = data._dfs(core[0][1])
        from sandbox import group_samples  # builds on this module's names and generators

        data.rows["core_v1"] = group_samples.core_v1(data, core[0][1])
        data.rows["openbanking"] = group_samples.openbanking(data, core[0][1])
        data.rows["global"] = group_samples.global_wallets(data, core[0][1])
        return data

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _ago(self, days: float) -> datetime:
        """A random moment within the last `days` days."""
        return self.now - timedelta(microseconds=self.rng.randrange(int(days * 86400e6)))

    def _after(self, start: datetime, days: float = 60) -> datetime:
        """A random moment after `start`, at most `days` later and never after now."""
        span = min((self.now - start).total_seconds(), days * 86400)
        return start + timedelta(microseconds=self.rng.randrange(max(int(span * 1e6), 1)))

    def phone(self) -> tuple[str, str]:
        """A new mobile number as (national significant number, as typed at the branch)."""
        nsn = self.rng.choice(("7", "7", "7", "1")) + f"{self.rng.randrange(10**8):08d}"
        typed = self.rng.choice(
            (
                f"+254{nsn}",
                f"254{nsn}",
                f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}",
                nsn,
                f"0{nsn}",
                f"00254{nsn}",
            )
        )
        return nsn, typed

    def national_id(self, n: int) -> str:
        number = f"{self.rng.randrange(10**6, 4 * 10**7):08d}"
        pick = self.rng.random()
        if pick < 0.35:
            return number.lstrip("0") if self.rng.random() < 0.2 else number
        if pick < 0.55:
            return f"ID{number}"
        if pick < 0.65:
            return f"{number[:2]} {number[2:5]} {number[5:]}"
        if pick < 0.72:
            return f"{number[:2]}.{number[2:5]}.{number[5:]}"
        if pick < 0.80:
            return f"KE-ID-{n:05d}"
        if pick < 0.88:
            return f"ID0{number[1:]}"
        if pick < 0.93:
            return f" {number} "
        return f"{self.rng.choice('ABCK')}{self.rng.randrange(10**7):07d}"  # passport

    def email(self, first: str, last: str) -> str | None:
        pick = self.rng.random()
        if pick < 0.2:
            return None
        user = self.rng.choice((f"{first}.{last}", f"{first}{last[0]}", f"{first[0]}{last}"))
        user += str(self.rng.randrange(100)) if self.rng.random() < 0.4 else ""
        domain = self.rng.choice(("gmail.com", "yahoo.com", "outlook.com", "wekeza.co.ke"))
        email = f"{user}@{domain}"
        if pick < 0.5:
            return email.lower()
        if pick < 0.7:
            return email.upper() if self.rng.random() < 0.3 else email
        return f" {email} " if pick < 0.85 else f"{email.capitalize()} "

    def _core(self, count: int) -> list[tuple[str, list[dict[str, Any]]]]:
        customers: list[dict[str, Any]] = []
        accounts: list[dict[str, Any]] = []
        transactions: list[dict[str, Any]] = []
        loans: list[dict[str, Any]] = []
        ids: set[str] = set()
        emails: set[str] = set()
        # Placeholders typed when a field was mandatory; the columns are UNIQUE, so one each.
        placeholder_ids = iter(("00000000",))
        placeholder_emails = iter(("noemail@wekeza.co.ke", "na@na.com", "NA@NA.COM"))
        for n in range(1, count + 1):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            middle = self.rng.choice(MIDDLE_NAMES) if self.rng.random() < 0.4 else None
            if customers and self.rng.random() < 0.08:
                # A family member: another person, another ID, the same phone.
                relative = self.rng.choice(customers)
                phone, last = relative["PrimaryPhone"], relative["LastName"]
            elif self.rng.random() < 0.04:
                phone = PLACEHOLDER_PHONE
            elif self.rng.random() < 0.04:
                phone = None
            else:
                phone = self.phone()[1]
            national_id = next(placeholder_ids, None) if n % 97 == 0 else None
            while national_id is None or national_id in ids:
                national_id = self.national_id(n)
            ids.add(national_id)
            email = next(placeholder_emails, None) if n % 61 == 0 else self.email(first, last)
            if email in emails:
                email = None
            if email:
                emails.add(email)
            created = self._ago(900)
            customer_id = self._uuid()
            customers.append(
                {
                    "Id": customer_id,
                    "CustomerNumber": f"CUST{n:06d}",
                    "FirstName": first,
                    "MiddleName": middle,
                    "LastName": last,
                    "Email": email,
                    "IdentificationNumber": national_id,
                    "DateOfBirth": datetime(1950, 1, 1) + timedelta(days=self.rng.randrange(20000))
                    if self.rng.random() < 0.9
                    else None,
                    "Gender": self.rng.choice(("Male", "Female", "M", "F", None)),
                    "Nationality": "Kenyan",
                    "PrimaryPhone": phone,
                    "SecondaryPhone": self.phone()[1] if self.rng.random() < 0.1 else None,
                    "Status": self.rng.choice(("Active",) * 8 + ("ACTIVE", "Dormant", "Inactive")),
                    "KYCStatus": self.rng.choice(("Verified", "Verified", "Pending")),
                    "AMLRiskRating": self.rng.choice(("Low", "Low", "Low", "Medium", "High")),
                    "CreatedAt": created,
                    "UpdatedAt": self._after(created),
                }
            )
            for _ in range(self.rng.choice((1, 1, 1, 2))):
                account = self._account(len(accounts) + 1, customer_id, created)
                accounts.append(account)
                transactions.extend(self._transactions(account, len(transactions)))
            if self.rng.random() < 0.25:
                loans.append(self._loan(len(loans) + 1, customers[-1], accounts[-1]))
        return [
            ("Customers", customers),
            ("Accounts", accounts),
            ("Transactions", transactions),
            ("Loans", loans),
        ]

    def _account(self, n: int, customer_id: uuid.UUID, after: datetime) -> dict[str, Any]:
        opened = self._after(after)
        closed = self.rng.random() < 0.05
        return {
            "Id": self._uuid(),
            "AccountNumber": f"ACC{n:010d}",
            "CustomerId": customer_id,
            "AccountType": self.rng.choice(("Savings", "Savings", "Current", "FixedDeposit")),
            "Currency": "USD" if self.rng.random() < 0.05 else "KES",
            "Balance": Decimal(0),
            "AvailableBalance": Decimal(0),
            "Status": "Closed" if closed else self.rng.choice(("Active",) * 9 + ("Dormant",)),
            "IsFrozen": self.rng.random() < 0.02,
            "IsClosed": closed,
            "ClosedAt": self._after(opened) if closed else None,
            "CreatedAt": opened,
            "UpdatedAt": opened,
        }

    def _transactions(self, account: dict[str, Any], numbered: int) -> list[dict[str, Any]]:
        """A few postings; the account's balance and UpdatedAt follow them, as core writes."""
        rows = []
        balance = Decimal(0)
        moment = account["CreatedAt"]
        for i in range(self.rng.randrange(0, 9)):
            moment = self._after(moment)
            amount = Decimal(self.rng.choice((50, 100, 250, 500, 1000, 2500, 7500, 20000, 150000)))
            amount += Decimal(self.rng.randrange(100)) / 100
            debit = i > 0 and amount <= balance and self.rng.random() < 0.5
            new_balance = balance - amount if debit else balance + amount
            by = self.rng.choice(PROCESSED_BY + TELLERS[:1]) if self.rng.random() < 0.9 else None
            rows.append(
                {
                    "Id": self._uuid(),
                    "AccountId": account["Id"],
                    "Type": self.rng.choice(("Debit", "DEBIT")) if debit else "Credit",
                    "Amount": amount,
                    "Currency": account["Currency"],
                    "PreviousBalance": balance,
                    "NewBalance": new_balance,
                    "Status": "Completed",
                    "Reference": f"TX-{moment:%Y%m%d}-{numbered + i + 1:08d}",
                    "Description": self.rng.choice(
                        ("Cash deposit", "M-Pesa transfer", "ATM withdrawal", "Salary", None)
                    ),
                    "ProcessedAt": moment,
                    "ProcessedBy": self.rng.choice(TELLERS) if by == TELLERS[0] else by,
                }
            )
            balance = new_balance
        account["Balance"] = account["AvailableBalance"] = balance
        account["UpdatedAt"] = moment
        return rows

    def _loan(self, n: int, customer: dict[str, Any], account: dict[str, Any]) -> dict[str, Any]:
        principal = Decimal(self.rng.randrange(5, 500) * 1000)
        status = self.rng.choice(("Pending", "Approved", "Disbursed", "Active", "Active", "Closed"))
        created = self._after(customer["CreatedAt"])
        disbursed = self._after(created) if status in ("Active", "Closed") else None
        term = self.rng.choice((6, 12, 24, 36, 60))
        outstanding = {"Closed": Decimal(0), "Active": principal * Decimal("0.6")}
        return {
            "Id": self._uuid(),
            "LoanNumber": f"LN{n:08d}",
            "CustomerId": customer["Id"],
            "AccountId": account["Id"],
            "PrincipalAmount": principal,
            "OutstandingBalance": outstanding.get(status, principal),
            "InterestRate": Decimal(self.rng.choice(("12.50", "13.00", "14.75", "16.00", "18.00"))),
            "TermInMonths": term,
            "Currency": "KES",
            "Status": status,
            "RiskGrade": self.rng.choice(("A", "B", "C", "D", None)),
            "DisbursedAt": disbursed,
            "MaturityDate": disbursed + timedelta(days=30 * term) if disbursed else None,
            "NextPaymentDate": disbursed + timedelta(days=30) if disbursed else None,
            "CreatedAt": created,
            "UpdatedAt": disbursed or created,
        }

    def _channel(self, customers: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
        users: list[dict[str, Any]] = []
        msisdns: set[str] = set()
        registrants = [(c, to_msisdn(c["PrimaryPhone"])) for c in customers]
        registrants = [(c, m) for c, m in registrants if m and self.rng.random() < 0.6]
        # Channel-only users: MSISDNs core has never seen.
        registrants += [(None, f"254{self.phone()[0]}") for _ in range(40)]
        for customer, msisdn in registrants:
            if msisdn in msisdns or msisdn == to_msisdn(PLACEHOLDER_PHONE):
                continue  # account_id is UNIQUE: one channel user per number
            msisdns.add(msisdn)
            created = self._after(customer["CreatedAt"]) if customer else self._ago(400)
            users.append(
                {
                    "user_id": self._uuid(),
                    "account_id": msisdn,
                    # NOT NULL in Salama: a user who gave no name has an empty one
                    "account_name": self.account_name(customer) or "",
                    "account_type": self.rng.choice(("Savings", "Savings", "Current", "Business")),
                    "currency": "KES",
                    # secrets beside the data: present, never read by a connector
                    "pin_hash": f"{self.rng.getrandbits(256):064x}",
                    "plain_pin_encrypted": f"{self.rng.getrandbits(256):064x}",
                    "is_in_shadow_mode": False,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        sessions, logs, alerts = [], [], []
        for user in users:
            first_session = len(sessions)
            devices = [
                f"{kind}-{self.rng.getrandbits(16):04x}"
                for kind in self.rng.sample(DEVICE_KINDS, self.rng.choice((1, 1, 2)))
            ]
            for _ in range(self.rng.randrange(1, 5)):
                session = self._session(user, self.rng.choice(devices))
                sessions.append(session)
                logs.append(self._log(session, "LOGIN"))
                if self.rng.random() < 0.4:
                    logs.append(self._log(session, self.rng.choice(("BALANCE_QUERY", "TRANSFER"))))
                if session["session_mode"] == "shadow" or self.rng.random() < 0.06:
                    alerts.append(self._alert(session))
            # The channel bumps updated_at on every login.
            user["updated_at"] = max(s["last_activity"] for s in sessions[first_session:])
        tables = [
            ("users", users),
            ("sessions", sessions),
            ("audit_logs", logs),
            ("security_alerts", alerts),
        ]
        # Salama's times are naive; the application writes DateTime.UtcNow
        return [(name, [_naive_utc(row) for row in rows]) for name, rows in tables]

    def account_name(self, customer: dict[str, Any] | None) -> str | None:
        if customer is None:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        else:
            first, last = customer["FirstName"], customer["LastName"]
        return self.rng.choice(
            (f"{first} {last}", f"{first} {last}".upper(), f"{first} {last[0]}.", first, None)
        )

    def _session(self, user: dict[str, Any], device: str) -> dict[str, Any]:
        created = self._after(user["created_at"])
        return {
            "session_id": self._uuid(),
            "user_id": user["user_id"],
            # A live credential in the real system: present here, never read by a connector.
            "session_token": f"{self.rng.getrandbits(256):064x}",
            "session_mode": "shadow" if self.rng.random() < 0.03 else "standard",
            "device_id": device,
            "ip_address": self.rng.choice(("41.90", "105.160", "197.232", "102.68"))
            + f".{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}",
            "user_agent": USER_AGENTS[device.split("-")[0]],
            "created_at": created,
            "expires_at": created + timedelta(minutes=30),
            "last_activity": min(created + timedelta(seconds=self.rng.randrange(900)), self.now),
        }

    def _log(self, session: dict[str, Any], action: str) -> dict[str, Any]:
        return {
            "log_id": self._uuid(),
            "user_id": session["user_id"],
            "session_id": session["session_id"],
            "action": action,
            "is_shadow_action": session["session_mode"] == "shadow",
            "entity_type": "ACCOUNT" if action != "LOGIN" else None,
            "ip_address": session["ip_address"],
            "user_agent": session["user_agent"],
            "created_at": session["created_at"],
        }

    def _alert(self, session: dict[str, Any]) -> dict[str, Any]:
        shadow = session["session_mode"] == "shadow"
        kind = (
            "DURESS_MODE_ACTIVATED"
            if shadow
            else self.rng.choice(("SUSPICIOUS_ACTIVITY", "NEW_DEVICE", "SIM_SWAP"))
        )
        # as the analysts' tools write it, in mixed case
        status = self.rng.choice(("Open", "Acknowledged", "Investigating", "Resolved"))
        raised = session["created_at"]
        acknowledged = self._after(raised, 1) if status != "Open" else None
        return {
            "alert_id": self._uuid(),
            "user_id": session["user_id"],
            "session_id": session["session_id"],
            "alert_type": kind,
            "severity": "CRITICAL" if shadow else self.rng.choice(("LOW", "MEDIUM", "HIGH")),
            "device_id": session["device_id"],
            "alert_status": status,
            "created_at": raised,
            "acknowledged_at": acknowledged,
            "resolved_at": self._after(acknowledged, 2) if status == "Resolved" else None,
        }

    def _fraud(
        self,
        customers: list[dict[str, Any]],
        accounts: list[dict[str, Any]],
        transactions: list[dict[str, Any]],
        count: int = 50,
    ) -> list[tuple[str, list[dict[str, Any]]]]:
        owner = {a["Id"]: a["CustomerId"] for a in accounts}
        number = {c["Id"]: c["CustomerNumber"] for c in customers}
        flagged = self.rng.sample(transactions, min(count, len(transactions)))
        flagged.sort(key=lambda t: t["ProcessedAt"])  # cases open in the order they were flagged
        cases = []
        for tx in flagged:
            score = round(self.rng.uniform(0.35, 0.99), 4)
            level = "HIGH" if score >= 0.8 else "MEDIUM" if score >= 0.5 else "LOW"
            opened = min(tx["ProcessedAt"] + timedelta(minutes=self.rng.randrange(1, 30)), self.now)
            status = self.rng.choice(("ASSIGNED", "ASSIGNED", "IN_PROGRESS", "ESCALATED", "CLOSED"))
            if status == "ASSIGNED":
                updated = opened.strftime(UTC_STYLE)
            else:
                # The analyst workbench writes the host's Nairobi clock, with microseconds.
                touched = self._after(opened).replace(microsecond=self.rng.randrange(1, 10**6))
                updated = touched.astimezone(NAIROBI).strftime(LOCAL_STYLE)
            cases.append(
                {
                    "transaction_id": tx["Reference"],
                    "customer_id": number[owner[tx["AccountId"]]],
                    # The engine keeps the float it computed with, unrounded.
                    "amount": engine_amount(tx["Amount"]),
                    "currency": tx["Currency"],
                    "merchant_name": self.rng.choice(
                        ("Naivas", "Carrefour", "Jumia", "Safaricom", None)
                    ),
                    "transaction_type": self.rng.choice(("TRANSFER", "WITHDRAWAL", "PAYMENT")),
                    "risk_score": score,
                    "risk_level": level.lower() if self.rng.random() < 0.1 else level,
                    "status": status,
                    "analyst_id": None
                    if status == "ASSIGNED"
                    else self.rng.choice(("an-007", "an-012")),
                    "flagged_reason": "; ".join(
                        self.rng.sample(FRAUD_REASONS, self.rng.randrange(1, 4))
                    ),
                    "created_at": opened.strftime(UTC_STYLE),
                    "updated_at": updated,
                }
            )
        return [("analyst_cases", cases)]

    def _dfs(
        self, customers: list[dict[str, Any]], count: int = 150
    ) -> list[tuple[str, list[dict[str, Any]]]]:
        """dfs users (some of them core customers, typed dfs's way), their wallets, loans and
        transactions. dfs stores TIMESTAMPs to the second."""
        people: list[tuple[dict[str, Any] | None, str | None]] = []
        for customer in customers:
            digits = id_digits(customer["IdentificationNumber"])
            if digits and len(people) < count // 2 and self.rng.random() < 0.35:
                people.append((customer, digits))
        people += [(None, None)] * (count - len(people))
        self.rng.shuffle(people)
        users: list[dict[str, Any]] = []
        accounts: list[dict[str, Any]] = []
        loans: list[dict[str, Any]] = []
        transactions: list[dict[str, Any]] = []
        emails: set[str] = set()  # UNIQUE under a case-insensitive collation
        for user_id, (customer, digits) in enumerate(people, start=1):
            if customer is None:
                first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
                middle = None
                digits = f"{self.rng.randrange(10**7, 4 * 10**7):08d}"
                email = self.email(first, last)
                phone = f"0{self.phone()[0]}"
                created = self._ago(700)
            else:
                first, middle, last = (customer[k] for k in ("FirstName", "MiddleName", "LastName"))
                email = self._other_case(customer["Email"]) or self.email(first, last)
                msisdn = to_msisdn(customer["PrimaryPhone"])
                real = msisdn and customer["PrimaryPhone"] != PLACEHOLDER_PHONE
                phone = f"0{msisdn[3:]}" if real else f"0{self.phone()[0]}"
                created = self._after(customer["CreatedAt"], 400)
            assert digits is not None
            if email is not None and email.strip().lower() in emails:
                email = None
            if email is not None:
                emails.add(email.strip().lower())
            created = created.replace(microsecond=0)
            users.append(
                {
                    "user_id": user_id,
                    "full_name": self._full_name(first, middle, last),
                    "email": email.strip() if email else None,
                    # The web app accepts a phone at sign-up and never saves it.
                    "phone_number": phone if self.rng.random() < 0.25 else None,
                    "national_id": self.rng.choice(
                        (digits, digits, digits, digits, f"{digits[:2]} {digits[2:5]} {digits[5:]}")
                    )
                    + (" " if self.rng.random() < 0.05 else ""),
                    "kyc_tier": self.rng.choice(("TIER_1", "TIER_1", "TIER_2", "TIER_3")),
                    "is_active": self.rng.random() < 0.95,
                    "created_at": created,
                }
            )
            for _ in range(self.rng.choice((1, 1, 1, 1, 2))):
                accounts.append(self._dfs_account(len(accounts) + 1, user_id, created))
                transactions += self._dfs_transactions(accounts[-1], len(transactions))
            if self.rng.random() < 0.4:
                loans.append(self._dfs_loan(len(loans) + 1, user_id, created))
        return [
            ("users", users),
            ("accounts", accounts),
            ("loans", loans),
            ("transactions", transactions),
        ]

    def _other_case(self, email: str | None) -> str | None:
        """Core's email as another system typed it: the same address in another case, or None."""
        if email is None or self.rng.random() < 0.5:
            return None
        address = email.strip()
        for variant in (address.upper(), address.lower(), address.capitalize()):
            if variant != address:
                return variant
        return None

    def _full_name(self, first: str, middle: str | None, last: str) -> str:
        forms = [f"{first} {last}", f"{first} {last}", f"{last} {first}"]
        if middle:
            forms.append(f"{first} {middle} {last}")
        name = self.rng.choice(forms)
        return name.upper() if self.rng.random() < 0.15 else name

    def _dfs_account(self, n: int, user_id: int, after: datetime) -> dict[str, Any]:
        statuses = sorted(ACCOUNT_STATUSES - {"ACTIVE"})
        return {
            "account_id": n,
            "account_number": f"ACC{1000000 + n}",
            "user_id": user_id,
            # Balances move without a transactions row: they are not the sum of the postings.
            "balance": Decimal(self.rng.randrange(0, 20_000_000)) / 100,
            "currency": "KES",
            "status": "ACTIVE" if self.rng.random() < 0.85 else self.rng.choice(statuses),
            "created_at": self._after(after, 30).replace(microsecond=0),
        }

    def _dfs_loan(self, n: int, user_id: int, after: datetime) -> dict[str, Any]:
        principal = Decimal(self.rng.randrange(5, 500) * 100)
        due = (principal * Decimal("1.1")).quantize(Decimal("0.01"))
        status = self.rng.choice(sorted(LOAN_STATUSES))
        remaining = {
            "PAID": Decimal(0),
            "ACTIVE": (due * Decimal(self.rng.randrange(10, 100)) / 100).quantize(Decimal("0.01")),
            "DEFAULTED": (due * Decimal("0.8")).quantize(Decimal("0.01")),
        }
        return {
            "loan_id": n,
            "user_id": user_id,
            "principal_amount": principal,
            "total_due_amount": due,
            "balance_remaining": remaining.get(status, due),
            "status": status,
            "created_at": self._after(after).replace(microsecond=0),
        }

    def _dfs_transactions(self, account: dict[str, Any], numbered: int) -> list[dict[str, Any]]:
        rows = []
        moment = account["created_at"]
        kinds = ("DEPOSIT", "DEPOSIT", "DEPOSIT", *sorted(DEBIT_TYPES))
        for i in range(self.rng.randrange(0, 6)):
            moment = self._after(moment).replace(microsecond=0)
            kind = "DEPOSIT" if i == 0 else self.rng.choice(kinds)
            rows.append(
                {
                    "transaction_id": numbered + i + 1,
                    "account_id": account["account_id"],
                    "txn_type": kind,
                    "amount": Decimal(self.rng.choice((50, 100, 500, 1000, 2500, 10000))),
                    "reference_code": f"DFS{moment:%Y%m%d}{numbered + i + 1:06d}",
                    "description": kind.replace("_", " ").capitalize(),
                    "created_at": moment,
                }
            )
        return rows


def id_digits(national_id: str | None) -> str | None:
    """The 7 or 8 digits of a core national ID typed with an ID prefix, spaces or dots; None for
    passports, KE-ID numbers and the placeholder."""
    if national_id is None or not re.fullmatch(r"(ID)?[\d .]+", national_id.strip()):
        return None
    digits = re.sub(r"\D", "", national_id)
    return digits if len(digits) in (7, 8) and digits != "00000000" else None
