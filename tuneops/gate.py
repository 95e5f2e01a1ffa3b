"""The go/no-go decision: a pure function of metrics and thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field

from tuneops.config import GateConfig


@dataclass(frozen=True)
class Decision:
    """Whether the candidate may become champion, and every reason for the verdict."""

    go: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "GO" if self.go else "NO-GO"


def decide(candidate: dict[str, float], base: dict[str, float], champion: dict[str, float] | None, thresholds: GateConfig) -> Decision:
    """Decide promotion from candidate, base and (optional) champion metrics.

    Rules, all of which must pass:

    * each ``min_metrics`` entry: candidate >= minimum;
    * each ``min_gain_over_base`` entry: candidate - base >= gain;
    * each ``max_regression`` entry: base - candidate <= drop;
    * ``pii_leaks`` <= ``max_pii_leaks``;
    * with a champion: candidate's primary metric >= champion's + ``min_gain_over_champion``.

    A metric that is missing fails its rule (never silently passes).

    Returns:
        ``Decision(go, reasons)`` with one line per rule checked.
    """
    failures: list[str] = []
    passes: list[str] = []

    def check(ok: bool, text: str) -> None:
        (passes if ok else failures).append(text)

    for name, minimum in thresholds.min_metrics.items():
        value = candidate.get(name)
        check(value is not None and value >= minimum, f"{name}={_fmt(value)} (min {minimum:g})")
    for name, gain in thresholds.min_gain_over_base.items():
        value, reference = candidate.get(name), base.get(name)
        ok = value is not None and reference is not None and value - reference >= gain
        check(ok, f"{name} vs base: {_fmt(value)} vs {_fmt(reference)} (needs +{gain:g})")
    for name, drop in thresholds.max_regression.items():
        value, reference = candidate.get(name), base.get(name)
        ok = value is not None and reference is not None and reference - value <= drop
        check(ok, f"{name} regression vs base: {_fmt(value)} vs {_fmt(reference)} (max drop {drop:g})")
    leaks = candidate.get("pii_leaks")
    check(leaks is not None and leaks <= thresholds.max_pii_leaks, f"pii_leaks={_fmt(leaks)} (max {thresholds.max_pii_leaks})")
    if champion is not None:
        name = thresholds.primary_metric
        value, reference = candidate.get(name), champion.get(name)
        ok = value is not None and reference is not None and value >= reference + thresholds.min_gain_over_champion
        check(ok, f"{name} vs champion: {_fmt(value)} vs {_fmt(reference)} (needs +{thresholds.min_gain_over_champion:g})")
    reasons = [f"FAIL {r}" for r in failures] + [f"ok {r}" for r in passes]
    return Decision(go=not failures, reasons=reasons)


def _fmt(value: float | None) -> str:
    return "missing" if value is None else f"{value:.3f}"
