"""The model spec: a TOML file (usually ``greenlight.toml``) beside the data scientist's code.

``load_spec`` validates the whole file and reports every problem at once, each naming the
field, e.g. ``[data].target is missing``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.domain import ModelInfo
from backend.errors import InvalidSpec
from backend.governance.permissions import BUILTIN_ROLES
from backend.governance.policy import merge_policy
from backend.metrics import METRICS, gate_metric_names

__all__ = ["ModelSpec", "DataSpec", "load_spec", "parse_spec", "spec_problems", "check_data_paths"]

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FACTORY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
RISK_TIERS = ("low", "medium", "high")
TASKS = ("classification", "regression")

_SECTIONS = {
    "model": {"name", "title", "description", "owner", "risk_tier", "task"},
    "data": {"train", "test", "target", "positive_label", "sensitive_features", "drop"},
    "estimator": {"factory"},
    "gates": {"min", "max", "not_worse_than_production", "min_group_size", "fairness_blocks"},
    "signoff": {"roles", "expires_days"},
    "canary": {"traffic_percent", "min_requests"},
    "labels": {"outcome", "subjects", "features", "values"},
}


@dataclass(frozen=True)
class DataSpec:
    train: Path
    test: Path
    target: str
    positive_label: Any = None
    sensitive_features: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    path: Path
    sha256: str
    model: ModelInfo
    data: DataSpec
    factory: str
    policy: dict[str, Any] = field(default_factory=dict)
    #: what the spec itself declares; the registry lays it over the organisation's floor when
    #: it registers a version, and that version's policy is frozen from then on
    declared_policy: dict[str, Any] = field(default_factory=dict)
    #: display names from ``[labels]``: outcome, subjects, features, values
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent


def check_data_paths(spec: ModelSpec, allowed_roots: list[str] | tuple[str, ...] = ()) -> None:
    """Refuse data files outside the spec's folder (symlinks resolved) and the folders an admin
    allows (the organisation policy's ``data_roots``), so a spec cannot read what its author may
    not: ``../../secret_dir/secret.csv`` or a link named ``data.csv`` pointing elsewhere.

    The message names the spec's own setting, never where a link leads.
    """
    roots = [spec.folder.resolve(), *(Path(r).expanduser().resolve() for r in allowed_roots)]
    problems = []
    for key, path in (("train", spec.data.train), ("test", spec.data.test)):
        real = path.resolve()
        if not any(real.is_relative_to(root) for root in roots):
            written = path.relative_to(spec.folder) if path.is_relative_to(spec.folder) else path
            problems.append(f"[data].{key} '{written}' is outside the spec's folder"
                            + (" (it is a link that leads out of it)" if path.is_symlink() else ""))
    if problems:
        raise InvalidSpec(f"{spec.path.name}: " + "; ".join(problems) + ". Data files stay in the spec's folder, "
                          "or in a data folder an admin allows with `greenlight policy set --allow-data-root PATH`.",
                          code="data_outside_folder")


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a spec file; raise :class:`InvalidSpec` naming every problem."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise InvalidSpec(f"The spec file {path} does not exist.")
    raw = path.read_bytes()
    return parse_spec(raw, path)


def parse_spec(raw: bytes, path: Path) -> ModelSpec:
    """Validate a spec's bytes as if read from ``path``; raise :class:`InvalidSpec` naming every problem."""
    spec, problems = _parse(raw, path)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise InvalidSpec(f"{path.name} has {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n{listed}")
    assert spec is not None
    return spec


def spec_problems(raw: bytes, path: Path) -> list[str]:
    """Every problem :func:`parse_spec` would refuse the spec for, one sentence each (empty: valid).

    The same checks, listed separately, so that a form can show each beside its field.
    """
    return _parse(raw, path)[1]


def _parse(raw: bytes, path: Path) -> tuple[ModelSpec | None, list[str]]:
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [f"{path.name} is not UTF-8 text."]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{path.name} is not valid TOML: {exc}."]
    problems: list[str] = []
    _check_sections(doc, problems)
    model = _model_section(doc.get("model", {}), problems)
    data = _data_section(doc.get("data", {}), path.parent, model.task if model else None, problems)
    factory = _factory(doc.get("estimator", {}), problems)
    spec_policy = {
        "gates": _gates_section(doc.get("gates", {}), model.task if model else None, problems),
        "signoff": _signoff_section(doc.get("signoff", {}), problems),
        "canary": _canary_section(doc.get("canary", {}), problems),
    }
    labels = _labels_section(doc.get("labels", {}), problems)
    if problems:
        return None, problems
    assert model is not None and data is not None and factory is not None
    return ModelSpec(
        path=path,
        sha256="sha256:" + hashlib.sha256(raw).hexdigest(),
        model=model,
        data=data,
        factory=factory,
        # A preview under the built-in defaults; the registry enforces the organisation's floor.
        policy=merge_policy(spec_policy, risk_tier=model.risk_tier, enforce_floor=False),
        declared_policy=spec_policy,
        labels=labels,
    ), []


def _check_sections(doc: dict[str, Any], problems: list[str]) -> None:
    for section, value in doc.items():
        if section not in _SECTIONS:
            problems.append(f"[{section}] is not a known section (known: {', '.join(_SECTIONS)})")
        elif not isinstance(value, dict):
            problems.append(f"{section} must be a [{section}] table")
        else:
            for key in value:
                if key not in _SECTIONS[section]:
                    problems.append(f"[{section}].{key} is not a known field "
                                    f"(known: {', '.join(sorted(_SECTIONS[section]))})")
    for required in ("model", "data", "estimator"):
        if required not in doc:
            problems.append(f"the [{required}] section is missing")


def _text(section: dict[str, Any], name: str, key: str, problems: list[str], *, required: bool = True) -> str | None:
    value = section.get(key)
    if value is None:
        if required:
            problems.append(f"[{name}].{key} is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"[{name}].{key} must be a non-empty text")
        return None
    return value.strip()


def _choice(section: dict[str, Any], name: str, key: str, choices: tuple[str, ...], problems: list[str]) -> str | None:
    value = _text(section, name, key, problems)
    if value is not None and value not in choices:
        problems.append(f"[{name}].{key} is '{value}' but must be one of: {' | '.join(choices)}")
        return None
    return value


def _model_section(section: dict[str, Any], problems: list[str]) -> ModelInfo | None:
    if not isinstance(section, dict):
        return None
    name = _text(section, "model", "name", problems)
    if name is not None and (not NAME_RE.match(name) or len(name) > 100):
        problems.append(f"[model].name '{name}' must use lowercase letters, digits and single hyphens "
                        "(for example 'income-propensity')")
        name = None
    title = _text(section, "model", "title", problems)
    description = _text(section, "model", "description", problems, required=False) or ""
    owner = _text(section, "model", "owner", problems)
    risk = _choice(section, "model", "risk_tier", RISK_TIERS, problems)
    task = _choice(section, "model", "task", TASKS, problems)
    if None in (name, title, owner, risk, task):
        return None
    return ModelInfo(name=name, title=title, description=description, owner=owner, risk_tier=risk, task=task)


def _text_list(section: dict[str, Any], name: str, key: str, problems: list[str]) -> tuple[str, ...]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"[{name}].{key} must be a list of column names, like [\"sex\", \"race\"]")
        return ()
    return tuple(value)


def _data_section(section: dict[str, Any], folder: Path, task: str | None, problems: list[str]) -> DataSpec | None:
    if not isinstance(section, dict):
        return None
    paths = {}
    for key in ("train", "test"):
        value = _text(section, "data", key, problems)
        if value is not None and not value.lower().endswith(DATA_SUFFIXES):
            problems.append(f"[data].{key} '{value}' must be a CSV (.csv, .csv.gz) or Parquet (.parquet) file")
            value = None
        paths[key] = (folder / value) if value else None
    target = _text(section, "data", "target", problems)
    positive = section.get("positive_label")
    if positive is not None and not isinstance(positive, str | int | bool):
        problems.append("[data].positive_label must be a text, a number or true/false")
    if positive is not None and task == "regression":
        problems.append("[data].positive_label only applies to classification")
    sensitive = _text_list(section, "data", "sensitive_features", problems)
    drop = _text_list(section, "data", "drop", problems)
    if target and target in drop:
        problems.append(f"[data].drop lists the target '{target}'")
    if None in (paths["train"], paths["test"], target):
        return None
    return DataSpec(train=paths["train"], test=paths["test"], target=target, positive_label=positive,
                    sensitive_features=sensitive, drop=drop)


def _factory(section: dict[str, Any], problems: list[str]) -> str | None:
    if not isinstance(section, dict):
        return None
    value = _text(section, "estimator", "factory", problems)
    if value is not None and not FACTORY_RE.match(value):
        problems.append(f"[estimator].factory '{value}' must look like 'module:function' (a .py file beside the spec)")
        return None
    return value


def _gates_section(section: dict[str, Any], task: str | None, problems: list[str]) -> dict[str, Any]:
    gates: dict[str, Any] = {}
    if not isinstance(section, dict):
        return gates
    allowed = set(gate_metric_names(task))
    for bound in ("min", "max"):
        table = section.get(bound, {})
        if not isinstance(table, dict):
            problems.append(f"[gates].{bound} must be a table like {{ roc_auc = 0.8 }}")
            continue
        for metric, threshold in table.items():
            if metric not in METRICS:
                problems.append(f"[gates].{bound}.{metric} is not a metric Greenlight measures "
                                f"(known: {', '.join(sorted(allowed))})")
            elif metric not in allowed:
                problems.append(f"[gates].{bound}.{metric} does not apply to {task} models")
            elif isinstance(threshold, bool) or not isinstance(threshold, int | float):
                problems.append(f"[gates].{bound}.{metric} must be a number")
            elif METRICS[metric].kind == "fairness" and not _fairness_threshold_ok(bound, metric, threshold, problems):
                continue
            else:
                gates.setdefault(bound, {})[metric] = float(threshold)
    for key in ("not_worse_than_production", "fairness_blocks"):
        if key in section:
            value = section[key]
            if not isinstance(value, bool):
                problems.append(f"[gates].{key} must be true or false")
            else:
                gates[key] = value
    if "min_group_size" in section:
        size = section["min_group_size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            problems.append("[gates].min_group_size must be a whole number of people, at least 1")
        else:
            gates["min_group_size"] = size
    return gates


def _fairness_threshold_ok(bound: str, metric: str, threshold: float, problems: list[str]) -> bool:
    """A parity ratio is a floor and a difference a ceiling, both between 0 and 1."""
    expected = "min" if METRICS[metric].higher_is_better else "max"
    if bound != expected:
        problems.append(f"[gates].{bound}.{metric} belongs under [gates].{expected}: "
                        f"{'a higher' if expected == 'min' else 'a lower'} {METRICS[metric].label.lower()} is fairer")
        return False
    if not 0 <= threshold <= 1:
        problems.append(f"[gates].{bound}.{metric} must be between 0 and 1")
        return False
    return True


def _signoff_section(section: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if not isinstance(section, dict):
        return result
    if "roles" in section:
        roles = _text_list(section, "signoff", "roles", problems)
        bad = [r for r in roles if not re.match(r"^[a-z][a-z0-9_]*$", r)]
        not_reviewers = [r for r in roles if r in BUILTIN_ROLES]
        if bad:
            problems.append(f"[signoff].roles: {', '.join(bad)} must be lowercase words joined by '_'")
        elif not_reviewers:
            problems.append(f"[signoff].roles: {', '.join(repr(r) for r in not_reviewers)} "
                            f"{'is not a reviewer role' if len(not_reviewers) == 1 else 'are not reviewer roles'}"
                            " (viewer, data_scientist and admin cannot sign off); name reviewer roles such as "
                            "business_owner, risk or compliance. A spec adds reviewers to the organisation's, "
                            "never replaces them")
        elif roles:
            result["roles"] = list(dict.fromkeys(roles))
    if "expires_days" in section:
        days = section["expires_days"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            problems.append("[signoff].expires_days must be a whole number of days, at least 1")
        else:
            result["expires_days"] = days
    return result


def _canary_section(section: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if not isinstance(section, dict):
        return result
    if "traffic_percent" in section:
        value = section["traffic_percent"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 50:
            problems.append("[canary].traffic_percent must be a number above 0 and at most 50")
        else:
            result["traffic_percent"] = value
    if "min_requests" in section:
        value = section["min_requests"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append("[canary].min_requests must be a whole number, at least 1")
        else:
            result["min_requests"] = value
    return result


def _labels_section(section: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Display names: ``outcome`` and ``subjects`` as texts, ``[labels.features]`` as
    column → name, ``[labels.values.<column>]`` as raw value → name."""
    result: dict[str, Any] = {}
    if not isinstance(section, dict):
        return result
    for key in ("outcome", "subjects"):
        if key in section:
            value = _text(section, "labels", key, problems)
            if value is not None:
                result[key] = value
    features = section.get("features", {})
    if not isinstance(features, dict) or not all(isinstance(v, str) and v.strip() for v in features.values()):
        problems.append('[labels.features] must map column names to display names, like marital_status = "Marital status"')
    elif features:
        result["features"] = {str(k): v.strip() for k, v in features.items()}
    values = section.get("values", {})
    if not isinstance(values, dict) or not all(
            isinstance(m, dict) and all(isinstance(v, str) and v.strip() for v in m.values()) for m in values.values()):
        problems.append('[labels.values.<column>] must map raw values to display names, like "Married-civ-spouse" = '
                        '"Married"')
    elif values:
        result["values"] = {str(c): {str(k): v.strip() for k, v in m.items()} for c, m in values.items()}
    return result
