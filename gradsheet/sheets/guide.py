"""The guide sheet ("설명" / "Guide"): the course's steps in plain words, for this workbook.

Everything in it follows the workbook it is in: the real cell addresses, one nudge step per
parameter numbered exactly as `gradsheet next` and the "next action" button number the
actions (procedure.actions), and what the descent does on this data (computed with the
model from the workbook's own start, never the lemonade table's story told to other data).
Each paragraph is one wrapped cell in a row tall enough for its lines, so it prints whole.
"""

from __future__ import annotations

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from ..core import descent
from ..core.optimizers import OPTIMIZERS
from ..core import models
from ..core import procedure
from ..core.texts import texts
from ..core.layout import Layout, char_width_px
from .looks import line_height_pt, print_setup, row_height_pt, wrapped_lines

# Characters: 705 px in Excel. LibreOffice does not shrink a sheet of one column to fit the
# page (one column is "one page wide" already), and where it shows Calibri as the wider
# DejaVu Sans its columns grow by a third: 100 still fits A4 landscape at full size there.
GUIDE_WIDTH = 100
STEEP = 10  # one direction this many times steeper than another is worth a sentence
TRAJECTORY = (1, 10, 100)  # the steps the guide quotes the Loss after
ZERO = 5e-7  # a Loss below this reads 0, as in the sheet's number format

KO = {
    "title": "이 워크북 사용법 — 강의 '학습의 실제'의 1~{last}단계",
    "goal": "목표: h = {model} 의 예측이 데이터 y에 가까워지도록, Loss(오차 제곱의 평균)를 줄이는 {params}를 찾습니다. "
            "'{sheet}' 시트에서 아래 순서대로 손으로 해 보세요.",
    "data": "데이터: {n}개 행({rows}). 입력 {inputs}, 맞힐 값 y = '{target}'.",
    "scaled": "입력 열은 스케일을 조정한 값입니다 ({how}): 원래 값은 왼쪽 열에, 쓰인 {centre}과 {spread}는 열 위에 있습니다.",
    "scale_standard": "평균을 빼고 표준편차로 나눔",
    "scale_minmax": "최솟값을 빼고 (최댓값 − 최솟값)으로 나눔",
    "h_words": "용어",
    "terms": "lr ({lr}) = 학습률: 한 스텝에 얼마나 움직일지. eps ({eps}) = 작은 변화 dt: 기울기를 재려고 파라미터 하나에 "
             "잠깐 더하는 아주 작은 값. 둘은 다른 값입니다. 강의에서는 lr = 0.001, eps = 0.0001, 이 워크북은 "
             "lr = {lr_v}, eps = {eps_v}로 시작합니다.",
    "dt": "dLoss/dt = (Loss − prevLoss) / eps. 'dt'는 우리가 파라미터 하나에 더한 작은 변화(eps)를 뜻합니다. 즉 그 "
          "파라미터를 조금 바꿨을 때 Loss가 얼마나 빨리 변하는지, 곧 기울기입니다.",
    "h_steps": "단계",
    "step1": "1. 초기값 생성기({init})의 값을 복사해서 {params}({values})에 값으로 붙여넣습니다 (시작점 정하기).",
    "step2": "2. 지금의 {params_list}, Loss({Loss})를 history 표({history}) 아래에 값으로 한 줄 추가합니다.",
    "step3": "3. Loss({Loss})를 복사해 prevLoss({prevLoss})에 값으로 붙여넣습니다.",
    "nudge_first": "{g}. {P}({P_at})에 eps를 더합니다 ({g}-1). 그러면 Loss가 바뀌고 dLoss/dt({dLoss_dt})에 기울기가 "
                   "나타납니다. 그 값을 dLoss_d{P}({dP_at})에 값으로 붙여넣고 ({g}-2), {P}의 값을 원래대로 되돌립니다 ({g}-3).",
    "nudge": "{g}. {P}({P_at})도 똑같이: eps 더하기 ({g}-1), dLoss/dt를 dLoss_d{P}({dP_at})에 붙여넣기 ({g}-2), "
             "되돌리기 ({g}-3).",
    "update": "{g}. 다음 값({next})을 복사해서 {params_list}({values})에 값으로 붙여넣습니다. 한 스텝이 끝났습니다.",
    "repeat": "{g}. 2단계부터 반복합니다.",
    # --- mini-batches (issue 20) ---
    "h_batch": "Mini-batch와 epoch (--batch {B})",
    "batch_what": "이 워크북은 한 스텝에 데이터 {n}행을 모두 쓰지 않고, batch라는 {B}행만 씁니다 (칸 batch). 모든 행을 한 번씩 다 보는 한 바퀴가 epoch이고, 한 epoch은 {nb}번의 스텝입니다{short}. {order} 데이터 표의 turn 열이 이번 epoch에서 그 행의 차례, in_batch 열이 이번 스텝의 batch이면 1이고, 그 행들은 노랗게 표시되고 데이터 차트에 빨간 원으로 그려집니다.",
    "batch_order_shuffled": "행의 순서는 epoch마다 새로 섞습니다 (Keras의 기본값 shuffle=True): turn = MOD(a × g + b, 행 수) + 1이고 (g는 섞기 번호, c보다 작은 번호는 거꾸로), a, b, c는 오른쪽 'epoch마다 섞기' 표에서 epoch마다 다르게 옵니다.",
    "batch_order_table": "행의 순서는 표의 순서 그대로입니다 (--no-shuffle, Keras의 shuffle=False).",
    "batch_short": " (마지막 batch는 {last}행)",
    "batch_steps": "단계는 그대로이고, 모두 이번 batch 위에서 합니다: 2에서는 epoch, {params}, Loss, Loss_batch를 history에 복사하고, 3에서는 Loss_batch(이번 batch만의 Loss)를 prevLoss에 복사합니다. dLoss_dt = (Loss_batch − prevLoss) / eps이고, Loss_P, grad_P, exact_grad_P도 모두 batch의 행들만으로 계산합니다. step 칸은 지금까지 한 업데이트 수(history 행 수, 스텝을 하는 동안에는 하나 적게)이고, 다음 값을 붙여넣으면 1 늘어나 다음 batch로 넘어갑니다. 다음 동작 칸이 이 순서를 안내합니다.",
    "batch_noise": "Loss 칸과 Loss 차트의 Loss는 여전히 전체 표의 Loss입니다. 스텝마다 다른 batch의 기울기를 따라가므로 Loss_batch는 batch가 바뀔 때마다 튀고, 전체 Loss도 내려가는 길에 가끔 올라갑니다. 행이 적은 batch일수록 더 흔들립니다. 그 대신 Keras에서는 한 스텝이 훨씬 가볍습니다: 행이 백만 개여도 한 스텝은 batch의 행만 계산합니다 (이 시트는 보여 주려고 모든 행을 더하되, batch 밖의 행에 0을 곱합니다).",
    "batch_keras": "Keras의 model.fit(X, y, batch_size={B}, epochs=E)은 이 시트의 스텝을 E × {nb}번 하는 것과 같은 일입니다. 학습 중에 보이는 'Epoch 1/E … {nb}/{nb}'는 epoch 번호와 그 epoch의 batch 수입니다. gradsheet run -n {nb} 한 번이 한 epoch입니다. --batch 1은 한 행마다 업데이트하는 fast.ai graddesc.xlsm의 basic 시트와 같고, --batch 없이(또는 --batch {n}) 만들면 강의의 전체 batch입니다.",
    # --- batches: derived sheets ---
    "derived_batch": "{sheets} 시트의 줄마다 그 스텝의 batch로 배웁니다: 첫 줄은 지금의 step, 다음 줄은 그다음 스텝이고, at_step, epoch, batch_no, batch_rows 열이 어느 batch인지 말해 줍니다 (학습 시트의 in_batch가 그 스텝에 표시할 행들). Loss는 표 전체의 Loss, Loss_batch와 P+eps일 때 Loss, 기울기는 batch의 행만으로 계산합니다.",
    "state": "{g}. 이 워크북은 {name}(으)로 움직입니다: 다음 값은 기울기와 함께 최적화 상태({slots})로 정해집니다 "
             "(Keras와 같은 식). 다음 값을 붙여넣은 뒤에 다음 상태({next})를 복사해서 {slots}({at})에 값으로 붙여넣습니다{count}. "
             "순서가 중요합니다: 다음 값이 지금 상태로 계산되기 때문입니다.",
    "count": " (그리고 t({t})에 1을 더합니다)",
    "run": "이 워크북의 시작점(초기값 생성기)에서 lr = {lr_v}로 하면 Loss는 {path}.",
    "run_best": " 정답(최소제곱)의 Loss는 {best}입니다.",
    "after": "{steps} 스텝 뒤 {loss}",
    "after_one": "{steps} 스텝 뒤 {loss}",
    "start": "처음 {loss}",
    "diverge_adaptive": "이 워크북의 시작점(초기값 생성기)에서 lr = {lr_v}로 하면 Loss가 {steps} 스텝 만에 너무 커져서 멈춥니다 "
                        "(발산). lr을 줄이세요 (예: {smaller}).",
    "diverge": "이 워크북의 시작점(초기값 생성기)에서 lr = {lr_v}로 하면 Loss가 {steps} 스텝 만에 너무 커져서 멈춥니다 "
               "(발산). lr을 줄이세요: 이 데이터에서는 {stable}보다 작아야 합니다.",
    "steep_one": "x가 평균 {mean} 정도로 커서 W 방향이 B 방향보다 약 {ratio}배 가파릅니다: W는 빨리 자리를 잡지만 "
                 "B는 천천히 움직입니다.",
    "steep_one_b": "x가 0에 가까워서 B 방향이 W 방향보다 약 {ratio}배 가파릅니다: B는 빨리 자리를 잡지만 W는 천천히 움직입니다.",
    "steep_many": "가장 가파른 방향은 {steep}, 가장 완만한 방향은 {flat}입니다 (약 {ratio}배 차이). 가파른 쪽은 빨리 자리를 "
                  "잡고 완만한 쪽은 천천히 움직입니다.",
    "grad": "계산 칸(회색)의 '기울기' grad_P는 같은 값을 한 번에 보여 줍니다: P에 eps를 더했을 때의 Loss(Loss_P, "
            "{Loss_P})와 지금 Loss의 차이를 eps로 나눈 것.",
    "grad_central": "계산 칸(회색)의 '기울기' grad_P는 중앙 차분으로 잽니다: (P+eps일 때 Loss − P−eps일 때 Loss) / (2·eps). "
                    "P+eps일 때의 Loss는 {Loss_P}, P−eps일 때의 Loss는 {Lossm_P}에 있습니다.",
    "h_more": "더 보기",
    "exact": "'정확한 미분'(exact_grad_P)은 미분 공식 2/n · Σ (h − y)·{x} (B는 2/n · Σ (h − y))로 구한 기울기입니다. 바로 옆 "
             "'수치 미분 오차'(fd_error_P)는 eps만큼 움직여서 잰 기울기(grad_P)와의 차이: eps가 작을수록 작아집니다.",
    "best": "'정답(최소제곱)'(best_P)은 LINEST로 바로 구한 답이고, best_Loss는 그때의 Loss, best_dist는 지금의 파라미터가 "
            "정답에서 얼마나 먼지입니다. 경사하강법은 이 정답에 한 걸음씩 다가갑니다.",
    "no_best": "이 데이터에서는 정답(최소제곱)이 하나로 정해지지 않습니다 (겹치는 입력 열, 또는 행이 너무 적음): best_P 칸이 "
               "그렇게 말해 줍니다. 경사하강법은 그래도 Loss를 줄여 갑니다.",
    "unrolled": "'{sheet}' 시트는 지금의 파라미터에서 앞으로의 {n} 스텝을 한 줄에 한 스텝씩 수식으로 모두 펼쳐 보여 줍니다 "
                "(lr, eps를 바꾸면 표 전체가 바뀝니다).",
    "race": "'{sheet}' 시트는 네 가지 최적화 방법(경사하강법, 모멘텀, RMSprop, Adam)이 지금의 파라미터에서 똑같이 "
            "출발해 {n} 스텝 동안 Loss를 얼마나 줄이는지 나란히 보여 줍니다. 방법마다 학습률 칸(lr_gd … lr_adam)을 바꿔 보세요.",
    "sums": "'{sheet}' 시트의 합계(평균, 편차 곱의 합)는 데이터에서 한 번만 계산됩니다. 다른 시트들의 Loss는 이 합계로 "
            "계산해서 데이터가 커도 빠릅니다. '{train}' 시트는 강의처럼 한 줄씩 계산합니다.",
    "landscape": "'{sheet}' 시트는 {p1}, {p2}에 따라 Loss가 어떻게 달라지는지 색으로 보여 주고, 지금 위치(◆), 정답(★), "
                 "출발점(○), 지나온 길(•)을 표시합니다.{others}",
    "landscape_others": " 다른 파라미터는 '{train}' 시트의 지금 값 그대로 둡니다.",
    "landscape_ce": "'{sheet}' 시트는 {p1}, {p2}에 따라 Loss가 어떻게 달라지는지 색으로 보여 주고, 지금 위치(◆), "
                    "출발점(○), 지나온 길(•)을 표시합니다. 교차 엔트로피에는 최소제곱 같은 정답이 없어서 정답(★) 표시는 "
                    "없습니다.{others}",
    "rows_ce": "이 시트들의 Loss는 '{train}' 시트처럼 데이터의 행마다 계산합니다 (교차 엔트로피는 합계 몇 개로 줄일 수 "
               "없어서).{logits} 그래서 행과 파라미터가 많으면 스텝 수를 줄여 만듭니다.",
    "rows_ce_logits": " 행마다의 z와 log-sum-exp는 숨긴 '{sheet}' 시트에 있습니다 (시트 탭에서 숨기기 취소로 볼 수 있습니다).",
    "h_buttons": "버튼 (xlwings Lite)",
    "install": "버튼은 위의 복사·붙여넣기를 대신 해 줍니다. 설치(무료): Excel에서 홈 → 추가 기능(Add-ins) → 'xlwings Lite' "
               "검색 → 추가. 이 파일을 열고 xlwings Lite 작업창을 열면 워크북에 들어 있는 코드(main.py)가 실렸는지 확인할 수 "
               "있습니다.",
    "buttons": "'한 스텝': 2~{last}단계를 한 번에. '10 스텝': 그것을 10번. '다음 동작': {codes} 중 한 동작만 하고 "
               "'다음 동작' 칸({next_action})에 방금 한 동작과 다음 동작을 보여 줍니다 ({count}번 누르면 한 스텝). "
               "'초기화': 1단계 (새 임의의 {params_list}, history 비우기).",
    "h_cli": "버튼 없이",
    "cli": "버튼 없이도 모든 단계를 손으로 할 수 있습니다. 파이썬이 있다면 명령줄에서: gradsheet next 파일.xlsx (한 동작), "
           "gradsheet step 파일.xlsx, gradsheet run 파일.xlsx -n 100, gradsheet reset 파일.xlsx.",
    "cli_exercise": "버튼 없이도 모든 단계를 손으로 할 수 있습니다. 파이썬이 있다면 명령줄의 gradsheet next 파일.xlsx (한 동작), "
                    "gradsheet step 파일.xlsx, gradsheet run 파일.xlsx -n 100은 여러분의 칸이 보여 주는 값만 붙여넣습니다: "
                    "그 동작이 읽는 칸(Loss, grad_P, next_P)에 수식을 쓰고 워크북을 저장한 뒤에 됩니다. gradsheet reset 파일.xlsx "
                    "(새 W, B)와 gradsheet set 파일.xlsx --lr 0.0005는 언제든 됩니다. 어느 명령도 여러분이 쓴 칸은 바꾸지 않습니다.",
    "goal_logistic": "목표: z = {model}, p = 1/(1+e^−z)가 각 행이 클래스 1('{one}')일 확률이 되도록, Loss(교차 엔트로피의 평균)를 "
                     "줄이는 {params}를 찾습니다. '{sheet}' 시트에서 아래 순서대로 손으로 해 보세요.",
    "goal_softmax": "목표: 클래스마다 점수 z_c = {model}를 내고, 소프트맥스 p_c = e^z_c / Σ e^z가 각 행이 그 클래스일 확률이 되도록, "
                    "Loss(교차 엔트로피의 평균)를 줄이는 {params}를 찾습니다. '{sheet}' 시트에서 아래 순서대로 손으로 해 보세요.",
    "data_classes": "데이터: {n}개 행({rows}). 입력 {inputs}, 맞힐 클래스 '{target}': {classes}. {onehot}",
    "onehot_logistic": "y는 클래스 번호입니다 ('{zero}' = 0, '{one}' = 1).",
    "onehot_softmax": "y_1 … y_{C}는 원-핫 인코딩입니다: 행의 클래스 칸만 1, 나머지는 0.",
    "stable": "교과서의 식 그대로 −ln p를 계산하면, p가 0으로 반올림되는 행에서 LN(0) 오류가 나고 큰 z에서는 EXP가 넘칩니다. "
              "그래서 시트는 같은 값을 안정된 식으로 계산합니다: {form}. P+eps의 Loss(Loss_P)도 같은 이유로 "
              "Loss + 평균[ln(1 + p·(e^d − 1)) − y·d] (d = eps·x, B는 d = eps)로 정확히 계산합니다. 잘라 내기(clipping)는 없습니다.",
    "stable_logistic": "ln(1+e^−|z|) + max(z,0) − y·z",
    "stable_softmax": "lse − z(정답), lse = max z + ln Σ e^(z − max z) ('lse' 열: 행의 최댓값을 빼는 log-sum-exp)",
    "exact_ce": "'정확한 미분'(exact_grad_P)은 미분 공식 평균[(p − y)·x_j] (B는 평균[p − y])로 구한 기울기입니다 (소프트맥스는 "
                "클래스 c마다 p_c − y_c). 바로 옆 '수치 미분 오차'(fd_error_P)는 eps만큼 움직여서 잰 기울기(grad_P)와의 "
                "차이: eps가 작을수록 작아집니다. 자연로그(LN)여야 이 공식이 맞습니다: LOG(상용로그)로 쓰면 수치 미분이 "
                "이 값과 어긋나서 바로 드러납니다.",
    "best_ce": "accuracy는 예측 클래스(pred: 가장 큰 z의 클래스; 로지스틱은 p ≥ 0.5이면 1)가 맞은 행의 비율이고, confusion 표는 "
               "실제 클래스(행)마다 어느 클래스로 예측됐는지(열) 셉니다. best_Loss는 {best}.",
    "best_ce_value": "만들 때 뉴턴법으로 계산한 가장 작은 Loss({best})입니다",
    "best_ce_none": "비어 있습니다: 이 데이터는 클래스를 완벽히 가를 수 있어서, W가 끝없이 커질수록 Loss가 계속 줄어들 뿐 "
                    "유한한 최솟값이 없습니다",
    "run_best_ce": " 가장 작은 Loss는 {best}입니다.",
    "and": "와 ",
    # --- first screen, printing (issue 18) ---
    "paste": "'값으로 붙여넣기'는 수식이 아니라 지금의 숫자만 붙여넣는 것입니다. 복사(Ctrl+C)한 뒤: Excel에서는 Ctrl+Alt+V, "
             "V(값), Enter (Microsoft 365의 Excel은 Ctrl+Shift+V로 한 번에). LibreOffice Calc에서는 Ctrl+Shift+V를 누르고 "
             "'값만'(Values Only)을 누릅니다. 그냥 Ctrl+V로 붙이면 수식이 붙어서 값이 계속 바뀝니다.",
    "nudge_how": "eps를 더하는 법: {P} 칸에 새 숫자를 직접 입력합니다 (지금 값 + eps, 이 워크북의 처음이면 {example}). 자릿수가 "
                 "많으면 빈 칸에 ={P}+eps를 써서 계산하고, 그 칸을 복사해 {P}에 값으로 붙여넣습니다. {P} 칸 안에 ={P}+eps처럼 "
                 "{P} 자신을 가리키는 수식을 쓰면 안 됩니다: 순환 참조가 되어 계산되지 않습니다. 되돌릴 때는 원래 숫자를 다시 "
                 "입력하거나, 2단계에서 적은 history의 마지막 줄에서 {P}를 값으로 붙여넣습니다.",
    "h_exercise": "과제",
    "exercise": "이 워크북은 {who}의 과제입니다. 파란 점선 칸(빈칸)의 수식을 여러분이 씁니다. 칸의 이름은 그대로 두세요 "
                "(다른 수식이 이름으로 찾습니다). 숫자를 직접 적지 말고, 다른 칸을 가리키는 수식을 쓰세요: W, B, lr, eps 같은 "
                "이름이나 같은 행의 칸을 쓰면 됩니다.",
    "ex_h": "h 열 ({at}): 그 행의 입력 x와 지금의 {params}로 낸 예측값. 모든 행에 씁니다.",
    "ex_Loss": "Loss ({at}): 오차 제곱 (h − y)² 열(sqerr)의 평균.",
    "ex_Loss_P": "Loss_P ({at}): 파라미터 P 하나만 eps만큼 크게 했을 때의 Loss. 다른 파라미터는 그대로이고, 그러면 예측값 h가 "
                 "얼마나 달라지는지 생각해 보세요 (P가 W면 그 행의 x에 비례해서, B면 모두 똑같이).",
    "ex_Lossm_P": "Lossm_P ({at}): 파라미터 P 하나만 eps만큼 작게 했을 때의 Loss.",
    "ex_grad_P": "grad_P ({at}): P를 조금 바꿨을 때 Loss가 얼마나 빨리 변하는지, 곧 기울기. 바로 왼쪽 칸들과 eps로 구합니다.",
    "ex_next_P": "next_P ({at}): 한 스텝 뒤의 P. 붙여넣은 기울기 dLoss_dP의 반대 방향으로, 학습률 lr만큼 움직인 값.",
    "ex_z": "z 열 ({at}): 그 행의 입력과 지금의 {params}로 낸 점수. 모든 행에 씁니다.",
    "ex_z_c": "z_1 … z_C 열 ({at}): 클래스마다의 그 행의 점수: 그 행의 입력과 그 클래스의 W_j_c, B_c로 냅니다. 모든 행에 씁니다.",
    "ex_lse": "lse 열 ({at}): 그 행의 ln Σ e^z. EXP가 넘치지 않게 쓰세요.",
    "ex_p": "p 열 ({at}): 그 행이 클래스 1일 확률: 그 행의 z로 구합니다 (시그모이드). 모든 행에 씁니다.",
    "ex_p_c": "p_1 … p_C 열 ({at}): 그 행이 각 클래스일 확률: 그 행의 점수 z로 구합니다 (소프트맥스). 모든 행에 씁니다.",
    "ex_p_true": "p_true 열 ({at}): 모델이 그 행의 실제 클래스에 준 확률.",
    "ex_ce": "ce 열 ({at}): 그 행의 교차 엔트로피: 모델이 그 행의 실제 클래스에 준 확률의 −ln (자연로그). z가 커도 "
             "LN(0)이나 EXP 넘침 오류가 나지 않게 쓰세요.",
    "ex_pred": "pred 열 ({at}): 모델이 그 행에 예측하는 클래스 (로지스틱: p ≥ 0.5이면 1, 아니면 0. 소프트맥스: 가장 큰 z의 "
               "클래스 번호).",
    "ex_Loss_ce": "Loss ({at}): 교차 엔트로피 열(ce)의 평균.",
    "ex_Loss_P_ce": "Loss_P ({at}): 파라미터 P 하나만 eps만큼 크게 했을 때의 Loss. 다른 파라미터는 그대로이고, 그러면 각 행의 "
                    "z가 얼마나 달라지는지 (가중치면 그 행의 입력에 비례해서, 편향이면 모두 똑같이), 그래서 p와 ce가 어떻게 "
                    "되는지 생각해 보세요.",
    "ex_Lossm_P_ce": "Lossm_P ({at}): 파라미터 P 하나만 eps만큼 작게 했을 때의 Loss.",
    # --- hidden layer (issue 19) ---
    "goal_hidden": "목표: 은닉 유닛 {H}개짜리 신경망의 매개변수 {count}개({params_list})를 찾습니다. 유닛 j는 zh_j = {zh}, a_j = {act}(zh_j)를 계산하고 (열 zh_j, a_j), 출력은 {out} 입니다. {loss}",
    "loss_hidden_linear": "Loss는 오차 제곱 (h − y)²의 평균입니다.",
    "loss_hidden_ce": "Loss는 교차 엔트로피의 평균입니다 (분류: 열 p, ce는 은닉층이 없을 때와 같습니다).",
    "exact_hidden": "'정확한 미분'(exact_grad_P)은 역전파로 구한 기울기입니다. 열 dzh_j = (출력의 오차: 회귀는 2(h − y), 분류는 p − y) · Wo_j · {act}'(zh_j)가 행마다 유닛 j의 입력을 조금 바꿀 때 Loss가 바뀌는 비율(의 n배)이고, exact_grad_Wh_i_j = 평균[dzh_j · x_i], exact_grad_Bh_j = 평균[dzh_j], exact_grad_Wo_j = 평균[오차 · a_j]입니다. Loss_P는 근사 없이 계산합니다: Wh_i_j를 eps만큼 밀면 모든 행에서 유닛 j의 활성값을 {act}(zh_j + eps·x_i)로 다시 계산합니다. 바로 옆 fd_error_P가 두 기울기의 차이입니다.",
    "landscape_hidden": "'{sheet}' 시트는 {p1}, {p2}에 따라 Loss가 어떻게 달라지는지 색으로 보여 주고, 지금 위치(◆), 출발점(○), 지나온 길(•)을 표시합니다. 신경망의 Loss는 볼록하지 않아 정답(★) 표시는 없습니다.{others}",
    "nonconvex": "은닉층이 생기면 Loss는 더 이상 그릇 모양(볼록)이 아닙니다: 낮은 곳이 여러 군데일 수 있고, 시작값(시드)에 따라 다른 곳에 도착할 수 있으며, 평평한 곳에서 한참 머물기도 합니다. 잘 안 되면 다른 --seed나 lr로 다시 해 보세요.",
    "symmetry": "두 은닉 유닛이 같은 값(같은 Wh, Bh, Wo)에서 출발하면 모든 행에서 같은 a를 내고, 그래서 기울기도 언제나 같아 영원히 같은 유닛으로 남습니다 (유닛 하나와 다를 바 없음). 그래서 초기값 생성기는 두 유닛이 같은 값으로 시작하지 않게 뽑습니다.",
}

EN = {
    "title": "How to use this workbook — steps 1–{last} of the course's 'How learning really works'",
    "goal": "Goal: find the {params} that make the prediction h = {model} close to the data y, by making Loss (the mean "
            "squared error) smaller. Do the steps below by hand on the '{sheet}' sheet.",
    "data": "Data: {n} rows ({rows}). Inputs {inputs}; the value to predict, y = '{target}'.",
    "scaled": "The input columns are scaled ({how}): the original numbers are in the columns on the left, the {centre} "
              "and {spread} used sit above each column.",
    "scale_standard": "minus the mean, divided by the standard deviation",
    "scale_minmax": "minus the minimum, divided by (maximum − minimum)",
    "h_words": "Words",
    "terms": "lr ({lr}) = learning rate: how far one step moves. eps ({eps}) = the small change dt: the tiny amount "
             "briefly added to one parameter to measure the slope. They are different numbers. The course uses "
             "lr = 0.001, eps = 0.0001; this workbook starts with lr = {lr_v}, eps = {eps_v}.",
    "dt": "dLoss/dt = (Loss − prevLoss) / eps. 'dt' is the small change (eps) we added to one parameter, so this is "
          "how fast Loss changes when that parameter moves a little: the slope.",
    "h_steps": "Steps",
    "step1": "1. Copy the initial value generator ({init}) and paste it as values into {params} ({values}) "
             "(the starting point).",
    "step2": "2. Add the current {params_list} and Loss ({Loss}) as values in a new row under the history table ({history}).",
    "step3": "3. Copy Loss ({Loss}) and paste it as a value into prevLoss ({prevLoss}).",
    "nudge_first": "{g}. Add eps to {P} ({P_at}) ({g}-1). Loss changes and dLoss/dt ({dLoss_dt}) shows the slope. Paste "
                   "that value into dLoss_d{P} ({dP_at}) ({g}-2), then put {P} back to its value ({g}-3).",
    "nudge": "{g}. The same for {P} ({P_at}): add eps ({g}-1), paste dLoss/dt into dLoss_d{P} ({dP_at}) ({g}-2), "
             "put it back ({g}-3).",
    "update": "{g}. Copy the next values ({next}) and paste them as values into {params_list} ({values}). "
              "That is one step.",
    "repeat": "{g}. Repeat from step 2.",
    # --- mini-batches (issue 20) ---
    "h_batch": "Mini-batches and epochs (--batch {B})",
    "batch_what": "This workbook does not use all {n} data rows in a step, only a batch of {B} rows (the batch cell). One round in which every row is seen once is an epoch; an epoch is {nb} steps{short}. {order} In the data table, the turn column is a row's place in this epoch's order and in_batch is 1 for the rows of this step's batch; those rows are yellow, and drawn as red circles in the data chart.",
    "batch_order_shuffled": "The rows' order is shuffled anew every epoch (Keras's default shuffle=True): turn = MOD(a × g + b, rows) + 1 (g the shuffle key, read backwards below c), with a, b and c taken per epoch from the 'shuffling each epoch' table on the right.",
    "batch_order_table": "The rows keep the table's order (--no-shuffle, Keras's shuffle=False).",
    "batch_short": " (the last batch has {last} rows)",
    "batch_steps": "The steps stay the same, all on this batch: 2 copies epoch, {params}, Loss and Loss_batch into history, and 3 copies Loss_batch (the Loss of this batch only) into prevLoss. dLoss_dt = (Loss_batch − prevLoss) / eps, and Loss_P, grad_P and exact_grad_P are all computed from the batch's rows. The step cell counts the updates done (history's rows, one fewer while a step is under way); pasting the next values adds 1 to it and moves on to the next batch. The next-action cell guides you through it.",
    "batch_noise": "The Loss cell, and Loss in the Loss chart, are still the whole table's. Each step follows another batch's slope, so Loss_batch jumps whenever the batch changes, and the whole Loss sometimes goes up on its way down; the fewer rows a batch has, the more it shakes. In exchange a step is much lighter in Keras: with a million rows, a step computes only the batch's rows (this sheet, to show it, still sums every row, with the rows outside the batch weighted 0).",
    "batch_keras": "Keras's model.fit(X, y, batch_size={B}, epochs=E) does what E × {nb} steps of this sheet do; the 'Epoch 1/E … {nb}/{nb}' it prints is the epoch and its number of batches. gradsheet run -n {nb} is one epoch. --batch 1 is the per-row update of fast.ai's graddesc.xlsm (its basic sheet); built without --batch (or with --batch {n}) it is the course's full batch.",
    # --- batches: derived sheets ---
    "derived_batch": "Each row of {sheets} learns from its step's batch: the first row is the current step, each next row the step after, and the at_step, epoch, batch_no and batch_rows columns say which batch (the rows the training sheet's in_batch will mark at that step). Loss is the whole table's; Loss_batch, the Loss with P+eps and the slope use the batch's rows only.",
    "state": "{g}. This workbook moves with {name}: the next values come from the slope and the optimizer's state "
             "({slots}), as Keras computes them. After pasting the next values, copy the next state ({next}) and paste "
             "it as values into {slots} ({at}){count}. The order matters: the next values are computed from the "
             "current state.",
    "count": " (and add 1 to t ({t}))",
    "run": "From this workbook's start (the initial value generator), with lr = {lr_v}, Loss goes {path}.",
    "run_best": " The Loss of the answer (least squares) is {best}.",
    "after": "{loss} after {steps} steps",
    "after_one": "{loss} after {steps} step",
    "start": "from {loss}",
    "diverge_adaptive": "From this workbook's start (the initial value generator), with lr = {lr_v}, Loss grows too large "
                        "after {steps} steps and the descent stops (it diverges). Make lr smaller (e.g. {smaller}).",
    "diverge": "From this workbook's start (the initial value generator), with lr = {lr_v}, Loss grows too large after "
               "{steps} steps and the descent stops (it diverges). Make lr smaller: on this data it must stay below {stable}.",
    "steep_one": "x is around {mean}, so W's direction is about {ratio} times steeper than B's: W settles quickly, "
                 "B moves slowly.",
    "steep_one_b": "x is near 0, so B's direction is about {ratio} times steeper than W's: B settles quickly, W moves slowly.",
    "steep_many": "The steepest direction is {steep}, the flattest {flat} (about {ratio} times apart). Steep ones settle "
                  "quickly, flat ones move slowly.",
    "grad": "The grey 'slope' cells grad_P show the same number at once: the Loss with P + eps (Loss_P, {Loss_P}) minus "
            "the current Loss, divided by eps.",
    "grad_central": "The grey 'slope' cells grad_P use central differences: (Loss with P + eps − Loss with P − eps) / "
                    "(2·eps). The Loss with P + eps is in {Loss_P}, the Loss with P − eps in {Lossm_P}.",
    "h_more": "More to see",
    "exact": "'exact slope' (exact_grad_P) is the slope from the calculus formula 2/n · Σ (h − y)·{x} (for B: "
             "2/n · Σ (h − y)). Beside it, 'numeric error' (fd_error_P) is its difference to the slope measured by moving eps "
             "(grad_P): smaller eps, smaller error.",
    "best": "'least squares' (best_P) is the answer LINEST finds directly; best_Loss is its Loss and best_dist "
            "how far the current parameters are from it. Gradient descent walks towards this answer step by step.",
    "no_best": "On this data the least-squares answer is not unique (input columns repeat each other, or too few rows): "
               "the best_P cells say so. Gradient descent still makes Loss smaller.",
    "unrolled": "The '{sheet}' sheet unrolls the next {n} steps from the current parameters, one step per row, all "
                "formulas (change lr or eps and the whole table changes).",
    "race": "The '{sheet}' sheet races the four optimizers (gradient descent, momentum, RMSprop, Adam) from the "
            "current parameters for {n} steps, side by side. Try each one's learning rate cell (lr_gd … lr_adam).",
    "sums": "The sums on the '{sheet}' sheet (means, sums of products of deviations) are computed once from the data; "
            "the other sheets' Loss comes from them, so they stay quick on big tables. The '{train}' sheet computes "
            "row by row, as in the course.",
    "landscape": "The '{sheet}' sheet colours the Loss over {p1} and {p2} and marks the current point (◆), the answer "
                 "(★), the start (○) and the path taken (•).{others}",
    "landscape_others": " The other parameters keep their current values on the '{train}' sheet.",
    "landscape_ce": "The '{sheet}' sheet colours the Loss over {p1} and {p2} and marks the current point (◆), the "
                    "start (○) and the path taken (•). Cross-entropy has no least-squares answer, so there is no "
                    "answer mark (★).{others}",
    "rows_ce": "These sheets compute Loss row by row from the data, as the '{train}' sheet does (cross-entropy does not "
               "reduce to a few sums).{logits} So with many rows and parameters they are built with fewer steps.",
    "rows_ce_logits": " The rows' z and log-sum-exp are on the hidden '{sheet}' sheet (unhide it from the sheet tabs).",
    "h_buttons": "Buttons (xlwings Lite)",
    "install": "The buttons do the copy-paste above for you. Install (free): in Excel, Home → Add-ins → search "
               "'xlwings Lite' → Add. Open this file and the xlwings Lite task pane; the code stored in the workbook "
               "(main.py) is loaded.",
    "buttons": "'One step': steps 2–{last} at once. '10 steps': that ten times. 'Next action': only one of the actions "
               "{codes}, and the 'next action' cell ({next_action}) shows what was just done and what comes next "
               "({count} presses make one step). 'Reset': step 1 (new random {params_list}; history emptied).",
    "h_cli": "Without buttons",
    "cli": "Every step can be done by hand without buttons. With Python: gradsheet next file.xlsx (one action), "
           "gradsheet step file.xlsx, gradsheet run file.xlsx -n 100, gradsheet reset file.xlsx.",
    "cli_exercise": "Every step can be done by hand without buttons. With Python, gradsheet next file.xlsx (one action), "
                    "gradsheet step file.xlsx and gradsheet run file.xlsx -n 100 paste only the values your own cells show: "
                    "they work once the cells they read (Loss, grad_P, next_P) hold your formulas and the workbook is saved. "
                    "gradsheet reset file.xlsx (new W, B) and gradsheet set file.xlsx --lr 0.0005 work at any time. No "
                    "command changes the cells you wrote.",
    "goal_logistic": "Goal: find the {params} that make p = 1/(1+e^−z), z = {model}, the probability that a row is class 1 "
                     "('{one}'), by making Loss (the mean cross-entropy) smaller. Do the steps below by hand on the '{sheet}' "
                     "sheet.",
    "goal_softmax": "Goal: each class c gets a score z_c = {model}; the softmax p_c = e^z_c / Σ e^z should be the "
                    "probability that a row is class c. Find the {params} that make Loss (the mean cross-entropy) smaller. "
                    "Do the steps below by hand on the '{sheet}' sheet.",
    "data_classes": "Data: {n} rows ({rows}). Inputs {inputs}; the class to predict, '{target}': {classes}. {onehot}",
    "onehot_logistic": "y is the class number ('{zero}' = 0, '{one}' = 1).",
    "onehot_softmax": "y_1 … y_{C} are the one-hot encoding: 1 in the row's own class, 0 elsewhere.",
    "stable": "The textbook's −ln p, computed as written, shows LN(0) errors where p rounds to 0 and EXP overflows for "
              "large z. So the sheet computes the same value in a stable form: {form}. The Loss with P + eps (Loss_P) "
              "is exact for the same reason: Loss + mean[ln(1 + p·(e^d − 1)) − y·d] (d = eps·x; for B, d = eps). "
              "Nothing is clipped.",
    "stable_logistic": "ln(1+e^−|z|) + max(z,0) − y·z",
    "stable_softmax": "lse − z(true) with lse = max z + ln Σ e^(z − max z) (the 'lse' column: log-sum-exp with the row's maximum)",
    "exact_ce": "'exact slope' (exact_grad_P) is the slope from the calculus formula mean[(p − y)·x_j] (for B: mean[p − y]; "
                "softmax: p_c − y_c for class c). Beside it, 'numeric error' (fd_error_P) is its difference to the slope "
                "measured by moving eps (grad_P): smaller eps, smaller error. The formula holds for the natural log (LN): "
                "a sheet that used LOG (base 10) would show its numerical slope disagree at once.",
    "best_ce": "accuracy is the share of rows whose predicted class (pred: the class of the largest z; logistic: 1 when "
               "p ≥ 0.5) is right, and the confusion table counts, for each true class (row), the predicted classes "
               "(columns). best_Loss is {best}.",
    "best_ce_value": "the smallest Loss ({best}), found by Newton's method when the workbook was built",
    "best_ce_none": "empty: these classes can be told apart perfectly, so Loss keeps shrinking as W grows without end and "
                    "there is no finite minimum",
    "run_best_ce": " The smallest Loss is {best}.",
    "and": " and ",
    # --- first screen, printing (issue 18) ---
    "paste": "'Paste as values' means pasting the number as it is now, not the formula. After copying (Ctrl+C): in "
             "Excel press Ctrl+Alt+V, then V (Values) and Enter (Excel in Microsoft 365: Ctrl+Shift+V does it at once). "
             "In LibreOffice Calc press Ctrl+Shift+V and click 'Values Only'. A plain Ctrl+V pastes the formula, whose "
             "value keeps changing.",
    "nudge_how": "How to add eps: type the new number into the {P} cell (its value + eps; at this workbook's start, "
                 "{example}). With many digits, compute it in a spare cell with ={P}+eps, copy that cell and paste it "
                 "into {P} as a value. Never type a formula that refers to {P} into {P} itself, such as ={P}+eps: that is "
                 "a circular reference, which does not calculate. To put it back, type the old number again, or paste "
                 "{P} as a value from the history's last row (written in step 2).",
    "h_exercise": "Exercise",
    "exercise": "This workbook is {who}'s exercise. You write the formulas of the blue dashed (empty) cells. Keep the "
                "cells' names (other formulas find them by name). Type no numbers: write formulas that point at other "
                "cells, by names such as W, B, lr, eps or by the cells of the same row.",
    "ex_h": "Column h ({at}): the prediction of that row from its input x and the current {params}. Fill every row.",
    "ex_Loss": "Loss ({at}): the mean of the squared errors, the (h − y)² column (sqerr).",
    "ex_Loss_P": "Loss_P ({at}): the Loss when only parameter P is made larger by eps, the others unchanged. Think about "
                 "how much each prediction h moves then (for a W: in proportion to that row's x; for B: all the same).",
    "ex_Lossm_P": "Lossm_P ({at}): the Loss when only parameter P is made smaller by eps.",
    "ex_grad_P": "grad_P ({at}): how fast Loss changes when P changes a little, the slope: from the cells just left of "
                 "it and eps.",
    "ex_next_P": "next_P ({at}): P one step later: moved against the pasted slope dLoss_dP, by the learning rate lr.",
    "ex_z": "Column z ({at}): the row's score from its inputs and the current {params}. Fill every row.",
    "ex_z_c": "Columns z_1 … z_C ({at}): the row's score for each class, from its inputs and that class's W_j_c and "
              "B_c. Fill every row.",
    "ex_lse": "Column lse ({at}): the row's ln Σ e^z. Write it so that EXP cannot overflow.",
    "ex_p": "Column p ({at}): the probability that the row is class 1, from its z (the sigmoid). Fill every row.",
    "ex_p_c": "Columns p_1 … p_C ({at}): the probability that the row is each class, from its scores z (the "
              "softmax). Fill every row.",
    "ex_p_true": "Column p_true ({at}): the probability the model gives the row's own class.",
    "ex_ce": "Column ce ({at}): the row's cross-entropy: −ln of the probability the model gives the row's own class "
             "(natural log). Write it so that no row shows LN(0) or an EXP overflow, however large its z.",
    "ex_pred": "Column pred ({at}): the class the model predicts for the row (logistic: 1 when p ≥ 0.5, else 0; "
               "softmax: the number of the class of the largest z).",
    "ex_Loss_ce": "Loss ({at}): the mean of the cross-entropy column ce.",
    "ex_Loss_P_ce": "Loss_P ({at}): the Loss when only parameter P is made larger by eps, the others unchanged. Think "
                    "about how each row's z moves then (for a weight: in proportion to that row's input; for a bias: "
                    "all the same), and so its p and ce.",
    "ex_Lossm_P_ce": "Lossm_P ({at}): the Loss when only parameter P is made smaller by eps.",
    # --- hidden layer (issue 19) ---
    "goal_hidden": "Goal: find the {count} parameters ({params_list}) of a network with {H} hidden units. Unit j computes zh_j = {zh} and a_j = {act}(zh_j) (columns zh_j, a_j); the output is {out}. {loss}",
    "loss_hidden_linear": "Loss is the mean of the squared errors (h − y)².",
    "loss_hidden_ce": "Loss is the mean cross-entropy (the p and ce columns work as without a hidden layer).",
    "exact_hidden": "'exact slope' (exact_grad_P) is the slope by backpropagation. Column dzh_j = (the output's error: 2(h − y) for a number, p − y for classes) · Wo_j · {act}'(zh_j) is, row by row, how fast Loss changes with unit j's input (times n); then exact_grad_Wh_i_j = mean[dzh_j · x_i], exact_grad_Bh_j = mean[dzh_j], exact_grad_Wo_j = mean[error · a_j]. Loss_P is exact, not an approximation: nudging Wh_i_j by eps recomputes unit j's activation {act}(zh_j + eps·x_i) in every row. fd_error_P right beside shows how far apart the two slopes are.",
    "landscape_hidden": "The '{sheet}' sheet colours the Loss over {p1} and {p2} and marks the current point (◆), the start (○) and the path taken (•). A network's Loss is not convex, so there is no answer mark (★).{others}",
    "nonconvex": "With a hidden layer Loss is no longer a bowl (not convex): it can have several low places, the start (the seed) decides which one the descent reaches, and it may sit on a flat stretch for a long time. If it gets stuck, try another --seed or lr.",
    "symmetry": "Two hidden units that start equal (the same Wh, Bh and Wo) give the same a in every row, so their slopes are always equal too and they stay equal for ever (no better than one unit). That is why the initial value generator never gives two units the same start.",
}


def short_list(items: list[str], keep: int = 8) -> str:
    """'a, b, c' — or the first and last few with '…' between when there are many."""
    if len(items) <= keep:
        return ", ".join(items)
    return ", ".join(items[:keep - 3] + ["…"] + items[-2:])


def model_text(layout: Layout) -> str:
    """h's formula with this workbook's names: W·x + B, or W_1·x_1 + … + W_k·x_k + B."""
    if layout.model == "softmax":  # class c's score
        terms = [f"W_{j}_c·{x}" for j, x in enumerate(layout.features, start=1)]
        bias = "B_c"
    else:
        terms = [f"{w}·{x}" for w, x in zip(layout.params[:-1], layout.features)]
        bias = "B"
    if len(terms) > 3:
        terms = terms[:2] + ["…", terms[-1]]
    return " + ".join(terms + [bias])


def hidden_goal(L: dict, layout: Layout, params: list[str]) -> str:
    """The network's goal: its units' formulas and its output, with this workbook's names."""
    zh = [f"Wh_{i}_j·{x}" for i, x in enumerate(layout.features, start=1)]
    if len(zh) > 3:
        zh = zh[:2] + ["…", zh[-1]]
    units = [f"Wo_{j}{'_c' if layout.model == 'softmax' else ''}·a_{j}" for j in range(1, layout.hidden + 1)]
    if len(units) > 3:
        units = units[:2] + ["…", units[-1]]
    bias = "Bo_c" if layout.model == "softmax" else "Bo"
    lhs = {"linear": "h", "logistic": "z", "softmax": "z_c"}[layout.model]
    loss = L["loss_hidden_ce" if layout.classifier else "loss_hidden_linear"]
    return L["goal_hidden"].format(H=layout.hidden, count=len(params), params_list=short_list(params),
                                   zh=" + ".join(zh + ["Bh_j"]), act=layout.activation,
                                   out=f"{lhs} = " + " + ".join(units + [bias]), loss=loss)


def readable(v: float) -> str:
    """A Loss for a sentence: 1,917 / 12.35 / 0.7901 / 3.2e-05."""
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 1:
        return f"{v:.2f}"
    if v >= 0.001:
        return f"{v:.4f}"
    return "0" if v < ZERO else f"{v:.1e}"


def addresses(layout: Layout) -> dict[str, str]:
    """The cells the steps name, as 'Sheet!A1' texts."""
    s = layout.sheet

    def at(name):
        return f"{s}!{layout.a1(name).replace('$', '')}"

    def span(first, last):
        return f"{at(first)}:{layout.a1(last).replace('$', '')}"

    p, last = layout.params, layout.params[-1]
    r, c, _, c2 = layout.history_span
    out = {
        "sheet": s, "lr": at("lr"), "eps": at("eps"), "Loss": at("Loss"), "prevLoss": at("prevLoss"),
        "dLoss_dt": at("dLoss_dt"), "next_action": at("next_action"),
        "values": span(p[0], last), "init": span(f"init_{p[0]}", f"init_{last}"),
        "next": span(f"next_{p[0]}", f"next_{last}"), "Loss_P": span(f"Loss_{p[0]}", f"Loss_{last}"),
        "history": f"{s}!{xl_rowcol_to_cell(r, c)}:{xl_rowcol_to_cell(r, c2)}",
        "data": f"{s}!{xl_rowcol_to_cell(layout.first_row, 0)}:"
                f"{xl_rowcol_to_cell(layout.last_row, max(layout.columns.values()))}",
    }
    if "Lossm" in layout.param_columns:
        out["Lossm_P"] = span(f"Lossm_{p[0]}", f"Lossm_{last}")
    for name in p:
        out[f"at_{name}"] = at(name)
        out[f"at_dLoss_d{name}"] = at(f"dLoss_d{name}")
    return out


def steepness(X: np.ndarray) -> np.ndarray:
    """How steep the Loss is along each parameter alone: the Hessian's diagonal,
    2·mean(x_j²) for W_j and 2 for B."""
    return np.append(2 * np.mean(X * X, axis=0), 2.0)


def state_sentence(L: dict, layout: Layout, settings, code: str) -> str:
    """The optimizer's own hand action: paste its next state after the next values."""
    def span(kind):
        top, bottom = layout.cell(f"{kind}_{layout.params[0]}"), layout.cell(f"{kind}_{layout.params[-1]}")
        return f"{layout.sheet}!{xl_rowcol_to_cell(*top)}:{xl_rowcol_to_cell(*bottom)}"
    slots = layout.slots
    count = L["count"].format(t=f"{layout.sheet}!{xl_rowcol_to_cell(*layout.cell('t'))}") if "t" in layout.scalars else ""
    return L["state"].format(g=code, name=settings.optimizer, slots=", ".join(f"{s}_P" for s in slots),
                             next=", ".join(f"next_{s}_P" for s in slots),
                             at=", ".join(span(s) for s in slots), count=count)


CELL_KINDS = ("Loss", "Loss_P", "Lossm_P", "grad_P", "next_P")
# The paragraphs that say a blank's formula outright (grad_P's, the calculus slope's, the stable
# cross-entropy's and its Loss_P): an exercise leaves each out where it would answer a blank.
ANSWERING = {"grad": ("grad_",), "grad_central": ("grad_",), "exact": ("grad_",), "exact_ce": ("grad_",),
             "stable": ("ce", "Loss_", "Lossm_", "lse")}


def exercise_paragraphs(L: dict, layout: Layout, settings, params: str) -> list[tuple[str, str]]:
    """The exercise's section: whose it is, then each kind of blank cell in words (never its formula):
    the data block's blank columns left to right (z_1 … z_C as one), then the single cells."""
    who = " ".join(part for part in (settings.student, settings.student_name) if part)
    out = [("h", L["h_exercise"]), ("p", L["exercise"].format(who=who))]
    s = layout.sheet
    ce = "_ce" if layout.classifier else ""
    columns: dict[str, list[str]] = {}
    for name in layout.computed:
        if name in settings.blank:
            kind = name.rsplit("_", 1)[0] + "_c" if layout.model == "softmax" and name[-1].isdigit() else name
            columns.setdefault(kind, []).append(name)
    for kind, names in columns.items():
        first, last = layout.columns[names[0]], layout.columns[names[-1]]
        at = f"{s}!{xl_rowcol_to_cell(layout.first_row, first)}:{xl_rowcol_to_cell(layout.last_row, last)}"
        out.append(("p", L[f"ex_{kind}"].format(at=at, params=params)))
    for kind in CELL_KINDS:
        if kind.endswith("_P"):
            names = [f"{kind[:-2]}_{p}" for p in layout.params if f"{kind[:-2]}_{p}" in settings.blank]
            if not names:
                continue
            top, bottom = layout.cell(names[0]), layout.cell(names[-1])
            at = f"{s}!{xl_rowcol_to_cell(*top)}" + (f":{xl_rowcol_to_cell(*bottom)}" if top != bottom else "")
        elif kind in settings.blank:
            at = f"{s}!{xl_rowcol_to_cell(*layout.cell(kind))}"
        else:
            continue
        text = L.get(f"ex_{kind}{ce}", L[f"ex_{kind}"])
        out.append(("p", text.format(at=at, params=params)))
    return out


def answers_a_blank(key: str, settings) -> bool:
    """Whether the paragraph `key` would say the formula of one of the exercise's blank cells."""
    return any(name.startswith(ANSWERING.get(key, ())) for name in settings.blank) if ANSWERING.get(key) else False


def descent_sentence(L: dict, X, y, start, settings) -> str:
    """What the descent does on this data from this workbook's start, in numbers."""
    spec = settings.spec
    run = descent.descend(X, y, np.asarray(start, dtype=float), settings.lr, settings.eps,
                          TRAJECTORY[-1], settings.diff, optimizer=OPTIMIZERS[settings.optimizer],
                          hyper=settings.hyper, model=spec, batches=settings.batches(len(y)))
    lr_v = f"{settings.lr:g}"
    if run.stopped:
        stable = models.stable_lr_for(X, settings.optimizer, settings.beta, settings.model)
        if stable is None:  # RMSprop, Adam: no curvature limit, so advise a tenth
            return L["diverge_adaptive"].format(lr_v=lr_v, steps=len(run.history),
                                                smaller=f"{models.round_below(settings.lr / 10):g}")
        return L["diverge"].format(lr_v=lr_v, steps=len(run.history), stable=f"{stable:.3g}")
    losses = list(run.history[:, -1]) + [spec.loss(X, y, run.theta)]
    path = [L["start"].format(loss=readable(losses[0]))]
    path += [L["after" if s > 1 else "after_one"].format(steps=s, loss=readable(losses[s])) for s in TRAJECTORY]
    text = L["run"].format(lr_v=lr_v, path=" → ".join(path))
    if settings.hidden:  # no answer to compare with: the loss is not convex
        return text
    if settings.classes:
        best = models.best_classifier_loss(X, y, len(settings.classes))
        return text + ("" if best is None else L["run_best_ce"].format(best=readable(best)))
    if models.unique_answer(X):
        text += L["run_best"].format(best=readable(models.loss(X, y, models.best_theta(X, y))))
    return text


def steepness_sentence(L: dict, layout: Layout, X) -> str | None:
    """Which parameters move fast and which slowly, when they differ by STEEP times or more."""
    s = steepness(X)
    ratio = float(s.max() / max(s.min(), np.finfo(float).tiny))
    if ratio < STEEP:
        return None
    times = f"{ratio:,.0f}"
    if layout.k == 1:
        if s[0] >= s[1]:
            return L["steep_one"].format(mean=f"{float(np.mean(X)):.3g}", ratio=times)
        return L["steep_one_b"].format(ratio=times)
    p = layout.params
    return L["steep_many"].format(steep=p[int(s.argmax())], flat=p[int(s.argmin())], ratio=times)


def paragraphs(layout: Layout, dataset, settings, state, X) -> list[tuple[str, str]]:
    """The guide, as (kind, text) rows: kind is "title", "h" (a heading) or "p"."""
    L = KO if settings.lang == "ko" else EN
    t = texts(settings.lang)
    where = addresses(layout)
    k, params = layout.k, layout.params
    acts = procedure.actions(params, settings.optimizer)
    update_step = int(acts[-1][0])  # the last action's number: the step is done after it
    params_list = short_list(params)
    both = "W" + L["and"] + "B" if k == 1 and not layout.hidden else params_list  # a list needs no particle
    common = {**where, "params": both, "params_list": params_list}
    inputs = [f"{x} = '{name}'" for x, name in zip(layout.features, dataset.feature_names)]
    out = [("title", L["title"].format(last=update_step + 1))]
    if layout.hidden:
        out.append(("p", hidden_goal(L, layout, params)))
    if layout.classifier:
        classes = layout.classes
        onehot = L[f"onehot_{layout.model}"].format(zero=classes[0], one=classes[-1], C=len(classes))
        out += ([] if layout.hidden else
                [("p", L[f"goal_{layout.model}"].format(model=model_text(layout), one=classes[-1], **common))])
        out += [("p", L["data_classes"].format(n=layout.n, rows=where["data"], inputs=short_list(inputs, 6),
                                               target=dataset.target_name, classes=short_list(list(classes), 6),
                                               onehot=onehot))]
    else:
        out += [] if layout.hidden else [("p", L["goal"].format(model=model_text(layout), **common))]
        out += [("p", L["data"].format(n=layout.n, rows=where["data"], inputs=short_list(inputs, 6),
                                       target=dataset.target_name))]
    if layout.scaled:
        out.append(("p", L["scaled"].format(how=L[f"scale_{settings.scale}"],
                                            centre=t[f"scale_centre_{settings.scale}"],
                                            spread=t[f"scale_spread_{settings.scale}"])))
    out += [("h", L["h_words"]),
            ("p", L["terms"].format(lr_v=f"{settings.lr:g}", eps_v=f"{settings.eps:g}", **common)),
            ("p", L["dt"]),
            ("h", L["h_steps"]),
            ("p", L["paste"]),
            ("p", L["step1"].format(**common)),
            ("p", L["step2"].format(**common)),
            ("p", L["step3"].format(**common))]
    for p, name in enumerate(params):
        group = acts[2 + 3 * p][0].split("-")[0]  # "4" for the first parameter, as `next` numbers it
        key = "nudge_first" if p == 0 else "nudge"
        out.append(("p", L[key].format(g=group, P=name, P_at=where[f"at_{name}"],
                                       dP_at=where[f"at_dLoss_d{name}"], **common)))
        if p == 0:  # how to nudge by hand, once: a number typed, never a formula on itself
            start, eps = float(state.theta[0]), settings.eps
            example = f"{start:.10g} + {eps:g} = {start + eps:.10g}"
            out.append(("p", L["nudge_how"].format(P=name, example=example)))
    out.append(("p", L["update"].format(g=4 + len(params), **common)))
    if layout.slots:
        out.append(("p", state_sentence(L, layout, settings, acts[-1][0])))
    out.append(("p", L["repeat"].format(g=update_step + 1)))
    if layout.batch:
        out += batch_paragraphs(L, layout, settings, both)
    if settings.blank:  # an exercise: what to write, in words; no Loss numbers that answer it
        out += exercise_paragraphs(L, layout, settings, both)
    else:
        out.append(("p", descent_sentence(L, X, dataset.y, state.init, settings)))
    steep = None if layout.classifier or layout.hidden else steepness_sentence(L, layout, X)
    if steep:
        out.append(("p", steep))
    central = "Lossm" in layout.param_columns
    grad = "grad_central" if central else "grad"
    if not answers_a_blank(grad, settings):
        out.append(("p", L[grad].format(**common)))
    out.append(("h", L["h_more"]))
    exercise = bool(settings.blank)  # the exact slope is not in an exercise (sheets/train.py)
    if layout.hidden:
        if not exercise:
            out.append(("p", L["exact_hidden"].format(act=layout.activation)))
        out += [("p", L["nonconvex"]), ("p", L["symmetry"])]
    elif layout.classifier:
        best = models.best_classifier_loss(X, dataset.y, len(layout.classes))
        if not answers_a_blank("stable", settings):
            out.append(("p", L["stable"].format(form=L[f"stable_{layout.model}"])))
        if not exercise:
            out.append(("p", L["exact_ce"]))
        out.append(("p", L["best_ce"].format(best=L["best_ce_none"] if best is None
                                             else L["best_ce_value"].format(best=readable(best)))))
    else:
        if not exercise:
            out.append(("p", L["exact"].format(x=layout.features[0] if k == 1 else "x_j")))
        out.append(("p", L["best"] if models.unique_answer(X) else L["no_best"]))
    if settings.unrolled:
        out.append(("p", L["unrolled"].format(sheet=t["sheet_unrolled"], n=settings.unrolled)))
    from .landscape import pair
    shown = pair(layout, settings)
    if shown:
        others = L["landscape_others"].format(train=layout.sheet) if k > 1 else ""
        key = "landscape_ce" if layout.classifier else "landscape_hidden" if layout.hidden else "landscape"
        out.append(("p", L[key].format(sheet=t["sheet_landscape"], p1=shown[0], p2=shown[1], others=others)))
    if settings.compare:
        out.append(("p", L["race"].format(sheet=t["sheet_compare"], n=settings.compare)))
    if layout.batch and (settings.unrolled or settings.compare):
        sheets = " / ".join(f"'{t[key]}'" for key, on in (("sheet_unrolled", settings.unrolled),
                                                          ("sheet_compare", settings.compare)) if on)
        out.append(("p", L["derived_batch"].format(sheets=sheets)))
    if layout.hidden:
        pass  # the 'All steps' paragraph says it all: its rows run the network over the data
    elif layout.classifier and (settings.unrolled or settings.compare or shown):
        steps = layout.model == "softmax" and (settings.unrolled or settings.compare)
        logits = L["rows_ce_logits"].format(sheet=t["sheet_logits"]) if steps else ""
        out.append(("p", L["rows_ce"].format(train=layout.sheet, logits=logits)))
    elif settings.unrolled or settings.compare or shown:
        out.append(("p", L["sums"].format(sheet=t["sheet_sums"], train=layout.sheet)))
    if settings.buttons == "lite":
        codes = [code for code, _, _ in acts]
        out += [("h", L["h_buttons"]),
                ("p", L["install"]),
                ("p", L["buttons"].format(last=update_step, codes=short_list(codes, 12), count=len(acts),
                                          **common))]
    else:
        out.append(("h", L["h_cli"]))
    out.append(("p", L["cli_exercise" if settings.blank else "cli"]))
    return out


def batch_paragraphs(L: dict, layout: Layout, settings, params: str) -> list[tuple[str, str]]:
    """--batch: what a batch and an epoch are in this workbook, how the steps use them, why the
    losses shake, and what Keras's batch_size and epochs mean here."""
    n, B = layout.n, settings.batch
    nb = -(-n // B)
    last = n - (nb - 1) * B
    short = L["batch_short"].format(last=last) if last != B else ""
    order = L["batch_order_shuffled" if settings.shuffle else "batch_order_table"]
    return [("h", L["h_batch"].format(B=B)),
            ("p", L["batch_what"].format(n=n, B=B, nb=nb, short=short, order=order)),
            ("p", L["batch_steps"].format(params=params)),
            ("p", L["batch_noise"]),
            ("p", L["batch_keras"].format(B=B, nb=nb, n=n))]


def write(wb: Workbook, fmt, layout: Layout, dataset, settings, state, X) -> None:
    ws = wb.add_worksheet(texts(settings.lang)["sheet_guide"])
    ws.set_column(0, 0, GUIDE_WIDTH)
    width_px = char_width_px(GUIDE_WIDTH)
    styles = {"title": (fmt.title, 14, True), "h": (fmt.section, 12, True), "p": (fmt.wrap, 11, False)}
    for r, (kind, text) in enumerate(paragraphs(layout, dataset, settings, state, X)):
        style, size, bold = styles[kind]
        ws.write_string(r, 0, text, style)
        lines = wrapped_lines(text, width_px, size, bold)
        # headings get a little air above them; paragraphs exactly their lines
        ws.set_row(r, row_height_pt(lines, size) + (line_height_pt(size) / 2 if kind == "h" else 0))
    print_setup(ws)
