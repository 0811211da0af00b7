"""PDF documents for the sample site and the tests, written with reportlab (a dev dependency).

``text_pdf`` lays out a title and paragraphs on as many pages as they need, with a running header
and a page-number footer on every page when asked: the furniture the extraction must remove.
``python -m devsite.pdfs examples/site`` writes the sample site's document again
(``documents/gov-2021-41.pdf``); reportlab's invariant mode makes the bytes the same on every run.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any


def text_pdf(
    title: str,
    paragraphs: list[str],
    *,
    meta_title: str | None = None,
    header: str | None = None,
    page_numbers: bool = True,
    dated: str | None = None,
    page_break_every: int | None = None,
    created: str | None = None,
) -> bytes:
    """A text PDF: `title` as the first line, `dated` under it, then the paragraphs (a new page after
    every `page_break_every` paragraphs); `meta_title` goes in the document information (/Title),
    `created` (YYYYMMDDHHMMSS, UTC) in /CreationDate and /ModDate, else none is written."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    out = io.BytesIO()

    def furniture(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        if header:
            canvas.drawString(72, A4[1] - 40, header)
        if page_numbers:
            canvas.drawString(A4[0] / 2, 30, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(out, pagesize=A4, title=meta_title or "", author="", invariant=1)
    story: list[Any] = [Paragraph(title, styles["Title"])]
    if dated:
        story.append(Paragraph(dated, styles["Normal"]))
    for n, text in enumerate(paragraphs, 1):
        story += [Paragraph(text, styles["BodyText"]), Spacer(1, 8)]
        if page_break_every and n % page_break_every == 0 and n < len(paragraphs):
            story.append(PageBreak())
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    # Invariant mode writes 2000-01-01 as both dates: a date of the same length takes its place
    # (the cross-reference offsets stay right), or the entries go (a document without dates).
    data = out.getvalue()
    fixed = b"(D:20000101000000+00'00')"
    if created:
        return data.replace(fixed, b"(D:%s+00'00')" % created.encode())
    return data.replace(b"/CreationDate " + fixed, b" " * len(b"/CreationDate " + fixed)).replace(
        b"/ModDate " + fixed, b" " * len(b"/ModDate " + fixed)
    )


def encrypted(data: bytes, user_password: str = "secret", algorithm: str = "AES-128") -> bytes:
    """`data` encrypted with pypdf; an empty user password opens it for anybody (permissions only)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_only_pdf() -> bytes:
    """A page with a drawing and no text, as a scanned page looks to a text extractor."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    for y in range(100, 700, 12):
        canvas.line(72, y, 500, y + 5)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


SAMPLE_TITLE = "Verification and monitoring under the Northvale safeguards agreement"
SAMPLE_HEADER = "GOV/2021/41 - Report by the Director General - Board of Governors"
SAMPLE_PARAGRAPHS = [
    "1. This report of the Director General to the Board of Governors covers the agency's verification "
    "and monitoring of the Northvale nuclear programme under the comprehensive safeguards agreement "
    "and the additional protocol, from the previous report to 24 September 2021.",
    "2. Since the previous report, agency inspectors have verified that Northvale continued to enrich "
    "uranium up to 20 per cent U-235 at the Fordale fuel enrichment plant, using six cascades of "
    "advanced centrifuges, and that its stockpile of enriched uranium has grown to 2,441 kilograms.",
    "3. The agency's access to the surveillance cameras and online enrichment monitors installed under "
    "the inspection arrangements has been interrupted since February; the data recorded since then "
    "remain under seal and cannot be verified until access is restored.",
    "4. The Director General met the head of the Northvale atomic energy organisation on 12 September "
    "2021. They agreed that agency inspectors would service the identified equipment and replace its "
    "storage media, which will be kept under joint agency and Northvale seals.",
    "5. The agency has not been able to verify the inventory of centrifuge rotor tubes and bellows "
    "produced since February, nor the location of the heavy water stock declared in June, which "
    "affects the continuity of knowledge needed for the verification of any future arms control "
    "arrangement and non-proliferation commitments under the NPT.",
    "6. Safeguards implementation at the research reactor and at the uranium conversion facility "
    "continued without interruption, and the agency conducted 14 design information verifications "
    "and 9 complementary accesses during the period.",
    "7. The Director General will continue to report to the Board of Governors as appropriate.",
]


def sample_document() -> bytes:
    """The sample site's document: two pages, a running header and page numbers, a date on page 1."""
    return text_pdf(
        SAMPLE_TITLE,
        SAMPLE_PARAGRAPHS,
        meta_title=f"GOV/2021/41: {SAMPLE_TITLE}",
        header=SAMPLE_HEADER,
        dated="Date: 24 September 2021",
        page_break_every=4,
        created="20210924093000",
    )


def main(argv: list[str]) -> int:
    site = Path(argv[0] if argv else "examples/site")
    target = site / "documents" / "gov-2021-41.pdf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(sample_document())
    print(f"{target}: {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
