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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def simulate_command(model: str, requests_: int, days: float, outcome_delay_hours: float, gateway_url: str | None,
                     token: str | None, seed: int, as_json: bool) -> None:
    """Send MODEL simulated traffic through the gateway, from the rows its data held back.

    Rows of the production version's test set go through the real HTTP routing and logging,
    one per request, with timestamps spread over the past DAYS, marked simulated; their true
    outcomes follow as feedback.
    """
    from backend.deployment.simulate import simulate_traffic

    app = open_app()
    result = simulate_traffic(app, model, requests=requests_, days=days, outcome_delay_hours=outcome_delay_hours,
                              gateway_url=gateway_url, token=token, seed=seed,
                              progress=None if as_json else click.echo)
    if as_json:
        print_json(result)
        return
    shares = ", ".join(f"{slot} {count:,}" for slot, count in sorted(result.by_slot.items()))
    click.echo(f"Sent {result.requests:,} simulated requests to {model} over {result.days:g} days ({shares}); "
               f"{result.errors:,} rows could not be scored; {result.outcomes_sent:,} outcomes sent, "
               f"{result.outcomes_pending:,} still to come.")
