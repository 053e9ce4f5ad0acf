"""Reports and figures: the self-contained HTML study report, its JSON and PNG figures.

matplotlib is imported inside the functions that draw (Agg canvas, no pyplot state), so
importing this package stays cheap.
"""

from __future__ import annotations

from pseudoprog.report.study import (
    REPORT_FILE,
    STUDY_JSON,
    StudyFiles,
    render_study,
    study_json,
    write_study,
)

__all__ = ["REPORT_FILE", "STUDY_JSON", "StudyFiles", "render_study", "study_json", "write_study"]
