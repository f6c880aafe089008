r"""Exponential and maximum that LLVM can vectorise inside numba loops.

Numba on these machines has no vector math library (no SVML), so ``np.exp`` in a numba loop is a
scalar libm call. These versions use Cody-Waite range reduction and a polynomial, and put the power of
two into the exponent bits with an integer-to-float bit cast, so a loop over them compiles to SIMD code:

.. math::
    e^{x} = 2^{k}\, e^{r}, \qquad k = \operatorname{round}(x / \ln 2), \quad r = x - k \ln 2 \in [-\tfrac{\ln 2}{2}, \tfrac{\ln 2}{2}],

with :math:`e^r` by the Cephes minimax polynomial (float32, about 1 ulp) or by its Taylor series to
degree 13 (float64: the truncation error :math:`(\ln 2/2)^{14}/14! \approx 4\cdot 10^{-18}` is below
half an ulp), and :math:`2^k` applied as :math:`2^{\lfloor k/2 \rfloor} 2^{k - \lfloor k/2 \rfloor}` so
that both factors are normal numbers up to the overflow threshold. Arguments whose result is below the
smallest normal number give 0 (the kernels only ever call them with :math:`x \le 0`); arguments above
the overflow threshold are clamped to it.

References
----------
Cody & Waite, *Software Manual for the Elementary Functions* (1980); Moshier, *Cephes Math Library*
(``expf.c``, ``exp.c``).

``fmax`` is LLVM's ``maxnum``: a maximum reduction written with it vectorises, where numba's ``max``
(a compare and select) stays scalar.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def fmax(typingctx, a, b):
    """``llvm.maxnum`` of two floats of the same type."""
    if not (isinstance(a, types.Float) and a == b):
        return None

    def codegen(context, builder, signature, args):
        ty = args[0].type
        fn = builder.module.declare_intrinsic("llvm.maxnum", [ty], ir.FunctionType(ty, [ty, ty]))
        return builder.call(fn, args)

    return a(a, b), codegen


@intrinsic
def _bits_to_f32(typingctx, bits):
    """Reinterpret the low 32 bits of an integer as float32 (an LLVM bitcast, free in SIMD code)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        value = args[0]
        if bits.bitwidth != 32:
            value = builder.trunc(value, ir.IntType(32)) if bits.bitwidth > 32 else builder.sext(value, ir.IntType(32))
        return builder.bitcast(value, ir.FloatType())

    return types.float32(bits), codegen


@intrinsic
def _bits_to_f64(typingctx, bits):
    """Reinterpret a 64-bit integer as float64."""
    if not isinstance(bits, types.Integer) or bits.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(bits), codegen


_F32_LOG2E = np.float32(1.44269504088896341)
_F32_LN2_HI = np.float32(0.693359375)
_F32_LN2_LO = np.float32(-2.12194440e-4)
_F32_MIN = np.float32(-87.33)  # below: exp(x) < smallest normal float32, returned as 0
_F32_MAX = np.float32(88.72)


@njit(fastmath={"contract", "nsz", "arcp", "afn"})
def exp_f32(x):
    """float32 exp, about 1 ulp; 0 below -87.33 (vectorisable)."""
    small = x < _F32_MIN
    xc = min(max(x, _F32_MIN), _F32_MAX)
    k = np.floor(xc * _F32_LOG2E + np.float32(0.5))
    r = xc - k * _F32_LN2_HI - k * _F32_LN2_LO
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    ki = np.int32(k)
    k1 = ki >> 1  # 2^k as 2^k1 * 2^(k - k1): both factors stay normal over the whole range
    s1 = _bits_to_f32((k1 + np.int32(127)) << 23)
    s2 = _bits_to_f32((ki - k1 + np.int32(127)) << 23)
    return np.float32(0.0) if small else p * s1 * s2


_F64_LOG2E = 1.4426950408889634
_F64_LN2_HI = 6.93145751953125e-1
_F64_LN2_LO = 1.42860682030941723212e-6
_F64_MIN = -708.39  # below: exp(x) < smallest normal float64, returned as 0
_F64_MAX = 709.78


@njit(fastmath={"contract", "nsz", "arcp", "afn"})
def exp_f64(x):
    """float64 exp, within about 1 ulp; 0 below -708.39 (vectorisable)."""
    small = x < _F64_MIN
    xc = min(max(x, _F64_MIN), _F64_MAX)
    k = np.floor(xc * _F64_LOG2E + 0.5)
    r = xc - k * _F64_LN2_HI - k * _F64_LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r * r + r + 1.0
    ki = np.int64(k)
    k1 = ki >> 1
    s1 = _bits_to_f64((k1 + np.int64(1023)) << 52)
    s2 = _bits_to_f64((ki - k1 + np.int64(1023)) << 52)
    return 0.0 if small else p * s1 * s2
