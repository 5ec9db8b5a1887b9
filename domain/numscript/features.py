"""The feature flags that unlock experimental Numscript syntax and functions.

A flag comes either from the host (``compile_program``/``execute`` arguments, never validated, as
in the reference) or from the script's ``#![feature("...")]`` pragma (validated against
``KNOWN_FEATURES``).
"""

from __future__ import annotations

ONEOF = "experimental-oneof"
ACCOUNT_INTERPOLATION = "experimental-account-interpolation"
MID_SCRIPT_FUNCTION_CALL = "experimental-mid-script-function-call"
OVERDRAFT_FUNCTION = "experimental-overdraft-function"
GET_ASSET_FUNCTION = "experimental-get-asset-function"
GET_AMOUNT_FUNCTION = "experimental-get-amount-function"
ASSET_COLORS = "experimental-asset-colors"
ASSET_SCALING = "experimental-asset-scaling"

KNOWN_FEATURES: frozenset[str] = frozenset(
    {
        ONEOF,
        ACCOUNT_INTERPOLATION,
        MID_SCRIPT_FUNCTION_CALL,
        OVERDRAFT_FUNCTION,
        GET_ASSET_FUNCTION,
        GET_AMOUNT_FUNCTION,
        ASSET_COLORS,
        ASSET_SCALING,
    }
)
