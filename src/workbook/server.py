"""The forms server: Voila, in-process, with a gate of ours in front of every route.

``workbook serve`` runs ``python -m workbook.server`` (see :mod:`workbook.serve` for the command
line). Why in-process rather than Voila's ``prelaunch_hook`` or a Jupyter server extension:
the hook cannot be combined with preheated kernels, it runs only on the render route, and it
cannot refuse the kernel API or the websocket; a server extension would bring Jupyter Server's
own contents, tree and kernels API that a room must never reach. Subclassing Voila's app lets us
keep its renderer, kernel manager and front end unchanged and decide, route by route, who gets
what:

- a page (``/voila/render/<page>.ipynb``) starts a kernel only after its key was checked against
  the store (:func:`workbook.access.authenticate`); a stranger gets a short message page and no
  kernel, whatever the mode (plain or preheated);
- links between pages carry no key: the key of the personal link a browser opened is kept in an
  HttpOnly, SameSite=Strict session cookie and handed to the page's kernel as if it were in the link;
- every kernel is bound to the browser that opened its page: a random secret in an HttpOnly,
  SameSite=Strict cookie, of which the server keeps only a hash per kernel. The websocket, the
  kernel API and the shutdown route answer 403 without it, so a kernel id (which is in the page
  HTML) is no bearer token;
- ``/`` says "open your personal link"; the folder listings (tree, contents API, files), the
  login routes and unknown paths answer 404;
- no log line carries a key: Tornado's access log writes paths without query strings, and a
  filter on every log handler redacts ``key=...`` wherever else it appears (Voila and Tornado log
  whole URLs on errors).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sys
import time
import urllib.parse
from collections.abc import Iterable
from typing import Any

import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.utils import url_path_join
from traitlets import Float, Int, List, Unicode
from voila.app import Voila
from voila.utils import ENV_VARIABLE
from voila.voila_kernel_manager import voila_kernel_manager_factory
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from . import access
from .errors import AccessDenied, WorkbookError
from .forms.app import APP_NOTEBOOK
from .html import esc
from .jupyter_compat import kernel_pid, use_kernel_manager_factory

log = logging.getLogger("workbook.server")

#: The cookie holding this browser's secret; kernels are bound to its hash.
CLIENT_COOKIE = "wb_client"
#: The key of the personal link this browser last opened (HttpOnly, SameSite=Strict, gone when the
#: browser closes), so that links between pages need not carry the key in their HTML.
KEY_COOKIE = "wb_key"
#: Environment variable with the path secret of the preheated kernels' query websocket.
QUERY_SECRET_ENV = "WORKBOOK_QUERY_SECRET"
_KERNEL_ID = r"(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_KEY_RE = re.compile(r"((?:^|[?&;\s'\"])(?:key|" + re.escape(access.LINK_PARAMETER) + r")(?:=|%3D))[^&;\s'\"#]*",
                     re.IGNORECASE)

HOME_TEXT = ("This is the workbook of your programme. Open the personal link you received "
             "(by email or from your facilitator); it takes you straight to your page.")
NOT_FOUND_TEXT = "There is no page here. Open the personal link you received, exactly as it was sent."
UNAVAILABLE_TEXT = ("The workbook is not available right now. Please try again in a few minutes; "
                    "if it still does not open, tell your facilitator.")


def redact(text: str) -> str:
    """``text`` with every link key replaced by ``[redacted]`` (for log lines)."""
    return _KEY_RE.sub(r"\1[redacted]", text)


class RedactKeys(logging.Filter):
    """A log filter that removes link keys from the message, its arguments and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(loggers: Iterable[logging.Logger] = ()) -> None:
    """Put :class:`RedactKeys` on every handler of the root logger and of ``loggers``."""
    flt = RedactKeys()
    for lg in (logging.getLogger(), *loggers):
        for handler in lg.handlers:
            if not any(isinstance(f, RedactKeys) for f in handler.filters):
                handler.addFilter(flt)


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, with the path only (never the query string, which carries the key)."""
    status = handler.get_status()
    req = handler.request
    level = logging.DEBUG if status < 400 else logging.INFO if status < 500 else logging.WARNING
    logging.getLogger("tornado.access").log(level, "%d %s %s %.1fms", status, req.method, redact(req.path),
                                            1000.0 * req.request_time())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


class Gate:
    """What the server knows about pages: the store, the page kinds, and kernel-to-browser bindings."""

    def __init__(self, pages: Iterable[str], *, user_header: str = "", trusted_proxies: Iterable[str] = (),
                 cohort: str = "") -> None:
        self.pages = frozenset(pages)
        self._store: Any = None
        self._bindings: dict[str, str] = {}
        # A trusted authenticating proxy: the header naming its user, the proxy's addresses, the cohort.
        self.user_header = user_header
        self.proxies = access.trusted_proxies(trusted_proxies)
        self.cohort = cohort or None

    @property
    def store(self) -> Any:
        if self._store is None:
            from .store import Store

            self._store = Store(create=False)
        return self._store

    def check(self, page: str, key: str | None) -> access.Viewer:
        """The viewer for a page request, or :class:`AccessDenied` / :class:`WorkbookError`."""
        return access.authenticate(self.store, key, require_role=access.page_roles(page))

    def proxy_user(self, request: Any) -> str | None:
        """The user a trusted proxy signed in for ``request`` (None unless configured and from its address)."""
        return access.proxy_user(request.remote_ip, request.headers, self.user_header, self.proxies)

    def check_user(self, page: str, user: str) -> access.Viewer:
        """The roster member a trusted proxy's user is, for a page request, or :class:`AccessDenied`."""
        return access.trusted_viewer(self.store, user, self.cohort, require_role=access.page_roles(page))

    def bind(self, kernel_id: str, client_secret: str) -> None:
        self._bindings[kernel_id] = _digest(client_secret)

    def unbind(self, kernel_id: str) -> None:
        self._bindings.pop(kernel_id, None)

    def owns(self, kernel_id: str, client_secret: str | None) -> bool:
        """Whether the browser holding ``client_secret`` opened the page of ``kernel_id``."""
        want = self._bindings.get(kernel_id)
        if want is None or not client_secret or not _SECRET_RE.match(client_secret):
            return False
        return hmac.compare_digest(want, _digest(client_secret))

    def prune(self, live: Iterable[str]) -> None:
        """Forget bindings of kernels that are gone (culled, shut down)."""
        alive = set(live)
        for kid in [k for k in self._bindings if k not in alive]:
            del self._bindings[kid]


def message_html(text: str, title: str = "workbook") -> str:
    """A small standalone page with one message (no script, no external resource)."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>"
            "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:38rem;margin:12vh auto;"
            "padding:0 1.2rem;color:#1f2933;line-height:1.5}"
            ".wb-message{border-left:4px solid #3b6fb6;padding:.8rem 1rem;background:#f3f6fb}"
            "</style></head><body>"
            f"<p class='wb-message wb-page-message'>{esc(text)}</p></body></html>")


class _MessageMixin:
    def write_message_page(self: Any, status: int, text: str) -> None:
        self.clear()
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(message_html(text))


class MessageHandler(_MessageMixin, tornado.web.RequestHandler):
    """``/`` (a short "open your personal link" page) and every route a stranger may try (404)."""

    def initialize(self, status: int = 404, text: str = NOT_FOUND_TEXT) -> None:
        self._status, self._text = status, text

    def set_default_headers(self) -> None:
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                                                   "frame-ancestors 'none'")

    def prepare(self) -> None:
        self.write_message_page(self._status, self._text)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.write_message_page(status_code, NOT_FOUND_TEXT)


class _BindingKernelManager:
    """The kernel manager as a page handler sees it: each kernel it starts is bound to the browser."""

    def __init__(self, real: Any, on_kernel: Any) -> None:
        self._real, self._on_kernel = real, on_kernel

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        kernel_id = await ensure_async(self._real.start_kernel(*args, **kwargs))
        self._on_kernel(kernel_id)
        return str(kernel_id)

    async def get_rendered_notebook(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._real.get_rendered_notebook(*args, **kwargs)
        self._on_kernel(result[2])  # (render task, rendered cache, kernel id)
        return result


class GatedVoilaHandler(_MessageMixin, TornadoVoilaHandler):
    """``/voila/render/<page>.ipynb``: the key is checked before any kernel is started or taken."""

    gate: Gate

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self._finished:
            return
        path = self.path_kwargs.get("path") or (self.path_args[0] if self.path_args else "")
        page = path[:-len(".ipynb")] if path.endswith(".ipynb") else ""
        if page not in self.gate.pages:
            self.write_message_page(404, NOT_FOUND_TEXT)
            return
        key = self.get_query_argument(access.LINK_PARAMETER, None)
        from_cookie = not key
        if from_cookie:  # a link between pages (no key in it): the key this browser opened a page with
            key = self.get_cookie(KEY_COOKIE)
        # Only this server hands a kernel a viewer assertion; whatever a client put there goes.
        self._drop_query_argument(access.ASSERTION_PARAMETER)
        # No key: a trusted proxy's user header, if this server was told to trust one and the
        # request comes from the proxy's own address (else the header is ignored altogether).
        user = None if key else self.gate.proxy_user(self.request)
        loop = asyncio.get_running_loop()
        try:
            if user is not None:
                viewer = await loop.run_in_executor(None, self.gate.check_user, page, user)
            else:
                await loop.run_in_executor(None, self.gate.check, page, key)
        except AccessDenied as exc:
            self.write_message_page(403, str(exc))
            return
        except WorkbookError:
            log.exception("the store is unavailable; page %s refused", page)
            self.write_message_page(503, UNAVAILABLE_TEXT)
            return
        if self.settings.get(APP_ROUTING):
            # A warm server answers every page from the warm pool's one notebook; the kernel reads
            # the page from the request's path (SCRIPT_NAME), which stays the checked page's.
            if "path" in self.path_kwargs:
                self.path_kwargs["path"] = APP_NOTEBOOK
            else:
                self.path_args = [APP_NOTEBOOK, *self.path_args[1:]]
        if user is not None:
            # The kernel reads its viewer from the query string: signed here, verified there.
            self._add_query_argument(access.ASSERTION_PARAMETER, access.sign_viewer(viewer))
        elif from_cookie:
            # The kernel reads its viewer from the query string, as for a personal link.
            assert key is not None  # check() refuses a missing key
            self._add_query_argument(access.LINK_PARAMETER, key)
        else:
            assert key is not None
            self._set_private_cookie(KEY_COOKIE, key)
        secret = self.get_cookie(CLIENT_COOKIE)
        if not secret or not _SECRET_RE.match(secret):
            secret = secrets.token_urlsafe(32)
        self._set_private_cookie(CLIENT_COOKIE, secret)
        self._client_secret = secret
        # Voila's page posts /voila/api/shutdown/<kernel> with the _xsrf cookie's value when the tab
        # closes; reading the token sets that cookie (voila issue 1458).
        _ = self.xsrf_token
        self.gate.prune(self.settings["kernel_manager"].list_kernel_ids())

    def _add_query_argument(self, name: str, value: str) -> None:
        extra = urllib.parse.urlencode({name: value})
        self.request.query = f"{self.request.query}&{extra}" if self.request.query else extra
        self.request.arguments.setdefault(name, []).append(value.encode())
        self.request.query_arguments.setdefault(name, []).append(value.encode())

    def _drop_query_argument(self, name: str) -> None:
        pairs = urllib.parse.parse_qsl(self.request.query, keep_blank_values=True)
        if any(k == name for k, _ in pairs):
            self.request.query = urllib.parse.urlencode([(k, v) for k, v in pairs if k != name])
        self.request.arguments.pop(name, None)
        self.request.query_arguments.pop(name, None)

    def _set_private_cookie(self, name: str, value: str) -> None:
        """A session cookie no script can read and no other site can make the browser send."""
        self.set_cookie(name, value, path=self.settings.get("server_url", "/"), httponly=True, samesite="Strict",
                        secure=self.request.protocol == "https")

    @property
    def kernel_manager(self) -> Any:  # type: ignore[override]
        real = self.settings["kernel_manager"]
        secret = getattr(self, "_client_secret", None)
        if secret is None:
            return real
        return _BindingKernelManager(real, lambda kid: self.gate.bind(kid, secret))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Never a traceback or a default error page that echoes the URL.
        self.write_message_page(status_code, NOT_FOUND_TEXT if status_code == 404 else UNAVAILABLE_TEXT)


class _OwnedKernelMixin:
    gate: Gate

    def require_owner(self: Any, kernel_id: str) -> None:
        if not self.gate.owns(kernel_id, self.get_cookie(CLIENT_COOKIE)):
            raise tornado.web.HTTPError(403)


class BoundKernelWebsocketHandler(_OwnedKernelMixin, VoilaKernelWebsocketHandler):
    """The kernel's websocket, only for the browser that opened its page."""

    async def get(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.require_owner(kernel_id)
        await super().get(kernel_id, *args, **kwargs)


class BoundKernelHandler(_OwnedKernelMixin, KernelHandler):
    """``GET``/``DELETE /api/kernels/<id>``, only for the browser that opened the page."""

    async def get(self, kernel_id: str) -> None:  # type: ignore[override]
        self.require_owner(kernel_id)
        await super().get(kernel_id)

    async def delete(self, kernel_id: str) -> None:  # type: ignore[override]
        self.require_owner(kernel_id)
        await super().delete(kernel_id)
        self.gate.unbind(kernel_id)


class BoundShutdownHandler(_OwnedKernelMixin, VoilaShutdownKernelHandler):
    """Closing a tab shuts its kernel down; nobody else can."""

    async def post(self, kernel_id: str) -> None:  # type: ignore[override]
        self.require_owner(kernel_id)
        await super().post(kernel_id)
        self.gate.unbind(kernel_id)


class LoopbackQueryHandler(RequestInfoSocketHandler):
    """The preheated kernels' request-info websocket, behind a path secret and for loopback only.

    Voila's own route (``/voila/query/<kernel>``) would hand a page's query string, key included,
    to anyone who knows the kernel id; the kernels find this route through ``VOILA_WS_BASE_URL``.
    """

    def open(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        kernel_id = kwargs.get("kernel_id") or args[-1]
        super().open(kernel_id)
        # Voila keeps every request's info (the key among it) in a class-wide cache for ever.
        RequestInfoSocketHandler._cache.pop(kernel_id, None)

    def get(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.request.remote_ip not in ("127.0.0.1", "::1"):
            raise tornado.web.HTTPError(404)
        return super().get(*args, **kwargs)


class SafeTemplateStaticFileHandler(TemplateStaticFileHandler):
    """Template assets; a path that climbs out of the template answers 404 (Voila answered 500)."""

    def parse_url_path(self, url_path: str) -> str:
        parts = url_path.replace("\\", "/").split("/")
        if len(parts) < 3 or parts[1] != "static" or ".." in parts or "" in parts[:2]:
            raise tornado.web.HTTPError(404)
        return str(super().parse_url_path(url_path))


class LightActivityMixin:
    """jupyter_server's kernel activity watch, reading only the two headers it needs.

    ``MappingKernelManager.start_watching_activity`` (jupyter_server 2.21.1) deserialises every
    IOPub message of every kernel (signature, dates parsed from four dicts) and logs it at debug
    level, to update ``last_activity`` (for culling) and the execution state. A form page sends
    a comm message per widget, so under a room this was a quarter of the server's CPU. Same
    decisions, from ``json.loads`` of the header and parent header (and the content of status
    messages only).
    """

    def start_watching_activity(self, kernel_id: str) -> None:
        from jupyter_server._tz import utcnow

        kernel = self._kernels[kernel_id]  # type: ignore[attr-defined]
        kernel.reason = ""
        kernel.last_activity = utcnow()
        kernel._activity_stream = kernel.connect_iopub()
        session = kernel.session
        track = self.track_message_type  # type: ignore[attr-defined]

        def record_activity(msg_list: list[Any]) -> None:
            _idents, parts = session.feed_identities(msg_list)
            try:
                header, parent = json.loads(_frame(parts[1])), json.loads(_frame(parts[2]))
            except (IndexError, ValueError):
                return
            msg_type = header.get("msg_type")
            parent_type = parent.get("msg_type") if isinstance(parent, dict) else None
            if track(msg_type) or track(parent_type) or kernel.execution_state == "busy":
                self.last_kernel_activity = kernel.last_activity = utcnow()
            if msg_type == "status":
                try:
                    state = json.loads(_frame(parts[4])).get("execution_state")
                except (IndexError, ValueError, AttributeError):
                    return
                if track(parent_type):
                    kernel.execution_state = state
                elif kernel.execution_state == "starting" and state != "starting":
                    kernel.execution_state = "idle"

        kernel._activity_stream.on_recv(record_activity)


def _frame(part: Any) -> bytes:
    return part.bytes if hasattr(part, "bytes") else bytes(part)


# --- the warm pool (``workbook serve --expect N``) ------------------------------------------------
#: A tornado setting: every page is answered from the warm pool's notebook (:data:`APP_NOTEBOOK`).
APP_ROUTING = "workbook_app_routing"
#: How often the pool keeper looks at the pool (seconds).
KEEPER_TICK = 0.2
#: After a failed kernel start, the keeper waits this long before starting another (seconds).
FAILED_START_PAUSE = 10.0


def _failed(task: "asyncio.Future[Any]") -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


def _kernel_of(task: "asyncio.Future[Any]") -> str | None:
    return str(task.result()["kernel_id"]) if task.done() and not _failed(task) else None


def _waiting(task: "asyncio.Future[Any]") -> bool:
    """Whether a pool entry is warm: its kernel has run the imports and waits for its request."""
    kid = _kernel_of(task)
    return kid is not None and kid in RequestInfoSocketHandler._waiters


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _mib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.0f} MiB"


def warm_pool_class(base: type) -> type:
    """The kernel manager of a warm server: one pool of kernels for every page, sized for the room.

    ``base`` is the class Voila's ``voila_kernel_manager_factory`` makes for preheated kernels;
    the app (:class:`WorkbookVoila`) gives the size (``expect``) and when to let go
    (``warm_release_after``). Unlike Voila's pools (one per notebook, filled all at once,
    refilled a second after each use, never shrunk):

    - there is one pool, of :data:`APP_NOTEBOOK`, which builds whichever page was asked for;
    - a keeper starts kernels at most one per CPU at a time, and while people are arriving (an
      arrival less than ``warm_refill_quiet`` seconds ago) only one, and only when fewer than a
      tenth of ``expect`` are left: a room's pages get the CPU, the pool refills after the burst;
    - kernels serving pages count toward the room: once it has arrived, the pool keeps a tenth
      of ``expect`` warm (for people moving to another page), so memory stays near one kernel a
      person, not two;
    - a page takes a warm kernel (one waiting for its request) before one still starting;
    - once people have arrived and then nobody has for ``warm_release_after`` seconds (the
      session is over), the warm kernels are shut down; the next arrival starts its own kernel
      and warms the pool again. A pool nobody has used yet stays warm;
    - once the pool is full, one line says how many people it is ready for and the memory it takes.
    """

    class WarmPool(base):  # type: ignore[misc, valid-type]
        def __init__(self, **kwargs: Any) -> None:
            app = kwargs["parent"]
            self._expect = int(app.expect)
            self._release_after = float(app.warm_release_after)
            self._quiet = float(app.warm_refill_quiet)
            self._target = self._expect
            self._floor = max(1, -(-self._expect // 10))  # warm kernels kept while the room is here
            self._last_arrival = float("-inf")
            self._pause_until = 0.0
            self._announced = False
            self._used_up_told = False
            self._keeper: asyncio.Task[None] | None = None
            super().__init__(**kwargs)  # Voila calls fill_if_needed for each notebook it pools

        # -- what Voila's handler calls ------------------------------------------------------
        def _notebook_filter(self, nb_path: Any) -> bool:
            # Voila passes the absolute path: only the root folder's app notebook is pooled
            return os.path.abspath(str(nb_path)) == os.path.join(os.path.abspath(self.root_dir), APP_NOTEBOOK)

        def fill_if_needed(self, delay: float | None = None, notebook_name: str | None = None,
                           extra_kernel_env_variables: dict[str, str] | None = None, **kwargs: Any) -> None:
            """Voila asks to refill after each use; the keeper decides when (see the class docstring)."""
            if notebook_name != APP_NOTEBOOK:
                return
            self._pools.setdefault(APP_NOTEBOOK, [])
            if self._keeper is None or self._keeper.done():
                self._keeper = asyncio.get_event_loop().create_task(self._keep())

        def get_pool_size(self, notebook_name: str) -> int:
            """Called once per page request: an arrival (it pauses refilling, and re-arms a released pool)."""
            if notebook_name != APP_NOTEBOOK:
                return 0
            self._last_arrival = time.monotonic()
            if self._target == 0 and self._expect:
                self._target, self._announced = self._expect, False
                self.log.info("workbook: someone arrived; warming %d kernels again", self._expect)
            pool = self._pools.get(APP_NOTEBOOK, [])
            size = sum(1 for t in pool if not _failed(t))
            if size == 0 and self._target and not self._used_up_told:
                self._used_up_told = True
                self.log.warning("workbook: every warm kernel is in use; the next pages start their own kernel "
                                 "(a few seconds slower) until the pool refills after the arrivals")
            return size

        async def get_rendered_notebook(self, notebook_name: str, extra_kernel_env_variables: Any = None,
                                        **kwargs: Any) -> Any:
            """Voila's, handing out a warm kernel first (then the one closest to warm)."""
            pool = self._pools.setdefault(notebook_name, [])
            pool[:] = [t for t in pool if not _failed(t)]
            warm = next((t for t in pool if _waiting(t)), None)
            if warm is not None:
                pool.remove(warm)
                pool.insert(0, warm)
            elif not pool:  # the only entries had failed: start one for this visitor
                pool.append(asyncio.ensure_future(self._initialize(APP_NOTEBOOK, None, **self._start_kwargs())))
            return await super().get_rendered_notebook(notebook_name, extra_kernel_env_variables or {}, **kwargs)

        async def shutdown_all(self, *args: Any, **kwargs: Any) -> None:
            if self._keeper is not None:
                self._keeper.cancel()
            await super().shutdown_all(*args, **kwargs)

        # -- the keeper ----------------------------------------------------------------------
        def _start_kwargs(self) -> dict[str, Any]:
            env = os.environ.copy()
            env[ENV_VARIABLE.VOILA_BASE_URL] = self.parent.base_url
            env[ENV_VARIABLE.VOILA_SERVER_URL] = self.parent.server_url
            env[ENV_VARIABLE.VOILA_APP_PORT] = str(self.parent.port)
            env[ENV_VARIABLE.VOILA_PREHEAT] = "True"
            return {"path": "", "env": env}

        async def _keep(self) -> None:
            cpus = _cpus()
            while True:
                await asyncio.sleep(KEEPER_TICK)
                try:
                    self._tick(cpus)
                except Exception:  # a bug here must not stop the server; say it and carry on
                    self.log.exception("workbook: the warm pool keeper failed; retrying")
                    await asyncio.sleep(5)

        def _tick(self, cpus: int) -> None:
            now = time.monotonic()
            pool = self._pools.setdefault(APP_NOTEBOOK, [])
            for task in [t for t in pool if _failed(t)]:
                pool.remove(task)
                self._pause_until = now + FAILED_START_PAUSE
                self.log.error("workbook: a warm kernel failed to start: %r", None if task.cancelled()
                               else task.exception())
            arrivals_done = now - self._last_arrival >= self._quiet
            if self._target and self._last_arrival > float("-inf") and now - self._last_arrival >= self._release_after:
                self._target = 0
                self.log.info("workbook: nobody arrived for %.0f min; releasing the warm kernels (the next "
                              "arrival warms them again)", self._release_after / 60)
            warm = [t for t in pool if _waiting(t)]
            # Kernels serving pages count toward the room: a room that has arrived keeps only a
            # tenth of it warm (for people moving to another page), not a second room's worth.
            pooled = {_kernel_of(t) for t in pool}
            in_use = sum(1 for kid in self.list_kernel_ids() if kid not in pooled)
            want = max(min(self._target, self._floor), self._target - in_use)
            if len(pool) > want and warm:  # released, or more than needed
                for task in warm[:len(pool) - want]:
                    pool.remove(task)
                    kid = _kernel_of(task)
                    asyncio.ensure_future(self.shutdown_kernel(kid))
                return
            starting = len(pool) - len(warm)
            # While people arrive, at most one start and only below the floor (a trickle of
            # arrivals must not empty the pool; a burst must not start a second room's kernels).
            room = cpus if arrivals_done else (1 if len(pool) < min(want, self._floor) else 0)
            if len(pool) < want and starting < room and now >= self._pause_until:
                pool.append(asyncio.ensure_future(self._initialize(APP_NOTEBOOK, None, **self._start_kwargs())))
                self._used_up_told = False
            elif self._target and not self._announced and len(warm) >= self._target:
                self._announced = True
                self.log.info("%s", self.capacity_line(warm))

        def capacity_line(self, warm: list["asyncio.Future[Any]"]) -> str:
            """"Ready for N people at once", with the memory the server and its warm kernels take."""
            import psutil

            server = psutil.Process().memory_info().rss
            sizes = []
            for task in warm:
                kid = _kernel_of(task)
                pid = kernel_pid(self.get_kernel(kid)) if kid in self else None
                try:
                    if pid:  # a kernel whose process is unknown does not count as 0 bytes in the average
                        sizes.append(psutil.Process(pid).memory_info().rss)
                except psutil.Error:
                    continue
            per = sum(sizes) / len(sizes) if sizes else 0.0
            total = server + sum(sizes)
            free = psutil.virtual_memory().available
            line = (f"workbook: ready for {len(warm)} people at once: {len(warm)} warm kernels, {_mib(total)} of "
                    f"memory in all (server {_mib(server)}, {_mib(per)} a kernel); {_mib(free)} still available. "
                    "More arrivals start their own kernel.")
            if free < per * 10:
                line += " Memory is short: start with a smaller --expect or close other programs."
            return line

    return WarmPool


#: Voila handlers we replace by our own, and routes a room must never reach (answered 404).
_REPLACE = {
    TornadoVoilaHandler: GatedVoilaHandler,
    VoilaKernelWebsocketHandler: BoundKernelWebsocketHandler,
    KernelHandler: BoundKernelHandler,
    VoilaShutdownKernelHandler: BoundShutdownHandler,
    TemplateStaticFileHandler: SafeTemplateStaticFileHandler,
}
_KEEP_PREFIXES = ("/voila/render/", "/api/kernels/", "/voila/templates/", "/voila/static/", "/voila/api/themes/",
                  "/voila/api/shutdown/", "/voila/labextensions/")


class WorkbookVoila(Voila):
    """Voila serving the workbook pages behind :class:`Gate` (see the module docstring)."""

    name = "workbook-voila"

    expect = Int(0, config=True, help="People expected at once: keep this many kernels warm (0: none; "
                                      "each page then starts its own kernel).")
    warm_release_after = Float(1800.0, config=True, help="Seconds without arrivals after which the warm kernels "
                                                         "are released, once people have arrived (the next "
                                                         "arrival warms them again).")
    warm_refill_quiet = Float(3.0, config=True, help="Seconds after the last arrival before the pool refills.")
    trust_user_header = Unicode("", config=True, help="A header naming the signed-in user, set by an "
                                                      "authenticating proxy (e.g. X-Forwarded-User); honoured only "
                                                      "from trusted_proxies, on requests without a key.")
    trusted_proxies = List(Unicode(), config=True, help="Addresses (or networks) of the authenticating proxy whose "
                                                        "user header is trusted; nobody else's is.")
    cohort = Unicode("", config=True, help="The cohort a proxy-authenticated user is looked up in (needed when "
                                           "people are on several cohorts' rosters).")

    def init_settings(self) -> dict[str, Any]:  # type: ignore[override]
        # traitlets leaves the app's logger at DEBUG and filters in the handler: every debug call of
        # the kernel manager (one per kernel message) built a record to throw away.
        levels = [h.level for h in self.log.handlers if h.level]
        if levels:
            self.log.setLevel(max(self.log.level, min(levels)))
        warm = self.expect > 0
        if warm:
            if not os.path.isfile(os.path.join(self.root_dir, APP_NOTEBOOK)):
                raise SystemExit(f"--expect needs {APP_NOTEBOOK} in the served folder {self.root_dir}")
            self.voila_configuration.preheat_kernel = True
            self.voila_configuration.default_pool_size = 0

        def factory(base: type, preheat: bool, size: int, **kw: Any) -> type:
            made = voila_kernel_manager_factory(base, warm, 0, **kw)
            if warm:
                made = warm_pool_class(made)
            return type("WorkbookKernelManager", (LightActivityMixin, made), {})

        undo = use_kernel_manager_factory(factory)
        try:
            settings = super().init_settings()
        finally:
            undo()
        if warm:
            settings[APP_ROUTING] = True
            self.log.info("workbook: warming %d kernels for the people expected; a line says when they are ready",
                          self.expect)
        settings["log_function"] = log_request
        return settings

    def init_handlers(self) -> list[Any]:  # type: ignore[override]
        pages = [name[:-len(".ipynb")] for name in os.listdir(self.root_dir)
                 if name.endswith(".ipynb") and name != APP_NOTEBOOK]  # the app is reached through a page
        if self.trust_user_header and not self.trusted_proxies:
            raise SystemExit("--trust-user-header needs --trusted-proxy ADDRESS (the authenticating proxy's own "
                             "address): a header anyone can send proves nothing")
        try:
            gate = Gate(pages, user_header=self.trust_user_header if self.trusted_proxies else "",
                        trusted_proxies=self.trusted_proxies, cohort=self.cohort)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        prepare_environment(self.server_url)  # the warm kernels' query route is under the server's prefix
        kept: list[Any] = []
        for spec in super().init_handlers():
            pattern, handler = spec[0], spec[1]
            rest = list(spec[2:])
            local = pattern[len(self.server_url.rstrip("/")):] if pattern.startswith(self.server_url) else pattern
            if not local.startswith("/"):
                local = "/" + local
            if not any(local.startswith(p) for p in _KEEP_PREFIXES):
                continue  # tree, contents, files, login/logout, Voila's own query route
            handler = _REPLACE.get(handler, handler)
            if handler in (GatedVoilaHandler, BoundKernelWebsocketHandler, BoundKernelHandler, BoundShutdownHandler):
                handler = type(handler.__name__, (handler,), {"gate": gate})
            kept.append((pattern, handler, *rest))
        secret = os.environ.get(QUERY_SECRET_ENV, "")
        if self.voila_configuration.preheat_kernel and _SECRET_RE.match(secret):
            kept.append((url_path_join(self.server_url, f"/wbq/{secret}/voila/query/{_KERNEL_ID}"),
                         LoopbackQueryHandler))
        home = url_path_join(self.server_url, "/")
        return [(home, MessageHandler, {"status": 200, "text": HOME_TEXT}), *kept,
                (url_path_join(self.server_url, r"/.*"), MessageHandler, {"status": 404, "text": NOT_FOUND_TEXT})]

    def start(self) -> None:
        # Tornado's loggers write through the app's handler (as Jupyter Server does), so a mistyped
        # link shows as one redacted line in the facilitator's terminal.
        tornado_log = logging.getLogger("tornado")
        tornado_log.parent = self.log
        tornado_log.propagate = True
        tornado_log.setLevel(self.log.level)
        install_log_redaction([self.log])
        super().start()


def prepare_environment(server_url: str = "/") -> None:
    """Per-server secrets the kernels inherit: the preheated kernels' query route (under ``server_url``,
    the server's prefix) and the key that signs proxy-authenticated viewers (:func:`access.sign_viewer`)."""
    if not _SECRET_RE.match(os.environ.get(QUERY_SECRET_ENV, "")):
        os.environ[QUERY_SECRET_ENV] = secrets.token_urlsafe(32)
    if not _SECRET_RE.match(os.environ.get(access.ASSERTION_SECRET_ENV, "")):
        os.environ[access.ASSERTION_SECRET_ENV] = secrets.token_urlsafe(32)
    os.environ["VOILA_WS_BASE_URL"] = url_path_join(server_url, f"/wbq/{os.environ[QUERY_SECRET_ENV]}/")


def main(argv: list[str] | None = None) -> None:
    """Run the server with Voila's command line (``python -m workbook.server FOLDER --port ...``).

    The kernels' secrets are set in :meth:`WorkbookVoila.init_handlers` (:func:`prepare_environment`),
    once the server's prefix is known and before any kernel starts.
    """
    # Tracebacks and full URLs must never reach a log line with a key in it, even before start().
    install_log_redaction()
    WorkbookVoila.launch_instance(argv=argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover - exercised by `workbook serve` in the tests
    main()
