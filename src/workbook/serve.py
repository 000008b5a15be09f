"""Serve the participant forms with Voila, hardened for a room of participants.

:func:`voila_command` builds the exact command line (every choice is explained next to its
option), :func:`serve` runs it and stops it cleanly on Ctrl-C or SIGTERM.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import sqlalchemy as sa

from .config import get_settings
from .errors import ConfigError
from .jupyter_compat import voila_offline_template

TEMPLATE_NAME = "workbook"


def default_forms_dir() -> Path:
    """The form notebooks shipped inside the package (``workbook/notebooks/forms``)."""
    return Path(__file__).resolve().parent / "notebooks" / "forms"


@dataclass(frozen=True)
class ServeOptions:
    """How to run the forms server. Defaults suit a workshop room on one machine."""

    host: str = "127.0.0.1"
    port: int = 8866
    db_url: str | None = None
    forms_dir: Path = field(default_factory=default_forms_dir)
    #: nbclient waits this long for a cell's output; its default (4 s) left blank pages under load.
    iopub_timeout: int = 120
    #: A kernel with no activity for this long is shut down (a closed tab must not hold ~120 MiB
    #: forever). Typing in a form is activity, so only a page untouched for an hour is culled.
    cull_idle_timeout: int = 3600
    cull_interval: int = 60
    #: Cull idle kernels even while a tab is still open (tabs left open overnight).
    cull_connected: bool = True
    #: People expected at once: the server keeps this many kernels warm (one pool for every page,
    #: see :func:`workbook.server.warm_pool_class`); 0 starts a kernel per page when it is opened.
    expect: int = 0
    #: Seconds without arrivals, once people have come, after which warm kernels are released.
    release_after: float = 1800.0
    #: Tornado's websocket limit (default 10 MiB): a larger message closed the connection and the
    #: text was lost. Raised so the form's own, visible limit is what a participant meets.
    max_message_bytes: int = 100 * 1024 * 1024
    #: A header an authenticating proxy (JupyterHub service, oauth2-proxy, a web server's auth) sets
    #: to the signed-in user, e.g. ``X-Forwarded-User``; honoured only on requests without a key that
    #: come from one of ``trusted_proxies``. Empty: no header is ever looked at.
    trust_user_header: str = ""
    #: The authenticating proxy's own addresses (or networks): the socket's peer, never X-Forwarded-For.
    trusted_proxies: tuple[str, ...] = ()
    #: The cohort proxy-authenticated users are looked up in (needed when someone is on several rosters).
    cohort: str | None = None
    #: The path prefix everything is served under (``/services/workbook/`` as a JupyterHub service).
    base_url: str = "/"
    extra_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.trust_user_header and not self.trusted_proxies:
            raise ConfigError("--trust-user-header needs --trusted-proxy ADDRESS (the authenticating proxy's own "
                              "address): a header anyone can send proves nothing")
        if self.trusted_proxies and not self.trust_user_header:
            raise ConfigError("--trusted-proxy is used only with --trust-user-header HEADER")
        from .access import trusted_proxies

        try:
            trusted_proxies(self.trusted_proxies)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if not re.fullmatch(r"/(?:[A-Za-z0-9._~-]+/)*(?:[A-Za-z0-9._~-]+)?", self.base_url):
            raise ConfigError(f"--base-url {self.base_url!r} must be a path such as /services/workbook/")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/") + "/")

    def resolved_db_url(self) -> str:
        """The database URL kernels get, with a SQLite path made absolute (kernels run in the forms folder)."""
        url = sa.make_url(get_settings(self.db_url).db_url)
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                raise ConfigError("the forms need a database file or server; an in-memory SQLite database "
                                  "cannot be shared with Voila's kernels")
            path = Path(url.database).expanduser().resolve()
            forms = self.forms_dir.resolve()
            if forms == path.parent or forms in path.parents:
                raise ConfigError(f"the database {path} is inside the served folder {forms}; move it elsewhere "
                                  "so it can never be downloaded")
            url = url.set(database=str(path))
        return url.render_as_string(hide_password=False)


def voila_config(options: ServeOptions) -> dict[str, Any]:
    """Settings with structured values, written as ``voila.json`` (the command line takes only scalars)."""
    return {
        # Tornado's websocket limit (default 10 MiB): larger messages silently killed the page.
        "Voila": {"tornado_settings": {
            "websocket_max_message_size": options.max_message_bytes,
            # Page URLs carry the personal key: never send them to another site as a Referer.
            # (Same-origin requests keep theirs: Jupyter's API checks it.)
            "headers": {"Referrer-Policy": "same-origin"},
        }},
        # /voila/files/ serves nothing (by default it serves images under the root).
        "VoilaConfiguration": {"file_allowlist": [], "file_denylist": [".*"]},
    }


def voila_command(options: ServeOptions, config_dir: Path | None = None) -> list[str]:
    """The Voila command line for ``options``.

    ``config_dir`` holds our ``voila.json`` and the offline-safe ``workbook`` template (see
    :func:`write_config`); it is the only place Voila reads configuration from, so a stray
    ``voila.json`` in the working directory cannot loosen these settings.
    """
    forms = options.forms_dir.resolve()
    if not forms.is_dir():
        raise ConfigError(f"forms folder {forms} not found; run from the workbook checkout")
    cmd = [
        # Voila in-process behind our gate (workbook.server): keys checked before any kernel starts.
        sys.executable, "-m", "workbook.server", str(forms),  # the forms folder is Voila's whole root
        "--no-browser",
        f"--Voila.ip={options.host}",
        f"--port={options.port}",
        # Never drift to another port: warm kernels would call back to the wrong one.
        "--Voila.port_retries=0",
        "--show_tracebacks=False",
        "--strip_sources=True",
        "--theme=light",
        f"--VoilaExecutor.iopub_timeout={options.iopub_timeout}",
        f"--MappingKernelManager.cull_idle_timeout={options.cull_idle_timeout}",
        f"--MappingKernelManager.cull_interval={options.cull_interval}",
        f"--MappingKernelManager.cull_connected={options.cull_connected}",
        # ZMQ over TCP raced for ports under load ("Address already in use" hung a kernel).
        "--KernelManager.transport=ipc",
    ]
    if config_dir is not None:
        cmd += [f"--Voila.config_file_paths={config_dir}", f"--template={TEMPLATE_NAME}"]
    if options.expect:
        cmd += [f"--WorkbookVoila.expect={options.expect}",
                f"--WorkbookVoila.warm_release_after={options.release_after}"]
    if options.base_url != "/":  # every route, cookie and link under the prefix (a JupyterHub service's)
        cmd += [f"--Voila.base_url={options.base_url}"]
    if options.trust_user_header:
        cmd += [f"--WorkbookVoila.trust_user_header={options.trust_user_header}",
                *(f"--WorkbookVoila.trusted_proxies={p}" for p in options.trusted_proxies)]
    if options.cohort:
        cmd += [f"--WorkbookVoila.cohort={options.cohort}"]
    cmd += list(options.extra_args)
    return cmd


def voila_environment(options: ServeOptions, config_dir: Path | None = None,
                      base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the database URL for the kernels, and our template on JUPYTER_PATH."""
    env = dict(os.environ if base is None else base)
    env["WORKBOOK_DB_URL"] = options.resolved_db_url()
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONUNBUFFERED"] = "1"
    if config_dir is not None:  # our template is found first
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(config_dir), env.get("JUPYTER_PATH", "")) if p)
    return env


def write_config(root: Path, options: ServeOptions) -> Path:
    """Write Voila's config and the ``workbook`` template (lab without its CDN stylesheets) under ``root``."""
    (root / "voila.json").write_text(json.dumps(voila_config(options), indent=1), encoding="utf-8")
    folder = root / "voila" / "templates" / TEMPLATE_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    # Voila's lab template without its CDN stylesheets (the adapter to Voila's markup).
    (folder / "index.html.j2").write_text(voila_offline_template(), encoding="utf-8")
    return root


@contextmanager
def prepared(options: ServeOptions) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The command and environment, with the template in a temporary folder removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="workbook-serve-"))
    try:
        root = write_config(tmp, options)
        yield voila_command(options, root), voila_environment(options, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report_apps(options: ServeOptions) -> list[str]:
    """The report apps among the served notebooks, as link patterns (each person's key goes in)."""
    host = "127.0.0.1" if options.host in ("", "0.0.0.0", "::") else options.host
    return [f"http://{host}:{options.port}{options.base_url}voila/render/{nb.name}?key=YOUR_KEY"
            for nb in sorted(options.forms_dir.glob("reports*.ipynb"))]


def serve(options: ServeOptions, *, stop_timeout: float = 20.0) -> int:
    """Run Voila until Ctrl-C or SIGTERM; shut its kernels down; return its exit code.

    Voila runs in its own session so a Ctrl-C reaches it once, from us, as SIGTERM: it then stops
    its loop and shuts every kernel down (a second signal mid-shutdown would orphan kernels).
    """
    for link in report_apps(options):  # live reports: each link lists only what its key may open
        print(f"Reports: {link}", flush=True)
    with prepared(options) as (cmd, env):
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
        stopping = False

        def stop(_sig: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            if not stopping:
                stopping = True
                proc.send_signal(signal.SIGTERM)

        old_term = signal.signal(signal.SIGTERM, stop)
        old_int = signal.signal(signal.SIGINT, stop)
        try:
            while True:
                try:
                    return proc.wait(timeout=1.0) if not stopping else _wait_or_kill(proc, stop_timeout)
                except subprocess.TimeoutExpired:
                    continue
        finally:
            signal.signal(signal.SIGTERM, old_term)
            signal.signal(signal.SIGINT, old_int)
            if proc.poll() is None:
                _wait_or_kill(proc, stop_timeout)


def _wait_or_kill(proc: "subprocess.Popen[bytes]", timeout: float) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
