"""Sample rows for the group's three other systems (core_v1, openbanking, global), in the formats
their own code writes (docs/sources/core_v1.md, openbanking.md, global.md), some of them people core
knows:

- core_v1 knows them by national ID in its own formats (`ID12345678`, `KE-ID-…`), an E.164 phone
  and an email (`<32 hex>@vif.local` when none was given); balances live in "Accounts".
- openbanking knows them by customer number (`CUST001`), email and phone, never a national ID.
- global knows them by one full name, a unique email and a nullable phone; wallets in USD, EUR,
  GBP and KES hold four decimals, and a transfer's receiving side exists only in the ledger.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.sources import (
    FIRST_NAMES,
    LAST_NAMES,
    PLACEHOLDER_PHONE,
    SampleData,
    id_digits,
    to_msisdn,
)

Tables = list[tuple[str, list[dict[str, Any]]]]

CORE_V1_TYPES = (
    "Deposit", "Withdrawal", "Payment", "Transfer", "CashDeposit", "CashWithdrawal", "Investment",
)  # fmt: skip
CORE_V1_CREDITS = frozenset({"Deposit", "CashDeposit", "ChequeDeposit"})
WALLET_CURRENCIES = ("KES", "USD", "EUR", "GBP")
AML_THRESHOLDS = ((Decimal("50000"), "high"), (Decimal("10000"), "medium"))


def naive(moment: datetime) -> datetime:
    """A plain TIMESTAMP as these systems' code writes it: UTC, without its zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def e164(customer: dict[str, Any]) -> str | None:
    phone = customer.get("PrimaryPhone")
    if not phone or phone == PLACEHOLDER_PHONE:
        return None
    msisdn = to_msisdn(phone)
    return f"+{msisdn}" if msisdn else None


def national_id_digits(customer: dict[str, Any]) -> str | None:
    return id_digits(customer["IdentificationNumber"])


def core_v1(data: SampleData, customers: list[dict[str, Any]], count: int = 120) -> Tables:
    """Half of them core customers (their national ID typed core_v1's way), half new people."""
    rng = data.rng
    known = [c for c in customers if national_id_digits(c) and rng.random() < 0.3][: count // 2]
    people: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    for n in range(1, count + 1):
        core = known[n - 1] if n <= len(known) else None
        if core is not None:
            first, last = core["FirstName"], core["LastName"]
            digits = national_id_digits(core)
            assert digits is not None
            phone = e164(core)
            email = core["Email"].strip() if core["Email"] else None
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            digits = f"{rng.randrange(10**7, 4 * 10**7):08d}"
            phone = f"+254{data.phone()[0]}" if rng.random() < 0.9 else None
            email = data.email(first, last)
        identification = rng.choice((f"ID{digits}", f"ID{digits}", digits, f"KE-ID-{digits}"))
        if identification in used_ids:
            identification = f"ID{digits}-{n}"
        used_ids.add(identification)
        person_id = data._uuid()
        created = data._ago(600)
        people.append(
            {
                "Id": person_id,
                "FirstName": first,
                "LastName": last,
                # VIF's placeholder when none was given (the column is UNIQUE NOT NULL)
                "Email": email.lower() if email else f"{person_id.hex}@vif.local",
                "PhoneNumber": phone or "",
                "IdentificationNumber": identification,
                "RiskRating": rng.choice((0, 0, 1, 1, 2, 3)),
                "IsActive": True,
                "CreatedAt": naive(created),
                "UpdatedAt": naive(created),
            }
        )
        balance = Decimal(rng.randrange(0, 500_000_00)) / 100
        opened = data._after(created)
        account = {
            "Id": data._uuid(),
            "AccountNumber": f"ACC{rng.randrange(10**10):010d}",
            "CustomerId": person_id,
            "AccountType": rng.choice(("Savings", "Savings", "Current", "FixedDeposit")),
            "Currency": "KES",
            "Balance": balance,
            "AvailableBalance": balance,
            "Status": "Active",
            "OpenedDate": opened,
            "CreatedAt": opened,
            "UpdatedAt": data._after(opened),
            "BranchCode": "BR100001",
        }
        accounts.append(account)
        for _ in range(rng.randrange(0, 4)):
            kind = rng.choice(CORE_V1_TYPES)
            moment = data._after(opened)
            description = {
                "Transfer": f"Transfer {rng.choice(('to', 'from'))} ACC{rng.randrange(10**10):010d}"
                f" (TRF-{rng.randrange(10**8):08d})",
            }.get(kind, f"{kind} via VIF")
            transactions.append(
                {
                    "Id": data._uuid(),
                    "TransactionReference": f"TX-{moment:%Y%m%d%H%M%S}-{rng.randrange(10**4):04d}"
                    f"{len(transactions)}",
                    "AccountId": account["Id"],
                    "TransactionType": kind,
                    "Amount": Decimal(rng.randrange(100_00, 50_000_00)) / 100,
                    "Currency": "KES",
                    "Status": "Completed",
                    "Description": description,
                    "CreatedAt": naive(moment),
                    "ProcessedAt": naive(moment),
                    "BalanceAfter": balance,
                }
            )
    return [("Customers", people), ("Accounts", accounts), ("Transactions", transactions)]


def openbanking(data: SampleData, customers: list[dict[str, Any]], count: int = 80) -> Tables:
    """People the open-banking seed knows by email and phone: some of them core customers."""
    rng = data.rng
    known = [c for c in customers if c["Email"] and e164(c) and rng.random() < 0.3][: count // 2]
    people: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    emails: set[str] = set()
    for n in range(1, count + 1):
        core = known[n - 1] if n <= len(known) else None
        if core is not None:
            first, last = core["FirstName"], core["LastName"]
            email, phone = core["Email"].strip().lower(), e164(core)
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}{n}@gmail.com".lower()
            phone = f"+254{data.phone()[0]}"
        if email in emails:
            email = f"{n}.{email}"
        emails.add(email)
        created = data._ago(400)
        person_id = data._uuid()
        people.append(
            {
                "id": person_id,
                "customer_number": f"CUST{n:03d}",
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "date_of_birth": None,  # never filled by the seed
                "kyc_status": "verified",
                "created_at": naive(created),
                "updated_at": naive(created),
            }
        )
        balance = Decimal(rng.randrange(1000_00, 900_000_00)) / 100
        account = {
            "id": data._uuid(),
            "account_number": f"{rng.randrange(10**9, 10**10)}",
            "customer_id": person_id,
            "account_type": rng.choice(("savings", "current")),
            "currency": "KES",
            "balance": balance,
            "available_balance": balance,
            "status": "active",
            "created_at": naive(created),
            "updated_at": naive(created),
        }
        accounts.append(account)
        for _ in range(rng.randrange(0, 3)):
            moment = naive(data._after(created))
            transactions.append(
                {
                    "id": data._uuid(),
                    "transaction_ref": f"TXN{int(moment.timestamp() * 1000)}{len(transactions)}",
                    "account_id": account["id"],
                    "transaction_type": rng.choice(("credit", "debit")),
                    "amount": Decimal(rng.randrange(100_00, 20_000_00)) / 100,
                    "currency": "KES",
                    "balance_after": balance,
                    "description": "Seed transaction",
                    "status": "completed",
                    "transaction_date": moment,
                    "created_at": moment,
                }
            )
        if rng.random() < 0.3:
            moment = naive(data._after(created))
            ref = f"PAY{int(moment.timestamp() * 1000)}{rng.randrange(16**8):08X}"
            payments.append(
                {
                    "id": data._uuid(),
                    "payment_ref": ref,
                    "source_account_id": account["id"],
                    "destination_account_number": f"{rng.randrange(10**9, 10**10)}",
                    "amount": Decimal(rng.randrange(100_00, 50_000_00)) / 100,
                    "currency": "KES",
                    "reference": f"INV-{n:04d}",
                    "description": "Supplier payment",
                    "status": "completed",
                    "risk_score": Decimal(rng.randrange(10, 51)) / 100,
                    "idempotency_key": str(uuid.UUID(int=rng.getrandbits(128))),
                    "completed_at": moment,
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
    return [
        ("customers", people),
        ("accounts", accounts),
        ("transactions", transactions),
        ("payments", payments),
    ]


def global_wallets(data: SampleData, customers: list[dict[str, Any]], count: int = 60) -> Tables:
    """Wallet users, some of them core customers (one full name, email, maybe a phone), their
    wallets in four currencies, transactions with their ledger legs, and AML alerts."""
    rng = data.rng
    known = [c for c in customers if c["Email"] and rng.random() < 0.25][: count // 2]
    users: list[dict[str, Any]] = []
    wallets: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    ledger: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    emails: set[str] = set()
    for n in range(1, count + 1):
        core = known[n - 1] if n <= len(known) else None
        if core is not None:
            name = " ".join(p for p in (core["FirstName"], core["LastName"]) if p)
            email, phone = core["Email"].strip().lower(), e164(core)
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name, email = f"{first} {last}", f"{first}{last}{n}@wgi.example".lower()
            phone = f"+254{data.phone()[0]}" if rng.random() < 0.6 else None
        if email in emails:
            email = f"{n}.{email}"
        emails.add(email)
        created = data._ago(300)
        user_id = data._uuid()
        users.append(
            {
                "user_id": user_id,
                "full_name": name,
                "email": email,
                "phone_number": phone,
                # the column is NOT NULL; the demo writes a stand-in the connector never reads
                "password_hash": "$2a$10$" + "x" * 53,
                "kyc_status": rng.choice(("verified", "verified", "pending", "rejected")),
                "role": "user",
                "created_at": naive(created),
                "updated_at": naive(created),
                "account_type": rng.choice(("individual", "freelancer", "sme")),
            }
        )
        for currency in rng.sample(WALLET_CURRENCIES, rng.choice((1, 1, 2))):
            opened = data._after(created)
            wallet = {
                "wallet_id": data._uuid(),
                "user_id": user_id,
                "currency": currency,
                "balance": Decimal(0),
                "created_at": naive(opened),
                "updated_at": naive(opened),
            }
            wallets.append(wallet)
            for _ in range(rng.randrange(1, 4)):
                moment = naive(data._after(opened))
                amount = Decimal(rng.randrange(10_0000, 80_000_0000)) / 10_000
                kind = (
                    "deposit"
                    if wallet["balance"] < amount
                    else rng.choice(("deposit", "withdrawal"))
                )
                wallet["balance"] += amount if kind == "deposit" else -amount
                transaction_id = data._uuid()
                transactions.append(
                    {
                        "transaction_id": transaction_id,
                        "wallet_id": wallet["wallet_id"],
                        "type": kind,
                        "amount": amount,
                        "currency": currency,
                        "status": "completed",
                        "metadata": '{"reason": "seed_funds", "source": "system"}',
                        "created_at": moment,
                        "updated_at": moment,
                    }
                )
                ledger.append(
                    {
                        "ledger_entry_id": data._uuid(),
                        "transaction_id": transaction_id,
                        "wallet_id": wallet["wallet_id"],
                        "debit": amount if kind == "withdrawal" else Decimal(0),
                        "credit": amount if kind == "deposit" else Decimal(0),
                        "balance_after": wallet["balance"],
                        "created_at": moment,
                    }
                )
                severity = next((s for limit, s in AML_THRESHOLDS if amount > limit), None)
                if kind == "withdrawal" and severity:
                    alerts.append(
                        {
                            "aml_alert_id": data._uuid(),
                            "transaction_id": transaction_id,
                            "type": "large_withdrawal",
                            "severity": severity,
                            "status": rng.choice(("pending", "resolved")),
                            "created_at": moment,
                        }
                    )
            wallet["updated_at"] = max(
                [wallet["updated_at"]]
                + [t["created_at"] for t in transactions if t["wallet_id"] == wallet["wallet_id"]]
            )
    return [
        ("users", users),
        ("wallets", wallets),
        ("transactions", transactions),
        ("ledger_entries", ledger),
        ("aml_alerts", alerts),
    ]
