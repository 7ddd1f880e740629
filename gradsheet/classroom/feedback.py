"""The grader's words to a student, in the answer key's language: which cells, what is wrong, and
a hint in words (the exercise guide's own description of the cell), never the answer formula.
The sentences are the catalogue's (core/messages.py, grade.fb_*)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..core.a1 import xl_rowcol_to_cell
from ..core.errors import GradsheetError
from ..core.messages import os_reason, say
from ..sheets.guide import EN as GUIDE_EN, KO as GUIDE_KO
from .submissions import neutral, shown

LANGS = ("ko", "en")
_ERROR_TEXT = re.compile(r"#[A-Z0-9/!?.]{1,12}|Err:\d{3}")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_RESERVED = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.I)


def params_words(params: list[str], lang: str) -> str:
    guide = GUIDE_KO if lang == "ko" else GUIDE_EN
    return guide["and"].join([", ".join(params[:-1]), params[-1]]) if len(params) > 1 else "".join(params)


def where(name: str, layout) -> str:
    """The cell (or a column's cells) of a blank name, as a student finds it: 학습!C6:C11."""
    s = layout.sheet
    if name in layout.columns:
        c = layout.columns[name]
        return f"{s}!{xl_rowcol_to_cell(layout.first_row, c)}:{xl_rowcol_to_cell(layout.last_row, c)}"
    if name in layout.scalars:
        return f"{s}!{xl_rowcol_to_cell(*layout.cell(name))}"
    return name


def sentence(name: str, verdict, layout, lang: str, source: str | None = None) -> str:
    """What a verdict (verdict.Verdict) says about a blank name ("" for a plain ok)."""
    fmt = {"name": name, "at": where(name, layout)}
    kind = verdict.kind
    if kind == "ok":
        return ""
    if kind == "knock_on":
        text = _error_text(verdict.text)
        if source:
            return say("grade.fb_knock_on", lang, text=text, source=source, **fmt)
        return say("grade.fb_knock_on_any", lang, text=text, **fmt)
    if kind == "error":
        return say("grade.fb_error", lang, text=_error_text(verdict.text), **fmt)
    if kind in ("missing_rows", "wrong_rows"):
        return say(f"grade.fb_{kind}", lang, rows=", ".join(map(str, verdict.rows)), **fmt)
    return say(f"grade.fb_{kind}", lang, **fmt)


def _error_text(text: str) -> str:
    """An error as the engine shows it (#VALUE!, Err:502), never anything else it might say."""
    return text if isinstance(text, str) and _ERROR_TEXT.fullmatch(text) else "#VALUE!"


def _kinds(name: str, layout) -> list[str]:
    """The guide's names for a blank's kind, most specific first: Loss_W -> Loss_P; z_2 -> z_c."""
    out = [name]
    if name in layout.columns:
        base = re.sub(r"_\d+$", "", name)
        if base != name:
            out.append(base + "_c")
            out.append(base)
        return out
    for prefix in ("Lossm", "Loss", "grad", "next"):
        if name.startswith(prefix + "_"):
            out.append(prefix + "_P")
            break
    return out


def hint(name: str, layout, lang: str, params: list[str]) -> str:
    """The guide's description of the cell, or "" when it has none for this kind."""
    guide = GUIDE_KO if lang == "ko" else GUIDE_EN
    for kind in _kinds(name, layout):
        text = guide.get(f"ex_{kind}")
        if text:
            try:
                return text.format(at=where(name, layout), params=params_words(params, lang))
            except (KeyError, IndexError, ValueError):
                return ""
    return ""


def text_for(row, blank: list[str]) -> str:
    """One student's feedback file. What the roster or a student wrote (id, name, file name,
    record) is shown without control characters (no line of its own), and the first line, which
    starts with it, is neutral(): it never opens as a formula."""
    lang = row.lang if row.lang in LANGS else "ko"
    head = say("grade.fb_head", lang, id=shown(row.id), name=shown(row.name), file=shown(row.file) or "—",
               score=row.score, max=len(blank))
    lines = [neutral(" ".join(head.split()))]
    if row.status != "ok":
        lines.append(say("grade.fb_status", lang, status=shown(row.status)))
    copy_of = getattr(row, "copy_of", "")
    if copy_of:
        lines.append(say("grade.fb_copy", lang, owner=shown(copy_of)))
    wrong = [(n, row.notes.get(n, "")) for n in blank if row.marks.get(n, "ok") != "ok"]
    if row.marks and not wrong and not copy_of:  # never praise a copy
        lines.append(say("grade.fb_all_ok", lang))
    for name, note in wrong:
        if note:
            lines.append("- " + note)
            h = row.notes.get(f"hint:{name}")
            if h:
                lines.append(say("grade.fb_hint", lang, hint=h))
    for name in blank:  # right formulas that show an error coming from another cell
        if row.marks.get(name) == "ok" and row.notes.get(name):
            lines.append("- " + row.notes[name])
    return "\n".join(lines) + "\n"


def texts_for(rows, blank: list[str]) -> list[str]:
    return [text_for(row, blank) for row in rows]


def file_stem(sid: str) -> str | None:
    """A student id as a file name, when it is a safe one (else None)."""
    if not sid or _UNSAFE.search(sid) or sid[0] in ".-" or sid[-1] in ". " or _RESERVED.fullmatch(sid):
        return None
    return sid if len(sid.encode("utf-8")) <= 100 else None


def write_all(folder: Path, rows, texts: list[str] | None = None, blank: list[str] | None = None) -> list[Path]:
    """One text file per row: <id>.txt for a student on the roster, unmatched-<n>.txt for a file
    matched to nobody (student-<n>.txt for an id that cannot name a file); each written
    atomically."""
    if texts is None:
        texts = texts_for(rows, blank or [])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GradsheetError("grade.cannot_write", path=folder, reason=os_reason(e)) from None
    out, used = [], set()
    unmatched = 0
    for i, (row, text) in enumerate(zip(rows, texts), start=1):
        stem = file_stem(row.id)
        if stem is None:
            if row.id:
                stem = f"student-{i}"
            else:
                unmatched += 1
                stem = f"unmatched-{unmatched}"
        base, n = stem, 2
        while stem.casefold() in used:
            stem, n = f"{base}-{n}", n + 1
        used.add(stem.casefold())
        path = folder / f"{stem}.txt"
        try:
            fd, tmp = tempfile.mkstemp(prefix=".feedback-", suffix=".txt", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            raise GradsheetError("grade.cannot_write", path=path, reason=os_reason(e)) from None
        out.append(path)
    return out
