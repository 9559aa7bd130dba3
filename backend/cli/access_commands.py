"""Commands for accounts, sign-offs, the organisation policy and the audit log."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from backend.cli.base import clean_text, cli, jsonable, open_app, print_json, read_password
from backend.errors import InvalidData, PermissionDenied
from backend.governance.accounts import operator
from backend.governance.limits import LIMIT_INFO

__all__ = ["cli"]


# -- users ------------------------------------------------------------------------------------

@cli.group()
def users() -> None:
    """Accounts and their roles."""


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="viewer, data_scientist, admin, or a reviewer role such as business_owner, risk, compliance "
                   "(repeat for several).")
@click.option("--email", help="E-mail, to match a single sign-on login to this account.")
@click.option("--display-name", help="Name shown in the portal (default: NAME).")
def users_add(name: str, roles: tuple[str, ...], email: str | None, display_name: str | None) -> None:
    """Create an account; the password comes from standard input or is prompted."""
    app = open_app()
    password = read_password(confirm=True)
    user = app.accounts.add_user(name, password, list(roles), actor=operator(), email=email,
                                 display_name=display_name)
    click.echo(f"Created {user.username} with role{'s' if len(user.roles) > 1 else ''} {', '.join(user.roles)}.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def users_list(as_json: bool) -> None:
    """Every account with its roles."""
    accounts = open_app().accounts.list_users()
    if as_json:
        print_json(accounts)
        return
    click.echo(f"{'USER':20} {'ROLES':36} {'E-MAIL':30} STATUS")
    for u in accounts:
        click.echo(f"{clean_text(u.username):20} {', '.join(u.roles):36} {clean_text(u.email or '-'):30} "
                   f"{'disabled' if u.disabled else 'active'}")


@users.command("set-role")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="The new role(s); replaces the old ones.")
def users_set_role(name: str, roles: tuple[str, ...]) -> None:
    """Replace the roles of an account."""
    user = open_app().accounts.set_roles(name, list(roles), actor=operator())
    click.echo(f"{user.username} now has: {', '.join(user.roles)}.")


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable an account: it can no longer sign in or sign off."""
    open_app().accounts.set_disabled(name, True, actor=operator())
    click.echo(f"{name} is disabled.")


@users.command("enable")
@click.argument("name")
def users_enable(name: str) -> None:
    """Enable a disabled account again."""
    open_app().accounts.set_disabled(name, False, actor=operator())
    click.echo(f"{name} is enabled.")


# -- sign-off ---------------------------------------------------------------------------------

@cli.group()
def signoff() -> None:
    """Manual validation: who must sign what, and decisions."""


@signoff.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def signoff_list(as_json: bool) -> None:
    """Every version awaiting sign-off, with the roles still missing."""
    app = open_app()
    app.signoffs.refresh_all()
    waiting = app.signoffs.awaiting()
    if as_json:
        print_json([{**jsonable(s), "missing_roles": list(s.missing_roles)} for s in waiting])
        return
    if not waiting:
        click.echo("Nothing is waiting for sign-off.")
        return
    for s in waiting:
        click.echo(f"{clean_text(s.model)} version {s.version} (author {clean_text(s.author)}): "
                   f"waiting for {', '.join(s.missing_roles)}")


@signoff.command("decide")
@click.argument("model")
@click.argument("number", type=int)
@click.option("--as", "username", required=True, help="Your account; its password is asked for.")
@click.option("--role", help="The role you sign in (default: your one role the policy asks for).")
@click.option("--decision", type=click.Choice(["approve", "reject", "conditions"]), required=True)
@click.option("--comment", default="", help="Your comment; required to reject.")
@click.option("--condition", "conditions", multiple=True, help="With --decision conditions: an open item (repeat).")
@click.option("--acknowledge", "acknowledged", multiple=True, metavar="CHECK=TEXT",
              help="To approve a version with failed fairness checks: each failed check (feature:metric, as "
                   "listed) with your written justification (repeat).")
def signoff_decide(model: str, number: int, username: str, role: str | None, decision: str, comment: str,
                   conditions: tuple[str, ...], acknowledged: tuple[str, ...]) -> None:
    """Sign off MODEL version NUMBER, bound to the evidence shown here."""
    app = open_app()
    user = app.accounts.authenticate(username, read_password(confirm=False, prompt=f"Password for {username}"))
    status = app.signoffs.status(model, number)
    if role is None:
        candidates = [r for r in status.missing_roles if user.has_role(r)] or \
                     [r for r in status.required_roles if user.has_role(r)]
        if len(candidates) != 1:
            raise PermissionDenied(f"Say which role you sign in with --role (you hold: {', '.join(user.roles)}; "
                                   f"this version needs: {', '.join(status.required_roles)}).")
        role = candidates[0]
    click.echo(f"Signing {model} version {number} as {role}, bound to:", err=True)
    for kind, sha in status.evidence.items():
        click.echo(f"  {kind}: sha256 {sha}", err=True)
    failed = app.signoffs.failed_checks(model, number)
    if failed and decision != "reject":
        click.echo("Failed fairness checks, each to acknowledge with --acknowledge CHECK=TEXT:", err=True)
        for check in failed:
            click.echo(f"  {check['key']}: {check['reason']}", err=True)
    acknowledgements = {}
    for item in acknowledged:
        key, sep, text = item.partition("=")
        if not sep:
            raise InvalidData(f"--acknowledge takes CHECK=TEXT (for example 'sex:demographic_parity_ratio=...'), "
                              f"not {item!r}.")
        acknowledgements[key.strip()] = text
    after = app.signoffs.decide(model, number, reviewer=user, role=role, decision=decision, comment=comment,
                                evidence=status.evidence, conditions=list(conditions),
                                acknowledgements=acknowledgements)

    missing = f"; still waiting for {', '.join(after.missing_roles)}" if after.missing_roles else ""
    click.echo(f"Recorded. {model} version {number} is now {after.state}{missing}.")


@cli.group()
def conditions() -> None:
    """Open items attached to approvals."""


@conditions.command("close")
@click.argument("condition_id", type=int)
@click.option("--as", "username", required=True, help="Your account; its password is asked for.")
@click.option("--note", required=True, help="How the condition was met.")
def conditions_close(condition_id: int, username: str, note: str) -> None:
    """Close condition CONDITION_ID."""
    app = open_app()
    user = app.accounts.authenticate(username, read_password(confirm=False, prompt=f"Password for {username}"))
    closed = app.signoffs.close_condition(condition_id, user=user, note=note)
    click.echo(f"Condition {closed.id} on {clean_text(closed.model)} version {closed.version} is closed.")


# -- policy -----------------------------------------------------------------------------------

@cli.group()
def policy() -> None:
    """The organisation's policy: sign-off roles, approval lifetime, and limits."""


@policy.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def policy_show(as_json: bool) -> None:
    """Required sign-off roles per risk tier, how long an approval lasts, and the limits."""
    doc = open_app().org_policy.current()
    if as_json:
        print_json(doc)
        return
    for tier, roles in doc["signoff_roles_by_tier"].items():
        click.echo(f"{tier:7} risk: {', '.join(roles)}")
    click.echo(f"approvals last {doc['expires_days']} days")
    roots = doc.get("data_roots") or []
    click.echo("data folders allowed besides each spec's own: " + (", ".join(roots) if roots else "none"))
    for key, value in doc["limits"].items():
        click.echo(f"limits.{key:20} {value:>12,}  {LIMIT_INFO[key].meaning}")


def _limit_options(command):
    for info in reversed(LIMIT_INFO.values()):
        command = click.option(info.flag, info.key, type=int, help=f"Limit: {info.meaning}.")(command)
    return command


@policy.command("set")
@click.option("--tier", type=click.Choice(["low", "medium", "high"]), help="Risk tier whose roles to set.")
@click.option("--roles", help="Comma-separated roles for --tier.")
@click.option("--expires-days", type=int, help="How many days an approval lasts.")
@click.option("--allow-data-root", "allow_roots", multiple=True, type=click.Path(file_okay=False),
              help="A folder specs may read data from besides their own (repeat for several).")
@click.option("--disallow-data-root", "disallow_roots", multiple=True, type=click.Path(file_okay=False),
              help="Withdraw a folder allowed before.")
@_limit_options
def policy_set(tier: str | None, roles: str | None, expires_days: int | None, allow_roots: tuple[str, ...],
               disallow_roots: tuple[str, ...], **limits: int | None) -> None:
    """Change the organisation's policy (new pipeline runs use it; a spec may add reviewers and
    tighten gates, never go below it without an exception; no spec changes a limit)."""
    app = open_app()
    doc = app.org_policy.current()
    if tier and roles:
        doc["signoff_roles_by_tier"][tier] = [r.strip() for r in roles.split(",") if r.strip()]
    if expires_days is not None:
        doc["expires_days"] = expires_days
    resolved = [str(Path(r).expanduser().resolve()) for r in allow_roots]
    gone = {str(Path(r).expanduser().resolve()) for r in disallow_roots}
    doc["data_roots"] = [r for r in [*doc.get("data_roots", []), *resolved] if r not in gone]
    doc["limits"].update({key: value for key, value in limits.items() if value is not None})
    app.org_policy.update(doc, actor=operator())
    click.echo("Policy updated.")


# -- audit ------------------------------------------------------------------------------------

@cli.group()
def audit() -> None:
    """The signed, hash-chained audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the audit log: links, signatures, checkpoints, and the registry's tables against it."""
    report = open_app().registry.verify_audit()
    if not report.intact:
        where = {"chain": f"audit log broken at entry {report.first_bad_seq}",
                 "checkpoint": "audit log does not reach or match its checkpoint outside the database",
                 "replay": "the registry's tables disagree with the audit log"}.get(report.kind, "audit log broken")
        click.echo(f"error: {where}: {report.problem}", err=True)
        sys.exit(10)
    click.echo(f"Audit log intact: {report.entries} entries, every link and signature checks out.")
    if report.unsigned:
        click.echo(f"Entries 1 to {report.unsigned} were written before the log was signed: their links are checked, "
                   "their signatures cannot be.")
    if report.checkpoint:
        click.echo(f"The log matches its newest checkpoint outside the database ({report.checkpoint}).")
    else:
        click.echo("There is no checkpoint outside the database yet: the next change writes one.")
    click.echo(f"The registry's tables match the log for {report.versions} version{'' if report.versions == 1 else 's'} "
               "(states, aliases, sign-offs and conditions).")


@audit.command("list")
@click.option("--model", help="Only entries about this model.")
@click.option("--action", help="Only actions starting with this, e.g. signoff.")
@click.option("--limit", default=100, show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
def audit_list(model: str | None, action: str | None, limit: int, as_csv: bool) -> None:
    """The newest audit entries."""
    entries = open_app().registry.audit_log(model=model, action_prefix=action, limit=limit)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["seq", "at", "actor", "action", "model", "version", "detail", "hash"])
        for e in entries:
            writer.writerow([e.seq, e.at.isoformat(), e.actor, e.action, e.model, e.version, e.detail, e.hash])
        return
    for e in entries:
        click.echo(f"{e.seq:>6} {e.at:%Y-%m-%d %H:%M:%S} {clean_text(e.actor):20} {clean_text(e.action):20} "
                   f"{clean_text(e.model or '-')} {e.version or ''} {clean_text(e.detail)}")


@audit.command("pack")
@click.argument("model")
@click.argument("version", type=int)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the zip file.")
@click.option("--as", "username",
              help="Act as this account (its password on standard input); otherwise the API token in GREENLIGHT_TOKEN.")
def audit_pack(model: str, version: int, output: Path, username: str | None) -> None:
    """Export MODEL VERSION's audit pack (one zip laid out under the EU AI Act's Annex IV headings)."""
    from backend.cli.base import signed_in
    from backend.reports import build_audit_pack

    app = open_app()
    user = signed_in(app, username, purpose="An audit pack export")
    pack = build_audit_pack(app, model, version, user=user)
    output.write_bytes(pack.content)
    missing = [str(n) for n, filled in pack.filled.items() if not filled]
    click.echo(f"Wrote {output} ({len(pack.content):,} bytes, SHA-256 {pack.sha256}). Annex IV headings Greenlight "
               f"cannot fill: {', '.join(missing) or 'none'}; each heading says what it lacks.")
