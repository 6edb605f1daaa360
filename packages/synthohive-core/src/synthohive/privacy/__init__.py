"""Privacy: PII detection (``detect``), fake-value providers (``providers``) and sanitizing real
data (``sanitize``, with the sanitizer plugins of ``sanitizers``)."""

from synthohive.privacy.detect import PiiMatch, detect_pii
from synthohive.privacy.dp import DPConfig
from synthohive.privacy.providers import consistent_map, fill_column, learn_profile
from synthohive.privacy.sanitize import PrivacyConfig, sanitize
from synthohive.privacy.sanitizers import Sanitizer

__all__ = [
    "DPConfig",
    "PiiMatch",
    "PrivacyConfig",
    "Sanitizer",
    "consistent_map",
    "detect_pii",
    "fill_column",
    "learn_profile",
    "sanitize",
]
