"""Executed report notebooks to standalone HTML pages (no code, images embedded, works offline).

nbconvert's ``lab`` template loads require.js, MathJax and Mermaid from a CDN; report pages
need none of them (no widgets, maths or diagrams), so a small template extending ``lab`` drops them (a page opens
from a file without a network) and gives each chart its alternative text.
"""
from __future__ import annotations

import re
import threading
from typing import Any

from .blocks import SUMMARY_KEY

_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ output.data.get('text/plain', 'chart') | escape_html }}">
</div>
{% endblock data_png %}
"""

_local = threading.local()


def _exporter() -> Any:
    """One HTMLExporter per thread (building one compiles the templates: ~0.3 s)."""
    exp = getattr(_local, "exporter", None)
    if exp is None:
        import jinja2
        from nbconvert import HTMLExporter
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        class ReportExporter(HTMLExporter):
            """HTMLExporter without its BeautifulSoup pass (alt texts come from our template).

            That pass re-parses the whole 300 kB page to add alt texts and tab stops; it was a
            third of the export time.
            """

            def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
                """As HTMLExporter's, minus the BeautifulSoup pass."""
                lang = nb.metadata.get("language_info", {})
                lexer = lang.get("pygments_lexer", lang.get("name", None))
                self.register_filter("highlight_code", self.filters.get(
                    "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
                resources = self._init_resources(resources)
                self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources))
                return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

        exp = ReportExporter(template_name="lab", extra_loaders=[jinja2.DictLoader({"workbook.html.j2": _TEMPLATE})],
                           template_file="workbook.html.j2", exclude_input=True, exclude_input_prompt=True,
                           exclude_output_prompt=True, embed_images=True)
        _local.exporter = exp
    return exp


def notebook_html(nb: Any, title: str) -> str:
    """A standalone page of an executed notebook: outputs and Markdown only, no code cells."""
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return str(body)


def notebook_summary(nb: Any) -> str | None:
    """The one-line summary a report recorded in its output metadata (see :class:`~.blocks.Block`)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get(SUMMARY_KEY)
            if meta and meta.get("summary"):
                return str(meta["summary"])
    return None


_VOLATILE = [
    re.compile(r"cell-id=[0-9A-Za-z_-]+"),  # papermill's injected-parameters cell gets a random id
    re.compile(r'"(start_time|end_time|duration|execution_count|exception)":\s*[^,}\n]+'),
    re.compile(r"\s+$", re.MULTILINE),
]


def page_content(page: str) -> str:
    """A page with volatile bits (timestamps, durations, execution counts) removed, for comparing pages."""
    for rx in _VOLATILE:
        page = rx.sub("", page)
    return page
