"""Ion defaults (NEURON's membdef.h): na and k are cross-checked in psection; ca has no built-in
user in NEURON's wheel, so its defaults are pinned here."""

import math

import pytest


def test_calcium_ion_defaults(rb):
    soma = rb.Section("soma")
    soma.insert("ca_ion")
    seg = soma(0.5)
    assert seg.cai == 5e-5  # mM
    assert seg.cao == 2.0  # mM
    assert seg.eca == pytest.approx(12.5 * math.log(2.0 / 5e-5), rel=1e-15)  # ≈ 132.458 mV
    assert soma.psection()["ions"]["ca"]["ica"] == [0.0]


def test_ions_come_with_the_mechanisms_that_use_them(rb):
    soma = rb.Section("soma")
    soma.insert("hh")
    assert [m.name() for m in soma(0.5)] == ["k_ion", "na_ion", "hh"]
    assert (soma(0.5).ena, soma(0.5).nai, soma(0.5).nao) == (50.0, 10.0, 140.0)
    assert (soma(0.5).ek, soma(0.5).ki, soma(0.5).ko) == (-77.0, 54.4, 2.5)
    soma(0.5).ena = 45.0  # a parameter until a mechanism writes the concentrations
    assert soma(0.5).na_ion.ena == 45.0
