"""Reports for people: :func:`imrassist.report.html.render_analysis_html` writes one self-contained HTML
page per analysed letter (the letter with every extracted value highlighted, the findings beside it, the
explanation and the reviewer summary in tabs)."""

from __future__ import annotations

__all__ = ["render_analysis_html"]


def render_analysis_html(analysis, letter):  # type: ignore[no-untyped-def]
    from .html import render_analysis_html as _render

    return _render(analysis, letter)
