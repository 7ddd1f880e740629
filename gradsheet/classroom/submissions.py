"""What was handed in, and whose it is: the files of a folder, a list or a zip of LMS downloads
(unpacked within limits), matched to the roster; one row per student.

Whose file it is comes from three witnesses, none of them trusted alone:
  the name     an LMS download names the student who handed it in (an id, or a name on the
               roster, anywhere in the file name: `20241012_송하준_3주차과제.xlsx`);
  the record   the hidden settings sheet says whom the workbook was made for (the student can
               edit it);
  the numbers  each student's data are their own (the key keeps them), so a workbook's x and y
               say whom it was made for, whatever its record says.
The student who handed it in is the name's, else the record's, else the numbers'; the workbook
was made for the numbers' student, else the record's. When the two differ it is a copy, flagged
on both rows. A student with several files is graded on the newest (the file's modification
time; a zip entry's date), and every file is listed.
"""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..core.messages import Message, os_reason, say
from .exercise import KEY_FILES

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
# A zip of downloads: at most this many files, each unpacked to at most MAX_ENTRY (a workbook's
# own limit, grade.MAX_FILE), all together to at most MAX_ZIP_TOTAL. A class of 700 lemonade
# exercises is about 20 MB.
MAX_ENTRIES = 5000
MAX_ENTRY = 50 * 2 ** 20
MAX_ZIP_TOTAL = 1024 * 2 ** 20
# what zip tools add beside the files: macOS's resource forks, hidden files, Windows' thumbnails
JUNK = re.compile(r"(^|/)__MACOSX/|(^|/)\.[^/.][^/]*$|(^|/)(Thumbs\.db|desktop\.ini)$", re.I)
# "(1)", " (2)" … that browsers and LMSs add to a second download of the same name
COPY_MARK = re.compile(r"\s*\(\d{1,3}\)\s*$")
# characters that would hide or reorder what a teacher reads: controls and bidi overrides
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def neutral(text) -> str:
    """A text cell as a spreadsheet must take it: one that starts with =, +, -, @, a tab or a
    carriage return gets a leading ' (OWASP's rule against CSV injection), so it never becomes
    a formula."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def shown(text: str) -> str:
    """A student's text (a file name, a record) as it may be shown: no controls, no bidi."""
    return _HIDDEN.sub("\ufffd", text)


@dataclass
class Handed:
    """One file handed in."""
    shown: str  # as the teacher knows it: "A.xlsx", or "class.zip/folder/A.xlsx"
    path: Path | None  # where to read it (a private copy for a zip entry); None: not unpacked
    mtime: float = 0.0  # its date: the file's modification time, or a zip entry's date
    refused: Message | None = None  # refused before grading (a zip entry past the limits)
    inner: str = ""  # a zip entry's path in the zip (LMS zips put each student in a folder)

    @property
    def stem(self) -> str:
        """What may name the student: the file's name, or a zip entry's path, without suffix."""
        name = self.inner or self.shown.rsplit("/", 1)[-1]
        last = name.rsplit("/", 1)[-1]
        return name[:len(name) - len(last)] + (last.rsplit(".", 1)[0] if "." in last else last)


@dataclass
class Checked:
    """What grading one file found (before it is matched to a student)."""
    handed: Handed
    findings: list = field(default_factory=list)  # Messages about the file (its status)
    marks: dict = field(default_factory=dict)  # blank name -> ok/wrong/constant/missing/error
    notes: dict = field(default_factory=dict)  # blank name -> the sentence saying why
    record: str | None = None  # whom its hidden record says it was made for
    by_data: str | None = None  # whose numbers it holds
    graded: bool = False  # the engine read its cells (marks are meaningful)
    detail: str = ""  # a grader failure's technical detail (printed, never in a file)

    @property
    def score(self) -> int:
        return sum(1 for m in self.marks.values() if m == "ok")


@dataclass
class Graded:
    """One row of report.csv: a student on the roster, or a file matched to nobody."""
    id: str
    name: str
    file: str
    status: str
    marks: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    lang: str = "ko"
    copy_of: str = ""  # made for this student (a copy)
    copied_by: tuple[str, ...] = ()  # who handed in this student's workbook too
    detail: str = ""

    @property
    def score(self) -> int:
        return sum(1 for m in self.marks.values() if m == "ok")

    def add_status(self, text: str, first: bool = False) -> None:
        """One more thing to flag: the statuses joined by "; " ("ok" only while there is none)."""
        if self.status == "ok":
            self.status = text
        else:
            self.status = f"{text}; {self.status}" if first else f"{self.status}; {text}"


# --- what was handed in -----------------------------------------------------------------------

def collect(paths, scratch: Path) -> list[Handed]:
    """Files as given; folders: every file in them (sorted; not the answer key, hidden files or
    subfolders); zips: every file in them, unpacked into `scratch` within the limits."""
    out: list[Handed] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.iterdir()):
                if f.is_file() and not f.name.startswith(".") and f.name not in KEY_FILES:
                    out += _one(f, scratch, len(out))
        else:
            out += _one(p, scratch, len(out))
    return out


def _one(path: Path, scratch: Path, index: int) -> list[Handed]:
    if path.suffix.lower() == ".zip":
        return unzip(path, scratch / f"zip{index}")
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return [Handed(shown(path.name), path, mtime)]


def unzip(path: Path, into: Path) -> list[Handed]:
    """A zip of downloads, each file unpacked to `into` under a name of ours (never the entry's
    own path: it may climb out with ../), within MAX_ENTRIES, MAX_ENTRY and MAX_ZIP_TOTAL; what
    is past a limit gets its row, refused."""
    label = shown(path.name)
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return [Handed(label, None, 0.0, Message("grade.zip_unreadable"))]
    out: list[Handed] = []
    total = 0
    with z:
        entries = [e for e in z.infolist() if not e.is_dir() and not JUNK.search(_entry_name(e))]
        into.mkdir(parents=True, exist_ok=True)
        for i, entry in enumerate(entries):
            name = _entry_name(entry)
            handed = Handed(f"{label}/{shown(name)}", None, _entry_time(entry), inner=name)
            out.append(handed)
            if i >= MAX_ENTRIES:
                handed.refused = Message("grade.zip_too_many", zip=label, limit=MAX_ENTRIES)
                continue
            if total >= MAX_ZIP_TOTAL:
                handed.refused = Message("grade.zip_total", zip=label, limit=MAX_ZIP_TOTAL // 2 ** 20)
                continue
            suffix = Path(name).suffix.lower()
            target = into / (str(i) + (suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""))
            seen = 0
            try:
                with z.open(entry) as src, open(target, "wb") as dst:
                    while chunk := src.read(2 ** 20):
                        seen += len(chunk)
                        if seen > MAX_ENTRY:
                            handed.refused = Message("grade.zip_entry_too_big", limit=MAX_ENTRY // 2 ** 20)
                            break
                        if total + seen > MAX_ZIP_TOTAL:
                            handed.refused = Message("grade.zip_total", zip=label, limit=MAX_ZIP_TOTAL // 2 ** 20)
                            break
                        dst.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError,
                    RuntimeError):  # RuntimeError: an encrypted entry
                handed.refused = Message("grade.zip_unreadable")
            except OSError as e:
                handed.refused = Message("grade.unreadable", reason=os_reason(e))
            total += seen
            if handed.refused is None:
                handed.path = target
            else:
                target.unlink(missing_ok=True)
    return out


def _entry_name(entry: zipfile.ZipInfo) -> str:
    """The entry's name as its maker wrote it: zips made on Korean Windows store CP949 without
    saying so (Python then reads it as CP437); macOS writes decomposed Hangul."""
    name = entry.filename
    if not entry.flag_bits & 0x800:
        raw = name.encode("cp437", errors="replace")
        for encoding in ("utf-8", "cp949"):
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return unicodedata.normalize("NFC", name)


def _entry_time(entry: zipfile.ZipInfo) -> float:
    try:
        return time.mktime((*entry.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return 0.0


def cleanup(scratch: Path) -> None:
    shutil.rmtree(scratch, ignore_errors=True)


# --- whose is it ------------------------------------------------------------------------------

def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _within(token: str, text: str) -> bool:
    """`token` in `text` with no letter or digit right before or after it."""
    return re.search(rf"(?<![^\W_]){re.escape(token)}(?![^\W_])", text) is not None


def by_name(stem: str, students: list[dict]) -> str | None:
    """The roster student a file name names: an id (the LMS's) anywhere in it as a whole word,
    else a name on the roster that only one student has. None when it names nobody, or more
    than one."""
    text = _fold(COPY_MARK.sub("", stem))
    ids = {s["id"] for s in students if s["id"] and _within(_fold(s["id"]), text)}
    if len(ids) == 1:
        return ids.pop()
    if ids:
        exact = [i for i in ids if _fold(i) == text]
        return exact[0] if len(exact) == 1 else None
    counts: dict[str, int] = {}
    for s in students:
        if s.get("name"):
            counts[_fold(s["name"])] = counts.get(_fold(s["name"]), 0) + 1
    named = {s["id"] for s in students if s.get("name") and counts[_fold(s["name"])] == 1
             and len(s["name"].strip()) >= 2 and _within(_fold(s["name"].strip()), text)}
    return named.pop() if len(named) == 1 else None


def assign(students: list[dict], checked: list[Checked], blank: list[str], lang: str) -> list[Graded]:
    """One row per roster student (in the roster's order), then one per file matched to nobody."""
    ids = [s["id"] for s in students]
    roster = set(ids)
    whose: list[tuple[Checked, str | None, str | None]] = []  # (file, handed in by, made for)
    for c in checked:
        record = c.record if c.record in roster else None
        made_for = c.by_data or record
        submitter = by_name(c.handed.stem, students) or record or c.by_data
        whose.append((c, submitter, made_for))
    copied_by: dict[str, set[str]] = {}
    for c, submitter, made_for in whose:
        if submitter and made_for and made_for != submitter:
            copied_by.setdefault(made_for, set()).add(submitter)
    rows = []
    for s in students:
        files = [(c, made_for) for c, submitter, made_for in whose if submitter == s["id"]]
        if not files:
            row = Graded(s["id"], s.get("name", ""), "", say("grade.not_submitted", lang), lang=lang)
        else:
            c, made_for = max(files, key=lambda f: (f[0].handed.mtime, f[0].handed.shown))
            row = _row(c, s["id"], s.get("name", ""), lang)
            if made_for and made_for != s["id"]:
                row.copy_of = made_for
                key = "grade.copy_numbers" if c.by_data == made_for else "grade.copy_record"
                row.add_status(say(key, lang, owner=made_for))
            if c.record and c.record != made_for:
                row.add_status(say("grade.record_changed" if c.record in roster else "grade.record_not_on_roster",
                                   lang, record=shown(c.record)))
            if len(files) > 1:
                others = [_result(o, blank, lang) for o, _ in files if o is not c]
                row.add_status(say("grade.duplicates", lang, count=len(files), file=c.handed.shown,
                                   others=", ".join(others)))
        if s["id"] in copied_by:
            row.copied_by = tuple(sorted(copied_by[s["id"]] - {s["id"]}))
            row.add_status(say("grade.copied_by", lang, ids=", ".join(row.copied_by)))
        rows.append(row)
    for c, submitter, _ in whose:
        if submitter is None:
            row = _row(c, "", "", lang)
            if c.record:
                row.add_status(say("grade.record_not_on_roster", lang, record=shown(c.record)))
            row.add_status(say("grade.not_on_roster", lang), first=True)
            rows.append(row)
    return rows


def _row(c: Checked, sid: str, name: str, lang: str) -> Graded:
    row = Graded(sid, name, c.handed.shown, "ok", dict(c.marks), dict(c.notes), lang, detail=c.detail)
    for finding in c.findings:
        row.add_status(_said(finding, lang))
    return row


def _result(c: Checked, blank: list[str], lang: str) -> str:
    if c.graded:
        return say("grade.other_file_score", lang, file=c.handed.shown, score=c.score, max=len(blank))
    status = "; ".join(_said(f, lang) for f in c.findings)
    return say("grade.other_file_status", lang, file=c.handed.shown, status=status or "-")


def _said(finding, lang: str) -> str:
    """A finding (a Message, or a refusal: both render themselves) in the row's language."""
    return finding.render(lang) if hasattr(finding, "render") else str(finding)
