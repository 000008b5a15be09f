"""Escaping and the one stylesheet every page and report shares.

Everything a person typed reaches HTML only through :func:`esc` or :func:`text_html`: shown as
text, never as markup. :data:`STYLE` holds the classes of the form pages (``.wb-page``) and of
the reports (``.wb-report``), live or batch, so both look like one kit.
"""
from __future__ import annotations

import html as _html
from typing import Any

STYLE = """<style>
.wb-page { max-width: 760px; margin: 0 auto; font-size: 15px; }
.wb-title { font-size: 1.5em; font-weight: 600; margin: 0.2em 0 0.3em 0; }
.wb-intro { color: #444; margin-bottom: 0.8em; line-height: 1.4; }
.wb-prompt-text { font-weight: 600; margin-top: 0.9em; line-height: 1.35; }
.wb-required { color: #b00020; font-weight: 600; }
.wb-help { color: #666; font-size: 0.9em; line-height: 1.35; margin-bottom: 0.2em; }
.wb-error { color: #b00020; font-weight: 600; }
.wb-ok { color: #1b5e20; font-weight: 600; }
.wb-counter { color: #666; font-size: 0.85em; }
.wb-counter-over { color: #b00020; font-weight: 600; font-size: 0.85em; }
.wb-message { border-left: 4px solid #1565c0; background: #f3f7fc; padding: 0.8em 1em; line-height: 1.45; }
.wb-journal .wb-entry { border: 1px solid #ddd; border-radius: 6px; padding: 0.6em 1em; margin: 0.6em 0; }
.wb-entry-meta { color: #666; font-size: 0.9em; }
.wb-answer { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.2em 0 0.6em 0; }
.wb-journal .wb-comment { border-left: 3px solid #7cb342; padding-left: 0.7em; margin: 0.4em 0; white-space: pre-wrap; }
.wb-column-title { font-weight: 600; font-size: 1.1em; margin-top: 1em; }
.wb-report{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45;max-width:52rem}
.wb-report h1{font-size:1.7rem;margin:.2rem 0}
.wb-muted{color:#555}
.wb-report table.wb-table{border-collapse:collapse;margin:.4rem 0 1rem 0;font-size:.92rem}
.wb-report table.wb-table th,.wb-report table.wb-table td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}
.wb-report table.wb-table th{background:#f3f4f6;white-space:nowrap}
.wb-report table.wb-table td.wb-nw{white-space:nowrap}
.wb-report table.wb-table tr.wb-alert td{background:#fde8e8}
.wb-suppressed{color:#777;font-style:italic}
.wb-report .wb-entry{border-left:3px solid #c7d2fe;padding:.3rem .8rem;margin:.8rem 0}
.wb-report .wb-entry h4{margin:.1rem 0 .3rem 0;font-size:1rem}
.wb-report .wb-entry .wb-q{font-weight:600;margin-top:.35rem}
.wb-report .wb-entry .wb-a{margin:0 0 0 .8rem;white-space:pre-wrap}
.wb-report .wb-badge{display:inline-block;border-radius:.6rem;padding:0 .5rem;font-size:.78rem;background:#eef2ff;color:#3730a3}
.wb-report .wb-comment{background:#f0fdf4;border-radius:.3rem;padding:.3rem .6rem;margin:.4rem 0}
.wb-report .wb-bar{display:inline-block;height:.7rem;background:#6366f1;border-radius:.2rem;vertical-align:middle}
.wb-report .wb-bartrack{display:inline-block;width:8rem;height:.7rem;background:#e5e7eb;border-radius:.2rem;margin-right:.4rem}
.wb-report .wb-stats{display:flex;flex-wrap:wrap;gap:.6rem;margin:.5rem 0}
.wb-report .wb-stat{border:1px solid #e5e7eb;border-radius:.4rem;padding:.4rem .8rem;min-width:7rem}
.wb-report .wb-stat b{display:block;font-size:1.3rem}
</style>"""


def esc(value: Any) -> str:
    """HTML-escape anything, quotes included (None becomes an empty string)."""
    return "" if value is None else _html.escape(str(value), quote=True)


def text_html(text: object, css_class: str = "", tag: str = "div") -> str:
    """``text`` as an HTML element whose content is escaped: always shown as text, never markup."""
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f"<{tag}{cls}>{esc(text)}</{tag}>"
