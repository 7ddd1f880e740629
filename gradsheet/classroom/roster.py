"""The class list: who gets an exercise workbook, and the file name each one gets.

A roster is what a learning-management system exports: a CSV (UTF-8 or CP949; , ; or tab) or
an .xlsx, read by data/read.py like any table (a title line above the headings is skipped with
a warning). The id column is found by its heading (학번, id, student id, 아이디 …) or named with
--id-column; the name column likewise (이름, 성명, name …, optional).

An id names the student's file, `<id>.xlsx`, on whatever machine the class's files end up: so two
ids that Windows or macOS would take for one file name (case, Unicode normal forms), and ids no
file system would take (reserved device names, characters invalid in file names, control and
bidi characters, a trailing dot), are refused with the rows that hold them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import GradsheetError
from ..core.messages import Message
from ..data.cells import blank_cell, plain, q
from ..data.read import read_table

# Headings that name the id column (compared without case, spaces, _ - . and a part in
# brackets: "Student ID", "student_id", "학번(ID)"). The first tier is the person's number
# (학번 is what a Korean LMS calls it); the second, a login, only when the first finds none.
# Not "번호": in a Korean class list it is usually the row number (연번), not an id.
ID_HEADINGS = (("학번", "id", "studentid", "studentnumber", "studentno", "학생번호", "idnumber", "sid"),
               ("아이디", "userid", "loginid", "username", "login", "사용자id", "로그인id"))
NAME_HEADINGS = (("이름", "성명", "name", "studentname", "fullname", "학생이름", "학생명", "성함"),)
MAX_ID = 64  # characters; and at most MAX_ID_BYTES in UTF-8 (file names: 255 bytes with ".xlsx" and a temp prefix)
MAX_ID_BYTES = 200
# Windows refuses these as file names, with any extension ("con.xlsx"), in any case.
RESERVED = ({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
            | {f"{dev}{d}" for dev in ("COM", "LPT") for d in "123456789¹²³"})
INVALID_CHARS = set('<>:"/\\|?*')  # Windows (and ':' '/' on macOS)
# Unicode categories no id may hold: controls, format characters (the bidi controls U+202A-E,
# U+2066-9, zero-width spaces, the byte-order mark), surrogates, private use, unassigned, and
# line/paragraph separators.
BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    row: int = 0  # the roster's 1-based file row (0: not from a roster file)

    @property
    def file(self) -> str:
        return f"{self.id}.xlsx"


@dataclass(frozen=True)
class Roster:
    path: str
    students: list[Student]
    id_heading: str
    name_heading: str | None
    warnings: tuple = field(default=())  # what reading the file said (a title line skipped …)


def read_roster(path: str | os.PathLike, id_column: str | None = None,
                name_column: str | None = None) -> Roster:
    """The students of a roster file, in its order; any problem with it is one GradsheetError
    naming the file and the rows."""
    where = str(path)
    if not Path(path).exists():
        raise GradsheetError("roster.not_found", path=where)
    if Path(path).is_dir():
        raise GradsheetError("roster.is_folder", path=where)
    table = read_table(Path(path), min_columns=1)
    id_col = _column(table, id_column, ID_HEADINGS, "--id-column", where)
    if id_col is None:
        raise GradsheetError("roster.no_id_column", path=where, heads=_heads(table))
    name_col = _column(table, name_column, NAME_HEADINGS, "--name-column", where, exclude=id_col)
    students = []
    for i, row in enumerate(table.rows):
        line = table.first_row + i
        sid, name = _text(row[id_col]), (_text(row[name_col]) if name_col is not None else "")
        if not sid:
            if not name and all(blank_cell(v) for v in row):
                continue  # a blank row of a worksheet
            raise GradsheetError("roster.row_no_id", path=where, row=line)
        problem = id_problem(sid)
        if problem:
            raise GradsheetError("roster.bad_id", path=where, row=line, id=q(sid), why=problem)
        bad_name = next((ch for ch in name if unicodedata.category(ch) in BAD_CATEGORIES), None)
        if bad_name is not None:
            raise GradsheetError("roster.bad_name", path=where, row=line, code=f"U+{ord(bad_name):04X}")
        students.append(Student(sid, name, line))
    if not students:
        raise GradsheetError("roster.no_students", path=where)
    check_collisions(students, where)
    heading = lambda col: table.headings[col]  # noqa: E731
    return Roster(where, students, heading(id_col), None if name_col is None else heading(name_col),
                  tuple(table.warnings))


def _text(cell) -> str:
    """A cell as the text it shows: numbers as written (2024001, not 2024001.0), NFC."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        text = str(cell).upper()
    elif isinstance(cell, (int, float)):
        text = plain(cell)
    else:
        text = str(cell)
    return unicodedata.normalize("NFC", text.strip())


def _key(heading: str) -> list[str]:
    """A heading's spellings to compare: without case, spaces, _ - . and with and without a
    part in brackets ("학번(ID)" is 학번 and id)."""
    text = unicodedata.normalize("NFKC", heading).casefold()
    out = [text, re.sub(r"[(\[（].*?[)\]）]", "", text)] + re.findall(r"[(\[（](.*?)[)\]）]", text)
    return [re.sub(r"[\s_\-.·]", "", t) for t in out if t.strip()]


def _column(table, given: str | None, tiers, option: str, where: str, exclude: int | None = None) -> int | None:
    """The column `given` names (a heading, any case or spacing, or a 1-based position), else
    the one whose heading is a common one (None when there is none)."""
    headings = list(table.headings)
    if given is not None:
        wanted = _key(given)[:1]
        found = [j for j, h in enumerate(headings) if _key(h)[:1] == wanted]
        if not found and given.strip().isdigit() and 1 <= int(given) <= len(headings):
            found = [int(given) - 1]
        if not found:
            raise GradsheetError("roster.no_such_column", path=where, option=option, given=q(given),
                                 heads=_heads(table))
        return found[0]
    for tier in tiers:
        found = [j for j, h in enumerate(headings) if j != exclude and any(k in tier for k in _key(h))]
        if len(found) > 1:
            raise GradsheetError("roster.columns_ambiguous", path=where, option=option,
                                 heads=", ".join(q(headings[j]) for j in found))
        if found:
            return found[0]
    return None


def _heads(table) -> str | Message:
    return ", ".join(q(h) for h in table.headings) or Message("classroom.none")


def id_problem(sid: str) -> Message | None:
    """Why `sid` cannot name a file on Windows, macOS and Linux alike (None: it can)."""
    if len(sid) > MAX_ID or len(sid.encode("utf-8")) > MAX_ID_BYTES:
        return Message("roster.why_long", most=MAX_ID)
    for ch in sid:
        if ch in INVALID_CHARS:
            return Message("roster.why_char", char=ch)
        category = unicodedata.category(ch)
        if category in BAD_CATEGORIES or (category == "Zs" and ch != " "):
            return Message("roster.why_invisible", code=f"U+{ord(ch):04X}")
    if sid.startswith("."):
        return Message("roster.why_leading_dot")
    if sid.endswith((".", " ")):
        return Message("roster.why_trailing_dot")
    stem = sid.split(".", 1)[0].rstrip(" ").upper()
    if stem in RESERVED:
        return Message("roster.why_reserved", stem=stem)
    return None


def file_key(sid: str) -> str:
    """What Windows and macOS compare when they look a file name up: the same key, the same
    file (case folded, in one Unicode normal form)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", sid).casefold())


def check_collisions(students: list[Student], where: str, recorded: list[Student] = ()) -> None:
    """Refuse two students whose ids are one file name on some system: the same id twice, or
    ids that differ only in case or Unicode form; `recorded`: the students an exercise already
    has (row 0), whose ids may come again only spelt exactly the same."""
    seen: dict[str, Student] = {file_key(s.id): s for s in recorded}
    for s in students:
        key = file_key(s.id)
        first = seen.get(key)
        if first is None:
            seen[key] = s
            continue
        if first.row == 0:  # already in the exercise: the same id is the same student
            if first.id == s.id:
                continue
            raise GradsheetError("roster.collides_recorded", path=where, row=s.row, id=q(s.id), other=q(first.id))
        if first.id == s.id:
            raise GradsheetError("roster.twice", path=where, id=q(s.id), first=first.row, row=s.row)
        raise GradsheetError("roster.collide", path=where, first=first.row, row=s.row, a=q(first.id), b=q(s.id))
