"""The optimizer specs against Keras 3's update forms, written out independently in
reference.py: plain Python floats, one parameter at a time, in Keras's own words."""

from __future__ import annotations

import numpy as np
import pytest

from gradsheet.core.optimizers import HYPER_DEFAULTS, OPTIMIZERS
from reference import KERAS_DEFAULTS, SLOTS, keras_update

H = KERAS_DEFAULTS


def reference(name, p, g, state, t, lr):
    return keras_update(name, p, g, state, t, lr)


def test_the_reference_defaults_and_slots_are_the_contracts():
    """reference.py writes Keras's defaults and each optimizer's state out on its own."""
    assert KERAS_DEFAULTS == HYPER_DEFAULTS
    assert {name: opt.slots for name, opt in OPTIMIZERS.items()} == SLOTS
    assert [name for name, opt in OPTIMIZERS.items() if opt.counts_updates] == ["adam"]


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_twenty_updates_equal_kerass_forms(name):
    opt = OPTIMIZERS[name]
    rng = np.random.default_rng(4)
    theta = rng.normal(size=3)
    state = {slot: np.zeros(3) for slot in opt.slots}
    ref_theta, ref_state = theta.tolist(), [{slot: 0.0 for slot in opt.slots} for _ in range(3)]
    t = 0
    for i in range(20):
        g = rng.normal(scale=10.0 ** rng.integers(-3, 4), size=3)
        theta, state, t_next = opt.update(theta, g, state, t, 0.01, dict(H))
        for j in range(3):
            ref_theta[j], ref_state[j] = reference(name, ref_theta[j], float(g[j]), ref_state[j], t, 0.01)
        t = t_next
        assert np.allclose(theta, ref_theta, rtol=1e-14, atol=0), (name, i)
        for slot in opt.slots:
            assert np.allclose(state[slot], [s[slot] for s in ref_state], rtol=1e-14, atol=0)
    assert t == (20 if name == "adam" else 0)


def test_the_excel_text_names_every_input():
    ref = {n: n.upper() for n in ("P", "g", "t", "lr", "vel", "sq", "m", "next_vel", "next_sq", "next_m",
                                  *HYPER_DEFAULTS)}
    assert OPTIMIZERS["adam"].next_param.formula(ref) == \
        "=P-LR*SQRT(1-BETA2^(T+1))/(1-BETA1^(T+1))*NEXT_M/(SQRT(NEXT_SQ)+DELTA)"
    assert OPTIMIZERS["rmsprop"].next_slot["sq"].formula(ref) == "=RHO*SQ+(1-RHO)*G^2"
    for opt in OPTIMIZERS.values():  # every hyperparameter a rule reads is declared
        used = {n for rule in (opt.next_param, *opt.next_slot.values()) for n in rule.names}
        assert used & set(HYPER_DEFAULTS) == set(opt.hyper)
