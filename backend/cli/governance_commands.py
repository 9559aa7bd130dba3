"""Commands for API tokens and policy exceptions."""

from __future__ import annotations

import click

from backend.cli.access_commands import policy
from backend.cli.base import cli, open_app, print_json, signed_in
from backend.governance.accounts import operator

__all__ = ["cli"]


# -- tokens -----------------------------------------------------------------------------------

@cli.group()
def tokens() -> None:
    """API tokens: for CI runs (as a person) and for client applications of the gateway."""


@tokens.command("create")
@click.argument("username", required=False)
@click.option("--client", help="A token for this client application of the scoring gateway instead of a person.")
@click.option("--expires-days", type=int, help="The token stops working after this many days.")
def tokens_create(username: str | None, client: str | None, expires_days: int | None) -> None:
    """Create a token acting as USERNAME (or for --client NAME); prints only the token.

    The token is shown once; store it as a secret (for example GREENLIGHT_TOKEN in CI).
    """
    _token, secret = open_app().tokens.create(actor=operator(), username=username, client=client,
                                              expires_days=expires_days)
    click.echo(secret)


@tokens.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Include revoked and expired tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def tokens_list(include_inactive: bool, as_json: bool) -> None:
    """Every active token: its number, the start of its secret, whom it acts for, when it expires."""
    listed = open_app().tokens.list(include_inactive=include_inactive)
    if as_json:
        print_json(listed)
        return
    if not listed:
        click.echo("No API tokens.")
        return
    click.echo(f"{'ID':>4} {'TOKEN':14} {'FOR':28} {'CREATED':17} {'EXPIRES':17} STATUS")
    for t in listed:
        who = t.username or f"client {t.client}"
        status = "active" if t.active else ("revoked" if t.revoked_at else "expired")
        expires = f"{t.expires_at:%Y-%m-%d %H:%M}" if t.expires_at else "never"
        click.echo(f"{t.id:>4} {t.prefix + '…':14} {who[:28]:28} {t.created_at:%Y-%m-%d %H:%M} {expires:17} {status}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID at once (see `tokens list`)."""
    token = open_app().tokens.revoke(token_id, actor=operator())
    click.echo(f"Token {token.id} ({token.prefix}…) is revoked.")


# -- policy exceptions ------------------------------------------------------------------------

@policy.group("exception")
def exception() -> None:
    """An admin's written permission for one model to go below the organisation's policy."""


@exception.command("grant")
@click.argument("model")
@click.argument("setting")
@click.argument("value")
@click.option("--reason", required=True, help="Why the organisation's policy is not right for this model.")
@click.option("--expires-days", type=int, help="The exception lapses after this many days.")
@click.option("--as", "username", help="Your admin account (password on standard input); otherwise GREENLIGHT_TOKEN.")
def exception_grant(model: str, setting: str, value: str, reason: str, expires_days: int | None,
                    username: str | None) -> None:
    """Allow MODEL's spec to set SETTING as low as VALUE (e.g. gates.max.latency_p95_ms 400).

    Settings: gates.min.METRIC, gates.max.METRIC, gates.not_worse_than_production,
    gates.fairness_blocks, gates.min_group_size, signoff.expires_days, canary.min_requests,
    model.risk_tier.
    """
    app = open_app()
    admin = signed_in(app, username, purpose="A policy exception")
    granted = app.policy_exceptions.grant(model, setting, value, reason=reason, actor=admin,
                                          expires_days=expires_days)
    click.echo(f"Exception {granted.id}: {model} may set {granted.setting} = {granted.value} "
               f"(granted by {granted.granted_by}). Sign-off packets of its versions will show it.")


@exception.command("revoke")
@click.argument("exception_id", type=int)
@click.option("--reason", required=True, help="Why it is withdrawn.")
@click.option("--as", "username", help="Your admin account (password on standard input); otherwise GREENLIGHT_TOKEN.")
def exception_revoke(exception_id: int, reason: str, username: str | None) -> None:
    """Withdraw exception EXCEPTION_ID; new versions are held to the policy again."""
    app = open_app()
    admin = signed_in(app, username, purpose="Revoking a policy exception")
    revoked = app.policy_exceptions.revoke(exception_id, reason=reason, actor=admin)
    click.echo(f"Exception {revoked.id} ({revoked.model}: {revoked.setting}) is revoked.")


@exception.command("list")
@click.option("--model", help="Only this model's exceptions.")
@click.option("--all", "include_inactive", is_flag=True, help="Include revoked and expired exceptions.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def exception_list(model: str | None, include_inactive: bool, as_json: bool) -> None:
    """Policy exceptions in force (or all of them)."""
    listed = open_app().policy_exceptions.list(model, include_inactive=include_inactive)
    if as_json:
        print_json(listed)
        return
    if not listed:
        click.echo("No policy exceptions.")
        return
    for e in listed:
        status = "active" if e.active else ("revoked" if e.revoked_at else "expired")
        click.echo(f"{e.id:>4} {e.model:24} {e.setting}={e.value}  by {e.granted_by}, "
                   f"{e.created_at:%Y-%m-%d} [{status}]: {e.reason}")
