"""The grader's words to a student, in the workbook's language: which cells, what is wrong, and
a hint in words (the exercise guide's own description of the cell), never the answer formula."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from xlsxwriter.utility import xl_rowcol_to_cell

from ..sheets.guide import EN as GUIDE_EN, KO as GUIDE_KO

TEXTS = {
    "ko": {
        "head": "{id} {name} — {file}: {score}/{max}점",
        "status": "상태: {status}",
        "all_ok": "모든 칸이 맞았습니다. 잘했습니다!",
        "missing": "{name} ({at}): 비어 있습니다. 여기에 수식을 쓰세요.",
        "missing_rows": "{name} ({at}): {rows}행이 비어 있습니다. 모든 행에 수식을 쓰세요.",
        "constant": "{name} ({at}): 숫자를 직접 적었습니다 (W, B, lr, eps를 바꿔도 그대로입니다). 다른 칸을 가리키는 수식을 쓰세요.",
        "error": "{name} ({at}): {text} 오류가 납니다. 없는 이름이나 칸을 가리키는지, 숫자 대신 글자를 쓰지 않았는지 보세요.",
        "knock_on": "{name} ({at}): 맞게 썼습니다. {text} 오류는 {source}에서 이어진 것이라 감점하지 않았습니다. {source}를 고치면 숫자가 나옵니다.",
        "knock_on_any": "{name} ({at}): 맞게 썼습니다. {text} 오류는 이 칸이 쓰는 다른 칸에서 이어진 것이라 감점하지 않았습니다.",
        "wrong": "{name} ({at}): 값이 맞지 않습니다.",
        "wrong_rows": "{name} ({at}): {rows}행의 값이 맞지 않습니다.",
        "text": "{name} ({at}): 수식이 아니라 글자입니다. 수식은 = 로 시작합니다.",
        "only_these": "{name} ({at}): 지금 숫자에서는 맞지만 W, B, lr, eps가 바뀌면 틀립니다. 수식 안에 숫자를 직접 적지 말고 "
                      "칸의 이름을 쓰세요.",
        "hint": "  도움말: {hint}",
    },
    "en": {
        "head": "{id} {name} — {file}: {score}/{max} points",
        "status": "Status: {status}",
        "all_ok": "Every cell is right. Well done!",
        "missing": "{name} ({at}): empty. Write a formula here.",
        "missing_rows": "{name} ({at}): rows {rows} are empty. Write the formula in every row.",
        "constant": "{name} ({at}): a typed number (it stays the same when W, B, lr or eps change). Write a formula "
                    "that refers to other cells.",
        "error": "{name} ({at}): shows {text}. Does it use a name or cell that does not exist, or text where a number "
                 "belongs?",
        "knock_on": "{name} ({at}): written right. It shows {text} only because {source} does (no point lost); "
                    "it will show a number once {source} is fixed.",
        "knock_on_any": "{name} ({at}): written right. It shows {text} only because a cell it uses does (no point "
                        "lost).",
        "wrong": "{name} ({at}): the value is not right.",
        "wrong_rows": "{name} ({at}): rows {rows} are not right.",
        "text": "{name} ({at}): text, not a formula. A formula starts with =.",
        "only_these": "{name} ({at}): right for the workbook's numbers, but wrong when W, B, lr or eps change. Use the "
                      "cells' names instead of typing numbers into the formula.",
        "hint": "  Hint: {hint}",
    },
}


def params_words(params: list[str], lang: str) -> str:
    return (GUIDE_KO if lang == "ko" else GUIDE_EN)["and"].join([", ".join(params[:-1]), params[-1]])


def upstream(name: str, params: list[str], broken: set, roots: set = frozenset()) -> str | None:
    """The blank cell not right that an error in `name` comes from (h feeds Loss and Loss_P;
    Loss and Loss_P feed grad_P): the one broken at the root (its own error), else any."""
    kind = _kind(name)
    feeds = {"Loss": ["h"], "Loss_P": ["h"], "Lossm_P": ["h"]}.get(kind, [])
    if kind == "grad_P":
        p = name.split("_", 1)[1]
        feeds = ["Loss", f"Loss_{p}", f"Lossm_{p}", "h"]
    return next((f for f in feeds if f in roots), None) or next((f for f in feeds if f in broken), None)


def knock_on(name: str, layout, lang: str, text: str, source: str | None) -> str:
    """The note on a right cell that shows an error only because a cell it uses does."""
    T = TEXTS[lang]
    fmt = {"name": name, "at": where(name, layout), "text": text}
    return T["knock_on"].format(source=source, **fmt) if source else T["knock_on_any"].format(**fmt)


def _kind(name: str) -> str:
    """The guide's kind of a blank name: Loss_W -> Loss_P, h -> h."""
    if name in ("h", "Loss"):
        return name
    return name.split("_", 1)[0] + "_P"


def where(name: str, layout) -> str:
    s = layout.sheet
    if name == "h":
        c = layout.columns["h"]
        return f"{s}!{xl_rowcol_to_cell(layout.first_row, c)}:{xl_rowcol_to_cell(layout.last_row, c)}"
    return f"{s}!{xl_rowcol_to_cell(*layout.cell(name))}"


def combine(name: str, per_row: list[tuple[str, str]], cells: list, layout, lang: str, blank) -> tuple[str, str]:
    """One mark for a blank name (a column counts once) and the sentence saying why."""
    T = TEXTS[lang]
    at = where(name, layout)
    marks = [m for m, _ in per_row]
    fmt = {"name": name, "at": at}
    rows = lambda kind: ", ".join(str(layout.first_row + 1 + i) for i, m in enumerate(marks) if m == kind)  # noqa: E731
    if all(m == "missing" for m in marks):
        return "missing", T["missing"].format(**fmt)
    errors = [d for m, d in per_row if m == "error"]
    if errors:
        return "error", T["error"].format(text=errors[0], **fmt)
    if all(m == "ok" for m in marks):  # the note: the error a right formula shows (knock-on), if any
        return "ok", next((d.split(":", 1)[1] for _, d in per_row if d.startswith("knock_on:")), "")
    filled = [m for m in marks if m != "missing"]
    if filled and all(m == "constant" for m in filled):
        return "constant", T["constant"].format(**fmt)
    if "missing" in marks:
        return "wrong", T["missing_rows"].format(rows=rows("missing"), **fmt)
    details = {d for m, d in per_row if m != "ok"}
    if "text" in details:
        return "wrong", T["text"].format(**fmt)
    if details == {"only_these_numbers"}:
        return "wrong", T["only_these"].format(**fmt)
    if len(marks) > 1 and "ok" in marks:
        return "wrong", T["wrong_rows"].format(rows=", ".join(str(layout.first_row + 1 + i)
                                                              for i, m in enumerate(marks) if m != "ok"), **fmt)
    return "wrong", T["wrong"].format(**fmt)


def hint(name: str, layout, lang: str, params: str) -> str:
    guide = GUIDE_KO if lang == "ko" else GUIDE_EN
    return guide[f"ex_{_kind(name)}"].format(at=where(name, layout), params=params)


def text_for(row, blank: list[str]) -> str:
    T = TEXTS[row.lang if row.lang in TEXTS else "ko"]
    lines = [T["head"].format(id=row.id, name=row.name, file=row.file or "—", score=row.score, max=len(blank)).replace("  ", " ")]
    if row.status != "ok":
        lines.append(T["status"].format(status=row.status))
    wrong = [(n, row.notes.get(n, "")) for n in blank if row.marks.get(n, "ok") != "ok"]
    if row.marks and not wrong:
        lines.append(T["all_ok"])
    for name, note in wrong:
        if note:
            lines.append("- " + note)
            h = row.notes.get(f"hint:{name}")
            if h:
                lines.append(T["hint"].format(hint=h))
    for name in blank:  # right formulas that show an error coming from another cell
        if row.marks.get(name) == "ok" and row.notes.get(name):
            lines.append("- " + row.notes[name])
    return "\n".join(lines) + "\n"


def write_all(folder: Path, rows, blank: list[str]) -> list[Path]:
    """One text file per graded row (<id>.txt; <id>-2.txt for a second file of the same id)."""
    folder.mkdir(parents=True, exist_ok=True)
    out, used = [], set()
    for row in rows:
        stem, i = row.id, 2
        while stem in used:
            stem, i = f"{row.id}-{i}", i + 1
        used.add(stem)
        path = folder / f"{stem}.txt"
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}-", suffix=".txt", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text_for(row, blank))
        os.replace(tmp, path)
        out.append(path)
    return out
