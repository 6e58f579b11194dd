from decimal import Decimal

from app.risk.scoring import RiskInput, score


def case(ref, status="ASSIGNED", level="MEDIUM", risk=0.5):
    return RiskInput("fraud", "fraud_case", ref, status, level, risk, "Unusual amount")


def alert(ref, severity, status="OPEN"):
    return RiskInput("channel", "security_alert", ref, status, severity, None, "NEW_DEVICE")


def test_no_inputs_is_low_zero():
    result = score([])
    assert (result.fraud_score, result.risk_level, result.reasons) == (Decimal("0.000"), "LOW", [])


def test_signals_accumulate_noisy_or():
    result = score([case("1", risk=0.5), alert("a", "MEDIUM")])
    # 1 - (1 - 0.5) * (1 - 0.15)
    assert result.fraud_score == Decimal("0.575")
    assert result.risk_level == "MEDIUM"
    assert [r["ref"] for r in result.reasons] == ["1", "a"]


def test_closed_case_and_resolved_alert_count_nothing():
    result = score([case("1", status="CLOSED", risk=0.99), alert("a", "HIGH", "RESOLVED")])
    assert result.fraud_score == 0 and result.risk_level == "LOW"


def test_engine_high_or_critical_alert_forces_high():
    assert score([case("1", level="HIGH", risk=0.2)]).risk_level == "HIGH"
    assert score([alert("a", "CRITICAL")]).risk_level == "HIGH"


def test_escalated_case_has_a_floor():
    assert score([case("1", status="ESCALATED", risk=0.1)]).fraud_score == Decimal("0.800")


def test_result_hash_changes_with_the_result():
    assert score([case("1")]).result_hash != score([case("1", status="ESCALATED")]).result_hash
    assert score([case("1")]).result_hash == score([case("1")]).result_hash


def test_a_blocked_case_is_confirmed_fraud_never_lower_than_open():
    for risk in (0.1, 0.75, 0.99):
        open_score = max(
            score([case("1", status="ASSIGNED", risk=risk)]).fraud_score,
            score([case("1", status="ESCALATED", risk=risk)]).fraud_score,
        )
        blocked = score([case("1", status="BLOCKED", level="LOW", risk=risk)])
        assert blocked.risk_level == "HIGH"
        assert blocked.fraud_score >= open_score
        assert blocked.fraud_score == Decimal("1.000")


def test_a_status_no_rule_knows_counts_as_open():
    unknown = score([case("1", status="PENDING_REVIEW", risk=0.6)])
    assert unknown.fraud_score == Decimal("0.600")
    assert score([alert("a", "HIGH", "ESCALATED_TO_SOC")]).fraud_score == Decimal("0.350")


def test_acknowledged_and_investigating_alerts_are_open():
    for status in ("ACKNOWLEDGED", "INVESTIGATING", "OPEN"):
        assert score([alert("a", "HIGH", status)]).fraud_score == Decimal("0.350")
    for status in ("RESOLVED", "FALSE_POSITIVE", "CLOSED"):
        assert score([alert("a", "HIGH", status)]).fraud_score == 0


def test_a_severity_no_rule_knows_counts_as_medium():
    assert score([alert("a", "SEVERE")]).fraud_score == Decimal("0.150")


def aml(ref, severity, status="PENDING"):
    return RiskInput("global", "aml_alert", ref, status, severity, None, "large_withdrawal")


def payment(ref, risk, status="COMPLETED"):
    return RiskInput("openbanking", "payment", ref, status, None, risk, "PAY1 1200.00 KES")


def test_a_pending_aml_alert_counts_by_severity_and_nothing_once_resolved():
    assert score([aml("x", "HIGH")]).fraud_score == Decimal("0.500")
    assert score([aml("x", "MEDIUM")]).fraud_score == Decimal("0.250")
    assert score([aml("x", "SEVERE")]).fraud_score == Decimal("0.250")  # unknown: as MEDIUM
    assert score([aml("x", "HIGH", "RESOLVED")]).fraud_score == 0


def test_a_payment_contributes_half_its_engine_risk_score():
    result = score([payment("p", 0.46)])
    assert result.fraud_score == Decimal("0.230")
    assert result.reasons[0]["kind"] == "payment" and result.reasons[0]["contribution"] == 0.23
