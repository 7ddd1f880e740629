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
import errno

DEFAULT_LANG = "ko"
_lang = contextvars.ContextVar("gradsheet_lang", default=DEFAULT_LANG)


def use(lang: str | None) -> None:
    """Speak `lang` from now on in this context (unknown or None: leave it as it is)."""
    if lang in CATALOGUE:
        _lang.set(lang)


def current() -> str:
    return _lang.get()


def say(key: str, /, lang: str | None = None, **values) -> str:
    """The text of `key` in `lang` (default: the language in use), filled with `values`.
    A value that is itself a message (a Message, a GradsheetError: anything with `render`)
    is rendered in the same language."""
    table = CATALOGUE.get(lang or current(), CATALOGUE[DEFAULT_LANG])
    values = {name: v.render(lang) if callable(getattr(v, "render", None)) else v for name, v in values.items()}
    return table[key].format(**values)


class Message(UserWarning):
    """A keyed message that renders in the language in use whenever it is turned into text
    (so a warning raised before the workbook's language is known still prints in it).

    It is a UserWarning, so `warnings.warn(Message(...))` warns with the message itself: the
    warnings machinery (filters by message text, pytest.warns) sees its text, not an object."""

    def __init__(self, key: str, /, **values):
        super().__init__(key)
        self.key, self.values = key, values

    def __reduce__(self):
        return _message, (self.key, self.values)

    def render(self, lang: str | None = None) -> str:
        """The text in `lang` (default: the language in use)."""
        return say(self.key, lang, **self.values)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.values!r})"


def _message(key: str, values: dict) -> Message:
    return Message(key, **values)


def template(key: str, lang: str | None = None) -> str:
    """The text of `key` in `lang` (default: the language in use), its {placeholders} unfilled."""
    return CATALOGUE.get(lang or current(), CATALOGUE[DEFAULT_LANG])[key]


_OS_REASONS = {errno.EACCES: "os.denied", errno.EPERM: "os.denied", errno.ENOSPC: "os.no_space",
               errno.EROFS: "os.read_only", errno.ENOENT: "os.missing", errno.EISDIR: "os.is_folder"}


def os_reason(error: OSError) -> Message:
    """Why the system refused a file or folder, in words (the system's own words only for the
    rare errors without an entry)."""
    key = _OS_REASONS.get(error.errno)
    return Message(key) if key else Message("os.other", detail=error.strerror or str(error))


# One dict per language; keys are "<area>.<what>". Areas: cli, build, book (step/run/next/
# reset/set on a workbook), data (reading tables), preset, addin, classroom.
# And after those: settings (the options' checks), run (what a step did to Loss: going up, the
# blow-up stop), grade (report.csv's statuses), os (why a file was refused), click (its usage errors).
KO: dict[str, str] = {
    # --- cli ---
    "cli.error": "gradsheet: 오류: {text}",
    "cli.warning": "gradsheet: 경고: {text}",
    "cli.needs_libreoffice": "채점에는 LibreOffice가 필요합니다: {reason}",
    "cli.progress": "스텝",
    # --- build ---
    "build.built": "{path}에 저장했습니다: {n}행, {features} → {target}; lr = {lr:g}, eps = {eps:g}",
    "build.more": "… (모두 {count}개)",
    "build.same_as_input": "-o {out}: 데이터 파일 자체입니다. gradsheet는 입력 파일에 덮어쓰지 않으니 다른 출력 이름을 고르세요",
    "build.not_xlsx": "-o {out}: 출력은 .xlsx 파일이어야 합니다 (이름이 .xlsx로 끝나야 합니다)",
    "build.no_folder": "출력 폴더가 없습니다: {folder}",
    "build.cannot_write_folder": "폴더에 쓸 수 없습니다: {folder} ({reason})",
    "build.left_out": "{sheets} 시트를 뺐습니다: 이 시트가 읽는 합계가 {n:,}행 × 입력 {k}개에 걸쳐 있어, 값을 고칠 때마다 다시 계산에 몇 초가 걸립니다. 넣으려면 {asks} 옵션을 주세요",
    "build.left_out_many": "{sheets} 시트를 뺐습니다: 이 시트들이 읽는 합계가 {n:,}행 × 입력 {k}개에 걸쳐 있어, 값을 고칠 때마다 다시 계산에 몇 초가 걸립니다. 넣으려면 {asks} 옵션을 주세요",
    "build.fewer_rows": "'{sheet}' 시트는 {full}행이 아니라 {rows}행입니다: 입력 {k}개로도 다시 계산이 빠르도록 줄였습니다. 행 수는 --{option} N 옵션으로 정하세요",
    "build.ce_landscape_left_out": "'{sheet}' 시트를 뺐습니다: 칸 {cells}개가 저마다 {n:,}행의 교차 엔트로피를 계산해서, 값을 고칠 때마다 다시 계산이 느려집니다. 넣으려면 --landscape {pair} 옵션을 주세요",
    "build.ce_fewer_rows": "'{sheet}' 시트는 {full}행이 아니라 {rows}행입니다: {n:,}행 × 매개변수 {params}개의 교차 엔트로피도 다시 계산이 빠르도록 줄였습니다. 행 수는 --unrolled N 옵션으로 정하세요",
    "build.ce_compare_left_out": "'{sheet}' 시트를 뺐습니다: 네 가지 방법마다 {full} 스텝씩 {n:,}행의 교차 엔트로피를 계산해서, 값을 고칠 때마다 다시 계산이 느려집니다. 넣으려면 --compare N 옵션을 주세요",
    "build.lr_unstable": "lr = {lr:g}: 이 데이터에서 안정한 가장 큰 학습률 {limit:.3g}(손실의 곡률로 계산)보다 커서 Loss가 발산합니다. 예: --lr {suggestion:g}",
    "build.lr_unstable_scale": "lr = {lr:g}: 이 데이터에서 안정한 가장 큰 학습률 {limit:.3g}(손실의 곡률로 계산)보다 커서 Loss가 발산합니다. 예: --lr {suggestion:g}, 또는 --scale standard로 입력의 크기를 맞추세요",
    "build.lr_slow": "lr = {lr:g}: 이 데이터에서 안정한 가장 큰 학습률 {limit:.3g}보다 {times:,.0f}배 작습니다. {steps} 스텝으로 Loss가 최솟값 쪽으로 내려가는 정도는 {share}입니다. 예: --lr {suggestion:g}",
    "build.share_at_most": "{share:.0%} 이하",
    "build.share_below_1": "1% 미만",
    "build.classifier_lr": "이 분류 모델의 lr: {lr:g} (안정한 한계보다 충분히 작은 값). 다른 값은 --lr 옵션으로 주세요",
    "build.landscape_pair": "--landscape: {names} 중 서로 다른 매개변수 두 개를 주세요 (또는 none). 받은 값: {got}",
    # --- book ---
    "book.wrote_one": "{path}에 저장했습니다: history {rows}행",
    "book.wrote_many": "{path}에 저장했습니다: history {rows}행",
    "book.next_up": "다음 동작: {action}",
    "book.set": "{path}: {what}",
    "book.nothing_set": "바꿀 설정이 없습니다: --lr, --eps 또는 --seed 옵션을 주세요",
    "book.not_found": "워크북이 없습니다: {path}",
    "book.unreadable": "{path}: 읽을 수 있는 .xlsx 워크북이 아닙니다 ({kind})",
    "book.in_file": "{path}: {error}",
    "book.no_meta": "gradsheet 워크북이 아닙니다 ('{sheet}' 시트가 없습니다). 워크북은 gradsheet build로 만드세요",
    "book.meta_damaged": "'{sheet}' 시트가 손상되었습니다 (키 {key})",
    "book.not_gradsheet": "gradsheet 워크북이 아닙니다 (설정 시트가 gradsheet의 것이 아닙니다)",
    "book.sheet_missing": "'{sheet}' 시트가 없습니다",
    "book.unknown_model": "'{sheet}' 시트에 모르는 모델이 적혀 있습니다: {model}",
    "book.unknown_optimizer": "'{sheet}' 시트에 모르는 최적화 방법이 적혀 있습니다: {optimizer}",
    "book.lost_names": "워크북에서 이름 W, B, y가 사라져 스텝을 할 수 없습니다",
    "book.name_moved": "이름 '{name}': gradsheet가 둔 칸을 더는 가리키지 않습니다. 워크북의 구조가 바뀌었습니다",
    "book.not_number": "{name}: 수가 아닙니다 ({value})",
    "book.not_finite": "{name}: 유한한 수가 아닙니다 ({value})",
    "book.lr_eps_positive": "lr과 eps는 양수여야 합니다 (lr = {lr:g}, eps = {eps:g})",
    "book.hyper": "{name}: {value:g}입니다. {rule}여야 합니다",
    "book.race_lr": "{name} ({cell}): 양수가 아닙니다 ({value})",
    "book.data_not_number": "데이터 열에 수가 아닌 값이 있습니다: 데이터가 손상되었습니다",
    "book.data_not_finite": "데이터에 유한하지 않은 수가 있습니다: 데이터가 손상되었습니다",
    "book.one_hot": "one-hot 열 y_1 … y_C에는 행마다 1이 하나, 나머지는 0이어야 합니다: 데이터가 손상되었습니다",
    "book.y_binary": "y에는 0과 1만 있어야 합니다 (행마다 클래스): 데이터가 손상되었습니다",
    "book.history_not_number": "history {row}행에 수가 아닌 값이 있습니다: {values}",
    "book.loss_not_number": "워크북의 Loss 칸이 수가 아닙니다 ({value}): 수식이 손상되었거나 계산되지 않았습니다",
    "book.loss_disagrees": "워크북의 Loss({got:.12g})가 데이터와 W, B로 계산한 모델의 값({expected:.12g})과 다릅니다: 수식이나 데이터가 손상되었습니다",
    "book.restore_empty": "동작 {code}: history가 비어 있어 되돌릴 {name} 값이 없습니다 (스텝은 동작 2부터 시작하세요)",
    "book.steps_at_least_one": "스텝 수는 1 이상이어야 합니다 (받은 값: {steps})",
    # --- classroom.files --- (step/run/next/reset/set on an exercise workbook: the student's cells kept)
    "book.exercise_not_ready": "과제 워크북에서는 여러분의 칸이 보여 주는 값만 붙여넣는데, 아직 그럴 수 없는 칸이 있습니다: {cells}. 수식을 쓰거나 고친 뒤 Excel이나 LibreOffice에서 저장하고 다시 하세요 (gradsheet는 여러분의 칸에 아무것도 쓰지 않습니다)",
    "book.exercise_cell_empty": "{name} ({at}): 비어 있음",
    "book.exercise_cell_shows": "{name} ({at}): 수가 아님 ({value})",
    "book.exercise_cell_differs": "{name} ({at}): 데이터와 지금 입력으로 계산한 값과 다름",
    "book.exercise_seed": "{path}는 과제 워크북입니다: 시드는 과제를 만들 때 정해져 숨은 기록에 들어 있으므로 --seed로 바꾸지 않습니다 (gradsheet reset은 --seed 없이 새 W, B를 정합니다)",
    "book.exercise_array": "{cell}: 배열 수식이 빈칸 밖({range})까지 걸쳐 있어 그대로 다시 쓸 수 없습니다. 워크북은 바뀌지 않았습니다",
    "book.exercise_error_value": "{cell}: 직접 적힌 오류 값({value})은 그대로 다시 쓸 수 없습니다. 워크북은 바뀌지 않았습니다",
    "book.exercise_link": "{cell}: 다른 워크북을 가리키는 수식은 그대로 다시 쓸 수 없습니다. 워크북은 바뀌지 않았습니다",
    "book.exercise_loss_yours": "과제 워크북이라 Loss는 보여 주지 않습니다: 여러분의 Loss 칸이 계산합니다",
    # --- data ---
    # reading the file
    "data.not_found": "데이터 파일이 없습니다: {file}",
    "data.is_directory": "{file}: 데이터 파일이 아니라 폴더입니다",
    "data.cannot_read": "{file}: 파일을 읽을 수 없습니다({why})",
    "data.empty": "{where}: 파일이 비어 있습니다",
    "data.xls": "{where}: 예전 Excel 97-2003(.xls) 통합 문서입니다. .xlsx나 CSV로 저장해 주십시오",
    "data.not_zip": "{where}: Excel .xlsx 통합 문서가 아닙니다(zip 파일이 아닙니다)",
    "data.sheet_for_text": "{where}: 시트({sheet})는 .xlsx 통합 문서에서만 고를 수 있는데, 이 파일은 텍스트 표입니다",
    "data.binary": "{where}: 텍스트 표가 아닙니다: 이진 데이터가 있습니다({line}번째 줄의 문자 {code})",
    "data.csv_error": "{where}: {row}행: {why}",
    "data.encoding": "{where}: 텍스트 표가 아닙니다: UTF-8도 CP949/EUC-KR도 아닌 바이트입니다",
    "data.bad_xlsx": "{where}: zip 파일이지만 읽을 수 있는 Excel .xlsx 통합 문서가 아닙니다({why})",
    "data.no_sheets": "{where}: 통합 문서에 워크시트가 없습니다",
    "data.no_sheet": "{where}: {sheet} 시트가 없습니다. 있는 시트: {sheets}",
    "data.where_sheet": "{file}, {sheet} 시트",
    "data.damaged_xlsx": "{where}: 통합 문서가 손상되었습니다({why})",
    # the table's shape and headings
    "data.title_skipped": "{row}행({cell})은 머리글 위의 제목 줄로 보여 건너뛰었습니다",
    "data.units_skipped": "{row}행({cells})은 머리글 아래의 단위 줄로 보여 건너뛰었습니다",
    "data.index_skipped": "첫 열은 머리글 없이 행을 세는 번호({first} … {last})라서 행 번호로 보고 뺐습니다",
    "data.no_rows": "{where}: 머리글 행만 있고 데이터 행이 없습니다",
    "data.too_many_rows": "{where}: 데이터가 {count:,}행입니다. 통합 문서의 머리글 아래 Excel 시트에는 {most:,}행까지만 들어갑니다",
    "data.blank_row": "{where}: {row}행이 비어 있습니다(빈 행은 표의 끝에만 둘 수 있습니다)",
    "data.ragged": "{where}: {row}행의 칸은 {fields}개인데 머리글 행의 칸은 {width}개입니다",
    "data.empty_heading": "{where}: {column}번째 열에 값은 있지만 머리글이 비어 있습니다",
    "data.duplicate_heading": "{where}: 같은 머리글이 두 번 있습니다: {heading}({first}번째와 {second}번째 열)",
    "data.headings_case": "{where}: 머리글 {first_heading}, {heading}({first}번째와 {second}번째 열)은 대소문자만 다르며, Excel은 둘을 같은 이름으로 봅니다",
    "data.one_column_named": "{where}: 열이 하나({heading})뿐입니다. 입력 열이 하나 이상 있고 목표 열도 있어야 합니다",
    "data.one_column": "{where}: 열이 하나뿐입니다. 입력 열이 하나 이상 있고 목표 열도 있어야 합니다",
    "data.heading_cut": "{heading} 머리글은 {length:,}자라서 {most}자로 잘랐습니다",
    # cells to numbers
    "data.bad_cell": "{where}: {row}행 {column} 열: {why}",
    "data.missing": "값이 비어 있습니다",
    "data.not_a_number": "{cell} 값은 숫자가 아닙니다",
    "data.not_finite": "{cell} 값은 유한한 숫자가 아닙니다",
    "data.too_large": "{cell} 값이 너무 큽니다(절댓값이 {most:g}보다 크면 제곱 오차가 넘칩니다)",
    "data.bad_comma": "{cell} 값은 숫자가 아닙니다(쉼표는 45,000처럼 세 자리마다 쓰거나, 소수점이 없는 열에서 3,9처럼 소수점 대신 씁니다)",
    "data.commas_mixed": "{cell} 값은 뜻이 모호합니다: 이 열에는 소수점 쉼표({decimal})와 천 단위 쉼표({grouped})가 섞여 있습니다. 소수는 점으로 써 주십시오(3.9)",
    "data.unit_differs": "{cell} 값은 이 열의 단위({unit})와 다른 단위를 씁니다(한 열에는 한 단위만 쓸 수 있습니다)",
    "data.read": "{column} 열: {parts}",
    "data.read_thousands_one": "천 단위 쉼표를 빼고 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_thousands": "천 단위 쉼표를 빼고 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_decimal_comma_one": "쉼표를 소수점으로 쓴 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_decimal_comma": "쉼표를 소수점으로 쓴 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_unit_one": "단위({unit})를 떼고 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_unit": "단위({unit})를 떼고 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_percent_one": "퍼센트 값 {count:,}개를 Excel처럼 소수로 읽었습니다(예: {cell} → {number})",
    "data.read_percent": "퍼센트 값 {count:,}개를 Excel처럼 소수로 읽었습니다(예: {cell} → {number})",
    # choosing the columns
    "data.no_features": "입력 열이 없습니다: 표에 열이 두 개 이상 있어야 합니다",
    "data.target_is_feature": "{column} 열을 목표와 입력으로 함께 쓸 수 없습니다",
    "data.feature_twice": "{column} 열을 입력으로 두 번 골랐습니다",
    "data.too_many_features": "{name}: 입력 열이 {count}개입니다. 행마다 쓰는 수식에는 {most}개까지만 들어갑니다(Excel 수식은 8,192자까지). 입력을 줄여 주십시오",
    "data.column_at": "{column}({number}번째 열)",
    "data.or": " 또는 ",
    "data.no_column_close": "{column} 열이 없습니다. 혹시 {options}입니까?",
    "data.no_column": "{column} 열이 없습니다. 있는 열: {columns}",
    "data.no_column_many": "{column} 열이 없습니다. 있는 열: {columns} 등 모두 {count}개",
    "data.column_example": "{column}({row}행의 {cell})",
    "data.column_empty": "{column}(빈 열)",
    "data.left_out_one": "숫자가 없는 열을 입력에서 뺐습니다: {columns}",
    "data.left_out": "숫자가 없는 열 {count}개를 입력에서 뺐습니다: {columns}",
    "data.left_out_more": "숫자가 없는 열 {count}개를 입력에서 뺐습니다: {columns} 외 {more}개",
    "data.no_numbers": "{where}: 목표 {target} 말고는 숫자가 있는 열이 없습니다: {columns}",
    "data.row_numbers_count": "{column} 열은 행을 세는 번호({first}, {second}, … {last})로 보여 입력에서 뺐습니다. 입력으로 쓰려면 --features로 지정해 주십시오",
    "data.row_numbers_heading": "{column} 열은 머리글로 보아 행 번호나 ID이므로 입력에서 뺐습니다. 입력으로 쓰려면 --features로 지정해 주십시오",
    "data.row_numbers": "행 번호나 ID로 보이는 열 {count}개를 입력에서 뺐습니다: {columns}. 입력으로 쓰려면 --features로 지정해 주십시오",
    "data.only_row_numbers": "{where}: 숫자가 있는 입력 열({columns})이 행 번호나 ID로 보입니다. 이런 열은 기본으로 입력에 넣지 않으니, 그래도 쓰려면 --features {first}처럼 지정해 주십시오",
    "data.scales_differ": "입력의 크기가 {ratio}배나 다릅니다({big} 약 {big_size}, {small} 약 {small_size}). 학습률 하나가 두 입력 모두에 맞을 수는 없습니다. --scale standard를 쓰면 모든 입력이 평균 0, 표준편차 1이 됩니다",
    # a class target
    "data.classes_need_classifier": "--classes는 분류 목표의 클래스 순서를 정합니다. --model {model} 모델은 숫자를 학습합니다(--model logistic 또는 softmax를 쓰십시오)",
    "data.text_target": "{where}: 목표 {target}에는 숫자가 아니라 글자가 있습니다({row}행의 {cell}). --model {model} 모델은 숫자를 학습합니다(클래스를 배우려면 --model logistic 또는 softmax를 쓰거나 --model을 빼십시오)",
    "data.one_class": "{where}: 목표 {target}에는 클래스가 하나({label})뿐입니다. 분류에는 클래스가 2~{most}개 있어야 합니다",
    "data.too_many_labels": "{where}: 목표 {target}에는 서로 다른 이름이 {count:,}개 있습니다. 분류는 클래스를 {most}개까지만 다룹니다",
    "data.too_many_values": "{where}: 목표 {target}에는 서로 다른 숫자가 {count:,}개 있습니다. 분류는 클래스를 {most}개까지만 다룹니다",
    "data.logistic_two": "--model logistic은 클래스 2개를 학습하는데, 목표 {target}에는 {count}개({classes})가 있습니다. --model softmax를 쓰십시오",
    "data.classes_logistic": "목표 {target}에 클래스가 2개({classes}) 있어 로지스틱 회귀로 학습합니다(--model logistic). p는 {positive}일 확률입니다(순서는 --classes로 정합니다)",
    "data.classes_softmax": "목표 {target}에 클래스가 {count}개({classes}) 있어 소프트맥스 회귀로 학습합니다(--model softmax)",
    "data.classes_empty_name": "--classes {classes}에 빈 클래스 이름이 있습니다",
    "data.label_missing": "클래스 이름이 비어 있습니다",
    "data.not_zero_one": "{where}: {row}행 {column} 열: {cell} 값은 0도 1도 아닙니다(--model logistic은 숫자 목표를 클래스 0과 1로 읽습니다. 다른 숫자는 --model softmax로 쓰십시오)",
    "data.no_class_close": "--classes: 목표 {target}에 {name} 클래스가 없습니다. 혹시 {options}입니까?",
    "data.no_class": "--classes: 목표 {target}에 {name} 클래스가 없습니다. 있는 클래스: {classes}",
    "data.class_twice": "--classes에 {name} 클래스가 두 번 있습니다",
    "data.classes_left_out": "--classes에서 목표 {target}의 클래스가 빠졌습니다: {left}. 클래스 {count}개를 모두 한 번씩 써 주십시오",
    "data.labels_case": "목표 {target}: 대소문자만 다른 두 이름({first}, {second})을 서로 다른 클래스로 봅니다",
    # --- preset ---
    "preset.unknown": "{name} 프리셋이 없습니다. 있는 프리셋: {names}",
    "preset.not_found": "프리셋 파일이 없습니다: {path}",
    "preset.bad_toml": "{path}: 올바른 TOML 프리셋이 아닙니다({why})",
    "preset.unknown_key": "{path}: 알 수 없는 프리셋 키 {option}입니다. 쓸 수 있는 키: {keys}",
    "preset.wrong_type": "{path}: {option} 값의 형식이 맞지 않습니다({type})",
    # --- addin ---
    "addin.not_a_folder": "폴더가 아닙니다: {path}",
    "addin.cannot_write": "{path}에 추가 기능을 쓸 수 없습니다: {reason}",
    "addin.wrote": "작성함: {path}",
    "addin.removed": "삭제함: {path} (이 모듈은 이제 gradsheet와 함께 설치됩니다)",
    "addin.remake": "이 추가 기능은 xlwings {version}용으로 만들어졌습니다. xlwings를 업그레이드한 뒤에는 "
                    "`gradsheet addin`으로 추가 기능을 다시 만드세요.",
    "addin.description": "GradSheet 리본 단추 '{label}' (gradsheet {gradsheet}, xlwings {version} 추가 기능 "
                         "템플릿). xlwings를 업그레이드한 뒤에는 `gradsheet addin`으로 다시 만드세요.",
    "addin.status": "gradsheet: {text}",
    # --- classroom ---
    "classroom.roster_not_found": "명단 파일이 없습니다: {path}",
    "classroom.roster_unreadable": "명단을 읽을 수 없습니다: {path} ({reason})",
    "classroom.roster_empty": "{path}: 명단이 비어 있습니다",
    "classroom.roster_no_id": "{path}: 명단에 'id' 열이 없습니다 (제목: {heads})",
    "classroom.none": "없음",
    "classroom.roster_row_no_id": "{path}: {row}행에 id가 없습니다",
    "classroom.roster_bad_id": "{path}: {row}행: id {id}: 파일 이름이 될 수 없습니다 (/ \\ : * ? \" < > | 와 맨 앞의 점은 안 됩니다)",
    "classroom.roster_twice": "{path}: id {id}: 두 번 나옵니다 ({first}행과 {row}행)",
    "classroom.roster_no_students": "{path}: 명단에 학생이 없습니다",
    "classroom.blank_unknown": "--blank {name}: 학생이 쓸 수식 칸이 아닙니다. {kinds} (P: 모든 매개변수) 또는 {allowed} 중에서 고르세요",
    "classroom.blank_none": "--blank에 칸 이름이 없습니다",
    "classroom.linear_only": "--model {model}: 과제는 강의의 주제인 선형 회귀(linear) 모델로만 만듭니다",
    "classroom.target_classes": "{name}: 목표 열 {target}에 클래스가 있습니다. 과제는 선형 회귀(linear) 모델로만 만드니 수로 된 --target을 고르세요",
    "classroom.cannot_make_folder": "폴더를 만들 수 없습니다: {folder} ({reason})",
    "classroom.no_key": "{folder}에 답안 키가 없습니다 ({file}: gradsheet exercise가 씁니다)",
    "classroom.key_unreadable": "{path}: 읽을 수 있는 답안 키가 아닙니다",
    "classroom.key_format": "{path}: 형식 {format}의 gradsheet 답안 키가 아닙니다",
    "classroom.wrote": "과제 워크북 {count}개를 저장했습니다: {folder} (빈칸: {blank})",
    "classroom.key": "답안 키: {path} (잘 보관하세요. 학생에게는 .xlsx 파일만 나눠 주세요)",
    "classroom.lr_lowered": "자기 숫자에서 수렴하도록 lr을 낮춘 학생: {ids}",
    # --- settings --- (the options of build and exercise, and `gradsheet set`)
    "settings.positive": "--{name}: 양수여야 합니다 (받은 값: {value})",
    "settings.choice": "--{name}: {choices} 중 하나여야 합니다 (받은 값: {value})",
    "settings.whole_number": "--{name}: 0부터 100000까지의 정수여야 합니다 (받은 값: {value})",
    "settings.classes": "--model {model}, 클래스 {classes}: 분류 모델에는 클래스 이름이 있어야 하고 (logistic: 2개), 회귀 모델에는 없어야 합니다",
    "settings.hyper": "--{name}: {rule}여야 합니다 (받은 값: {value})",
    "settings.rule_decay": "0 이상 1 미만의 수",
    "settings.rule_positive": "양수",
    "settings.race_lr": "{name}: 양수여야 합니다 (받은 값: {value})",
    # --- run --- (what a step did to Loss: step, run, next, the buttons)
    "run.loss_up": "Loss가 올라갔습니다 ({before:.6g} → {after:.6g}).",
    "run.loss_up_some": "{steps} 스텝 중 {ups} 스텝에서 Loss가 올라갔습니다. 처음은 history의 {at}번째 스텝입니다 ({rise_from:.6g} → {rise_to:.6g}).",
    "run.loss_up_all": "{steps} 스텝 모두 Loss가 올라갔습니다 ({before:.6g} → {after:.6g}).",
    "run.lr_too_large": "lr = {lr:g}: 이 데이터에는 너무 큽니다. lr이 {limit:.3g}보다 작으면 반드시 수렴합니다.",
    "run.lr_too_large_here": "lr = {lr:g}: 여기서는 너무 큽니다. {optimizer}에서는 스텝마다 매개변수가 lr 정도씩 움직여서, 가장 낮은 곳 가까이에서는 그 너머로 지나갔다가 돌아옵니다.",
    "run.overshoot": "모멘텀이 최솟값을 지나쳤다가 돌아오는 중입니다. lr = {lr:g}: 안정한 한계 {limit:.3g}보다 작으니, 스텝을 이어 가면 Loss가 다시 줄어듭니다.",
    "run.slope_error": "lr = {lr:g}: 너무 크지 않습니다 (안정한 한계 {limit:.3g}). eps로 잰 기울기는 참 기울기와 조금 달라서, 참 기울기가 작은 곳에서는 한 스텝에 Loss가 아주 조금 올라갈 수 있습니다.",
    "run.advice": "{cell}의 lr을 더 작게 하세요 (예: {suggestion:g}).",
    "run.advice_command": "{cell}의 lr을 더 작게 하세요 (예: {suggestion:g}). 명령으로는 gradsheet set {file} --lr {suggestion:g}",
    "run.blew_up": "{done} 스텝 뒤 멈췄습니다: 다음 스텝은 Loss를 발산 한계({limit:.3g}) 너머로 보내서 쓰지 않았습니다.",
    "run.blew_up_one": "1 스텝 뒤 멈췄습니다: 다음 스텝은 Loss를 발산 한계({limit:.3g}) 너머로 보내서 쓰지 않았습니다.",
    "run.blew_up_first": "아무것도 쓰지 않았습니다: 첫 스텝이 Loss를 발산 한계({limit:.3g}) 너머로 보냅니다. 매개변수는 그대로입니다 (Loss = {loss:.6g}).",
    "run.kept": "매개변수는 마지막으로 쓴 스텝 뒤의 값입니다: Loss = {loss:.6g} (시작할 때 {start:.6g}).",
    "run.kept_worse": "매개변수는 마지막으로 쓴 스텝 뒤의 값으로, 좋은 값이 아닙니다: Loss = {loss:.6g}, 시작할 때({start:.6g})보다 큽니다.",
    "run.already_past": "아무것도 쓰지 않았습니다: Loss가 이미 발산 한계({limit:.3g})를 넘었습니다 (Loss = {loss:.6g}).",
    "run.advice_no_cell": "lr을 더 작게 하세요 (예: {suggestion:g}).",
    "run.advice_closer": "{cell}의 lr을 더 작게 하면 (예: {suggestion:g}) 스텝은 더 걸리지만 더 가까이 다가갑니다.",
    "run.advice_closer_command": "{cell}의 lr을 더 작게 하면 (예: {suggestion:g}) 스텝은 더 걸리지만 더 가까이 다가갑니다. 명령으로는 gradsheet set {file} --lr {suggestion:g}",
    "run.advice_closer_no_cell": "lr을 더 작게 하면 (예: {suggestion:g}) 스텝은 더 걸리지만 더 가까이 다가갑니다.",
    "run.advice_reset": "초기화(스텝 1)로 W, B를 새로 정하고, {cell}의 lr을 더 작게 하세요 (예: {suggestion:g}).",
    "run.advice_reset_no_cell": "초기화(스텝 1)로 W, B를 새로 정하고, lr을 더 작게 하세요 (예: {suggestion:g}).",
    "run.advice_reset_command": "초기화(스텝 1)로 W, B를 새로 정하고 lr을 더 작게 하세요: gradsheet reset {file}, gradsheet set {file} --lr {suggestion:g}",
    # --- grade --- (report.csv's status column and the feedback files: the answer key's language)
    "grade.graded": "제출물 {count}개를 채점했습니다 (만점 {full}개). 보고서: {report}, 피드백 파일 {notes}개: {folder}",
    "grade.not_workbook": "워크북이 아닙니다 (.xlsx 또는 .ods여야 하는데 '{suffix}'입니다)",
    "grade.no_suffix": "확장자 없음",
    "grade.too_big": "거부: 파일이 {mb:.0f} MB입니다 (한도 {limit} MB)",
    "grade.too_many_parts": "거부: 파일의 부분이 {parts}개입니다 (한도 {limit}개)",
    "grade.part_too_big": "거부: 풀면 {mb:.0f} MB가 되는 부분이 있습니다 ({part}, 한도 {limit} MB). zip 폭탄일 수 있습니다",
    "grade.zip_bomb": "거부: 풀면 {limit} MB를 넘는 부분이 있습니다 ({part}). zip 폭탄일 수 있습니다",
    "grade.damaged_zip": "읽을 수 있는 워크북이 아닙니다 (zip이 손상되었습니다)",
    "grade.unreadable": "읽을 수 있는 워크북이 아닙니다 ({reason})",
    "grade.timed_out": "{seconds:g}초 안에 끝나지 않았습니다 (엔진을 다시 시작했습니다)",
    "grade.stopped_engine": "읽을 수 있는 워크북이 아닙니다 (엔진이 멈춰서 다시 시작했습니다)",
    "grade.engine_refused": "읽을 수 있는 워크북이 아닙니다 (LibreOffice: {error})",
    "grade.cannot_open": "읽을 수 있는 워크북이 아닙니다 (LibreOffice가 열지 못했습니다)",
    "grade.grader_failed": "채점하지 못했습니다: 채점기 오류 ({error}). 알려 주세요",
    "grade.not_exercise": "gradsheet 과제 워크북이 아닙니다 (설정 시트가 없습니다)",
    "grade.other_exercise": "다른 과제의 워크북입니다 (이 답안 키로 만들지 않았습니다)",
    "grade.other_student": "다른 학생의 워크북입니다 ({owner}의 것)",
    "grade.lost_names": "사라진 이름: {names} (원래 자리에서 채점했습니다)",
    "grade.not_on_roster": "명단에 없습니다",
    "grade.not_submitted": "제출하지 않았습니다",
    "grade.file_not_found": "파일이 없습니다",
    "grade.no_uno": "LibreOffice의 파이썬 연결(uno)을 불러올 수 없습니다 ({error}): apt-get install python3-uno",
    "grade.no_soffice": "PATH에 {program} 프로그램이 없습니다: apt-get install libreoffice-calc",
    # --- os --- (why the system refused a file or folder)
    "os.denied": "권한이 없습니다",
    "os.no_space": "디스크 공간이 없습니다",
    "os.read_only": "읽기 전용입니다",
    "os.missing": "없습니다",
    "os.is_folder": "폴더입니다",
    "os.other": "시스템 오류: {detail}",
    # --- click --- (click's own usage errors, by their English text: gradsheet/cli.py hands them to click)
    "click.error": "오류: {message}",
    "click.try_help": "도움말은 '{command} {option}'에 있습니다.",
    "click.invalid_value_for": "{param_hint}의 값이 잘못되었습니다: {message}",
    "click.invalid_value": "값이 잘못되었습니다: {message}",
    "click.missing_argument": "인자가 빠졌습니다:",
    "click.missing_option": "옵션이 빠졌습니다:",
    "click.missing_parameter": "값이 빠졌습니다:",
    "click.missing_command": "명령이 빠졌습니다.",
    "click.no_such_option": "그런 옵션이 없습니다: {name!r}.",
    "click.no_such_command": "그런 명령이 없습니다: {name!r}.",
    "click.did_you_mean": "혹시 {possibility} 말인가요?",
    "click.did_you_mean_one_of": "(혹시 이 중 하나인가요: {possibilities}?)",
    "click.not_a_number": "{value!r}: 수가 아닙니다 ({number_type}).",
    "click.not_in_range": "{value}: 범위 {range} 밖입니다.",
    "click.not_the_choice": "{value!r}: {choice}만 됩니다.",
    "click.not_a_choice": "{value!r}: {choices} 중 하나여야 합니다.",
    "click.extra_argument": "필요 없는 인자가 있습니다 ({args})",
    "click.extra_arguments": "필요 없는 인자들이 있습니다 ({args})",
    "click.needs_value": "옵션 {name!r}에는 값이 필요합니다.",
    "click.needs_values": "옵션 {name!r}에는 값이 {nargs}개 필요합니다.",
    "click.takes_no_value": "옵션 {name!r}에는 값을 줄 수 없습니다.",
    "click.path_missing": "{filename!r}: 없습니다 ({name}).",
    "click.path_is_file": "{filename!r}: 파일입니다 (필요한 것: {name}).",
    "click.path_is_folder": "{filename!r}: 폴더입니다 (필요한 것: {name}).",
    "click.aborted": "중단했습니다!",
}

EN: dict[str, str] = {
    # --- cli ---
    "cli.error": "gradsheet: error: {text}",
    "cli.warning": "gradsheet: warning: {text}",
    "cli.needs_libreoffice": "grading needs LibreOffice: {reason}",
    "cli.progress": "steps",
    # --- build ---
    "build.built": "wrote {path}: {n} rows, {features} -> {target}; lr = {lr:g}, eps = {eps:g}",
    "build.more": "… ({count} in all)",
    "build.same_as_input": "-o {out} is the data file itself; gradsheet never writes over its input: choose another output name",
    "build.not_xlsx": "-o {out}: the output must be an .xlsx file (a name ending in .xlsx)",
    "build.no_folder": "output folder does not exist: {folder}",
    "build.cannot_write_folder": "cannot write to folder {folder} ({reason})",
    "build.left_out": "the {sheets} sheet is left out: the sums it reads, over {n:,} rows x {k} features, would make every edit recalculate for seconds; ask for it with {asks}",
    "build.left_out_many": "the {sheets} sheets are left out: the sums they read, over {n:,} rows x {k} features, would make every edit recalculate for seconds; ask for them with {asks}",
    "build.fewer_rows": "the '{sheet}' sheet has {rows} rows, not {full}, so that recalculating {k} features stays quick; choose with --{option} N",
    "build.ce_landscape_left_out": "the '{sheet}' sheet is left out: its {cells} cells each compute cross-entropy over {n:,} rows, which would make every edit slow to recalculate; ask for it with --landscape {pair}",
    "build.ce_fewer_rows": "the '{sheet}' sheet has {rows} rows, not {full}, so that recalculating cross-entropy over {n:,} rows x {params} parameters stays quick; choose with --unrolled N",
    "build.ce_compare_left_out": "the '{sheet}' sheet is left out: its four lanes of {full} cross-entropy steps over {n:,} rows would make every edit slow to recalculate; ask for it with --compare N",
    "build.lr_unstable": "lr = {lr:g} is above the largest stable learning rate for this data ({limit:.3g}, from the loss's curvature): the descent will diverge; try --lr {suggestion:g}",
    "build.lr_unstable_scale": "lr = {lr:g} is above the largest stable learning rate for this data ({limit:.3g}, from the loss's curvature): the descent will diverge; try --lr {suggestion:g} or rescale the features with --scale standard",
    "build.lr_slow": "lr = {lr:g} is {times:,.0f}× below the largest stable learning rate for this data ({limit:.3g}): {steps} steps bring Loss {share} of the way down to its minimum; try --lr {suggestion:g}",
    "build.share_at_most": "at most {share:.0%}",
    "build.share_below_1": "less than 1%",
    "build.classifier_lr": "lr = {lr:g} for this classifier (safely below its stable limit); choose another with --lr",
    "build.landscape_pair": "--landscape takes two different parameters out of {names} (or none); got {got}",
    # --- book ---
    "book.wrote_one": "wrote {path}: {rows} history row",
    "book.wrote_many": "wrote {path}: {rows} history rows",
    "book.next_up": "next: {action}",
    "book.set": "{path}: {what}",
    "book.nothing_set": "nothing to set: give --lr, --eps or --seed",
    "book.not_found": "workbook not found: {path}",
    "book.unreadable": "{path}: not a readable .xlsx workbook ({kind})",
    "book.in_file": "{path}: {error}",
    "book.no_meta": "not a gradsheet workbook (it has no '{sheet}' sheet); make one with gradsheet build",
    "book.meta_damaged": "its '{sheet}' sheet is damaged (key {key})",
    "book.not_gradsheet": "not a gradsheet workbook (its settings sheet is not gradsheet's)",
    "book.sheet_missing": "the sheet '{sheet}' is missing",
    "book.unknown_model": "its '{sheet}' sheet names an unknown model: {model}",
    "book.unknown_optimizer": "its '{sheet}' sheet names an unknown optimizer: {optimizer}",
    "book.lost_names": "the workbook lost its names W/B/y; it cannot be stepped",
    "book.name_moved": "the name '{name}' no longer points where gradsheet put it; the workbook's structure was changed",
    "book.not_number": "{name} holds {value}, not a number",
    "book.not_finite": "{name} holds {value}, not a finite number",
    "book.lr_eps_positive": "lr and eps must be positive (lr = {lr:g}, eps = {eps:g})",
    "book.hyper": "{name} holds {value:g}; it must be {rule}",
    "book.race_lr": "{name} ({cell}) holds {value}, not a positive number",
    "book.data_not_number": "the data columns hold a non-number; the data was damaged",
    "book.data_not_finite": "the data holds a non-finite number; the data was damaged",
    "book.one_hot": "the one-hot columns y_1 … y_C must hold one 1 per row and 0 elsewhere; the data was damaged",
    "book.y_binary": "y must hold only 0 and 1 (the class of each row); the data was damaged",
    "book.history_not_number": "history row {row} holds a non-number: {values}",
    "book.loss_not_number": "the workbook's Loss cell holds {value}, not a number; its formulas may be damaged or not calculated",
    "book.loss_disagrees": "the workbook's Loss ({got:.12g}) disagrees with the model ({expected:.12g}) for its data and W, B: its formulas or data were damaged",
    "book.restore_empty": "action {code}: history is empty, so there is no saved value of {name} to restore (start the step with action 2)",
    "book.steps_at_least_one": "the number of steps must be at least 1, got {steps}",
    # --- classroom.files --- (step/run/next/reset/set on an exercise workbook: the student's cells kept)
    "book.exercise_not_ready": "on an exercise workbook this command pastes only the values your own cells show, and some cannot be pasted yet: {cells}. Write or fix their formulas, save the workbook in Excel or LibreOffice, and try again (gradsheet writes nothing into your cells)",
    "book.exercise_cell_empty": "{name} ({at}) is empty",
    "book.exercise_cell_shows": "{name} ({at}) shows {value}, not a number",
    "book.exercise_cell_differs": "{name} ({at}) shows another value than its data and inputs give",
    "book.exercise_seed": "{path} is an exercise workbook: its seed was set when the exercise was made and belongs to its hidden record, so --seed is refused (gradsheet reset without --seed gives new W, B)",
    "book.exercise_array": "{cell}: an array formula spans {range}, beyond the blank cells, so it cannot be written back as it is; the workbook was not changed",
    "book.exercise_error_value": "{cell}: the error value {value} typed in cannot be written back as it is; the workbook was not changed",
    "book.exercise_link": "{cell}: a formula that refers to another workbook cannot be written back as it is; the workbook was not changed",
    "book.exercise_loss_yours": "an exercise workbook: Loss is not shown here; your own Loss cell computes it",
    # --- data ---
    # reading the file
    "data.not_found": "data file not found: {file}",
    "data.is_directory": "{file} is a directory, not a data file",
    "data.cannot_read": "cannot read {file}: {why}",
    "data.empty": "{where}: the file is empty",
    "data.xls": "{where}: an old Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV",
    "data.not_zip": "{where}: not an Excel .xlsx workbook (the file is not a zip archive)",
    "data.sheet_for_text": "{where}: sheet {sheet} was asked for, but the file is a text table, not an .xlsx workbook",
    "data.binary": "{where}: not a text table: binary data (character {code} on line {line})",
    "data.csv_error": "{where}: row {row}: {why}",
    "data.encoding": "{where}: not a text table: the bytes are neither UTF-8 nor CP949/EUC-KR text",
    "data.bad_xlsx": "{where}: a zip archive but not a readable Excel .xlsx workbook ({why})",
    "data.no_sheets": "{where}: the workbook has no worksheets",
    "data.no_sheet": "{where}: no sheet {sheet}; the sheets are: {sheets}",
    "data.where_sheet": "{file}, sheet {sheet}",
    "data.damaged_xlsx": "{where}: the workbook is damaged ({why})",
    # the table's shape and headings
    "data.title_skipped": "row {row} ({cell}) looks like a title above the headings: skipped",
    "data.units_skipped": "row {row} ({cells}) looks like units under the headings: skipped",
    "data.index_skipped": "the first column has no heading and counts the rows ({first} … {last}): left out as row numbers",
    "data.no_rows": "{where}: a header row but no data rows",
    "data.too_many_rows": "{where}: {count:,} data rows; at most {most:,} fit on an Excel sheet below the workbook's header",
    "data.blank_row": "{where}: row {row} is empty (blank rows are allowed only at the end)",
    "data.ragged": "{where}: row {row} has {fields} fields, but the header row has {width}",
    "data.empty_heading": "{where}: column {column} has values but an empty heading",
    "data.duplicate_heading": "{where}: duplicate heading {heading} (columns {first} and {second})",
    "data.headings_case": "{where}: headings {first_heading} and {heading} (columns {first} and {second}) differ only in letter case, and Excel treats them as the same",
    "data.one_column_named": "{where}: only one column ({heading}); the table needs at least one feature column and a target column",
    "data.one_column": "{where}: only one column; the table needs at least one feature column and a target column",
    "data.heading_cut": "heading {heading} is {length:,} characters long; cut to {most}",
    # cells to numbers
    "data.bad_cell": "{where}: row {row}, column {column}: {why}",
    "data.missing": "the value is missing",
    "data.not_a_number": "{cell} is not a number",
    "data.not_finite": "{cell} is not a finite number",
    "data.too_large": "{cell} is too large (beyond ±{most:g} the squared errors overflow)",
    "data.bad_comma": "{cell} is not a number (a comma is read between groups of three digits, as in 45,000, or as the decimal comma of a column without decimal points, as in 3,9)",
    "data.commas_mixed": "{cell} is ambiguous: the column has both decimal commas ({decimal}) and thousands separators ({grouped}); write decimals with a point (3.9)",
    "data.unit_differs": "{cell} has another unit than the column's ({unit}); a column takes one unit",
    "data.read": "column {column}: {parts}",
    "data.read_thousands_one": "{count:,} number with thousands separators read as a plain number (e.g. {cell} → {number})",
    "data.read_thousands": "{count:,} numbers with thousands separators read as plain numbers (e.g. {cell} → {number})",
    "data.read_decimal_comma_one": "{count:,} decimal comma read as a decimal point (e.g. {cell} → {number})",
    "data.read_decimal_comma": "{count:,} decimal commas read as decimal points (e.g. {cell} → {number})",
    "data.read_unit_one": "{count:,} number read without its unit {unit} (e.g. {cell} → {number})",
    "data.read_unit": "{count:,} numbers read without their unit {unit} (e.g. {cell} → {number})",
    "data.read_percent_one": "{count:,} percentage read as a fraction, as Excel stores it (e.g. {cell} → {number})",
    "data.read_percent": "{count:,} percentages read as fractions, as Excel stores them (e.g. {cell} → {number})",
    # choosing the columns
    "data.no_features": "no feature columns: the table needs at least two columns",
    "data.target_is_feature": "column {column} cannot be both target and feature",
    "data.feature_twice": "feature column {column} is chosen twice",
    "data.too_many_features": "{name}: {count} feature columns; at most {most} fit in the per-row formula (Excel allows 8,192 characters); choose fewer features",
    "data.column_at": "{column} (column {number})",
    "data.or": " or ",
    "data.no_column_close": "no column {column}; did you mean {options}?",
    "data.no_column": "no column {column}; the columns are: {columns}",
    "data.no_column_many": "no column {column}; the columns are: {columns}, ... ({count} in all)",
    "data.column_example": "{column} ({cell} in row {row})",
    "data.column_empty": "{column} (empty)",
    "data.left_out_one": "left out a column without numbers: {columns}",
    "data.left_out": "left out {count} columns without numbers: {columns}",
    "data.left_out_more": "left out {count} columns without numbers: {columns} and {more} more",
    "data.no_numbers": "{where}: no column besides the target {target} holds numbers: {columns}",
    "data.row_numbers_count": "left out {column}: it counts the rows ({first}, {second}, … {last}) like row numbers; to use it as an input, name it with --features",
    "data.row_numbers_heading": "left out {column}: its heading names row numbers or ids; to use it as an input, name it with --features",
    "data.row_numbers": "left out {count} columns of row numbers or ids: {columns}; to use them as inputs, name them with --features",
    "data.only_row_numbers": "{where}: every input column with numbers ({columns}) looks like row numbers or ids, which are not inputs by default; to learn from it anyway, name it: --features {first}",
    "data.scales_differ": "inputs on scales {ratio}× apart ({big} about {big_size}, {small} about {small_size}): no one learning rate suits both; --scale standard would give every input mean 0 and standard deviation 1",
    # a class target
    "data.classes_need_classifier": "--classes orders the classes of a class target; --model {model} learns a number (use --model logistic or softmax)",
    "data.text_target": "{where}: target {target} holds text ({cell} in row {row}), not numbers; --model {model} learns a number (--model logistic or softmax, or no --model, learns its classes)",
    "data.one_class": "{where}: target {target} holds only 1 class ({label}); classification needs 2 to {most} classes",
    "data.too_many_labels": "{where}: target {target} holds {count:,} different labels; classification takes at most {most} classes",
    "data.too_many_values": "{where}: target {target} holds {count:,} different values; classification takes at most {most} classes",
    "data.logistic_two": "--model logistic learns 2 classes, but target {target} holds {count} ({classes}); use --model softmax",
    "data.classes_logistic": "target {target} holds 2 classes ({classes}): logistic regression (--model logistic), p is the probability of {positive} (--classes orders them)",
    "data.classes_softmax": "target {target} holds {count} classes ({classes}): softmax regression (--model softmax)",
    "data.classes_empty_name": "--classes {classes} has an empty class name",
    "data.label_missing": "the class label is missing",
    "data.not_zero_one": "{where}: row {row}, column {column}: {cell} is neither 0 nor 1 (--model logistic reads a numeric target as the classes 0 and 1; --model softmax takes other numbers)",
    "data.no_class_close": "--classes: no class {name} in target {target}; did you mean {options}?",
    "data.no_class": "--classes: no class {name} in target {target}; its classes are: {classes}",
    "data.class_twice": "--classes names class {name} twice",
    "data.classes_left_out": "--classes leaves out {left} of target {target}; name each of its {count} classes once",
    "data.labels_case": "target {target}: labels {first} and {second} differ only in letter case, so they are two classes",
    # --- preset ---
    "preset.unknown": "no preset {name}; the presets are: {names}",
    "preset.not_found": "preset not found: {path}",
    "preset.bad_toml": "{path}: not a valid TOML preset ({why})",
    "preset.unknown_key": "{path}: unknown preset key {option}; the keys are: {keys}",
    "preset.wrong_type": "{path}: {option} has the wrong type ({type})",
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
    "addin.status": "gradsheet: {text}",
    # --- classroom ---
    "classroom.roster_not_found": "roster not found: {path}",
    "classroom.roster_unreadable": "cannot read the roster {path} ({reason})",
    "classroom.roster_empty": "{path}: the roster is empty",
    "classroom.roster_no_id": "{path}: the roster has no 'id' column (its headings: {heads})",
    "classroom.none": "none",
    "classroom.roster_row_no_id": "{path}: row {row} has no id",
    "classroom.roster_bad_id": "{path}: row {row}: id {id} cannot name a file (no / \\ : * ? \" < > |, no leading dot)",
    "classroom.roster_twice": "{path}: id {id} appears twice (rows {first} and {row})",
    "classroom.roster_no_students": "{path}: the roster lists no students",
    "classroom.blank_unknown": "--blank {name}: not a formula cell students can write here; choose from {kinds} (P: every parameter) or one of {allowed}",
    "classroom.blank_none": "--blank names no cell",
    "classroom.linear_only": "--model {model}: exercises are made for the linear (regression) model only, the course's lesson",
    "classroom.target_classes": "{name}: target {target} holds classes; exercises are made for the linear (regression) model only: choose a numeric --target",
    "classroom.cannot_make_folder": "cannot make the folder {folder} ({reason})",
    "classroom.no_key": "no answer key in {folder} (expected {file}, written by gradsheet exercise)",
    "classroom.key_unreadable": "{path}: not a readable answer key",
    "classroom.key_format": "{path}: not a gradsheet answer key of format {format}",
    "classroom.wrote": "wrote {count} exercise workbooks to {folder} (blank: {blank})",
    "classroom.key": "answer key: {path} (keep it; hand out only the .xlsx files)",
    "classroom.lr_lowered": "lr lowered to converge on their numbers for: {ids}",
    # --- settings --- (the options of build and exercise, and `gradsheet set`)
    "settings.positive": "--{name} must be a positive number, got {value}",
    "settings.choice": "--{name} must be one of {choices}, got {value}",
    "settings.whole_number": "--{name} must be a whole number from 0 to 100000, got {value}",
    "settings.classes": "--model {model} with classes {classes}: a classifier needs its class names (logistic: 2), a regression none",
    "settings.hyper": "--{name} must be {rule}, got {value}",
    "settings.rule_decay": "a number from 0 up to (not including) 1",
    "settings.rule_positive": "a positive number",
    "settings.race_lr": "{name} must be a positive number, got {value}",
    # --- run --- (what a step did to Loss: step, run, next, the buttons)
    "run.loss_up": "Loss went up ({before:.6g} → {after:.6g}).",
    "run.loss_up_some": "Loss went up in {ups} of {steps} steps, first in history step {at} ({rise_from:.6g} → {rise_to:.6g}).",
    "run.loss_up_all": "Loss went up in each of the {steps} steps ({before:.6g} → {after:.6g}).",
    "run.lr_too_large": "lr = {lr:g} is too large for this data: below {limit:.3g} the descent is sure to settle.",
    "run.lr_too_large_here": "lr = {lr:g} is too large here: {optimizer} moves each parameter by about lr a step, so near the lowest point it steps past it and back.",
    "run.overshoot": "Momentum overshot the minimum and is coming back. lr = {lr:g} is below its stable limit ({limit:.3g}), so Loss comes down again as the steps go on.",
    "run.slope_error": "lr = {lr:g} is not too large (its stable limit is {limit:.3g}): the slope measured with eps is not quite the true slope, so where the true slope is small a step can raise Loss by a hair.",
    "run.advice": "Make lr in {cell} smaller (e.g. {suggestion:g}).",
    "run.advice_command": "Make lr in {cell} smaller (e.g. {suggestion:g}); on the command line: gradsheet set {file} --lr {suggestion:g}",
    "run.blew_up": "Stopped after {done} steps: the next step would take Loss past the blow-up limit ({limit:.3g}), so it was not written.",
    "run.blew_up_one": "Stopped after 1 step: the next step would take Loss past the blow-up limit ({limit:.3g}), so it was not written.",
    "run.blew_up_first": "Nothing was written: the first step would take Loss past the blow-up limit ({limit:.3g}). The parameters stay as they were (Loss = {loss:.6g}).",
    "run.kept": "The parameters are those after the last step written: Loss = {loss:.6g} ({start:.6g} at the start).",
    "run.kept_worse": "The parameters are those after the last step written, and they are not good ones: Loss = {loss:.6g}, above the {start:.6g} it started from.",
    "run.already_past": "Nothing was written: Loss = {loss:.6g} is already past the blow-up limit ({limit:.3g}).",
    "run.advice_no_cell": "Make lr smaller (e.g. {suggestion:g}).",
    "run.advice_closer": "A smaller lr in {cell} (e.g. {suggestion:g}) gets closer, in more steps.",
    "run.advice_closer_command": "A smaller lr in {cell} (e.g. {suggestion:g}) gets closer, in more steps; on the command line: gradsheet set {file} --lr {suggestion:g}",
    "run.advice_closer_no_cell": "A smaller lr (e.g. {suggestion:g}) gets closer, in more steps.",
    "run.advice_reset": "Start again with fresh W, B (step 1, reset) and make lr in {cell} smaller (e.g. {suggestion:g}).",
    "run.advice_reset_no_cell": "Start again with fresh W, B (step 1, reset) and make lr smaller (e.g. {suggestion:g}).",
    "run.advice_reset_command": "Start again with fresh W, B (step 1) and a smaller lr: gradsheet reset {file}, gradsheet set {file} --lr {suggestion:g}",
    # --- grade --- (report.csv's status column and the feedback files: the answer key's language)
    "grade.graded": "graded {count} submissions ({full} full marks); wrote {report} and {notes} feedback files in {folder}",
    "grade.not_workbook": "not a workbook (.xlsx or .ods expected, got '{suffix}')",
    "grade.no_suffix": "no suffix",
    "grade.too_big": "refused: the file is {mb:.0f} MB (limit {limit} MB)",
    "grade.too_many_parts": "refused: {parts} parts in the file (limit {limit})",
    "grade.part_too_big": "refused: a part unpacks to {mb:.0f} MB ({part}, limit {limit} MB): a zip bomb?",
    "grade.zip_bomb": "refused: a part unpacks past {limit} MB ({part}): a zip bomb?",
    "grade.damaged_zip": "not a readable workbook (damaged zip)",
    "grade.unreadable": "not a readable workbook ({reason})",
    "grade.timed_out": "timed out after {seconds:g} s (the engine was restarted)",
    "grade.stopped_engine": "not a readable workbook (it stopped the engine, which was restarted)",
    "grade.engine_refused": "not a readable workbook (LibreOffice: {error})",
    "grade.cannot_open": "not a readable workbook (LibreOffice could not open it)",
    "grade.grader_failed": "not graded: the grader failed ({error}); please report it",
    "grade.not_exercise": "not a gradsheet exercise workbook (its settings sheet is missing)",
    "grade.other_exercise": "from another exercise (not made with this key)",
    "grade.other_student": "another student's workbook (made for {owner})",
    "grade.lost_names": "lost names: {names} (graded at their places)",
    "grade.not_on_roster": "not on the roster",
    "grade.not_submitted": "not submitted",
    "grade.file_not_found": "file not found",
    "grade.no_uno": "the python uno bridge is not importable ({error}): apt-get install python3-uno",
    "grade.no_soffice": "{program} is not on PATH: apt-get install libreoffice-calc",
    # --- os --- (why the system refused a file or folder)
    "os.denied": "permission denied",
    "os.no_space": "no space left on the disk",
    "os.read_only": "read-only",
    "os.missing": "does not exist",
    "os.is_folder": "it is a folder",
    "os.other": "system error: {detail}",
    # --- click --- (click's own usage errors, by their English text: gradsheet/cli.py hands them to click)
    "click.error": "Error: {message}",
    "click.try_help": "Try '{command} {option}' for help.",
    "click.invalid_value_for": "Invalid value for {param_hint}: {message}",
    "click.invalid_value": "Invalid value: {message}",
    "click.missing_argument": "Missing argument",
    "click.missing_option": "Missing option",
    "click.missing_parameter": "Missing parameter",
    "click.missing_command": "Missing command.",
    "click.no_such_option": "No such option {name!r}.",
    "click.no_such_command": "No such command {name!r}.",
    "click.did_you_mean": "Did you mean {possibility}?",
    "click.did_you_mean_one_of": "(Did you mean one of: {possibilities}?)",
    "click.not_a_number": "{value!r} is not a valid {number_type}.",
    "click.not_in_range": "{value} is not in the range {range}.",
    "click.not_the_choice": "{value!r} is not {choice}.",
    "click.not_a_choice": "{value!r} is not one of {choices}.",
    "click.extra_argument": "Got unexpected extra argument ({args})",
    "click.extra_arguments": "Got unexpected extra arguments ({args})",
    "click.needs_value": "Option {name!r} requires an argument.",
    "click.needs_values": "Option {name!r} requires {nargs} arguments.",
    "click.takes_no_value": "Option {name!r} does not take a value.",
    "click.path_missing": "{name} {filename!r} does not exist.",
    "click.path_is_file": "{name} {filename!r} is a file.",
    "click.path_is_folder": "{name} {filename!r} is a directory.",
    "click.aborted": "Aborted!",
}

CATALOGUE = {"ko": KO, "en": EN}
