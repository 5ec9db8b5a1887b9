"""Every error the Numscript package raises.

Each class carries:

* ``code``: the Formance ledger error code the API answers with. ``INSUFFICIENT_FUND`` for missing
  funds; ``INTERNAL`` for a store that answers with something unusable; ``COMPILATION_FAILED`` for
  everything else: parse and analysis errors, bad or missing variables, type errors,
  experimental syntax without its flag, and the other run-time script errors (a negative amount, a
  bad allotment sum…), because they are all faults of the script or of its inputs, which is how
  the Formance ledger classifies them.
* ``kind``: the name of the error in the reference interpreter (``MissingFundsErr``…), so that
  conformance tests and logs can speak the reference's vocabulary.
* ``line`` / ``column``: where in the script (1-based), when known. The message starts with them.
"""

from __future__ import annotations

from domain.errors import DomainError


class NumscriptError(DomainError):
    code = "COMPILATION_FAILED"
    kind = "NumscriptError"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        details: str | None = None,
    ) -> None:
        prefix = f"{line}:{column}: " if line is not None else ""
        super().__init__(prefix + message, details=details)
        self.line = line
        self.column = column

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process boundaries (workers); keep them picklable with their position.
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[NumscriptError], state: dict[str, object]) -> NumscriptError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message"))
    err.__dict__.update(state)
    return err


# --- compile time ------------------------------------------------------------------------------


class ParseError(NumscriptError):
    kind = "ParserError"


class InputTooLargeError(ParseError):
    """The script is larger than ``parser.MAX_SCRIPT_BYTES``; refused before lexing."""


class NestingTooDeepError(ParseError):
    """Nesting beyond ``parser.MAX_NESTING_DEPTH``; refused instead of exhausting the stack."""


class AnalysisError(NumscriptError):
    kind = "AnalysisError"


class DuplicateVariableError(AnalysisError):
    kind = "DuplicateVariable"


class InvalidTypeError(AnalysisError):
    kind = "InvalidTypeErr"


class UnboundVariableError(AnalysisError):
    kind = "UnboundVariableErr"


class UnboundFunctionError(AnalysisError):
    kind = "UnboundFunctionErr"


class BadArityError(AnalysisError):
    kind = "BadArityErr"

    def __init__(
        self,
        message: str,
        *,
        expected: int,
        given: int,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message, line=line, column=column)
        self.expected = expected
        self.given = given


class InvalidFeatureError(AnalysisError):
    kind = "InvalidFeature"


# --- run time ----------------------------------------------------------------------------------


class ExecutionError(NumscriptError):
    kind = "ExecutionError"


class MissingFundsError(ExecutionError):
    code = "INSUFFICIENT_FUND"
    kind = "MissingFundsErr"

    def __init__(
        self,
        message: str,
        *,
        asset: str,
        needed: int,
        available: int,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message, line=line, column=column)
        self.asset = asset
        self.needed = needed
        self.available = available


class NegativeAmountError(ExecutionError):
    kind = "NegativeAmountErr"


class InvalidAllotmentSumError(ExecutionError):
    kind = "InvalidAllotmentSum"


class InvalidAllotmentInSendAllError(ExecutionError):
    kind = "InvalidAllotmentInSendAll"


class InvalidUnboundedInSendAllError(ExecutionError):
    kind = "InvalidUnboundedInSendAll"


class MismatchedCurrencyError(ExecutionError):
    kind = "MismatchedCurrencyError"


class NumscriptTypeError(ExecutionError):
    kind = "TypeError"


class MissingVariableError(ExecutionError):
    kind = "MissingVariableErr"


class MetadataNotFoundError(ExecutionError):
    kind = "MetadataNotFound"


class InvalidNestedMetaError(ExecutionError):
    kind = "InvalidNestedMeta"


class NegativeBalanceError(ExecutionError):
    kind = "NegativeBalanceError"


class DivideByZeroError(ExecutionError):
    kind = "DivideByZero"


class BadPortionParsingError(ExecutionError):
    kind = "BadPortionParsingErr"


class InvalidNumberLiteralError(ExecutionError):
    kind = "InvalidNumberLiteral"


class InvalidMonetaryLiteralError(ExecutionError):
    kind = "InvalidMonetaryLiteral"


class InvalidAccountNameError(ExecutionError):
    kind = "InvalidAccountName"


class InvalidAssetError(ExecutionError):
    kind = "InvalidAsset"


class CannotCastToStringError(ExecutionError):
    kind = "CannotCastToString"


class InvalidColorError(ExecutionError):
    kind = "InvalidColor"


class ExperimentalFeatureError(ExecutionError):
    kind = "ExperimentalFeature"


class InvalidUnboundedAddressInScalingError(ExecutionError):
    kind = "InvalidUnboundedAddressInScalingAddress"


class InvalidPostingError(ExecutionError):
    """A posting that cannot be recorded (an asset name the ledger refuses). The reference calls
    it an internal error, but only a script can produce it, so it stays a compilation failure."""

    kind = "InternalError"


class QueryBalanceError(ExecutionError):
    code = "INTERNAL"
    kind = "QueryBalanceError"


class QueryMetadataError(ExecutionError):
    code = "INTERNAL"
    kind = "QueryMetadataError"


__all__ = [
    "AnalysisError",
    "BadArityError",
    "BadPortionParsingError",
    "CannotCastToStringError",
    "DivideByZeroError",
    "DuplicateVariableError",
    "ExecutionError",
    "ExperimentalFeatureError",
    "InputTooLargeError",
    "InvalidAccountNameError",
    "InvalidAllotmentInSendAllError",
    "InvalidAllotmentSumError",
    "InvalidAssetError",
    "InvalidColorError",
    "InvalidFeatureError",
    "InvalidMonetaryLiteralError",
    "InvalidNestedMetaError",
    "InvalidNumberLiteralError",
    "InvalidPostingError",
    "InvalidTypeError",
    "InvalidUnboundedAddressInScalingError",
    "InvalidUnboundedInSendAllError",
    "MetadataNotFoundError",
    "MismatchedCurrencyError",
    "MissingFundsError",
    "MissingVariableError",
    "NegativeAmountError",
    "NegativeBalanceError",
    "NestingTooDeepError",
    "NumscriptError",
    "NumscriptTypeError",
    "ParseError",
    "QueryBalanceError",
    "QueryMetadataError",
    "UnboundFunctionError",
    "UnboundVariableError",
]
