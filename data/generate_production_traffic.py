"""Generate synthetic production traffic (production log records) for drift demos, tests and benchmarks.

In-distribution requests are support tickets from the same generator as the training data
(``generate_demo_data.make_ticket``) with fresh random draws; ``--shift`` replaces that share
of requests with a topic the model never saw (smart-home hardware: firmware, pairing,
batteries, installers), written by different templates::

    python data/generate_production_traffic.py --n 500 --shift 0.3 \\
        --start 2026-11-23T10:00:00Z --out .tuneops/production/2026-11-23.jsonl
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

_spec = importlib.util.spec_from_file_location("generate_demo_data", Path(__file__).with_name("generate_demo_data.py"))
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)

DEVICES = ["SmartHub thermostat", "DoorCam 2", "the LumaBulb starter kit", "AirPure sensor", "the HomeLink bridge"]
NEW_TOPIC = [
    "The {device} keeps blinking amber after firmware {version} and will not pair over Zigbee.",
    "My {device} drains its batteries in two days since the last firmware push.",
    "Pairing the {device} with the mobile hub fails at 90 percent with code {error}.",
    "Can an installer come to mount the {device}? The wall bracket does not fit.",
    "The {device} disconnects from Wi-Fi every night around {hour}:00 and needs a power cycle.",
    "After the factory reset the {device} shows a spinning green ring forever.",
    "Motion detection on the {device} triggers constantly, even in an empty room.",
    "The {device} temperature reading is {degrees} degrees off compared to a second thermometer.",
    "Is the {device} compatible with Matter and voice assistants? The manual does not say.",
    "Firmware {version} bricked my {device}; the status LED stays dark.",
]
OPENERS = ["", "Hey,", "Quick question:", "Hello there,", "Urgent:"]
CLOSERS = ["", "Cheers", "Thanks in advance", "Regards"]


def new_topic_ticket(rng: random.Random) -> dict:
    """A request about a topic absent from the training data."""
    body = rng.choice(NEW_TOPIC).format(
        device=rng.choice(DEVICES), version=f"{rng.randint(1, 9)}.{rng.randint(0, 40)}",
        error=f"HX-{rng.randint(100, 999)}", hour=rng.randint(0, 23), degrees=rng.randint(2, 9),
    )
    text = " ".join(p for p in (rng.choice(OPENERS), body, rng.choice(CLOSERS)) if p)
    answer = {"category": "technical", "priority": rng.choice(demo.PRIORITIES), "summary": body[:60]}
    return {"messages": [{"role": "system", "content": demo.SYSTEM_PROMPT}, {"role": "user", "content": text}],
            "answer": answer}


def traffic(n: int, shift: float = 0.0, seed: int = 7, start: datetime | None = None,
            span: timedelta = timedelta(hours=1), model: str = "demo-model", model_version: str = "1",
            feedback_rate: float = 0.1) -> list[dict]:
    """``n`` production log records; ``shift`` of them (rounded) are from the new topic.

    Timestamps are spread evenly over ``[start, start + span)``.
    """
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
    shifted = set(rng.sample(range(n), round(n * shift)))
    rows = []
    for i in range(n):
        if i in shifted:
            item = new_topic_ticket(rng)
            messages, answer = item["messages"], item["answer"]
        else:
            ticket = demo.make_ticket(rng, i)
            messages, answer = ticket["messages"][:2], json.loads(ticket["messages"][2]["content"])
        row = {
            "timestamp": (start + span * (i / n)).isoformat(),
            "request_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "model": model,
            "model_version": model_version,
            "messages": messages,
            "response": json.dumps(answer),
            "latency_ms": round(rng.uniform(150, 900), 1),
            "metadata": {"predicted_category": answer["category"]},
        }
        if rng.random() < feedback_rate:
            row["feedback"] = {"label": answer["category"], "corrected_answer": json.dumps(answer)}
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--shift", type=float, default=0.0, help="share of requests from the new topic")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default=None, help="ISO time of the first request (default: an hour ago)")
    parser.add_argument("--model", default="demo-model")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    start = (datetime.fromisoformat(args.start.replace("Z", "+00:00")) if args.start
             else datetime.now(timezone.utc) - timedelta(hours=1))
    rows = traffic(args.n, args.shift, args.seed, start, model=args.model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    print(f"appended {len(rows)} records ({args.shift:.0%} new topic) to {args.out}")


if __name__ == "__main__":
    main()
