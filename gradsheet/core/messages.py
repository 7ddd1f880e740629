"""Every message the command line prints (errors, warnings, results), keyed, in Korean and English.

Raisers never format a sentence themselves: they name a key and its values,

    raise GradsheetError("data.not_a_number", file="a.csv", row=5, column="온도", value="abc")
    warnings.warn(Message("build.lr_lowered", lr=0.1))

and the text is chosen when it is printed, in the language in use: the workbook's own for
commands on a workbook (set by `use` as soon as its settings are read), `--lang` for the
commands that make one, Korean otherwise. A test walks the catalogue: every key has both
languages with the same {placeholders}, so no message can be English-only by accident.

The names of cells, columns, options and commands (W, B, Loss, lr, --lr, `gradsheet set`) stay
as they are in both languages.
"""

from __future__ import annotations

import contextvars

DEFAULT_LANG = "ko"
_lang = contextvars.ContextVar("gradsheet_lang", default=DEFAULT_LANG)


def use(lang: str | None) -> None:
    """Speak `lang` from now on in this context (unknown or None: leave it as it is)."""
    if lang in CATALOGUE:
        _lang.set(lang)


def current() -> str:
    return _lang.get()


def say(key: str, lang: str | None = None, **values) -> str:
    """The text of `key` in `lang` (default: the language in use), filled with `values`."""
    table = CATALOGUE.get(lang or current(), CATALOGUE[DEFAULT_LANG])
    return table[key].format(**values)


class Message:
    """A keyed message that renders in the language in use whenever it is turned into text
    (so a warning raised before the workbook's language is known still prints in it)."""

    def __init__(self, key: str, **values):
        self.key, self.values = key, values

    def __str__(self) -> str:
        return say(self.key, **self.values)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.values!r})"


# One dict per language; keys are "<area>.<what>". Areas: cli, build, book (step/run/next/
# reset/set on a workbook), data (reading tables), preset, addin, classroom.
KO: dict[str, str] = {
    # --- cli ---
    # --- build ---
    # --- book ---
    # --- data ---
    # --- preset ---
    # --- addin ---
    "addin.not_a_folder": "폴더가 아닙니다: {path}",
    "addin.cannot_write": "{path}에 추가 기능을 쓸 수 없습니다: {reason}",
    "addin.wrote": "작성함: {path}",
    "addin.removed": "삭제함: {path} (이 모듈은 이제 gradsheet와 함께 설치됩니다)",
    "addin.remake": "이 추가 기능은 xlwings {version}용으로 만들어졌습니다. xlwings를 업그레이드한 뒤에는 "
                    "`gradsheet addin`으로 추가 기능을 다시 만드세요.",
    "addin.description": "GradSheet 리본 단추 '{label}' (gradsheet {gradsheet}, xlwings {version} 추가 기능 "
                         "템플릿). xlwings를 업그레이드한 뒤에는 `gradsheet addin`으로 다시 만드세요.",
    # --- classroom ---
}

EN: dict[str, str] = {
    # --- cli ---
    # --- build ---
    # --- book ---
    # --- data ---
    # --- preset ---
    # --- addin ---
    "addin.not_a_folder": "not a folder: {path}",
    "addin.cannot_write": "cannot write add-ins to {path}: {reason}",
    "addin.wrote": "wrote {path}",
    "addin.removed": "removed {path} (the module is now installed with gradsheet)",
    "addin.remake": "these add-ins are made for xlwings {version}: after upgrading xlwings, make them "
                    "again with `gradsheet addin`.",
    "addin.description": "GradSheet ribbon button '{label}', made by gradsheet {gradsheet} from the add-in "
                         "template of xlwings {version}. After upgrading xlwings, make it again with "
                         "`gradsheet addin`.",
    # --- classroom ---
}

CATALOGUE = {"ko": KO, "en": EN}
