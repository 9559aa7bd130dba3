"""One version's audit pack: everything Greenlight recorded about it, as one zip file laid out
under the headings of the EU AI Act's Annex IV.

Why a zip: the stored files (model card, reports) go in byte for byte, so anyone can check their
SHA-256 against the hashes the reviewers' sign-offs are bound to; ``index.html`` reads in any
browser without Greenlight, every text in it escaped; ``pack.json`` holds the same for machines;
``SHA256SUMS`` lists every file's hash. Exporting one is audited, and needs the
``export_audit_pack`` permission (admins and reviewers).
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from backend.domain import AuditPack, User
from backend.errors import PermissionDenied
from backend.governance.permissions import require
from backend.reports._annex_iv import PackSection, pack_sections

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["build_audit_pack", "audit_pack_filename", "PACK_FILES"]

#: stored file kind → its name in the pack
PACK_FILES = {"model_card_html": "files/model_card.html", "model_card_md": "files/model_card.md",
              "fairness_report": "files/fairness_report.json",
              "explainability_report": "files/explainability_report.json"}

# A fixed time on every zip entry: the same registry gives the same files (only the pack's own
# "generated" line differs).
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def audit_pack_filename(model: str, number: int) -> str:
    """The pack's file name: ``audit-pack-<model>-v<number>.zip``."""
    return f"audit-pack-{model}-v{number}.zip"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return html.escape(str(value))


def _section_html(section: PackSection) -> str:
    parts = [f'<section id="annex-iv-{section.number}"><h2>{section.number}. {html.escape(section.title)}</h2>']
    if not section.filled:
        parts.append('<p class="gap"><strong>Not filled by Greenlight.</strong> ')
    elif not section.blocks:
        parts.append("<p>Nothing is recorded under this heading for this version yet.</p>")
        parts.append('<p class="gap"><strong>What Greenlight cannot supply here:</strong> ')
    else:
        parts.append('<p class="gap"><strong>What Greenlight cannot supply here:</strong> ')
    parts.append(f"{html.escape(section.not_filled)}</p>")
    for block in section.blocks:
        parts.append(f"<h3>{html.escape(block.label)}</h3>")
        if block.text is not None:
            parts.append(f"<p>{html.escape(block.text)}</p>")
        if block.rows:
            keys = list(dict.fromkeys(k for row in block.rows for k in row))
            head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
            body = "".join("<tr>" + "".join(f"<td>{_cell(row.get(k))}</td>" for k in keys) + "</tr>"
                           for row in block.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if section.files:
        parts.append("<p>Files in this pack: " + ", ".join(f"<code>{html.escape(f)}</code>" for f in section.files)
                     + "</p>")
    parts.append("</section>")
    return "".join(parts)


def _index_html(model: str, number: int, sections: tuple[PackSection, ...], generated: str, by: str,
                files: dict[str, str]) -> str:
    unfilled = [s.number for s in sections if not s.filled]
    listing = "".join(f"<tr><td><code>{html.escape(name)}</code></td><td><code>{sha}</code></td></tr>"
                      for name, sha in sorted(files.items()))
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Audit pack: {html.escape(model)} version {number}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .4em;"
        "vertical-align:top;text-align:left}.gap{background:#fff7e0;padding:.4em}</style></head><body>"
        f"<h1>Audit pack: {html.escape(model)} version {number}</h1>"
        f"<p>Generated {html.escape(generated)} by {html.escape(by)} from the Greenlight registry. Laid out under "
        "the headings of Annex IV (technical documentation referred to in Article 11(1)) of the EU AI Act, "
        "Regulation (EU) 2024/1689. Under each heading: what Greenlight recorded, and what it cannot supply. "
        f"Headings Greenlight cannot fill at all: {', '.join(map(str, unfilled)) or 'none'}.</p>"
        + "".join(_section_html(s) for s in sections)
        + "<section><h2>Files in this pack and their SHA-256</h2><p>The stored files are copied byte for byte; "
          "their SHA-256 equal the hashes in the sign-offs' evidence when nothing changed.</p>"
          f"<table><tbody>{listing}</tbody></table></section></body></html>")


def _pack_json(model: str, number: int, sections: tuple[PackSection, ...], generated: str, by: str) -> str:
    return json.dumps({
        "model": model, "version": number, "generated": generated, "generated_by": by,
        "layout": "EU AI Act (Regulation (EU) 2024/1689), Annex IV",
        "sections": [{"number": s.number, "heading": s.title, "filled_by_greenlight": s.filled,
                      "not_filled": s.not_filled, "files": list(s.files),
                      "items": [{"label": b.label, "text": b.text, "rows": list(b.rows)} for b in s.blocks]}
                     for s in sections],
    }, indent=2, default=str, sort_keys=False)


def build_audit_pack(app: App, model: str, number: int, *, user: User | None, now: datetime | None = None) -> AuditPack:
    """Export ``model`` version ``number``'s audit pack as one zip file, as ``user``.

    Parameters
    ----------
    app : App
    model : str
    number : int
    user : User
        Needs the ``export_audit_pack`` permission (an admin, or anyone holding a reviewer role);
        a refusal is audited too (``audit_pack.refused``) and raises :class:`PermissionDenied`.
    now : datetime, optional
        The time written in the pack (default: now).

    Returns
    -------
    AuditPack
        The zip's bytes, file name and SHA-256, and which Annex IV headings Greenlight could fill.
        The export is in the audit log as ``audit_pack.exported`` with the zip's SHA-256.
    """
    try:
        require(user, "export_audit_pack")
    except PermissionDenied as exc:
        app.registry.record(actor=user.username if user else "anonymous", action="audit_pack.refused", model=model,
                            version=number, detail={"reason": exc.message})
        raise
    sections = pack_sections(app, model, number)
    generated = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    stored: dict[str, bytes] = {}
    for ref in app.registry.list_artifacts(model, number):
        if ref.kind in PACK_FILES:
            stored[PACK_FILES[ref.kind]] = app.artifacts.read_bytes(ref)  # checks the SHA-256
    stored["pack.json"] = _pack_json(model, number, sections, generated, user.username).encode()
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in stored.items()}
    stored["index.html"] = _index_html(model, number, sections, generated, user.username, sums).encode()
    sums["index.html"] = hashlib.sha256(stored["index.html"]).hexdigest()
    stored["SHA256SUMS"] = "".join(f"{sha}  {name}\n" for name, sha in sorted(sums.items())).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(stored):
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), stored[name],
                             compress_type=zipfile.ZIP_DEFLATED)
    content = buffer.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    filled = {s.number: s.filled for s in sections}
    app.registry.record(actor=user.username, action="audit_pack.exported", model=model, version=number,
                        detail={"sha256": digest, "files": sorted(stored),
                                "headings_not_filled": [n for n, f in filled.items() if not f]})
    return AuditPack(model=model, version=number, filename=audit_pack_filename(model, number), content=content,
                     sha256=digest, filled=filled)
