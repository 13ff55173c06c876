"""Counts the bytes Ansible transfers to the nodes, for scripts/bench.py.

Loaded through PYTHONPATH by the benchmark only (never by the collection or the tests): every
file an action plugin hands to the connection (ActionBase._transfer_file: the copy, template and
unarchive actions' sources) and every module shipped as a file (ActionBase._transfer_data, when
pipelining is off) is appended, with its size, to the file named by WSO2AM_BENCH_TRANSFERS.
"""

import os

_LOG = os.environ.get("WSO2AM_BENCH_TRANSFERS")

if _LOG:
    try:
        from ansible.plugins.action import ActionBase

        _original = ActionBase._transfer_file

        def _transfer_file(self, local_path, remote_path):
            if getattr(self, "_wso2am_bench_module", False):  # counted by _transfer_data
                return _original(self, local_path, remote_path)
            try:
                size = os.path.getsize(local_path)
            except OSError:
                size = 0
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"{size}\tfile\t{os.path.basename(str(local_path))}\n")
            return _original(self, local_path, remote_path)

        _original_data = ActionBase._transfer_data

        def _transfer_data(self, remote_path, data):
            size = len(data.encode("utf-8") if isinstance(data, str) else data)
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"{size}\tmodule\t{self._task.action}\n")
            self._wso2am_bench_module = True
            try:
                return _original_data(self, remote_path, data)
            finally:
                self._wso2am_bench_module = False

        ActionBase._transfer_file = _transfer_file
        ActionBase._transfer_data = _transfer_data
    except Exception:  # pragma: no cover - the benchmark then reports no transfer figures
        pass
