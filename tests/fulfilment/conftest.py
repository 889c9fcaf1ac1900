# The payments tests' fixtures serve here too: a PO after its window is paid orders first.
from tests.payments.conftest import _private_files_in_tmp, campaign  # noqa: F401
