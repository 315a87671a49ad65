"""Password hashes: argon2id at OWASP's minimum (issue 9: the default cost 0.2 s of CPU per log-in,
which a thousand players at the start whistle could not get from two cores), and hashes made with
other parameters (accounts made before) still verify."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters

from kizuna import security


def test_new_hashes_use_owasps_minimum() -> None:
    params = extract_parameters(security.hash_password("correct horse battery"))
    assert params.type.name == "ID"
    assert (params.time_cost, params.memory_cost, params.parallelism) == (2, 19 * 1024, 1)


def test_hashes_made_with_the_old_default_still_verify() -> None:
    old = PasswordHasher().hash("an older password")
    assert extract_parameters(old).memory_cost == 65536
    assert security.verify_password(old, "an older password")
    assert not security.verify_password(old, "another password")


def test_unknown_accounts_and_garbage_hashes_are_refused() -> None:
    assert not security.verify_password(None, "kizuna-dummy-password")
    assert not security.verify_password("not-a-hash", "x")


def test_forty_threads_hashing_leave_little_memory_behind() -> None:
    """glibc keeps freed 19 MiB hash blocks in per-thread heaps unless the mmap threshold is fixed
    (kizuna.security): forty threads hashing left 380 MB resident; now the blocks go back."""
    import subprocess
    import sys

    code = (
        "import threading\n"
        "from kizuna import security\n"
        "h = security.hash_password('pw-1234567890')\n"
        "def work():\n"
        "    for _ in range(3): security.verify_password(h, 'pw-1234567890')\n"
        "ts = [threading.Thread(target=work) for _ in range(40)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "print(int(open('/proc/self/statm').read().split()[1]) * 4096 // 2**20)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert int(out.stdout.strip()) < 150, out.stdout
