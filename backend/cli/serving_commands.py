"""Commands for the scoring gateway: serve it, and send it simulated traffic."""

from __future__ import annotations

import click

from backend.cli.base import cli, open_app, print_json

__all__ = ["cli"]


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; 0.0.0.0 serves other machines).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one and prints it).")
def serve_command(host: str, port: int) -> None:
    """Run the scoring gateway: every model's production, canary and test slots, over HTTP.

    The slots are re-read from the database every GREENLIGHT_GATEWAY_REFRESH_SECONDS, so
    several gateways follow a promotion without a restart. Stops on Ctrl-C or SIGTERM after
    writing the prediction-log rows that wait.
    """
    from backend.deployment.server import serve

    app = open_app()
    serve(app, host=host, port=port, announce=lambda line: click.echo(line))


@cli.command("simulate")
@click.argument("model")
@click.option("--requests", "requests_", default=1000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="How many requests to send.")
@click.option("--days", default=7.0, show_default=True, type=click.FloatRange(0, 365),
              help="Spread the requests' timestamps over this many past days.")
@click.option("--outcome-delay-hours", default=24.0, show_default=True, type=click.FloatRange(0),
              help="The true outcome arrives this long after its prediction (later ones are not sent yet).")
@click.option("--gateway", "gateway_url", help="The gateway's URL (default: GREENLIGHT_GATEWAY_URL, else one is "
                                               "started on loopback for the run).")
@click.option("--token", envvar="GREENLIGHT_CLIENT_TOKEN", help="A client application's token, when the gateway "
                                                                "requires one.")
@click.option("--seed", default=0, show_default=True, help="Which rows, keys and times are drawn.")
@click.option("--rows-per-request", default=1, show_default=True, type=click.IntRange(1, 10_000),
              help="Rows in each request: a client's batch, with one routing key and one timestamp.")
@click.option("--grow", multiple=True, metavar="INPUT=FACTOR",
              help="A gradual shift: numeric INPUT's values reach FACTOR times their size by now (1.5: half as "
                   "large again), growing evenly over the DAYS. Repeatable.")
@click.option("--share", multiple=True, metavar="INPUT=VALUE:SHARE",
              help="A gradual shift: VALUE of the categorical INPUT is SHARE (between 0 and 1) of the rows by now. "
                   "Repeatable.")
@click.option("--turn-outcomes", metavar="INPUT=VALUE:OUTCOME:SHARE",
              help="A gradual change in the outcomes the model cannot see: by now, SHARE of the rows with INPUT = "
                   "VALUE whose outcome was another have OUTCOME instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def simulate_command(model: str, requests_: int, days: float, outcome_delay_hours: float, gateway_url: str | None,
                     token: str | None, seed: int, rows_per_request: int, grow: tuple[str, ...], share: tuple[str, ...],
                     turn_outcomes: str | None, as_json: bool) -> None:
    """Send MODEL simulated traffic through the gateway, from the rows its data held back.

    Rows of the production version's test set go through the real HTTP routing and logging,
    one per request (or ROWS-PER-REQUEST), with timestamps spread over the past DAYS, marked
    simulated; their true outcomes follow as feedback. --grow, --share and --turn-outcomes make
    the traffic drift gradually over those days, as production data does.
    """
    from backend.deployment.simulate import simulate_traffic

    shift = _shift(days, grow, share, turn_outcomes)
    app = open_app()
    result = simulate_traffic(app, model, requests=requests_, days=days, outcome_delay_hours=outcome_delay_hours,
                              gateway_url=gateway_url, token=token, seed=seed, rows_per_request=rows_per_request,
                              shift=shift, progress=None if as_json else click.echo)
    if as_json:
        print_json(result)
        return
    shares = ", ".join(f"{slot} {count:,}" for slot, count in sorted(result.by_slot.items()))
    rows = f" ({result.rows:,} rows)" if result.rows != result.requests else ""
    drift = ", drifting gradually" if shift is not None else ""
    click.echo(f"Sent {result.requests:,} simulated requests{rows} to {model} over {result.days:g} days{drift} ({shares}); "
               f"{result.errors:,} rows could not be scored; {result.outcomes_sent:,} outcomes sent, "
               f"{result.outcomes_pending:,} still to come.")


def _number(text: str, option: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise click.BadParameter(f"{what} must be a number, not '{text}'.", param_hint=option) from None


def _shift(days: float, grow: tuple[str, ...], share: tuple[str, ...], turn_outcomes: str | None):
    """The gradual shift the options describe, or None."""
    from backend.deployment.shift import GradualShift, OutcomeShift

    if not (grow or share or turn_outcomes):
        return None
    grown: dict[str, float] = {}
    for item in grow:
        name, sep, factor = item.partition("=")
        if not (sep and name and factor):
            raise click.BadParameter(f"'{item}' is not INPUT=FACTOR (say, credit_amount=1.6).", param_hint="--grow")
        grown[name] = _number(factor, "--grow", "FACTOR")
    shares: dict[str, tuple[str, float]] = {}
    for item in share:
        name, sep, rest = item.partition("=")
        value, colon, target = rest.rpartition(":")
        if not (sep and name and colon and value and target):
            raise click.BadParameter(f"'{item}' is not INPUT=VALUE:SHARE (say, purpose=car (new):0.5).",
                                     param_hint="--share")
        shares[name] = (value, _number(target, "--share", "SHARE"))
    outcome = None
    if turn_outcomes:
        name, sep, rest = turn_outcomes.partition("=")
        parts = rest.rsplit(":", 2)
        if not (sep and name and len(parts) == 3 and all(parts)):
            raise click.BadParameter(f"'{turn_outcomes}' is not INPUT=VALUE:OUTCOME:SHARE (say, checking_account="
                                     "no checking account:bad:0.45).", param_hint="--turn-outcomes")
        outcome = OutcomeShift(feature=name, value=parts[0], outcome=parts[1],
                               share=_number(parts[2], "--turn-outcomes", "SHARE"))
    if days <= 0:
        raise click.BadParameter("a gradual shift needs the traffic spread over some days (--days above 0).",
                                 param_hint="--days")
    return GradualShift(days=days, grow=grown, share=shares, outcome=outcome)
