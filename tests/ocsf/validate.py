"""Validates `posture assess findings --format ocsf` output against the OCSF schema as the
py-ocsf-models package encodes it (OCSF 1.5.0 ComplianceFinding, class 2003): every event must
parse as a ComplianceFinding, and every field it carries must survive the round trip, so a field
the schema does not define (which the models would silently drop) fails too.

Usage: validate.py EVENTS.jsonl  (one event per line). Prints the number of valid events.
"""

import json
import sys

from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding


def lost(sent, kept, path):
    """Paths of `sent` that are absent from, or differ in, `kept`."""
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            return [path]
        out = []
        for key, value in sent.items():
            if value is None:
                continue
            if key not in kept:
                out.append(f"{path}.{key}")
            else:
                out.extend(lost(value, kept[key], f"{path}.{key}"))
        return out
    if isinstance(sent, list):
        if not isinstance(kept, list) or len(sent) != len(kept):
            return [path]
        out = []
        for i, (a, b) in enumerate(zip(sent, kept)):
            out.extend(lost(a, b, f"{path}[{i}]"))
        return out
    return [] if sent == kept else [f"{path} ({sent!r} became {kept!r})"]


def main(path):
    count = 0
    with open(path, encoding="utf-8") as events:
        for number, line in enumerate(events, 1):
            if not line.strip():
                continue
            event = json.loads(line)
            model = ComplianceFinding.model_validate(event)
            kept = json.loads(model.model_dump_json(exclude_none=True))
            missing = lost(event, kept, "event")
            if missing:
                sys.exit(f"line {number}: not in the OCSF schema: {', '.join(missing)}")
            if model.class_uid != 2003 or model.type_uid != 200301:
                sys.exit(f"line {number}: not a Compliance Finding: {model.class_uid} {model.type_uid}")
            count += 1
    print(count)


if __name__ == "__main__":
    main(sys.argv[1])
