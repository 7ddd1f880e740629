"""Every text a student reads, in the course's Korean and in English.

The maths names (W, B, h, Loss, prevLoss, lr, eps) stay the same in both languages.
Texts with {placeholders} are filled with cell addresses from the layout.
"""

KO = {
    "sheet_train": "학습",
    "sheet_guide": "설명",
    "sheet_unrolled": "전체 과정",
    "sheet_landscape": "손실 지형",
    "title": "학습의 실제 — 수치 미분으로 W와 B 찾기",
    "subtitle": "h = W·x + B 가 데이터를 따라가도록, Loss를 조금씩 줄이는 W와 B를 찾습니다. 방법은 '설명' 시트에.",
    "names_row": "이름 →",
    "h": "h (예측값)",
    "sqerr": "(h − y)²",
    "settings": "학습 설정",
    "lr": "학습률",
    "lr_note": "한 스텝에 얼마나 움직일지. 다음 값 = P − lr × dLoss/dP (강의: 0.001)",
    "eps": "작은 변화 (dt)",
    "eps_note": "기울기를 재려고 W나 B에 잠깐 더하는 아주 작은 값 (강의: 0.0001). 학습률과 다른 값입니다.",
    "params": "파라미터",
    "col_param": "이름",
    "col_value": "현재 값",
    "col_init": "초기값 생성기",
    "col_loss_p": "P+eps일 때 Loss",
    "col_lossm_p": "P−eps일 때 Loss",
    "col_grad": "기울기",
    "col_dloss": "dLoss/dP (붙여넣기)",
    "col_next": "다음 값",
    "col_exact": "정확한 미분",
    "col_fderr": "수치 미분의 오차",
    "col_best": "정답 (최소제곱)",
    "best_loss_note": "정답 W, B에서의 Loss: 경사하강법이 다가갈 수 있는 가장 작은 Loss",
    "best_dist_note": "지금의 W, B가 정답에서 얼마나 떨어져 있는지 (거리)",
    "loss_note": "지금 W, B로 낸 오차 제곱의 평균",
    "prev_note": "바로 전 Loss (값으로 붙여넣기)",
    "dt_note": "(Loss − prevLoss) / eps: W나 B에 eps를 더했을 때 Loss가 변하는 속도",
    "action_label": "다음 동작",
    "history": "history: 스텝마다 W, B, Loss를 값으로 기록",
    "step_col": "스텝",
    "chart_data": "데이터와 지금의 예측 h",
    "chart_data_multi": "실제 y와 예측 h (대각선에 가까울수록 좋음)",
    "chart_loss": "스텝별 Loss (로그 눈금)",
    "diagonal": "h = y",
    "step_axis": "스텝",
    "loss_axis": "Loss",
}

EN = {
    "sheet_train": "Train",
    "sheet_guide": "Guide",
    "sheet_unrolled": "All steps",
    "sheet_landscape": "Landscape",
    "title": "How learning really works — finding W and B by numerical derivatives",
    "subtitle": "We look for the W and B that make h = W·x + B follow the data by making Loss a little smaller each step. How: see the 'Guide' sheet.",
    "names_row": "names →",
    "h": "h (prediction)",
    "sqerr": "(h − y)²",
    "settings": "Settings",
    "lr": "learning rate",
    "lr_note": "How far one step moves. next value = P − lr × dLoss/dP (course: 0.001)",
    "eps": "small change (dt)",
    "eps_note": "The tiny amount briefly added to W or B to measure the slope (course: 0.0001). Not the learning rate.",
    "params": "Parameters",
    "col_param": "name",
    "col_value": "current value",
    "col_init": "initial generator",
    "col_loss_p": "Loss with P+eps",
    "col_lossm_p": "Loss with P−eps",
    "col_grad": "slope",
    "col_dloss": "dLoss/dP (pasted)",
    "col_next": "next value",
    "col_exact": "exact derivative",
    "col_fderr": "numerical error",
    "col_best": "answer (least squares)",
    "best_loss_note": "Loss at the answer: the smallest Loss gradient descent can reach",
    "best_dist_note": "how far the current W, B are from the answer (distance)",
    "loss_note": "mean of the squared errors with the current W, B",
    "prev_note": "the Loss before (pasted as a value)",
    "dt_note": "(Loss − prevLoss) / eps: how fast Loss changes when eps is added to W or B",
    "action_label": "next action",
    "history": "history: W, B and Loss recorded as values, one row per step",
    "step_col": "step",
    "chart_data": "The data and the current prediction h",
    "chart_data_multi": "Actual y against predicted h (closer to the diagonal is better)",
    "chart_loss": "Loss per step (log scale)",
    "diagonal": "h = y",
    "step_axis": "step",
    "loss_axis": "Loss",
}

TEXTS = {"ko": KO, "en": EN}


def texts(lang: str) -> dict[str, str]:
    return TEXTS[lang]


# The course's hand actions, one per press of the "next action" button. {P} is a parameter.
ACTIONS = {
    "ko": {
        "copy_history": "W, B, Loss를 history에 값으로 복사",
        "copy_loss": "Loss를 prevLoss에 값으로 복사",
        "nudge": "{P}에 eps를 더하기",
        "paste_slope": "dLoss_dt 값을 dLoss_d{P}에 값으로 붙여넣기",
        "restore": "{P}를 원래 값으로 되돌리기",
        "update": "다음 값을 W, B에 값으로 붙여넣기 (Loss가 바뀝니다)",
        "just_did": "방금 한 동작: {code} {what}",
        "nothing_yet": "아직 아무 동작도 하지 않았습니다",
    },
    "en": {
        "copy_history": "copy W, B, Loss into history as values",
        "copy_loss": "copy Loss into prevLoss as a value",
        "nudge": "add eps to {P}",
        "paste_slope": "paste the value of dLoss_dt into dLoss_d{P}",
        "restore": "put {P} back to its value",
        "update": "paste the next values into W, B as values (Loss changes)",
        "just_did": "just done: {code} {what}",
        "nothing_yet": "no action done yet",
    },
}
