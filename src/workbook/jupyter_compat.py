"""Every place workbook copies, patches or leans on Jupyter internals, gathered in one module.

Each adapter below says what upstream code it copies or patches, why, and which upstream version
it was written against. :data:`UPSTREAM` lists that code; ``tests/test_adapters.py`` hashes each
piece and fails, naming the adapter to re-check, when an upgrade changes it. ``pyproject.toml``
caps nbconvert, nbclient, papermill and voila below their next minor release for the same reason:
raise a cap only after re-checking the adapters (and the hashes) against the new release.

Written against nbconvert 7.17.2, nbclient 0.11.0, papermill 2.7.0, voila 0.5.13,
jupyter_client 8.10.0, jupyter_server 2.21.1 and jsonschema 4.26.0.

1. :class:`ReportExporter` (nbconvert 7.17.2). Copies ``HTMLExporter.from_notebook_node`` without
   its BeautifulSoup pass, calling the private ``_init_resources`` and ``_nb_metadata`` as the
   original does. Why: that pass re-parses the whole 300 kB page to add alt texts and tab stops;
   it was a third of a report's export time. :data:`REPORT_TEMPLATE` gives charts their alt text
   instead, and empties the blocks of nbconvert's ``lab/index.html.j2`` that load require.js,
   MathJax and Mermaid from a CDN (a report needs none; it must open from a file, offline).
2. :func:`execute_on_kernel` (papermill 2.7.0, nbclient 0.11.0). Copies papermill's
   ``NBClientEngine.execute_managed_notebook`` and hands nbclient's client the warm kernel's own
   client (``client.kc = kc``, taken back afterwards). Why: ``execute_notebook(km=...)`` makes
   nbclient create (and leak) a kernel client per report; with ``kc`` set, nbclient's
   ``async_setup_kernel`` neither starts nor closes one.
3. :func:`release_kernel_resources` (jupyter_client 8.10.0). Calls the kernel manager's resource
   cleanup (``KernelManager._async_cleanup_resources``, public on the async manager as
   ``cleanup_resources``) after a shutdown, also one that failed. Why: a dead kernel's connection
   and IPC files would stay in Jupyter's runtime folder.
4. :func:`import_papermill` (jsonschema 4.26.0). Plants ``None`` in
   ``sys.modules["rfc3987_syntax"]`` before papermill loads nbformat. Why: jsonschema's format
   checkers import that optional IRI checker under ``suppress(ImportError)`` (~2 s); no notebook
   schema uses IRI formats, so marking it absent skips the cost.
5. :func:`voila_offline_template` (voila 0.5.13). Voila's ``lab/index.html.j2`` links two Font
   Awesome stylesheets from a CDN in its ``notebook_css`` block; our ``workbook`` template
   removes them by matching :data:`VOILA_CDN_LINKS` byte for byte (and empties MathJax). Why: a
   render-blocking stylesheet from a CDN stalls every page offline or behind a firewall that
   drops packets; the forms use no icons. It also moves the ``voila.js`` script tag from the end of the
   ``body_footer`` block into the head, deferred. Why: the browser then loads and compiles the
   front end while the kernel builds the page, instead of after the whole page has arrived.
6. :mod:`workbook.server` is the Voila adapter (voila 0.5.13, jupyter_server 2.21.1), left in its
   own module: it subclasses ``voila.app.Voila`` (``init_settings``, ``init_handlers``) and the
   handlers ``TornadoVoilaHandler``, ``VoilaKernelWebsocketHandler``, ``KernelHandler``,
   ``VoilaShutdownKernelHandler``, ``TemplateStaticFileHandler`` and ``RequestInfoSocketHandler``;
   it relies on ``VoilaHandler.get_generator`` calling ``self.kernel_manager.start_kernel`` /
   ``get_rendered_notebook`` (whose third result is the kernel id), and on
   :func:`wait_for_voila_request` building its URL from ``VOILA_WS_BASE_URL``. Why: see its
   docstring (a gate in front of every route, kernels bound to the browser that opened them).
7. :func:`wait_for_voila_request` (voila 0.5.13) copies ``voila.utils.wait_for_request``: a warm
   (preheated) kernel connects to the server's request-info websocket and puts the request's
   variables (``QUERY_STRING``, ``SCRIPT_NAME``...) into its environment. Why a copy: importing
   ``voila.utils`` loads jupyterlab_server and jupyter_server into every form kernel (seconds of
   imports and ~20 MiB a kernel, for one websocket read); this uses the ``websockets`` client only.
8. :func:`workbook.server.warm_pool_class` (voila 0.5.13) subclasses the class ``voila_kernel_manager_factory``
   makes for preheated kernels (its ``_pools`` of tasks, ``_initialize``, ``fill_if_needed``,
   ``get_rendered_notebook``, ``get_pool_size``, ``_notebook_filter``), and
   :func:`use_kernel_manager_factory` swaps the factory ``Voila.init_settings`` calls. Why: Voila
   fills a pool all at once, refills it a second after each page takes a kernel (starting kernels
   while a room arrives: the starts compete with the pages being served), never shrinks it, and
   keeps one pool per notebook; see :mod:`workbook.server` for the pool a room needs.
9. :class:`workbook.server.LightActivityMixin` (jupyter_server 2.21.1) replaces
   ``MappingKernelManager.start_watching_activity`` with a copy that reads only the header, parent
   header (and a status message's content) with ``json.loads``. Why: the original deserialises
   every IOPub message of every kernel, dates and all, to update ``last_activity``; a form page
   sends a message per widget, and under a room this was a quarter of the server's CPU.

Importing this module is cheap: nbconvert, papermill and nbclient load on first use.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# --- 1. nbconvert: the report exporter --------------------------------------------------------

#: The report pages' template: nbconvert's ``lab`` page without its CDN scripts, charts with alt text.
REPORT_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ output.data.get('text/plain', 'chart') | escape_html }}">
</div>
{% endblock data_png %}
"""
#: The name :data:`REPORT_TEMPLATE` is registered under.
REPORT_TEMPLATE_FILE = "workbook.html.j2"


@functools.cache
def _report_exporter_class() -> type:
    """Define :class:`ReportExporter` on first use (nbconvert takes ~1 s to import)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """HTMLExporter without its BeautifulSoup pass (alt texts come from :data:`REPORT_TEMPLATE`)."""

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            """As ``HTMLExporter.from_notebook_node`` (nbconvert 7.17.2), minus the BeautifulSoup pass."""
            lang = nb.metadata.get("language_info", {})
            lexer = lang.get("pygments_lexer", lang.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    ReportExporter.__qualname__ = "ReportExporter"
    ReportExporter.__module__ = __name__
    return ReportExporter


def report_exporter() -> Any:
    """A new :class:`ReportExporter` for report pages: no code, no prompts, images embedded, our template.

    Building one compiles the templates (~0.3 s): callers keep one per thread.
    """
    import jinja2

    return _report_exporter_class()(template_name="lab",
                                    extra_loaders=[jinja2.DictLoader({REPORT_TEMPLATE_FILE: REPORT_TEMPLATE})],
                                    template_file=REPORT_TEMPLATE_FILE, exclude_input=True,
                                    exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True)


# --- 2. papermill + nbclient: executing on a warm kernel --------------------------------------

def execute_on_kernel(nb_man: Any, km: Any, kc: Any, kernel_name: str, log_output: bool = False,
                      stdout_file: Any = None, stderr_file: Any = None, start_timeout: float = 60,
                      execution_timeout: float | None = None, log: Any = None, **kwargs: Any) -> Any:
    """Execute ``nb_man.nb`` on the running kernel ``km`` through its client ``kc``; neither is closed.

    The body of papermill 2.7.0's ``NBClientEngine.execute_managed_notebook``, plus the client
    handoff; ``log`` replaces papermill's logger.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import logger
    from papermill.utils import merge_kwargs, remove_args

    kwargs = remove_args(["input_path"], **kwargs)
    safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
    final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                                startup_timeout=start_timeout, kernel_name=kernel_name, log=log or logger,
                                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
    client = PapermillNotebookClient(nb_man, km=km, **final_kwargs)
    # Handing over the client too is the point: nbclient then neither creates nor closes one.
    client.kc = kc
    try:
        return client.execute()
    finally:
        client.kc = None
        client.km = None


# --- 3. jupyter_client: a stopped kernel's files ----------------------------------------------

def release_kernel_resources(km: Any) -> None:
    """Remove a stopped kernel's connection and IPC files and close its sockets (safe to call twice)."""
    from jupyter_core.utils import run_sync

    run_sync(km.cleanup_resources)()


# --- 4. jsonschema: the IRI checker nobody needs ----------------------------------------------

def import_papermill() -> Any:
    """papermill, imported without jsonschema's optional ``rfc3987_syntax`` IRI checker (~2 s)."""
    # No notebook schema uses IRI formats: mark the module absent unless something already
    # loaded it, and jsonschema's `with suppress(ImportError)` skips that checker.
    if "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    import papermill

    return papermill


# --- 5. voila: the forms' template without CDN stylesheets ------------------------------------

#: Font Awesome links in Voila's lab template (``notebook_css`` block), exactly as Voila writes them.
VOILA_CDN_LINKS = (
    '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@^5/css/all.min.css" '
    'type="text/css" />',
    '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@^5/css/v4-shims.min.css" '
    'type="text/css" />',
)


def wait_for_voila_request(timeout: float = 10.0) -> bool:
    """In a warm Voila kernel: wait for this kernel's request and put its variables in the environment.

    Returns whether the request arrived (False outside a preheated kernel, or when the server
    could not be reached within ``timeout``: the page then shows its "link not complete" message).
    """
    if os.environ.get("VOILA_PREHEAT", "False") in ("", "False"):
        return False
    from websockets.sync.client import connect

    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    url = f"{protocol}://{host}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"
    try:
        with connect(url, open_timeout=timeout, max_size=2**20) as ws:
            info = ws.recv()
    except Exception:  # refused, closed, timed out, handshake failed: no request info
        return False
    for name, value in json.loads(info).items():
        if isinstance(value, str):
            os.environ[name] = value
    return True


def use_kernel_manager_factory(factory: Callable[..., type]) -> Callable[[], None]:
    """Make ``Voila.init_settings`` build its kernel manager class with ``factory``; returns the undo."""
    import voila.app

    original = voila.app.voila_kernel_manager_factory
    voila.app.voila_kernel_manager_factory = factory

    def undo() -> None:
        voila.app.voila_kernel_manager_factory = original
    return undo


def kernel_pid(kernel_manager: Any) -> int | None:
    """The process id of a running kernel (jupyter_client's local provisioner), or None."""
    provisioner = getattr(kernel_manager, "provisioner", None)
    process = getattr(provisioner, "process", None)
    pid = getattr(process, "pid", None) or getattr(provisioner, "pid", None)
    return int(pid) if pid else None


def voila_offline_template() -> str:
    """An ``index.html.j2`` extending Voila's ``lab`` template minus its CDN stylesheets and MathJax."""
    import json

    drop = "".join(f"|replace({json.dumps(link)}, '')" for link in VOILA_CDN_LINKS)
    return ("{%- extends 'lab/index.html.j2' -%}\n"
            "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
            "{%- block notebook_css -%}\n"
            "{%- set css = super() -%}\n"
            f"{{{{ css{drop} }}}}\n"
            "{%- endblock notebook_css -%}\n"
            # voila.js from the head, deferred: the browser loads and compiles it while the kernel
            # builds the page (it still runs once the page is parsed, as at the end of the body).
            "{%- set voila_js = '<script src=\"' ~ (page_config['fullStaticUrl'] | e) ~ '/' ~ main_js ~ '\"></script>' -%}\n"
            "{%- block html_head_js -%}\n"
            "{{ super() }}\n"
            "{{ voila_js | replace('<script ', '<script defer ') }}\n"
            "{%- endblock html_head_js -%}\n"
            "{%- block body_footer -%}\n"
            "{%- set footer = super() -%}\n"
            "{{ footer | replace(voila_js, '') }}\n"
            "{%- endblock body_footer -%}\n")


# --- what the adapters depend on, for tests/test_adapters.py ----------------------------------

@dataclass(frozen=True)
class Upstream:
    """A piece of upstream code an adapter copies, patches or relies on."""

    name: str          # "nbconvert's HTMLExporter.from_notebook_node"
    adapter: str       # "workbook.jupyter_compat.ReportExporter"
    source: Callable[[], str]

    def digest(self) -> str:
        """SHA-256 of the upstream source as installed now."""
        return hashlib.sha256(self.source().encode("utf-8")).hexdigest()


def _code(module: str, qualname: str) -> Callable[[], str]:
    def source() -> str:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return inspect.getsource(obj)
    return source


def _template_block(app: str, template: str, block: str) -> Callable[[], str]:
    """The text of ``{% block <block> %}...{% endblock %}`` in the installed template (empty when gone)."""
    def source() -> str:
        from jupyter_core.paths import jupyter_path

        path = next((Path(p) for p in jupyter_path(app, "templates", *template.split("/")) if Path(p).is_file()), None)
        if path is None:
            return ""
        text = path.read_text(encoding="utf-8")
        found = re.search(r"\{%-?\s*block\s+" + block + r"\b.*?\{%-?\s*endblock\s+" + block + r"\s*-?%\}", text, re.S)
        return found.group(0) if found else ""
    return source


def _guarded_import(module: str, needle: str) -> Callable[[], str]:
    """The ``with suppress(...)`` block of ``module`` that imports ``needle`` (empty when the import is gone)."""
    def source() -> str:
        lines = inspect.getsource(importlib.import_module(module)).splitlines()
        at = next((i for i, line in enumerate(lines) if "import" in line and needle in line), None)
        if at is None:
            return ""
        start = next((i for i in range(at, -1, -1) if lines[i].lstrip().startswith("with suppress(")), at)
        indent = len(lines[start]) - len(lines[start].lstrip())
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        return "\n".join(lines[start:end]).rstrip() + "\n"
    return source


_EXPORTER = "workbook.jupyter_compat.ReportExporter"
_TEMPLATE = "workbook.jupyter_compat.REPORT_TEMPLATE"
_EXECUTE = "workbook.jupyter_compat.execute_on_kernel"
_VOILA_TEMPLATE = "workbook.jupyter_compat.voila_offline_template"
_SERVER = "workbook.server"

#: Everything the adapters copy, patch or rely on.
UPSTREAM: tuple[Upstream, ...] = (
    Upstream("nbconvert's HTMLExporter.from_notebook_node", _EXPORTER,
             _code("nbconvert.exporters.html", "HTMLExporter.from_notebook_node")),
    Upstream("nbconvert's HTMLExporter._init_resources", _EXPORTER,
             _code("nbconvert.exporters.html", "HTMLExporter._init_resources")),
    Upstream("nbconvert's Exporter.from_notebook_node (fills _nb_metadata)", _EXPORTER,
             _code("nbconvert.exporters.exporter", "Exporter.from_notebook_node")),
    *(Upstream(f"nbconvert's lab template block {b}", _TEMPLATE, _template_block("nbconvert", f"lab/{f}", b))
      for f, b in (("index.html.j2", "html_head_js_requirejs"), ("index.html.j2", "html_head_js_mathjax"),
                   ("index.html.j2", "html_head_js_mermaidjs"), ("base.html.j2", "data_png"))),
    Upstream("papermill's NBClientEngine.execute_managed_notebook", _EXECUTE,
             _code("papermill.engines", "NBClientEngine.execute_managed_notebook")),
    Upstream("papermill's PapermillNotebookClient.execute", _EXECUTE,
             _code("papermill.clientwrap", "PapermillNotebookClient.execute")),
    Upstream("nbclient's NotebookClient.async_setup_kernel", _EXECUTE,
             _code("nbclient.client", "NotebookClient.async_setup_kernel")),
    Upstream("jupyter_client's KernelManager._async_cleanup_resources", "workbook.jupyter_compat.release_kernel_resources",
             _code("jupyter_client.manager", "KernelManager._async_cleanup_resources")),
    Upstream("jsonschema's optional rfc3987_syntax import", "workbook.jupyter_compat.import_papermill",
             _guarded_import("jsonschema._format", "rfc3987_syntax")),
    Upstream("voila's lab template block notebook_css", _VOILA_TEMPLATE,
             _template_block("voila", "lab/index.html.j2", "notebook_css")),
    Upstream("voila's lab template block html_head_js_mathjax", _VOILA_TEMPLATE,
             _template_block("voila", "lab/index.html.j2", "html_head_js_mathjax")),
    Upstream("voila's lab template block body_footer (loads voila.js)", _VOILA_TEMPLATE,
             _template_block("voila", "lab/index.html.j2", "body_footer")),
    Upstream("voila's Voila.init_settings", _SERVER, _code("voila.app", "Voila.init_settings")),
    Upstream("voila's Voila.init_handlers", _SERVER, _code("voila.app", "Voila.init_handlers")),
    Upstream("voila's VoilaHandler.get_generator", _SERVER, _code("voila.handler", "VoilaHandler.get_generator")),
    Upstream("voila's TornadoVoilaHandler.get", _SERVER, _code("voila.tornado.handler", "TornadoVoilaHandler.get")),
    Upstream("voila's VoilaKernelWebsocketHandler", _SERVER,
             _code("voila.tornado.kernel_websocket_handler", "VoilaKernelWebsocketHandler")),
    Upstream("jupyter_server's KernelHandler", _SERVER, _code("jupyter_server.services.kernels.handlers", "KernelHandler")),
    Upstream("voila's VoilaShutdownKernelHandler", _SERVER,
             _code("voila.shutdown_kernel_handler", "VoilaShutdownKernelHandler")),
    Upstream("voila's TemplateStaticFileHandler", _SERVER, _code("voila.static_file_handler", "TemplateStaticFileHandler")),
    Upstream("voila's RequestInfoSocketHandler", _SERVER, _code("voila.request_info_handler", "RequestInfoSocketHandler")),
    Upstream("voila's wait_for_request", "workbook.jupyter_compat.wait_for_voila_request",
             _code("voila.utils", "wait_for_request")),
    Upstream("voila's voila_kernel_manager_factory (the preheated kernel pool)", _SERVER,
             _code("voila.voila_kernel_manager", "voila_kernel_manager_factory")),
    Upstream("jupyter_server's MappingKernelManager.start_watching_activity", _SERVER,
             _code("jupyter_server.services.kernels.kernelmanager", "MappingKernelManager.start_watching_activity")),
)


def __getattr__(name: str) -> Any:
    if name == "ReportExporter":
        return _report_exporter_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
