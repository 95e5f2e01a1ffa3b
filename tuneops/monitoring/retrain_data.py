"""Production log records -> chat records that go through curation and into retraining."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tuneops.monitoring.production_log import Feedback, ProductionRecord


def merge_feedback(records: Iterable[ProductionRecord]) -> list[ProductionRecord]:
    """Requests with feedback sent later (``/v1/feedback`` records) folded into them; last verdict wins."""
    requests, late = [], {}
    for record in records:
        target = record.metadata.get("feedback_for")
        if not record.messages and target and record.feedback:
            late[target] = record.feedback
        elif record.messages:
            requests.append(record)
    merged = []
    for record in requests:
        feedback = late.get(record.request_id)
        if feedback is not None:
            old = record.feedback or Feedback()
            record = record.model_copy(update={"feedback": Feedback(
                label=feedback.label or old.label, corrected_answer=feedback.corrected_answer or old.corrected_answer)})
        merged.append(record)
    return merged


def production_to_chat(records: Iterable[ProductionRecord], use_served_answers: bool) -> tuple[list[dict], dict]:
    """Chat records ``{"id", "messages", "metadata"}`` for curation.

    The assistant turn is the reviewer's corrected answer, else (when ``use_served_answers``)
    the answer the model served. Requests with neither are left out and counted.

    Returns:
        The records and counts: ``corrected``, ``served``, ``left_out_unanswered``.
    """
    rows, counts = [], Counter()
    for record in merge_feedback(records):
        answer = record.feedback.corrected_answer if record.feedback else None
        origin = "corrected"
        if not answer and use_served_answers:
            answer, origin = record.response, "served"
        if not answer:
            counts["left_out_unanswered"] += 1
            continue
        counts[origin] += 1
        metadata = {"source": "production", "request_id": record.request_id, "model_version": record.model_version,
                    "timestamp": record.timestamp.isoformat(), "answer_origin": origin}
        if record.feedback and record.feedback.label:
            metadata["category"] = record.feedback.label
        rows.append({"id": f"prod-{record.request_id}",
                     "messages": [*record.messages, {"role": "assistant", "content": answer}],
                     "metadata": metadata})
    return rows, {"corrected": counts["corrected"], "served": counts["served"],
                  "left_out_unanswered": counts["left_out_unanswered"]}
