"""The guide sheet ("설명" / "Guide"): the course's steps 1–7 in plain words, with the
real cell addresses of this workbook, and what the buttons do."""

from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from .labels import texts
from .layout import Layout

KO = [
    ("title", "이 워크북 사용법 — 강의 '학습의 실제'의 1~7단계"),
    ("p", "목표: h = W·x + B 의 예측이 데이터 y에 가까워지도록, Loss(오차 제곱의 평균)를 줄이는 W와 B를 찾습니다. "
          "'{sheet}' 시트에서 아래 순서대로 손으로 해 보세요. '값으로 붙여넣기'는 수식이 아니라 숫자만 붙여넣는 것입니다 "
          "(Ctrl+Alt+V → 값, 또는 붙여넣기 옵션의 '123')."),
    ("h", "용어"),
    ("p", "lr ({lr}) = 학습률: 한 스텝에 얼마나 움직일지. eps ({eps}) = 작은 변화 dt: 기울기를 재려고 W나 B에 잠깐 더하는 "
          "아주 작은 값. 둘은 다른 값입니다. 강의에서는 lr = 0.001, eps = 0.0001."),
    ("p", "dLoss/dt = (Loss − prevLoss) / eps. 'dt'는 우리가 W나 B에 더한 작은 변화(eps)를 뜻합니다. "
          "즉 W를 조금 바꿨을 때 Loss가 얼마나 빨리 변하는지, 곧 기울기입니다."),
    ("h", "단계"),
    ("p", "1. 초기값 생성기({init})의 값을 복사해서 W, B({values})에 값으로 붙여넣습니다 (시작점 정하기)."),
    ("p", "2. 지금의 W, B와 Loss({Loss})를 history 표({history}) 아래에 값으로 한 줄 추가합니다."),
    ("p", "3. Loss({Loss})를 복사해 prevLoss({prevLoss})에 값으로 붙여넣습니다."),
    ("p", "4. W({W})에 eps를 더합니다 (4-1). 그러면 Loss가 바뀌고 dLoss/dt({dLoss_dt})에 기울기가 나타납니다. "
          "그 값을 dLoss_dW({dLoss_dW})에 값으로 붙여넣고 (4-2), W를 원래 값으로 되돌립니다 (4-3)."),
    ("p", "5. B({B})도 똑같이: eps 더하기 (5-1), dLoss/dt를 dLoss_dB({dLoss_dB})에 붙여넣기 (5-2), 되돌리기 (5-3)."),
    ("p", "6. 다음 값({next})을 복사해서 W, B({values})에 값으로 붙여넣습니다. Loss가 줄어듭니다."),
    ("p", "7. 2단계부터 반복합니다. Loss가 수천에서 몇 스텝 만에 1 아래로 떨어지고, 그 뒤로는 천천히 줄어듭니다 "
          "(W는 빨리 2에 가까워지지만 B는 천천히 움직입니다: x가 22 근처라 W 방향이 훨씬 가파르기 때문)."),
    ("p", "계산 칸(회색)의 '기울기' grad_P는 같은 값을 한 번에 보여 줍니다: P에 eps를 더했을 때의 Loss({Loss_P})와 지금 Loss의 차이를 eps로 나눈 것."),
    ("h", "더 보기"),
    ("p", "'정확한 미분'(exact_grad_P)은 미분 공식 2/n · Σ (h − y)·x (B는 2/n · Σ (h − y))로 구한 기울기입니다. 바로 옆 '수치 미분의 오차'는 "
          "eps만큼 움직여서 잰 기울기(grad_P)와의 차이: eps가 작을수록 작아집니다."),
    ("p", "'정답 (최소제곱)'(best_P)은 LINEST로 바로 구한 답이고, best_Loss는 그때의 Loss, best_dist는 지금의 W, B가 정답에서 얼마나 먼지입니다. "
          "경사하강법은 이 정답에 한 걸음씩 다가갑니다."),
    ("p", "'전체 과정' 시트는 지금의 W, B에서 앞으로의 스텝을 한 줄에 한 스텝씩 수식으로 모두 펼쳐 보여 줍니다 (lr, eps를 바꾸면 표 전체가 바뀝니다). "
          "'손실 지형' 시트는 W와 B에 따라 Loss가 어떻게 달라지는지 색으로 보여 주고, 지금 위치(◆), 정답(★), 출발점(○), 지나온 길(•)을 표시합니다."),
    ("h", "버튼 (xlwings Lite)"),
    ("p", "버튼은 위의 복사·붙여넣기를 대신 해 줍니다. 설치(무료): Excel에서 홈 → 추가 기능(Add-ins) → 'xlwings Lite' 검색 → 추가. "
          "이 파일을 열고 xlwings Lite 작업창을 열면 워크북에 들어 있는 코드(main.py)가 실렸는지 확인할 수 있습니다."),
    ("p", "'한 스텝': 2~6단계를 한 번에. '10 스텝': 그것을 10번. '다음 동작': 2, 3, 4-1, 4-2, 4-3, 5-1, 5-2, 5-3, 6 중 한 동작만 하고 "
          "'다음 동작' 칸({next_action})에 방금 한 동작과 다음 동작을 보여 줍니다. '초기화': 1단계 (새 임의의 W, B, history 비우기)."),
    ("p", "버튼 없이도 모든 단계를 손으로 할 수 있습니다. 파이썬이 있다면 명령줄에서: gradsheet step 파일.xlsx, gradsheet run 파일.xlsx -n 100, gradsheet reset 파일.xlsx."),
]

EN = [
    ("title", "How to use this workbook — steps 1–7 of the course's 'How learning really works'"),
    ("p", "Goal: find the W and B that make the prediction h = W·x + B close to the data y, by making Loss (the mean "
          "squared error) smaller. Do the steps below by hand on the '{sheet}' sheet. 'Paste as values' means pasting "
          "the number, not the formula (Ctrl+Alt+V → Values, or the '123' paste option)."),
    ("h", "Words"),
    ("p", "lr ({lr}) = learning rate: how far one step moves. eps ({eps}) = the small change dt: the tiny amount "
          "briefly added to W or B to measure the slope. They are different numbers. The course uses lr = 0.001, eps = 0.0001."),
    ("p", "dLoss/dt = (Loss − prevLoss) / eps. 'dt' is the small change (eps) we added to W or B, so this is how "
          "fast Loss changes when W moves a little: the slope."),
    ("h", "Steps"),
    ("p", "1. Copy the initial value generator ({init}) and paste it as values into W, B ({values}) (the starting point)."),
    ("p", "2. Add the current W, B and Loss ({Loss}) as values in a new row under the history table ({history})."),
    ("p", "3. Copy Loss ({Loss}) and paste it as a value into prevLoss ({prevLoss})."),
    ("p", "4. Add eps to W ({W}) (4-1). Loss changes and dLoss/dt ({dLoss_dt}) shows the slope. Paste that value "
          "into dLoss_dW ({dLoss_dW}) (4-2), then put W back to its value (4-3)."),
    ("p", "5. The same for B ({B}): add eps (5-1), paste dLoss/dt into dLoss_dB ({dLoss_dB}) (5-2), put it back (5-3)."),
    ("p", "6. Copy the next values ({next}) and paste them as values into W, B ({values}). Loss goes down."),
    ("p", "7. Repeat from step 2. Loss falls from the thousands to below 1 within a few steps and then creeps "
          "(W nears 2 quickly, B moves slowly: x is around 22, so W's direction is far steeper)."),
    ("p", "The grey 'slope' cells grad_P show the same number at once: the Loss with P + eps ({Loss_P}) minus the current Loss, divided by eps."),
    ("h", "More to see"),
    ("p", "'exact derivative' (exact_grad_P) is the slope from the calculus formula 2/n · Σ (h − y)·x (for B: 2/n · Σ (h − y)). "
          "Beside it, 'numerical error' is its difference to the slope measured by moving eps (grad_P): smaller eps, smaller error."),
    ("p", "'answer (least squares)' (best_P) is the answer LINEST finds directly; best_Loss is its Loss and best_dist how far the "
          "current W, B are from it. Gradient descent walks towards this answer step by step."),
    ("p", "The 'All steps' sheet unrolls the steps ahead from the current W, B, one step per row, all formulas (change lr or eps "
          "and the whole table changes). The 'Landscape' sheet colours the Loss over W and B and marks the current point (◆), "
          "the answer (★), the start (○) and the path taken (•)."),
    ("h", "Buttons (xlwings Lite)"),
    ("p", "The buttons do the copy-paste above for you. Install (free): in Excel, Home → Add-ins → search 'xlwings Lite' → Add. "
          "Open this file and the xlwings Lite task pane; the code stored in the workbook (main.py) is loaded."),
    ("p", "'One step': steps 2–6 at once. '10 steps': that ten times. 'Next action': only one of the actions 2, 3, 4-1, 4-2, "
          "4-3, 5-1, 5-2, 5-3, 6, and the 'next action' cell ({next_action}) shows what was just done and what comes next. "
          "'Reset': step 1 (new random W, B; history emptied)."),
    ("p", "Every step can be done by hand without buttons. With Python: gradsheet step file.xlsx, gradsheet run file.xlsx -n 100, gradsheet reset file.xlsx."),
]


def addresses(layout: Layout) -> dict[str, str]:
    """The cells each step names, as 'Sheet!A1' texts."""
    s = layout.sheet

    def at(name):
        return f"{s}!{layout.a1(name).replace('$', '')}"

    def span(first, last):
        return f"{at(first)}:{layout.a1(last).replace('$', '')}"

    p, last = layout.params, layout.params[-1]
    r, c, _, c2 = layout.history_span
    return {
        "sheet": s, "lr": at("lr"), "eps": at("eps"), "Loss": at("Loss"), "prevLoss": at("prevLoss"),
        "dLoss_dt": at("dLoss_dt"), "next_action": at("next_action"),
        "W": at(p[0]) if layout.k == 1 else span(p[0], p[-2]), "B": at("B"),
        "dLoss_dW": at(f"dLoss_d{p[0]}") if layout.k == 1 else span(f"dLoss_d{p[0]}", f"dLoss_d{p[-2]}"),
        "dLoss_dB": at("dLoss_dB"), "values": span(p[0], last), "init": span(f"init_{p[0]}", f"init_{last}"),
        "next": span(f"next_{p[0]}", f"next_{last}"), "Loss_P": span(f"Loss_{p[0]}", f"Loss_{last}"),
        "history": f"{s}!{xl_rowcol_to_cell(r, c)}:{xl_rowcol_to_cell(r, c2)}",
    }


def write(wb: Workbook, fmt, layout: Layout, settings) -> None:
    ws = wb.add_worksheet(texts(settings.lang)["sheet_guide"])
    ws.set_column(0, 0, 130)
    where = addresses(layout)
    styles = {"title": fmt.title, "h": fmt.section, "p": fmt.wrap}
    for r, (kind, text) in enumerate(KO if settings.lang == "ko" else EN):
        ws.write_string(r, 0, text.format(**where), styles[kind])
