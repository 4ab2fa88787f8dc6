"""The complaint dossier (投诉材料): one PDF in Chinese a buyer can hand to 12315, a payment
provider or a court — the parties, the order, the refund rules frozen onto it (every clause,
as the order page shows them), what happened (order and case records), the evidence log's
entries with their hashes, the decision and its reasons, and how to verify all of it with the
evidence bundle. fpdf2 with Noto Sans SC (``KADUN_DOSSIER_FONT``, by default the font of the
pinned ``pylopdf-fonts-zh-cn`` package); left-aligned, wrapped, numbered pages.

Who may download it: ``selectors_downloads.dossier_access``. Content: ``dossier_data``."""
from __future__ import annotations

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from kadun.evidence.dossier_data import Dossier, dossier_of

FONT = "noto"
MARGIN = 18


def font_path() -> str:
    if settings.KADUN_DOSSIER_FONT:
        return settings.KADUN_DOSSIER_FONT
    import pylopdf_fonts_zh_cn

    return str(pylopdf_fonts_zh_cn.sans_path())


class _Pdf(FPDF):
    order_no = ""

    def header(self):
        if self.page_no() > 1:
            self.set_font(FONT, size=8)
            self.set_text_color(110)
            self.cell(0, 6, f"投诉材料 · 订单 {self.order_no}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)
            self.ln(2)

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 8, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")
        self.set_text_color(0)


class _Writer:
    def __init__(self, pdf: _Pdf):
        self.pdf = pdf

    def text(self, value: str, *, size: float = 10, gap: float = 1.2, color: int = 0) -> None:
        """A paragraph, wrapped at any character (Chinese has no spaces to break at)."""
        pdf = self.pdf
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(color)
        pdf.multi_cell(0, size * 0.5, value, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.ln(gap)

    def heading(self, value: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 45:
            pdf.add_page()
        pdf.ln(3)
        self.text(value, size=13, gap=0.5)
        pdf.set_draw_color(160)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(2.5)

    def pairs(self, rows: list[tuple[str, str]], *, label_width: float = 38) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, size=10)
        width = pdf.w - 2 * MARGIN - label_width
        for label, value in rows:
            if pdf.get_y() > pdf.h - 30:
                pdf.add_page()
            y = pdf.get_y()
            pdf.set_text_color(90)
            pdf.multi_cell(label_width, 5, label, align="L", wrapmode=WrapMode.WORD, new_x=XPos.RIGHT, new_y=YPos.TOP)
            pdf.set_text_color(0)
            pdf.set_xy(MARGIN + label_width, y)
            pdf.multi_cell(width, 5, str(value), align="L", wrapmode=WrapMode.WORD, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(0.8)

    def table(self, head: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...], *, size: float = 7.5) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, size=size)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.2, wrapmode=WrapMode.CHAR, first_row_as_headings=True,
                       headings_style=_headings(), borders_layout="HORIZONTAL_LINES") as table:
            table.row(head)
            for row in rows:
                table.row(row)
        pdf.ln(2)


def _headings():
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="", color=60, fill_color=235)


def _cover(w: _Writer, d: Dossier) -> None:
    w.text("投诉材料", size=20, gap=1)
    w.text(f"订单 {d.order_no}", size=12, gap=1)
    w.text(f"生成时间 {d.generated_at} · 由平台依据订单记录与存证日志生成 · 文中时间均为北京时间（UTC+8）", size=9, color=90, gap=1)
    if d.grounds:
        w.text("可下载依据：" + "；".join(d.grounds), size=9, color=90)


def render(d: Dossier) -> bytes:
    pdf = _Pdf(format="A4")
    pdf.order_no = d.order_no
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font(FONT, "", font_path())
    # fontTools recomputes the subset's bounding boxes from every outline on save (twice for a CFF
    # font): most of a dossier's time, for a box PDF viewers never read from the embedded font.
    pdf.fonts[FONT].ttfont.recalcBBoxes = False
    pdf.set_title(f"投诉材料 {d.order_no}")
    pdf.set_creator("kadun")
    pdf.add_page()
    w = _Writer(pdf)
    _cover(w, d)
    w.heading("一、当事人")
    w.text("平台（网络交易平台经营者）", size=10.5, gap=0.8)
    w.pairs(d.platform)
    w.text("商家（平台内经营者）", size=10.5, gap=0.8)
    w.pairs(d.merchant)
    w.text("买家（消费者）", size=10.5, gap=0.8)
    w.pairs(d.buyer)
    w.heading("二、订单事实")
    w.pairs(d.facts)
    w.heading("三、" + d.rules_title)
    for clause in d.clauses:
        w.text(clause, gap=1.5)
    if d.rules_check:
        w.text(d.rules_check, size=8.5, color=90)
    for line in d.confirmations:
        w.text(line, size=9)
    w.heading("四、经过（订单与售后记录）")
    w.table(("时间", "记录"), d.timeline or [("—", "（无记录）")], (32, 142), size=8.5)
    w.heading("五、存证清单")
    w.text("每条存证写入只可追加的存证日志（默克尔树）；序号为其在日志中的位置（叶子序号），哈希为正文的 SHA-256。", size=9, color=90)
    w.table(("序号", "类型", "时间", "内容哈希（SHA-256）"), d.evidence or [("—", "（无存证）", "", "")], (18, 22, 28, 106))
    for note in d.notes:
        w.text(note, size=9)
    w.heading("六、裁决及理由")
    if not d.decisions:
        w.text("本订单暂无平台裁决。")
    for rows in d.decisions:
        w.pairs(rows, label_width=26)
        pdf.ln(2)
    w.heading("七、如何核验")
    w.text("以上存证可由任何人离线核验，无需信任平台服务器：下载本订单的存证包，用下列命令校验；"
           "校验程序核对每条存证的正文哈希、在签名树头中的包含证明、树头与清单的 Ed25519 签名，以及附件的哈希。"
           "请将包内 keys.json 与网站公布的公钥比对。", size=9.5)
    w.pairs(d.verify)
    return bytes(pdf.output())


def dossier_pdf(*, order, role: str, grounds: set[str]) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the order's dossier."""
    return f"kadun-dossier-{order.order_no}.pdf", render(dossier_of(order, role=role, grounds=grounds))
