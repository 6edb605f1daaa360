"""Quality and privacy gates: thresholds applied to a report; failing raises with the report.

Privacy defaults follow RELIABILITY.md ("Privacy gate defaults"); all are configurable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthohive.errors import PrivacyGateError, QualityGateError
from synthohive.validation.report import Report


@dataclass(frozen=True)
class PrivacyThresholds:
    """Privacy gate thresholds (checked per table where a holdout was available)."""

    max_ims_gap: float = 0.005
    """IMS_train − IMS_holdout must not exceed this."""
    zero_ims_with_continuous: bool = True
    """IMS_train must be 0 for tables with at least one continuous column."""
    dcr_alpha: float = 0.01
    """One-sided binomial test of DCR share > 0.5 must not reject at this level."""
    max_dcr_share: float = 0.52
    """Point-estimate cap, applied when there are at least ``dcr_min_rows`` synthetic rows."""
    dcr_min_rows: int = 5_000
    min_nndr_ratio: float = 0.9
    min_dcr_overfitting_protection: float = 0.9
    max_domias_auc: float = 0.55
    """Checked when the report has a DOMIAS AUC (``evaluate(..., domias=True)``)."""


@dataclass(frozen=True)
class QualityGate:
    """Minimum overall/property scores, 100% referential integrity, optional privacy checks."""

    min_score: float = 0.0
    min_properties: dict[str, float] = field(default_factory=dict)
    require_referential_integrity: bool = True
    privacy: PrivacyThresholds | None = None

    def failures(self, report: Report) -> list[str]:
        """Every reason the report fails this gate (empty when it passes)."""
        out: list[str] = []
        overall = report.overall
        if overall is None or overall < self.min_score:
            out.append(f"overall quality {overall} < {self.min_score}")
        props = report.properties
        for prop, minimum in self.min_properties.items():
            v = props.get(prop)
            if v is None or v < minimum:
                out.append(f"{prop} {v} < {minimum}")
        if self.require_referential_integrity:
            for r in report.results:
                if r.metric == "ReferentialIntegrity" and (r.score is None or r.score < 1.0):
                    out.append(f"referential integrity of {r.table}{list(r.columns)} is {r.score}")
        return out

    def privacy_failures(self, report: Report) -> list[str]:
        """Privacy reasons the report fails (empty when none or privacy is not gated)."""
        t = self.privacy
        if t is None:
            return []
        out: list[str] = []
        for r in report.results:
            if r.metric != "ExactMatchRate":
                continue
            d = r.details
            table = r.table
            if "ims_holdout" not in d:
                out.append(f"{table}: no holdout, privacy cannot be verified (use holdout=)")
                continue
            if d["ims_train"] - d["ims_holdout"] > t.max_ims_gap:
                out.append(
                    f"{table}: IMS_train−IMS_holdout "
                    f"{d['ims_train'] - d['ims_holdout']:.4f} > {t.max_ims_gap}"
                )
            if t.zero_ims_with_continuous and d.get("has_continuous") and d["ims_train"] > 0:
                out.append(f"{table}: {d['ims_train']:.4f} of synthetic rows copy a training row")
            if d["dcr_share_pvalue"] < t.dcr_alpha:
                out.append(
                    f"{table}: DCR share {d['dcr_share']:.3f} is significantly above 0.5 "
                    f"(p={d['dcr_share_pvalue']:.2g})"
                )
            if d["rows_synthetic"] >= t.dcr_min_rows and d["dcr_share"] > t.max_dcr_share:
                out.append(f"{table}: DCR share {d['dcr_share']:.3f} > {t.max_dcr_share}")
            nndr = d.get("nndr_ratio")
            if nndr is not None and nndr < t.min_nndr_ratio:
                out.append(f"{table}: NNDR ratio {nndr:.3f} < {t.min_nndr_ratio}")
            auc = d.get("domias_auc")
            if auc is not None and auc > t.max_domias_auc:
                out.append(f"{table}: DOMIAS membership AUC {auc:.3f} > {t.max_domias_auc}")
            if d["dcr_overfitting_protection"] < t.min_dcr_overfitting_protection:
                out.append(
                    f"{table}: DCROverfittingProtection "
                    f"{d['dcr_overfitting_protection']:.3f} < "
                    f"{t.min_dcr_overfitting_protection}"
                )
        return out

    def check(self, report: Report) -> Report:
        """Record the outcome on ``report``; raise if it fails (privacy failures first)."""
        priv = self.privacy_failures(report)
        qual = self.failures(report)
        report.gate_failures = priv + qual
        if priv:
            raise PrivacyGateError(
                "synthetic data failed the privacy gate: " + "; ".join(priv),
                report=report,
                fix="train longer with more regularisation, fewer epochs, or "
                "a larger table; inspect report.details('Privacy')",
            )
        if qual:
            raise QualityGateError(
                "synthetic data failed the quality gate: " + "; ".join(qual),
                report=report,
                fix="inspect report.details() for the weakest columns",
            )
        return report
