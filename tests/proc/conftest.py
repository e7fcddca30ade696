"""pytest set-up shared by the real-process tests.

Many tests compare whole result files (tens of thousands of lines) with
`==`. pytest's own explanation of a failed string comparison is a difflib
diff, quadratic in the worst case: one failing comparison of two 60k-line
PageRank results spun for over 20 minutes instead of failing. Every
implementation of the pytest_assertrepr_compare hook runs (the hook is not
first-result), so a hook here cannot stop the built-in one; its comparison
function is wrapped instead, and long strings are explained by their first
differing line."""
try:
    import _pytest.assertion.util as _util  # pytest's own module (7.x: Debian 12)
except ImportError:  # another pytest layout: keep its own explanations
    _util = None

LONG = 4000  # characters; shorter strings keep pytest's own diff


def first_difference(left, right):
    a, b = left.splitlines(), right.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i + 1, x, y
    i = min(len(a), len(b))
    return i + 1, (a[i] if i < len(a) else "<end>"), (b[i] if i < len(b) else "<end>")


def explain_long(op, left, right):
    if op != "==" or not isinstance(left, str) or not isinstance(right, str):
        return None
    if len(left) < LONG and len(right) < LONG:
        return None
    line, x, y = first_difference(left, right)
    return [f"long strings differ ({len(left)} vs {len(right)} characters, "
            f"{left.count(chr(10))} vs {right.count(chr(10))} lines)",
            f"first difference at line {line}:",
            f"  left:  {x[:200]!r}",
            f"  right: {y[:200]!r}"]


if _util is not None and hasattr(_util, "assertrepr_compare"):
    _builtin = _util.assertrepr_compare

    def _compare(config, op, left, right, *args, **kwargs):
        short = explain_long(op, left, right)
        return short if short is not None else _builtin(config, op, left, right, *args, **kwargs)

    _util.assertrepr_compare = _compare
