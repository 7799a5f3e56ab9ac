"""Printing the after-care sheet in the room (Ctrl+Shift+P, once the client is discharged): Qt's
print dialog on the clinic's paper, the sheet painted for the printer chosen, and the printing
recorded in the audit trail as an export ("aftercare" to that printer), like every copy of
health information that leaves the app. The same sheet is then kept with the record's exports
(the data folder's ``exports``, owner-only, audited too), so the clinic can show what the client
was given."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QWidget

from kaproom.export.documents_pdf import aftercare_page_layout, paint_aftercare
from kaproom.export.report_data import gather
from kaproom.export.session_export import keep_aftercare_copy
from kaproom.services.paper import date_format, paper_size
from kaproom.services.people import People
from kaproom.services.settings import load_settings
from kaproom.services.workspace import Workspace

#: In the words returned when the sheet was printed but its copy could not be kept.
COPY_NOT_KEPT = "but its copy was not kept with the exports"
#: Opens the dialog and says whether the therapist chose to print (tests answer for the dialog).
Ask = Callable[[QPrinter, QWidget], bool]


def ask_with_dialog(printer: QPrinter, parent: QWidget) -> bool:
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print the after-care sheet")
    # The one dialog the room opens, and only when asked (Ctrl+Shift+P after discharge): the system's
    # print dialog, where the printer and the number of copies are chosen.
    return dialog.exec() == QPrintDialog.DialogCode.Accepted


def print_aftercare(workspace: Workspace, session_uid: str, parent: QWidget,
                    ask: Ask = ask_with_dialog) -> str:
    """Print the sheet; the words for the status line ('' when the therapist cancelled)."""
    settings, _warnings = load_settings(workspace.folder)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(aftercare_page_layout(paper_size(settings)))
    printer.setDocName("After-care sheet")
    if not ask(printer, parent):
        return ""
    report = gather(workspace, session_uid)
    where = printer.outputFileName() or printer.printerName() or "the printer"
    # Recorded before the sheet leaves, as every export is: no record, no copy.
    destination = f"printed in the room on {where} (therapist {report.header.therapist})"
    People.of(workspace).record_export(None, [session_uid], "aftercare", destination)
    paint_aftercare(printer, printer.resolution(), report, dates=date_format(settings), clinic=settings)
    try:
        kept = keep_aftercare_copy(workspace, report)
    except Exception as exc:  # noqa: BLE001 - the sheet is printed; say the copy failed, never hide the print
        return f"After-care sheet sent to {where}, {COPY_NOT_KEPT}: {exc}"
    return f"After-care sheet sent to {where}; a copy is kept in {kept}."
