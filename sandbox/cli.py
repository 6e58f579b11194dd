"""The sandbox's commands, added to `c360` through the `c360.commands` entry points: the demo
source systems (`c360 sources create`), the demo scenario, the accuracy run and the simulator."""

from __future__ import annotations

import json
import os
import sys

import click

from app.cli import checked_settings


@click.group()
def sources() -> None:
    """The demo source systems."""


@sources.command("create")
@click.option("--sample", is_flag=True, help="Fill them with realistic, messy sample data.")
def sources_create(sample: bool) -> None:
    """Create the demo source systems where they are missing (dfs where a local MySQL/MariaDB
    answers) and record them for every c360 process, unless the environment names the sources."""
    from app.config import (
        SOURCE_SYSTEMS,
        configured_sources,
        demo_sources_file,
        source_url_variable,
        state_dir,
    )
    from sandbox.sources import create_sources, demo_source_urls, record_demo_sources

    demo = demo_source_urls(checked_settings().database_url, state_dir())
    env = dict(os.environ)
    status = create_sources(configured_sources(env, demo), sample=sample)
    for source, outcome in status.items():
        click.echo(f"{source}: {outcome}")
    if not any(env.get(source_url_variable(name)) for name in SOURCE_SYSTEMS):
        created = {n: u for n, u in demo.items() if not status.get(n, "").startswith("skipped")}
        record_demo_sources(created, demo_sources_file())
        click.echo(f"recorded in {demo_sources_file()}: {', '.join(sorted(created))}")


@click.command()
@click.option("--timeout", default=60.0, show_default=True)
@click.option(
    "--use-running",
    is_flag=True,
    help="Use an already running worker and beat instead of starting them.",
)
def demo(timeout: float, use_running: bool) -> None:
    """The demo scenario through the real pipeline, then the unified profile."""
    from sandbox.scenario import run_demo

    settings = checked_settings(database=True, broker=True)
    sys.exit(run_demo(settings, timeout=timeout, start_pipeline=not use_running))


@click.command()
@click.option("--population", "people", default=2000, show_default=True, help="People to make.")
@click.option("--seed", default=1, show_default=True)
@click.option("--febrl/--no-febrl", default=True, show_default=True, help="Also run FEBRL4.")
@click.option(
    "--group", is_flag=True, help="Also spread the people over core_v1, openbanking and global."
)
def accuracy(people: int, seed: int, febrl: bool, group: bool) -> None:
    """Identity accuracy: pairwise precision, recall, F1 and false merges, on a synthetic
    population run through the real pipeline, and on FEBRL4 (scratch databases only)."""
    from sandbox.evaluation import evaluate_febrl, evaluate_population

    base = checked_settings().database_url
    runs = [("population", lambda: evaluate_population(base, people, seed, group=group))]
    if febrl:
        runs.append(("febrl4", lambda: evaluate_febrl(base)))
    for name, run in runs:
        scores, details = run()
        click.echo(
            f"{name}: precision {scores.precision:.4f}  recall {scores.recall:.4f}  "
            f"F1 {scores.f1:.4f}  false merges {scores.false_merges}  "
            f"different people merged across national IDs "
            f"{scores.false_merges_across_national_ids} (must be 0)  "
            f"typo duplicates merged {details['typo_pairs_merged']}/{details['typo_pairs']}  "
            f"suspected duplicates {details['suspected_duplicates']}  "
            f"pairs {scores.correct_pairs}/{scores.true_pairs} true, "
            f"{scores.predicted_pairs} predicted  {json.dumps(details)}"
        )


@click.command()
@click.option("--duration", default=60.0, show_default=True, help="Seconds to run.")
@click.option("--rate", default=5.0, show_default=True, help="Events per second.")
@click.option(
    "--publish",
    is_flag=True,
    help="Core also publishes its changes to RabbitMQ's c360.inbound (C360_AMQP_URL): option B.",
)
def simulate(duration: float, rate: float, publish: bool) -> None:
    """Write live activity (customers, logins, transactions, fraud cases) into the sources."""
    from sandbox.publisher import SourcePublisher
    from sandbox.simulator import Simulator

    settings = checked_settings()
    if publish and not settings.amqp_url:
        raise click.ClickException("--publish needs C360_AMQP_URL (RabbitMQ)")
    publisher = SourcePublisher(settings.amqp_url) if publish else None
    simulator = Simulator(settings.source_urls, publisher=publisher)
    try:
        written = simulator.run(duration, rate)
    finally:
        simulator.close()
    click.echo(f"simulator wrote {written} events")
