"""A spec written from a form's answers, checked by the very validator the CLI uses.

The answers become a ``greenlight.toml``; :func:`backend.pipeline.spec.spec_problems` (the checks
``greenlight pipeline run`` makes before registering anything) judges it, and each of its
sentences is filed under the form field it names, so the form can show it beside that field.
An answer left empty is left out of the file, so the validator's own "is missing" names it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from backend.domain import SpecDraft
from backend.pipeline.spec import spec_problems

__all__ = ["SpecAnswers", "spec_from_answers", "SPEC_FIELDS", "SPEC_FILE_NAME"]

SPEC_FILE_NAME = "greenlight.toml"

#: Form field → what it asks, in the order the form shows them.
SPEC_FIELDS: dict[str, str] = {
    "model.name": "Model name",
    "model.title": "Title",
    "model.description": "Description",
    "model.owner": "Owner (your team)",
    "model.risk_tier": "Risk tier",
    "model.task": "Task",
    "data.train": "Training data file",
    "data.test": "Test data file",
    "data.target": "Target column",
    "data.positive_label": "Positive label",
    "data.sensitive_features": "Sensitive features",
    "estimator.factory": "Estimator factory",
    "gates": "Gates",
    "labels.outcome": "The positive outcome in words",
    "labels.subjects": "What one row is",
    "labels.features": "Display names of columns",
}
_GATE_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_NAMED_FIELD = re.compile(r"\[([a-z_]+(?:\.[a-z_]+)?)\](?:\.([a-z_]+))?")


@dataclass(frozen=True)
class SpecAnswers:
    """What a team types into the spec form, as typed.

    ``sensitive_features`` is a comma-separated list; ``gates`` a comma-separated list of
    ``metric >= number`` (a minimum) or ``metric <= number`` (a maximum); ``feature_names`` one
    ``column = display name`` per line.
    """

    name: str = ""
    title: str = ""
    description: str = ""
    owner: str = ""
    risk_tier: str = "medium"
    task: str = "classification"
    train: str = "data/train.csv"
    test: str = "data/test.csv"
    target: str = ""
    positive_label: str = ""
    sensitive_features: str = ""
    factory: str = "model:build"
    gates: str = ""
    outcome: str = ""
    subjects: str = ""
    feature_names: str = ""


def spec_from_answers(answers: SpecAnswers) -> SpecDraft:
    """Write ``answers`` as a ``greenlight.toml`` and judge it as ``greenlight pipeline run`` would.

    Parameters
    ----------
    answers : SpecAnswers

    Returns
    -------
    SpecDraft
        The file's text, and the validator's problems by form field (none: ready to download).
    """
    problems: dict[str, list[str]] = {}
    gates = _gates(answers.gates, problems)
    features = _feature_names(answers.feature_names, problems)
    sensitive = [s.strip() for s in answers.sensitive_features.split(",") if s.strip()]
    sections: list[tuple[str, list[tuple[str, object]]]] = [
        ("model", [("name", answers.name), ("title", answers.title), ("description", answers.description),
                   ("owner", answers.owner), ("risk_tier", answers.risk_tier), ("task", answers.task)]),
        ("data", [("train", answers.train), ("test", answers.test), ("target", answers.target),
                  ("positive_label", answers.positive_label if answers.task != "regression" else ""),
                  ("sensitive_features", sensitive)]),
        ("estimator", [("factory", answers.factory)]),
        ("gates", [(bound, table) for bound, table in gates.items()]),
        ("labels", [("outcome", answers.outcome), ("subjects", answers.subjects)]),
        ("labels.features", list(features.items())),
    ]
    text = "# Greenlight spec, written by the portal's \"Get started\" form.\n" \
           "# Run it:  greenlight pipeline run greenlight.toml\n" + "".join(_section(n, e) for n, e in sections)
    for problem in spec_problems(text.encode("utf-8"), Path(SPEC_FILE_NAME)):
        problems.setdefault(_field_of(problem), []).append(problem)
    return SpecDraft(toml=text, problems={k: tuple(v) for k, v in problems.items()})


def _field_of(problem: str) -> str:
    """The form field a validator sentence names: ``[data].target is missing`` → ``data.target``."""
    match = _NAMED_FIELD.search(problem)
    if not match:
        return "spec"
    section, key = match.group(1), match.group(2)
    if section == "gates" or section.startswith("gates."):
        return "gates"
    if section.startswith("labels."):
        return "labels.features"
    field = f"{section}.{key}" if key else section
    return field if field in SPEC_FIELDS else "spec"


def _gates(answer: str, problems: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    gates: dict[str, dict[str, float]] = {}
    for item in (part for part in answer.replace(";", ",").split(",") if part.strip()):
        match = _GATE_RE.match(item)
        if not match:
            problems.setdefault("gates", []).append(
                f"'{item.strip()}' is not a gate: write a metric, >= (at least) or <= (at most), and a number, "
                "like roc_auc >= 0.75")
            continue
        metric, sign, number = match.groups()
        gates.setdefault("min" if sign == ">=" else "max", {})[metric] = float(number)
    return gates


def _feature_names(answer: str, problems: dict[str, list[str]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for line in (raw.strip() for raw in answer.splitlines()):
        if not line:
            continue
        column, sep, name = line.partition("=")
        if not sep or not column.strip() or not name.strip():
            problems.setdefault("labels.features", []).append(
                f"'{line}' is not a display name: write the column, =, and the name, like marital_status = Marital status")
            continue
        names[column.strip()] = name.strip()
    return names


def _section(name: str, entries: list[tuple[str, object]]) -> str:
    lines = [f"{_key(key)} = {_value(value)}" for key, value in entries
             if (value.strip() if isinstance(value, str) else value) not in ("", None, [], {})]
    if not lines and name not in ("model", "data", "estimator"):
        return ""
    return f"\n[{name}]\n" + "".join(line + "\n" for line in lines)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: object) -> str:
    """A TOML value. JSON's strings are TOML basic strings (the same escapes); numbers alike."""
    if isinstance(value, str):
        # TOML refuses a raw DEL character, which JSON leaves as it is.
        return json.dumps(value.strip(), ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return repr(value)
