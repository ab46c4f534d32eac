"""A workspace: the folder holding a project's goldmine config, warehouse, exports and Prefect
state.

Chosen by ``--workspace DIR``, else ``$GOLDMINE_HOME``, else the current directory. What the config
may say is ``flows/settings.py``.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flows.errors import ConfigError

if TYPE_CHECKING:  # imported where they are used: `goldmine status` needs no settings
    from flows.settings import Settings
    from warehouse.store import Warehouse

CONFIG_NAME = "goldmine.toml"
DATABASE_NAME = "goldmine.duckdb"


@dataclass(frozen=True, slots=True)
class Workspace:
    """Paths of one workspace."""

    root: Path

    @classmethod
    def at(cls, path: str | Path | None) -> Workspace:
        """The workspace at ``path``, else ``$GOLDMINE_HOME``, else the current directory."""
        chosen = path or os.environ.get("GOLDMINE_HOME") or "."
        return cls(Path(chosen).expanduser().resolve())

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def database_path(self) -> Path:
        return self.root / DATABASE_NAME

    @property
    def export_dir(self) -> Path:
        return self.root / "export"

    @property
    def prefect_home(self) -> Path:
        return self.root / ".prefect"

    @property
    def key_path(self) -> Path:
        return self.root / ".goldmine-key"

    def ensure(self) -> Workspace:
        """Create the folder if it does not exist yet."""
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"{self.root} is a file, not a folder: choose another --workspace")
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    def write_config(self) -> Path:
        """Write a commented ``goldmine.toml`` unless one exists; return its path."""
        from flows.settings import config_template

        self.ensure()
        if not self.config_path.exists():
            self.config_path.write_text(config_template(), encoding="utf-8")
        return self.config_path

    def settings(self) -> Settings:
        """The settings in ``goldmine.toml`` (defaults when the file does not exist)."""
        from pydantic import ValidationError

        from flows.settings import Settings, resolve_paths

        if not self.config_path.exists():
            return Settings()
        try:
            data = tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(
                f"{self.config_path} is not valid TOML ({error}); fix it or delete it"
            ) from None
        try:
            settings = Settings.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigError(f"{self.config_path}: {where}: {first['msg']}") from None
        return resolve_paths(settings, self.root)

    def key(self) -> bytes:
        """The workspace's secret key for pseudonymising e-mails and hashing secrets (made once)."""
        if not self.key_path.exists():
            self.ensure()
            try:  # created readable by its owner only, never for a moment by anyone else
                handle = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return self.key_path.read_bytes()  # another process made it first
            with os.fdopen(handle, "wb") as key_file:
                key_file.write(secrets.token_bytes(32))
        return self.key_path.read_bytes()

    def open_warehouse(
        self, *, read_only: bool = False, wait: float = 0.0, command: str = ""
    ) -> Warehouse:
        """Open (and migrate) the warehouse file, holding the workspace lock until it is closed
        (shared when read-only); wait up to ``wait`` seconds for another goldmine process."""
        from flows.workspace_lock import LockedWarehouse, invoked_command

        if read_only and not self.database_path.exists():
            raise ConfigError(
                f"{self.root} has no warehouse yet: run `goldmine run` or `goldmine demo` first"
            )
        self.ensure()
        return LockedWarehouse(
            self.database_path, read_only=read_only, command=command or invoked_command(), wait=wait
        )


def configure_prefect(workspace: Workspace, verbose: bool) -> None:
    """Point Prefect at the workspace's own state, quiet and without telemetry.

    Must run before Prefect is imported. A ``PREFECT_API_URL`` the user set is respected.
    """
    os.environ.setdefault("PREFECT_HOME", str(workspace.prefect_home))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
