"""Privacy: fake-value providers (``providers``), differential privacy (``dp``) and sanitizing
real data (``sanitize``, with the sanitizer plugins of ``sanitizers``). PII detection lives
with the rest of detection in :mod:`synthohive.metadata.pii`; its public names are here too."""

from synthohive.metadata.pii import PiiMatch, detect_pii
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
