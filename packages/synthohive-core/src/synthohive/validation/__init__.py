"""Validation: metrics as plugins, the quality report, and quality/privacy gates.

report = synthohive.evaluate(real, synthetic, metadata)
report.overall, report.properties, report.to_html("report.html")
"""

from synthohive.validation.base import EvaluationContext, MetricResult, Validator
from synthohive.validation.evaluate import evaluate
from synthohive.validation.gate import PrivacyThresholds, QualityGate
from synthohive.validation.profile import ReferenceProfile, build_profile
from synthohive.validation.report import Report

__all__ = [
    "EvaluationContext",
    "MetricResult",
    "PrivacyThresholds",
    "QualityGate",
    "ReferenceProfile",
    "Report",
    "Validator",
    "build_profile",
    "evaluate",
]
