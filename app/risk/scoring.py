"""Risk_Profile: an explainable FraudScore and RiskLevel from fraud cases, channel alerts, credit
decisions, payment risk scores and AML alerts.

Rule (documented in docs/risk.md):
- A fraud case contributes by its status (written by the engine and its analyst workbench):
  ASSIGNED and IN_PROGRESS (open) its engine risk_score; ESCALATED at least 0.8; BLOCKED —
  the analyst confirmed the fraud and stopped the payment — 1.0, so the customer is HIGH and
  never lower than while the case was open; CLOSED (approved as a false positive) nothing.
  A status no rule knows counts as open (its risk_score): it never lowers a score.
- A channel security alert contributes by severity while open — every status but RESOLVED,
  FALSE_POSITIVE and CLOSED, in any case (Open, Acknowledged, Investigating and any status no
  rule knows): LOW 0.05, MEDIUM 0.15, HIGH 0.35, CRITICAL 0.6; a severity no rule knows counts
  as MEDIUM.
- A dfs credit decision (risk_scores, at each loan application): the customer's latest, if
  REJECTED (a CRB listing, a low credit score), contributes 0.15; any other decision nothing.
- An openbanking payment carries the payment engine's risk score (0..1): the customer's latest
  payment contributes half its score (an engine's view of one payment, not a case).
- A global AML alert contributes by severity while PENDING (every status but RESOLVED): LOW 0.1,
  MEDIUM 0.25, HIGH 0.5; a severity no rule knows counts as MEDIUM. Resolved, nothing.
- FraudScore = 1 - prod(1 - contribution): independent signals accumulate, never above 1.
- RiskLevel = HIGH if FraudScore >= 0.7, or an open or blocked case the engine rated HIGH, or
  an open CRITICAL alert; MEDIUM if FraudScore >= 0.3; else LOW.
Reasons list every contributing input with its contribution. LastUpdated moves only when the
inputs (and so the result) change.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, text

from app.outbox import service as outbox

CASE_STATUSES = frozenset({"ASSIGNED", "IN_PROGRESS", "ESCALATED", "BLOCKED", "CLOSED"})
CLOSED_CASE = frozenset({"CLOSED"})  # approved: a false positive
# the level of a profile with no risk profile yet: its first level is a change only from this
INITIAL_LEVEL = "LOW"
CONFIRMED_CASE = frozenset({"BLOCKED"})  # the analyst confirmed the fraud
ESCALATED_FLOOR = 0.8
ALERT_STATUSES = frozenset(
    {"OPEN", "ACKNOWLEDGED", "INVESTIGATING", "RESOLVED", "FALSE_POSITIVE", "CLOSED"}
)
CLOSED_ALERT = frozenset({"RESOLVED", "FALSE_POSITIVE", "CLOSED"})
ALERT_WEIGHT = {"LOW": 0.05, "MEDIUM": 0.15, "HIGH": 0.35, "CRITICAL": 0.6}
UNKNOWN_SEVERITY_WEIGHT = ALERT_WEIGHT["MEDIUM"]
REJECTED_CREDIT_WEIGHT = 0.15
PAYMENT_RISK_SHARE = 0.5
FINAL_PAYMENT = frozenset({"COMPLETED", "FAILED"})  # a payment that no longer changes
RESOLVED_AML = frozenset({"RESOLVED"})
AML_WEIGHT = {"LOW": 0.1, "MEDIUM": 0.25, "HIGH": 0.5}
HIGH_AT, MEDIUM_AT = 0.7, 0.3


@dataclass(frozen=True)
class RiskInput:
    source: str  # the source system
    kind: str  # fraud_case | security_alert | credit_decision | payment | aml_alert
    ref: str
    status: str
    level: str  # engine risk level, or alert severity
    score: float | None  # engine risk score (cases)
    detail: str | None


@dataclass(frozen=True)
class RiskResult:
    fraud_score: Decimal
    risk_level: str
    reasons: list[dict[str, Any]]

    @property
    def result_hash(self) -> str:
        """The digest of the result: a recomputed profile is written only when it differs."""
        canonical = json.dumps([str(self.fraud_score), self.risk_level, self.reasons])
        return hashlib.sha256(canonical.encode()).hexdigest()


def contribution(item: RiskInput) -> float:
    if item.kind == "fraud_case":
        if item.status in CLOSED_CASE:
            return 0.0
        if item.status in CONFIRMED_CASE:
            return 1.0
        score = min(max(item.score or 0.0, 0.0), 1.0)
        return max(score, ESCALATED_FLOOR) if item.status == "ESCALATED" else score
    if item.kind == "credit_decision":
        return REJECTED_CREDIT_WEIGHT if item.status == "REJECTED" else 0.0
    if item.kind == "payment":
        return PAYMENT_RISK_SHARE * min(max(item.score or 0.0, 0.0), 1.0)
    if item.kind == "aml_alert":
        if item.status in RESOLVED_AML:
            return 0.0
        return AML_WEIGHT.get(item.level, AML_WEIGHT["MEDIUM"])
    if item.status in CLOSED_ALERT:
        return 0.0
    return ALERT_WEIGHT.get(item.level, UNKNOWN_SEVERITY_WEIGHT)


def score(inputs: list[RiskInput]) -> RiskResult:
    remaining = 1.0
    reasons = []
    forces_high = False
    for item in inputs:
        weight = contribution(item)
        if weight <= 0:
            continue
        remaining *= 1.0 - weight
        forces_high |= (item.kind == "fraud_case" and item.level == "HIGH") or (
            item.kind == "security_alert" and item.level == "CRITICAL"
        )
        reasons.append(
            {
                "source": item.source,
                "kind": item.kind,
                "ref": item.ref,
                "status": item.status,
                "level": item.level,
                "contribution": round(weight, 3),
                "detail": item.detail,
            }
        )
    reasons.sort(key=lambda r: (-r["contribution"], r["kind"], r["ref"]))
    fraud_score = Decimal(str(1.0 - remaining)).quantize(Decimal("0.001"), ROUND_HALF_UP)
    if forces_high or fraud_score >= Decimal(str(HIGH_AT)):
        level = "HIGH"
    elif fraud_score >= Decimal(str(MEDIUM_AT)):
        level = "MEDIUM"
    else:
        level = "LOW"
    return RiskResult(fraud_score, level, reasons)


def update_risk_profiles(conn: Connection, global_ids: list[UUID]) -> int:
    """Recompute the profiles of these customers; returns how many changed."""
    # a merged-away ID has no profile of its own any more (its inputs moved to the survivor)
    global_ids = list(
        conn.execute(
            text(
                "SELECT global_customer_id FROM customer_360"
                " WHERE global_customer_id = ANY(:ids) AND status = 'active'"
            ),
            {"ids": global_ids},
        ).scalars()
    )
    if not global_ids:
        return 0
    inputs: dict[UUID, list[RiskInput]] = defaultdict(list)
    rows = conn.execute(
        text(
            """
            SELECT global_customer_id, 'fraud' AS source, 'fraud_case' AS kind,
                   source_case_id AS ref, status, risk_level AS level, risk_score AS score,
                   flagged_reason AS detail
            FROM fraud_case WHERE global_customer_id = ANY(:ids)
            UNION ALL
            SELECT global_customer_id, 'channel', 'security_alert', source_alert_id, status,
                   severity, NULL, alert_type
            FROM security_alert WHERE global_customer_id = ANY(:ids)
            UNION ALL
            SELECT * FROM (
                SELECT DISTINCT ON (global_customer_id) global_customer_id, source_system,
                       'credit_decision', source_decision_id, coalesce(decision, ''),
                       NULL::text, NULL::float8,
                       'credit score ' || coalesce(credit_score::text, 'unknown')
                FROM credit_decision WHERE global_customer_id = ANY(:ids)
                ORDER BY global_customer_id, decided_at DESC NULLS LAST,
                         source_decision_id DESC
            ) AS latest_credit_decision
            UNION ALL
            SELECT * FROM (
                SELECT DISTINCT ON (global_customer_id) global_customer_id, source_system,
                       'payment', source_payment_id, status, NULL::text, risk_score,
                       coalesce(payment_ref, '') || ' ' || amount::text || ' ' || currency
                FROM payment WHERE global_customer_id = ANY(:ids)
                ORDER BY global_customer_id, created_at DESC, source_payment_id DESC
            ) AS latest_payment
            UNION ALL
            SELECT global_customer_id, source_system, 'aml_alert', source_alert_id, status,
                   severity, NULL, alert_type
            FROM aml_alert WHERE global_customer_id = ANY(:ids)
            """
        ),
        {"ids": global_ids},
    ).all()
    for row in rows:
        inputs[row.global_customer_id].append(
            RiskInput(row.source, row.kind, row.ref, row.status, row.level, row.score, row.detail)
        )
    values = []
    for gid in global_ids:
        result = score(sorted(inputs[gid], key=lambda i: (i.kind, i.ref)))
        values.append(
            {
                "gid": gid,
                "score": result.fraud_score,
                "level": result.risk_level,
                "reasons": result.reasons,
                "hash": result.result_hash,
            }
        )
    # `was` (locked first, so read as committed last) holds each level as it was
    changed = conn.execute(
        text(
            """
            WITH v AS (
                SELECT * FROM jsonb_to_recordset(CAST(:values AS jsonb))
                    AS v(gid uuid, score numeric, level text, reasons jsonb, hash text)
            ), was AS (
                SELECT rp.global_customer_id, rp.risk_level FROM risk_profile rp
                JOIN v ON rp.global_customer_id = v.gid
                ORDER BY rp.global_customer_id FOR UPDATE OF rp
            ), written AS (
                INSERT INTO risk_profile AS rp
                    (global_customer_id, fraud_score, risk_level, reasons, result_hash,
                     last_updated)
                SELECT v.gid, v.score, v.level, v.reasons, v.hash, clock_timestamp() FROM v
                ON CONFLICT (global_customer_id) DO UPDATE SET
                    fraud_score = EXCLUDED.fraud_score, risk_level = EXCLUDED.risk_level,
                    reasons = EXCLUDED.reasons, result_hash = EXCLUDED.result_hash,
                    last_updated = EXCLUDED.last_updated
                WHERE rp.result_hash <> EXCLUDED.result_hash
                RETURNING rp.global_customer_id, rp.risk_level, rp.fraud_score, rp.reasons
            )
            SELECT written.*, was.risk_level AS was_level
            FROM written LEFT JOIN was USING (global_customer_id)
            ORDER BY global_customer_id
            """
        ),
        {"values": json.dumps(values, default=str)},
    ).all()
    outbox.record(conn, _level_changes(changed))
    return len(changed)


def _level_changes(changed: list[Row[Any]]) -> list[outbox.Outgoing]:
    """A RiskLevelChanged for each profile whose level moved (a new profile starts at LOW)."""
    return [
        outbox.Outgoing(
            outbox.RISK_LEVEL_CHANGED,
            row.global_customer_id,
            {
                "old": row.was_level or INITIAL_LEVEL,
                "new": row.risk_level,
                "fraud_score": str(row.fraud_score),
                "reasons": outbox.reasons_without_detail(row.reasons),
            },
        )
        for row in changed
        if row.risk_level != (row.was_level or INITIAL_LEVEL)
    ]
