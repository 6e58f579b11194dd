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


def test_inputs_hash_changes_with_inputs():
    assert score([case("1")]).inputs_hash != score([case("1", status="ESCALATED")]).inputs_hash
    assert score([case("1")]).inputs_hash == score([case("1")]).inputs_hash
