"""Nightly runs: ``goldmine serve`` (a Prefect deployment on a schedule) and ``goldmine cron-line``
(the same run from the system's cron instead).

Prefect's ephemeral mode — a private server inside the process that runs a flow — cannot run
schedules: something has to stay up, see the time come and start the run. ``goldmine serve``
registers the deployment with a real Prefect server (the ``PREFECT_API_URL`` you set, or one it
starts on 127.0.0.1 with ``--with-server``) and stays up to run it; each scheduled run reads
``goldmine.toml`` afresh, mines only what is new, and waits for (or is refused by) the workspace
lock like any other goldmine command.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

import click

from flows.commands.options import workspace_options
from flows.errors import ConfigError, PrefectServerError
from flows.run.prefect_server import LocalPrefectServer, is_healthy
from flows.settings import Settings
from flows.workspace import Workspace, configure_prefect

_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")
EPHEMERAL = (
    "Prefect's ephemeral mode cannot run schedules (it has no server that stays up to start them): "
    "set PREFECT_API_URL or [prefect] api_url to a Prefect server (`prefect server start`), pass "
    "--with-server to "
    "start one "
    "on 127.0.0.1 for as long as `goldmine serve` runs, or use `goldmine cron-line` for the "
    "system's cron"
)


@click.command()
@click.option("--cron", help='When to run, in cron syntax (default: [nightly] cron, "0 2 * * *").')
@click.option(
    "--with-server", is_flag=True, help="Start a Prefect server on 127.0.0.1 and stop it on exit."
)
@workspace_options()
def serve(workspace: Path | None, verbose: bool, cron: str | None, with_server: bool) -> None:
    """Serve a Prefect deployment that runs the whole pipeline on a schedule."""
    space = Workspace.at(workspace).ensure()
    settings = space.settings()
    schedule = check_cron(cron or settings.nightly.cron)
    _require_sources(space, settings)
    if settings.prefect.api_url and not os.environ.get("PREFECT_API_URL"):
        os.environ["PREFECT_API_URL"] = settings.prefect.api_url  # before Prefect is imported
    configure_prefect(space, verbose)
    with ExitStack() as stack:
        stack.enter_context(_sigterm_as_interrupt())
        url = _api_url(space, stack, with_server)
        from flows.run.nightly_flow import deployment_name, serve_nightly
        from flows.run.prefect_flows import flush_to_api

        stack.callback(flush_to_api)  # before a server started here stops

        click.echo(
            f"serving {deployment_name(space)}: the whole pipeline over {space.root}, "
            f"cron {schedule!r} ({settings.nightly.timezone}), Prefect at {url}; Ctrl+C stops it"
        )
        serve_nightly(space, schedule, settings.nightly.timezone)
    click.echo("stopped serving" + (" and the Prefect server" if with_server else ""))


@click.command("cron-line")
@click.option(
    "--cron",
    help="When to run (default: [nightly] cron). System cron uses this machine's time zone.",
)
@click.option(
    "--log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Log file (default: W/logs/nightly.log).",
)
@workspace_options()
def cron_line(workspace: Path | None, verbose: bool, cron: str | None, log: Path | None) -> None:
    """Print a crontab line that runs the pipeline nightly from the system's cron."""
    space = Workspace.at(workspace)
    settings = space.settings()
    log_path = (log or space.root / "logs" / "nightly.log").expanduser().resolve()
    click.echo(
        f"# goldmine nightly run of {space.root} (add it with `crontab -e`; logs: {log_path})"
    )
    click.echo(
        crontab_line(
            space,
            check_cron(cron or settings.nightly.cron),
            log_path,
            settings.nightly.wait_seconds,
        )
    )


def crontab_line(space: Workspace, schedule: str, log: Path, wait: float) -> str:
    """``SCHEDULE cd W && mkdir -p LOGDIR && /abs/goldmine run --workspace W --wait N >> LOG
    2>&1``."""
    root = shlex.quote(str(space.root))
    command = [goldmine_executable(), "run", "--workspace", str(space.root), "--wait", f"{wait:g}"]
    run = " ".join(shlex.quote(part) for part in command)
    # cron gives commands a bare PATH: name git's folder too; '%' is special in crontab lines
    folders = dict.fromkeys([_git_folder(), "/usr/local/bin", "/usr/bin", "/bin"])
    path = shlex.quote(f"PATH={':'.join(folders)}")
    logs, log_file = shlex.quote(str(log.parent)), shlex.quote(str(log))
    line = f"{schedule} cd {root} && mkdir -p {logs} && env {path} {run} >> {log_file} 2>&1"
    return line.replace("%", r"\%")


def goldmine_executable() -> str:
    """The absolute path of this installation's ``goldmine`` command."""
    beside = Path(sys.executable).with_name("goldmine")
    if beside.exists():
        return str(beside)
    return str(Path(sys.argv[0]).resolve())


def check_cron(schedule: str) -> str:
    """A cron expression of five fields, or a one-line error."""
    fields = schedule.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(field) for field in fields):
        raise ConfigError(
            f'--cron "{schedule}" is not a cron schedule: give five fields, e.g. "0 2 * * *" '
            "(02:00 daily)"
        )
    return " ".join(fields)


def _git_folder() -> str:
    from shutil import which

    git = which("git")
    return str(Path(git).parent) if git else "/usr/bin"


def _require_sources(space: Workspace, settings: Settings) -> None:
    if not settings.sources.repos and not settings.sources.tickets:
        raise ConfigError(
            "nothing to run nightly: list repositories and ticket exports under [sources] in "
            f"{space.config_path} "
            "(`goldmine init` writes one)"
        )


def _api_url(space: Workspace, stack: ExitStack, with_server: bool) -> str:
    """The Prefect API to serve against: one started here, or the one the user configured."""
    if with_server:
        url = stack.enter_context(LocalPrefectServer(space.prefect_home, ui=True))
        os.environ["PREFECT_API_URL"] = url  # the flow runs the runner starts inherit it
        return url
    from prefect.settings import PREFECT_API_URL  # also finds one set in a Prefect profile

    url = os.environ.get("PREFECT_API_URL") or str(PREFECT_API_URL.value() or "")
    if not url:
        raise PrefectServerError(EPHEMERAL)
    if not is_healthy(url):
        raise PrefectServerError(
            f"no Prefect server answers at PREFECT_API_URL={url}: start it (`prefect server "
            "start`), "
            "or pass --with-server to start one here"
        )
    return url


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Ctrl+C stops serving gracefully (the schedule is paused, a server goldmine started is
    stopped), also when the shell that started ``goldmine serve`` in the background ignored SIGINT;
    SIGTERM does the same (Prefect's runner takes it over while it runs)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # the standard handler, so asyncio cancels the runner's loop cleanly instead of breaking out of
    # it
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, interrupt),
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
