"""Human approval of a GO decision, in the Prefect UI (``gate.approval: required``)."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

from tuneops.gate import Decision
from tuneops.reports import evaluation_markdown


class Approval(RunInput):
    """The form an approver fills in when resuming the paused pipeline."""

    approve: bool = False
    approver: str = ""
    comment: str = ""


def wait_for_approval(decision: Decision, metrics: dict[str, dict[str, float]], timeout_s: int) -> Decision:
    """Pause the flow run until an approver approves or rejects the GO in the Prefect UI.

    The pause shows the metric comparison. Rejection turns the decision into
    NO-GO; either way the approver and comment join the reasons.
    """
    description = evaluation_markdown(metrics, decision.label, decision.reasons) + (
        "\n\nApprove to move the `champion` alias to this candidate; reject to keep the current champion."
    )
    logger = get_run_logger()
    logger.info("waiting up to %d s for approval in the Prefect UI", timeout_s)
    answer = pause_flow_run(wait_for_input=Approval.with_initial_data(description=description), timeout=timeout_s)
    who = answer.approver or "unnamed approver"
    if answer.approve:
        logger.info("approved by %s", who)
        return Decision(True, decision.reasons + [f"ok approved by {who}: {answer.comment}"])
    logger.info("rejected by %s", who)
    return Decision(False, decision.reasons + [f"FAIL rejected by {who}: {answer.comment}"])
